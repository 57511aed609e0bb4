"""Flows over time: maximum flow by a horizon, earliest-arrival curves, quickest transshipment.

Model (discrete time; ``docs/algorithms/flows-over-time.md``). Time is cut into steps of
``step_h`` hours. Every arc's transit time is rounded **up** to whole steps
(``ceil(time_h / step_h)``), so nothing travels faster than in reality. An arc carries at most
``capacity × step_h / 24 × factor`` per step (capacities are rates per day; node handling
capacities are rates too and apply per step through the node's split arc, dwell times are its
transit); ``factor`` comes from a :class:`~chokepoint.timeline.Timeline` (the smallest factor
in force during the step). Goods may wait at any node (holdover arcs, unlimited by default).
Origins hold an unlimited stock (or a given ``supplies`` quantity) from time 0; flow reaching
a destination in step ``θ`` counts as delivered by time ``(θ + 1) · step_h``. Quantities are
in the network's base quantity unit (tonnes when capacities are t/day).

Exact methods, both on int64 data with OR-Tools:

* **Time-expanded network** (Ford & Fulkerson, *Flows in Networks*, 1962): one copy of every
  vertex per step; a maximum flow in it is a maximum flow over time by the horizon. Handles
  time-varying capacities (disruption timelines), storage limits and fixed supplies/demands.
  Size ``T·(n + m)`` for ``T`` steps.
* **Temporally repeated flows** (Ford & Fulkerson, *Oper. Res.* 6, 1958): with constant
  capacities, a maximum flow over time with horizon ``T`` is obtained by sending a static flow
  ``x`` along its path decomposition for as long as each path allows; ``x`` maximises
  ``T·|x| − Σ τ_a x_a``, one min-cost circulation with a return arc ``t → s`` of cost ``−T``.
  Its size does not grow with the horizon (the fast path for large networks).

**Earliest arrival.** With unlimited supplies at the origins and unlimited absorption at the
destinations, super-terminals make the instance single-source single-sink, and a flow exists
that is maximal by *every* time simultaneously (Gale, *Econometrica* 27, 1959; Wilkinson,
*Oper. Res.* 19, 1971; Minieka, *Oper. Res.* 21, 1973, whose lexicographic theorem also covers
time-varying capacities). It is found by one min-cost maximum flow on the time-expanded
network with cost ``θ`` on each arrival in step ``θ``: minimising ``Σ θ·a_θ`` maximises the
sum of all prefix deliveries, and since a flow attaining every prefix maximum exists, every
prefix is maximal. With fixed demands at several destinations such a flow need not exist; the
curve is then computed point by point (one max flow per prefix horizon, each exact).

**Quickest transshipment** (deliver ``N`` units as early as possible): the value by horizon
``T`` is non-decreasing in ``T`` (convex and piecewise linear in the repeated case), so the
smallest sufficient ``T`` is found exactly: by Newton's method on the temporally repeated value
(from above; each step a min-cost circulation, finite on a piecewise-linear function) when
capacities are constant, or by galloping and binary search over time-expanded max flows
otherwise. Strongly polynomial algorithms exist (Burkard, Dlaska & Klinz 1993 for the quickest
flow; Hoppe & Tardos, *Math. Oper. Res.* 25, 2000 for the quickest transshipment with fixed
supplies and demands); the time-expanded network is pseudo-polynomial but simple and exact for
the discretised model. Condensed time-expanded networks (Fleischer & Skutella, *SIAM J.
Comput.* 36, 2007) would trade exactness for size; see Skutella's survey (2009).

**Pitfall avoided.** Supplies are amounts, not rates: they sit on the arc from the super-source
to the origin's collector, which feeds the origin in *every* step; a super-source arc with a
capacity equal to the supply in a static network would limit the *rate* instead.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Literal

import numpy as np
from ortools.graph.python import max_flow as ort_max_flow
from ortools.graph.python import min_cost_flow as ort_mcf

from chokepoint._lazy import LazyModule
from chokepoint.analyses._arcs import INT_LIMIT, terminals
from chokepoint.analyses._timeexp import (
    Expanded,
    Static,
    build_expanded,
    build_static,
    ceil_div,
    never_traversed,
    pick_scale,
    safe_total,
    transit_steps,
)
from chokepoint.compiled import CompiledNetwork
from chokepoint.errors import InputError, SolverError
from chokepoint.limits import check_size
from chokepoint.timeline import Timeline

if TYPE_CHECKING:
    import scipy.sparse.csgraph as csgraph
else:
    csgraph = LazyModule("scipy.sparse.csgraph")

__all__ = [
    "STEP_LADDER_H",
    "ArrivalCurve",
    "FlowOverTimeResult",
    "QuickestResult",
    "default_step_h",
    "earliest_arrival_curve",
    "max_flow_over_time",
    "quickest_transshipment",
    "temporally_repeated_value",
]

#: Candidate step lengths (hours) for :func:`default_step_h`.
STEP_LADDER_H = (1 / 60, 1 / 30, 1 / 12, 1 / 6, 0.25, 0.5, 1.0, 2.0, 3.0, 4.0, 6.0, 8.0,
                 12.0, 24.0)
#: Default size budget of a time-expanded network (vertices + arcs) when choosing a step.
EXPANDED_BUDGET = 20_000_000
DEFAULT_MAX_HORIZON_H = 24.0 * 365.0

Storage = bool | Mapping[str, float]
Method = Literal["auto", "expanded", "repeated"]


# -- results ----------------------------------------------------------------------------------
@dataclass
class ArrivalCurve:
    """Cumulative quantity delivered by each time: ``cumulative[k]`` by ``times_h[k]``.

    The times are the step boundaries ``0, Δ, 2Δ, ...`` (or, when a number of curve points
    was requested, a subset of them). Every point is the maximum deliverable by that time
    (see the module notes).
    """

    step_h: float
    times_h: np.ndarray
    cumulative: np.ndarray
    method: str

    def at(self, t_h: float) -> float:
        """Delivered by ``t_h`` hours (the last step boundary at or before it)."""
        k = int(np.searchsorted(self.times_h, t_h + 1e-9 * self.step_h, side="right")) - 1
        return 0.0 if k < 0 else float(self.cumulative[k])

    def as_list(self, factor: float = 1.0, *, digits: int = 6) -> list[list[float]]:
        """``[[t_h, cumulative / factor], ...]`` (e.g. ``factor`` = tonnes per TEU)."""
        return [[round(float(t), digits), round(float(v) / factor, digits)]
                for t, v in zip(self.times_h, self.cumulative, strict=True)]


@dataclass
class FlowOverTimeResult:
    """A maximum flow over time: ``value`` delivered by ``horizon_h`` (base quantity unit)."""

    value: float
    horizon_h: float
    step_h: float
    n_steps: int
    method: str
    expanded_nodes: int = 0
    expanded_arcs: int = 0


@dataclass
class QuickestResult:
    """The quickest delivery of ``units`` from the sources to the sinks.

    Attributes
    ----------
    status
        ``"ok"``, ``"unreachable"`` (no path with capacity), or ``"not within max horizon"``.
    time_h
        Minimum time in hours (a whole number of steps), or None.
    n_steps
        The same in steps.
    curve
        Earliest-arrival curve up to ``time_h`` (or up to the searched horizon).
    horizon_searched_h
        Largest horizon examined.
    lower_bound_h
        Continuous lower bound ``fastest route + units / max flow`` (true transit times).
    solves
        Flow problems solved.
    rounding_h
        Fastest route with true and with rounded-up transit times: the cost of discretising.
    """

    status: Literal["ok", "unreachable", "not within max horizon"]
    units: float
    time_h: float | None
    n_steps: int | None
    step_h: float
    curve: ArrivalCurve
    horizon_searched_h: float
    method: str
    sources: list[str]
    sinks: list[str]
    lower_bound_h: float = math.nan
    solves: int = 0
    rounding_h: dict[str, float] = field(default_factory=dict)
    expanded_nodes: int = 0
    expanded_arcs: int = 0

    @property
    def time_days(self) -> float | None:
        """Minimum time in days."""
        return None if self.time_h is None else self.time_h / 24.0

    def to_dict(self, factor: float = 1.0, unit: str = "t") -> dict[str, Any]:
        """Plain data (quantities divided by ``factor``, labelled ``unit``)."""
        return {
            "status": self.status, "time": self.time_h, "time_h": self.time_h,
            "time_days": self.time_days, "units": self.units / factor, "unit": unit,
            "step_h": self.step_h, "n_steps": self.n_steps,
            "horizon_searched_h": self.horizon_searched_h, "method": self.method,
            "lower_bound_h": None if math.isnan(self.lower_bound_h) else self.lower_bound_h,
            "rounding_h": self.rounding_h, "solves": self.solves,
            "sources": self.sources, "sinks": self.sinks,
            "curve": self.curve.as_list(factor),
        }


# -- preparation ------------------------------------------------------------------------------
@dataclass
class _Problem:
    c: CompiledNetwork
    src_v: np.ndarray
    snk_v: np.ndarray
    step_h: float
    tau: np.ndarray
    cap_step: np.ndarray  # per-step capacity before timeline factors (base unit)
    timeline: Timeline | None  # None when constant (already folded into cap_step)
    supply: np.ndarray | None
    demand: np.ndarray | None
    storage: bool | dict[int, float]
    sources: list[str]
    sinks: list[str]


def _limits(c: CompiledNetwork, names: Sequence[str], given: Mapping[str, float] | None,
            what: str) -> np.ndarray | None:
    if given is None:
        return None
    extra = set(map(str, given)) - set(map(str, names))
    if extra:
        raise InputError(f"{what} names {sorted(extra)[0]!r}, which is not one of the "
                         f"{'sources' if what == 'supplies' else 'sinks'}")
    vals = np.array([float(given.get(str(n), math.inf)) for n in names])
    if np.any(vals < 0) or np.any(np.isnan(vals)):
        raise InputError(f"{what} must be >= 0")
    return vals


def _prepare(c: CompiledNetwork, sources: Sequence[str], sinks: Sequence[str], *,
             step_h: float, timeline: Timeline | None,
             supplies: Mapping[str, float] | None = None,
             demands: Mapping[str, float] | None = None,
             storage: Storage = True) -> _Problem:
    if not (step_h > 0 and math.isfinite(step_h)):
        raise InputError(f"step_h must be a positive number of hours, not {step_h}")
    src_v, snk_v = terminals(c, list(sources), list(sinks))
    tau = transit_steps(c.time_h, step_h)
    cap_step = np.where(never_traversed(c.time_h), 0.0, c.capacity * (step_h / 24.0))
    tl = timeline
    if tl is not None:
        if tl.n_arcs != c.n_arcs:
            raise InputError("the timeline was built for another network")
        if tl.is_constant:
            f = tl.factors[0]
            with np.errstate(invalid="ignore"):
                cap_step = np.where(f > 0, cap_step * f, 0.0)
            tl = None
    st: bool | dict[int, float]
    if isinstance(storage, Mapping):
        st = {}
        for k, q in storage.items():
            v = int(c.vertices([str(k)], side="in")[0])
            st[v] = float(q)
            ov = int(c.out_vertex[c.node_index[str(k)]])
            if ov != v:
                st[ov] = 0.0
    else:
        st = bool(storage)
    return _Problem(c=c, src_v=src_v, snk_v=snk_v, step_h=float(step_h), tau=tau,
                    cap_step=cap_step, timeline=tl,
                    supply=_limits(c, sources, supplies, "supplies"),
                    demand=_limits(c, sinks, demands, "demands"), storage=st,
                    sources=[str(s) for s in sources], sinks=[str(t) for t in sinks])


def _fastest(c: CompiledNetwork, src_v: np.ndarray, snk_v: np.ndarray,
             weights: np.ndarray, usable: np.ndarray) -> float:
    """Fastest source -> sink time over usable arcs (inf when none)."""
    removed = np.flatnonzero(~usable)
    graph = c.csr(np.nan_to_num(weights.astype(float), nan=0.0), removed=removed)
    d = csgraph.dijkstra(graph, directed=True, indices=src_v, min_only=True)
    return float(np.min(d[snk_v])) if len(snk_v) else math.inf


def default_step_h(c: CompiledNetwork, sources: Sequence[str], sinks: Sequence[str], *,
                   units: float | None = None, horizon_h: float | None = None,
                   budget: int | None = EXPANDED_BUDGET, tolerance: float = 0.02) -> float:
    """A step length (hours) from :data:`STEP_LADDER_H` suited to the network.

    Let ``E`` be the expected scale of the answer: ``horizon_h`` if given, else the fastest
    route time plus ``24 · units / max flow`` (hours). The step is the **largest** ladder value
    with (i) ``Δ <= E / 50`` (answers resolved to about 2 %) and (ii) rounding every transit
    time up lengthens the fastest route by at most ``tolerance · E``. With ``budget``, the step
    is then coarsened until the time-expanded network over ``1.5 E`` has at most ``budget``
    vertices + arcs (the temporally repeated method passes ``budget=None``).
    """
    from chokepoint.analyses.maxflow import max_flow

    src_v, snk_v = terminals(c, list(sources), list(sinks))
    usable = (c.capacity > 0) & ~never_traversed(c.time_h)
    d_true = _fastest(c, src_v, snk_v, c.time_h, usable)
    if not math.isfinite(d_true):
        return 1.0
    if horizon_h is not None:
        est = float(horizon_h)
    else:
        est = d_true
        if units:
            F = max_flow(c, list(sources), list(sinks)).value
            if F > 0 and math.isfinite(F):
                est += 24.0 * units / F
    if est <= 0:
        est = 24.0
    chosen = STEP_LADDER_H[0]
    for step in sorted(STEP_LADDER_H, reverse=True):
        if step > est / 50:
            continue
        rounded = transit_steps(c.time_h, step) * step
        if _fastest(c, src_v, snk_v, rounded, usable) - d_true <= tolerance * est + 1e-9:
            chosen = step
            break
    if budget is not None:
        size = c.n_vertices + c.n_arcs
        for step in sorted(STEP_LADDER_H):
            if step >= chosen and (1.5 * est / step) * size <= budget:
                return step
        return STEP_LADDER_H[-1]
    return chosen


# -- solvers ----------------------------------------------------------------------------------
def _unlimited_for(p: _Problem, n_steps: int, scale: float) -> int:
    """An int standing for "unlimited": more than all finite capacity in the instance."""
    finite = p.cap_step[np.isfinite(p.cap_step)]
    per_step = float(np.floor(finite * scale + 1e-6).sum())
    extra = 0.0
    for lim in (p.supply, p.demand):
        if lim is not None:
            extra += float(np.floor(lim[np.isfinite(lim)] * scale + 1e-6).sum())
    if isinstance(p.storage, dict):
        extra += float(sum(q for q in p.storage.values() if math.isfinite(q))) * scale
    return safe_total(per_step * max(n_steps, 1), extra, 1.0)


def _scale(p: _Problem, *extra: float) -> float:
    arrays: list[np.ndarray] = [p.cap_step, np.asarray(extra, dtype=float)]
    if p.timeline is not None:
        uniq = np.unique(p.timeline.factors)
        arrays.append((p.cap_step[np.isfinite(p.cap_step)][:, None] * uniq[None, :]).ravel())
    for lim in (p.supply, p.demand):
        if lim is not None:
            arrays.append(lim)
    if isinstance(p.storage, dict):
        arrays.append(np.array(list(p.storage.values())))
    return pick_scale(*arrays)


def _expanded(p: _Problem, n_steps: int, scale: float, unlimited: int) -> Expanded:
    check_size("time-expanded network (steps × (arcs + vertices))",
               float(n_steps) * (p.c.n_arcs + p.c.n_vertices), name="cells",
               hint=f"use a longer step than {p.step_h:g} h or a shorter horizon")
    factors = None if p.timeline is None else p.timeline.step_factors(p.step_h, n_steps)
    return build_expanded(p.c, p.src_v, p.snk_v, n_steps=n_steps, tau=p.tau,
                          cap_step=p.cap_step, factors=factors, scale=scale,
                          unlimited=unlimited, storage=p.storage, supply=p.supply,
                          demand=p.demand)


def _maxflow(tail: np.ndarray, head: np.ndarray, cap: np.ndarray, s: int, t: int) -> int:
    solver = ort_max_flow.SimpleMaxFlow()
    solver.add_arcs_with_capacity(tail, head, cap)
    status = solver.solve(s, t)
    if status != solver.OPTIMAL:
        raise SolverError(f"OR-Tools max flow returned status {status}")
    return int(solver.optimal_flow())


def _expanded_value(p: _Problem, n_steps: int, scale: float, unlimited: int
                    ) -> tuple[int, Expanded]:
    if n_steps <= 0:
        return 0, _expanded(p, 1, scale, unlimited)
    ex = _expanded(p, n_steps, scale, unlimited)
    return _maxflow(ex.tail, ex.head, ex.cap, ex.S, ex.Z), ex


def _expanded_arrivals(ex: Expanded, value: int) -> np.ndarray:
    """Arrivals per step (ints) of an earliest-arrival flow of ``value`` (min-cost flow)."""
    arrivals = np.zeros(ex.n_steps, dtype=np.int64)
    if value <= 0:
        return arrivals
    # Costs are arrival steps (>= 0), so some optimal flow has no cycle and carries at most
    # ``value`` on any arc: capping the "unlimited" arcs there changes neither the optimum
    # nor the (unique) arrivals, and OR-Tools' cost scaling runs several times faster on
    # the smaller capacities.
    solver = ort_mcf.SimpleMinCostFlow()
    solver.add_arcs_with_capacity_and_unit_cost(ex.tail, ex.head, np.minimum(ex.cap, value),
                                                ex.cost)
    solver.set_node_supply(ex.S, value)
    solver.set_node_supply(ex.Z, -value)
    status = solver.solve()
    if status != solver.OPTIMAL:
        raise SolverError(f"OR-Tools min-cost flow returned status {status}")
    flows = solver.flows(ex.sink_arcs)
    np.add.at(arrivals, ex.sink_step, flows)
    return arrivals


class _Repeated:
    """Temporally repeated flows on the static network (Ford & Fulkerson 1958)."""

    def __init__(self, p: _Problem, scale: float, unlimited: int) -> None:
        self.st: Static = build_static(p.c, p.src_v, p.snk_v, tau=p.tau, cap_step=p.cap_step,
                                       scale=scale, unlimited=unlimited)
        st = self.st
        self.F = _maxflow(st.tail, st.head, st.cap, st.S, st.Z)
        self.solves = 1
        self.cache: dict[int, tuple[int, int, int]] = {}

    def min_cost_max(self) -> int:
        """Cost (Σ τ x) of a min-cost maximum static flow."""
        st = self.st
        solver = ort_mcf.SimpleMinCostFlow()
        solver.add_arcs_with_capacity_and_unit_cost(st.tail, st.head, st.cap, st.cost)
        solver.set_node_supply(st.S, self.F)
        solver.set_node_supply(st.Z, -self.F)
        self.solves += 1
        if solver.solve() != solver.OPTIMAL:
            raise SolverError("OR-Tools min-cost flow failed on the static network")
        return int(solver.optimal_cost())

    def evaluate(self, theta: int) -> tuple[int, int, int]:
        """``(value, |x|, Σ τ x)`` of an optimal temporally repeated flow for horizon
        ``theta`` steps: one min-cost circulation with return arc ``Z -> S`` of cost
        ``-theta``."""
        if theta in self.cache:
            return self.cache[theta]
        if theta <= 0 or self.F == 0:
            self.cache[theta] = (0, 0, 0)
            return self.cache[theta]
        st = self.st
        solver = ort_mcf.SimpleMinCostFlow()
        solver.add_arcs_with_capacity_and_unit_cost(
            np.append(st.tail, st.Z), np.append(st.head, st.S), np.append(st.cap, self.F),
            np.append(st.cost, -int(theta)))
        self.solves += 1
        if solver.solve() != solver.OPTIMAL:
            raise SolverError("OR-Tools min-cost circulation failed")
        X = int(solver.flow(len(st.tail)))
        cost = int(solver.optimal_cost())  # Σ τ x − θ X
        out = (-cost, X, cost + int(theta) * X)
        self.cache[theta] = out
        return out

    def sampled(self, thetas: np.ndarray) -> np.ndarray:
        """Exact values at the given horizons (one circulation each)."""
        return np.array([self.evaluate(int(t))[0] for t in thetas], dtype=np.int64)

    def curve(self, n_steps: int) -> np.ndarray:
        """Exact value for every horizon ``0..n_steps`` (ints), by finding the pieces of the
        convex piecewise-linear value function (Eisner–Severance bisection on integers)."""
        self.evaluate(0)
        self.evaluate(n_steps)
        stack = [(0, n_steps)]
        while stack:
            a, b = stack.pop()
            if b - a <= 1:
                continue
            _, Xa, Ca = self.evaluate(a)
            _, Xb, Cb = self.evaluate(b)
            if Xa == Xb:
                continue  # parallel supporting lines through f(a), f(b): f linear on [a, b]
            cross = (Cb - Ca) / (Xb - Xa)
            m1 = math.floor(cross)
            for mid in (m1, m1 + 1):
                if a < mid < b:
                    v, _, _ = self.evaluate(mid)
                    if v > max(mid * Xa - Ca, mid * Xb - Cb):
                        stack += [(a, mid), (mid, b)]
                        break
        lines = np.array([(X, C) for _, X, C in self.cache.values()], dtype=np.int64)
        theta = np.arange(n_steps + 1, dtype=np.int64)
        vals = (theta[:, None] * lines[None, :, 0] - lines[None, :, 1]).max(axis=1)
        return np.maximum(vals, 0)

    def quickest(self, n_int: int) -> int:
        """Smallest horizon (steps) with value >= ``n_int`` (``F`` must be > 0): Newton's
        method from above on the convex value function, then a check one step earlier."""
        c_star = self.min_cost_max()
        theta = ceil_div(n_int + c_star, self.F)
        while theta > 0:
            v, X, C = self.evaluate(theta - 1)
            if v < n_int:
                break
            theta = min(theta - 1, ceil_div(n_int + C, X))
        return max(theta, 0)


def _to_curve(p: _Problem, cum_int: np.ndarray, scale: float, method: str) -> ArrivalCurve:
    times = np.arange(len(cum_int), dtype=float) * p.step_h
    return ArrivalCurve(step_h=p.step_h, times_h=times,
                        cumulative=cum_int.astype(float) / scale, method=method)


def _pick_method(p: _Problem, method: str) -> str:
    if method not in ("auto", "expanded", "repeated"):
        raise InputError(f"method must be auto, expanded or repeated, not {method!r}")
    simple = p.timeline is None and p.supply is None and p.demand is None
    if method == "repeated" and not simple:
        raise InputError("temporally repeated flows need constant capacities and unlimited "
                         "supplies and demands; use method='expanded'")
    if method == "auto":
        return "repeated" if simple else "expanded"
    return method


def _steps(horizon_h: float, step_h: float) -> int:
    if not horizon_h >= 0:
        raise InputError(f"horizon must be >= 0 hours, not {horizon_h}")
    return math.floor(horizon_h / step_h + 1e-9)


# -- public API -------------------------------------------------------------------------------
def max_flow_over_time(
    c: CompiledNetwork,
    sources: Sequence[str],
    sinks: Sequence[str],
    *,
    horizon_h: float,
    step_h: float | None = None,
    timeline: Timeline | None = None,
    supplies: Mapping[str, float] | None = None,
    demands: Mapping[str, float] | None = None,
    storage: Storage = True,
    method: Method = "auto",
) -> FlowOverTimeResult:
    """Maximum quantity deliverable from ``sources`` to ``sinks`` by ``horizon_h``.

    Parameters
    ----------
    c
        The compiled network.
    sources, sinks
        Node ids (origins hold unlimited stock unless ``supplies`` limits it).
    horizon_h
        The horizon in hours (rounded down to whole steps).
    step_h
        Step length in hours (default: :func:`default_step_h`).
    timeline
        Time-varying capacity factors (default: none).
    supplies, demands
        Optional quantity limits per source / per sink (base quantity unit).
    storage
        Holdover at nodes: True (unlimited), False (none but at origins) or
        ``{node id: quantity}``.
    method
        ``"expanded"`` (time-expanded max flow), ``"repeated"`` (Ford–Fulkerson temporally
        repeated flow; constant capacities, unlimited supplies) or ``"auto"``.

    Returns
    -------
    FlowOverTimeResult
        ``value`` in the base quantity unit (``inf`` when an unlimited path exists).
    """
    if step_h is None:
        step_h = default_step_h(c, sources, sinks, horizon_h=horizon_h or None,
                                budget=EXPANDED_BUDGET if method != "repeated" else None)
    p = _prepare(c, sources, sinks, step_h=step_h, timeline=timeline, supplies=supplies,
                 demands=demands, storage=storage)
    T = _steps(horizon_h, p.step_h)
    how = _pick_method(p, method)
    scale = _scale(p)
    unlimited = _unlimited_for(p, T, scale)
    if how == "repeated":
        rep = _Repeated(p, scale, unlimited)
        v, _, _ = rep.evaluate(T)
        value = math.inf if unlimited <= rep.F and T > 0 and v > 0 else v / scale
        return FlowOverTimeResult(value=value, horizon_h=T * p.step_h, step_h=p.step_h,
                                  n_steps=T, method=how)
    v, ex = _expanded_value(p, T, scale, unlimited)
    value = math.inf if v >= unlimited else v / scale
    return FlowOverTimeResult(value=value, horizon_h=T * p.step_h, step_h=p.step_h, n_steps=T,
                              method=how, expanded_nodes=ex.n_nodes,
                              expanded_arcs=len(ex.tail))


def earliest_arrival_curve(
    c: CompiledNetwork,
    sources: Sequence[str],
    sinks: Sequence[str],
    *,
    horizon_h: float,
    step_h: float | None = None,
    timeline: Timeline | None = None,
    supplies: Mapping[str, float] | None = None,
    demands: Mapping[str, float] | None = None,
    storage: Storage = True,
    method: Literal["auto", "mincost", "prefix", "repeated"] = "auto",
    cap: float | None = None,
) -> ArrivalCurve:
    """Cumulative quantity deliverable by each step boundary ``0, Δ, ..., horizon``.

    Each point is the maximum flow over time by that time. Methods: ``"mincost"`` (one
    min-cost max flow on the time-expanded network with arrival-time costs: an
    earliest-arrival flow, exact when demands are unlimited), ``"prefix"`` (one time-expanded
    max flow per prefix horizon: exact in every case, slow), ``"repeated"`` (the temporally
    repeated value at every horizon, from its few linear pieces; constant capacities and
    unlimited supplies/demands only). ``"auto"`` picks ``repeated``, then ``mincost``, then
    ``prefix``.

    ``cap`` (base quantity unit) lets unlimited arcs be capped at ``cap`` per step, which keeps
    every point below ``cap`` exact (points at or above it are at least ``cap``).
    """
    if step_h is None:
        step_h = default_step_h(c, sources, sinks, horizon_h=horizon_h or None,
                                budget=EXPANDED_BUDGET if method != "repeated" else None)
    p = _prepare(c, sources, sinks, step_h=step_h, timeline=timeline, supplies=supplies,
                 demands=demands, storage=storage)
    T = _steps(horizon_h, p.step_h)
    scale = _scale(p, cap or 0.0)
    unlimited = (math.ceil(cap * scale) + 1 if cap is not None
                 else _unlimited_for(p, T, scale))
    return _curve(p, T, scale, unlimited, method)


def _curve(p: _Problem, T: int, scale: float, unlimited: int, method: str) -> ArrivalCurve:
    if method == "auto":
        simple = p.timeline is None and p.supply is None and p.demand is None
        method = "repeated" if simple else ("mincost" if p.demand is None else "prefix")
    if method == "repeated":
        _pick_method(p, "repeated")
        return _to_curve(p, _Repeated(p, scale, unlimited).curve(T), scale, "repeated")
    if method == "mincost":
        if T <= 0:
            return _to_curve(p, np.zeros(1, dtype=np.int64), scale, "mincost")
        v, ex = _expanded_value(p, T, scale, unlimited)
        arrivals = _expanded_arrivals(ex, v)
        return _to_curve(p, np.concatenate([[0], np.cumsum(arrivals)]), scale, "mincost")
    if method == "prefix":
        vals = [0] + [_expanded_value(p, k, scale, unlimited)[0] for k in range(1, T + 1)]
        return _to_curve(p, np.array(vals, dtype=np.int64), scale, "prefix")
    raise InputError(f"method must be auto, mincost, prefix or repeated, not {method!r}")


def temporally_repeated_value(c: CompiledNetwork, sources: Sequence[str], sinks: Sequence[str],
                              *, horizon_h: float, step_h: float) -> float:
    """Ford–Fulkerson's maximum flow over time by ``horizon_h`` (constant capacities): the
    value ``T·|x| − Σ τ_a x_a`` of an optimal static flow ``x`` (one min-cost circulation)."""
    return max_flow_over_time(c, sources, sinks, horizon_h=horizon_h, step_h=step_h,
                              method="repeated").value


def quickest_transshipment(
    c: CompiledNetwork,
    sources: Sequence[str],
    sinks: Sequence[str],
    units: float,
    *,
    step_h: float | None = None,
    timeline: Timeline | None = None,
    max_horizon_h: float = DEFAULT_MAX_HORIZON_H,
    supplies: Mapping[str, float] | None = None,
    demands: Mapping[str, float] | None = None,
    storage: Storage = True,
    method: Method = "auto",
    curve: bool = True,
    curve_points: int | None = None,
) -> QuickestResult:
    """The minimum time to deliver ``units`` from ``sources`` to ``sinks``, and the
    earliest-arrival curve up to it.

    Parameters
    ----------
    c
        The compiled network.
    sources, sinks
        Node ids. Origins hold unlimited stock (or ``supplies``); any mix of destinations
        counts (or at most ``demands`` each: with supplies and demands summing to ``units``
        this is Hoppe & Tardos's quickest transshipment).
    units
        Quantity to deliver, in the base quantity unit (tonnes for t/day capacities).
    step_h
        Step length in hours (default :func:`default_step_h`).
    timeline
        Disruption timeline (hour 0 = dispatch time).
    max_horizon_h
        Give up beyond this horizon (status ``"not within max horizon"``).
    storage, method
        As in :func:`max_flow_over_time`.
    curve
        Also compute the earliest-arrival curve (one more solve, or a few pieces).
    curve_points
        With the temporally repeated method, report the curve only at about this many
        evenly spread step boundaries (each exact, one circulation each) instead of at every
        step; on large networks with fine steps the full curve has many linear pieces.

    Returns
    -------
    QuickestResult
    """
    if not (units > 0 and math.isfinite(units)):
        raise InputError(f"units must be a positive number, not {units}")
    if step_h is None:
        step_h = default_step_h(c, sources, sinks, units=units,
                                budget=None if method == "repeated" or (
                                    method == "auto" and (timeline is None
                                                          or timeline.is_constant)
                                    and supplies is None and demands is None)
                                else EXPANDED_BUDGET)
    p = _prepare(c, sources, sinks, step_h=step_h, timeline=timeline, supplies=supplies,
                 demands=demands, storage=storage)
    how = _pick_method(p, method)
    max_steps = _steps(max_horizon_h, p.step_h)
    scale = _scale(p, units)
    n_int = math.ceil(units * scale - 1e-6)
    if n_int >= INT_LIMIT / 4:  # the int64 solvers cannot hold it
        raise InputError(f"units {units:.3g} is more than the exact integer solver can "
                         f"deliver (at most {INT_LIMIT / 4 / scale:.3g})")
    unlimited = n_int + 1
    usable = p.cap_step > 0 if p.timeline is None else (p.cap_step > 0) & (
        p.timeline.factors.max(axis=0) > 0)
    d_true = _fastest(c, p.src_v, p.snk_v, c.time_h, usable)
    d_round = _fastest(c, p.src_v, p.snk_v, p.tau * p.step_h, usable)
    rounding = {"fastest_route_h": d_true, "fastest_route_rounded_h": d_round}
    # the static problem (no timeline): a lower bound in every case, the answer in "repeated"
    base = _Problem(**{**p.__dict__, "timeline": None, "supply": None, "demand": None})
    rep = _Repeated(base, scale, unlimited)
    empty = ArrivalCurve(step_h=p.step_h, times_h=np.zeros(1), cumulative=np.zeros(1),
                         method="none")
    common: dict[str, Any] = {"units": float(units), "step_h": p.step_h, "method": how,
                              "sources": p.sources, "sinks": p.sinks, "rounding_h": rounding}
    if rep.F == 0 or not math.isfinite(d_true):
        return QuickestResult(status="unreachable", time_h=None, n_steps=None, curve=empty,
                              horizon_searched_h=0.0, solves=rep.solves, **common)
    from chokepoint.analyses.maxflow import max_flow

    F_true = max_flow(c, p.sources, p.sinks).value
    lower = d_true + (24.0 * units / F_true if F_true > 0 else math.inf)
    common["lower_bound_h"] = lower
    t_static = rep.quickest(n_int)
    solves = rep.solves
    size = (0, 0)
    if how == "repeated":
        found: int | None = t_static if t_static <= max_steps else None
        searched = min(t_static, max_steps)
    else:
        found, searched, k, size = _search(p, t_static, max_steps, n_int, scale, unlimited)
        solves += k
    if found is None:
        cv = empty
        if curve and searched > 0 and how == "expanded":
            cv = _curve(p, searched, scale, unlimited,
                        "mincost" if p.demand is None else "prefix")
            solves += 2
        return QuickestResult(status="not within max horizon", time_h=None, n_steps=None,
                              curve=cv, horizon_searched_h=searched * p.step_h, solves=solves,
                              **common)
    cv = empty
    if curve:
        if how == "repeated" and curve_points is not None and found + 1 > curve_points:
            thetas = np.unique(np.linspace(0, found, max(curve_points, 2)).round()
                               ).astype(np.int64)
            cv = ArrivalCurve(step_h=p.step_h, times_h=thetas * p.step_h,
                              cumulative=rep.sampled(thetas) / scale, method="repeated")
            solves = rep.solves
        elif how == "repeated":
            cv = _to_curve(p, rep.curve(found), scale, "repeated")
            solves = rep.solves
        else:
            cv = _curve(p, found, scale, unlimited,
                        "mincost" if p.demand is None else "prefix")
            solves += 2 if p.demand is None else found
    return QuickestResult(status="ok", time_h=found * p.step_h, n_steps=found, curve=cv,
                          horizon_searched_h=max(searched, found) * p.step_h, solves=solves,
                          expanded_nodes=size[0], expanded_arcs=size[1], **common)


def _search(p: _Problem, t_lo: int, max_steps: int, n_int: int, scale: float,
            unlimited: int) -> tuple[int | None, int, int, tuple[int, int]]:
    """Smallest ``T`` in ``[t_lo, max_steps]`` with time-expanded value >= ``n_int``: gallop up
    from the static lower bound ``t_lo``, then bisect. Returns (T or None, largest T tried,
    solves, (nodes, arcs) of the last network)."""
    solves = 0
    size = (0, 0)

    def ok(T: int) -> bool:
        nonlocal solves, size
        v, ex = _expanded_value(p, T, scale, unlimited)
        solves += 1
        size = (ex.n_nodes, len(ex.tail))
        return v >= n_int

    if t_lo > max_steps:
        return None, max_steps, solves, size
    lo = t_lo - 1  # value(lo) < N (lower bound from the static problem)
    hi = t_lo
    inc = max(1, t_lo // 8)
    while not ok(hi):
        lo = hi
        if hi >= max_steps:
            return None, max_steps, solves, size
        hi = min(hi + inc, max_steps)
        inc *= 2
    searched = hi
    while hi - lo > 1:
        mid = (lo + hi) // 2
        if ok(mid):
            hi = mid
        else:
            lo = mid
    return hi, searched, solves, size

