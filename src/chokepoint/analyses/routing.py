"""Max flow and min cut of one commodity along its route rules.

A commodity's route (:mod:`chokepoint.route_rules`) restricts the arcs it may use and may chain
legs through ``via`` nodes. Its throughput is then

* one leg: the maximum flow origin → destination over the allowed arcs (OR-Tools push-relabel,
  :func:`~chokepoint.analyses.maxflow.max_flow`), and the minimum cut of that flow;
* several legs: the largest amount ``F`` that every leg can carry *at the same time* with the
  legs sharing arc capacity — the served-demand LP of :mod:`chokepoint.analyses.served` with a
  single demand of rate ``min_leg max_flow`` (an upper bound), exact. The reported cut is the
  minimum cut of the bottleneck leg (the leg with the smallest max flow on its own); it is a
  cut of the commodity (removing it stops it) and a minimum one whenever ``F`` equals that
  leg's max flow (``exact_cut``), always so when the legs share no capacity.

The time-expanded analyses (earliest-arrival bound, quickest transshipment) honour the route
through :func:`commodity_timeline` (forbidden arcs at capacity factor 0) and
:func:`commodity_quickest` (via stops the link rules do not force: the layered LP of
:mod:`chokepoint.analyses.dynamic_legs`).

Complexity: one max flow per leg, plus one LP of size L·m when there are L ≥ 2 legs.
References: Ford & Fulkerson, *Can. J. Math.* 8 (1956); Ahuja, Magnanti & Orlin, *Network
Flows* (1993), ch. 17 (multicommodity flows).
"""

from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np

from chokepoint._lazy import LazyModule
from chokepoint.analyses.dynamic import QuickestResult, quickest_transshipment
from chokepoint.analyses.maxflow import MaxFlowResult, max_flow
from chokepoint.analyses.routes import Route, path_nodes, vertex_path
from chokepoint.analyses.served import served_demand
from chokepoint.compiled import CompiledNetwork
from chokepoint.route_rules import CommodityRoute, commodity_route
from chokepoint.scenario import Demand
from chokepoint.timeline import Timeline

if TYPE_CHECKING:
    import pandas as pd
    import scipy.sparse.csgraph as csgraph
else:
    pd = LazyModule("pandas")
    csgraph = LazyModule("scipy.sparse.csgraph")

__all__ = ["CommodityFlowResult", "CommodityRoute", "commodity_fastest_route",
           "commodity_max_flow", "commodity_network", "commodity_quickest", "commodity_route",
           "commodity_throughput_criticality", "commodity_timeline", "route_removed",
           "via_implied"]


@dataclass
class CommodityFlowResult:
    """A commodity's maximum throughput along its route, and a cut that stops it.

    Attributes
    ----------
    demand_id, label
        The commodity and ``id: origin → via … → destination``.
    value
        Maximum throughput (base unit per day; ``inf`` if unlimited).
    legs
        The max flow of each leg on its own (allowed arcs only).
    bottleneck_leg
        Index of the leg with the smallest max flow; its minimum cut is reported.
    exact_cut
        True when :attr:`value` equals the bottleneck leg's max flow, so the cut is minimum.
    arc_flow
        The commodity's flow on each arc in one optimal solution, summed over its legs (an
        arc used by two legs counts twice).
    """

    demand_id: str
    label: str
    value: float
    legs: list[MaxFlowResult]
    bottleneck_leg: int
    exact_cut: bool
    route: CommodityRoute
    cut_links: list[str] = field(default_factory=list)
    cut_nodes: list[str] = field(default_factory=list)
    cut_groups: list[str] = field(default_factory=list)
    arc_flow: np.ndarray = field(default_factory=lambda: np.zeros(0))


def route_removed(route: CommodityRoute, removed: np.ndarray | None = None) -> np.ndarray:
    """Arcs closed to a commodity: those its route forbids plus ``removed``."""
    out = route.removed_arcs
    if removed is not None and len(removed):
        out = np.union1d(out, np.asarray(removed, dtype=np.int64))
    return out.astype(np.int64)


def commodity_max_flow(
    c: CompiledNetwork,
    demand: Demand,
    *,
    removed: np.ndarray | None = None,
    factor: np.ndarray | None = None,
) -> CommodityFlowResult:
    """Maximum throughput of ``demand`` along its route rules, with a cut.

    Parameters
    ----------
    c
        The compiled network.
    demand
        The commodity (its ``rate`` is ignored: this is the capacity of its route).
    removed, factor
        Failed arcs and capacity multipliers, as for :func:`max_flow`.

    Returns
    -------
    CommodityFlowResult
    """
    route = commodity_route(c, demand)
    closed = route_removed(route, removed)
    legs = [max_flow(c, [a], [b], removed=closed, factor=factor) for a, b in route.legs]
    values = np.array([r.value for r in legs])
    j = int(np.argmin(values))
    value = float(values[j])
    best = legs[j]
    flow = np.asarray(best.arc_flow, dtype=float)
    if len(legs) > 1:
        flow = np.zeros(c.n_arcs)
        if math.isfinite(value) and value > 0:
            probe = dataclasses.replace(demand, rate=value, priority=1.0, returns_empty=False)
            sd = served_demand(c, [probe], removed=removed, factor=factor, fastest=False,
                               fair=False)
            value, flow = float(sd.total_served), np.asarray(sd.flows[0], dtype=float)
    exact = bool(abs(value - float(values[j])) <= 1e-9 * max(1.0, abs(value)))
    return CommodityFlowResult(
        demand_id=demand.id, label=route.label, value=value, legs=legs, bottleneck_leg=j,
        exact_cut=exact, route=route, cut_links=list(best.cut_links),
        cut_nodes=list(best.cut_nodes), cut_groups=list(best.cut_groups), arc_flow=flow)


def commodity_network(c: CompiledNetwork, demand: Demand) -> CompiledNetwork:
    """The network as the commodity sees it: every arc its route rules forbid has capacity 0
    and infinite transit time and length, every other array is ``c``'s.

    Arc, link, node and group numbering are those of ``c``, so arc sets, capacity factors and
    results mix freely between the two. Any single-commodity analysis run on it between the
    commodity's origin and destination (max flow and min cut, interdiction, throughput
    criticality, fastest routes and detours) honours the mode and link rules; the ``via``
    nodes are honoured too whenever :func:`via_implied` holds (every allowed path passes
    them). Cached on ``c`` per commodity; O(m).
    """
    route = commodity_route(c, demand)
    if not route.constrained or bool(route.arc_mask.all()):
        return c
    key = ("commodity_network", demand.id, tuple(np.flatnonzero(~route.arc_mask).tolist()))
    hit = c._cache.get(str(key))
    if isinstance(hit, CompiledNetwork):
        return hit
    closed = ~route.arc_mask
    out = dataclasses.replace(
        c, capacity=np.where(closed, 0.0, c.capacity),
        time_h=np.where(closed, np.inf, c.time_h),
        length_km=np.where(closed, np.inf, c.length_km), _cache={})
    c._cache[str(key)] = out
    return out


def commodity_timeline(c: CompiledNetwork, demand: Demand,
                       timeline: Timeline | None = None) -> Timeline:
    """``timeline`` (or a constant one) with the arcs the commodity's route forbids at
    capacity factor 0 — how the time-expanded analyses honour route rules. O(m·T) for T
    change times."""
    mask = commodity_route(c, demand).arc_mask.astype(float)
    closed = Timeline.constant(c, mask)
    return closed if timeline is None else timeline.minimum(closed)


def via_implied(c: CompiledNetwork, demand: Demand) -> bool:
    """True when every allowed path origin → destination passes the ``via`` nodes (so a
    single origin → destination flow over the allowed arcs follows the route). O(n + m) per
    via node."""
    route = commodity_route(c, demand)
    if len(route.legs) == 1:
        return True
    o = route.leg_vertices[0][0]
    t = route.leg_vertices[-1][1]
    for v in demand.via:
        node = c.node_index[v]
        verts = {node, int(c.out_vertex[node])}
        keep = route.arc_mask & ~np.isin(c.tail, list(verts)) & ~np.isin(c.head, list(verts))
        order = csgraph.breadth_first_order(c.csr(np.ones(c.n_arcs), removed=np.flatnonzero(~keep)),
                                    o, directed=True, return_predecessors=False)
        if t in set(np.asarray(order).tolist()):
            return False
    return True


def commodity_quickest(c: CompiledNetwork, demand: Demand, units: float, *,
                       timeline: Timeline | None = None,
                       **kwargs: Any) -> QuickestResult:
    """The quickest delivery of ``units`` of a commodity along its route rules (the exact
    earliest-arrival bound of :func:`~chokepoint.analyses.dynamic.quickest_transshipment`
    over the arcs its route allows, from its origin to its destination), through its ``via``
    stops in order: where its link rules do not force them, the layered time-expanded LP of
    :func:`~chokepoint.analyses.dynamic_legs.legs_quickest` (``kwargs``: ``step_h``,
    ``max_horizon_h``, ``curve``, ``curve_points``)."""
    if not via_implied(c, demand):
        from chokepoint.analyses.dynamic_legs import legs_quickest

        return legs_quickest(c, demand, units, timeline=timeline, **kwargs)
    return quickest_transshipment(c, [demand.origin], [demand.destination], units,
                                  timeline=commodity_timeline(c, demand, timeline), **kwargs)


def commodity_fastest_route(c: CompiledNetwork, demand: Demand, *,
                            weight: str | np.ndarray = "time_h",
                            removed: np.ndarray | None = None) -> Route:
    """The lightest route of ``demand`` along its route rules, through its ``via`` stops in
    order: the concatenation of the lightest leg routes (exact — the legs of a walk are
    independent, so the sum of the legs' shortest paths is the shortest walk through the
    stops; a stop's handling is counted once, as the leg into it ends at its out-vertex and
    the next leg starts there). The walk may pass a node twice (e.g. out to a port and back).

    Parameters
    ----------
    c
        The compiled network.
    demand
        The commodity (origin, via stops, destination, allowed and forbidden links).
    weight, removed
        As :func:`~chokepoint.analyses.routes.fastest_route`.

    Returns
    -------
    Route
        ``source``/``target`` are the origin and destination; ``nodes`` the whole walk.

    Notes
    -----
    One Dijkstra per leg (Dijkstra, *Numer. Math.* 1, 1959): O(L (n + m) log n).
    """
    route = commodity_route(c, demand)
    closed = route_removed(route, removed)
    name = weight if isinstance(weight, str) else "custom"
    total, parts = 0.0, []
    for s, t in route.leg_vertices:
        cost, arcs = vertex_path(c, s, t, weight=weight, removed=closed)
        if not np.isfinite(cost):
            return Route(demand.origin, demand.destination, name, False, float("inf"))
        total += cost
        parts.append(arcs)
    arcs = np.concatenate(parts) if parts else np.zeros(0, dtype=np.int64)
    nodes = path_nodes(c, arcs) if len(arcs) else [demand.origin]
    links = [str(c.link_ids[c.arc_link[a]]) for a in arcs if c.arc_link[a] >= 0]
    return Route(demand.origin, demand.destination, name, True, total, nodes=nodes,
                 links=links, arcs=arcs, time_h=float(c.time_h[arcs].sum()),
                 length_km=float(c.length_km[arcs].sum()))


def commodity_throughput_criticality(c: CompiledNetwork, demand: Demand, *,
                                     kind: str = "link",
                                     elements: list[str] | None = None,
                                     budget: int | None = None) -> pd.DataFrame:
    """Exact loss of ``demand``'s throughput along its route rules when each element fails.

    Where the link rules force the ``via`` stops this is
    :func:`~chokepoint.analyses.criticality_flow.throughput_criticality` on
    :func:`commodity_network` (same table). Otherwise every element that carries flow of the
    commodity in one optimal multi-leg solution (:func:`commodity_max_flow`) is re-solved
    with its arcs removed (method ``"resolve"``); an element carrying none keeps the intact
    value (``"no-flow"``: the intact solution stays feasible). Same columns as
    ``throughput_criticality``. Cost: one multi-leg LP per element carrying flow.
    """
    from chokepoint.analyses.criticality_flow import (
        _frame,
        element_arcs,
        element_flow,
        throughput_criticality,
    )

    if via_implied(c, demand):
        return throughput_criticality(commodity_network(c, demand), [demand.origin],
                                      [demand.destination], kind=kind, elements=elements,
                                      budget=budget)
    ids, ptr, arcs = element_arcs(c, kind, elements)
    index = {"link": c.link_index, "node": c.node_index, "group": c.group_index}[kind]
    idx = np.array([index[x] for x in ids], dtype=np.int64)
    intact = commodity_max_flow(c, demand)
    used = np.abs(intact.arc_flow)
    flow = element_flow(c, kind, ptr, arcs, used, idx)
    carries = np.bincount(np.repeat(np.arange(len(ids)), np.diff(ptr)), weights=used[arcs],
                          minlength=len(ids)) > 0
    without = np.full(len(ids), intact.value)
    method = np.full(len(ids), "no-flow", dtype=object)
    for i in np.flatnonzero(carries):
        without[i] = commodity_max_flow(c, demand, removed=arcs[ptr[i]:ptr[i + 1]]).value
        method[i] = "resolve"
    return _frame(ids, kind, intact.value, without, flow, method)
