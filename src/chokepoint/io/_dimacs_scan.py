"""Compiled tokenizer for DIMACS files: one pass over the bytes, arcs straight into arrays.

Two kernels (numba, cached on disk):

* :func:`classify` finds the lines that are neither arcs (``a ...``) nor comments (``c ...``)
  — the problem and node lines, and anything unknown — and counts the arc lines; Python then
  handles those few lines.
* :func:`parse_arcs` parses every arc line into ``tail``, ``head`` (int64) and ``values``
  (float64, one column per value field), with a fast exact path for plain integers and
  short decimals; tokens outside it (``1e400``, ``inf``, ``1_000``, ``+5``...) are flagged and
  parsed by Python's own ``int``/``float`` afterwards, so the accepted syntax is exactly that
  of the line-by-line reader this replaces.

Both are O(bytes).
"""

from __future__ import annotations

import numpy as np
from numba import njit

__all__ = ["ERR_FIELDS", "arc_line_numbers", "classify", "parse_arcs"]

#: Error code of :func:`parse_arcs`: wrong number of fields on an arc line.
ERR_FIELDS = 1
_NL, _CR, _SP, _TAB = 10, 13, 32, 9
# exact powers of ten as float64 (10**0 .. 10**22 are exactly representable)
_POW10 = np.array([10.0 ** k for k in range(23)])


@njit(cache=True, inline="always")
def _space(b: int) -> bool:
    return b == _SP or (_TAB <= b <= _CR and b != _NL)


@njit(cache=True)
def classify(buf: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray, int, int]:
    """Line starts and numbers of the non-arc, non-comment lines; arc count; first arc line.

    Returns ``(starts, ends, line_numbers, n_arcs, first_arc_line)`` (line numbers from 1;
    ``first_arc_line`` is 0 without arcs).
    """
    n = len(buf)
    cap = 16
    starts = np.empty(cap, dtype=np.int64)
    ends = np.empty(cap, dtype=np.int64)
    lines = np.empty(cap, dtype=np.int64)
    k = 0
    n_arcs = 0
    first_arc = 0
    pos = 0
    ln = 0
    while pos < n:
        ln += 1
        start = pos
        while pos < n and buf[pos] != _NL:
            pos += 1
        end = pos
        pos += 1
        i = start
        while i < end and _space(buf[i]):
            i += 1
        if i == end:
            continue
        c0 = buf[i]
        sep = i + 1 == end or _space(buf[i + 1])
        if c0 == 97 and sep:  # 'a'
            n_arcs += 1
            if first_arc == 0:
                first_arc = ln
            continue
        if c0 == 99 and sep:  # 'c'
            continue
        if k == cap:
            cap *= 2
            starts = _grow(starts, cap)
            ends = _grow(ends, cap)
            lines = _grow(lines, cap)
        starts[k] = start
        ends[k] = end
        lines[k] = ln
        k += 1
    return starts[:k], ends[:k], lines[:k], n_arcs, first_arc


@njit(cache=True)
def _grow(a: np.ndarray, cap: int) -> np.ndarray:
    out = np.empty(cap, dtype=a.dtype)
    out[: len(a)] = a
    return out


@njit(cache=True)
def _int_token(buf: np.ndarray, i: int, j: int) -> tuple[int, bool]:
    """Plain decimal digits (at most 18) -> (value, ok)."""
    if j - i > 18 or j == i:
        return 0, False
    v = 0
    for p in range(i, j):
        d = buf[p] - 48
        if d < 0 or d > 9:
            return 0, False
        v = v * 10 + d
    return v, True


@njit(cache=True)
def _float_token(buf: np.ndarray, i: int, j: int, pow10: np.ndarray) -> tuple[float, bool]:
    """``[-]digits[.digits][e[+-]digits]`` with at most 15 significant digits and a decimal
    exponent within ±22 -> exactly rounded value (one IEEE multiply or divide of exact
    operands); anything else -> not ok."""
    neg = False
    p = i
    if p < j and buf[p] == 45:  # '-'
        neg = True
        p += 1
    mant = 0
    nd = 0
    exp10 = 0
    seen = False
    while p < j and 48 <= buf[p] <= 57:
        if mant == 0 and buf[p] == 48:
            seen = True
        else:
            mant = mant * 10 + (buf[p] - 48)
            nd += 1
            seen = True
        p += 1
    if p < j and buf[p] == 46:  # '.'
        p += 1
        while p < j and 48 <= buf[p] <= 57:
            if mant == 0 and buf[p] == 48:
                seen = True
            else:
                mant = mant * 10 + (buf[p] - 48)
                nd += 1
                seen = True
            exp10 -= 1
            p += 1
    if not seen or nd > 15:
        return 0.0, False
    if p < j and (buf[p] == 101 or buf[p] == 69):  # 'e' / 'E'
        p += 1
        eneg = False
        if p < j and (buf[p] == 43 or buf[p] == 45):
            eneg = buf[p] == 45
            p += 1
        if p == j or j - p > 4:
            return 0.0, False
        e = 0
        while p < j and 48 <= buf[p] <= 57:
            e = e * 10 + (buf[p] - 48)
            p += 1
        exp10 += -e if eneg else e
    if p != j:
        return 0.0, False
    v = float(mant)
    if mant == 0:
        v = 0.0
    elif exp10 >= 0:
        if exp10 > 22:
            return 0.0, False
        v = v * pow10[exp10]
    else:
        if -exp10 > 22:
            return 0.0, False
        v = v / pow10[-exp10]
    return (-v if neg else v), True


@njit(cache=True)
def parse_arcs(buf: np.ndarray, m: int, n_values: int
               ) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray, int, int,
                          int]:
    """Parse the ``m`` arc lines (``a U V`` + ``n_values`` numbers).

    Returns ``(tail, head, values, slow, slow_at, err_code, err_line, parsed)``: ``slow``
    lists the arcs with a token outside the fast path, ``slow_at[k]`` the byte offset and the
    number of that arc's line; ``err_code`` is 0 or :data:`ERR_FIELDS` at line ``err_line``,
    where parsing stopped after ``parsed`` arcs.
    """
    tail = np.empty(m, dtype=np.int64)
    head = np.empty(m, dtype=np.int64)
    values = np.empty((m, n_values), dtype=np.float64)
    slow = np.empty(16, dtype=np.int64)
    spans = np.empty((16, 2), dtype=np.int64)
    n_slow = 0
    pow10 = _POW10
    n = len(buf)
    pos = 0
    ln = 0
    k = 0
    want = n_values + 3
    ts = np.empty(want, dtype=np.int64)
    te = np.empty(want, dtype=np.int64)
    while pos < n and k < m:
        ln += 1
        start = pos
        while pos < n and buf[pos] != _NL:
            pos += 1
        end = pos
        pos += 1
        i = start
        while i < end and _space(buf[i]):
            i += 1
        if i == end or buf[i] != 97 or not (i + 1 == end or _space(buf[i + 1])):
            continue
        nt = 0  # tokens, the 'a' included
        p = i
        while p < end:
            while p < end and _space(buf[p]):
                p += 1
            if p == end:
                break
            q = p
            while q < end and not _space(buf[q]):
                q += 1
            if nt < want:
                ts[nt] = p
                te[nt] = q
            nt += 1
            p = q
        if nt != want:
            return tail, head, values, slow[:n_slow], spans[:n_slow], ERR_FIELDS, ln, k
        ok = True
        u, ok1 = _int_token(buf, ts[1], te[1])
        v, ok2 = _int_token(buf, ts[2], te[2])
        ok = ok1 and ok2
        tail[k] = u
        head[k] = v
        for f in range(n_values):
            x, okf = _float_token(buf, ts[3 + f], te[3 + f], pow10)
            values[k, f] = x
            ok = ok and okf
        if not ok:
            if n_slow == len(slow):
                slow = _grow(slow, 2 * n_slow)
                sp2 = np.empty((2 * n_slow, 2), dtype=np.int64)
                sp2[:n_slow] = spans
                spans = sp2
            slow[n_slow] = k
            spans[n_slow, 0] = start
            spans[n_slow, 1] = ln
            n_slow += 1
        k += 1
    return tail, head, values, slow[:n_slow], spans[:n_slow], 0, 0, k


@njit(cache=True)
def arc_line_numbers(buf: np.ndarray, m: int) -> np.ndarray:
    """The line number (from 1) of each of the first ``m`` arc lines."""
    out = np.zeros(m, dtype=np.int64)
    n = len(buf)
    pos = 0
    ln = 0
    k = 0
    while pos < n and k < m:
        ln += 1
        start = pos
        while pos < n and buf[pos] != _NL:
            pos += 1
        end = pos
        pos += 1
        i = start
        while i < end and _space(buf[i]):
            i += 1
        if i < end and buf[i] == 97 and (i + 1 == end or _space(buf[i + 1])):
            out[k] = ln
            k += 1
    return out
