"""Flows over time: closed forms, a brute-force discrete-time LP, method agreement, quickest
transshipment and disruption timelines."""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from scipy.optimize import linprog

from chokepoint.analyses.dynamic import (
    STEP_LADDER_H,
    default_step_h,
    earliest_arrival_curve,
    max_flow_over_time,
    quickest_transshipment,
    temporally_repeated_value,
)
from chokepoint.compiled import CompiledNetwork
from chokepoint.errors import InputError
from chokepoint.timeline import Timeline, TimelineEvent
from conftest import make_network


def _path(n_links: int, cap_per_day: float, time_h: float = 1.0) -> CompiledNetwork:
    links = [(f"l{i}", f"n{i}", f"n{i + 1}", cap_per_day, {"time_h": time_h})
             for i in range(n_links)]
    return make_network(links, direction="forward").compiled


# -- closed forms -----------------------------------------------------------------------------
@pytest.mark.parametrize(("L", "c", "N"), [(1, 1, 1), (4, 1, 5), (3, 2, 7), (6, 5, 10)])
@pytest.mark.parametrize("method", ["repeated", "expanded"])
def test_path_closed_form(L: int, c: int, N: int, method: str) -> None:
    # c units per 1-h step; N units arrive by L + ceil(N / c) steps
    net = _path(L, 24 * c)
    q = quickest_transshipment(net, ["n0"], [f"n{L}"], N, step_h=1.0, method=method)  # type: ignore[arg-type]
    assert q.status == "ok"
    assert q.n_steps == L + math.ceil(N / c)
    assert q.time_h == q.n_steps * 1.0
    cum = q.curve.cumulative
    expected = [min(max(T - L, 0) * c, 10**9) for T in range(q.n_steps + 1)]
    np.testing.assert_allclose(cum, expected)
    assert cum[-1] >= N > cum[-2]


def test_transit_times_round_up() -> None:
    # 1.5 h at 1-h steps is 2 steps (never faster than reality); 2.0 h stays 2 steps
    for t, steps in ((1.5, 2), (2.0, 2), (0.01, 1), (0.0, 0)):
        net = _path(1, 24, time_h=t)
        q = quickest_transshipment(net, ["n0"], ["n1"], 1, step_h=1.0)
        assert q.n_steps == steps + 1


def test_parallel_paths_closed_form() -> None:
    # fast path: 2 steps, 1/step; slow path: 5 steps, 3/step
    net = make_network([("f", "s", "t", 24, {"time_h": 2.0}),
                        ("g1", "s", "m", 72, {"time_h": 2.0}),
                        ("g2", "m", "t", 72, {"time_h": 3.0})], direction="forward").compiled
    for T in range(12):
        want = max(T - 2, 0) * 1 + max(T - 5, 0) * 3
        for method in ("repeated", "expanded"):
            r = max_flow_over_time(net, ["s"], ["t"], horizon_h=T, step_h=1.0,
                                   method=method)  # type: ignore[arg-type]
            assert r.value == pytest.approx(want)
    q = quickest_transshipment(net, ["s"], ["t"], 20, step_h=1.0)
    # f(T) = (T-2) + 3(T-5) >= 20  ->  4T >= 37  ->  T = 10
    assert q.n_steps == 10


def test_single_bottleneck() -> None:
    # two wide feeders into one narrow arc (2 per step), then a wide exit
    net = make_network([("a1", "s1", "x", 2400, {"time_h": 1.0}),
                        ("a2", "s2", "x", 2400, {"time_h": 3.0}),
                        ("b", "x", "y", 48, {"time_h": 2.0}),
                        ("c", "y", "t", 2400, {"time_h": 1.0})], direction="forward").compiled
    q = quickest_transshipment(net, ["s1", "s2"], ["t"], 9, step_h=1.0)
    # fastest route 4 steps, then 2 per step: 4 + ceil(9/2) = 9
    assert q.n_steps == 9
    # the source-to-sink lower bound is reported in hours, continuous
    assert q.lower_bound_h == pytest.approx(4 + 24 * 9 / 48)


def test_node_handling_is_a_rate_and_dwell_a_transit() -> None:
    nodes = [{"id": "s"}, {"id": "h", "handling_capacity": 24.0, "dwell_h": 2.0}, {"id": "t"}]
    net = make_network([("a", "s", "h", 2400, {"time_h": 1.0}),
                        ("b", "h", "t", 2400, {"time_h": 1.0})], nodes,
                       direction="forward").compiled
    q = quickest_transshipment(net, ["s"], ["t"], 5, step_h=1.0, method="expanded")
    # route 1 + 2 (dwell) + 1 = 4 steps; handling 1 per step -> 4 + 5
    assert q.n_steps == 9


def test_supplies_are_amounts_not_rates() -> None:
    # 10 units at the source, arc capacity 3 per step: all 10 arrive, over 4 steps
    net = _path(1, 72)
    r = max_flow_over_time(net, ["n0"], ["n1"], horizon_h=20, step_h=1.0,
                           supplies={"n0": 10.0})
    assert r.value == pytest.approx(10.0)
    q = quickest_transshipment(net, ["n0"], ["n1"], 10, step_h=1.0, supplies={"n0": 10.0})
    assert q.n_steps == 1 + 4
    with pytest.raises(InputError, match="not one of the sources"):
        max_flow_over_time(net, ["n0"], ["n1"], horizon_h=5, step_h=1.0, supplies={"x": 1.0})


def test_demands_limit_each_sink() -> None:
    net = make_network([("a", "s", "t1", 240, {"time_h": 1.0}),
                        ("b", "s", "t2", 240, {"time_h": 1.0})], direction="forward").compiled
    r = max_flow_over_time(net, ["s"], ["t1", "t2"], horizon_h=10, step_h=1.0,
                           demands={"t1": 3.0})
    assert r.value == pytest.approx(3.0 + 9 * 10)
    cur = earliest_arrival_curve(net, ["s"], ["t1", "t2"], horizon_h=4, step_h=1.0,
                                 demands={"t1": 3.0})
    assert cur.method == "prefix"
    np.testing.assert_allclose(cur.cumulative, [0, 0, 13, 23, 33])


def test_storage_matters_with_a_timeline() -> None:
    # a->b open only in hours [0, 3); b->c open only from hour 5: goods must wait at b
    net = make_network([("ab", "a", "b", 24, {"time_h": 1.0}),
                        ("bc", "b", "c", 24, {"time_h": 1.0})], direction="forward").compiled
    tl = Timeline.from_events(net, [TimelineEvent("x", "ab", 3, math.inf, 0.0),
                                    TimelineEvent("y", "bc", 0, 5, 0.0)])
    kw: dict[str, Any] = {"horizon_h": 12, "step_h": 1.0, "timeline": tl}
    assert max_flow_over_time(net, ["a"], ["c"], **kw).value == pytest.approx(3.0)
    assert max_flow_over_time(net, ["a"], ["c"], storage=False, **kw).value == 0.0
    assert max_flow_over_time(net, ["a"], ["c"], storage={"b": 2.0}, **kw).value == \
        pytest.approx(2.0)


def test_status_unreachable_and_horizon() -> None:
    net = make_network([("ab", "a", "b", 24, {"time_h": 1.0}),
                        ("cd", "c", "d", 24, {"time_h": 1.0})], direction="forward").compiled
    assert quickest_transshipment(net, ["a"], ["d"], 5, step_h=1.0).status == "unreachable"
    path = _path(2, 24)
    q = quickest_transshipment(path, ["n0"], ["n2"], 100, step_h=1.0, max_horizon_h=50)
    assert q.status == "not within max horizon"
    assert q.time_h is None
    closed = Timeline.from_events(path, [TimelineEvent("x", "l1", 10, math.inf, 0.0)])
    q = quickest_transshipment(path, ["n0"], ["n2"], 100, step_h=1.0, timeline=closed,
                               max_horizon_h=200)
    assert q.status == "not within max horizon"
    assert q.curve.cumulative[-1] == pytest.approx(9.0)  # departures in steps 0..8 only


def test_timeline_closure_delays_arrival() -> None:
    net = _path(2, 24)
    base = quickest_transshipment(net, ["n0"], ["n2"], 5, step_h=1.0)
    tl = Timeline.from_events(net, [TimelineEvent("x", "l0", 0, 10, 0.0)])
    late = quickest_transshipment(net, ["n0"], ["n2"], 5, step_h=1.0, timeline=tl)
    assert late.method == "expanded"
    assert (base.n_steps, late.n_steps) == (7, 17)
    half = Timeline.from_events(net, [TimelineEvent("x", "l1", 0, math.inf, 0.5)])
    slow = quickest_transshipment(net, ["n0"], ["n2"], 5, step_h=1.0, timeline=half)
    assert slow.method == "repeated"  # a constant timeline is a static reduction
    assert slow.n_steps == 2 + 10


def test_builtin_quickest_with_and_without_disruptions() -> None:
    from chokepoint.data import load_builtin

    s = load_builtin()
    c = s.network.compiled
    N = 1000 * s.units.quantity_factor("TEU")
    ends = (["dunai"], ["tikhoretsk_depot"])
    q = quickest_transshipment(c, *ends, N, step_h=2.0)
    e = quickest_transshipment(c, *ends, N, step_h=2.0, method="expanded")
    assert q.status == e.status == "ok"
    assert q.time_h == e.time_h
    assert q.time_h is not None
    assert q.time_h >= q.lower_bound_h
    # exact below N; the point at the answer is only guaranteed to be >= N
    np.testing.assert_allclose(q.curve.cumulative[:-1], e.curve.cumulative[:-1], atol=1e-6)
    assert min(q.curve.cumulative[-1], e.curve.cumulative[-1]) >= N - 1e-6
    tl = Timeline.from_scenario(c, s.disruptions, start=min(d.start for d in s.disruptions))
    d = quickest_transshipment(c, *ends, N, step_h=2.0, timeline=tl)
    assert d.status == "ok"
    assert d.time_h is not None
    assert d.time_h >= q.time_h
    data = q.to_dict(s.units.quantity_factor("TEU"), "TEU")
    assert data["unit"] == "TEU"
    assert data["curve"][-1][1] >= 1000 - 1e-6


def test_default_step_is_on_the_ladder() -> None:
    net = _path(3, 24, time_h=5.0)
    st_h = default_step_h(net, ["n0"], ["n3"], units=10)
    assert st_h in STEP_LADDER_H
    q = quickest_transshipment(net, ["n0"], ["n3"], 10)
    assert q.step_h in STEP_LADDER_H
    assert q.status == "ok"
    assert q.time_h == pytest.approx(15 + 10 * 24 / 24, abs=q.step_h)


def test_bad_inputs() -> None:
    net = _path(1, 24)
    with pytest.raises(InputError):
        quickest_transshipment(net, ["n0"], ["n1"], 0)
    with pytest.raises(InputError):
        max_flow_over_time(net, ["n0"], ["n1"], horizon_h=5, step_h=0.0)
    tl = Timeline.from_events(net, [TimelineEvent("x", "l0", 1, 2, 0.0)])
    with pytest.raises(InputError, match="expanded"):
        max_flow_over_time(net, ["n0"], ["n1"], horizon_h=5, step_h=1.0, timeline=tl,
                           method="repeated")


# -- brute force: a discrete-time LP written independently ------------------------------------
def _lp_value(c: CompiledNetwork, s: int, t: int, T: int, step_h: float,
              factors: np.ndarray | None) -> float:
    """Max flow over time by T steps as an LP over (arc, step) and (vertex, step) variables."""
    nV, m = c.n_vertices, c.n_arcs
    tau = [math.ceil(x / step_h - 1e-9) for x in c.time_h]
    var: list[tuple[str, int, int]] = []
    bounds: list[tuple[float, float | None]] = []
    for a in range(m):
        for th in range(T):
            if th + tau[a] <= T - 1:
                f = 1.0 if factors is None else float(factors[th, a])
                var.append(("x", a, th))
                bounds.append((0.0, c.capacity[a] * step_h / 24 * f))
    for v in range(nV):
        for th in range(T - 1):
            var.append(("h", v, th))
            bounds.append((0.0, None))
    for th in range(T):
        var.append(("in", s, th))
        bounds.append((0.0, None))
        var.append(("out", c.out_vertex[t], th))
        bounds.append((0.0, None))
    A = np.zeros((nV * T, len(var)))
    for j, (kind, i, th) in enumerate(var):
        if kind == "x":
            A[th * nV + c.tail[i], j] -= 1
            A[(th + tau[i]) * nV + c.head[i], j] += 1
        elif kind == "h":
            A[th * nV + i, j] -= 1
            A[(th + 1) * nV + i, j] += 1
        elif kind == "in":
            A[th * nV + i, j] += 1
        else:
            A[th * nV + i, j] -= 1
    cost = np.array([-1.0 if k == "out" else 0.0 for k, _, _ in var])
    res = linprog(cost, A_eq=A, b_eq=np.zeros(nV * T), bounds=bounds, method="highs")
    assert res.status == 0
    return float(-res.fun)


@st.composite
def _instances(draw: st.DrawFn) -> tuple[CompiledNetwork, int, list[TimelineEvent]]:
    n = draw(st.integers(3, 5))
    k = draw(st.integers(2, 7))
    links = []
    for i in range(k):
        u = draw(st.integers(0, n - 1))
        v = draw(st.integers(0, n - 2))
        v = v + 1 if v >= u else v
        cap = 24 * draw(st.integers(0, 4))
        time_h = draw(st.sampled_from([0.0, 0.5, 1.0, 2.0, 2.5]))
        links.append((f"e{i}", f"v{u}", f"v{v}", cap, {"time_h": time_h}))
    links.append(("z", "v0", f"v{n - 1}", 24, {"time_h": 3.0}))  # keep s and t connected
    c = make_network(links, direction="forward").compiled
    T = draw(st.integers(1, 7))
    events = [TimelineEvent(f"d{j}", f"e{draw(st.integers(0, k - 1))}",
                            float(draw(st.integers(0, 6))), float(draw(st.integers(7, 9))),
                            draw(st.sampled_from([0.0, 0.5])))
              for j in range(draw(st.integers(0, 2)))]
    return c, T, events


def _sink(c: CompiledNetwork) -> str:
    return max(map(str, c.node_ids), key=lambda x: int(x[1:]))


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(_instances())
def test_against_brute_force_lp(inst: tuple[CompiledNetwork, int, list[TimelineEvent]]) -> None:
    c, T, events = inst
    s, t = "v0", _sink(c)
    ti = c.node_index[t]
    si = c.node_index[s]
    static = _lp_value(c, si, ti, T, 1.0, None)
    for method in ("repeated", "expanded"):
        r = max_flow_over_time(c, [s], [t], horizon_h=T, step_h=1.0, method=method)  # type: ignore[arg-type]
        assert r.value == pytest.approx(static, abs=1e-6)
    # every curve point is the max by that time, by all three methods
    curves = [earliest_arrival_curve(c, [s], [t], horizon_h=T, step_h=1.0, method=m).cumulative
              for m in ("repeated", "mincost", "prefix")]
    for cv in curves[1:]:
        np.testing.assert_allclose(cv, curves[0], atol=1e-6)
    assert curves[0][-1] == pytest.approx(static, abs=1e-6)
    if events:
        tl = Timeline.from_events(c, events)
        want = _lp_value(c, si, ti, T, 1.0, tl.step_factors(1.0, T))
        got = max_flow_over_time(c, [s], [t], horizon_h=T, step_h=1.0, timeline=tl).value
        assert got == pytest.approx(want, abs=1e-6)
        cm = earliest_arrival_curve(c, [s], [t], horizon_h=T, step_h=1.0, timeline=tl,
                                    method="mincost").cumulative
        cp = earliest_arrival_curve(c, [s], [t], horizon_h=T, step_h=1.0, timeline=tl,
                                    method="prefix").cumulative
        np.testing.assert_allclose(cm, cp, atol=1e-6)
        assert got <= static + 1e-9


@settings(max_examples=25, deadline=None)
@given(_instances(), st.integers(1, 60))
def test_quickest_is_minimal(inst: tuple[CompiledNetwork, int, list[TimelineEvent]],
                             N: int) -> None:
    c, _, events = inst
    s, t = "v0", _sink(c)
    tl = Timeline.from_events(c, events) if events else None
    q = quickest_transshipment(c, [s], [t], N, step_h=1.0, timeline=tl, max_horizon_h=400)
    assert q.status == "ok"
    assert q.n_steps is not None
    T = q.n_steps
    v = max_flow_over_time(c, [s], [t], horizon_h=T, step_h=1.0, timeline=tl).value
    before = max_flow_over_time(c, [s], [t], horizon_h=T - 1, step_h=1.0, timeline=tl).value
    assert v >= N - 1e-9 > before
    if tl is None:
        e = quickest_transshipment(c, [s], [t], N, step_h=1.0, method="expanded")
        assert e.n_steps == T
        np.testing.assert_allclose(e.curve.cumulative[:-1], q.curve.cumulative[:-1])


def test_temporally_repeated_matches_expanded_on_a_grid() -> None:
    from benchmarks.generators import grid

    g = grid(6, 6, seed=3)
    c = g.net.compiled
    for T in (0, 3, 8, 15):
        rep = temporally_repeated_value(c, g.sources, g.sinks, horizon_h=T * 0.25,
                                        step_h=0.25)
        exp = max_flow_over_time(c, g.sources, g.sinks, horizon_h=T * 0.25, step_h=0.25,
                                 method="expanded").value
        assert rep == pytest.approx(exp, abs=1e-6)
    a = quickest_transshipment(c, g.sources, g.sinks, 300, step_h=0.25)
    b = quickest_transshipment(c, g.sources, g.sinks, 300, step_h=0.25, method="expanded")
    assert a.time_h == b.time_h
    np.testing.assert_allclose(a.curve.cumulative[:-1], b.curve.cumulative[:-1], atol=1e-6)
    sampled = quickest_transshipment(c, g.sources, g.sinks, 300, step_h=0.25, curve_points=5)
    assert len(sampled.curve.times_h) == 5
    for tt, v in zip(sampled.curve.times_h, sampled.curve.cumulative, strict=True):
        assert a.curve.at(tt) == pytest.approx(v, abs=1e-6)
