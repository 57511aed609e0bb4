"""Topology building from GIS lines: snapping, splitting, merging, attributes, bad input."""

from __future__ import annotations

from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pyogrio
import pytest
import shapely

from chokepoint.errors import InputError
from chokepoint.io.topology import (
    apply_attribute_table,
    lines_to_network,
    read_lines,
    structure_groups,
    write_network,
)

L = shapely.linestrings


def _nan_line() -> shapely.LineString:
    with np.errstate(invalid="ignore"):
        return L([[0, 0], [np.nan, 1]])


def cross_layer() -> gpd.GeoDataFrame:
    """a-b-d along the equator (b, d continue a), c branches off a's middle vertex, and a
    tunnel t passes under a without a shared vertex."""
    return gpd.GeoDataFrame(
        {"id": ["a", "b", "c", "d", "t"], "tunnel": [None, None, None, None, "yes"],
         "geometry": [L([[0, 0], [0.01, 0], [0.02, 0]]), L([[0.02, 0], [0.03, 0]]),
                      L([[0.01, 0.0000001], [0.01, 0.01]]), L([[0.03, 0], [0.04, 0]]),
                      L([[0.015, -0.01], [0.015, 0.01]])]},
        crs="EPSG:4326")


def test_split_at_real_junction_not_under_tunnel_and_merge() -> None:
    net, rep = lines_to_network(cross_layer())
    lk = net.links.set_index("id")
    assert set(lk.index) == {"a-0", "a-1", "c", "t"}
    assert lk.loc["t", "structure"] == "tunnel"
    assert lk.loc["t", "group"] == "tunnel:t"
    # a is split at the junction with c; the tunnel crossing does not split it
    assert lk.loc["a-0", "to"] == lk.loc["a-1", "from"] == lk.loc["c", "from"]
    # b and d merged into a's second half (attributes agree)
    assert rep.counts["merged_away"] == 2
    assert lk.loc["a-1", "length_km"] == pytest.approx(3 * 1.11319, rel=1e-3)
    assert rep.n_components == 2
    assert rep.component_sizes == [4, 2]
    assert len(rep.fallback_links) == 4  # no usage/tracks: rail default
    assert net.units.base == "t/day"


def test_crossing_without_shared_vertex_is_not_split() -> None:
    g = gpd.GeoDataFrame(geometry=[L([[0, 0], [1, 1]]), L([[0, 1], [1, 0]])], crs="EPSG:4326")
    net, rep = lines_to_network(g)
    assert net.n_links == 2
    assert net.n_nodes == 4
    assert rep.n_components == 2


def test_shared_interior_vertex_splits_unless_structure() -> None:
    geoms = [L([[0, 0], [0.5, 0.5], [1, 1]]), L([[0, 1], [0.5, 0.5], [1, 0]])]
    net, _ = lines_to_network(gpd.GeoDataFrame(geometry=geoms, crs="EPSG:4326"))
    assert net.n_links == 4
    assert net.n_nodes == 5
    g = gpd.GeoDataFrame({"bridge": ["yes", "no"]}, geometry=geoms, crs="EPSG:4326")
    net, _ = lines_to_network(g)
    assert net.n_links == 2
    assert net.n_nodes == 4
    assert sorted(net.links["structure"]) == ["bridge", "none"]


def test_snap_tolerance_is_metres_in_any_crs() -> None:
    # UTM 33N, ends 0.5 m apart
    g = gpd.GeoDataFrame(geometry=[L([[500000, 6000000], [501000, 6000000]]),
                                   L([[501000.5, 6000000], [502000, 6000000]])], crs="EPSG:32633")
    net, _ = lines_to_network(g, tolerance_m=1.0, merge=False)
    assert net.n_nodes == 3
    net, _ = lines_to_network(g, tolerance_m=0.1, merge=False)
    assert net.n_nodes == 4
    assert net.links["length_km"].sum() == pytest.approx(2.0, rel=2e-3)
    # same in degrees near the pole: 0.5 m east at 80 N
    dlon = 0.5 / (111_319.49 * np.cos(np.radians(80)))
    g = gpd.GeoDataFrame(geometry=[L([[10, 80], [10.1, 80]]), L([[10.1 + dlon, 80], [10.2, 80]])],
                         crs="EPSG:4326")
    assert lines_to_network(g, tolerance_m=1.0, merge=False)[0].n_nodes == 3
    assert lines_to_network(g, tolerance_m=0.3, merge=False)[0].n_nodes == 4


def test_geodesic_length() -> None:
    g = gpd.GeoDataFrame(geometry=[L([[0, 0], [1, 0]]), L([[0, 60], [0, 61]])], crs="EPSG:4326")
    net, _ = lines_to_network(g)
    assert sorted(net.links["length_km"].round(2)) == [111.32, 111.42]  # equator, meridian at 60 N


def test_t_junction_inserts_a_node() -> None:
    g = gpd.GeoDataFrame(geometry=[L([[0, 0], [0.02, 0]]), L([[0.01, 0.005], [0.01, 0.000002]])],
                         crs="EPSG:4326")
    net, _ = lines_to_network(g, tolerance_m=1.0)
    assert net.n_links == 3
    assert net.n_nodes == 4
    far = gpd.GeoDataFrame(geometry=[L([[0, 0], [0.02, 0]]), L([[0.01, 0.005], [0.01, 0.0001]])],
                           crs="EPSG:4326")
    assert lines_to_network(far, tolerance_m=1.0)[0].n_links == 2


def test_merge_only_when_attributes_agree() -> None:
    geoms = [L([[0, 0], [0.1, 0]]), L([[0.1, 0], [0.2, 0]]), L([[0.2, 0], [0.3, 0]])]
    g = gpd.GeoDataFrame({"usage": ["main", "main", "branch"]}, geometry=geoms, crs="EPSG:4326")
    net, rep = lines_to_network(g)
    assert net.n_links == 2
    assert rep.counts["merged_away"] == 1
    assert sorted(net.links["usage"]) == ["branch", "main"]
    merged = net.links.set_index("usage").loc["main"]
    assert len(shapely.get_coordinates(merged["geometry"])) == 3
    net, _ = lines_to_network(g, merge=False)
    assert net.n_links == 3


def test_ring_is_cut_and_loop_not_made() -> None:
    ring = L([[0, 0], [0.1, 0], [0.1, 0.1], [0, 0.1], [0, 0]])
    net, _ = lines_to_network(gpd.GeoDataFrame(geometry=[ring], crs="EPSG:4326"))
    assert (net.links["from"] != net.links["to"]).all()
    assert net.links["length_km"].sum() == pytest.approx(44.4, rel=0.01)


def test_zero_length_and_duplicates_reported() -> None:
    g = gpd.GeoDataFrame({"id": ["a", "dup", "zero"]},
                         geometry=[L([[0, 0], [0.1, 0]]), L([[0.1, 0], [0, 0]]),
                                   L([[0.05, 0.05], [0.05, 0.0500001]])], crs="EPSG:4326")
    net, rep = lines_to_network(g, tolerance_m=1.0)
    assert list(net.links["id"]) == ["a"]
    probs = rep.issues_frame().set_index("feature")["problem"]
    assert probs["dup"].startswith("duplicate")
    assert probs["zero"].startswith("zero-length")
    assert rep.counts["duplicates_dropped"] == 1
    assert rep.counts["zero_length_dropped"] == 1


def test_parallel_tracks_between_same_nodes_are_kept() -> None:
    g = gpd.GeoDataFrame(geometry=[L([[0, 0], [0.1, 0]]), L([[0, 0], [0.05, 0.001], [0.1, 0]])],
                         crs="EPSG:4326")
    net, rep = lines_to_network(g, merge=False)
    assert net.n_links == 2
    assert rep.counts["duplicates_dropped"] == 0


def test_nodes_layer_splits_and_names() -> None:
    g = gpd.GeoDataFrame(geometry=[L([[0, 0], [0.02, 0]])], crs="EPSG:4326")
    st = gpd.GeoDataFrame({"id": ["S1", "S2"], "name": ["Mid", "Far"]},
                          geometry=shapely.points([[0.01, 0.0005], [5, 5]]), crs="EPSG:4326")
    net, rep = lines_to_network(g, nodes=st, node_tolerance_m=100)
    nd = net.nodes.set_index("id")
    assert nd.loc["S1", "name"] == "Mid"
    assert nd.loc["S1", "kind"] == "station"
    assert nd.loc["S1", "lat"] == pytest.approx(0.0, abs=1e-9)  # put on the track
    assert "S2" in nd.index  # kept as an isolated node, reported
    assert net.n_links == 2
    assert any("farther" in i["problem"] for i in rep.issues)


def test_attribute_table_and_fallbacks() -> None:
    geoms = [L([[0, 0], [1, 0]]), L([[0, 1], [1, 1]]), L([[0, 2], [1, 2]])]
    g = gpd.GeoDataFrame({"usage": ["main", "branch", None], "tracks": [2, 1, None],
                          "electrified": ["contact_line", "no", None],
                          "maxspeed": ["160", None, "50 mph"]}, geometry=geoms, crs="EPSG:4326")
    net, rep = lines_to_network(g)
    lk = net.links.sort_values("id").reset_index(drop=True)
    assert list(lk["capacity"]) == [160_000.0, 30_000.0, 60_000.0]
    assert list(lk["track"]) == ["double", "single", "double"]
    assert lk["time_h"][0] == pytest.approx(lk["length_km"][0] / 160)
    assert lk["time_h"][2] == pytest.approx(lk["length_km"][2] / (50 * 1.609344))
    assert rep.fallback_links == [lk["id"][2]]
    table = [{"mode": "rail", "usage": "branch", "capacity": 5, "speed_kmh": 10,
              "track": "single"}]
    net, rep = lines_to_network(g, attribute_table=table)
    assert sorted(net.links["capacity"]) == [5.0, 60_000.0, 160_000.0]
    frame, fb = apply_attribute_table(pd.DataFrame({"mode": ["sea"], "length_km": [26.0]}))
    assert frame["time_h"][0] == pytest.approx(1.0)
    assert np.isinf(frame["capacity"][0])
    assert fb.tolist() == [True]


def test_structure_groups_parallel_tracks() -> None:
    dy = 5 / 111_320  # 5 m apart
    links = pd.DataFrame({
        "id": ["t1", "t2", "x", "y"], "from": ["a", "c", "e", "g"], "to": ["b", "d", "f", "h"],
        "structure": ["tunnel", "tunnel", "tunnel", "none"],
        "geometry": [L([[0, 0], [0.01, 0]]), L([[0, dy], [0.01, dy]]),
                     L([[0.005, -0.01], [0.005, 0.01]]), L([[0, 0.1], [0.01, 0.1]])]})
    g = structure_groups(links, gap_m=30)
    assert g[0] == g[1] == "tunnel:t1"
    assert g[2] == "tunnel:x"  # crosses, does not run alongside
    assert g[3] == "y"


@pytest.mark.parametrize(("frame", "msg"), [
    (gpd.GeoDataFrame(geometry=[], crs="EPSG:4326"), "empty"),
    (gpd.GeoDataFrame(geometry=[L([[0, 0], [1, 1]])]), "no CRS"),
    (gpd.GeoDataFrame(geometry=[shapely.Point(0, 0)], crs="EPSG:4326"), "not a line"),
    (gpd.GeoDataFrame({"tracks": ["two"]}, geometry=[L([[0, 0], [1, 1]])], crs="EPSG:4326"),
     "must be a number"),
    (gpd.GeoDataFrame(geometry=[_nan_line()], crs="EPSG:4326"), "non-finite"),
    (gpd.GeoDataFrame(geometry=[None], crs="EPSG:4326"), "empty or missing"),
])
def test_strict_errors_name_layer_and_feature(frame: gpd.GeoDataFrame, msg: str) -> None:
    with pytest.raises(InputError, match=msg) as e:
        lines_to_network(frame, layer="rail", source="f.gpkg")
    assert "f.gpkg" in str(e.value)
    if msg not in ("empty", "no CRS"):
        assert "layer 'rail', feature 0" in str(e.value)


def test_lenient_drops_and_reports() -> None:
    g = gpd.GeoDataFrame({"tracks": ["two", 1, 1]},
                         geometry=[L([[0, 0], [1, 1]]), shapely.Point(0, 0), L([[2, 2], [3, 3]])])
    net, rep = lines_to_network(g, strict=False, layer="rail")
    assert net.n_links == 2
    issues = rep.issues_frame()
    assert set(issues["problem"]) == {"not a line geometry", "column 'tracks' is not a number",
                                      "no CRS; coordinates look like lon/lat, assumed EPSG:4326"}
    assert issues.set_index("problem").loc["not a line geometry", "feature"] == "1"


def test_multilines_exploded_and_antimeridian() -> None:
    g = gpd.GeoDataFrame(geometry=[shapely.MultiLineString([[[179, 0], [180, 0]],
                                                            [[180, 0], [181, 0]]])],
                         crs="EPSG:4326")
    net, _ = lines_to_network(g)
    assert net.n_links == 1
    assert net.links["length_km"].iloc[0] == pytest.approx(2 * 111.32, rel=1e-3)
    assert net.nodes["lon"].between(-180, 180).all()


@pytest.mark.parametrize("suffix", [".gpkg", ".geojson", ".shp", ".parquet"])
def test_read_lines_formats(tmp_path: Path, suffix: str) -> None:
    g = cross_layer()
    p = tmp_path / f"lines{suffix}"
    if suffix == ".parquet":
        g.to_parquet(p)
    else:
        g.to_file(p, engine="pyogrio")
    net, rep = read_lines(p)
    assert net.n_links == 4
    assert rep.n_components == 2


def test_read_lines_gpkg_with_nodes_layer_and_bbox(tmp_path: Path) -> None:
    p = tmp_path / "net.gpkg"
    cross_layer().to_file(p, layer="links", engine="pyogrio")
    gpd.GeoDataFrame({"id": ["ST"], "name": ["Junction"]}, geometry=[shapely.Point(0.01, 0)],
                     crs="EPSG:4326").to_file(p, layer="nodes", engine="pyogrio")
    net, _ = read_lines(p)
    assert net.nodes.set_index("id").loc["ST", "name"] == "Junction"
    net, _ = read_lines(p, bbox=(0.025, -1, 1, 1))
    assert net.n_links == 1  # only b and d, merged


def test_read_lines_errors(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="no such file"):
        read_lines(tmp_path / "missing.gpkg")
    bad = tmp_path / "bad.geojson"
    bad.write_text("not json")
    with pytest.raises(InputError, match="cannot read"):
        read_lines(bad)


@pytest.mark.parametrize("suffix", [".gpkg", ".parquet", ".geojson", ".csv"])
def test_write_network_reads_back(tmp_path: Path, suffix: str) -> None:
    g = cross_layer()
    g.loc[len(g)] = ["e", None, shapely.Point(5, 5)]
    net, rep = lines_to_network(g, strict=False)
    out = tmp_path / f"net{suffix}"
    write_network(net, out, report=rep)
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".")] == []
    if suffix == ".gpkg":
        layers = dict(pyogrio.list_layers(out))
        assert {"links", "nodes", "issues"} <= set(layers)
        back = pyogrio.read_dataframe(out, layer="links")
        assert back.crs.to_epsg() == 4326
        assert len(back) == net.n_links
        assert len(pyogrio.read_dataframe(out, layer="issues")) == 1
        nodes = pyogrio.read_dataframe(out, layer="nodes")
        assert len(nodes) == net.n_nodes
    elif suffix == ".parquet":
        back = gpd.read_parquet(out)
        assert back.crs.to_epsg() == 4326
        assert len(back) == net.n_links
        assert len(gpd.read_parquet(tmp_path / "net.nodes.parquet")) == net.n_nodes
    elif suffix == ".geojson":
        back = pyogrio.read_dataframe(out)
        assert len(back) == net.n_links + net.n_nodes
    else:
        assert len(pd.read_csv(out)) == net.n_links


def test_write_network_unknown_suffix_writes_nothing(tmp_path: Path) -> None:
    net, _ = lines_to_network(cross_layer())
    with pytest.raises(InputError, match="unknown output"):
        write_network(net, tmp_path / "x.xyz")
    assert list(tmp_path.iterdir()) == []
