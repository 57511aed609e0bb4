"""Time-aware interdiction: the decomposition's optimum equals brute-force enumeration of every
attack plan with its timings (Hypothesis), bounds bracket it, and the corridor answer."""

from __future__ import annotations

import itertools
import math
from dataclasses import dataclass

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy.optimize import linprog

from chokepoint.analyses._flowlp import build_flow_lp
from chokepoint.analyses.interdiction import attack_model, timed_interdiction
from chokepoint.compiled import CompiledNetwork
from chokepoint.errors import InputError
from chokepoint.network import Network
from chokepoint.scenario import Demand
from chokepoint.units import Units

EXACT = settings(max_examples=200, deadline=None, derandomize=True)


@dataclass
class TimedCase:
    """A tiny network, demands and a timed attacker."""

    c: CompiledNetwork
    demands: list[Demand]
    kind: str
    k: int
    budget: float | None
    cost: dict[str, float]
    repair: dict[str, float]
    horizon: int
    attack_day: int | None
    backlog: float | None


@st.composite
def timed_cases(draw: st.DrawFn) -> TimedCase:
    n = draw(st.integers(3, 4))
    nodes = [f"n{i}" for i in range(n)]
    pair = st.tuples(st.integers(0, n - 1), st.integers(0, n - 1)).filter(lambda p: p[0] != p[1])
    ends = draw(st.lists(pair, min_size=3, max_size=5))
    links = pd.DataFrame([{
        "id": f"L{i}", "from": nodes[u], "to": nodes[v],
        "capacity": float(draw(st.integers(1, 8))),
        "time_h": float(draw(st.sampled_from([0, 6, 12, 18, 30]))),
        "direction": draw(st.sampled_from(["forward", "forward", "both"])),
        "group": draw(st.sampled_from(["", "g0", "g1"]))} for i, (u, v) in enumerate(ends)])
    node_df = pd.DataFrame({"id": nodes,
                            "handling_capacity": [draw(st.sampled_from([math.inf, 6.0]))
                                                  for _ in nodes],
                            "group": [draw(st.sampled_from(["", "", "g0"])) for _ in nodes]})
    c = Network.from_frames(node_df, links, units=Units.unitless()).compiled
    demands = []
    for j in range(draw(st.integers(1, 2))):
        o, d = draw(pair)
        demands.append(Demand(id=f"d{j}", origin=nodes[o], destination=nodes[d],
                              rate=float(draw(st.integers(1, 9))),
                              priority=float(draw(st.sampled_from([1, 1, 3])))))
    kind = draw(st.sampled_from(["link", "node", "group"]))
    ids = [str(x) for x in {"link": c.link_ids, "node": c.node_ids, "group": c.group_ids}[kind]]
    choose = draw(st.integers(0, 3)) == 0
    horizon = draw(st.integers(2, 3)) if choose else draw(st.integers(1, 5))
    repair = {e: draw(st.sampled_from([0.0, 1.0, 1.5, 2.0, 3.0, math.inf])) for e in ids}
    cost: dict[str, float] = {}
    budget = None
    if draw(st.booleans()):
        cost = {e: float(draw(st.integers(1, 3))) for e in ids}
        budget = float(draw(st.integers(1, 4)))
    return TimedCase(c=c, demands=demands, kind=kind, k=draw(st.integers(1, 2)), budget=budget,
                     cost=cost, repair=repair, horizon=horizon,
                     attack_day=None if choose else draw(st.integers(0, horizon - 1)),
                     backlog=draw(st.sampled_from([None, 1.0, 2.5])))


def _served(case: TimedCase, closures: list[tuple[str, int]]) -> float:
    """Brute force: the multi-period LP (shared builder, scipy's HiGHS) with each attacked
    element's arcs at capacity 0 from its attack day for its repair time."""
    P = case.horizon
    cap = np.tile(case.c.capacity, (P, 1))
    for e, day in closures:
        r = case.repair[e]
        end = P if not math.isfinite(r) else min(P, day + math.ceil(r - 1e-9))
        cap[day:end, case.c.arcs_of(case.kind, [e])] = 0.0
    limit = None if case.backlog is None else \
        np.array([d.rate for d in case.demands]) * case.backlog
    lp = build_flow_lp(case.c, case.demands, cap, period_days=np.ones(P), backlog_limit=limit)
    res = linprog(-lp.obj, A_ub=lp.A_ub, b_ub=lp.b_ub, A_eq=lp.A_eq, b_eq=lp.b_eq,
                  bounds=lp.bounds, method="highs")
    assert res.status == 0
    return float(-res.fun)


def _brute_force(case: TimedCase) -> float:
    model = attack_model(case.c, kind=case.kind, k=case.k, budget=case.budget, cost=case.cost)
    elems = [model.ids[i] for i in np.flatnonzero(model.attackable)]
    days = range(case.horizon) if case.attack_day is None else [case.attack_day]
    intact = _served(case, [])
    worst = intact
    for size in range(1, case.k + 1):
        for plan in itertools.combinations(elems, size):
            if sum(case.cost.get(e, 1.0) for e in plan) > model.budget + 1e-9:
                continue
            for when in itertools.product(days, repeat=size):
                worst = min(worst, _served(case, list(zip(plan, when, strict=True))))
    return intact - worst


@EXACT
@given(timed_cases())
def test_timed_optimum_equals_brute_force(case: TimedCase) -> None:
    r = timed_interdiction(case.c, case.demands, k=case.k, horizon_days=case.horizon,
                           repair_days=case.repair, kind=case.kind, budget=case.budget,
                           cost=case.cost, attack_day=case.attack_day,
                           backlog_days=case.backlog)
    truth = _brute_force(case)
    tol = 1e-6 * max(1.0, r.intact_value)
    assert r.status == "optimal"
    assert r.value == pytest.approx(truth, abs=tol)
    assert r.lower_bound - tol <= truth <= r.upper_bound + tol
    # the plan shown is the one valued, and it is feasible
    closures = [(t["element"], t["attack_day"]) for t in r.timing]
    assert r.intact_value - _served(case, closures) == pytest.approx(r.value, abs=tol)
    assert len(r.removed) <= case.k


def test_bounds_bracket_at_time_limit() -> None:
    """A zero time limit still reports bounds that bracket the optimum."""
    links = pd.DataFrame([
        {"id": "a", "from": "s", "to": "x", "capacity": 10.0},
        {"id": "b", "from": "x", "to": "t", "capacity": 6.0},
        {"id": "c", "from": "s", "to": "y", "capacity": 5.0},
        {"id": "d", "from": "y", "to": "t", "capacity": 8.0},
        {"id": "e", "from": "x", "to": "y", "capacity": 3.0}])
    c = Network.from_frames(None, links, units=Units.unitless()).compiled
    dem = [Demand(id="d1", origin="s", destination="t", rate=9.0, priority=2.0)]
    rep = {"a": 2, "b": 1, "c": 3, "d": 5, "e": 1}
    exact = timed_interdiction(c, dem, k=2, horizon_days=6, repair_days=rep, kind="link")
    assert exact.status == "optimal"
    assert exact.removed == ["a", "d"]
    # priority 2 x (days 0-1: nothing gets through, 9/day; days 2-4: only s-x-t, 6 of 9)
    assert exact.value == pytest.approx(2 * (2 * 9 + 3 * 3))
    cut = timed_interdiction(c, dem, k=2, horizon_days=6, repair_days=rep, kind="link",
                             time_limit=0.0)
    assert cut.status == "time_limit"
    assert cut.lower_bound <= exact.value <= cut.upper_bound


def test_bad_attack_day() -> None:
    links = pd.DataFrame([{"id": "a", "from": "s", "to": "t", "capacity": 1.0}])
    c = Network.from_frames(None, links, units=Units.unitless()).compiled
    dem = [Demand(id="d", origin="s", destination="t", rate=1.0)]
    with pytest.raises(InputError, match="horizon"):
        timed_interdiction(c, dem, k=1, horizon_days=3, repair_days={}, kind="link",
                           attack_day=5)


def test_cli_corridor_k2_json(capsys: pytest.CaptureFixture[str]) -> None:
    """`interdict builtin:corridor --k 2 --horizon-days 90 --json` returns the agreed keys and
    an exact answer whose timing matches the repair times. The budget is in attack-cost units:
    2 buys two plain line sections or one bridge; the answer is the Khabarovsk bridge over the
    Amur (attack cost 2, closed 30 days), whose loss leaves Primorye's ports the single-track
    Amur tunnel."""
    import json

    from chokepoint.cli import main
    from chokepoint.data import load_builtin

    with pytest.raises(SystemExit) as info:
        main(["interdict", "builtin:corridor", "--k", "2", "--horizon-days", "90", "--by",
              "group", "--json"])
    assert info.value.code == 0
    data = json.loads(capsys.readouterr().out)
    for key in ("value", "unit", "removed", "timing", "lower_bound", "upper_bound", "status"):
        assert key in data
    assert data["status"] == "optimal"
    assert data["lower_bound"] == pytest.approx(data["value"])
    assert data["upper_bound"] == pytest.approx(data["value"])
    assert 0 < data["value"] < data["intact"]
    cost, _ = load_builtin().network.attack_terms("group")
    assert data["budget"] == 2
    assert sum(cost[e] for e in data["removed"]) <= data["budget"]
    assert data["removed"] == ["amur_bridge"]
    assert [t["reopen_day"] - t["attack_day"] for t in data["timing"]] == [30]
    assert [t["element"] for t in data["timing"]] == data["removed"]
    assert all(t["attack_date"] == data["start"] for t in data["timing"])
    # the budget in words: a count of groups AND an attack-cost budget (default k)
    assert data["budget_rule"] == "at most 2 groups of total attack cost ≤ 2"


def test_cli_needs_horizon(capsys: pytest.CaptureFixture[str]) -> None:
    from chokepoint.cli import main

    with pytest.raises(SystemExit) as info:
        main(["interdict", "builtin:corridor", "--k", "1", "--objective", "lost"])
    assert info.value.code == 2
    assert "--horizon-days" in capsys.readouterr().err


HARDEN = settings(max_examples=25, deadline=None, derandomize=True)


@HARDEN
@given(timed_cases(), st.integers(1, 2))
def test_timed_hardening_equals_brute_force(case: TimedCase, protect: int) -> None:
    """The defender's optimum equals enumeration of every protection set, each against the
    brute-force worst timed attack."""
    from chokepoint.analyses.hardening import harden_timed

    r = harden_timed(case.c, case.demands, protect=protect, k=case.k,
                     horizon_days=case.horizon, repair_days=case.repair, kind=case.kind,
                     budget=case.budget, cost=case.cost, attack_day=case.attack_day,
                     backlog_days=case.backlog)
    model = attack_model(case.c, kind=case.kind, k=case.k, budget=case.budget, cost=case.cost)
    elems = [model.ids[i] for i in np.flatnonzero(model.attackable)]
    best = math.inf
    for size in range(0, min(protect, len(elems)) + 1):
        for hard in itertools.combinations(elems, size):
            sub = TimedCase(**{**case.__dict__, "cost": {**{e: 1.0 for e in elems},
                                                         **case.cost,
                                                         **{e: 1e9 for e in hard}}})
            best = min(best, _brute_force(sub))
    tol = 1e-6 * max(1.0, r.intact_value)
    assert r.status == "optimal"
    assert r.value == pytest.approx(best, abs=tol)
    assert len(r.protected) <= protect


# -- objective delay ---------------------------------------------------------------------------
DELAY = settings(max_examples=100, deadline=None, derandomize=True)


def _completion_steps(case: TimedCase, closures: list[tuple[str, int]], units: float,
                      step_h: float) -> int:
    """Brute force: quickest transshipment (dynamic.py, time-expanded) under a timeline."""
    from chokepoint.analyses.dynamic import quickest_transshipment
    from chokepoint.timeline import Timeline, TimelineEvent

    P = case.horizon
    events = []
    for e, day in closures:
        r = case.repair[e]
        end = P if not math.isfinite(r) else min(P, day + math.ceil(r - 1e-9))
        if end > day:
            events.append(TimelineEvent(id=f"x{e}", element=e, start_h=24.0 * day,
                                        end_h=24.0 * end, factor=0.0))
    d = case.demands[0]
    tl = Timeline.from_events(case.c, events) if events else None
    q = quickest_transshipment(case.c, [d.origin], [d.destination], units, step_h=step_h,
                               timeline=tl, max_horizon_h=24.0 * P, method="expanded",
                               curve=False)
    n = round(24.0 * P / step_h)
    return int(q.n_steps) if q.status == "ok" and q.n_steps is not None and q.n_steps <= n \
        else n + 1


@DELAY
@given(timed_cases(), st.integers(1, 30))
def test_delay_optimum_equals_brute_force(case: TimedCase, units: int) -> None:
    from chokepoint.analyses.interdiction.delay import delay_interdiction

    step_h = 12.0
    d = case.demands[0]
    r = delay_interdiction(case.c, d, units=float(units), k=case.k, horizon_days=case.horizon,
                           repair_days=case.repair, kind=case.kind, budget=case.budget,
                           cost=case.cost, attack_day=case.attack_day, step_h=step_h)
    model = attack_model(case.c, kind=case.kind, k=case.k, budget=case.budget, cost=case.cost)
    elems = [model.ids[i] for i in np.flatnonzero(model.attackable)]
    days = range(case.horizon) if case.attack_day is None else [case.attack_day]
    intact = _completion_steps(case, [], float(units), step_h)
    worst = intact
    for size in range(1, case.k + 1):
        for plan in itertools.combinations(elems, size):
            if sum(case.cost.get(e, 1.0) for e in plan) > model.budget + 1e-9:
                continue
            for when in itertools.product(days, repeat=size):
                worst = max(worst, _completion_steps(
                    case, list(zip(plan, when, strict=True)), float(units), step_h))
    assert r.status == "optimal"
    assert r.value == pytest.approx((worst - intact) * step_h / 24.0)
    assert r.lower_bound <= r.value <= r.upper_bound


def test_compare_2023_attack_on_corridor() -> None:
    """The 2023 plan (tunnel 3 days from day 0, bypass bridge from day 0 for its repair time)
    costs no more than the worst attack of the same size and cost on the same day, and the
    comparison's figures agree with the plan's own valuation."""
    from chokepoint.analyses.interdiction.compare import compare_attack
    from chokepoint.analyses.interdiction.repair import repair_days
    from chokepoint.data import load_builtin

    s = load_builtin("corridor")
    rep = repair_days(s.network, "group")
    cost, locked = s.network.attack_terms("group")
    plan = [("severomuysky_tunnel", 0, 3.0), ("devils_bridge", 0, rep["devils_bridge"])]
    cmp = compare_attack(s.network.compiled, s.demands, plan, horizon_days=30,
                         repair_days=rep, cost=cost, protected=locked, defend=False)
    assert cmp.worst.status == "optimal"
    assert 0.0 <= cmp.actual_lost <= cmp.worst.value + 1e-6 * cmp.intact
    assert len(cmp.worst.removed) <= 2


SERIES = settings(max_examples=60, deadline=None, derandomize=True)


@SERIES
@given(timed_cases())
def test_attackers_sharing_one_operator_equal_brute_force(case: TimedCase) -> None:
    """Several attackers on one operator LP (cuts carried over from one to the next) give
    each its own brute-force optimum."""
    from chokepoint.analyses.interdiction import timed_interdictions

    attackers = [(2, case.budget), (1, case.budget)]
    results = timed_interdictions(case.c, case.demands, attackers=attackers,
                                  horizon_days=case.horizon, repair_days=case.repair,
                                  kind=case.kind, cost=case.cost, attack_day=case.attack_day,
                                  backlog_days=case.backlog)
    for (k, _), r in zip(attackers, results, strict=True):
        case.k = k
        truth = _brute_force(case)
        assert r.status == "optimal"
        assert r.value == pytest.approx(truth, abs=1e-6 * max(1.0, r.intact_value))


@SERIES
@given(timed_cases())
def test_a_protected_attacker_on_the_shared_operator_equals_brute_force(case: TimedCase) -> None:
    """An attacker reusing an earlier search's operator LP (as the defence's attackers do)
    gets its own brute-force optimum, on that same LP, without solving a plan twice."""
    first = timed_interdiction(case.c, case.demands, k=case.k, horizon_days=case.horizon,
                               repair_days=case.repair, kind=case.kind, budget=case.budget,
                               cost=case.cost, attack_day=case.attack_day,
                               backlog_days=case.backlog)
    assert first.operator is not None
    solved = first.operator.op.solves
    hard = first.removed[:1]
    again = timed_interdiction(case.c, list(case.demands), k=case.k,
                               horizon_days=case.horizon, repair_days=case.repair,
                               kind=case.kind, budget=case.budget,
                               cost={**case.cost, **{e: 1e9 for e in hard}},
                               attack_day=case.attack_day, backlog_days=case.backlog,
                               operator=first.operator)
    assert again.operator is first.operator  # same network and demand objects: reused
    assert again.operator.op.solves - solved <= again.solver["iterations"]
    truth = _brute_force(TimedCase(**{**case.__dict__,
                                      "cost": {**case.cost, **{e: 1e9 for e in hard}}}))
    assert again.status == "optimal"
    assert again.value == pytest.approx(truth, abs=1e-6 * max(1.0, again.intact_value))
    other = timed_interdiction(case.c, case.demands[:1], k=case.k, horizon_days=case.horizon,
                               repair_days=case.repair, kind=case.kind, budget=case.budget,
                               cost=case.cost, attack_day=case.attack_day,
                               backlog_days=case.backlog, operator=first.operator)
    assert other.operator is not first.operator or len(case.demands) == 1
