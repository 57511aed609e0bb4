"""Throughput criticality: the incremental method equals one full re-solve per element.

Every comparison is exact (``check_exact``): the incremental method works in the solver's
int64 capacities, so ``without`` must be the very float a full re-solve reports.
"""

from __future__ import annotations

import itertools
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from chokepoint.analyses.criticality_flow import (
    _THREADED_FROM,
    element_arcs,
    naive_throughput_criticality,
    throughput_criticality,
)
from chokepoint.analyses.maxflow import max_flow
from chokepoint.compiled import CompiledNetwork
from chokepoint.errors import InputError
from chokepoint.io import load
from chokepoint.kinds import Kind
from chokepoint.network import Network

VALUE_COLUMNS = ["element", "kind", "intact", "without", "loss", "loss_rel", "flow"]
KINDS: tuple[Kind, ...] = ("link", "node", "group")


def _assert_same(inc: pd.DataFrame, ref: pd.DataFrame) -> None:
    pd.testing.assert_frame_equal(inc[VALUE_COLUMNS], ref[VALUE_COLUMNS], check_exact=True)


def _assert_invariants(df: pd.DataFrame, c: CompiledNetwork) -> None:
    assert (df["loss"] >= 0).all()
    finite = np.isfinite(df["intact"])
    # flows are exact in the solver's integer scale; back in floats, capacities of 3e12 beside
    # 7.125 leave a rounding residue of that scale's resolution (~1e-15 of the largest capacity)
    caps = c.capacity[np.isfinite(c.capacity)]
    tol = 1e-14 * float(caps.max()) if len(caps) else 0.0
    assert (df.loc[finite, "loss"] <= df.loc[finite, "flow"] + tol).all()
    assert (df.loc[finite, "loss"] <= df.loc[finite, "intact"] + tol).all()
    assert ((df["loss_rel"] >= 0) & (df["loss_rel"] <= 1)).all()
    assert set(df["method"]) <= {"no-flow", "min-cut", "reroute", "resolve"}
    assert (df.loc[df["method"] == "no-flow", "loss"] == 0).all()
    loss = df["loss"].to_numpy()
    assert np.all(loss[:-1] >= loss[1:])
    if (df["kind"] == "link").all():
        one_way = ~np.isin(np.arange(len(c.link_ids)), c.arc_link[len(c.link_ids):])
        cap = pd.Series(c.capacity[: len(c.link_ids)][one_way], index=c.link_ids[one_way])
        sub = df[df["element"].isin(cap.index)]
        assert (sub["loss"].to_numpy() <= cap.loc[sub["element"]].to_numpy() + tol).all()


# -- random networks -------------------------------------------------------------------------
@st.composite
def networks(draw: st.DrawFn) -> tuple[Network, list[str], list[str]]:
    """Small random networks: parallel/antiparallel arcs, two-way and single-track links,
    split nodes, failure groups over several links and nodes, several sources and sinks."""
    n = draw(st.integers(3, 8))
    nodes = [f"n{i}" for i in range(n)]
    n_links = draw(st.integers(1, 16))
    cap_values = st.one_of(st.integers(0, 12).map(float),
                           st.sampled_from([0.5, 2.25, 7.125, 3e12, 3e12 + 0.5,
                                           float("inf")]))
    rows: list[dict[str, Any]] = []
    for i in range(n_links):
        u = draw(st.integers(0, n - 1))
        v = draw(st.integers(0, n - 2))
        v = v + 1 if v >= u else v
        rows.append({
            "id": f"L{i}", "from": nodes[u], "to": nodes[v], "capacity": draw(cap_values),
            "direction": draw(st.sampled_from(["forward", "forward", "both"])),
            "track": draw(st.sampled_from(["double", "single"])),
            "group": draw(st.sampled_from(["", "", "G1", "G2"])),
        })
    hc = st.one_of(st.just(float("inf")), st.integers(0, 15).map(float))
    node_rows = [{"id": v, "handling_capacity": draw(hc),
                  "group": draw(st.sampled_from(["", "", "", "G1", "G3"]))} for v in nodes]
    perm = draw(st.permutations(nodes))
    k_s = draw(st.integers(1, 2))
    k_t = draw(st.integers(1, 2))
    sources, sinks = list(perm[:k_s]), list(perm[k_s:k_s + k_t])
    net = Network.from_frames(pd.DataFrame(node_rows), pd.DataFrame(rows))
    return net, sources, sinks


@settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(case=networks(), kind=st.sampled_from(KINDS))
def test_incremental_equals_naive(case: tuple[Network, list[str], list[str]], kind: Kind) -> None:
    net, sources, sinks = case
    c = net.compiled
    inc = throughput_criticality(c, sources, sinks, kind=kind)
    ref = naive_throughput_criticality(c, sources, sinks, kind=kind)
    _assert_same(inc, ref)
    _assert_invariants(inc, c)
    forced = throughput_criticality(c, sources, sinks, kind=kind, budget=0)
    _assert_same(forced, ref)


@settings(max_examples=40, deadline=None)
@given(case=networks(), kind=st.sampled_from(KINDS))
def test_element_arcs_match_arcs_of(case: tuple[Network, list[str], list[str]],
                                    kind: str) -> None:
    c = case[0].compiled
    ids, ptr, arcs = element_arcs(c, kind)
    for i, x in enumerate(ids):
        np.testing.assert_array_equal(arcs[ptr[i]:ptr[i + 1]], c.arcs_of(kind, [x]))
    if len(ids) > 1:
        pick = [ids[-1], ids[0]]
        sub_ids, sub_ptr, sub_arcs = element_arcs(c, kind, pick)
        assert sub_ids == pick
        for i, x in enumerate(pick):
            np.testing.assert_array_equal(sub_arcs[sub_ptr[i]:sub_ptr[i + 1]],
                                          c.arcs_of(kind, [x]))


# -- hand-made cases -----------------------------------------------------------------------------
def _net(rows: list[tuple[Any, ...]], nodes: list[dict[str, Any]] | None = None) -> Network:
    frame = pd.DataFrame([{"id": r[0], "from": r[1], "to": r[2], "capacity": float(r[3]),
                           **(r[4] if len(r) > 4 else {})} for r in rows])
    return Network.from_frames(None if nodes is None else pd.DataFrame(nodes), frame)


def test_series_parallel_example() -> None:
    # s -a-> x -b-> t and s -c-> t: a and b in series (one cut), c alone
    net = _net([("a", "s", "x", 5), ("b", "x", "t", 3), ("c", "s", "t", 4),
                ("d", "x", "y", 9), ("e", "y", "t", 1)])
    df = throughput_criticality(net.compiled, ["s"], ["t"]).set_index("element")
    assert df.loc["c", "loss"] == 4
    assert df.loc["c", "method"] == "min-cut"
    assert df["intact"].iloc[0] == 8
    assert df.loc["b", "loss"] == 3  # x can only send 1 via y
    assert df.loc["a", "loss"] == 4
    assert df.loc["e", "loss"] == 1
    _assert_same(throughput_criticality(net.compiled, ["s"], ["t"]),
                 naive_throughput_criticality(net.compiled, ["s"], ["t"]))


def test_reroute_is_free_when_spare_capacity() -> None:
    # the supply link z -> s (8) is the bottleneck; s -> t and s -> m -> t back each other up
    net = _net([("in", "z", "s", 8), ("a", "s", "t", 5), ("b", "s", "m", 10),
                ("c", "m", "t", 10)])
    df = throughput_criticality(net.compiled, ["z"], ["t"]).set_index("element")
    assert df["intact"].iloc[0] == 8
    assert df.loc["a", "loss"] == 0
    assert df.loc["b", "loss"] == 3
    assert df.loc["in", "loss"] == 8
    assert df.loc["in", "method"] == "min-cut"


def test_terminal_node_removal() -> None:
    net = _net([("a", "s1", "m", 4), ("b", "s2", "m", 4), ("c", "m", "t", 6),
                ("d", "m", "t2", 1)])
    c = net.compiled
    inc = throughput_criticality(c, ["s1", "s2"], ["t", "t2"], kind="node")
    ref = naive_throughput_criticality(c, ["s1", "s2"], ["t", "t2"], kind="node")
    _assert_same(inc, ref)
    df = inc.set_index("element")
    assert df.loc["s1", "without"] == 4  # s2 alone still fills 4 of the 7
    assert df.loc["m", "without"] == 0
    assert df.loc["t", "without"] == 1
    # the only source removed: nothing flows
    only = throughput_criticality(c, ["s1"], ["t"], kind="node").set_index("element")
    assert only.loc["s1", "without"] == 0
    assert only.loc["s1", "loss_rel"] == 1.0


def test_zero_flow_network_and_unbounded() -> None:
    net = _net([("a", "s", "x", 0), ("b", "x", "t", 3), ("c", "t", "s", 7)])
    df = throughput_criticality(net.compiled, ["s"], ["t"])
    assert (df["loss"] == 0).all()
    assert (df["loss_rel"] == 0).all()
    assert set(df["method"]) == {"no-flow"}
    inf = _net([("a", "s", "t", float("inf")), ("b", "s", "t", 2), ("c", "s", "x", 1),
                ("d", "x", "t", float("inf"))])
    inc = throughput_criticality(inf.compiled, ["s"], ["t"])
    _assert_same(inc, naive_throughput_criticality(inf.compiled, ["s"], ["t"]))
    row = inc.set_index("element").loc["a"]
    assert row["without"] == 3
    assert row["loss"] == np.inf


def test_elements_subset_unknown_ids_and_progress() -> None:
    net = _net([("a", "s", "x", 5), ("b", "x", "t", 3), ("c", "s", "t", 4)])
    calls: list[tuple[int, int]] = []
    df = throughput_criticality(net.compiled, ["s"], ["t"], elements=["c", "a"],
                                progress=lambda d, t: calls.append((d, t)))
    assert list(df["element"]) == ["c", "a"]
    assert calls
    assert calls[-1] == (2, 2)
    assert all(t == 2 and 0 <= d <= 2 for d, t in calls)
    with pytest.raises(InputError, match="unknown link"):
        throughput_criticality(net.compiled, ["s"], ["t"], elements=["zz"])
    with pytest.raises(ValueError, match="kind"):
        throughput_criticality(net.compiled, ["s"], ["t"], kind="arc")


def test_max_flow_value_agrees() -> None:
    net = _net([("a", "s", "x", 5.5), ("b", "x", "t", 3.25, {"direction": "both"}),
                ("c", "s", "t", 4)],
               nodes=[{"id": "s"}, {"id": "x", "handling_capacity": 4.0}, {"id": "t"}])
    c = net.compiled
    df = throughput_criticality(c, ["s"], ["t"], kind="group")
    assert df["intact"].iloc[0] == max_flow(c, ["s"], ["t"]).value


# -- DIMACS instances ----------------------------------------------------------------------------
@pytest.mark.parametrize("name", ["gl1", "gw1", "wlm3"])
def test_dimacs_incremental_equals_naive(name: str, flow_benchmarks: Path) -> None:
    sc = load(flow_benchmarks / "dimacs" / f"{name}.max")
    c = sc.network.compiled
    inc = throughput_criticality(c, sc.sources, sc.sinks)
    assert len(inc) == len(c.link_ids)
    _assert_invariants(inc, c)
    rng = np.random.default_rng(20261127)
    # the naive recompute costs 1-3 ms per link: a seeded sample keeps this test short,
    # biased towards links that carry flow (the interesting ones)
    carrying = inc.loc[inc["method"] != "no-flow", "element"].to_numpy(dtype=object)
    idle = inc.loc[inc["method"] == "no-flow", "element"].to_numpy(dtype=object)
    sample = [*rng.choice(carrying, min(200, len(carrying)), replace=False),
              *rng.choice(idle, min(50, len(idle)), replace=False)]
    sample = sorted(str(x) for x in sample)
    ref = naive_throughput_criticality(c, sc.sources, sc.sinks, elements=sample)
    sub = inc.set_index("element").loc[ref["element"]].reset_index()
    sub["element"] = sub["element"].astype(object)
    _assert_same(sub, ref)
    nodes = sorted(str(x) for x in rng.choice(c.node_ids, 60, replace=False))
    _assert_same(throughput_criticality(c, sc.sources, sc.sinks, kind="node", elements=nodes),
                 naive_throughput_criticality(c, sc.sources, sc.sinks, kind="node",
                                              elements=nodes))


def test_workers_do_not_change_the_answer(flow_benchmarks: Path) -> None:
    """Elements repaired in 1 or 3 threads (interleaved shares) give the same frame."""
    sc = load(flow_benchmarks / "dimacs" / "gw1.max")
    c = sc.network.compiled
    calls: list[tuple[int, int]] = []
    one = throughput_criticality(c, sc.sources, sc.sinks, workers=1)
    three = throughput_criticality(c, sc.sources, sc.sinks, workers=3,
                                   progress=lambda d, t: calls.append((d, t)))
    pd.testing.assert_frame_equal(one, three, check_exact=True)
    assert (one["method"] == "reroute").sum() >= _THREADED_FROM  # so threads did run
    assert calls[-1] == (len(one), len(one))
    assert all(a[0] <= b[0] for a, b in itertools.pairwise(calls))
