"""The output folder of a sweep: one Parquet file per chunk, a manifest, the combined results.

Layout of ``out/``::

    manifest.json            what the sweep is: scenario hash, parameters, chunk plan
    chunks/chunk-000000.parquet ...   one file per finished chunk (written atomically)
    results.parquet, results.csv      the combined table (written when every chunk is done)
    summary.json             the sweep's summary (percentiles, worst runs...)

Nothing is written until the first chunk is done (:meth:`SweepStore.prepare`): a sweep that
fails before it — no scheduler at the address, a refused option — leaves no folder, no
manifest. Every file is written to a temporary name in the same folder and then renamed
(:func:`os.replace`, atomic on POSIX and Windows), so a chunk file either exists whole or not
at all: an interrupted sweep leaves only complete chunks behind, and ``resume=True`` runs
exactly the chunks whose files are missing. A resume is refused when the manifest on disk
differs from the one the sweep would write (other scenario, other parameters, other chunk
plan), naming the first field that differs.
"""

from __future__ import annotations

import hashlib
import json
import os
import tempfile
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pyarrow.parquet as pq

from chokepoint.errors import InputError

__all__ = ["FORMAT", "MANIFEST", "SweepStore", "digest"]

MANIFEST = "manifest.json"
FORMAT = "chokepoint-sweep"
VERSION = 1


def digest(*parts: Any) -> str:
    """SHA-256 (hex) of arrays, strings and JSON-able values, in order.

    Numeric arrays contribute their dtype, shape and bytes; object arrays their items as
    text; everything else its canonical JSON (``default=str``).
    """
    h = hashlib.sha256()
    for p in parts:
        if isinstance(p, np.ndarray):
            if p.dtype == object:
                h.update(b"O" + "\x1f".join(map(str, p.tolist())).encode())
            else:
                h.update(f"{p.dtype.str}{p.shape}".encode())
                h.update(np.ascontiguousarray(p).tobytes())
        elif isinstance(p, bytes):
            h.update(p)
        else:
            h.update(json.dumps(p, sort_keys=True, default=str).encode())
        h.update(b"\x1e")
    return h.hexdigest()


def _atomic_write(path: Path, write: Callable[[Path], object]) -> None:
    """Call ``write(tmp)`` on a temporary file next to ``path``, then rename it to ``path``."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    os.close(fd)
    try:
        write(Path(tmp))
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


class SweepStore:
    """A sweep's output folder (see the module docstring).

    Parameters
    ----------
    root
        The folder (created when missing).
    manifest
        What the sweep is: JSON-able, with at least ``chunks`` (the chunk plan).
    resume
        Keep the chunks already on disk (the manifest must match). Without it, a folder that
        already holds a sweep is refused, so that nothing is overwritten by accident.

    Checks the folder at once but writes nothing: the folder and its manifest are created
    with the first chunk (:meth:`prepare`).

    Raises
    ------
    InputError
        The folder holds another sweep (or, without ``resume``, any sweep).
    """

    def __init__(self, root: str | Path, manifest: dict[str, Any], *, resume: bool = False
                 ) -> None:
        self.root = Path(root)
        self.manifest = {"format": FORMAT, "version": VERSION, **manifest}
        self.manifest = json.loads(json.dumps(self.manifest, default=str))  # canonical form
        path = self.root / MANIFEST
        if path.exists():
            if not resume:
                raise InputError(f"{self.root} already holds a sweep: pass --resume to "
                                 "continue it, or choose another --out folder")
            try:
                old = json.loads(path.read_text())
            except (OSError, ValueError) as exc:
                raise InputError(f"cannot read {path}: {exc}") from None
            diff = _first_difference(old, self.manifest)
            if diff is not None:
                raise InputError(f"cannot resume: the sweep in {self.root} differs in {diff!r} "
                                 "(other scenario or parameters); use another --out folder")
            for stale in self.root.glob("chunks/.*.tmp"):  # left by a killed writer
                stale.unlink(missing_ok=True)
        self._prepared = False

    def prepare(self) -> None:
        """Create the folder and write the manifest (once; a resumed sweep's is kept)."""
        if self._prepared:
            return
        path = self.root / MANIFEST
        if not path.exists():
            self.root.mkdir(parents=True, exist_ok=True)
            _atomic_write(path, lambda p: p.write_text(json.dumps(self.manifest, indent=2)))
        (self.root / "chunks").mkdir(exist_ok=True)
        self._prepared = True

    # -- chunks -------------------------------------------------------------------------------
    def chunk_path(self, i: int) -> Path:
        """The file of chunk ``i``."""
        return self.root / "chunks" / f"chunk-{i:06d}.parquet"

    def done(self, chunks: Iterable[int]) -> set[int]:
        """Which of ``chunks`` have a complete, readable file."""
        out = set()
        for i in chunks:
            p = self.chunk_path(i)
            if p.exists():
                try:
                    pq.read_metadata(p)
                except Exception:
                    p.unlink(missing_ok=True)
                    continue
                out.add(i)
        return out

    def write_chunk(self, i: int, table: pd.DataFrame) -> None:
        """Write chunk ``i`` atomically (the manifest first, with the first chunk)."""
        self.prepare()
        _atomic_write(self.chunk_path(i), lambda p: table.to_parquet(p, index=False))

    def read_chunk(self, i: int) -> pd.DataFrame:
        """Read chunk ``i`` back, with text columns as ``object`` as the tasks return them
        (Parquet reads them as pandas strings), so resumed and uninterrupted sweeps give
        identical tables."""
        df = pd.read_parquet(self.chunk_path(i))
        for col in df.columns:
            if isinstance(df[col].dtype, pd.StringDtype):
                df[col] = df[col].astype(object)
        return df

    # -- combined results ---------------------------------------------------------------------
    def write_results(self, table: pd.DataFrame, summary: dict[str, Any]) -> list[Path]:
        """Write ``results.parquet``, ``results.csv`` and ``summary.json``; return the paths."""
        self.prepare()
        paths = [self.root / "results.parquet", self.root / "results.csv",
                 self.root / "summary.json"]
        _atomic_write(paths[0], lambda p: table.to_parquet(p, index=False))
        _atomic_write(paths[1], lambda p: table.to_csv(p, index=False))
        _atomic_write(paths[2], lambda p: p.write_text(
            json.dumps(summary, indent=2, default=_json_default, allow_nan=True)))
        return paths


def _json_default(x: Any) -> Any:
    if isinstance(x, np.generic):
        return x.item()
    return str(x)


def _first_difference(a: Any, b: Any, where: str = "") -> str | None:
    """Path of the first differing field of two JSON values (None when equal)."""
    if isinstance(a, dict) and isinstance(b, dict):
        for k in sorted(set(a) | set(b)):
            if k not in a or k not in b:
                return f"{where}{k}"
            d = _first_difference(a[k], b[k], f"{where}{k}.")
            if d is not None:
                return d
        return None
    if a != b:
        return where.rstrip(".") or "manifest"
    return None
