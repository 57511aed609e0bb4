"""Writing results atomically: a temporary file in the target folder, then a rename.

A failed or interrupted write never leaves half a file under the final name.
"""

from __future__ import annotations

import json
import os
import shutil
import tempfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any

from chokepoint.errors import InputError

if TYPE_CHECKING:
    import pandas as pd

__all__ = ["atomic_dir", "atomic_path", "ensure_dir", "write_csv", "write_json", "write_text"]


@contextmanager
def atomic_path(path: str | Path) -> Iterator[Path]:
    """Yield a temporary path beside ``path``; rename it onto ``path`` only on success."""
    target = Path(path)
    ensure_dir(target.parent)
    # keep the real suffix last: some writers (GDAL) pick or check the format by it
    try:
        fd, tmp = tempfile.mkstemp(prefix=f".{target.stem}.", suffix=f".part{target.suffix}",
                                   dir=target.parent)
    except OSError as e:
        raise InputError(f"cannot write here: {e.strerror or type(e).__name__}",
                         source=target) from None
    os.close(fd)
    tmp_path = Path(tmp)
    umask = os.umask(0)
    os.umask(umask)
    os.chmod(tmp_path, 0o666 & ~umask)  # mkstemp makes 0600; results are meant to be shared
    try:
        yield tmp_path
        os.replace(tmp_path, target)
    finally:
        if tmp_path.exists():
            tmp_path.unlink()


def ensure_dir(path: str | Path) -> Path:
    """Create the folder ``path`` (and parents) for output, or say in one line why not
    (``/proc/x``, a read-only place, a file in the way)."""
    p = Path(path)
    try:
        p.mkdir(parents=True, exist_ok=True)
    except OSError as e:
        raise InputError(f"cannot create the output folder: {e.strerror or type(e).__name__}",
                         source=p) from None
    if not p.is_dir():
        raise InputError("the output folder is not a folder", source=p)
    return p


#: Marker file in a folder written by :func:`atomic_dir` (it may be replaced as a whole).
DIR_MARKER = ".chokepoint-output"


@contextmanager
def atomic_dir(path: str | Path) -> Iterator[Path]:
    """Yield a temporary sibling folder; on success swap it in as ``path`` as a unit.

    The old folder (if any) is renamed aside, the new one renamed onto ``path``, then the
    old one is deleted: a reader sees the old outputs or the new ones, never a mix, and a
    rerun with fewer parts leaves no stale files. Leftovers of a killed run (``.NAME.part-*``
    and ``.NAME.old-*`` siblings) are removed first. An existing non-empty folder that this
    function did not write (no marker file) is refused rather than replaced.
    """
    target = Path(path)
    parent = ensure_dir(target.parent)
    for stale in [*parent.glob(f".{target.name}.part-*"), *parent.glob(f".{target.name}.old-*")]:
        shutil.rmtree(stale, ignore_errors=True)
    if target.exists() and (not target.is_dir() or (
            any(target.iterdir()) and not (target / DIR_MARKER).exists())):
        raise InputError("exists and holds files chokepoint did not write; choose a new or "
                         "empty folder", source=target)
    try:
        tmp = Path(tempfile.mkdtemp(prefix=f".{target.name}.part-", dir=parent))
    except OSError as e:
        raise InputError(f"cannot write here: {e.strerror or type(e).__name__}",
                         source=target) from None
    try:
        (tmp / DIR_MARKER).write_text("written by chokepoint; replaced as a whole on rerun\n")
        yield tmp
        old = parent / f".{target.name}.old-{os.getpid()}"
        if target.exists():
            os.replace(target, old)
        os.replace(tmp, target)
        shutil.rmtree(old, ignore_errors=True)
    finally:
        if tmp.exists():
            shutil.rmtree(tmp, ignore_errors=True)


def _write_with(path: str | Path, writer: Callable[[Path], None]) -> Path:
    with atomic_path(path) as tmp:
        writer(tmp)
    return Path(path)


def write_text(path: str | Path, text: str) -> Path:
    """Write text atomically."""
    def writer(t: Path) -> None:
        t.write_text(text, encoding="utf-8")

    return _write_with(path, writer)


def write_json(path: str | Path, data: Any) -> Path:
    """Write JSON atomically (NaN and inf become null)."""
    return write_text(path, json.dumps(_clean(data), indent=2, ensure_ascii=False) + "\n")


def write_csv(path: str | Path, frame: pd.DataFrame) -> Path:
    """Write a DataFrame as CSV atomically."""
    return _write_with(path, lambda t: frame.to_csv(t, index=False))


def _clean(x: Any) -> Any:
    import math

    if isinstance(x, float):
        return None if not math.isfinite(x) else x
    if isinstance(x, dict):
        return {str(k): _clean(v) for k, v in x.items()}
    if isinstance(x, list | tuple):
        return [_clean(v) for v in x]
    if hasattr(x, "item") and callable(x.item):
        return _clean(x.item())
    return x


def to_jsonable(data: Any) -> Any:
    """The value with NaN/inf as None and numpy scalars as Python numbers."""
    return _clean(data)
