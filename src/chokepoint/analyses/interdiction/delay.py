"""Time-aware interdiction of a shipment: the timed closures that delay its last delivery most.

The shipment is ``units`` of one commodity from its origin to its destination, moved as a
quickest transshipment over the time-expanded network (Ford & Fulkerson 1962; the discrete
model of :mod:`chokepoint.analyses._timeexp`: steps of ``step_h`` hours, transit times
rounded up, unlimited storage at nodes). Its completion time ``T(x)`` under an attack ``x`` is
the smallest number of steps ``T`` whose max flow over time ``F_T(x)`` reaches ``units``. An
attack option (element ``E``, attack day ``τ``) removes the copies of ``E``'s arcs that depart
during the closed days ``τ … τ + ⌈r_E⌉ − 1``.

``F_T(x)`` does not decrease with ``T``, so the worst completion time is found by bisection on
``T``: at each ``T``, Wood's (1993) max-flow interdiction MIP on the time-expanded network
decides whether some plan keeps ``F_T`` below ``units`` (then ``T* > T`` and the plan's own
completion time, found with max flows, is a lower bound), or none can (``T* ≤ T``). Each probe
is one NP-hard MIP with one binary per expanded vertex and arc; the search needs
O(log(horizon / step)) of them.

**Via stops the link rules do not force.** The shipment then moves over the time expansion of
its layered network (:mod:`chokepoint.analyses.dynamic_legs`: one copy of the allowed arcs
per leg, joined at the stops, the copies of an arc sharing its capacity in each step). An
option removes every copy of its element's arcs in its closed days; ``F_T(x)`` is the LP
maximum under the shared rows, and each probe is Wood's MIP with one β per shared row,
α and β continuous (:func:`~chokepoint.analyses.interdiction.maxflow.wood_mip` with
``share``; exact since, for a fixed attack, the LP is the dual of that maximum flow, as in
:mod:`chokepoint.analyses.interdiction.via`). Completion times use the LP.
"""

from __future__ import annotations

import math
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from chokepoint.analyses._layered import SharedFlowLP, layered, lift
from chokepoint.analyses._timeexp import (
    ArcGraph,
    Expanded,
    build_expanded,
    floor_int,
    pick_scale,
    transit_steps,
)
from chokepoint.analyses.dynamic_legs import time_share
from chokepoint.analyses.interdiction._cuts import min_cut
from chokepoint.analyses.interdiction.attack import AttackModel, attack_model
from chokepoint.analyses.interdiction.maxflow import wood_mip
from chokepoint.analyses.interdiction.timed import AttackOptions, repair_options
from chokepoint.analyses.routing import commodity_route, via_implied
from chokepoint.compiled import CompiledNetwork
from chokepoint.errors import InputError
from chokepoint.scenario import Demand

__all__ = ["DelayInterdictionResult", "delay_interdiction"]


@dataclass(kw_only=True)
class DelayInterdictionResult:
    """The timed attack that delays the shipment's last delivery most.

    Attributes
    ----------
    value
        Delay of the last delivery (days) caused by the plan, ``unit = "days"``; a plan that
        stops the shipment finishing within the horizon counts as finishing just after it.
    completion_days, intact_days
        Completion time with the plan and with no attack (days from the start; ``inf`` when
        not within the horizon).
    lower_bound, upper_bound
        Bounds on the worst delay; ``status`` ``"optimal"`` when they meet.
    """

    value: float
    unit: str
    removed: list[str]
    timing: list[dict[str, Any]]
    lower_bound: float
    upper_bound: float
    status: str
    completion_days: float
    intact_days: float
    horizon_days: int
    kind: str
    k: int | None
    budget: float
    solver: dict[str, Any] = field(default_factory=dict)


@dataclass(kw_only=True)
class _Expansion:
    """The time-expanded network over the horizon, and the attack model over its arcs."""

    ex: Expanded
    cap: np.ndarray  # float capacities (inf = unlimited) of the expanded arcs
    model: AttackModel
    target: float  # units, scaled like the capacities
    step_h: float
    #: shared-row id per expanded arc (layered expansion: copies of one arc in one step)
    share: np.ndarray | None = None
    lp: SharedFlowLP | None = None

    def value(self, n_steps: int, removed: np.ndarray) -> float:
        """Max flow delivered within ``n_steps`` steps with some expanded arcs removed (a
        max flow; the shared-capacity LP on a layered expansion)."""
        ex = self.ex
        if self.share is not None:
            if self.lp is None:
                self.lp = SharedFlowLP(ex.n_nodes, ex.tail, ex.head, self.cap, self.share,
                                       ex.S, ex.Z)
            late = ex.sink_arcs[ex.sink_step >= n_steps]
            return self.lp.value(np.concatenate([np.asarray(removed, dtype=np.int64), late]))
        cap = self.capped(n_steps)
        cap[removed] = 0.0
        return min_cut(ex.n_nodes, ex.tail, ex.head, cap, np.array([ex.S]), np.array([ex.Z]))[0]

    def capped(self, n_steps: int) -> np.ndarray:
        """Expanded capacities with deliveries after ``n_steps`` steps cut off."""
        cap = self.cap.copy()
        cap[self.ex.sink_arcs[self.ex.sink_step >= n_steps]] = 0.0
        return cap

    def completion(self, plan: Sequence[int]) -> int:
        """Steps to deliver everything under a plan (``n_steps + 1``: not within the
        horizon); bisection with max flows."""
        removed = self.model.arcs(list(plan))
        lo, hi = 0, self.ex.n_steps + 1
        if self.value(self.ex.n_steps, removed) < self.target - 1e-6:
            return hi
        while hi - lo > 1:  # value(lo) < target <= value(hi)
            mid = (lo + hi) // 2
            if self.value(mid, removed) >= self.target - 1e-6:
                hi = mid
            else:
                lo = mid
        return hi


def _expand(c: CompiledNetwork, demand: Demand, units: float, *, n_steps: int, step_h: float,
            base: AttackModel, opts: AttackOptions) -> _Expansion:
    """Build the expansion once (vectorised) and map each option to the expanded arcs it
    removes: of the network over the commodity's allowed arcs, or of its layered network
    (every copy of the element's arcs, copies sharing capacity per step) when its link rules
    do not force its via stops."""
    legs = None if via_implied(c, demand) else layered(c, demand)
    steps = transit_steps(c.time_h, step_h)
    graph: ArcGraph
    if legs is None:
        graph, arcs_of = c, base
        cap = np.where(commodity_route(c, demand).arc_mask, c.capacity, 0.0)
        tau = steps
        src, snk = (c.vertices([demand.origin], side="in"),
                    c.vertices([demand.destination], side="out"))
    else:
        graph, arcs_of = legs, lift(base, legs)
        cap = legs.values(c.capacity, joint=math.inf)
        tau = legs.values(steps, joint=0.0).astype(np.int64)
        src, snk = np.array([legs.source]), np.array([legs.target])
    cap_step = cap * (step_h / 24.0)
    scale = pick_scale(cap_step, np.array([units]))
    finite = cap_step[np.isfinite(cap_step)]
    unlimited = int((finite.sum() * n_steps + units) * scale) + 1
    ex = build_expanded(graph, src, snk, n_steps=n_steps, tau=tau, cap_step=cap_step,
                        factors=None, scale=scale, unlimited=unlimited,
                        supply=np.array([units]))
    mv_of = np.full((n_steps + 1, graph.n_arcs), -1, dtype=np.int64)
    mv_of[ex.move_step, ex.move_arc] = np.arange(len(ex.move_arc))
    per_day = 24.0 / step_h
    lo = np.minimum(np.ceil(opts.start * per_day - 1e-9).astype(np.int64), n_steps)
    hi = np.minimum(np.ceil(opts.end * per_day - 1e-9).astype(np.int64), n_steps)
    pe, pa = [np.zeros(0, dtype=np.int64)], [np.zeros(0, dtype=np.int64)]
    for o in range(len(opts)):
        sub = mv_of[lo[o]:hi[o]][:, arcs_of.arcs([int(opts.elem[o])])]
        hit = sub[sub >= 0]
        pe.append(np.full(len(hit), o, dtype=np.int64))
        pa.append(hit)
    model = AttackModel(kind=base.kind, ids=[str(o) for o in range(len(opts))],
                        pair_elem=np.concatenate(pe), pair_arc=np.concatenate(pa),
                        attackable=np.ones(len(opts), dtype=bool), cost=base.cost[opts.elem],
                        k=base.k, budget=base.budget, element_of=opts.elem.copy())
    capf = np.where(ex.cap >= unlimited, np.inf, ex.cap.astype(float))
    target = float(floor_int(np.array([units]), scale, unlimited)[0])  # as the supply arc
    return _Expansion(ex=ex, cap=capf, model=model, target=target, step_h=step_h,
                      share=None if legs is None else time_share(ex, legs, c.n_arcs))


def delay_interdiction(
    c: CompiledNetwork,
    demand: Demand,
    *,
    units: float,
    k: int | None,
    horizon_days: int,
    repair_days: Mapping[str, float],
    default_repair_days: float = math.inf,
    kind: str = "group",
    budget: float | None = None,
    cost: Mapping[str, float] | None = None,
    protected: Sequence[str] = (),
    attack_day: int | None = 0,
    step_h: float = 24.0,
    time_limit: float = 120.0,
) -> DelayInterdictionResult:
    """The timed attack on at most ``k`` elements that delays ``units`` of ``demand`` most.

    Parameters
    ----------
    c
        The compiled network.
    demand
        The shipment's commodity (origin, via stops, destination; forbidden and allowed
        links are honoured). Where its link rules do not force its via stops
        (:func:`~chokepoint.analyses.routing.via_implied`), the expansion is that of its
        layered network, the copies of an arc sharing its capacity in each step, and each
        probe is Wood's MIP with shared rows (module docstring).
    units
        Quantity to deliver (base unit).
    k, kind, budget, cost, protected, repair_days, default_repair_days, attack_day
        The timed attacker, as :func:`~chokepoint.analyses.interdiction.timed_interdiction`.
    horizon_days
        The time-expanded network spans this many days.
    step_h
        Step of the time-expanded network in hours (a divisor of 24 keeps closures on day
        boundaries); transit times are rounded up to whole steps.
    time_limit
        Seconds for the whole search.

    Returns
    -------
    DelayInterdictionResult
    """
    t0 = time.perf_counter()
    deadline = t0 + time_limit
    if not (step_h > 0 and (24.0 / step_h).is_integer()):
        raise InputError(f"step_h must divide 24 hours, got {step_h}")
    if not units > 0:
        raise InputError(f"the shipment must be a positive quantity, got {units}")
    base = attack_model(c, kind=kind, k=k, budget=budget, cost=cost, protected=protected)
    opts = repair_options(base, repair_days, default_repair_days, n_periods=int(horizon_days),
                          attack_period=attack_day)
    n_steps = round(horizon_days * 24.0 / step_h)
    exp = _expand(c, demand, float(units), n_steps=n_steps, step_h=step_h, base=base,
                  opts=opts)
    intact = exp.completion([])
    best: list[int] = []
    lo, hi = intact, n_steps + 1  # the worst completion lies in [lo, hi]
    status, probes = "optimal", 0
    while lo < hi and len(opts):
        mid = (lo + hi) // 2
        remaining = deadline - time.perf_counter()
        if remaining <= 0:
            status = "time_limit"
            break
        cap = exp.capped(mid)
        out, plan = wood_mip(exp.ex.n_nodes, exp.ex.tail, exp.ex.head, cap, exp.model,
                             np.array([exp.ex.S]), np.array([exp.ex.Z]),
                             time_limit=remaining, start_plan=best, share=exp.share)
        probes += 1
        if out.status == "optimal" and out.objective >= exp.target - 1e-6:
            hi = mid
            continue
        if out.x is None or out.objective >= exp.target - 1e-6:
            status = "time_limit"
            break
        done = exp.completion(plan)
        if done > lo:
            best, lo = plan, done
        if out.status != "optimal":
            status = "time_limit"
            break
    return _result(exp, base, opts, best, intact=intact, lo=lo, hi=hi, status=status,
                   horizon_days=int(horizon_days),
                   solver={"seconds": time.perf_counter() - t0, "mip_probes": probes,
                           "options": len(opts), "steps": n_steps, "step_h": step_h,
                           "expanded_arcs": len(exp.ex.tail), "method": "bisection+wood"})


def _result(exp: _Expansion, base: AttackModel, opts: AttackOptions, best: list[int], *,
            intact: int, lo: int, hi: int, status: str, horizon_days: int,
            solver: dict[str, Any]) -> DelayInterdictionResult:
    day = exp.step_h / 24.0
    done = exp.completion(best)
    n = exp.ex.n_steps
    order = sorted(best, key=lambda o: (int(opts.start[o]), base.ids[int(opts.elem[o])]))
    names = [base.ids[int(opts.elem[o])] for o in order]
    timing: list[dict[str, Any]] = [
        {"element": e, "attack_day": int(opts.start[o]), "reopen_day": int(opts.end[o])}
        for e, o in zip(names, order, strict=True)]
    value = (done - intact) * day
    upper = (max(hi, done) - intact) * day if status != "optimal" else value
    return DelayInterdictionResult(
        value=value, unit="days", removed=names, timing=timing, lower_bound=value,
        upper_bound=upper, status=status,
        completion_days=done * day if done <= n else math.inf,
        intact_days=intact * day if intact <= n else math.inf, horizon_days=horizon_days,
        kind=base.kind, k=base.k, budget=base.budget, solver=solver)
