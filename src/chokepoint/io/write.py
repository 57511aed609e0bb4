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
    """Write a DataFrame as CSV atomically: the bytes of ``frame.to_csv(index=False)``.

    Tables of numbers, booleans and text without characters that need quoting are formatted
    column by column (:func:`csv_text`, about twice as fast on large tables); anything else
    goes through pandas.
    """
    text = csv_text(frame)
    if text is None:
        return _write_with(path, lambda t: frame.to_csv(t, index=False))
    return write_text(path, text)



def _spelled(values: Any, spell: Callable[[Any], str]) -> list[str]:
    """``spell`` of each value, computed once per distinct value (missing: ``""``)."""
    import numpy as np
    import pandas as pd

    codes, uniques = pd.factorize(values, use_na_sentinel=True)
    table = np.array([*map(spell, uniques.tolist()), ""], dtype=object)
    return table[codes].tolist()  # type: ignore[no-any-return]


def _csv_column(col: pd.Series) -> list[str] | None:
    """One column as pandas' CSV writer spells it, or None when this path cannot say."""
    import pandas as pd

    dtype = col.dtype
    if dtype.kind in "iub" and not isinstance(dtype, pd.api.extensions.ExtensionDtype):
        return _spelled(col.to_numpy(), str)
    if dtype == "float64" and not isinstance(dtype, pd.api.extensions.ExtensionDtype):
        import numpy as np

        # distinct bit patterns (0.0 and -0.0 differ); repr = values.astype(str), what
        # pandas writes; NaN as an empty field
        codes, bits = pd.factorize(np.ascontiguousarray(col.to_numpy()).view(np.int64))
        vals = np.asarray(bits).view(np.float64)
        table = np.array(list(map(repr, vals.tolist())), dtype=object)
        table[np.isnan(vals)] = ""
        return table[codes].tolist()  # type: ignore[no-any-return]
    if dtype.kind == "O" or isinstance(dtype, pd.StringDtype):
        if pd.api.types.infer_dtype(col, skipna=True) not in ("string", "empty"):
            return None
        return col.to_numpy(dtype=object, na_value="").tolist()  # type: ignore[no-any-return]
    return None


def csv_text(frame: pd.DataFrame) -> str | None:
    """``frame.to_csv(index=False)`` built column by column (integers, float64, booleans and
    text; NaN and missing text as empty fields), or None for any other table or when a field
    would need the csv module's quoting (checked on the whole text: its commas and line
    breaks are exactly the separators, and it has no quote or carriage return). The rows are
    joined by ``str.join`` over ``zip``: no Python code per field."""
    names = [str(c) for c in frame.columns]
    if len(names) < 2 or not frame.columns.is_unique:
        return None
    cols = []
    for name in frame.columns:
        col = _csv_column(frame[name])
        if col is None:
            return None
        cols.append(col)
    rows = "\n".join(map(",".join, zip(*cols, strict=True)))
    text = ",".join(names) + "\n" + (rows + "\n" if rows else "")
    n = len(frame)
    if (text.count(",") != (len(names) - 1) * (n + 1) or text.count("\n") != n + 1
            or '"' in text or "\r" in text):
        return None
    return text


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
