"""Property tests: the flow engine against NetworkX on random small networks.

Random directed networks of 2–12 nodes with parallel and antiparallel links, integer
capacities 0–20, float times, optional two-way (single or double track) links, node
handling capacities and dwell times, several sources and sinks. Every analysis is compared
with a NetworkX model built by hand from the documented semantics (node splitting, two-way
links as two arcs), not from chokepoint's compiled arrays.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import networkx as nx
import numpy as np
import pandas as pd
import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from chokepoint.analyses import fastest_route, max_flow, min_cost_flow, od_matrix
from chokepoint.network import Network
from chokepoint.units import Units
from conftest import incidence_balance

SETTINGS = settings(max_examples=80, deadline=None, derandomize=True)
FEW = settings(max_examples=40, deadline=None, derandomize=True)

S_STAR, T_STAR = ("super", "S"), ("super", "T")


@dataclass
class Case:
    """A random instance: the chokepoint network plus the raw description."""

    net: Network
    nodes: list[str]
    links: pd.DataFrame
    handling: dict[str, float]
    dwell: dict[str, float]
    sources: list[str]
    sinks: list[str]


def build_case(links: list[dict[str, Any]], sources: list[str], sinks: list[str], *,
               handling: dict[str, float] | None = None) -> Case:
    """A hand-made :class:`Case` (used for explicit Hypothesis examples)."""
    frame = pd.DataFrame(links)
    nodes = list(dict.fromkeys([*frame["from"], *frame["to"]]))
    handling = handling or {}
    node_df = pd.DataFrame({"id": nodes,
                            "handling_capacity": [handling.get(v, math.inf) for v in nodes]})
    net = Network.from_frames(node_df, frame, units=Units.unitless())
    return Case(net, nodes, frame, handling, {}, sources, sinks)


# times: exact quarters (so min-cost comparisons are exact) or arbitrary floats
QUARTER_TIMES = st.integers(0, 40).map(lambda k: k / 4)
ANY_TIMES = st.one_of(st.just(0.0), QUARTER_TIMES, st.floats(0.01, 100.0))


@st.composite
def cases(
    draw: st.DrawFn,
    *,
    two_way: bool = True,
    node_caps: bool = True,
    times: st.SearchStrategy[float] = ANY_TIMES,
    all_single: bool = False,
    dwell: bool = True,
) -> Case:
    n = draw(st.integers(2, 12))
    nodes = [f"n{i}" for i in range(n)]
    pairs = st.tuples(st.integers(0, n - 1), st.integers(0, n - 1)).filter(lambda p: p[0] != p[1])
    base = draw(st.lists(pairs, min_size=1, max_size=3 * n))
    # add explicit parallel and antiparallel copies of some links
    extra = []
    for u, v in base:
        k = draw(st.integers(0, 5))
        if k == 0:
            extra.append((u, v))
        elif k == 1:
            extra.append((v, u))
    ends = base + extra
    rows = []
    for i, (u, v) in enumerate(ends):
        row: dict[str, Any] = {
            "id": f"L{i}", "from": nodes[u], "to": nodes[v],
            "capacity": float(draw(st.integers(0, 20))), "time_h": draw(times),
        }
        if all_single:
            row["direction"], row["track"] = "both", "single"
        elif two_way:
            row["direction"] = draw(st.sampled_from(["forward", "forward", "both"]))
            row["track"] = draw(st.sampled_from(["single", "double"]))
        rows.append(row)
    links = pd.DataFrame(rows)
    handling: dict[str, float] = {}
    dwell_h: dict[str, float] = {}
    if node_caps:
        for v in nodes:
            if draw(st.integers(0, 3)) == 0:
                handling[v] = float(draw(st.integers(0, 20)))
            if dwell and draw(st.integers(0, 4)) == 0:
                dwell_h[v] = draw(times.filter(lambda x: x > 0))
    node_df = pd.DataFrame({
        "id": nodes,
        "handling_capacity": [handling.get(v, math.inf) for v in nodes],
        "dwell_h": [dwell_h.get(v, 0.0) for v in nodes],
    })
    order = draw(st.permutations(nodes))
    n_src = draw(st.integers(1, max(1, n // 2)))
    n_snk = draw(st.integers(1, n - n_src))
    sources = list(order[:n_src])
    sinks = list(order[n_src:n_src + n_snk])
    net = Network.from_frames(node_df, links, units=Units.unitless())
    return Case(net, nodes, links, handling, dwell_h, sources, sinks)


def _arcs(case: Case) -> list[tuple[str, str, float, float, str]]:
    """(from, to, capacity, time, link id) per direction a link can be used in."""
    out = []
    for r in case.links.to_dict("records"):
        out.append((r["from"], r["to"], r["capacity"], r["time_h"], r["id"]))
        if r.get("direction", "forward") == "both":
            out.append((r["to"], r["from"], r["capacity"], r["time_h"], r["id"]))
    return out


def split_digraph(case: Case, *, weight_scale: float = 1.0) -> nx.DiGraph:
    """The node-split model: (i, v) -> (o, v) carries handling capacity and dwell."""
    g = nx.DiGraph()
    for v in case.nodes:
        attrs: dict[str, Any] = {"weight": case.dwell.get(v, 0.0) * weight_scale}
        if v in case.handling:
            attrs["capacity"] = case.handling[v]
        g.add_edge(("i", v), ("o", v), **attrs)
    for u, v, cap, t, _ in _arcs(case):
        a, b = ("o", u), ("i", v)
        if g.has_edge(a, b):
            g[a][b]["capacity"] += cap
            g[a][b]["weight"] = min(g[a][b]["weight"], t * weight_scale)
        else:
            g.add_edge(a, b, capacity=cap, weight=t * weight_scale)
    return g


def split_multidigraph(case: Case, *, weight_scale: float = 1.0) -> nx.MultiDiGraph:
    """As :func:`split_digraph` but keeping parallel arcs apart (for min-cost flow)."""
    g = nx.MultiDiGraph()
    for v in case.nodes:
        attrs: dict[str, Any] = {"weight": case.dwell.get(v, 0.0) * weight_scale}
        if v in case.handling:
            attrs["capacity"] = case.handling[v]
        g.add_edge(("i", v), ("o", v), **attrs)
    for u, v, cap, t, _ in _arcs(case):
        g.add_edge(("o", u), ("i", v), capacity=cap, weight=t * weight_scale)
    return g


def nx_max_flow(g: nx.DiGraph, sources: list[Any], sinks: list[Any]) -> float:
    h = g.copy()
    for s in sources:
        h.add_edge(S_STAR, s)
    for t in sinks:
        h.add_edge(t, T_STAR)
    return float(nx.maximum_flow_value(h, S_STAR, T_STAR))


def no_node_caps_digraph(case: Case) -> nx.DiGraph:
    """Plain model (no node splitting): parallel arcs merged by summing capacity."""
    g = nx.DiGraph()
    g.add_nodes_from(case.nodes)
    for u, v, cap, _, _ in _arcs(case):
        if g.has_edge(u, v):
            g[u][v]["capacity"] += cap
        else:
            g.add_edge(u, v, capacity=cap)
    return g


# -- max flow ----------------------------------------------------------------------------------
@SETTINGS
@given(cases(node_caps=False))
def test_max_flow_equals_cut_and_networkx(case: Case) -> None:
    c = case.net.compiled
    res = max_flow(c, case.sources, case.sinks)
    want = nx_max_flow(no_node_caps_digraph(case), case.sources, case.sinks)
    assert res.value == pytest.approx(want)
    assert res.cut_capacity == pytest.approx(res.value)
    # a feasible flow of that value
    assert np.all(res.arc_flow >= -1e-9)
    assert np.all(res.arc_flow <= c.capacity + 1e-9)
    bal = incidence_balance(c.tail, c.head, res.arc_flow, c.n_vertices)
    s_v = set(c.vertices(case.sources).tolist())
    t_v = set(c.vertices(case.sinks, side="out").tolist())
    for v in range(c.n_vertices):
        if v not in s_v and v not in t_v:
            assert bal[v] == pytest.approx(0.0, abs=1e-9), f"flow not conserved at vertex {v}"
    assert sum(bal[list(s_v)]) == pytest.approx(res.value)
    # cut arcs saturated
    np.testing.assert_allclose(res.arc_flow[res.cut_arcs], c.capacity[res.cut_arcs])


@SETTINGS
@given(cases(node_caps=True))
def test_min_cut_separates_sources_from_sinks(case: Case) -> None:
    c = case.net.compiled
    res = max_flow(c, case.sources, case.sinks)
    assert res.cut_capacity == pytest.approx(res.value)
    g = nx.DiGraph()
    g.add_nodes_from(range(c.n_vertices))
    cut = set(res.cut_arcs.tolist())
    for a in range(c.n_arcs):
        if c.capacity[a] > 0 and a not in cut:
            g.add_edge(int(c.tail[a]), int(c.head[a]))
    for s in c.vertices(case.sources):
        for t in c.vertices(case.sinks, side="out"):
            assert not nx.has_path(g, int(s), int(t)), "a path survives the minimum cut"
    # the same through the API: removing the cut arcs leaves no flow
    assert max_flow(c, case.sources, case.sinks, removed=res.cut_arcs).value == 0
    # the cut's ids account for its arcs
    for a in res.cut_arcs:
        if c.arc_link[a] >= 0:
            assert str(c.link_ids[c.arc_link[a]]) in res.cut_links
        else:
            assert str(c.node_ids[c.arc_node[a]]) in res.cut_nodes


@SETTINGS
@given(cases(node_caps=True))
def test_node_handling_capacity_by_splitting(case: Case) -> None:
    res = max_flow(case.net.compiled, case.sources, case.sinks)
    g = split_digraph(case)
    want = nx_max_flow(g, [("i", s) for s in case.sources], [("o", t) for t in case.sinks])
    assert res.value == pytest.approx(want)
    # flow through each handled node within its handling capacity
    for v, h in case.handling.items():
        assert res.node_flow[case.net.compiled.node_index[v]] <= h + 1e-9


@SETTINGS
@given(cases(all_single=True, node_caps=False))
def test_single_track_two_way_equals_undirected_edge(case: Case) -> None:
    res = max_flow(case.net.compiled, case.sources, case.sinks)
    und = nx.Graph()
    und.add_nodes_from(case.nodes)
    for r in case.links.to_dict("records"):
        u, v = r["from"], r["to"]
        if und.has_edge(u, v):
            und[u][v]["capacity"] += r["capacity"]
        else:
            und.add_edge(u, v, capacity=r["capacity"])
    d = und.to_directed()
    assert res.value == pytest.approx(nx_max_flow(d, case.sources, case.sinks))
    # double track offers the same single-commodity max flow
    double = case.net.with_links(case.net.links.assign(track="double"))
    assert max_flow(double.compiled, case.sources, case.sinks).value == pytest.approx(res.value)


@SETTINGS
@given(cases(all_single=True, node_caps=False))
def test_single_track_reported_flow_respects_shared_capacity(case: Case) -> None:
    """network.py: on one track "flow one way plus flow the other way is at most capacity".

    Max flow may offer the shared capacity to each direction, but the flow it reports must be
    realisable: the two directions of a single-track link together stay within capacity.
    """
    c = case.net.compiled
    res = max_flow(c, case.sources, case.sinks)
    fwd = np.flatnonzero(c.partner >= 0)
    fwd = fwd[fwd < c.partner[fwd]]
    both_ways = res.arc_flow[fwd] + res.arc_flow[c.partner[fwd]]
    over = both_ways > c.capacity[fwd] + 1e-9
    assert not over.any(), (
        f"single-track links {list(c.link_ids[c.arc_link[fwd[over]]])} carry "
        f"{both_ways[over].tolist()} in both directions together, over capacity "
        f"{c.capacity[fwd[over]].tolist()}"
    )


@FEW
@given(cases(node_caps=True), st.data())
def test_max_flow_with_removed_links_matches_networkx(case: Case, data: st.DataObject) -> None:
    ids = list(case.links["id"])
    gone = data.draw(st.lists(st.sampled_from(ids), max_size=len(ids), unique=True))
    c = case.net.compiled
    res = max_flow(c, case.sources, case.sinks, removed=c.arcs_of("link", gone))
    kept = Case(case.net, case.nodes, case.links[~case.links["id"].isin(gone)], case.handling,
                case.dwell, case.sources, case.sinks)
    want = nx_max_flow(split_digraph(kept), [("i", s) for s in case.sources],
                       [("o", t) for t in case.sinks])
    assert res.value == pytest.approx(want)


def test_unbounded_max_flow_is_inf(tiny_network: Any) -> None:
    net = tiny_network([("a", "s", "m", math.inf), ("b", "m", "t", math.inf),
                        ("c", "s", "t", 5)])
    assert max_flow(net.compiled, ["s"], ["t"]).value == math.inf
    finite = tiny_network([("a", "s", "m", math.inf), ("b", "m", "t", 7), ("c", "s", "t", 5)])
    assert max_flow(finite.compiled, ["s"], ["t"]).value == 12


def test_fractional_capacities_exact_to_milli_units(tiny_network: Any) -> None:
    net = tiny_network([("a", "s", "m", 1.25), ("b", "m", "t", 0.5), ("c", "s", "t", 0.125)])
    assert max_flow(net.compiled, ["s"], ["t"]).value == pytest.approx(0.625)


# -- routes ------------------------------------------------------------------------------------
@SETTINGS
@given(cases(node_caps=True), st.data())
def test_fastest_route_matches_networkx_dijkstra(case: Case, data: st.DataObject) -> None:
    c = case.net.compiled
    s = data.draw(st.sampled_from(case.nodes))
    t = data.draw(st.sampled_from(case.nodes))
    route = fastest_route(c, s, t)
    g = split_digraph(case)
    try:
        want = nx.dijkstra_path_length(g, ("i", s), ("o", t), weight="weight")
    except nx.NetworkXNoPath:
        want = math.inf
    if math.isinf(want):
        assert not route.found
        assert route.cost == math.inf
        return
    assert route.found
    assert route.cost == pytest.approx(want)
    # the returned path is a walk from s to t over the links it names
    assert route.nodes[0] == s
    assert route.nodes[-1] == t
    assert len(route.links) == len(route.nodes) - 1
    lk = case.net.links.set_index("id")
    for a, b, lid in zip(route.nodes[:-1], route.nodes[1:], route.links, strict=True):
        ends = {(lk.at[lid, "from"], lk.at[lid, "to"])}
        if lk.at[lid, "direction"] == "both":
            ends.add((lk.at[lid, "to"], lk.at[lid, "from"]))
        assert (a, b) in ends, f"link {lid} does not join {a} -> {b}"
    # recomputing the cost from the links and the dwell at the nodes visited
    recomputed = sum(lk.at[lid, "time_h"] for lid in route.links) + sum(
        case.dwell.get(v, 0.0) for v in route.nodes)
    assert recomputed == pytest.approx(route.cost)
    assert float(c.time_h[route.arcs].sum()) == pytest.approx(route.cost)
    assert route.time_h == pytest.approx(route.cost)


@FEW
@given(cases(node_caps=True), st.data())
def test_fastest_route_with_removed_links(case: Case, data: st.DataObject) -> None:
    ids = list(case.links["id"])
    gone = data.draw(st.lists(st.sampled_from(ids), max_size=len(ids), unique=True))
    s, t = case.nodes[0], case.nodes[-1]
    c = case.net.compiled
    route = fastest_route(c, s, t, removed=c.arcs_of("link", gone))
    kept = Case(case.net, case.nodes, case.links[~case.links["id"].isin(gone)], case.handling,
                case.dwell, case.sources, case.sinks)
    try:
        want = nx.dijkstra_path_length(split_digraph(kept), ("i", s), ("o", t))
    except nx.NetworkXNoPath:
        want = math.inf
    assert route.cost == pytest.approx(want)
    assert not set(route.links) & set(gone)


@SETTINGS
@given(cases(node_caps=True))
def test_od_matrix_matches_networkx_all_pairs(case: Case) -> None:
    c = case.net.compiled
    od = od_matrix(c, case.nodes, case.nodes)
    assert list(od.index) == case.nodes
    assert list(od.columns) == case.nodes
    g = split_digraph(case)
    for o in case.nodes:
        dist = nx.single_source_dijkstra_path_length(g, ("i", o), weight="weight")
        for d in case.nodes:
            want = dist.get(("o", d), math.inf)
            got = od.at[o, d]
            if math.isinf(want):
                assert math.isinf(got), f"{o}->{d}: expected unreachable, got {got}"
            else:
                assert got == pytest.approx(want), f"{o}->{d}"


def test_od_matrix_repeated_origins_and_subset(tiny_network: Any) -> None:
    net = tiny_network([("a", "x", "y", 1, {"time_h": 2.0}), ("b", "y", "z", 1, {"time_h": 3.0})])
    od = od_matrix(net.compiled, ["x", "y", "x"], ["z", "x"])
    assert list(od.index) == ["x", "y"]
    assert od.at["x", "z"] == 5.0
    assert od.at["y", "z"] == 3.0
    assert math.isinf(od.at["y", "x"])
    assert od.at["x", "x"] == 0.0


# -- min-cost flow -----------------------------------------------------------------------------
@st.composite
def mcf_cases(draw: st.DrawFn) -> tuple[Case, dict[str, float]]:
    case = draw(cases(node_caps=True, times=QUARTER_TIMES))
    n = len(case.nodes)
    order = draw(st.permutations(case.nodes))
    n_sup = draw(st.integers(1, max(1, n // 2)))
    n_dem = draw(st.integers(1, n - n_sup))
    sup = {v: float(draw(st.integers(1, 15))) for v in order[:n_sup]}
    dem_nodes = order[n_sup:n_sup + n_dem]
    total = int(sum(sup.values()))
    # split the total over the demand nodes (each at least 1 when possible)
    cuts = sorted(draw(st.lists(st.integers(0, total), min_size=len(dem_nodes) - 1,
                                max_size=len(dem_nodes) - 1)))
    parts = np.diff([0, *cuts, total])
    supplies = dict(sup)
    for v, p in zip(dem_nodes, parts, strict=True):
        if p:
            supplies[v] = -float(p)
    return case, supplies


@SETTINGS
@given(mcf_cases())
def test_min_cost_flow_matches_networkx(inst: tuple[Case, dict[str, float]]) -> None:
    case, supplies = inst
    c = case.net.compiled
    res = min_cost_flow(c, supplies, weight="time_h")
    g = split_multidigraph(case, weight_scale=4.0)  # quarters -> integer weights for networkx
    for v, q in supplies.items():
        key = ("i", v) if q > 0 else ("o", v)
        g.nodes[key]["demand"] = -q
    for e in g.edges(keys=True):
        g.edges[e]["weight"] = round(g.edges[e]["weight"])
    try:
        want = nx.min_cost_flow_cost(g, demand="demand", capacity="capacity", weight="weight")
    except nx.NetworkXUnfeasible:
        assert res.status == "infeasible"
        assert res.routed < res.requested
        return
    assert res.status == "optimal", "networkx found a feasible flow"
    assert res.cost == pytest.approx(want / 4.0)
    assert res.routed == pytest.approx(sum(q for q in supplies.values() if q > 0))
    # the flow is feasible and balanced
    assert np.all(res.arc_flow <= c.capacity + 1e-9)
    bal = incidence_balance(c.tail, c.head, res.arc_flow, c.n_vertices)
    want_bal = np.zeros(c.n_vertices)
    for v, q in supplies.items():
        want_bal[c.vertices([v], side="in" if q > 0 else "out")[0]] = q
    np.testing.assert_allclose(bal, want_bal, atol=1e-9)
    assert float(res.arc_flow @ c.time_h) == pytest.approx(res.cost)


# regression example: supply 2 over one arc of capacity 1 must route 1, not 0
@SETTINGS
@given(mcf_cases())
@example((build_case([{"id": "a", "from": "s", "to": "t", "capacity": 1.0, "time_h": 1.0}],
                     ["s"], ["t"]), {"s": 2.0, "t": -2.0}))
def test_min_cost_flow_infeasible_routes_the_max_flow(inst: tuple[Case, dict[str, float]]) -> None:
    case, supplies = inst
    c = case.net.compiled
    res = min_cost_flow(c, supplies, weight="hops")
    # the most that can be routed: max flow with supply/demand-limited terminal arcs
    g = split_digraph(case)
    for v, q in supplies.items():
        if q > 0:
            g.add_edge(S_STAR, ("i", v), capacity=q)
        else:
            g.add_edge(("o", v), T_STAR, capacity=-q)
    most = nx.maximum_flow_value(g, S_STAR, T_STAR)
    assert res.routed == pytest.approx(min(most, res.requested))
    assert (res.status == "optimal") == (most >= res.requested - 1e-9)
    assert res.unmet == pytest.approx(res.requested - res.routed)


def test_min_cost_infeasible_reports_most_that_can_be_routed(tiny_network: Any) -> None:
    """MinCostFlowResult: infeasible demand comes "with the largest quantity that can be routed
    and its cheapest routing"."""
    net = tiny_network([("a", "s", "t", 1, {"time_h": 1.0})])
    res = min_cost_flow(net.compiled, {"s": 2.0, "t": -2.0})
    assert res.status == "infeasible"
    assert res.routed == 1.0, f"1 of 2 can go over the capacity-1 arc; routed {res.routed}"
    assert res.unmet == 1.0
    assert res.arc_flow.tolist() == [1.0]
    assert res.cost == 1.0


def test_min_cost_unbalanced_supply_excess_stays(tiny_network: Any) -> None:
    net = tiny_network([("a", "s", "t", 10, {"time_h": 2.0})])
    res = min_cost_flow(net.compiled, {"s": 8.0, "t": -5.0})
    assert res.status == "optimal"
    assert res.requested == 5.0
    assert res.routed == 5.0
    assert res.cost == 10.0
    assert res.mean_cost == 2.0
