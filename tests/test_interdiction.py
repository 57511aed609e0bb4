"""Interdiction: known optima (Pyomo gallery) and brute force on random small networks."""

from __future__ import annotations

import itertools
import math
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from chokepoint.analyses.interdiction import (
    attack_model,
    max_flow_interdiction,
    shortest_path_interdiction,
)
from chokepoint.analyses.maxflow import max_flow
from chokepoint.analyses.routes import fastest_route
from chokepoint.compiled import CompiledNetwork
from chokepoint.errors import InputError
from chokepoint.network import Network
from chokepoint.units import Units

SETTINGS = settings(max_examples=100, deadline=None, derandomize=True)
FEW = settings(max_examples=40, deadline=None, derandomize=True)


# -- the Pyomo gallery instances --------------------------------------------------------------
def _pyomo(flow_benchmarks: Path, problem: str) -> tuple[CompiledNetwork, list[str]]:
    df = pd.read_csv(flow_benchmarks / "pyomo_interdiction" / problem / "sample_arcs_data.csv")
    value = "Capacity" if problem == "max_flow" else "Cost"
    column = "capacity" if problem == "max_flow" else "time_h"
    ids = [f"{a}->{b}" for a, b in zip(df["StartNode"], df["EndNode"], strict=True)]
    links = pd.DataFrame({"id": ids, "from": df["StartNode"], "to": df["EndNode"],
                          column: df[value].astype(float), "direction": "forward"})
    net = Network.from_frames(None, links)
    protected = [i for i, a in zip(ids, df["Attackable"], strict=True) if int(a) == 0]
    return net.compiled, protected


@pytest.mark.parametrize("method", ["auto", "mip", "bounds"])
@pytest.mark.parametrize(("k", "expected"), [(0, 80.0), (1, 10.0), (2, 0.0)])
def test_pyomo_max_flow_interdiction(flow_benchmarks: Path, method: str, k: int,
                                     expected: float) -> None:
    c, protected = _pyomo(flow_benchmarks, "max_flow")
    r = max_flow_interdiction(c, ["Start"], ["End"], k=k, protected=protected, method=method)
    assert r.value == expected
    assert r.status == "optimal"
    assert r.intact_value == 80.0
    assert len(r.removed) <= k
    if k == 1:
        assert r.removed == ["Start->C"]


@pytest.mark.parametrize(("k", "expected"), [(0, 5.0), (1, 17.0), (2, math.inf)])
def test_pyomo_shortest_path_interdiction(flow_benchmarks: Path, k: int,
                                          expected: float) -> None:
    c, protected = _pyomo(flow_benchmarks, "shortest_path")
    r = shortest_path_interdiction(c, "Start", "End", k=k, protected=protected)
    assert r.value == expected
    assert r.status == ("disconnected" if k == 2 else "optimal")
    if k == 1:
        assert r.removed == ["B->End"]
    if k == 2:
        assert not fastest_route(c, "Start", "End", removed=r.removed_arcs).found


# -- random small networks ----------------------------------------------------------------------
@dataclass
class Case:
    """A random network with sources, sinks, groups, costs and protection."""

    c: CompiledNetwork
    sources: list[str]
    sinks: list[str]
    kind: str
    k: int
    budget: float | None
    cost: dict[str, float]
    protected: list[str]


@st.composite
def cases(draw: st.DrawFn, *, kinds: tuple[str, ...] = ("link", "node", "group"),
          costs: bool = True, multi: bool = True, fractional: bool = True) -> Case:
    n = draw(st.integers(2, 7)) if draw(st.integers(0, 3)) == 0 else draw(st.integers(3, 5))
    nodes = [f"n{i}" for i in range(n)]
    pair = st.tuples(st.integers(0, n - 1), st.integers(0, n - 1)).filter(lambda p: p[0] != p[1])
    ends = draw(st.lists(pair, min_size=min(n + 2, 12), max_size=12))
    caps = st.one_of(st.just(0.0), st.integers(1, 20).map(float))
    if fractional:
        caps = st.one_of(caps, st.integers(1, 80).map(lambda x: x / 4))
    rows: list[dict[str, Any]] = []
    n_arcs = 0
    for i, (u, v) in enumerate(ends):
        two = n_arcs <= 10 and draw(st.integers(0, 4)) == 0
        n_arcs += 2 if two else 1
        if n_arcs > 12:
            break
        rows.append({"id": f"L{i}", "from": nodes[u], "to": nodes[v], "capacity": draw(caps),
                     "time_h": draw(st.integers(0, 12).map(lambda x: x / 2)),
                     "direction": "both" if two else "forward",
                     "track": draw(st.sampled_from(["single", "double"])),
                     "group": draw(st.sampled_from(["", "", "g0", "g1"]))})
    node_df = pd.DataFrame({
        "id": nodes,
        "handling_capacity": [draw(st.sampled_from([math.inf, math.inf, 5.0, 12.0]))
                              for _ in nodes],
        "dwell_h": [draw(st.sampled_from([0.0, 0.0, 1.0])) for _ in nodes],
        "group": [draw(st.sampled_from(["", "", "g0", "g2"])) for _ in nodes],
    })
    net = Network.from_frames(node_df, pd.DataFrame(rows), units=Units.unitless())
    c = net.compiled
    order = draw(st.permutations(nodes))
    n_src = draw(st.integers(1, 2 if multi and n > 2 else 1))
    n_snk = draw(st.integers(1, 2 if multi and n - n_src > 1 else 1))
    kind = draw(st.sampled_from(kinds))
    ids = {"link": list(c.link_ids), "node": list(c.node_ids), "group": list(c.group_ids)}[kind]
    ids = [str(x) for x in ids]
    k = draw(st.integers(0, 3))
    cost: dict[str, float] = {}
    budget: float | None = None
    if costs and draw(st.booleans()):
        cost = {e: float(draw(st.integers(0, 3))) for e in ids if draw(st.booleans())}
        budget = float(draw(st.integers(0, 5)))
    protected = [e for e in ids if draw(st.integers(0, 4)) == 0]
    return Case(c, list(order[:n_src]), list(order[n_src:n_src + n_snk]), kind, k, budget,
                cost, protected)


def _plans(case: Case) -> list[tuple[str, ...]]:
    """Every feasible attack: at most k attackable elements within the budget."""
    model = attack_model(case.c, kind=case.kind, k=case.k, budget=case.budget, cost=case.cost,
                         protected=case.protected)
    elems = [model.ids[i] for i in np.flatnonzero(model.attackable)]
    budget = case.k if case.budget is None else case.budget
    out = []
    for r in range(case.k + 1):
        for combo in itertools.combinations(elems, r):
            if sum(case.cost.get(e, 1.0) for e in combo) <= budget + 1e-9:
                out.append(combo)
    return out


def _removed(case: Case, plan: tuple[str, ...] | list[str]) -> np.ndarray:
    return case.c.arcs_of(case.kind, list(plan)) if plan else np.zeros(0, dtype=np.int64)


def _check_plan(case: Case, removed: list[str]) -> None:
    assert len(removed) <= case.k
    assert not set(removed) & set(case.protected)
    budget = case.k if case.budget is None else case.budget
    assert sum(case.cost.get(e, 1.0) for e in removed) <= budget + 1e-9


def _flow_opt(case: Case) -> float:
    return min(max_flow(case.c, case.sources, case.sinks, removed=_removed(case, p)).value
               for p in _plans(case))


@SETTINGS
@given(cases())
def test_max_flow_interdiction_matches_brute_force(case: Case) -> None:
    opt = _flow_opt(case)
    r = max_flow_interdiction(case.c, case.sources, case.sinks, k=case.k, kind=case.kind,
                              budget=case.budget, cost=case.cost, protected=case.protected,
                              method="mip")
    assert r.status == "optimal"
    assert r.value == pytest.approx(opt, abs=1e-6)
    _check_plan(case, r.removed)
    again = max_flow(case.c, case.sources, case.sinks, removed=_removed(case, r.removed))
    assert r.value == again.value


@SETTINGS
@given(cases(kinds=("link", "node")))
def test_bounds_bracket_the_optimum(case: Case) -> None:
    opt = _flow_opt(case)
    r = max_flow_interdiction(case.c, case.sources, case.sinks, k=case.k, kind=case.kind,
                              budget=case.budget, cost=case.cost, protected=case.protected,
                              method="bounds")
    assert r.lower_bound <= opt + 1e-6
    assert r.upper_bound >= opt - 1e-6
    assert r.value == r.upper_bound
    if r.status == "optimal":
        assert r.value == pytest.approx(opt, abs=1e-6)
    _check_plan(case, r.removed)
    auto = max_flow_interdiction(case.c, case.sources, case.sinks, k=case.k, kind=case.kind,
                                 budget=case.budget, cost=case.cost, protected=case.protected)
    assert auto.status == "optimal"
    assert auto.value == pytest.approx(opt, abs=1e-6)


@SETTINGS
@given(cases(multi=False, fractional=False))
def test_shortest_path_interdiction_matches_brute_force(case: Case) -> None:
    s, t = case.sources[0], case.sinks[0]
    opt = max(fastest_route(case.c, s, t, removed=_removed(case, p)).cost for p in _plans(case))
    r = shortest_path_interdiction(case.c, s, t, k=case.k, kind=case.kind, budget=case.budget,
                                   cost=case.cost, protected=case.protected)
    _check_plan(case, r.removed)
    if math.isinf(opt):
        assert r.status == "disconnected"
        assert math.isinf(r.value)
    else:
        assert r.status == "optimal"
        assert r.value == pytest.approx(opt, abs=1e-6)
    assert r.value == fastest_route(case.c, s, t, removed=_removed(case, r.removed)).cost


@FEW
@given(cases(kinds=("link",), costs=False, multi=False, fractional=False))
def test_shortest_path_interdiction_by_hops(case: Case) -> None:
    s, t = case.sources[0], case.sinks[0]
    opt = max(fastest_route(case.c, s, t, weight="hops", removed=_removed(case, p)).cost
              for p in _plans(case))
    r = shortest_path_interdiction(case.c, s, t, k=case.k, protected=case.protected,
                                   weight="hops")
    assert r.value == opt


# -- behaviour ---------------------------------------------------------------------------------
def _grid(n: int, seed: int = 7) -> tuple[CompiledNetwork, list[str], list[str]]:
    rng = np.random.default_rng(seed)
    rows = []
    for i in range(n):
        for j in range(n):
            for di, dj in ((0, 1), (1, 0)):
                if i + di < n and j + dj < n:
                    rows.append({"id": f"e{i}_{j}_{di}", "from": f"v{i}_{j}",
                                 "to": f"v{i + di}_{j + dj}", "direction": "both",
                                 "capacity": float(rng.integers(1, 101)),
                                 "time_h": float(rng.integers(1, 51))})
    net = Network.from_frames(None, pd.DataFrame(rows))
    return net.compiled, [f"v{i}_0" for i in range(n)], [f"v{i}_{n - 1}" for i in range(n)]


def test_grid_auto_and_mip_agree() -> None:
    c, src, snk = _grid(8)
    a = max_flow_interdiction(c, src, snk, k=3)
    m = max_flow_interdiction(c, src, snk, k=3, method="mip")
    b = max_flow_interdiction(c, src, snk, k=3, method="bounds")
    assert a.status == m.status == "optimal"
    assert a.value == m.value
    assert b.lower_bound <= m.value <= b.upper_bound
    sp_ = shortest_path_interdiction(c, "v3_1", "v4_6", k=2)
    assert sp_.status == "optimal"
    assert sp_.value >= sp_.intact_value


def test_time_limit_reports_bounds() -> None:
    c, src, snk = _grid(14)
    r = max_flow_interdiction(c, src, snk, k=6, method="mip", time_limit=0.05)
    assert r.status in ("optimal", "time_limit")
    assert r.lower_bound <= r.value == r.upper_bound
    assert r.gap == pytest.approx(r.upper_bound - r.lower_bound)


def test_source_node_attack_and_protection(tiny_network: Any) -> None:
    net = tiny_network([("a", "s", "x", 5), ("b", "x", "t", 5), ("c", "s", "t", 1)])
    c = net.compiled
    r = max_flow_interdiction(c, ["s"], ["t"], k=1, kind="node")
    assert r.value == 0.0
    assert r.removed[0] in ("s", "t")
    r = max_flow_interdiction(c, ["s"], ["t"], k=1, kind="node", protected=["s", "t"])
    assert r.value == 1.0
    assert r.removed == ["x"]


def test_unlimited_capacity_that_cannot_be_cut(tiny_network: Any) -> None:
    net = tiny_network([("a", "s", "t", math.inf), ("b", "s", "t", 3)])
    c = net.compiled
    r = max_flow_interdiction(c, ["s"], ["t"], k=1, protected=["a"], method="mip")
    assert math.isinf(r.value)
    r = max_flow_interdiction(c, ["s"], ["t"], k=1, method="mip")
    assert r.value == 3.0
    assert r.removed == ["a"]


def test_bad_arguments(tiny_network: Any) -> None:
    c = tiny_network([("a", "s", "t", 1)]).compiled
    with pytest.raises(InputError):
        max_flow_interdiction(c, ["s"], ["t"], k=1, kind="arc")
    with pytest.raises(InputError):
        max_flow_interdiction(c, ["s"], ["t"], k=1, protected=["zz"])
    with pytest.raises(InputError):
        max_flow_interdiction(c, ["s"], ["t"], k=1, cost={"a": -1})
    with pytest.raises(InputError):
        max_flow_interdiction(c, ["s"], ["t"], k=1, kind="group", method="bounds")
    with pytest.raises(InputError):
        shortest_path_interdiction(c, "s", "s", k=1)


def test_group_attack_with_warm_start_regression() -> None:
    """HiGHS once returned the warm start as 'optimal' with the presolve objective."""
    both = {"direction": "both", "track": "single"}
    spec = [("L0", "n0", "n1", 1, "g0", both), ("L1", "n0", "n1", 0, "", both),
            ("L2", "n0", "n1", 0, "g0", {}), ("L3", "n0", "n1", 0, "g0", {}),
            ("L4", "n0", "n1", 1, "g1", {}), ("L5", "n0", "n1", 0, "", {}),
            ("L6", "n2", "n0", 1, "g0", {}), ("L7", "n2", "n3", 5, "g1", {}),
            ("L8", "n0", "n1", 0, "", {}), ("L9", "n0", "n1", 0, "g0", {})]
    links = pd.DataFrame([{"id": i, "from": u, "to": v, "capacity": float(cp), "group": g, **x}
                          for i, u, v, cp, g, x in spec])
    nodes = pd.DataFrame({"id": ["n0", "n1", "n2", "n3", "n4"],
                          "group": ["", "g2", "", "g0", ""],
                          "handling_capacity": [math.inf, math.inf, 5.0, math.inf, math.inf]})
    c = Network.from_frames(nodes, links).compiled
    case = Case(c, ["n2"], ["n1", "n3"], "group", 2, None, {}, ["L1", "L5", "L8"])
    opt = _flow_opt(case)
    assert opt == 0.0
    for method in ("auto", "mip"):
        r = max_flow_interdiction(c, ["n2"], ["n1", "n3"], k=2, kind="group",
                                  protected=case.protected, method=method)
        assert r.value == opt
