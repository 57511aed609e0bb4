"""Single points of failure checked against the OSM-derived world railway graph.

A toy graph checks the method (parallel lines, a gap closed by snapping, a missing line, a
detour through another country is only named when a countries layer is given). The built-in
corridor's shipment single points of failure are then checked against the real graph in
``../shared`` (skipped when absent): none of them has a parallel line in Russia, and the
Amur bridge and tunnel at Khabarovsk, once one section, are each other's parallel.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from chokepoint.data import load_builtin
from chokepoint.io.scenario_file import read_scenario_text
from chokepoint.workflows.osm_check import (
    ABROAD,
    NO_PARALLEL,
    NOT_IN_OSM,
    PARALLEL,
    RailArrays,
    check_parallels,
    shipment_spofs,
)

#: Scenario nodes (lon, lat) and links (km) over the toy graph below.
TOY = """
version = 1
[units]
tonnes_per_train = 1000
[[nodes]]
id = "a"
lon = 10.0
lat = 50.0
[[nodes]]
id = "b"
lon = 10.2
lat = 50.0
[[nodes]]
id = "c"
lon = 10.4
lat = 50.0
[[nodes]]
id = "d"
lon = 10.4
lat = 50.5
[[links]]
id = "ab"
from = "a"
to = "b"
length_km = 15
capacity = 1
unit = "trains/day"
[[links]]
id = "bc"
from = "b"
to = "c"
length_km = 15
capacity = 1
unit = "trains/day"
[[links]]
id = "cd"
from = "c"
to = "d"
length_km = 60
capacity = 1
unit = "trains/day"
"""


def _toy_graph() -> RailArrays:
    """a - b by two lines (north and south); b - c by one line ending 0.7 km short of c, where
    another piece (a dead end eastwards) begins 0.7 km beyond it; nothing near d."""
    lon = np.array([10.0, 10.1, 10.1, 10.2, 10.39, 10.41, 10.5])
    lat = np.array([50.0, 50.02, 49.98, 50.0, 50.0, 50.0, 50.0])
    u = np.array([0, 1, 0, 2, 3, 5])
    v = np.array([1, 3, 2, 3, 4, 6])
    return RailArrays(lon, lat, u, v)


def test_toy_parallel_gap_and_missing_line() -> None:
    s = read_scenario_text(TOY)
    got = {r.element: r for r in check_parallels(s, ["ab", "bc", "cd"], graph=_toy_graph())}
    assert got["ab"].verdict == PARALLEL
    assert got["ab"].course_km is not None
    assert got["ab"].parallel_km == pytest.approx(got["ab"].course_km, rel=1e-2)
    assert got["bc"].verdict == NO_PARALLEL
    assert "joins 2 pieces" in got["bc"].reason
    assert got["cd"].verdict == NOT_IN_OSM
    assert "no vertex near its 'd' end" in got["cd"].reason


def test_toy_snap_radius_is_a_limit() -> None:
    s = read_scenario_text(TOY)
    (bc,) = check_parallels(s, ["bc"], graph=_toy_graph(), radius_km=0.5)
    assert bc.verdict == NOT_IN_OSM  # c is 0.7 km from both pieces: not joined within 0.5 km
    assert "nearest 0.7 km away" in bc.reason
    (ab,) = check_parallels(s, ["ab"], graph=_toy_graph(), max_ratio=1.0001)
    assert ab.verdict == NOT_IN_OSM  # the 15 km line vs a 14.97 km course: outside 1.0001


@pytest.fixture(scope="module")
def world(shared_dir: Path) -> tuple[RailArrays, Path]:
    raw = shared_dir / "data" / "raw"
    rail, ne = raw / "scgraph_world_railways", raw / "natural_earth"
    if not rail.is_dir() or not ne.is_dir():
        pytest.skip(f"world railway graph or Natural Earth not found under {raw}")
    return RailArrays.read(rail), ne / "ne_50m_admin_0_countries.geojson"


def test_corridor_spofs_have_no_parallel_line_in_russia(world: tuple[RailArrays, Path]) -> None:
    s = load_builtin()
    spofs = shipment_spofs(s)
    assert "volochaevka_khabarovsk" not in spofs  # the Amur crossing is split now
    assert {"amur_bridge", "amur_tunnel"}.isdisjoint(spofs)
    got = {r.element: r for r in check_parallels(s, spofs, graph=world[0], countries=world[1])}
    assert set(got) == set(spofs)
    assert all(r.verdict != PARALLEL for r in got.values()), {
        k: r.reason for k, r in got.items() if r.verdict == PARALLEL}
    assert got["smolyaninovo_ugolnaya"].verdict == NO_PARALLEL  # the Nakhodka line
    assert "'smolyaninovo' joins 2 pieces" in got["smolyaninovo_ugolnaya"].reason
    assert got["khabarovsk_ussuriysk"].verdict == ABROAD
    assert got["khabarovsk_ussuriysk"].countries == ("CHN",)
    assert got["dunai_smolyaninovo"].verdict == NOT_IN_OSM  # the branch is not in the graph
    assert got["sea_rajin_dunai"].verdict == NOT_IN_OSM


def test_amur_bridge_and_tunnel_are_each_others_parallel(world: tuple[RailArrays, Path]
                                                        ) -> None:
    s = load_builtin()
    for r in check_parallels(s, ["amur_bridge", "amur_tunnel"], graph=world[0],
                             countries=world[1]):
        assert r.verdict == PARALLEL, r
        assert r.parallel_km is not None
        assert r.course_km is not None
        assert r.parallel_km < 1.1 * r.course_km
