"""A numpy-only reader for *plain* DIMACS files, the common case, without numba's start-up.

Plain means: the header (comment, problem and node lines, at most :data:`HEADER_BYTES`) comes
first and contains no arc line; from the first line that starts with ``a `` to the end of the
file every line is ``a U V X...`` with exactly the expected number of fields, each field an
unsigned run of decimal digits without leading zeros and below 10**15 (every value an exact
float64), fields separated by single spaces, lines by ``\\n``. Generators and solvers write
files like this. For such a file the arcs are parsed by numpy's C text parser
(``np.fromstring``) after C-speed checks of the bytes (``bytes.count``/``find``/``translate``
and one regular expression) and one vectorised check of every line's length against its
parsed fields, so the result is exactly what the compiled scanner
(:mod:`chokepoint.io._dimacs_scan`) gives (``tests/test_readers_equal.py``); for anything else
:func:`plain_arcs` returns ``None`` and the reader falls back to that scanner, which handles
every syntax and names errors.

O(bytes) in C passes plus O(arcs) numpy work; nothing per line in Python.
"""

from __future__ import annotations

import re

import numpy as np

__all__ = ["HEADER_BYTES", "arc_block", "plain_arcs"]

#: Largest header (bytes before the first arc line) handled here.
HEADER_BYTES = 1 << 20
_LIMIT = 10**15  # values below this are exact as float64 (< 2**53)
_POW10 = np.array([10**k for k in range(1, 16)], dtype=np.int64)
_A_TO_SPACE = bytes.maketrans(b"a", b" ")
_LEADING_ZERO = re.compile(rb" 0[0-9]")


def arc_block(raw: bytes) -> int:
    """Byte offset of the first line starting with ``a `` (``-1``: none, or the header is
    larger than :data:`HEADER_BYTES`)."""
    if raw.startswith(b"a "):
        return 0
    at = raw.find(b"\na ", 0, HEADER_BYTES + 1)
    return at + 1 if at >= 0 else -1


def _lines_ok(raw: bytes, start: int, n_lines: int) -> bool:
    """Whether every line from ``start`` is ``a`` followed by space-separated digit runs
    without leading zeros (the field count is checked by :func:`plain_arcs`)."""
    first = 1 if start == 0 else 0  # a line at offset 0 has no newline before it
    return (raw.count(b"a", start) == n_lines
            and raw.count(b"\na ", max(start - 1, 0)) + first == n_lines
            and raw.find(b"  ", start) < 0 and raw.find(b" \n", start) < 0
            and not raw.endswith(b" ")
            and _LEADING_ZERO.search(raw, start) is None)


def plain_arcs(raw: bytes, start: int) -> tuple[np.ndarray, np.ndarray, np.ndarray] | None:
    """``(tail, head, values)`` of the arc lines from byte ``start`` to the end (``a U V`` and
    the same number of values on each line: ``values`` has one column per value field), or
    ``None`` when they are not plain (see the module)."""
    n_lines = raw.count(b"\n", start) + (0 if raw.endswith(b"\n") else 1)
    if n_lines == 0 or not _lines_ok(raw, start, n_lines):
        return None
    text = raw[start:].translate(_A_TO_SPACE)
    if text.translate(None, b"0123456789 \n"):
        return None  # another character
    flat = np.fromstring(text, dtype=np.int64, sep=" ")  # C parser; numbers only, checked
    del text
    fields = len(flat) // n_lines
    if fields < 3 or len(flat) != fields * n_lines or int(flat.max()) >= _LIMIT:
        return None  # lines with different field counts, or a value too large (or clamped)
    rows = flat.reshape(n_lines, fields)
    digits = np.searchsorted(_POW10, rows, side="right") + 1  # decimal digits of each field
    ends = np.flatnonzero(np.frombuffer(raw, dtype=np.uint8, offset=start) == ord("\n"))
    if len(ends) < n_lines:
        ends = np.append(ends, len(raw) - start)
    length = np.diff(ends, prepend=-1) - 1
    # a line is 'a' plus one space and the digits per field: the first line with another
    # field count misaligns `rows` from there and fails this check
    if not np.array_equal(length, 1 + fields + digits.sum(axis=1)):
        return None
    return rows[:, 0].copy(), rows[:, 1].copy(), rows[:, 2:].astype(np.float64)
