"""Flows over time through ``via`` stops the link rules do not force: the layered LP.

The discrete model is that of :mod:`chokepoint.analyses.dynamic` (steps of ``step_h`` hours,
transit times rounded up, capacity per step times the timeline's factor, unlimited storage,
deliveries in step ``θ`` count by ``(θ + 1)·step_h``). A commodity whose route is a chain of
legs ``origin → via₁ → … → destination`` moves over the **time expansion of its layered
network** (:mod:`chokepoint.analyses._layered`: one copy of the allowed arcs per leg, joined
at each stop by an instantaneous arc), in which the copies of one arc *in one step* draw on
that arc's capacity in the step (one shared row per step and arc). A flow over time through
the stops in order is exactly a flow of this network under the shared rows (a unit's leg-l
part runs on copy ``l``; it passes the stop when it takes the joint), and summing the copies
gives a flow over time in the network itself.

A plain max flow or min-cost flow on the copies would give each copy the whole capacity (twice
the line when the legs pass it in the same step, e.g. out to a port and back), so the value
by a horizon ``T`` is an **LP** (HiGHS, :class:`~chokepoint.analyses._layered.SharedFlowLP`),
built once per horizon and re-solved warm with the arrivals after step ``T' ≤ T`` closed.

* **Quickest delivery** of ``N``: the LP value does not decrease with ``T``, so the smallest
  sufficient ``T`` is found by galloping and bisection (Burkard, Dlaska & Klinz 1993 search
  the same monotone function). The search starts at the quickest delivery over the commodity's
  network without the stops (:func:`~chokepoint.analyses.dynamic.quickest_transshipment`): a
  flow through the stops is also a flow there, so that time is a lower bound.
* **Earliest-arrival curve**: with shared rows an earliest-arrival flow (one flow maximal by
  every time, Gale 1959) need not exist, so each point is its own LP optimum (exact), at every
  step boundary up to ``curve_points`` of them, else at that many evenly spread boundaries.

Complexity: LPs with ``T·L·(n + m)`` columns; O(log T) of them for the quickest, one per curve
point. References: Ford & Fulkerson, *Flows in Networks* (1962), time-expanded networks;
Skutella, "An introduction to network flows over time" (2009); Hall, Hippler & Skutella,
*Theor. Comput. Sci.* 379 (2007), multicommodity flows over time (shared capacity rows).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np

from chokepoint.analyses._layered import Layered, SharedFlowLP, layered
from chokepoint.analyses._timeexp import Expanded, build_expanded, pick_scale, transit_steps
from chokepoint.analyses.dynamic import (
    DEFAULT_MAX_HORIZON_H,
    EXPANDED_BUDGET,
    ArrivalCurve,
    QuickestResult,
    default_step_h,
    quickest_transshipment,
)
from chokepoint.compiled import CompiledNetwork
from chokepoint.errors import InputError
from chokepoint.limits import check_size
from chokepoint.scenario import Demand
from chokepoint.timeline import Timeline

__all__ = ["legs_arrival_curve", "legs_quickest"]


@dataclass
class _Legs:
    """The commodity's layered network with per-step capacities (scaled like the time-expanded
    builders) and its timeline."""

    c: CompiledNetwork
    lay: Layered
    tau: np.ndarray
    cap_step: np.ndarray
    timeline: Timeline | None
    step_h: float
    scale: float
    unlimited: int
    target: int

    def expand(self, n_steps: int) -> tuple[Expanded, SharedFlowLP]:
        """The time expansion over ``n_steps`` steps and its shared-capacity LP."""
        lay = self.lay
        check_size("time-expanded layered network (steps × (arcs + vertices))",
                   float(n_steps) * (lay.n_arcs + lay.n_vertices), name="cells",
                   hint=f"use a longer step than {self.step_h:g} h")
        factors = None
        if self.timeline is not None:
            f = self.timeline.step_factors(self.step_h, n_steps)
            factors = np.ones((n_steps, lay.n_arcs))
            copy = lay.arc_of >= 0
            factors[:, copy] = f[:, lay.arc_of[copy]]
        ex = build_expanded(lay, np.array([lay.source]), np.array([lay.target]),
                            n_steps=n_steps, tau=self.tau, cap_step=self.cap_step,
                            factors=factors, scale=self.scale, unlimited=self.unlimited)
        return ex, SharedFlowLP(ex.n_nodes, ex.tail, ex.head, ex.cap.astype(float),
                                time_share(ex, lay, self.c.n_arcs), ex.S, ex.Z)


def time_share(ex: Expanded, lay: Layered, n_arcs: int) -> np.ndarray:
    """Shared-row id per expanded arc: ``step · m + arc`` for the copies of a network arc in
    one step, ``-1`` for joints, holdover and terminal arcs."""
    share = np.full(len(ex.tail), -1, dtype=np.int64)
    orig = lay.arc_of[ex.move_arc]
    n_move = len(ex.move_arc)
    share[:n_move] = np.where(orig >= 0, ex.move_step * n_arcs + orig, -1)
    return share


def _legs(c: CompiledNetwork, demand: Demand, units: float, *, step_h: float,
          timeline: Timeline | None) -> _Legs:
    if not (step_h > 0 and math.isfinite(step_h)):
        raise InputError(f"step_h must be a positive number of hours, not {step_h}")
    if timeline is not None and timeline.n_arcs != c.n_arcs:
        raise InputError("the timeline was built for another network")
    lay = layered(c, demand)
    tau = lay.values(transit_steps(c.time_h, step_h), joint=0.0).astype(np.int64)
    cap_step = lay.values(c.capacity * (step_h / 24.0), joint=math.inf)
    arrays = [cap_step, np.array([units])]
    if timeline is not None:  # as dynamic._scale: capacities times every factor in force
        fin = cap_step[np.isfinite(cap_step)]
        arrays.append((fin[:, None] * np.unique(timeline.factors)[None, :]).ravel())
    scale = pick_scale(*arrays)
    target = math.ceil(units * scale - 1e-6)
    return _Legs(c=c, lay=lay, tau=tau, cap_step=cap_step, timeline=timeline, step_h=step_h,
                 scale=scale, unlimited=target + 1, target=target)


def _delivered(ex: Expanded, lp: SharedFlowLP, n_steps: int) -> float:
    """Scaled quantity delivered within the first ``n_steps`` steps (LP, warm)."""
    if n_steps <= 0:
        return 0.0
    return lp.value(ex.sink_arcs[ex.sink_step >= n_steps])


def _points(ex: Expanded, lp: SharedFlowLP, p: _Legs, n_steps: int,
            curve_points: int) -> ArrivalCurve:
    """The earliest-arrival curve at step boundaries ``0 .. n_steps`` (each point one LP)."""
    thetas = np.arange(n_steps + 1, dtype=np.int64)
    if len(thetas) > curve_points:
        thetas = np.unique(np.linspace(0, n_steps, max(curve_points, 2)).round()
                           ).astype(np.int64)
    vals = np.array([min(_delivered(ex, lp, int(k)), float(p.target)) for k in thetas])
    return ArrivalCurve(step_h=p.step_h, times_h=thetas * p.step_h,
                        cumulative=vals / p.scale, method="layered-lp")


def legs_quickest(c: CompiledNetwork, demand: Demand, units: float, *,
                  step_h: float | None = None, timeline: Timeline | None = None,
                  max_horizon_h: float = DEFAULT_MAX_HORIZON_H, curve: bool = True,
                  curve_points: int = 256) -> QuickestResult:
    """The quickest delivery of ``units`` of ``demand`` through its via stops in order, and
    its earliest-arrival curve (module docstring), exact for the discrete model.

    Parameters
    ----------
    c
        The compiled network.
    demand
        The commodity (origin, via stops, destination, link rules).
    units
        Quantity to deliver (base unit).
    step_h
        Step in hours (default: that of the single-flow bound over the network,
        :func:`~chokepoint.analyses.dynamic.default_step_h`).
    timeline
        Disruption timeline (hour 0 = dispatch); the route's forbidden arcs are closed too.
    max_horizon_h
        Give up beyond this horizon (status ``"not within max horizon"``).
    curve, curve_points
        Compute the curve, at every step boundary or at most ``curve_points`` of them.

    Returns
    -------
    QuickestResult
        Method ``"layered-lp"``; ``solves`` counts the LPs.
    """
    from chokepoint.analyses.routing import (
        commodity_fastest_route,
        commodity_max_flow,
        commodity_timeline,
    )

    if not (units > 0 and math.isfinite(units)):
        raise InputError(f"units must be a positive number, not {units}")
    tl = commodity_timeline(c, demand, timeline)
    ends = [demand.origin], [demand.destination]
    free = quickest_transshipment(c, *ends, units, step_h=step_h, timeline=tl,
                                  max_horizon_h=max_horizon_h, curve=False)
    p = _legs(c, demand, units, step_h=free.step_h, timeline=tl)
    walk = commodity_fastest_route(c, demand)
    rounded = commodity_fastest_route(c, demand, weight=transit_steps(c.time_h, p.step_h)
                                      * p.step_h)
    flow = commodity_max_flow(c, demand).value
    empty = ArrivalCurve(step_h=p.step_h, times_h=np.zeros(1), cumulative=np.zeros(1),
                         method="none")
    common: dict[str, Any] = {"units": float(units), "step_h": p.step_h, "method": "layered-lp",
              "sources": ends[0], "sinks": ends[1],
              "rounding_h": {"fastest_route_h": walk.cost,
                             "fastest_route_rounded_h": rounded.cost},
              "lower_bound_h": walk.cost + (24.0 * units / flow if flow > 0 else math.inf)}
    if free.status != "ok" or not walk.found or flow <= 0:
        unreachable = free.status == "unreachable" or not walk.found or flow <= 0
        return QuickestResult(status="unreachable" if unreachable
                              else "not within max horizon", time_h=None, n_steps=None, curve=empty,
                              horizon_searched_h=free.horizon_searched_h, **common)
    found, ex, lp = _search(p, int(free.n_steps or 0),
                            math.floor(max_horizon_h / p.step_h + 1e-9))
    n = ex.n_steps if found is None else found
    cv = _points(ex, lp, p, n, curve_points) if curve else empty
    return QuickestResult(
        status="ok" if found is not None else "not within max horizon",
        time_h=None if found is None else found * p.step_h, n_steps=found, curve=cv,
        horizon_searched_h=ex.n_steps * p.step_h, solves=lp.solves,
        expanded_nodes=ex.n_nodes, expanded_arcs=len(ex.tail), **common)


def _search(p: _Legs, t_lo: int, max_steps: int
            ) -> tuple[int | None, Expanded, SharedFlowLP]:
    """Smallest ``T`` in ``[t_lo, max_steps]`` whose LP value reaches the target: gallop up
    from ``t_lo`` (one expansion per probe), then bisect on the last expansion (arrivals
    after ``T`` closed). Returns (T or None, the last expansion and its LP)."""
    tol = 1e-6 * max(1.0, float(p.target))
    lo, hi = t_lo - 1, min(max(t_lo, 1), max(max_steps, 1))
    inc = max(1, t_lo // 8)
    while True:
        ex, lp = p.expand(hi)
        if _delivered(ex, lp, hi) >= p.target - tol:
            break
        if hi >= max_steps:
            return None, ex, lp
        lo, hi, inc = hi, min(hi + inc, max_steps), inc * 2
    while hi - lo > 1:
        mid = (lo + hi) // 2
        if _delivered(ex, lp, mid) >= p.target - tol:
            hi = mid
        else:
            lo = mid
    return hi, ex, lp


def legs_arrival_curve(c: CompiledNetwork, demand: Demand, *, units: float,
                       horizon_h: float, step_h: float | None = None,
                       timeline: Timeline | None = None,
                       curve_points: int = 64) -> ArrivalCurve:
    """The earliest-arrival curve of ``units`` of ``demand`` (all at its origin at time 0)
    through its via stops, up to ``horizon_h``: each point the LP maximum delivered by then
    (module docstring). Step default as
    :func:`~chokepoint.analyses.dynamic.earliest_arrival_curve`'s."""
    from chokepoint.analyses.routing import commodity_timeline

    if not (units > 0 and math.isfinite(units)):
        raise InputError(f"units must be a positive number, not {units}")
    if step_h is None:
        step_h = default_step_h(c, [demand.origin], [demand.destination],
                                horizon_h=horizon_h or None, budget=EXPANDED_BUDGET)
    p = _legs(c, demand, units, step_h=step_h, timeline=commodity_timeline(c, demand, timeline))
    n = math.floor(horizon_h / p.step_h + 1e-9)
    ex, lp = p.expand(max(n, 1))
    return _points(ex, lp, p, n, curve_points)
