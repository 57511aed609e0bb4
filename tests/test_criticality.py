"""Served-demand and detour criticality equal naive recomputation per element, and the
combined ranking behaves on the built-in scenario."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from tests.test_properties import Case, cases

from chokepoint.analyses import fastest_route, served_demand
from chokepoint.analyses.criticality import detour_criticality, served_criticality
from chokepoint.scenario import Demand

SETTINGS = settings(max_examples=40, deadline=None, derandomize=True)
KINDS = st.sampled_from(["link", "node", "group"])


def _grouped(case: Case, data: st.DataObject) -> Case:
    """Put some links into shared failure groups."""
    links = case.links.copy()
    links["group"] = [f"g{data.draw(st.integers(0, max(1, len(links) // 2)))}"
                      for _ in range(len(links))]
    case.net = case.net.with_links(links)
    return case


def _demands(case: Case, data: st.DataObject) -> list[Demand]:
    out = []
    for i in range(data.draw(st.integers(1, 3))):
        o, d = data.draw(st.permutations(case.nodes))[:2]
        out.append(Demand(id=f"d{i}", origin=o, destination=d,
                          rate=float(data.draw(st.integers(1, 30))),
                          priority=float(data.draw(st.sampled_from([1, 2, 10]))),
                          returns_empty=data.draw(st.booleans())))
    return out


@SETTINGS
@given(case=cases(dwell=False), data=st.data(), kind=KINDS)
def test_served_criticality_equals_naive(case: Case, data: st.DataObject, kind: str) -> None:
    if kind == "group":
        case = _grouped(case, data)
    c = case.net.compiled
    demands = _demands(case, data)
    table = served_criticality(c, demands, kind=kind).set_index("element")
    base = served_demand(c, demands, fastest=False)
    prio = np.array([d.priority for d in demands])
    for e in table.index:
        arcs = c.arcs_of(kind, [e])
        naive = served_demand(c, demands, removed=arcs, fastest=False)
        want = base.objective - naive.objective
        assert table.loc[e, "objective_loss"] == pytest.approx(want, abs=1e-6), e
        # the per-commodity split is one optimum's; its weighted sum is the optimum's loss
        losses = table.loc[e, [f"loss_{d.id}" for d in demands]].to_numpy(dtype=float)
        assert float(prio @ losses) >= want - 1e-6


@SETTINGS
@given(case=cases(dwell=True), data=st.data(), kind=KINDS)
def test_detour_criticality_equals_naive(case: Case, data: st.DataObject, kind: str) -> None:
    if kind == "group":
        case = _grouped(case, data)
    c = case.net.compiled
    pairs = [tuple(data.draw(st.permutations(case.nodes))[:2]) for _ in range(3)]
    table = detour_criticality(c, pairs, kind=kind).set_index("element")
    pairs = list(dict.fromkeys(pairs))
    before = {p: fastest_route(c, *p) for p in pairs}
    for e in table.index:
        arcs = c.arcs_of(kind, [e])
        cut, incs = [], []
        for p in pairs:
            if not before[p].found:
                continue
            after = fastest_route(c, *p, removed=arcs)
            if not after.found:
                cut.append(p)
            else:
                incs.append(after.cost - before[p].cost)
        row = table.loc[e]
        assert row["pairs_cut"] == len(cut), e
        assert row["max_increase"] == pytest.approx(max(incs, default=0.0), abs=1e-9)
        assert row["total_increase"] == pytest.approx(sum(incs), abs=1e-9)


def test_ranking_on_builtin_corridor() -> None:
    from chokepoint.data import load_builtin
    from chokepoint.workflows.ranking import criticality

    s = load_builtin()
    table = criticality(s, kind="group", measures=("throughput", "served", "detour"))
    assert list(table["rank"]) == list(range(1, len(table) + 1))
    assert table["objective_loss"].is_monotonic_decreasing
    tunnel = table.set_index("element").loc["severomuysky_tunnel"]
    # the tunnel carries BAM traffic: losing it costs served demand, not the shipment's route
    assert tunnel["served_loss"] > 0
    assert tunnel["throughput_loss"] == 0
    assert set(table.columns) >= {"throughput_loss_TEU_per_day", "served_loss_Mt_per_yr",
                                  "pairs_cut", "detour_max_increase_h"}


def test_links_ranking_includes_redundancy() -> None:
    from chokepoint.data import load_builtin
    from chokepoint.workflows.ranking import criticality

    s = load_builtin()
    table: Any = criticality(s, kind="link", measures=("redundancy",))
    assert isinstance(table, pd.DataFrame)
    tunnel = table.set_index("element").loc["severomuysky_tunnel"]
    assert bool(tunnel["has_alternative"])          # the bypass line
    assert tunnel["alt_diff_time_h"] > 0
