"""A disk cache of parsed networks, for repeated runs on the same large file.

Reading a large file costs more than answering from it: on the 1.6M-arc DIMACS grid of
``docs/benchmarks/load.md`` the parse takes about 0.6 s of a 1.8 s ``chokepoint flow``.
A reader that supports the cache keeps the integer and float arrays it parsed (the arrays
the network and its compiled form are built from) in a file keyed by the input's bytes, and
on the next run with the same bytes loads them instead of parsing again.

Policy
------
Where
    ``$CHOKEPOINT_CACHE_DIR``, else ``$XDG_CACHE_HOME/chokepoint``, else
    ``~/.cache/chokepoint``; entries live in its ``networks/`` folder
    (:func:`cache_folder`).
Key
    BLAKE2b of the input file's bytes, the chokepoint version, :data:`FORMAT_VERSION`, the
    reader's name and the reader options that affect its result (:func:`entry_key`). A
    changed byte, another release or another option is another key; the file's name, place
    and time stamp are not part of it.
Which files
    Files above :data:`MIN_BYTES` (1 MiB): smaller ones parse faster than a hash and a load.
Writing
    Atomically (a temporary file in the same folder, then a rename), so a reader never sees
    half an entry; a folder that cannot be written is no error (nothing is kept).
Reading
    :func:`numpy.load` with ``allow_pickle=False``. An entry is never trusted: the reader
    checks every array's shape, dtype and range against the entry's counts, and anything
    unreadable, truncated or mismatched is ignored (and replaced by a fresh parse), never an
    error.
Size
    At most ``$CHOKEPOINT_CACHE_MAX_MB`` MiB (default :data:`DEFAULT_MAX_MB`, 2 GiB); after
    each write the least recently used entries (by modification time, which a hit renews)
    are removed until the folder fits.
Off
    ``CHOKEPOINT_CACHE=off`` (or ``0``, ``no``, ``false``), or ``--no-cache`` on the commands
    that read networks, or ``cache=False`` in the readers; ``chokepoint cache clear``
    empties it.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import tempfile
import time
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from chokepoint.errors import InputError

__all__ = [
    "DEFAULT_MAX_MB",
    "FORMAT_VERSION",
    "MIN_BYTES",
    "CacheInfo",
    "cache_enabled",
    "cache_folder",
    "cache_info",
    "clear_cache",
    "entry_key",
    "load_entry",
    "max_bytes",
    "store_entry",
]

#: Version of the entries' layout; entries of another version are other keys (never read).
FORMAT_VERSION = 1
#: Only files larger than this many bytes are cached.
MIN_BYTES = 1 << 20
#: Default size cap of the cache folder, in MiB.
DEFAULT_MAX_MB = 2048
#: The array in every entry holding its metadata (JSON text as bytes).
_META = "__meta__"
#: Temporary files older than this (seconds) are a writer that died: eviction removes them.
_STALE_S = 3600.0
_OFF = {"off", "0", "no", "false"}
_ON = {"", "on", "1", "yes", "true"}


def cache_enabled() -> bool:
    """Whether ``$CHOKEPOINT_CACHE`` leaves the cache on (it is on unless set to ``off``,
    ``0``, ``no`` or ``false``; any other value but ``on``, ``1``, ``yes``, ``true`` is an
    :class:`~chokepoint.errors.InputError` naming the variable)."""
    raw = os.environ.get("CHOKEPOINT_CACHE", "").strip().lower()
    if raw in _OFF:
        return False
    if raw in _ON:
        return True
    raise InputError(f"CHOKEPOINT_CACHE must be on or off, not {raw[:40]!r}")


def cache_folder() -> Path:
    """The folder holding the cached networks: ``networks/`` in ``$CHOKEPOINT_CACHE_DIR``,
    else in ``$XDG_CACHE_HOME/chokepoint``, else in ``~/.cache/chokepoint``."""
    own = os.environ.get("CHOKEPOINT_CACHE_DIR", "").strip()
    if own:
        return Path(own).expanduser() / "networks"
    xdg = os.environ.get("XDG_CACHE_HOME", "").strip()
    base = Path(xdg) if xdg and Path(xdg).is_absolute() else Path.home() / ".cache"
    return base / "chokepoint" / "networks"


def max_bytes() -> int:
    """The cache's size cap in bytes: ``$CHOKEPOINT_CACHE_MAX_MB`` MiB, else
    :data:`DEFAULT_MAX_MB` (a malformed value is an :class:`~chokepoint.errors.InputError`)."""
    raw = os.environ.get("CHOKEPOINT_CACHE_MAX_MB", "").strip().replace("_", "")
    if not raw:
        return DEFAULT_MAX_MB << 20
    try:
        mb = float(raw)
    except ValueError:
        raise InputError(f"CHOKEPOINT_CACHE_MAX_MB must be a number of MiB, not {raw[:40]!r}"
                         ) from None
    if not mb >= 0 or mb == float("inf"):
        raise InputError(f"CHOKEPOINT_CACHE_MAX_MB must be a finite number >= 0, not {raw!r}")
    return int(mb * (1 << 20))


def _version() -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("chokepoint")
    except PackageNotFoundError:  # pragma: no cover - running from a source tree
        return "0+unknown"


def entry_key(raw: bytes, *, reader: str, options: Mapping[str, Any]) -> str:
    """The key of the entry for ``raw`` (a file's bytes) read by ``reader`` with ``options``:
    BLAKE2b (32 bytes) of the bytes, then of the chokepoint version, :data:`FORMAT_VERSION`,
    the reader and its options (JSON, sorted keys). O(bytes)."""
    h = hashlib.blake2b(raw, digest_size=32)
    h.update(json.dumps({"chokepoint": _version(), "format": FORMAT_VERSION, "reader": reader,
                         "options": dict(options)}, sort_keys=True).encode())
    return h.hexdigest()


def _entry_path(key: str) -> Path:
    return cache_folder() / f"{key}.npz"


def load_entry(key: str) -> tuple[dict[str, Any], dict[str, np.ndarray]] | None:
    """The metadata and arrays of entry ``key``, or None when there is none or it cannot be
    read (truncated, not a NumPy archive, pickled objects, another key in its metadata).

    The caller checks the arrays' shapes, dtypes and ranges before using them. A hit renews
    the entry's modification time (least-recently-used eviction). O(size of the entry).
    """
    path = _entry_path(key)
    try:
        with path.open("rb") as fh, np.load(fh, allow_pickle=False) as z:
            arrays = {name: z[name] for name in z.files}
        meta = json.loads(arrays.pop(_META).tobytes().decode("utf-8"))
    except Exception:  # whatever is wrong with an entry (truncated, a .npy, not NumPy at all,
        return None    # pickled objects, no metadata): it is ignored and parsed again
    if not isinstance(meta, dict) or meta.get("key") != key \
            or meta.get("format") != FORMAT_VERSION:
        return None
    with contextlib.suppress(OSError):
        os.utime(path)
    return meta, arrays


def store_entry(key: str, meta: Mapping[str, Any], arrays: Mapping[str, np.ndarray]) -> None:
    """Keep ``arrays`` (numeric, no objects) and ``meta`` (JSON-able) as entry ``key``,
    atomically; then evict the least recently used entries beyond :func:`max_bytes`.

    An entry larger than the cap is not kept; a folder that cannot be written (read-only,
    full) keeps nothing and raises nothing. O(size of the entry + entries in the folder).
    """
    folder = cache_folder()
    cap = max_bytes()
    body = json.dumps({**meta, "key": key, "format": FORMAT_VERSION}).encode("utf-8")
    size = sum(a.nbytes for a in arrays.values()) + len(body)
    if size > cap:
        return
    tmp: str | None = None
    try:
        folder.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=f".{key[:16]}.", suffix=".tmp", dir=folder)
        with os.fdopen(fd, "wb") as fh:
            members: dict[str, Any] = {_META: np.frombuffer(body, dtype=np.uint8), **arrays}
            np.savez(fh, **members)
        os.replace(tmp, _entry_path(key))
        tmp = None
    except OSError:
        return
    finally:
        if tmp is not None:
            Path(tmp).unlink(missing_ok=True)
    _evict(folder, cap, keep=_entry_path(key))


def _entries(folder: Path) -> list[tuple[float, int, Path]]:
    """``(modification time, bytes, path)`` of each entry in ``folder``."""
    out = []
    try:
        paths = list(folder.glob("*.npz"))
    except OSError:
        return []
    for p in paths:
        try:
            st = p.stat()
        except OSError:  # removed by another process meanwhile
            continue
        out.append((st.st_mtime, st.st_size, p))
    return out


def _evict(folder: Path, cap: int, *, keep: Path | None = None) -> None:
    """Remove the least recently used entries until the folder holds at most ``cap`` bytes
    (``keep``, the entry just written, last of all), and temporary files of writers that
    died. O(entries log entries)."""
    now = time.time()
    for p in folder.glob(".*.tmp"):
        try:
            if now - p.stat().st_mtime > _STALE_S:
                p.unlink()
        except OSError:
            continue
    entries = sorted(_entries(folder), key=lambda e: (e[2] == keep, e[0]))
    total = sum(size for _, size, _ in entries)
    for _, size, p in entries:
        if total <= cap:
            break
        try:
            p.unlink()
        except OSError:
            continue
        total -= size


@dataclass(frozen=True)
class CacheInfo:
    """What :func:`cache_info` reports.

    Attributes
    ----------
    folder
        Where the entries live.
    enabled
        Whether ``$CHOKEPOINT_CACHE`` leaves the cache on.
    entries, bytes
        How many entries, and their total size.
    max_bytes
        The size cap.
    """

    folder: Path
    enabled: bool
    entries: int
    bytes: int
    max_bytes: int


def cache_info() -> CacheInfo:
    """The cache's folder, switch, entries, size and cap. O(entries)."""
    folder = cache_folder()
    entries = _entries(folder)
    return CacheInfo(folder=folder, enabled=cache_enabled(), entries=len(entries),
                     bytes=sum(size for _, size, _ in entries), max_bytes=max_bytes())


def clear_cache() -> int:
    """Remove every entry (and temporary file) of the cache; return how many entries were
    removed. Files of other kinds in the folder are left alone. O(entries)."""
    folder = cache_folder()
    removed = 0
    for _, _, p in _entries(folder):
        try:
            p.unlink()
            removed += 1
        except OSError:
            continue
    for p in folder.glob(".*.tmp") if folder.is_dir() else []:
        p.unlink(missing_ok=True)
    return removed
