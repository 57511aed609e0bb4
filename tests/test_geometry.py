"""Track geometry of the built-in corridor: derived from the OSM world railway graph, shipped
in the package, carried to the GeoPackage, GeoJSON and maps."""

from __future__ import annotations

import json
from importlib import resources
from pathlib import Path

import numpy as np
import pytest

from chokepoint.data import builtin_geometry, load_builtin

#: A derived course must be within this factor of the scenario's ``length_km`` (both ways);
#: the derivation script keeps only such matches (docs/howto-report-and-map.md).
TOLERANCE = 1.35
EARTH_KM = 6371.0088


def _km(xy: np.ndarray) -> float:
    lon, lat = np.radians(xy[:, 0]), np.radians(xy[:, 1])
    a = (np.sin(np.diff(lat) / 2) ** 2
         + np.cos(lat[:-1]) * np.cos(lat[1:]) * np.sin(np.diff(lon) / 2) ** 2)
    return float(2 * EARTH_KM * np.arcsin(np.sqrt(a)).sum())


def test_geometry_file_is_attributed_and_matches_the_scenario() -> None:
    raw = json.loads((resources.files("chokepoint.data") / "corridor_geometry.geojson")
                     .read_text(encoding="utf-8"))
    assert "OpenStreetMap contributors" in raw["attribution"]
    assert "ODbL" in raw["attribution"]
    assert raw["tolerance"] == TOLERANCE
    s = load_builtin()
    ids = set(s.network.links["id"].astype(str))
    courses = builtin_geometry()
    assert set(courses) <= ids
    assert len(courses) >= 30  # most of the 42 links follow the railway
    assert not set(raw["straight"]) & set(courses)


def test_gpkg_links_have_track_geometry_within_tolerance(tmp_path: Path) -> None:
    pyogrio = pytest.importorskip("pyogrio", reason="the geo extra is not installed")
    pytest.importorskip("shapely", reason="the geo extra is not installed")
    from chokepoint.io.results import write_table
    from chokepoint.workflows.brief import brief

    s = load_builtin()
    b = brief(s, ranking=False)
    table = b.links.rename(columns={"id": "element"})[["element", "utilisation"]]
    path = write_table(table, tmp_path / "corridor.gpkg", s.network, kind="link",
                       links=b.links)
    links = pyogrio.read_dataframe(path, layer="links")
    assert {"utilisation", "flow", "in_min_cut"} <= set(links.columns)  # results ride along
    want = dict(zip(s.network.links["id"], s.network.links["length_km"], strict=True))
    attached = {str(i) for i, g in zip(s.network.links["id"], s.network.links["geometry"],
                                       strict=True) if g is not None}
    assert attached <= set(builtin_geometry())  # a stale course (moved ends) is not used
    tracked = 0
    for lid, geom in zip(links["id"], links.geometry, strict=True):
        xy = np.asarray(geom.coords)
        if lid not in attached:
            assert len(xy) == 2  # the straight-line fallback
            continue
        tracked += 1
        assert len(xy) > 2
        ratio = _km(xy) / want[lid]
        assert 1 / TOLERANCE <= ratio <= TOLERANCE, (lid, ratio)
    assert tracked == len(attached) >= 30


def test_geojson_links_follow_the_track() -> None:
    pytest.importorskip("shapely", reason="the geo extra is not installed")
    from chokepoint.io.results import geojson_links
    from chokepoint.workflows.brief import brief

    s = load_builtin()
    fc = geojson_links(s.network, brief(s, ranking=False).links)
    by_id = {f["properties"]["id"]: f["geometry"]["coordinates"] for f in fc["features"]}
    assert len(by_id["tayshet_irkutsk"]) > 20
    assert len(by_id["devils_bridge"]) == 2  # not in the railway graph: a straight line
