"""DIMACS max-flow (``p max``) and min-cost-flow (``p min``) instances.

Format (DIMACS implementation challenge, 1990–91): comment lines ``c``; one problem line
``p max N M`` or ``p min N M``; node lines ``n ID s|t`` (max) or ``n ID SUPPLY`` (min); arc
lines ``a U V CAP`` (max) or ``a U V LOW CAP COST`` (min). Nodes are 1..N.

The arcs are tokenized by a compiled scanner (:mod:`chokepoint.io._dimacs_scan`) straight
into integer arrays: node ids stay integer codes and the network is built from arrays
(:meth:`~chokepoint.network.Network.from_arrays`); the few problem and node lines are handled
here. O(bytes) time, O(arcs) memory.

Files up to :data:`SMALL_FILE_BYTES` skip the compiled scanner, whose start-up (importing
numba and loading its cached kernels, about a second) would cost more than the whole file:
:func:`_classify_small` finds the same lines with ``bytes.split`` and every arc goes through
the same Python ``int``/``float`` path that handles the scanner's flagged tokens, so both
paths give the same network and the same first error (``tests/test_readers_equal.py``).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from chokepoint.errors import InputError
from chokepoint.io._dimacs_plain import arc_block, plain_arcs
from chokepoint.limits import check_size
from chokepoint.network import Network, NumberedIds
from chokepoint.scenario import Scenario
from chokepoint.units import Units

__all__ = ["SMALL_FILE_BYTES", "read_dimacs"]

_SHOWN = 40

#: The scanner's error code for an arc line with the wrong number of fields
#: (:data:`chokepoint.io._dimacs_scan.ERR_FIELDS`; not imported from there: that loads numba).
_ERR_FIELDS = 1

#: Files of at most this many bytes (about 50,000 arcs) are read without the compiled scanner.
SMALL_FILE_BYTES = 1 << 20


def _shown(text: str, width: int = _SHOWN) -> str:
    """A token for an error message: quoted, at most ``width`` characters."""
    return repr(text) if len(text) <= width else f"{text[:width]!r}… ({len(text):,} characters)"


@dataclass
class _Header:
    """What the problem and node lines say."""

    kind: str | None = None
    line: int = 0
    n_nodes: int = 0
    sources: list[str] = field(default_factory=list)
    sinks: list[str] = field(default_factory=list)
    supplies: dict[str, float] = field(default_factory=dict)


def _number(text: str, el: str, what: str, p: Path, *, integer: bool = False) -> float:
    try:
        return int(text) if integer else float(text)
    except ValueError:
        raise InputError(f"{what} is not {'an integer' if integer else 'a number'}: "
                         f"{_shown(text)}", source=p, element=el) from None


def _node(text: str, el: str, h: _Header, p: Path) -> int:
    v = int(_number(text, el, "node id", p, integer=True))
    if not 1 <= v <= h.n_nodes:
        raise InputError(f"node {v} is outside 1..{h.n_nodes} (from the problem line)",
                         source=p, element=el)
    return v


def _header_line(f: list[str], el: str, h: _Header, p: Path, ln: int) -> None:
    """Handle one problem, node or unknown line (raises on a bad one)."""
    if f[0] == "p":
        if len(f) != 4 or f[1] not in ("max", "min"):
            raise InputError("problem line must be 'p max N M' or 'p min N M'", source=p,
                             element=el)
        if h.kind is not None:
            raise InputError("a second problem line", source=p, element=el)
        h.kind, h.line = f[1], ln
        h.n_nodes = int(_number(f[2], el, "node count", p, integer=True))
        n_arcs = int(_number(f[3], el, "arc count", p, integer=True))
        if h.n_nodes < 0 or n_arcs < 0:
            raise InputError("node and arc counts must be >= 0", source=p, element=el)
        check_size("nodes + arcs in the problem line", h.n_nodes + n_arcs, source=p,
                   element=el)
    elif f[0] == "n":
        if h.kind is None:
            raise InputError("node line before the problem line", source=p, element=el)
        if h.kind == "max":
            if len(f) != 3 or f[2] not in ("s", "t"):
                raise InputError("node line must be 'n ID s' or 'n ID t'", source=p, element=el)
            (h.sources if f[2] == "s" else h.sinks).append(str(_node(f[1], el, h, p)))
        else:
            if len(f) != 3:
                raise InputError("node line must be 'n ID SUPPLY'", source=p, element=el)
            h.supplies[str(_node(f[1], el, h, p))] = _number(f[2], el, "supply", p)
    else:
        raise InputError(f"unknown line type {_shown(f[0])}", source=p, element=el)


def _arc_error(buf: bytes, tail: np.ndarray, head: np.ndarray, values: np.ndarray,
               slow: np.ndarray, at: np.ndarray, h: _Header, p: Path
               ) -> tuple[int, InputError] | None:
    """Parse the flagged tokens with Python's int/float; the first bad arc as (line, error)."""
    first: tuple[int, InputError] | None = None
    for k, (start, ln) in zip(slow.tolist(), at.tolist(), strict=True):
        end = buf.find(b"\n", start)
        f = buf[start: end if end >= 0 else len(buf)].decode("utf-8", "replace").split()
        el = f"line {ln}"
        try:
            tail[k] = _node(f[1], el, h, p)
            head[k] = _node(f[2], el, h, p)
            values[k] = [_number(x, el, "arc field", p) for x in f[3:]]
        except InputError as exc:
            first = (ln, exc)
            tail[k] = head[k] = 1
            values[k] = 0.0
            break
    bad = (tail < 1) | (tail > h.n_nodes) | (head < 1) | (head > h.n_nodes)
    if h.kind == "min":
        bad |= values[:, 0] != 0
    if len(tail) == 0 or not bad.any():
        return first
    k = int(np.flatnonzero(bad)[0])
    if len(slow) == len(tail):  # every arc went through Python: its line is known
        ln = int(at[k, 1])
    else:
        from chokepoint.io._dimacs_scan import arc_line_numbers

        ln = int(arc_line_numbers(np.frombuffer(buf, dtype=np.uint8), k + 1)[k])
    if first is not None and first[0] < ln:
        return first
    el = f"line {ln}"
    for v in (int(tail[k]), int(head[k])):
        if not 1 <= v <= h.n_nodes:
            return ln, InputError(f"node {v} is outside 1..{h.n_nodes} (from the problem line)",
                                  source=p, element=el)
    return ln, InputError("arc lower bounds other than 0 are not supported", source=p,
                          element=el)


def _read_header(raw: bytes, starts: np.ndarray, ends: np.ndarray, lines: np.ndarray,
                 first_arc: int, h: _Header, p: Path) -> tuple[int, InputError] | None:
    """Process the problem and node lines in order; the first error as (line, error)."""
    for s_, e_, ln in zip(starts.tolist(), ends.tolist(), lines.tolist(), strict=True):
        if first_arc and ln > first_arc and h.kind is None:
            return first_arc, InputError("arc line must have 5 fields after 'a'", source=p,
                                         element=f"line {first_arc}")
        try:
            _header_line(raw[s_:e_].decode("utf-8", "replace").split(), f"line {ln}", h, p, ln)
        except InputError as exc:
            if h.kind is None and first_arc and first_arc < ln:
                return first_arc, InputError("arc line must have 5 fields after 'a'", source=p,
                                             element=f"line {first_arc}")
            return ln, exc
    if h.kind is None and first_arc:
        return first_arc, InputError("arc line must have 5 fields after 'a'", source=p,
                                     element=f"line {first_arc}")
    return None


def _classify_small(raw: bytes) -> tuple[np.ndarray, np.ndarray, np.ndarray, int, int]:
    """:func:`~chokepoint.io._dimacs_scan.classify` for a small file, without numba: the same
    ``(starts, ends, line_numbers, n_arcs, first_arc_line)`` (``bytes.split`` splits on the
    scanner's whitespace: space, tab, CR, VT, FF)."""
    starts: list[int] = []
    ends: list[int] = []
    lines: list[int] = []
    n_arcs = first_arc = 0
    pos = 0
    for ln, line in enumerate(raw.split(b"\n"), start=1):
        head = line.split(None, 1)
        if head and head[0] == b"a":
            n_arcs += 1
            first_arc = first_arc or ln
        elif head and head[0] != b"c":
            starts.append(pos)
            ends.append(pos + len(line))
            lines.append(ln)
        pos += len(line) + 1
    return (np.array(starts, dtype=np.int64), np.array(ends, dtype=np.int64),
            np.array(lines, dtype=np.int64), n_arcs, first_arc)


def _arcs_small(raw: bytes, m: int, n_values: int
                ) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray, int, int,
                           int]:
    """:func:`~chokepoint.io._dimacs_scan.parse_arcs` for a small file, without numba: checks
    the field counts the same way and flags every arc for :func:`_arc_error`'s Python
    ``int``/``float`` path (the scanner's fast path gives the same values, exactly rounded)."""
    at: list[tuple[int, int]] = []
    err = err_line = 0
    pos = 0
    for ln, line in enumerate(raw.split(b"\n"), start=1):
        f = line.split()
        if f and f[0] == b"a" and len(at) < m:
            if len(f) != n_values + 3:
                err, err_line = _ERR_FIELDS, ln
                break
            at.append((pos, ln))
        pos += len(line) + 1
    k = len(at)
    return (np.ones(m, dtype=np.int64), np.ones(m, dtype=np.int64),
            np.zeros((m, n_values)), np.arange(k, dtype=np.int64),
            np.array(at, dtype=np.int64).reshape(k, 2), err, err_line, k)


_Arcs = tuple[np.ndarray, np.ndarray, np.ndarray]


def _lines(raw: bytes, *, small: bool
           ) -> tuple[np.ndarray, np.ndarray, np.ndarray, int, int, _Arcs | None]:
    """:func:`~chokepoint.io._dimacs_scan.classify`'s ``(starts, ends, line_numbers, n_arcs,
    first_arc_line)`` and, for a plain file (:mod:`chokepoint.io._dimacs_plain`), its arcs
    already parsed: small files line by line in Python, plain ones by numpy with the header
    line by line, the rest by the compiled scanner."""
    if small:
        return (*_classify_small(raw), None)
    block = arc_block(raw)
    plain = plain_arcs(raw, block) if block >= 0 else None
    if plain is not None:
        starts, ends, lines, m, _ = _classify_small(raw[:block])
        if m == 0:  # no arc line in the header: the block holds every arc
            return starts, ends, lines, len(plain[0]), raw.count(b"\n", 0, block) + 1, plain
    from chokepoint.io._dimacs_scan import classify

    return (*classify(np.frombuffer(raw, dtype=np.uint8)), None)


def _arcs(raw: bytes, plain: _Arcs | None, m: int, n_values: int, *, small: bool
          ) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray, int, int, int]:
    """The arcs as :func:`~chokepoint.io._dimacs_scan.parse_arcs` returns them: by the small
    files' Python path, from :func:`_lines`' plain parse when the field count fits, else by
    the compiled scanner."""
    if small:
        return _arcs_small(raw, m, n_values)
    if plain is not None and plain[2].shape[1] == n_values:
        none = np.zeros(0, dtype=np.int64)
        return *plain, none, none.reshape(0, 2), 0, 0, m
    from chokepoint.io._dimacs_scan import parse_arcs

    return parse_arcs(np.frombuffer(raw, dtype=np.uint8), m, n_values)  # type: ignore[no-any-return]


@dataclass
class _Parsed:
    """What a DIMACS file holds: its header, and its arcs as 0-based integer arrays and a
    float matrix (``capacity``, or ``low, capacity, cost``)."""

    kind: str
    n_nodes: int
    sources: list[str]
    sinks: list[str]
    supplies: dict[str, float]
    tail: np.ndarray
    head: np.ndarray
    values: np.ndarray


def _parse(raw: bytes, p: Path) -> _Parsed:
    """Parse a DIMACS file's bytes; raise the first error by line. O(bytes)."""
    small = len(raw) <= SMALL_FILE_BYTES
    starts, ends, lines, m, first_arc, plain = _lines(raw, small=small)
    h = _Header()
    errors = [e for e in [_read_header(raw, starts, ends, lines, first_arc, h, p)] if e]
    if h.kind is not None:
        n_values = 1 if h.kind == "max" else 3
        tail, head, values, slow, at, err, err_line, k = _arcs(raw, plain, m, n_values,
                                                               small=small)
        if err == _ERR_FIELDS:
            errors.append((err_line, InputError(
                f"arc line must have {n_values + 2} fields after 'a'", source=p,
                element=f"line {err_line}")))
        tail, head, values = tail[:k], head[:k], values[:k]
        bad = _arc_error(raw, tail, head, values, slow, at, h, p)
        if bad is not None:
            errors.append(bad)
    if errors:
        raise min(errors, key=lambda e: e[0])[1]
    if h.kind is None:
        raise InputError("no problem line ('p max' or 'p min')", source=p)
    if h.kind == "max" and (not h.sources or not h.sinks):
        raise InputError("a 'p max' instance needs a source ('n ID s') and a sink ('n ID t') "
                         "line", source=p, element=f"no {'source' if not h.sources else 'sink'}")
    return _Parsed(kind=h.kind, n_nodes=h.n_nodes, sources=h.sources, sinks=h.sinks,
                   supplies=h.supplies, tail=np.asarray(tail - 1, dtype=np.int64),
                   head=np.asarray(head - 1, dtype=np.int64),
                   values=np.ascontiguousarray(values, dtype=np.float64))


def _to_entry(d: _Parsed) -> tuple[dict[str, object], dict[str, np.ndarray]]:
    """A parsed file as a cache entry's metadata and arrays."""
    meta: dict[str, object] = {"kind": d.kind, "n_nodes": d.n_nodes, "arcs": len(d.tail),
                               "sources": d.sources, "sinks": d.sinks,
                               "supplies": list(d.supplies.items())}
    return meta, {"tail": d.tail, "head": d.head, "values": d.values}


def _from_entry(meta: dict[str, object], arrays: dict[str, np.ndarray]) -> _Parsed | None:
    """A cache entry back as a parsed file, or None unless every field has the type, shape,
    dtype and range a parse gives (an entry is never trusted). O(arcs)."""
    kind, n, m = meta.get("kind"), meta.get("n_nodes"), meta.get("arcs")
    if kind not in ("max", "min") or type(n) is not int or type(m) is not int or m < 1:
        return None
    tail, head, values = (arrays.get(k) for k in ("tail", "head", "values"))
    if not (isinstance(tail, np.ndarray) and isinstance(head, np.ndarray)
            and isinstance(values, np.ndarray)):
        return None
    if set(arrays) != {"tail", "head", "values"} or tail.dtype != np.int64 \
            or head.dtype != np.int64 or values.dtype != np.float64 \
            or tail.shape != (m,) or head.shape != (m,) \
            or values.shape != (m, 1 if kind == "max" else 3):
        return None
    if min(tail.min(), head.min()) < 0 or max(tail.max(), head.max()) >= n:
        return None
    sources, sinks, supplies = meta.get("sources"), meta.get("sinks"), meta.get("supplies")
    names = [*(sources if isinstance(sources, list) else [None]),
             *(sinks if isinstance(sinks, list) else [None])]
    if not all(isinstance(x, str) and x.isdigit() and 1 <= int(x) <= n for x in names) \
            or not isinstance(supplies, list) or not all(
                isinstance(e, list) and len(e) == 2 and isinstance(e[0], str)
                and isinstance(e[1], float | int) for e in supplies):
        return None
    assert isinstance(sources, list)
    assert isinstance(sinks, list)
    return _Parsed(kind=str(kind), n_nodes=n, sources=sources, sinks=sinks,
                   supplies={str(k): float(v) for k, v in supplies}, tail=tail, head=head,
                   values=values)


def _read_cached(raw: bytes, p: Path, *, cache: bool) -> _Parsed:
    """Parse ``raw``, or load what a parse of the same bytes gave from the disk cache
    (:mod:`chokepoint.io.cache`: files above its size threshold, when it is on); a miss
    parses and keeps the result."""
    from chokepoint.io import cache as disk

    if not (cache and len(raw) > disk.MIN_BYTES and disk.cache_enabled()):
        return _parse(raw, p)
    key = disk.entry_key(raw, reader="dimacs", options={})
    entry = disk.load_entry(key)
    parsed = _from_entry(*entry) if entry is not None else None
    if parsed is None:
        parsed = _parse(raw, p)
        if len(parsed.tail):  # no arc: the network refuses it, nothing to keep
            disk.store_entry(key, *_to_entry(parsed))
    return parsed


def read_dimacs(path: str | Path, *, cache: bool = True) -> Scenario:
    """Read a DIMACS instance; ``n s``/``n t`` (or supplies) become the scenario's terminals.

    Lower bounds other than 0 in ``.min`` files are rejected (say so rather than solve a
    different problem). Errors name the first bad line and show its token (shortened).
    O(bytes) time; the arcs never pass through Python one by one.

    Parameters
    ----------
    path
        The ``.max`` / ``.min`` file.
    cache
        Use the disk cache of parsed files (:mod:`chokepoint.io.cache`) for a file above its
        size threshold, unless ``$CHOKEPOINT_CACHE`` is off: a repeated read of the same
        bytes loads the arrays the first parse gave (the same network) instead of parsing.
    """
    p = Path(path)
    try:
        raw = p.read_bytes()
        if not raw.isascii():
            raw.decode("utf-8")
    except (OSError, UnicodeDecodeError) as e:
        raise InputError(f"cannot read: {e}", source=p) from None
    d = _read_cached(raw, p, cache=cache)
    del raw
    cols = {"capacity": d.values[:, 0]} if d.kind == "max" else {
        "capacity": d.values[:, 1], "cost": d.values[:, 2]}
    net = Network.from_arrays(
        np.arange(1, d.n_nodes + 1).astype(str).astype(object), d.tail, d.head,
        link_ids=NumberedIds("a", 1, len(d.tail)), columns=cols, units=Units.unitless(),
        name=p.stem, source=p)
    sources, sinks = d.sources, d.sinks
    if d.kind == "min":
        sources = [k for k, v in d.supplies.items() if v > 0]
        sinks = [k for k, v in d.supplies.items() if v < 0]
    return Scenario(network=net, name=p.stem, sources=sources, sinks=sinks, path=str(p),
                    supplies=d.supplies)
