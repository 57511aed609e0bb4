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
:func:`commodity_quickest`.

Complexity: one max flow per leg, plus one LP of size L·m when there are L ≥ 2 legs.
References: Ford & Fulkerson, *Can. J. Math.* 8 (1956); Ahuja, Magnanti & Orlin, *Network
Flows* (1993), ch. 17 (multicommodity flows).
"""

from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from scipy.sparse.csgraph import breadth_first_order

from chokepoint.analyses.dynamic import QuickestResult, quickest_transshipment
from chokepoint.analyses.maxflow import MaxFlowResult, max_flow
from chokepoint.analyses.served import served_demand
from chokepoint.compiled import CompiledNetwork
from chokepoint.errors import InputError
from chokepoint.route_rules import CommodityRoute, commodity_route
from chokepoint.scenario import Demand
from chokepoint.timeline import Timeline

__all__ = ["CommodityFlowResult", "CommodityRoute", "commodity_max_flow", "commodity_network",
           "commodity_quickest", "commodity_route", "commodity_timeline", "route_removed",
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
    if len(legs) > 1 and math.isfinite(value) and value > 0:
        probe = dataclasses.replace(demand, rate=value, priority=1.0, returns_empty=False)
        value = float(served_demand(c, [probe], removed=removed, factor=factor,
                                    fastest=False, fair=False).total_served)
    best = legs[j]
    exact = bool(abs(value - float(values[j])) <= 1e-9 * max(1.0, abs(value)))
    return CommodityFlowResult(
        demand_id=demand.id, label=route.label, value=value, legs=legs, bottleneck_leg=j,
        exact_cut=exact, route=route, cut_links=list(best.cut_links),
        cut_nodes=list(best.cut_nodes), cut_groups=list(best.cut_groups))


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
        order = breadth_first_order(c.csr(np.ones(c.n_arcs), removed=np.flatnonzero(~keep)),
                                    o, directed=True, return_predecessors=False)
        if t in set(np.asarray(order).tolist()):
            return False
    return True


def commodity_quickest(c: CompiledNetwork, demand: Demand, units: float, *,
                       timeline: Timeline | None = None,
                       **kwargs: Any) -> QuickestResult:
    """The quickest delivery of ``units`` of a commodity along its route rules (the exact
    earliest-arrival bound of :func:`~chokepoint.analyses.dynamic.quickest_transshipment`
    over the arcs its route allows, from its origin to its destination).

    Raises
    ------
    InputError
        When the route has ``via`` nodes that its link rules do not force (a single
        time-expanded flow cannot be made to pass them; forbid the links that bypass them).
    """
    if not via_implied(c, demand):
        raise InputError(f"the earliest-arrival bound cannot force {demand.label}: forbid "
                         "the links that bypass its via nodes", element=f"commodity "
                                                                        f"{demand.id!r}")
    return quickest_transshipment(c, [demand.origin], [demand.destination], units,
                                  timeline=commodity_timeline(c, demand, timeline), **kwargs)
