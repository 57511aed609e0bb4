"""Benchmark instances with known optima (shared/data/raw/flow_benchmarks).

The DIMACS files are the networkx test instances (gl1, gw1, wlm3 max flow with s=1, t=n;
netgen-2 min-cost flow); the Pyomo gallery max-flow interdiction example has max flow 80.
Besides the values, every max flow is checked for its certificate: value == cut capacity,
cut arcs saturated, reverse cut arcs empty, conservation at every non-terminal vertex.
"""

from __future__ import annotations

import csv
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from chokepoint.analyses import max_flow, min_cost_flow
from chokepoint.io import load
from chokepoint.network import Network
from chokepoint.units import Units
from conftest import incidence_balance

MAX_INSTANCES = {"gl1": 156545, "gw1": 1202018, "wlm3": 11875108}
NETGEN2_COST = 6749969302


@pytest.fixture(scope="module")
def known_values(flow_benchmarks: Path) -> dict[str, dict[str, str]]:
    with (flow_benchmarks / "known_values.csv").open(newline="") as f:
        return {row["instance"]: row for row in csv.DictReader(f)}


def _n_from_problem_line(path: Path) -> int:
    for line in path.read_text().splitlines():
        if line.startswith("p "):
            return int(line.split()[2])
    raise AssertionError(f"{path} has no problem line")


@pytest.mark.parametrize("name", sorted(MAX_INSTANCES))
def test_known_values_table_agrees(name: str, known_values: dict[str, dict[str, str]]) -> None:
    row = known_values[name]
    assert int(row["known_optimum"]) == MAX_INSTANCES[name]
    assert row["problem"] == "max_flow"


@pytest.mark.parametrize("name", sorted(MAX_INSTANCES))
def test_dimacs_max_flow_value_and_certificate(name: str, flow_benchmarks: Path) -> None:
    path = flow_benchmarks / "dimacs" / f"{name}.max"
    sc = load(path)
    n = _n_from_problem_line(path)
    # the n s / n t lines give s = 1, t = n
    assert sc.sources == ["1"]
    assert sc.sinks == [str(n)]
    c = sc.network.compiled
    assert c.n_nodes == n
    res = max_flow(c, sc.sources, sc.sinks)
    assert res.value == MAX_INSTANCES[name]
    # max-flow min-cut
    assert res.cut_capacity == pytest.approx(res.value, abs=0)
    cap = c.capacity
    flow = res.arc_flow
    # capacity respected, non-negative flow
    assert np.all(flow >= 0)
    assert np.all(flow <= cap + 1e-9)
    # the cut arcs are saturated and arcs back across the cut carry nothing
    assert len(res.cut_arcs) > 0
    np.testing.assert_allclose(flow[res.cut_arcs], cap[res.cut_arcs])
    side = res.source_side
    back = np.flatnonzero(~side[c.tail] & side[c.head])
    np.testing.assert_allclose(flow[back], 0.0)
    assert side[c.vertices(sc.sources)[0]]
    assert not side[c.vertices(sc.sinks, side="out")[0]]
    # conservation everywhere except the terminals
    bal = incidence_balance(c.tail, c.head, flow, c.n_vertices)
    s_v = int(c.vertices(sc.sources)[0])
    t_v = int(c.vertices(sc.sinks, side="out")[0])
    inner = np.ones(c.n_vertices, dtype=bool)
    inner[[s_v, t_v]] = False
    np.testing.assert_allclose(bal[inner], 0.0, atol=1e-9)
    assert bal[s_v] == pytest.approx(res.value)
    assert bal[t_v] == pytest.approx(-res.value)
    # the net link flows carry the same value out of the source
    out_s = res.link_flow[sc.network.links["from"].to_numpy() == sc.sources[0]].sum()
    in_s = res.link_flow[sc.network.links["to"].to_numpy() == sc.sources[0]].sum()
    assert out_s - in_s == pytest.approx(res.value)
    # removing the cut disconnects
    cut_out = max_flow(c, sc.sources, sc.sinks, removed=res.cut_arcs)
    assert cut_out.value == 0


def test_netgen2_min_cost(flow_benchmarks: Path, known_values: dict[str, dict[str, str]]) -> None:
    assert int(known_values["netgen-2"]["known_optimum"]) == NETGEN2_COST
    sc = load(flow_benchmarks / "dimacs" / "netgen-2.min")
    assert sc.supplies, "a p min file must give node supplies"
    assert sum(sc.supplies.values()) == 0
    c = sc.network.compiled
    res = min_cost_flow(c, sc.supplies, weight="cost")
    assert res.status == "optimal"
    assert res.cost == NETGEN2_COST
    assert res.routed == res.requested == sum(v for v in sc.supplies.values() if v > 0)
    # the flow is feasible and meets every supply and demand exactly
    assert np.all(res.arc_flow >= 0)
    assert np.all(res.arc_flow <= c.capacity + 1e-9)
    bal = incidence_balance(c.tail, c.head, res.arc_flow, c.n_vertices)
    want = np.zeros(c.n_vertices)
    for k, v in sc.supplies.items():
        want[c.node_index[k]] = v
    np.testing.assert_allclose(bal, want)
    assert float(res.arc_flow @ c.cost) == NETGEN2_COST


def _pyomo_max_flow_network(flow_benchmarks: Path) -> Network:
    d = flow_benchmarks / "pyomo_interdiction" / "max_flow"
    arcs = pd.read_csv(d / "sample_arcs_data.csv")
    nodes = pd.read_csv(d / "sample_nodes_data.csv")
    links = pd.DataFrame({
        "id": [f"{u}->{v}" for u, v in zip(arcs["StartNode"], arcs["EndNode"], strict=True)],
        "from": arcs["StartNode"], "to": arcs["EndNode"], "capacity": arcs["Capacity"],
    })
    return Network.from_frames(pd.DataFrame({"id": nodes["Node"]}), links,
                               units=Units.unitless(), source=d / "sample_arcs_data.csv")


def test_pyomo_max_flow_80(flow_benchmarks: Path, known_values: dict[str, dict[str, str]]) -> None:
    row = known_values["pyomo_maxflow_k0"]
    net = _pyomo_max_flow_network(flow_benchmarks)
    assert net.n_nodes == 5
    assert net.n_links == 6
    res = max_flow(net.compiled, [row["source_node"]], [row["sink_node"]])
    assert res.value == int(row["known_optimum"]) == 80
    assert res.cut_capacity == 80


@pytest.mark.parametrize(("instance", "attacks"), [("pyomo_maxflow_k1", 1),
                                                   ("pyomo_maxflow_k2", 2)])
def test_pyomo_interdiction_brute_force(flow_benchmarks: Path,
                                        known_values: dict[str, dict[str, str]],
                                        instance: str, attacks: int) -> None:
    """Removing the best ``attacks`` links leaves the known optimum (brute force)."""
    from itertools import combinations

    row = known_values[instance]
    net = _pyomo_max_flow_network(flow_benchmarks)
    c = net.compiled
    best = min(
        max_flow(c, ["Start"], ["End"], removed=c.arcs_of("link", list(ids))).value
        for ids in combinations(list(net.links["id"]), attacks)
    )
    assert best == float(row["known_optimum"])


def test_array_read_network_answers_without_its_tables(tmp_path: Path) -> None:
    """A DIMACS network names its cut, describes elements and summarises itself from its
    arrays exactly as from the tables built later (which it then still has to agree with)."""
    f = tmp_path / "g.max"
    f.write_text("p max 4 5\nn 1 s\nn 4 t\na 1 2 3\na 1 3 2\na 2 3 1\na 2 4 2\na 3 4 3\n")
    net = load(f).network
    early = (net.summary(), net.describe("a3"), net.describe("2"), net.describe("zz"),
             net.text_at("link", "name", np.array([4, 0])).tolist(),
             net.text_at("link", "source", np.array([1])).tolist())
    c = net.compiled
    assert [k in c.link_index for k in ("a5", "a6", "a05", "a0", 5)] == [True] + [False] * 4
    assert c.link_index["a5"] == 4
    assert list(c.link_index) == ["a1", "a2", "a3", "a4", "a5"]
    assert c.link_positions(np.array(["a2", "b", "a9"], dtype=object)).tolist() == [1, -1, -1]
    assert len(net.links) == 5  # the tables are built now
    late = (net.summary(), net.describe("a3"), net.describe("2"), net.describe("zz"),
            net.text_at("link", "name", np.array([4, 0])).tolist(),
            net.text_at("link", "source", np.array([1])).tolist())
    assert early == late
    assert early[1:] == ("a3", "2", "zz", ["a5", "a1"], [""])
