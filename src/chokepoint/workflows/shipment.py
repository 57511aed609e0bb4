"""The shipment: the one origin–destination, route and unit every shipment figure refers to.

A scenario with commodities ships its first commodity: its origin and destination are the
terminals of every shipment question (max flow and min cut, with the disruptions, fastest
route, worst simultaneous failures, the criticality ranking's throughput column, the single
points of failure, the campaign's exact bound), over the arcs its route rules allow
(:func:`~chokepoint.analyses.routing.commodity_network`), in its display unit. A scenario
without commodities asks about its ``[flow]`` terminals (or those given) on the whole network.
Terminals given explicitly (``--source``/``--sink``) always win and ask about the whole
network.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from chokepoint.analyses.maxflow import max_flow
from chokepoint.analyses.routes import Route, fastest_route
from chokepoint.analyses.routing import (
    commodity_fastest_route,
    commodity_max_flow,
    commodity_network,
    via_implied,
)
from chokepoint.compiled import CompiledNetwork
from chokepoint.errors import InputError
from chokepoint.formatting import rate_unit
from chokepoint.scenario import Demand, Scenario
from chokepoint.timeline import Timeline

__all__ = [
    "Shipment",
    "display_unit",
    "minimal_plan",
    "shipment",
    "shipment_arrival_curve",
    "shipment_harden",
    "shipment_interdiction",
    "shipment_of",
    "shipment_path_interdiction",
    "shipment_quickest",
    "shipment_route",
    "shipment_value",
    "throughput",
    "with_commodity",
]


def display_unit(s: Scenario, d: Demand) -> str:
    """The unit a demand's rates are shown in: its ``display_unit`` (a scenario field, see
    ``docs/scenario-format.md``), else its declared quantity per day (``TEU`` → ``TEU/day``)
    for a commodity, ``Mt/yr`` for bulk background traffic, else the first report unit (the
    base unit for unitless networks)."""
    if s.units.base == "unit":
        return s.units.base
    if d.display_unit:
        return d.display_unit
    for unit in ([rate_unit(d.quantity_unit)] if d.quantity_unit else []) + (
            ["Mt/yr"] if d.kind == "background" else []):
        try:
            s.units.from_base(1.0, unit)
        except ValueError:
            continue
        return unit
    return s.units.report_units[0]


def traffic_unit(s: Scenario) -> str:
    """The unit in which all traffic together is stated (served demand of every commodity
    and background flow at once): ``Mt/yr`` on a tonnage network, the base unit otherwise —
    the same in the console, the report and the web map."""
    return "Mt/yr" if s.units.base != "unit" else s.units.base


@dataclass(frozen=True)
class Shipment:
    """What "the shipment" means in a study.

    Attributes
    ----------
    commodity
        The commodity shipped (None: plain terminals).
    sources, sinks
        Node ids of the throughput questions.
    network
        The compiled network as the shipment sees it (forbidden arcs at capacity 0).
    unit
        The unit its figures are shown in.
    label
        ``dprk_munitions: rajin → dunai → tikhoretsk_depot`` (or ``a + b → c``).
    via_forced
        True when every allowed path passes the commodity's ``via`` nodes, so that a single
        origin → destination flow over :attr:`network` follows its route.
    """

    commodity: Demand | None
    sources: list[str]
    sinks: list[str]
    network: CompiledNetwork
    unit: str
    label: str
    via_forced: bool = True

    @property
    def route(self) -> tuple[str, str] | None:
        """(origin, destination) of the fastest-route questions (None without terminals)."""
        return (self.sources[0], self.sinks[0]) if self.sources and self.sinks else None

    def names(self, s: Scenario) -> str:
        """``Commodity id: Origin name → via stop names → Destination name`` in plain words
        (the same stops as :attr:`label`, which gives their ids)."""
        net = s.network
        via = [net.node_name(x) for x in self.commodity.via] if self.commodity else []
        od = " → ".join([" + ".join(net.node_name(x) for x in self.sources[:3]), *via,
                         " + ".join(net.node_name(x) for x in self.sinks[:3])])
        return f"{self.commodity.id}: {od}" if self.commodity is not None else od


def shipment(s: Scenario, *, commodity: str | None = None,
             sources: Sequence[str] | None = None,
             sinks: Sequence[str] | None = None) -> Shipment:
    """Resolve the shipment of a scenario (see the module docstring).

    Parameters
    ----------
    s
        The scenario.
    commodity
        Id of the commodity shipped (default: the first, when there is one).
    sources, sinks
        Explicit terminals on the whole network (instead of a commodity).

    Raises
    ------
    InputError
        For an unknown commodity, or a commodity given together with terminals.
    """
    if commodity is not None:
        if sources or sinks:
            raise InputError("give a commodity or sources/sinks, not both")
        known = {d.id: d for d in s.commodities}
        if commodity not in known:
            raise InputError(f"unknown commodity {commodity!r} (have: "
                             f"{', '.join(known) or 'none'})")
        return shipment_of(s, known[commodity])
    if not (sources or sinks) and s.commodities:
        return shipment_of(s, s.commodities[0])
    src, snk = s.terminals(sources, sinks)
    base = s.units.report_units[0] if s.units.base != "unit" else s.units.base
    label = " + ".join(src) + " → " + " + ".join(snk) if src and snk else ""
    return Shipment(commodity=None, sources=src, sinks=snk, network=s.network.compiled,
                    unit=base, label=label)


def shipment_of(s: Scenario, d: Demand) -> Shipment:
    """The shipment of one commodity ``d`` (not necessarily the first)."""
    c = s.network.compiled
    return Shipment(commodity=d, sources=[d.origin], sinks=[d.destination],
                    network=commodity_network(c, d), unit=display_unit(s, d), label=d.label,
                    via_forced=via_implied(c, d))


def _cut_elements(s: Scenario, kind: str, ids: Sequence[str]) -> list[dict[str, Any]]:
    """The cut's links or nodes with their display names and citations (``source``), looked
    up by position: O(len(ids)), no table built for a network read as arrays."""
    net, c = s.network, s.network.compiled
    index = c.link_index if kind == "link" else c.node_index
    idx = np.array([index[i] for i in ids], dtype=np.int64)
    names, cites = net.text_at(kind, "name", idx), net.text_at(kind, "source", idx)
    return [{"id": i, "name": str(n), "kind": kind, "source": str(src)}
            for i, n, src in zip(ids, names, cites, strict=True)]


def throughput(s: Scenario, sh: Shipment, *, removed: np.ndarray | None = None,
               factor: np.ndarray | None = None) -> dict[str, Any]:
    """The shipment's maximum throughput and minimum cut, as plain data.

    One max flow over :attr:`Shipment.network` (push-relabel); for a commodity whose ``via``
    nodes its link rules do not force, the exact multi-leg value of
    :func:`~chokepoint.analyses.routing.commodity_max_flow` with its bottleneck leg's cut.

    Returns
    -------
    dict
        ``sources``, ``sinks``, ``value`` and ``unit`` (base unit), ``in_report_units``,
        ``display_value`` in ``display_unit``, ``cut`` (id, name, kind, citation as
        ``source``), ``cut_groups``, ``commodity``, ``label``, ``link_flow`` (per link, base
        unit) and ``exact_cut``.
    """
    c = s.network.compiled
    if sh.commodity is not None and not sh.via_forced:
        r = commodity_max_flow(c, sh.commodity, removed=removed, factor=factor)
        leg = r.legs[r.bottleneck_leg]
        value, cut_links, cut_nodes, cut_groups = r.value, r.cut_links, r.cut_nodes, r.cut_groups
        link_flow, exact = leg.link_flow, r.exact_cut
    else:
        mf = max_flow(sh.network, sh.sources, sh.sinks, removed=removed, factor=factor)
        value, cut_links, cut_nodes, cut_groups = (mf.value, mf.cut_links, mf.cut_nodes,
                                                   mf.cut_groups)
        link_flow, exact = mf.link_flow, True
    return {
        "sources": list(sh.sources), "sinks": list(sh.sinks), "value": value,
        "unit": s.units.base,
        "in_report_units": {u: s.units.from_base(value, u) for u in s.units.report_units},
        "display_unit": sh.unit, "display_value": s.units.from_base(value, sh.unit)
        if s.units.base != "unit" else value,
        "cut": _cut_elements(s, "link", cut_links) + _cut_elements(s, "node", cut_nodes),
        "cut_groups": list(cut_groups), "exact_cut": exact,
        "commodity": sh.commodity.id if sh.commodity is not None else None,
        "label": sh.label, "link_flow": np.asarray(link_flow, dtype=float),
    }


def _legs(sh: Shipment) -> Demand | None:
    """The commodity when its via stops need the multi-leg (exact) forms, else None."""
    return sh.commodity if sh.commodity is not None and not sh.via_forced else None


def shipment_route(s: Scenario, sh: Shipment, *, removed: np.ndarray | None = None) -> Route:
    """The shipment's fastest route (``removed`` arcs failed): through its via stops in order
    (:func:`~chokepoint.analyses.routing.commodity_fastest_route`) where its link rules do not
    force them, else one fastest route over :attr:`Shipment.network`.

    Raises
    ------
    InputError
        When the shipment has no single origin and destination.
    """
    if sh.route is None:
        raise InputError("the shipment has no origin and destination")
    d = _legs(sh)
    if d is not None:
        return commodity_fastest_route(s.network.compiled, d, removed=removed)
    return fastest_route(sh.network, *sh.route, removed=removed)


def shipment_value(s: Scenario, sh: Shipment, *, removed: np.ndarray | None = None) -> float:
    """The shipment's maximum throughput (base unit) with ``removed`` arcs failed (exact
    multi-leg value for unforced via stops)."""
    d = _legs(sh)
    if d is not None:
        return commodity_max_flow(s.network.compiled, d, removed=removed).value
    return max_flow(sh.network, sh.sources, sh.sinks, removed=removed).value


def shipment_quickest(s: Scenario, sh: Shipment, units: float, *,
                      timeline: Timeline | None = None, step_h: float | None = None,
                      max_horizon_h: float | None = None, curve: bool = True) -> Any:
    """The quickest delivery of ``units`` (base unit) on the shipment's route and its
    earliest-arrival curve (a :class:`~chokepoint.analyses.dynamic.QuickestResult`): the
    time-expanded flow from its sources to its sinks with the forbidden arcs closed
    (:func:`~chokepoint.analyses.dynamic.quickest_transshipment`), or the layered LP through
    the via stops (:func:`~chokepoint.analyses.dynamic_legs.legs_quickest`) where the link
    rules do not force them. ``timeline``: the disruptions (hour 0 = dispatch)."""
    from chokepoint.analyses.dynamic import DEFAULT_MAX_HORIZON_H, quickest_transshipment
    from chokepoint.analyses.dynamic_legs import legs_quickest
    from chokepoint.analyses.routing import commodity_timeline

    c = s.network.compiled
    horizon = DEFAULT_MAX_HORIZON_H if max_horizon_h is None else max_horizon_h
    d = _legs(sh)
    if d is not None:
        return legs_quickest(c, d, units, step_h=step_h, timeline=timeline,
                             max_horizon_h=horizon, curve=curve)
    if sh.commodity is not None:  # its forbidden links closed for the whole horizon
        timeline = commodity_timeline(c, sh.commodity, timeline)
    return quickest_transshipment(c, sh.sources, sh.sinks, units, step_h=step_h,
                                  timeline=timeline, max_horizon_h=horizon, curve=curve)


def shipment_arrival_curve(s: Scenario, sh: Shipment, *, units: float,
                           horizon_h: float) -> Any:
    """The earliest-arrival curve of ``units`` (base unit, all at the shipment's first source
    at time 0) up to ``horizon_h`` on its route (an
    :class:`~chokepoint.analyses.dynamic.ArrivalCurve`; through unforced via stops, the
    layered LP of :func:`~chokepoint.analyses.dynamic_legs.legs_arrival_curve`)."""
    from chokepoint.analyses.dynamic import earliest_arrival_curve
    from chokepoint.analyses.dynamic_legs import legs_arrival_curve
    from chokepoint.analyses.routing import commodity_timeline

    c = s.network.compiled
    d = _legs(sh)
    if d is not None:
        return legs_arrival_curve(c, d, units=units, horizon_h=horizon_h)
    tl = commodity_timeline(c, sh.commodity) if sh.commodity is not None else None
    return earliest_arrival_curve(c, sh.sources, sh.sinks, horizon_h=horizon_h,
                                  supplies={sh.sources[0]: units}, timeline=tl)


def shipment_interdiction(s: Scenario, sh: Shipment, *, k: int | None, kind: str,
                          budget: float | None = None,
                          cost: dict[str, float] | None = None,
                          protected: Sequence[str] = (), time_limit: float = 60.0) -> Any:
    """The worst attack on the shipment's throughput (an
    :class:`~chokepoint.analyses.interdiction.InterdictionResult`): Wood's MIP over
    :attr:`Shipment.network`, or the exact layered MIP through the via stops
    (:func:`~chokepoint.analyses.interdiction.via.commodity_interdiction`) where the link
    rules do not force them."""
    from chokepoint.analyses.interdiction import max_flow_interdiction
    from chokepoint.analyses.interdiction.via import commodity_interdiction

    d = _legs(sh)
    if d is not None:
        r = commodity_interdiction(s.network.compiled, d, k=k, kind=kind, budget=budget,
                                   cost=cost, protected=protected, time_limit=time_limit)
    else:
        r = max_flow_interdiction(sh.network, sh.sources, sh.sinks, k=k, kind=kind,
                                  budget=budget, cost=cost, protected=protected,
                                  time_limit=time_limit)
    keep = minimal_plan(s, sh, kind, list(r.removed), r.value)
    if keep == list(r.removed):
        return r
    c = s.network.compiled
    return dataclasses.replace(r, removed=keep, removed_arcs=c.arcs_of(kind, keep) if keep
                               else np.zeros(0, dtype=np.int64))


def shipment_path_interdiction(s: Scenario, sh: Shipment, *, k: int | None, kind: str,
                               budget: float | None = None,
                               cost: dict[str, float] | None = None,
                               protected: Sequence[str] = (),
                               time_limit: float = 60.0) -> Any:
    """The attack that lengthens the shipment's fastest route most (an
    :class:`~chokepoint.analyses.interdiction.InterdictionResult`, hours): Israeli & Wood's
    MIP over :attr:`Shipment.network`, or on the layered network through the via stops
    (:func:`~chokepoint.analyses.interdiction.via.commodity_path_interdiction`) where the
    link rules do not force them.

    Raises
    ------
    InputError
        When the shipment has no single origin and destination.
    """
    from chokepoint.analyses.interdiction import shortest_path_interdiction
    from chokepoint.analyses.interdiction.via import commodity_path_interdiction

    if sh.route is None:
        raise InputError("the shipment has no origin and destination")
    d = _legs(sh)
    if d is not None:
        return commodity_path_interdiction(s.network.compiled, d, k=k, kind=kind,
                                           budget=budget, cost=cost, protected=protected,
                                           time_limit=time_limit)
    return shortest_path_interdiction(sh.network, *sh.route, k=k, kind=kind, budget=budget,
                                      cost=cost, protected=protected, time_limit=time_limit)


def shipment_harden(s: Scenario, sh: Shipment, *, protect: int, k: int, kind: str,
                    objective: str, cost: dict[str, float] | None = None,
                    protected: Sequence[str] = (), time_limit: float = 120.0) -> Any:
    """What to protect so that the worst ``k`` failures hurt the shipment least (a
    :class:`~chokepoint.analyses.hardening.HardeningResult`): the defender–attacker
    decomposition of :func:`~chokepoint.analyses.hardening.harden` over
    :attr:`Shipment.network`, its attacker's problems on the layered network through the via
    stops where the link rules do not force them (exact either way)."""
    from chokepoint.analyses.hardening import harden

    return harden(sh.network, sh.sources, sh.sinks, protect=protect, k=k, kind=kind,
                  objective=objective, cost=cost, protected=protected,
                  time_limit=time_limit, demand=_legs(sh))


def minimal_plan(s: Scenario, sh: Shipment, kind: str, plan: list[str],
                 value: float) -> list[str]:
    """Drop the elements of an attack plan that it does not need to hold the shipment's
    throughput at ``value`` (e.g. a link the commodity may not use anyway). O(|plan|) max
    flows."""
    c = s.network.compiled
    keep = list(plan)
    for e in plan:
        rest = [x for x in keep if x != e]
        arcs = c.arcs_of(kind, rest) if rest else np.zeros(0, dtype=np.int64)
        if shipment_value(s, sh, removed=arcs) <= value + 1e-9 * max(1.0, abs(value)):
            keep = rest
    return keep


def with_commodity(s: Scenario, commodity: str | None) -> Scenario:
    """``s`` with ``commodity`` as its first commodity and the one its campaign simulates:
    the shipment every default of the workflows (and the web map) follows (unchanged for
    None).

    Raises
    ------
    InputError
        For an unknown commodity (naming the known ones).
    """
    if commodity is None:
        return s
    chosen = [d for d in s.commodities if d.id == commodity]
    if not chosen:
        raise InputError(f"unknown commodity {commodity!r} (have: "
                         f"{', '.join(d.id for d in s.commodities) or 'none'})",
                         source=s.path, element=commodity)
    return dataclasses.replace(
        s, commodities=[*chosen, *[d for d in s.commodities if d.id != commodity]],
        simulation={**s.simulation, "commodity": commodity})
