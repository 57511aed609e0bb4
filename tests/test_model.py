"""The network model: compiled arrays, failure groups, conversions and network files."""

from __future__ import annotations

import math
import warnings
from pathlib import Path

import networkx as nx
import numpy as np
import pandas as pd
import pytest

from chokepoint.analyses import fastest_route, max_flow
from chokepoint.errors import InputError
from chokepoint.io import load
from chokepoint.network import LINK_COLUMNS, NODE_COLUMNS, Network
from chokepoint.units import Units
from conftest import make_network

MODEL_LINK_COLUMNS = list(LINK_COLUMNS)
MODEL_NODE_COLUMNS = list(NODE_COLUMNS)


def corridor() -> Network:
    """Four nodes: a one-way link, a double-track and a single-track two-way link, one split
    node (handling capacity), one dwell-only node, and failure groups on links and a node."""
    nodes = pd.DataFrame({
        "id": ["A", "B", "C", "D"],
        "name": ["Alpha", "", "Charlie", ""],
        "lon": [10.0, 11.0, 12.0, 13.0],
        "lat": [50.0, 50.5, 51.0, 51.5],
        "handling_capacity": [np.inf, 7.0, np.inf, np.inf],
        "dwell_h": [0.0, 1.5, 2.0, 0.0],
        "group": ["", "", "port", ""],
    })
    links = pd.DataFrame({
        "id": ["ab", "bc", "cd", "ad"],
        "from": ["A", "B", "C", "A"],
        "to": ["B", "C", "D", "D"],
        "capacity": [10.0, 5.0, 8.0, 1.0],
        "time_h": [1.0, 2.0, 3.0, 20.0],
        "length_km": [100.0, 150.0, 200.0, 900.0],
        "direction": ["forward", "both", "both", "forward"],
        "track": ["double", "double", "single", "double"],
        "structure": ["none", "tunnel", "bridge", "none"],
        "group": ["", "", "valley", "valley"],
    })
    return Network.from_frames(nodes, links, units=Units.unitless(), name="corridor")


# -- defaults and compile ----------------------------------------------------------------------
def test_from_frames_fills_defaults() -> None:
    net = make_network([("x", "a", "b", 3)])
    assert list(net.nodes["id"]) == ["a", "b"]
    assert list(net.nodes["name"]) == ["a", "b"]
    assert set(MODEL_NODE_COLUMNS) <= set(net.nodes.columns)
    assert set(MODEL_LINK_COLUMNS) <= set(net.links.columns)
    row = net.links.iloc[0]
    assert row["direction"] == "forward"
    assert row["track"] == "double"
    assert row["mode"] == "rail"
    assert row["group"] == "x"
    assert row["name"] == "x"
    assert math.isnan(row["time_h"])
    assert net.nodes["handling_capacity"].iloc[0] == math.inf


def test_links_without_ids_are_numbered() -> None:
    net = Network.from_frames(None, pd.DataFrame({"from": ["a", "b"], "to": ["b", "c"]}))
    assert list(net.links["id"]) == ["L0", "L1"]
    assert list(net.links["capacity"]) == [math.inf, math.inf]


def test_compiled_arc_counts() -> None:
    net = corridor()
    c = net.compiled
    # 4 links, 2 reverse arcs (bc, cd), 2 split nodes (B: handling, C: dwell)
    assert c.n_nodes == 4
    assert c.n_vertices == 6
    assert c.n_arcs == 4 + 2 + 2
    assert list(c.arc_link) == [0, 1, 2, 3, 1, 2, -1, -1]
    assert list(c.arc_node) == [-1] * 6 + [1, 2]
    # out-vertices of split nodes follow the real nodes
    assert list(c.out_vertex) == [0, 4, 5, 3]
    assert list(c.vertex_node) == [0, 1, 2, 3, 1, 2]
    # arcs leave out-vertices and enter in-vertices
    assert list(c.tail) == [0, 4, 5, 0, 5, 3, 1, 2]
    assert list(c.head) == [1, 2, 3, 3, 1, 2, 4, 5]
    # single-track cd: its two arcs are partners; nothing else is
    assert c.partner[2] == 5
    assert c.partner[5] == 2
    assert np.count_nonzero(c.partner >= 0) == 2
    np.testing.assert_array_equal(c.capacity, [10, 5, 8, 1, 5, 8, 7, np.inf])
    np.testing.assert_array_equal(c.time_h, [1, 2, 3, 20, 2, 3, 1.5, 2.0])
    np.testing.assert_array_equal(c.length_km, [100, 150, 200, 900, 150, 200, 0, 0])
    assert net.compiled is c, "the compiled form is cached"


@pytest.mark.parametrize(("direction", "track", "arcs", "partners"), [
    ("forward", "double", 1, 0),
    ("forward", "single", 1, 0),
    ("both", "double", 2, 0),
    ("both", "single", 2, 2),
])
def test_arcs_per_link_kind(direction: str, track: str, arcs: int, partners: int) -> None:
    c = make_network([("x", "a", "b", 3, {"direction": direction, "track": track})]).compiled
    assert c.n_arcs == arcs
    assert np.count_nonzero(c.partner >= 0) == partners


def test_split_nodes_count() -> None:
    nodes = [{"id": "a", "handling_capacity": 1.0}, {"id": "b", "dwell_h": 1.0}, {"id": "c"}]
    c = make_network([("x", "a", "b", 3), ("y", "b", "c", 3)], nodes=nodes).compiled
    assert c.n_vertices == 5
    assert c.n_arcs == 4
    assert list(c.arc_node[2:]) == [0, 1]


def test_weights_and_missing_weight() -> None:
    c = corridor().compiled
    np.testing.assert_array_equal(c.weights("hops"), [1, 1, 1, 1, 1, 1, 0, 0])
    np.testing.assert_array_equal(c.weights("length_km"), c.length_km)
    with pytest.raises(InputError, match="unknown weight"):
        c.weights("speed")
    with pytest.raises(InputError) as info:
        c.weights("cost")
    assert "link 'ab'" in str(info.value)


def test_csr_keeps_lightest_parallel_arc_and_zero_weights() -> None:
    net = make_network([("slow", "a", "b", 1, {"time_h": 5.0}),
                        ("fast", "a", "b", 1, {"time_h": 0.0}),
                        ("on", "b", "c", 1, {"time_h": 2.0})])
    c = net.compiled
    r = fastest_route(c, "a", "c")
    assert r.cost == 2.0
    assert r.links == ["fast", "on"]
    r = fastest_route(c, "a", "c", removed=c.arcs_of("link", ["fast"]))
    assert r.cost == 7.0
    assert r.links == ["slow", "on"]


def test_summary_and_describe() -> None:
    net = corridor()
    s = net.summary()
    assert s["nodes"] == 4
    assert s["links"] == 4
    assert s["structures"] == {"tunnel": 1, "bridge": 1}
    assert s["length_km"] == 1350.0
    assert s["failure_groups"] == 4  # ab, bc, valley, port
    assert net.describe("A") == "Alpha"
    assert net.describe("bc") == "bc"
    assert net.describe("valley") == "valley"
    assert net.node_name("C") == "Charlie"


# -- failure groups ----------------------------------------------------------------------------
def test_groups() -> None:
    net = corridor()
    assert net.groups() == {"ab": ["ab"], "bc": ["bc"], "valley": ["cd", "ad"], "port": ["C"]}
    assert net.element_ids("group") == ["ab", "bc", "valley", "port"]
    assert net.element_ids("link") == ["ab", "bc", "cd", "ad"]
    assert net.element_ids("node") == ["A", "B", "C", "D"]
    c = net.compiled
    assert list(c.group_ids) == ["ab", "bc", "valley", "port"]
    assert list(c.link_group) == [0, 1, 2, 2]
    assert list(c.node_group) == [-1, -1, 3, -1]
    assert list(c.arc_group) == [0, 1, 2, 2, 1, 2, -1, 3]


def test_arcs_of() -> None:
    c = corridor().compiled
    assert c.arcs_of("link", ["bc"]).tolist() == [1, 4]
    assert c.arcs_of("link", ["ab", "ad"]).tolist() == [0, 3]
    # a failed node loses every arc touching either of its vertices, its handling arc too
    assert c.arcs_of("node", ["B"]).tolist() == [0, 1, 4, 6]
    assert c.arcs_of("node", ["A"]).tolist() == [0, 3]
    # a group: its links and everything at its nodes
    assert c.arcs_of("group", ["valley"]).tolist() == [2, 3, 5]
    assert c.arcs_of("group", ["port"]).tolist() == [1, 2, 4, 5, 7]
    for kind, bad in (("link", "zz"), ("node", "zz"), ("group", "zz")):
        with pytest.raises(InputError, match="zz"):
            c.arcs_of(kind, [bad])
    with pytest.raises(ValueError, match="kind"):
        c.arcs_of("thing", ["ab"])


def test_resolve() -> None:
    c = corridor().compiled
    assert c.resolve("ab") == ("link", "ab")
    assert c.resolve("A") == ("node", "A")
    assert c.resolve("valley") == ("group", "valley")
    with pytest.raises(InputError, match="nope"):
        c.resolve("nope")


def test_group_failure_in_max_flow() -> None:
    net = corridor()
    c = net.compiled
    assert max_flow(c, ["A"], ["D"]).value == 1 + 5  # ad, and ab->B(7)->bc(5)->cd(8)
    assert max_flow(c, ["A"], ["D"], removed=c.arcs_of("group", ["valley"])).value == 0
    assert max_flow(c, ["A"], ["D"], removed=c.arcs_of("group", ["port"])).value == 1
    res = max_flow(c, ["A"], ["D"])
    assert res.cut_capacity == res.value
    assert set(res.cut_links) == {"ad", "bc"}
    assert set(res.cut_groups) == {"valley", "bc"}


def test_node_handling_in_max_flow_and_cut_nodes() -> None:
    net = corridor().with_links(corridor().links.assign(capacity=[10.0, 50.0, 80.0, 0.0]))
    res = max_flow(net.compiled, ["A"], ["D"])
    assert res.value == 7
    assert res.cut_nodes == ["B"]
    assert res.node_flow[1] == 7


# -- GeoDataFrames -----------------------------------------------------------------------------
def _assert_tables_equal(a: Network, b: Network) -> None:
    pd.testing.assert_frame_equal(a.nodes[MODEL_NODE_COLUMNS].reset_index(drop=True),
                                  b.nodes[MODEL_NODE_COLUMNS].reset_index(drop=True),
                                  check_dtype=False)
    pd.testing.assert_frame_equal(a.links[MODEL_LINK_COLUMNS].reset_index(drop=True),
                                  b.links[MODEL_LINK_COLUMNS].reset_index(drop=True),
                                  check_dtype=False)


def test_geodataframe_round_trip() -> None:
    pytest.importorskip("geopandas")
    net = corridor()
    gn, gl = net.to_geodataframes()
    assert gn.crs.to_epsg() == 4326
    assert gl.crs.to_epsg() == 4326
    assert len(gn) == 4
    assert len(gl) == 4
    assert list(gl.geometry.iloc[0].coords) == [(10.0, 50.0), (11.0, 50.5)]
    assert list(gn.geometry.iloc[2].coords) == [(12.0, 51.0)]
    back = Network.from_geodataframes(gn, gl, units=net.units)
    _assert_tables_equal(net, back)
    assert back.links["geometry"].iloc[0].equals(gl.geometry.iloc[0])


def test_to_geodataframes_with_stored_link_geometry() -> None:
    """A network whose link table already has geometry (from_geodataframes, or any GeoJSON /
    GeoPackage file) converts back to GeoDataFrames, keeping that geometry."""
    shapely = pytest.importorskip("shapely")
    net = corridor()
    gn, gl = net.to_geodataframes()
    curved = shapely.LineString([(10.0, 50.0), (10.2, 50.4), (11.0, 50.5)])
    gl.loc[0, "geometry"] = curved
    back = Network.from_geodataframes(gn, gl, units=net.units)
    gn2, gl2 = back.to_geodataframes()
    assert gl2.geometry.iloc[0].equals(curved)
    assert gl2.geometry.iloc[1].equals(gl.geometry.iloc[1])
    _assert_tables_equal(net, Network.from_geodataframes(gn2, gl2, units=net.units))


def test_geodataframe_reprojected_to_wgs84() -> None:
    pytest.importorskip("geopandas")
    net = corridor()
    gn, gl = net.to_geodataframes()
    back = Network.from_geodataframes(gn.to_crs("EPSG:3857"), gl.to_crs("EPSG:3857"))
    np.testing.assert_allclose(back.nodes["lon"], net.nodes["lon"])
    np.testing.assert_allclose(back.nodes["lat"], net.nodes["lat"])


def test_geodataframes_of_a_network_without_coordinates() -> None:
    """Networks from CSV or DIMACS files have no coordinates; converting them to
    GeoDataFrames must not warn nor make lines out of NaN coordinates."""
    pytest.importorskip("geopandas")
    net = make_network([("x", "a", "b", 1)])
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        try:
            _gn, gl = net.to_geodataframes()
        except RuntimeWarning as w:
            pytest.fail(f"to_geodataframes warned on a network without coordinates: {w}")
    geom = gl.geometry.iloc[0]
    assert geom is None or geom.is_empty or not np.isnan(np.asarray(geom.coords)).any()


# -- NetworkX ----------------------------------------------------------------------------------
def test_networkx_round_trip() -> None:
    net = corridor()
    g = net.to_networkx()
    assert isinstance(g, nx.MultiDiGraph)
    assert g.number_of_nodes() == 4
    assert g.number_of_edges() == 4
    assert g.edges["B", "C", "bc"]["direction"] == "both"
    assert g.nodes["B"]["handling_capacity"] == 7.0
    back = Network.from_networkx(g)
    assert back.units is net.units
    assert back.name == "corridor"
    # the link order comes back too (kept in the graph's ``link_order`` attribute)
    assert list(back.links["id"]) == list(net.links["id"])
    _assert_tables_equal(net, back)
    assert max_flow(back.compiled, ["A"], ["D"]).value == max_flow(net.compiled, ["A"],
                                                                    ["D"]).value


def test_from_undirected_networkx() -> None:
    g = nx.Graph()
    g.add_edge("a", "b", capacity=4)
    g.add_edge("b", "c", capacity=6)
    net = Network.from_networkx(g)
    assert list(net.links["direction"]) == ["both", "both"]
    assert max_flow(net.compiled, ["c"], ["a"]).value == 4


def test_from_networkx_capacity_attribute_name() -> None:
    g = nx.DiGraph()
    g.add_edge(1, 2, cap=3.0)
    net = Network.from_networkx(g, capacity="cap")
    assert list(net.nodes["id"]) == ["1", "2"]
    assert net.links["capacity"].iloc[0] == 3.0


def test_from_networkx_missing_capacity_means_unlimited() -> None:
    """from_networkx: "missing capacity means unlimited" — also when only some edges have one."""
    g = nx.DiGraph()
    g.add_edge("x", "y", capacity=3.0)
    g.add_edge("y", "z")
    try:
        net = Network.from_networkx(g)
    except InputError as e:
        pytest.fail(f"an edge without capacity was rejected: {e}")
    assert list(net.links["capacity"]) == [3.0, math.inf]


# -- CSV link lists ----------------------------------------------------------------------------
@pytest.mark.parametrize("header", ["from,to", "source,target", "u,v", "tail,head",
                                    "From,To", "Source,Target"])
def test_csv_aliases(tmp_path: Path, header: str) -> None:
    p = tmp_path / "links.csv"
    p.write_text(f"{header},cap,time,length\na,b,5,1.5,10\nb,c,3,2,20\n")
    sc = load(p)
    net = sc.network
    assert sc.name == "links"
    assert list(net.links["from"]) == ["a", "b"]
    assert list(net.links["to"]) == ["b", "c"]
    assert list(net.links["capacity"]) == [5.0, 3.0]
    assert list(net.links["time_h"]) == [1.5, 2.0]
    assert list(net.links["length_km"]) == [10.0, 20.0]
    assert net.units.base == "unit"
    assert max_flow(net.compiled, ["a"], ["c"]).value == 3


def test_csv_source_column_is_provenance_when_from_is_present(tmp_path: Path) -> None:
    p = tmp_path / "links.csv"
    p.write_text("id,from,to,capacity,source,direction,track,group\n"
                 "x,a,b,5,OSM 2024,both,single,g1\n")
    net = load(p).network
    row = net.links.iloc[0]
    assert row["source"] == "OSM 2024"
    assert (row["from"], row["to"], row["direction"], row["track"], row["group"]) == (
        "a", "b", "both", "single", "g1")
    assert net.compiled.n_arcs == 2


def test_csv_without_capacity_is_unlimited(tmp_path: Path) -> None:
    p = tmp_path / "links.csv"
    p.write_text("from,to\na,b\n")
    assert load(p).network.links["capacity"].iloc[0] == math.inf


@pytest.mark.parametrize("header", ["from,to", "source,target", "u,v"])
def test_csv_node_ids_are_text(tmp_path: Path, header: str) -> None:
    """Node ids are text: '007' stays '007' whatever the endpoint columns are called."""
    p = tmp_path / "links.csv"
    p.write_text(f"{header},capacity\n007,010,1\n010,2,1\n")
    net = load(p).network
    assert list(net.links["from"]) == ["007", "010"], f"ids changed: {list(net.links['from'])}"
    assert list(net.links["to"]) == ["010", "2"]


# -- GIS files ---------------------------------------------------------------------------------
def _gdf_links() -> object:
    gpd = pytest.importorskip("geopandas")
    shapely = pytest.importorskip("shapely")
    return gpd.GeoDataFrame(
        {"id": ["ab", "bc"], "from": ["A", "B"], "to": ["B", "C"], "capacity": [4.0, 6.0],
         "time_h": [1.0, 2.0], "direction": ["forward", "both"]},
        geometry=[shapely.LineString([(0, 0), (1, 1)]), shapely.LineString([(1, 1), (2, 0)])],
        crs="EPSG:4326",
    )


def test_geojson_network_file(tmp_path: Path) -> None:
    pytest.importorskip("pyogrio")
    gl = _gdf_links()
    p = tmp_path / "lines.geojson"
    gl.to_file(p, driver="GeoJSON", engine="pyogrio")
    sc = load(p)
    net = sc.network
    assert sc.name == "lines"
    assert list(net.links["id"]) == ["ab", "bc"]
    assert list(net.links["capacity"]) == [4.0, 6.0]
    assert list(net.links["direction"]) == ["forward", "both"]
    assert sorted(net.nodes["id"]) == ["A", "B", "C"]
    assert max_flow(net.compiled, ["A"], ["C"]).value == 4
    assert list(net.links["geometry"].iloc[1].coords) == [(1.0, 1.0), (2.0, 0.0)]


def test_gpkg_network_file_with_nodes_layer(tmp_path: Path) -> None:
    pytest.importorskip("pyogrio")
    gpd = pytest.importorskip("geopandas")
    gl = _gdf_links()
    nodes = gpd.GeoDataFrame({"id": ["A", "B", "C"], "handling_capacity": [9.0, 2.0, 9.0]},
                             geometry=gpd.points_from_xy([0, 1, 2], [0, 1, 0]), crs="EPSG:4326")
    p = tmp_path / "net.gpkg"
    gl.to_file(p, layer="links", driver="GPKG", engine="pyogrio")
    nodes.to_file(p, layer="nodes", driver="GPKG", engine="pyogrio")
    net = load(p).network
    assert list(net.nodes["id"]) == ["A", "B", "C"]
    assert list(net.nodes["lon"]) == [0.0, 1.0, 2.0]
    assert list(net.nodes["lat"]) == [0.0, 1.0, 0.0]
    assert list(net.links["id"]) == ["ab", "bc"]
    # B's handling capacity of 2 binds
    assert max_flow(net.compiled, ["A"], ["C"]).value == 2


def test_gpkg_single_layer_in_projected_crs(tmp_path: Path) -> None:
    pytest.importorskip("pyogrio")
    gl = _gdf_links().to_crs("EPSG:3857")
    p = tmp_path / "single.gpkg"
    gl.to_file(p, layer="railways", driver="GPKG", engine="pyogrio")
    net = load(p).network
    assert list(net.links["id"]) == ["ab", "bc"]
    np.testing.assert_allclose(np.asarray(net.links["geometry"].iloc[0].coords),
                               [(0, 0), (1, 1)], atol=1e-9)


def test_gis_file_without_from_column(tmp_path: Path) -> None:
    pytest.importorskip("pyogrio")
    gl = _gdf_links().drop(columns="from")
    p = tmp_path / "bare.geojson"
    gl.to_file(p, driver="GeoJSON", engine="pyogrio")
    # bare lines without from/to: the topology is built (snap, split, merge) on loading
    net = load(p).network
    assert net.n_links >= 1
    assert {"from", "to"} <= set(net.links.columns)


def test_unreadable_gis_file(tmp_path: Path) -> None:
    pytest.importorskip("pyogrio")
    p = tmp_path / "junk.gpkg"
    p.write_text("not a geopackage")
    err = _load_error(p)
    assert "junk.gpkg" in str(err)


def _load_error(p: Path) -> InputError:
    """The InputError of loading ``p``; any other exception type fails the test."""
    try:
        load(p)
    except InputError as err:
        return err
    except Exception as err:  # the point: which exception type escapes
        pytest.fail(f"load({p.name}) raised {type(err).__name__} instead of InputError: {err}")
    pytest.fail(f"load({p.name}) accepted an unreadable file")
