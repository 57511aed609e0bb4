"""Time-aware disruption costs: the multi-period LP against phase-by-phase brute force."""

from __future__ import annotations

import datetime as dt
import itertools
from typing import Any

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from chokepoint.analyses import max_flow, served_demand
from chokepoint.analyses.multiperiod import (
    build_multiperiod_lp,
    disruption_cost,
    multiperiod_served,
)
from chokepoint.scenario import Demand, Disruption
from chokepoint.timeline import Timeline, TimelineEvent
from conftest import make_network

T0 = dt.datetime(2024, 1, 1)


def dem(i: str, o: str, d: str, rate: float, priority: float = 1.0, **kw: Any) -> Demand:
    return Demand(id=i, origin=o, destination=d, rate=rate, priority=priority, **kw)


@st.composite
def instances(draw: st.DrawFn) -> tuple[Any, list[TimelineEvent], float]:
    """A small random network (5 nodes) with a path 0 → 4, events and a horizon."""
    extra = draw(st.lists(st.tuples(st.integers(0, 4), st.integers(0, 4), st.integers(1, 6)),
                          max_size=6))
    edges = [(0, 2, draw(st.integers(1, 6))), (2, 4, draw(st.integers(1, 6))), *extra]
    links = [(f"L{k}", f"N{u}", f"N{w}", cap) for k, (u, w, cap) in enumerate(edges) if u != w]
    net = make_network(links, nodes=[{"id": f"N{i}"} for i in range(5)], direction="forward")
    n_ev = draw(st.integers(0, 3))
    events = []
    for j in range(n_ev):
        lk = draw(st.sampled_from([x[0] for x in links]))
        s = float(draw(st.integers(0, 5)) * 12)
        length = float(draw(st.integers(1, 6)) * 12)
        f = draw(st.sampled_from([0.0, 0.5]))
        events.append(TimelineEvent(id=f"e{j}", element=lk, start_h=s, end_h=s + length,
                                    factor=f))
    horizon = float(draw(st.integers(2, 6)) * 24)
    return net, events, horizon


def _greedy(net: Any, tl: Timeline, edges: np.ndarray, rate: float, limit: float
            ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Brute force, one max flow per period: serve what the period's capacity allows out of
    the backlog plus new demand; the queue fills before anything is dropped."""
    c = net.compiled
    served, backlog, lost = [], [], []
    b = 0.0
    for s, e in itertools.pairwise(edges):
        days = (e - s) / 24.0
        mf = max_flow(c, ["N0"], ["N4"], factor=tl.factor_at(float(s))).value
        srv = min(mf * days, b + rate * days)
        b = b + rate * days - srv
        drop = max(b - limit, 0.0)
        b -= drop
        served.append(srv / days)
        backlog.append(b)
        lost.append(drop)
    return np.array(served), np.array(backlog), np.array(lost)


@settings(max_examples=40, deadline=None)
@given(instances(), st.integers(1, 8), st.sampled_from([0.0, 0.5, 2.0]))
def test_single_commodity_equals_greedy_phase_by_phase(inst: Any, rate: int,
                                                       bl_days: float) -> None:
    net, events, horizon = inst
    c = net.compiled
    tl = Timeline.from_events(c, events)
    res = multiperiod_served(c, [dem("k", "N0", "N4", float(rate))], tl, horizon_h=horizon,
                             step_h=24.0, backlog_days=bl_days)
    edges = np.r_[res.model.start_h, res.model.end_h[-1]]
    srv, bl, lost = _greedy(net, tl, edges, float(rate), bl_days * rate)
    np.testing.assert_allclose(res.served[:, 0], srv, atol=1e-5)
    np.testing.assert_allclose(res.backlog[:, 0], bl, atol=1e-4)
    np.testing.assert_allclose(res.lost[:, 0], lost, atol=1e-4)


@settings(max_examples=25, deadline=None)
@given(instances(), st.lists(st.integers(1, 6), min_size=2, max_size=3),
       st.lists(st.sampled_from([1.0, 3.0]), min_size=3, max_size=3))
def test_without_backlog_each_period_is_the_static_lp(inst: Any, rates: list[int],
                                                      prio: list[float]) -> None:
    """With no queue the periods decouple: each period's priority-weighted served demand is
    the static LP's optimum under that period's capacities (one LP per phase)."""
    net, events, horizon = inst
    c = net.compiled
    origins = ["N0", "N2", "N1"]
    demands = [dem(f"d{k}", origins[k], "N4", float(r), priority=prio[k])
               for k, r in enumerate(rates)]
    tl = Timeline.from_events(c, events)
    res = multiperiod_served(c, demands, tl, horizon_h=horizon, backlog_days=0.0)
    w = np.array([d.priority for d in demands])
    for p, s in enumerate(res.model.start_h):
        static = served_demand(c, demands, factor=tl.factor_at(float(s)), fastest=False)
        assert float(res.served[p] @ w) == pytest.approx(static.objective, abs=1e-5)


@settings(max_examples=20, deadline=None)
@given(instances(), st.lists(st.integers(1, 6), min_size=3, max_size=3), st.permutations(
    [0, 1, 2]))
def test_integrated_figures_do_not_depend_on_input_order(inst: Any, rates: list[int],
                                                         perm: list[int]) -> None:
    net, events, horizon = inst
    c = net.compiled
    tl = Timeline.from_events(c, events)
    origins = ["N0", "N2", "N1"]
    demands = [dem(f"d{k}", origins[k], "N4", float(r)) for k, r in enumerate(rates)]
    a = multiperiod_served(c, demands, tl, horizon_h=horizon, backlog_days=1.0)
    b = multiperiod_served(c, [demands[i] for i in perm], tl, horizon_h=horizon,
                           backlog_days=1.0)
    got_b = dict(zip([demands[i].id for i in perm], b.delivered, strict=True))
    for k, d in enumerate(demands):
        assert a.delivered[k] == pytest.approx(got_b[d.id], abs=1e-4)


def test_unique_stage_gives_the_same_periods_in_any_order() -> None:
    """Two equal demands share a link that closes for a day: stage 4 fixes the split."""
    net = make_network([("AM", "A", "M", 10), ("BM", "B", "M", 10), ("MT", "M", "T", 6)],
                       direction="forward")
    c = net.compiled
    tl = Timeline.from_events(c, [TimelineEvent("x", "MT", 24.0, 48.0, 0.0)])
    demands = [dem("a", "A", "T", 2.0), dem("b", "B", "T", 3.0)]
    r1 = multiperiod_served(c, demands, tl, horizon_h=240, backlog_days=3.0, unique=True)
    r2 = multiperiod_served(c, demands[::-1], tl, horizon_h=240, backlog_days=3.0, unique=True)
    assert r1.unique
    np.testing.assert_allclose(r1.served, r2.served[:, ::-1], atol=1e-5)
    # day 2 the link is shut; the backlog of both drains at equal fractions afterwards
    assert r1.served[1] == pytest.approx([0.0, 0.0], abs=1e-6)
    assert r1.backlog[1] == pytest.approx([2.0, 3.0])
    assert r1.backlog[-1] == pytest.approx([0.0, 0.0], abs=1e-6)


def _disruption(el: str, start: dt.datetime, days: float | None) -> Disruption:
    return Disruption(id=f"cut-{el}", element=el, start=start,
                      end=None if days is None else start + dt.timedelta(days=days))


def test_a_disruption_on_unused_capacity_costs_nothing() -> None:
    net = make_network([("AB", "A", "B", 10), ("AC", "A", "C", 10), ("CB", "C", "B", 10),
                        ("XY", "X", "Y", 5)], direction="forward")
    c = net.compiled
    demands = [dem("k", "A", "B", 8.0), dem("j", "X", "Y", 1.0)]
    cost = disruption_cost(c, demands, [_disruption("AB", T0, 3.0)], horizon_days=10)
    assert cost.summary["loss_t"].abs().max() == pytest.approx(0.0, abs=1e-6)
    assert not cost.summary["affected"].any()


def test_a_closure_builds_a_backlog_that_drains_after_reopening() -> None:
    net = make_network([("AB", "A", "B", 10)], direction="forward")
    c = net.compiled
    cost = disruption_cost(c, [dem("k", "A", "B", 6.0)],
                           [_disruption("AB", T0 + dt.timedelta(days=1), 2.0)],
                           start=T0, horizon_days=10, backlog_days=5.0)
    row = cost.summary.iloc[0]
    # 2 days shut: 12 queued; 4/day of spare capacity drains it in 3 days after reopening
    assert row["backlog_peak_t"] == pytest.approx(12.0)
    assert row["backlog_drained_date"] == T0 + dt.timedelta(days=6)
    assert row["recovered_date"] == T0 + dt.timedelta(days=3)
    assert row["loss_t"] == pytest.approx(0.0, abs=1e-6)
    assert row["worst_case_loss_t"] == pytest.approx(60.0)
    short = disruption_cost(c, [dem("k", "A", "B", 6.0)],
                            [_disruption("AB", T0 + dt.timedelta(days=1), 2.0)],
                            start=T0, horizon_days=10, backlog_days=1.0)
    # the queue holds one day (6); the other 6 are lost
    assert short.summary.iloc[0]["loss_t"] == pytest.approx(6.0)
    assert short.summary.iloc[0]["lost_beyond_queue_t"] == pytest.approx(6.0)


def test_index_maps_point_at_the_right_rows_and_columns() -> None:
    net = make_network([("AB", "A", "B", 10), ("BC", "B", "C", 4)], direction="forward")
    c = net.compiled
    tl = Timeline.from_events(c, [TimelineEvent("x", "BC", 24.0, 48.0, 0.5)])
    mp = build_multiperiod_lp(c, [dem("k", "A", "C", 3.0, via=("B",))], tl, horizon_h=72)
    lp = mp.lp
    bc = c.link_index["BC"]
    r = lp.row_of_arc[bc]
    assert [lp.b_ub[lp.cap_row[p, r]] for p in range(3)] == pytest.approx([4, 2, 4])
    col = lp.flow_col(0, 1, bc, 1)
    assert lp.A_ub[lp.cap_row[1, r], col] == 1.0
    assert lp.bounds[lp.flow_col(0, 0, bc, 1), 1] == np.inf
    assert lp.backlog_col.shape == (3, 1)
    assert lp.lost_col.shape == (3, 1)


def test_corridor_2023_attack_cost() -> None:
    from chokepoint.data import load_builtin

    s = load_builtin("corridor")
    cost = disruption_cost(s.network.compiled, s.demands, s.disruptions)
    sm = cost.summary.set_index("commodity")
    assert (sm["loss_t"] >= -1e-5 * sm["demand_t"]).all()  # LP round-off, relative
    assert cost.total_loss_t > 0
    assert sm.loc["dprk_munitions", "route"] == "rajin → dunai → tikhoretsk_depot"
    # the dated event costs less than every disruption for ever
    assert cost.total_loss_t < sm["worst_case_loss_t"].sum()


def test_cli_cost_json_names_commodities_routes_and_units(
        capsys: pytest.CaptureFixture[str]) -> None:
    import json

    from chokepoint.cli import main

    with pytest.raises(SystemExit) as exc:
        main(["cost", "builtin:corridor", "--json", "--horizon-days", "20"])
    assert exc.value.code == 0
    data = json.loads(capsys.readouterr().out)
    assert data["unit"] == "t"
    assert data["horizon_days"] == 20.0
    mun = next(r for r in data["commodities"] if r["commodity"] == "dprk_munitions")
    assert mun["route"] == "rajin → dunai → tikhoretsk_depot"
    assert data["total_loss"] > 0
    with pytest.raises(SystemExit) as bad:
        main(["cost", "builtin:corridor", "--backlog-days", "-1"])
    assert bad.value.code == 2
    assert "--backlog-days" in capsys.readouterr().err
