"""Time-aware interdiction: closures with repair times, and the served demand they cost.

The attacker picks up to ``k`` elements (within the budget, attackable ones) and, for each, an
attack period; element ``E`` attacked in period ``τ`` is closed in periods
``τ .. τ + ⌈r_E⌉ − 1`` (``r_E`` its repair time in days; a period is closed when a closure is
in force during any of it, the rule of the multi-period LP) and reopens afterwards. In every
daily period the operator routes the demands optimally (the multi-period served-demand LP of
:func:`chokepoint.analyses._flowlp.build_flow_lp` with backlog); the attacker maximises the
priority-weighted demand not delivered over the horizon.

Solved exactly by the attacker–defender decomposition of Brown, Carlyle, Salmerón & Wood
(*Interfaces* 36(6), 2006; Israeli & Wood, *Networks* 40(2), 2002, §4): the operator's
optimal plan ``y_j`` for an attack ``x_j`` (value ``V_j``) stays feasible under any other
attack once the flow through the newly closed (period, arc) pairs is dropped, so for every
plan ``x``

    V(x) ≥ V_j − Σ_{p,a} W_j[p,a] · z[p,a]

with ``W_j[p,a]`` the priority-weighted served demand ``y_j`` carries through arc ``a`` in
period ``p`` and ``z[p,a] = min(1, Σ_{options covering (p,a)} x_o)``. A master MIP minimises
``η`` over plans subject to every cut (a lower bound on the operator's worst value); the plan
it returns is evaluated exactly (an upper bound). A cut is tight at its own plan (``y_j``
carries nothing through arcs ``x_j`` closes), so a plan is never proposed twice without
proving optimality: the loop is finite. See ``docs/algorithms/interdiction.md``.
"""

from __future__ import annotations

import math
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from chokepoint.analyses.interdiction._master import Cuts, solve_master
from chokepoint.analyses.interdiction._operator import OperatorLP, build_operator
from chokepoint.analyses.interdiction.attack import AttackModel, attack_model
from chokepoint.compiled import CompiledNetwork
from chokepoint.errors import InputError
from chokepoint.scenario import Demand

__all__ = ["AttackOptions", "SharedOperator", "TimedInterdictionResult", "attack_options",
           "plan_value", "repair_options", "timed_interdiction", "timed_interdictions",
           "timed_plan_cost"]


@dataclass(kw_only=True)
class AttackOptions:
    """The attacker's options: one per (element, attack period), with the periods closed.

    Attributes
    ----------
    elem, start, end
        Per option: element number, first closed period and the period after the last.
    n_periods
        Periods of the horizon.
    """

    elem: np.ndarray
    start: np.ndarray
    end: np.ndarray
    n_periods: int

    def __len__(self) -> int:
        return len(self.elem)


def attack_options(model: AttackModel, repair_days: np.ndarray, *, n_periods: int,
                   attack_period: int | None) -> AttackOptions:
    """Options for every attackable element: attack in ``attack_period``, or (``None``) in
    any period of the horizon. Options that close nothing (repair time 0) are dropped."""
    att = np.flatnonzero(model.attackable)
    r = np.asarray(repair_days, dtype=float)[att]
    length = np.where(np.isfinite(r), np.ceil(r - 1e-9), n_periods).astype(np.int64)
    if attack_period is None:
        starts = np.arange(n_periods, dtype=np.int64)
    else:
        if not 0 <= attack_period < n_periods:
            raise InputError(f"the attack date falls outside the {n_periods}-day horizon")
        starts = np.array([attack_period], dtype=np.int64)
    elem = np.repeat(att, len(starts))
    start = np.tile(starts, len(att))
    end = np.minimum(start + np.repeat(length, len(starts)), n_periods)
    keep = end > start
    return AttackOptions(elem=elem[keep], start=start[keep], end=end[keep],
                         n_periods=n_periods)


def repair_options(model: AttackModel, repair_days: Mapping[str, float], default: float, *,
                   n_periods: int, attack_period: int | None) -> AttackOptions:
    """:func:`attack_options` with each element's repair days looked up by id (``default``
    for the elements not listed)."""
    repair = np.full(len(model.ids), float(default))
    index = {e: i for i, e in enumerate(model.ids)}
    for e, r in repair_days.items():
        if e in index:
            repair[index[e]] = float(r)
    return attack_options(model, repair, n_periods=n_periods, attack_period=attack_period)


@dataclass(kw_only=True, eq=False)
class SharedOperator:
    """An operator LP and every closure pattern solved on it, for later searches to reuse.

    ``seen`` maps a closure pattern (packed bits over ``op.closable``) to the operator's
    optimum and solution under it. A search given this (``operator=`` of
    :func:`timed_interdictions`) solves on the same loaded LP, never solves a pattern twice
    and starts from the cuts of every plan evaluated before (a cut holds for any attacker).
    It is reused only for the very network and demand objects (the same objects, in the same
    order), horizon and queue limit it was built for, and when its closable arcs include the
    search's.
    """

    op: OperatorLP
    seen: dict[bytes, tuple[float, np.ndarray]]
    network: CompiledNetwork
    demands: Sequence[Demand]
    backlog_days: float | None

    def fits(self, c: CompiledNetwork, demands: Sequence[Demand], *, n_periods: int,
             backlog_days: float | None, closable: np.ndarray) -> bool:
        """Whether a search over ``closable`` arcs on these inputs can reuse this LP."""
        return (c is self.network and len(demands) == len(self.demands)
                and all(a is b for a, b in zip(demands, self.demands, strict=True))
                and n_periods == self.op.n_periods and backlog_days == self.backlog_days
                and bool(np.isin(closable, self.op.closable).all()))


@dataclass(kw_only=True)
class TimedInterdictionResult:
    """The worst timed attack found, its cost over the horizon and the proof status.

    Attributes
    ----------
    value
        Priority-weighted demand not delivered over the horizon because of the attack
        (``unit``), for the plan ``removed``/``timing``; recomputed with the operator's LP.
    removed
        Element ids attacked.
    timing
        Per attacked element: ``{"element", "attack_day", "reopen_day"}`` (days from the
        start of the horizon; ``reopen_day`` = horizon when still closed at its end).
    lower_bound, upper_bound
        Bounds on the worst attack's cost (``lower_bound == value``).
    status
        ``"optimal"``, ``"gap"`` (stopped within the requested relative gap) or
        ``"time_limit"``.
    intact_value
        Priority-weighted demand delivered over the horizon with no attack.
    lost_by_commodity
        Demand not delivered per commodity id (unweighted, base unit × days).
    """

    value: float
    unit: str
    removed: list[str]
    timing: list[dict[str, Any]]
    lower_bound: float
    upper_bound: float
    status: str
    intact_value: float
    horizon_days: int
    kind: str
    k: int | None
    budget: float
    lost_by_commodity: dict[str, float] = field(default_factory=dict)
    solver: dict[str, Any] = field(default_factory=dict)
    operator: SharedOperator | None = field(default=None, repr=False, compare=False)

    @property
    def gap(self) -> float:
        """``upper_bound − lower_bound``."""
        return self.upper_bound - self.lower_bound


def _closure(op: OperatorLP, model: AttackModel, opts: AttackOptions,
             chosen: Sequence[int]) -> np.ndarray:
    """``(P, |closable|)`` closure pattern of a set of options."""
    z = np.zeros((opts.n_periods, len(op.closable)), dtype=bool)
    pos = np.full(int(op.closable.max(initial=-1)) + 2, -1, dtype=np.int64)
    pos[op.closable] = np.arange(len(op.closable))
    for o in chosen:
        arcs = model.arcs([int(opts.elem[o])])
        z[int(opts.start[o]):int(opts.end[o]), pos[arcs]] = True
    return z


def plan_value(op: OperatorLP, model: AttackModel, opts: AttackOptions,
               chosen: Sequence[int]) -> float:
    """The operator's optimum (priority-weighted delivered demand) under a set of options."""
    return op.solve(_closure(op, model, opts, chosen))[0]


def timed_interdiction(
    c: CompiledNetwork,
    demands: Sequence[Demand],
    *,
    k: int | None,
    horizon_days: int,
    repair_days: Mapping[str, float],
    default_repair_days: float = math.inf,
    kind: str = "group",
    budget: float | None = None,
    cost: Mapping[str, float] | None = None,
    protected: Sequence[str] = (),
    attack_day: int | None = 0,
    backlog_days: float | None = None,
    unit: str = "unit",
    time_limit: float = 120.0,
    rel_gap: float = 0.0,
    operator: SharedOperator | None = None,
) -> TimedInterdictionResult:
    """The timed attack on at most ``k`` elements that costs the most served demand.

    Parameters
    ----------
    c
        The compiled network.
    demands
        Commodities and background flows (rates per day, priorities, route rules).
    k, kind, budget, cost, protected
        The attacker, as :func:`~chokepoint.analyses.interdiction.max_flow_interdiction`.
    horizon_days
        Daily periods of the horizon (P).
    repair_days, default_repair_days
        Days each element stays closed after its attack (``inf``: not repaired within the
        horizon); elements not listed use the default.
    attack_day
        Period of every attack (days from the start), or ``None``: the attacker chooses each
        element's day.
    backlog_days
        Queue limit of the operator's LP (days of demand; ``None``: unserved demand is lost).
    unit
        Unit of the integrated values (e.g. ``"t"``).
    time_limit
        Seconds for the whole decomposition.
    rel_gap
        Stop when ``(upper − lower) ≤ rel_gap · intact``; the status is then ``"gap"``.
    operator
        The operator LP of an earlier search on the same inputs (its result's
        ``operator``), reused when it fits (:class:`SharedOperator`); else one is built.

    Returns
    -------
    TimedInterdictionResult
        Its ``operator`` is the LP solved on, for a next search to reuse.

    Notes
    -----
    Each iteration solves one master MIP (binaries: one per option, E·P when the attacker
    chooses the days) and one operator LP (warm-started dual simplex). The number of
    iterations is finite but can grow exponentially with ``k`` (the problem contains
    max-flow interdiction, NP-hard: Wood 1993).
    """
    return timed_interdictions(
        c, demands, attackers=[(k, budget)], horizon_days=horizon_days,
        repair_days=repair_days, default_repair_days=default_repair_days, kind=kind,
        cost=cost, protected=protected, attack_day=attack_day, backlog_days=backlog_days,
        unit=unit, time_limit=time_limit, rel_gap=rel_gap, operator=operator)[0]


def timed_interdictions(
    c: CompiledNetwork,
    demands: Sequence[Demand],
    *,
    attackers: Sequence[tuple[int | None, float | None]],
    horizon_days: int,
    repair_days: Mapping[str, float],
    default_repair_days: float = math.inf,
    kind: str = "group",
    cost: Mapping[str, float] | None = None,
    protected: Sequence[str] = (),
    attack_day: int | None = 0,
    backlog_days: float | None = None,
    unit: str = "unit",
    time_limit: float = 120.0,
    rel_gap: float = 0.0,
    operator: SharedOperator | None = None,
) -> list[TimedInterdictionResult]:
    """:func:`timed_interdiction` for several attackers ``(k, budget)`` on one operator LP.

    The operator's LP is built once (its closable arcs: those of every attacker's options)
    and every plan evaluated is kept: a cut ``V(x) ≥ V_j − Σ W_j z`` holds whatever the
    attacker's size or budget, so each decomposition starts with the cuts of the ones
    before it, and a closure pattern is never solved twice. ``time_limit`` applies to each
    attacker; ``operator`` as in :func:`timed_interdiction`. Returns one result per
    attacker, in order.
    """
    if horizon_days < 1:
        raise InputError(f"the horizon must be at least one day, got {horizon_days}")
    P = int(horizon_days)
    setups = []
    for k, budget in attackers:
        model = attack_model(c, kind=kind, k=k, budget=budget, cost=cost, protected=protected)
        setups.append((k, model, repair_options(model, repair_days, default_repair_days,
                                                n_periods=P, attack_period=attack_day)))
    closable = np.unique(np.concatenate(
        [np.zeros(0, dtype=np.int64), *(m.arcs(np.unique(o.elem)) for _, m, o in setups)]))
    if operator is None or not operator.fits(c, demands, n_periods=P,
                                              backlog_days=backlog_days, closable=closable):
        operator = SharedOperator(
            op=build_operator(c, demands, n_periods=P, closable=closable,
                              backlog_days=backlog_days),
            seen={}, network=c, demands=demands, backlog_days=backlog_days)
    op, seen = operator.op, operator.seen
    out = []
    for k, model, opts in setups:
        t0 = time.perf_counter()
        search = _Search(op=op, model=model, opts=opts, deadline=t0 + time_limit,
                         rel_gap=rel_gap, seen=seen)
        best, lower, status = search.run()
        out.append(_result(search, best, lower, status, demands=demands, k=k, unit=unit,
                           seconds=time.perf_counter() - t0))
        out[-1].operator = operator
    return out


@dataclass(kw_only=True)
class _Search:
    """The Benders loop (state: the cuts, the best plan and its value)."""

    op: OperatorLP
    model: AttackModel
    opts: AttackOptions
    deadline: float
    rel_gap: float
    seen: dict[bytes, tuple[float, np.ndarray]] = field(default_factory=dict)
    intact: float = math.nan
    values: dict[tuple[int, ...], float] = field(default_factory=dict)
    iterations: int = 0

    def solve(self, plan: Sequence[int]) -> tuple[float, np.ndarray]:
        """The operator's optimum and solution under a plan (each closure pattern solved
        once, across the attackers sharing ``seen``)."""
        closed = _closure(self.op, self.model, self.opts, plan)
        key = np.packbits(closed).tobytes()
        if key not in self.seen:
            self.seen[key] = self.op.solve(closed)
        return self.seen[key]

    def evaluate(self, plan: tuple[int, ...], cuts: Cuts) -> float:
        """Solve the operator's LP for a plan and add its cut."""
        v, x = self.solve(plan)
        self.values[plan] = v
        cuts.add(value=v, weight=self.op.row_values(x))
        return v

    def run(self) -> tuple[tuple[int, ...], float, str]:
        """Iterate to optimality; returns (best plan, lower bound on V, status)."""
        cuts = Cuts(self.op, self.model, self.opts)
        for v, x in list(self.seen.values()):  # plans of earlier attackers: valid cuts
            cuts.add(value=v, weight=self.op.row_values(x))
        self.intact = self.evaluate((), cuts)
        best: tuple[int, ...] = ()
        lower = 0.0
        if len(self.opts) == 0:
            return best, self.intact, "optimal"
        while True:
            tol = max(1e-7 * max(1.0, abs(self.intact)), self.rel_gap * abs(self.intact))
            remaining = self.deadline - time.perf_counter()
            if remaining <= 0:
                return best, lower, "time_limit"
            plan, bound, proved = solve_master(cuts, time_limit=remaining)
            self.iterations += 1
            lower = max(lower, bound) if proved else lower
            if not proved:
                return best, max(lower, bound), "time_limit"
            if plan not in self.values:
                self.evaluate(plan, cuts)
            if self.values[plan] < self.values[best]:
                best = plan
            gap = self.values[best] - lower
            if gap <= 1e-7 * max(1.0, abs(self.intact)):
                return best, self.values[best], "optimal"
            if gap <= tol:
                return best, lower, "gap"


def _result(s: _Search, best: tuple[int, ...], lower_v: float, status: str, *,
            demands: Sequence[Demand], k: int | None, unit: str,
            seconds: float) -> TimedInterdictionResult:
    """Assemble the result from the operator's solutions of the plan and of no attack."""
    op, model, opts = s.op, s.model, s.opts
    v, x = s.solve(best)
    intact_v, x0 = s.solve(())
    lost = intact_v - v
    served = op.lp.served_col
    by = {d.id: float(np.sum(x0[served[:, i]] - x[served[:, i]]))
          for i, d in enumerate(demands)}
    order = sorted(best, key=lambda o: (int(opts.start[o]), model.ids[int(opts.elem[o])]))
    names = [model.ids[int(opts.elem[o])] for o in order]
    timing: list[dict[str, Any]] = [
        {"element": e, "attack_day": int(opts.start[o]), "reopen_day": int(opts.end[o])}
        for e, o in zip(names, order, strict=True)]
    upper = max(intact_v - lower_v, lost)
    if status == "optimal":
        upper = lost
    return TimedInterdictionResult(
        value=lost, unit=unit, removed=names, timing=timing,
        lower_bound=lost, upper_bound=upper, status=status, intact_value=intact_v,
        horizon_days=opts.n_periods, kind=model.kind, k=k, budget=model.budget,
        lost_by_commodity=by,
        solver={"seconds": seconds, "iterations": s.iterations, "lp_solves": op.solves,
                "options": len(opts), "method": "benders", "solver": "HiGHS"})


def timed_plan_cost(
    c: CompiledNetwork,
    demands: Sequence[Demand],
    plan: Sequence[tuple[str, int, float]],
    *,
    horizon_days: int,
    kind: str = "group",
    backlog_days: float | None = None,
) -> tuple[float, float, dict[str, float]]:
    """Cost of one given timed plan: ``(lost, intact, lost per commodity)``.

    ``plan`` lists ``(element id, attack day, repair days)``; the element is closed in days
    ``attack_day … attack_day + ⌈repair⌉ − 1`` (clipped to the horizon), exactly as in
    :func:`timed_interdiction`, and valued with the same operator LP.
    """
    model = attack_model(c, kind=kind, k=max(len(plan), 1))
    index = {e: i for i, e in enumerate(model.ids)}
    P = int(horizon_days)
    elem, start, end = [], [], []
    for e, day, rep in plan:
        if e not in index:
            raise InputError(f"unknown {kind} {e!r} in the plan")
        length = P if not math.isfinite(rep) else math.ceil(rep - 1e-9)
        elem.append(index[e])
        start.append(min(max(int(day), 0), P))
        end.append(min(max(int(day), 0) + length, P))
    opts = AttackOptions(elem=np.array(elem, dtype=np.int64),
                         start=np.array(start, dtype=np.int64),
                         end=np.array(end, dtype=np.int64), n_periods=P)
    closable = np.unique(model.arcs(np.unique(opts.elem)))
    op = build_operator(c, demands, n_periods=P, closable=closable, backlog_days=backlog_days)
    v, x = op.solve(_closure(op, model, opts, list(range(len(opts)))))
    v0, x0 = op.solve(np.zeros((P, len(closable)), dtype=bool))
    served = op.lp.served_col
    by = {d.id: float(np.sum(x0[served[:, i]] - x[served[:, i]]))
          for i, d in enumerate(demands)}
    return v0 - v, v0, by
