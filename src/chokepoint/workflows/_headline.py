"""The headline answers of a corridor study, computed for one set of assumption values.

Private to :mod:`chokepoint.workflows.sensitivity`. Each answer is cheap enough to be
recomputed for every point of a sensitivity grid and inside a bisection:

``route``
    The shipment's fastest route — the first commodity's, leg by leg along its ``via`` stops
    and within its route rules, else between the ``[flow]`` terminals (Dijkstra on transit
    time over the arcs whose capacity can carry the shipment's rate) — and whether it runs
    through a focus group (the Severomuysky tunnel or the Devil's Bridge on the built-in
    corridor).
``shipment``
    The failure group, among those on that route whose loss leaves the shipment a way
    through, that delays it most (extra hours on the fastest remaining route; ties go to
    the cheaper attack), and the focus group's own delay.
``corridor``
    The failure group whose loss costs the most served demand (served-demand LP per
    candidate), and the loss of the focus section (every focus group at once).
``attack``
    The scenario's disruptions integrated over their dates (each closes its element from
    ``start`` for ``repair_days`` or until ``end``): tonnes of demand lost with deferred
    demand queued and carried later (:func:`~chokepoint.analyses.multiperiod.disruption_cost`)
    and, for comparison with attack plans, phase by phase without backlog.
``campaign``
    The campaign simulation's last delivery (hours after the campaign's start).
"""

from __future__ import annotations

import datetime as dt
import itertools
from collections.abc import Sequence
from typing import Any

import numpy as np

from chokepoint.analyses.criticality import element_arcs
from chokepoint.analyses.routes import path_nodes, vertex_path
from chokepoint.analyses.served import served_demand
from chokepoint.route_rules import commodity_route
from chokepoint.scenario import Scenario

__all__ = ["MEASURES", "headline", "legs", "shipment_path"]

#: The headline answers, in report order.
MEASURES = ("route", "shipment", "corridor", "attack", "campaign")


def _unusable(s: Scenario) -> np.ndarray:
    """Arcs that cannot carry the shipment at its rate (capacity below the first commodity's
    rate, or zero): a route that needs them does not exist for the shipment."""
    c = s.network.compiled
    rate = s.commodities[0].rate if s.commodities else 0.0
    cap = np.asarray(c.capacity, dtype=float)
    return np.flatnonzero((cap <= 0) | (cap < rate))


def legs(s: Scenario) -> tuple[list[tuple[int, int]], np.ndarray]:
    """The shipment's legs as (start vertex, end vertex) and the arcs its route rules forbid:
    the first commodity's route (origin → via … → destination), else the ``[flow]``
    terminals."""
    c = s.network.compiled
    if s.commodities:
        r = commodity_route(c, s.commodities[0])
        return list(r.leg_vertices), r.removed_arcs
    (src,), (dst,) = (x[:1] for x in s.terminals())
    return ([(int(c.vertices([src], side="in")[0]), int(c.vertices([dst], side="out")[0]))],
            np.zeros(0, dtype=np.int64))


def shipment_path(s: Scenario, removed: np.ndarray, *, weight: str | np.ndarray = "time_h"
                  ) -> tuple[float, np.ndarray]:
    """The shipment's fastest route leg by leg avoiding ``removed`` (and the arcs its route
    rules forbid): ``(weight, arcs)``, ``(inf, [])`` when a leg cannot be done."""
    c = s.network.compiled
    steps, forbidden = legs(s)
    dead = np.union1d(removed, forbidden).astype(np.int64)
    total, arcs = 0.0, []
    for a, b in steps:
        w, path = vertex_path(c, a, b, weight=weight, removed=dead)
        if not np.isfinite(w):
            return float("inf"), np.zeros(0, dtype=np.int64)
        total += w
        arcs.append(path)
    return total, np.concatenate(arcs) if arcs else np.zeros(0, dtype=np.int64)


def _route_time(s: Scenario, removed: np.ndarray) -> float:
    return shipment_path(s, removed)[0]


def _groups(c: Any, arcs: np.ndarray) -> set[str]:
    return {str(c.group_ids[g]) for g in c.arc_group[arcs] if g >= 0}


def _route(s: Scenario, focus: Sequence[str]) -> dict[str, Any]:
    c = s.network.compiled
    time_h, arcs = shipment_path(s, _unusable(s))
    groups = _groups(c, arcs)
    via = [g for g in focus if g in groups]
    return {"route_via_focus": bool(via), "route_time_h": float(time_h),
            "route": " - ".join(path_nodes(c, arcs)), "route_groups": sorted(groups)}


def _shipment(s: Scenario, focus: Sequence[str], route_groups: Sequence[str]
              ) -> dict[str, Any]:
    c = s.network.compiled
    dead = _unusable(s)
    base = _route_time(s, dead)
    cost, _ = s.network.attack_terms("group")
    ids, arcs = element_arcs(c, "group", sorted(set(route_groups) | set(focus)))
    delay = {g: _route_time(s, np.union1d(dead, a)) - base
             for g, a in zip(ids, arcs, strict=True)}
    finite = {g: d for g, d in delay.items() if np.isfinite(d) and g in route_groups}
    worst = max(finite, key=lambda g: (round(finite[g], 6), -cost.get(g, 1.0)), default="")
    out = {"shipment_weakest": worst,
           "shipment_weakest_delay_h": float(finite.get(worst, 0.0)),
           "shipment_single_points": sorted(g for g, d in delay.items()
                                            if not np.isfinite(d) and g in route_groups),
           "focus_delay_h": float(delay[focus[0]]) if focus else 0.0}
    if focus:  # does the detour round the first focus group use another one (its bypass)?
        w, detour = shipment_path(s, np.union1d(dead, arcs[ids.index(focus[0])]))
        out["focus_detour_via_bypass"] = bool(np.isfinite(w) and _groups(c, detour)
                                              & set(focus[1:]))
    return out


def _served(s: Scenario, removed: np.ndarray | None = None) -> float:
    r = served_demand(s.network.compiled, s.demands, removed=removed, fastest=False, fair=False)
    return float(r.total_served)


def _corridor(s: Scenario, focus: Sequence[str], candidates: Sequence[str]) -> dict[str, Any]:
    c = s.network.compiled
    base = _served(s)
    ids, arcs = element_arcs(c, "group", sorted(set(candidates) | set(focus)))
    loss = {g: base - _served(s, a) for g, a in zip(ids, arcs, strict=True)}
    worst = max(loss, key=lambda g: round(loss[g], 3))
    section = np.unique(np.concatenate([a for g, a in zip(ids, arcs, strict=True)
                                        if g in focus]))
    per_year = s.units.days_per_year / 1e6  # t/day -> Mt/yr
    return {"corridor_weakest": worst, "corridor_weakest_loss_Mt_per_yr": loss[worst] * per_year,
            "section_loss_Mt_per_yr": (base - _served(s, section)) * per_year}


def _phases(s: Scenario) -> list[tuple[float, float, list[str]]]:
    """(start day, end day, closed elements) for each interval between disruption events."""
    if not s.disruptions:
        return []
    t0 = min(d.start for d in s.disruptions)
    spans = []
    for d in s.disruptions:
        a = (d.start - t0).total_seconds() / 86400.0
        b = ((d.end - t0).total_seconds() / 86400.0 if d.end is not None
             else a + (d.repair_days if d.repair_days is not None else 0.0))
        if d.capacity_factor < 1.0 and b > a:
            spans.append((a, b, d.element))
    cuts = sorted({x for a, b, _ in spans for x in (a, b)})
    return [(lo, hi, [e for a, b, e in spans if a <= lo and hi <= b])
            for lo, hi in itertools.pairwise(cuts)]


def _attack(s: Scenario) -> dict[str, Any]:
    """The disruptions' cost over their dates: with backlog (multi-period LP) and without
    (phase by phase), both in tonnes."""
    from chokepoint.analyses.multiperiod import disruption_cost

    c = s.network.compiled
    base = _served(s)
    lost = 0.0
    for lo, hi, closed in _phases(s):
        if closed:
            arcs = np.unique(np.concatenate(
                [element_arcs(c, _kind_of(c, e), [e])[1][0] for e in closed]))
            lost += (base - _served(s, arcs)) * (hi - lo)
    cost = disruption_cost(c, s.demands, s.disruptions) if s.disruptions else None
    return {"attack_lost_t": cost.total_loss_t if cost is not None else 0.0,
            "attack_lost_no_backlog_t": float(lost)}


def _kind_of(c: Any, element: str) -> str:
    if element in c.group_index:
        return "group"
    return "link" if element in c.link_index else "node"


def _campaign(s: Scenario, seed: int) -> dict[str, Any]:
    from chokepoint.simulate import simulate

    r = simulate(s, seed=seed, disruptions=True)
    delivered = r.delays["delivered_h"].to_numpy(dtype=float)
    last = float(np.nanmax(delivered)) if len(delivered) else float("nan")
    start = next((d.start for d in s.commodities if d.start is not None), None)
    when = (dt.datetime(start.year, start.month, start.day) + dt.timedelta(hours=last)
            if start is not None and np.isfinite(last) else None)
    return {"campaign_last_delivery_h": last,
            "campaign_last_delivery": when.isoformat(timespec="minutes") if when else None,
            "campaign_undelivered": int(np.isnan(delivered).sum())}


def headline(s: Scenario, *, measures: Sequence[str] = MEASURES, focus: Sequence[str] = (),
             candidates: Sequence[str] = (), seed: int = 0) -> dict[str, Any]:
    """The headline answers for one scenario (see the module docstring).

    Cost: ``route`` one Dijkstra; ``shipment`` one per group on the route; ``corridor`` one
    served-demand LP per candidate; ``attack`` one LP per disruption phase; ``campaign`` one
    simulation.
    """
    out: dict[str, Any] = {}
    if "route" in measures or "shipment" in measures:
        out.update(_route(s, focus))
    if "shipment" in measures:
        out.update(_shipment(s, focus, out["route_groups"]))
    if "corridor" in measures:
        out.update(_corridor(s, focus, candidates))
    if "attack" in measures:
        out.update(_attack(s))
    if "campaign" in measures:
        out.update(_campaign(s, seed))
    return out
