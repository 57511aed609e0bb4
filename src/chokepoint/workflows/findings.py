"""What this means: the short findings that head the console, the report and the web page.

Every sentence is computed from the results of a :class:`~chokepoint.workflows.study.Study`
(never hand-written): whether the shipment is affected and why, what the scenario's
disruptions cost over their dates (time-aware, with the labelled worst case beside it), the
single points of failure of the shipment and of the corridor, and how the model's weakest
element compares with what the disruptions hit.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from chokepoint.analyses.multiperiod import DisruptionCost
from chokepoint.analyses.routing import commodity_max_flow
from chokepoint.disruptions import capacity_factor
from chokepoint.formatting import fmt, fmt_date
from chokepoint.scenario import Demand, Scenario
from chokepoint.workflows.shipment import Shipment, display_unit, shipment

if TYPE_CHECKING:
    from chokepoint.workflows.attack import AttackAnswer

__all__ = ["Finding", "display_unit", "findings", "records"]  # display_unit: re-exported

#: How many element names a sentence lists before "and N more".
LIST_MAX = 6


@dataclass
class Finding:
    """One computed statement: a ``key`` (``shipment``, ``attack_cost``, ``spof_shipment``,
    ``spof_corridor``, ``weakest``), its ``text`` and the ``figures`` behind it (JSON-able)."""

    key: str
    title: str
    text: str
    figures: dict[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        """As plain data."""
        return asdict(self)


def _names(s: Scenario, ids: list[str]) -> str:
    shown = [s.network.describe(i) or i for i in ids[:LIST_MAX]]
    more = len(ids) - len(shown)
    return "; ".join(shown) + (f" and {more} more" if more > 0 else "")


def records(table: pd.DataFrame) -> list[dict[str, Any]]:
    """``table`` as JSON-ready records: dates as ISO text, missing values as None."""
    rows = []
    for rec in table.to_dict("records"):
        row: dict[str, Any] = {}
        for k, v in rec.items():
            if v is None or (not isinstance(v, str) and pd.isna(v)):
                row[str(k)] = None
            elif hasattr(v, "isoformat"):
                row[str(k)] = v.isoformat()
            elif isinstance(v, np.generic):
                row[str(k)] = v.item()
            else:
                row[str(k)] = v
        rows.append(row)
    return rows


#: Tonnes below which a deferral or loss is solver noise.
_TOL_T = 0.5


def _group_of(s: Scenario, element: str) -> str:
    """The failure group an element belongs to (a group id is its own)."""
    net = s.network
    c = net.compiled
    if element in c.link_index:
        return str(net.links["group"].to_numpy()[c.link_index[element]])
    if element in c.node_index:
        g = str(net.nodes["group"].to_numpy()[c.node_index[element]])
        return g or element
    return element


def _shipment(s: Scenario, sh: Shipment, cost: DisruptionCost | None = None) -> Finding | None:
    if sh.commodity is None:
        return None
    d = sh.commodity
    c = s.network.compiled
    unit = display_unit(s, d)
    intact = commodity_max_flow(c, d)
    figures: dict[str, Any] = {"commodity": d.id, "route": intact.label, "unit": unit,
                               "capacity_intact": s.units.from_base(intact.value, unit)}
    if not s.disruptions:
        return Finding("shipment", "The shipment", f"{intact.label}: up to "
                       f"{fmt(figures['capacity_intact'], unit)} along its route; the scenario "
                       "has no disruptions.", figures)
    hit = commodity_max_flow(c, d, factor=capacity_factor(c, s.disruptions))
    after = s.units.from_base(hit.value, unit)
    figures["capacity_disrupted"] = after
    hit_ids = [x.element for x in s.disruptions]
    closed = set(np.flatnonzero(capacity_factor(c, s.disruptions) < 1.0).tolist())
    used = set(np.flatnonzero(np.any([np.abs(leg.arc_flow) > 1e-9 for leg in intact.legs],
                                     axis=0)).tolist())
    on_route = bool(closed & used)
    figures["disrupted_on_route"] = on_route
    if hit.value < intact.value - 1e-9 * max(1.0, intact.value):
        why = (f"the disruptions ({_names(s, hit_ids)}) cut its route capacity from "
               f"{fmt(figures['capacity_intact'], unit)} to {fmt(after, unit)}")
        text = f"The shipment {intact.label} is affected: {why}."
    else:
        why = ("none of the disrupted elements lies on its route" if not on_route else
               "its route keeps enough spare capacity around them")
        text = (f"The shipment {intact.label} is not affected by the disruptions "
                f"({_names(s, hit_ids)}): {why}; its route capacity stays "
                f"{fmt(after, unit)}, set by {_names(s, intact.cut_links + intact.cut_nodes)}.")
    text += _deferred(s, d, cost, figures)
    return Finding("shipment", "The shipment", text, figures)


def _deferred(s: Scenario, d: Demand, cost: DisruptionCost | None,
              figures: dict[str, Any]) -> str:
    """What the time-aware cost says of the shipment: capacity on its route is not the
    whole story when the corridor's other traffic competes for the same lines and deferring
    the shipment costs no tonnes (the LP then carries the others first)."""
    if cost is None:
        return ""
    rows = cost.summary[cost.summary["commodity"] == d.id]
    if not len(rows):
        return ""
    r = rows.iloc[0]
    peak, lost = float(r["backlog_peak_t"]), max(float(r["loss_t"]), 0.0)
    figures.update(deferred_peak_t=peak, deferred_lost_t=lost)
    if peak <= _TOL_T and lost <= _TOL_T:
        return ""
    days = peak / d.rate if d.rate > 0 else math.nan  # rates and tonnes: the base unit
    drained = r["backlog_drained_date"]
    when = (f" until {fmt_date(drained)}" if drained is not None and not pd.isna(drained)
            else "")
    return (f" Its timing is affected all the same: over the disruptions' dates the "
            f"time-aware cost defers up to {fmt(peak, 't', digits=0)} of it "
            f"({fmt(days, 'days')} of its demand) at {s.network.node_name(d.origin)}{when} "
            f"while the corridor's other traffic uses the shared lines, and "
            f"{fmt(lost, 't', digits=0)} is lost (priorities weigh delivered tonnes, not "
            "delay: docs/algorithms/time-aware-costs.md).")


def _cost(s: Scenario, cost: DisruptionCost | None) -> Finding | None:
    if not s.disruptions:
        return None
    if cost is None:
        return Finding("attack_cost", "What the disruptions cost",
                       "Not computed (the time-aware cost needs demands).", {})
    sm = cost.summary
    t = "t"
    loss = float(sm["loss_t"].sum())
    worst = float(sm["worst_case_loss_t"].sum())
    first = min(d.start for d in s.disruptions)
    rec = [r for r in sm["recovered_date"] if r is not None and not pd.isna(r)]
    hurt = sm[sm["loss_t"] > 1e-6].sort_values("loss_t", ascending=False)
    figures: dict[str, Any] = {
        "loss_t": loss, "worst_case_loss_t": worst, "horizon_days": cost.horizon_days,
        "start": fmt_date(cost.start), "first_disruption": fmt_date(first),
        "recovered": fmt_date(max(rec)) if rec else None,
        "per_commodity": records(sm[["commodity", "route", "loss_t", "backlog_peak_t",
                                     "recovered_date", "backlog_drained_date"]])}
    parts = [f"Over their dates the disruptions cost {fmt(loss, t, digits=0)} of deliveries "
             f"in {fmt(cost.horizon_days, 'days', digits=0)} from {fmt_date(cost.start)}"]
    if len(hurt) == 1:
        parts.append(f", all of it {hurt['commodity'].iloc[0]}")
    elif len(hurt):
        parts.append(", mostly " + "; ".join(
            f"{r.commodity} {fmt(r.loss_t, t, digits=0)}" for r in hurt.head(3).itertuples()))
    if rec:
        days = (max(rec) - first).total_seconds() / 86400.0
        parts.append(f"; traffic is back to normal on {fmt_date(max(rec))} "
                     f"({fmt(days, 'days')} after the first disruption)")
    peak = sm.sort_values("backlog_peak_t", ascending=False).iloc[0] if len(sm) else None
    if peak is not None and peak["backlog_peak_t"] > 1e-6:
        drained = peak["backlog_drained_date"]
        parts.append(f"; the backlog of {peak['commodity']} peaks at "
                     f"{fmt(peak['backlog_peak_t'], t, digits=0)} on "
                     f"{fmt_date(peak['backlog_peak_date'])} and "
                     + (f"drains by {fmt_date(drained)}" if drained is not None
                        and not pd.isna(drained) else "has not drained by the horizon"))
    parts.append(f". Worst case (all disruptions at once, for ever, same "
                 f"{fmt(cost.horizon_days, 'days', digits=0)}): {fmt(worst, t, digits=0)}.")
    return Finding("attack_cost", "What the disruptions cost", "".join(parts), figures)


def _spofs(s: Scenario, ranking: pd.DataFrame | None, sh: Shipment) -> list[Finding]:
    if ranking is None or not len(ranking):
        return []
    out = []
    if "throughput_loss_rel" in ranking:
        cut = ranking[ranking["throughput_loss_rel"] >= 1.0 - 1e-9]["element"].tolist()
        what = sh.names(s)
        text = (f"{len(cut)} failure groups each stop the shipment ({what}) on their own: "
                f"{_names(s, cut)}." if cut else
                f"No single failure group stops the shipment ({what}).")
        out.append(Finding("spof_shipment", "Single points of failure of the shipment", text,
                           {"elements": cut, "sources": sh.sources, "sinks": sh.sinks,
                            "commodity": sh.commodity.id if sh.commodity else None}))
    if "pairs_cut" in ranking:
        cut = ranking[ranking["pairs_cut"] > 0]["element"].tolist()
        text = (f"{len(cut)} failure groups each disconnect at least one origin–destination "
                f"pair of the corridor's traffic: {_names(s, cut)}." if cut else
                "No single failure group disconnects an origin–destination pair of the "
                "corridor's traffic.")
        out.append(Finding("spof_corridor", "Single points of failure of the corridor", text,
                           {"elements": cut}))
    return out


def _weakest(s: Scenario, ranking: pd.DataFrame | None) -> Finding | None:
    if ranking is None or not len(ranking) or not s.disruptions:
        return None
    col = "served_loss_Mt_per_yr" if "served_loss_Mt_per_yr" in ranking else (
        "served_loss" if "served_loss" in ranking else None)
    unit = "Mt/yr" if col == "served_loss_Mt_per_yr" else s.units.base
    if col is None:
        return None
    top = ranking.iloc[0]
    rank = dict(zip(ranking["element"], ranking["rank"], strict=True))
    loss = dict(zip(ranking["element"], ranking[col], strict=True))
    hit = list(dict.fromkeys(_group_of(s, d.element) for d in s.disruptions))
    rows = [(g, int(rank[g]), float(loss[g])) for g in hit if g in rank]
    said = "; ".join(f"{s.network.describe(g) or g} ranks {r} of {len(ranking)} "
                     f"({fmt(v, unit)} lost)" for g, r, v in rows)
    text = (f"The model's weakest element is {top['name']} (rank 1: served demand falls by "
            f"{fmt(float(top[col]), unit)} if it fails); of what the disruptions hit, {said}.")
    return Finding("weakest", "Weakest element against what was hit", text,
                   {"weakest": str(top["element"]), "weakest_loss": float(top[col]),
                    "unit": unit, "hit": [{"element": g, "rank": r, "loss": v}
                                          for g, r, v in rows]})


def _weak_point(s: Scenario, ranking: pd.DataFrame | None) -> Finding | None:
    """Is the disrupted structure the weak point? (``answer``'s statements, issue 11)."""
    from chokepoint.workflows.weak_point import weak_point_of

    ans = weak_point_of(s, ranking=ranking)
    if ans is None or not ans.statements:
        return None
    title = f"{s.network.describe(ans.focus[0]) or ans.focus[0]} as the weak point"
    return Finding("weak_point", title, " ".join(ans.statements), ans.to_dict())


def attack_answer(s: Scenario) -> AttackAnswer | None:
    """The scenario's attack against the exact worst of the same size and of k = 1..3, with
    the element to protect first (None without demands or closures, or when the closures
    mix element kinds). The slowest part of the findings (HiGHS); :func:`~chokepoint.
    workflows.study.study` starts it first and hands it to :func:`findings`."""
    from chokepoint.errors import InputError
    from chokepoint.workflows.attack import attack_2023

    if not s.demands or not any(d.capacity_factor <= 0.0 for d in s.disruptions):
        return None
    try:
        return attack_2023(s, ks=(1, 2, 3), defend=True, time_limit=30.0)
    except InputError:  # closures of mixed kinds: no comparison
        return None


def _attack_2023(s: Scenario, cost: DisruptionCost | None, a: AttackAnswer | None
                 ) -> Finding | None:
    """The finding of :func:`attack_answer` (``answer``'s statement, issue 12)."""
    from chokepoint.workflows.attack import attack_statement

    if a is None:
        return None
    shipment = s.commodities[0].id if s.commodities else None
    at_hours = float(cost.summary["loss_t"].sum()) if cost is not None else None
    return Finding("attack_2023", "The attack against the worst of its size",
                   attack_statement(a, shipment=shipment, at_hours_t=at_hours), a.to_dict())


def findings(s: Scenario, *, ranking: pd.DataFrame | None = None,
             cost: DisruptionCost | None = None, ship: Shipment | None = None,
             attack: Callable[[], AttackAnswer | None] | None = None) -> list[Finding]:
    """The findings of a study (see the module docstring), in reading order.

    Parameters
    ----------
    s
        The scenario.
    ranking
        Its failure-group criticality ranking (:func:`~chokepoint.workflows.ranking.
        criticality` with ``kind="group"``), for the single points of failure and the weakest
        element.
    cost
        The time-aware cost of its disruptions
        (:func:`~chokepoint.analyses.multiperiod.disruption_cost`).
    ship
        The shipment the study asks about (default: :func:`~chokepoint.workflows.shipment.
        shipment` of ``s``).
    attack
        Returns the answer of :func:`attack_answer` for ``s`` (e.g. a future's ``result``,
        when it was started earlier); default: compute it here.
    """
    sh = ship if ship is not None else shipment(s)
    out = [f for f in (_shipment(s, sh, cost), _cost(s, cost)) if f is not None]
    out += _spofs(s, ranking, sh)
    w = _weakest(s, ranking)
    if w is not None:
        out.append(w)
    out += [f for f in (_weak_point(s, ranking),
                        _attack_2023(s, cost, attack() if attack else attack_answer(s)))
            if f is not None]
    for f in out:
        f.figures = {k: (None if isinstance(v, float) and math.isnan(v) else v)
                     for k, v in f.figures.items()}
    return out
