"""The main job: a briefing on a scenario's corridor, as plain data.

:func:`brief` runs the foundation analyses on a scenario — network summary, maximum
throughput and minimum cut between the scenario's flow terminals, served and unmet demand
with background traffic, fastest routes — before and after the scenario's disruptions, and
returns the figures in the scenario's report units. The CLI prints it; :mod:`chokepoint.io`
writes it.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from chokepoint.analyses import fastest_route, served_demand
from chokepoint.analyses.maxflow import MaxFlowResult
from chokepoint.analyses.routes import Route
from chokepoint.analyses.served import ServedDemandResult
from chokepoint.disruptions import capacity_factor
from chokepoint.network import Network
from chokepoint.scenario import Scenario
from chokepoint.workflows.shipment import (
    Shipment,
    display_unit,
    shipment,
    shipment_arrival_curve,
    shipment_interdiction,
    shipment_of,
    shipment_quickest,
    shipment_route,
    throughput,
)

__all__ = ["Brief", "brief", "campaign_runs", "peak_yard_backlog"]


@dataclass
class Brief:
    """Results of :func:`brief`: the figures as a JSON-ready dict, and the tables behind them."""

    data: dict[str, Any]
    links: pd.DataFrame
    demands: pd.DataFrame
    flow: MaxFlowResult | None = None
    served: ServedDemandResult | None = None
    routes: list[Route] = field(default_factory=list)
    ranking: pd.DataFrame | None = None
    shipment: Shipment | None = None


def _route_block(s: Scenario, r: Route) -> dict[str, Any]:
    net = s.network
    return {
        "origin": r.source, "destination": r.target, "found": r.found,
        "time_h": r.time_h if r.found else None,
        "time_days": r.time_h / 24 if r.found else None,
        "length_km": r.length_km if r.found else None,
        "via": [net.node_name(n) for n in r.nodes],
        "links": r.links,
    }


def _binding(net: Network, rows: pd.DataFrame) -> list[dict[str, Any]]:
    """Binding capacities, one entry per link or node (both directions merged)."""
    out: dict[str, dict[str, Any]] = {}
    for lk, nd, cap, price in zip(rows["link"], rows["node"], rows["capacity"],
                                  rows["shadow_price"], strict=True):
        key = lk or nd
        entry = out.setdefault(key, {"id": key, "name": net.describe(key),
                                     "kind": "link" if lk else "node", "capacity": cap,
                                     "shadow_price": 0.0})
        entry["shadow_price"] = max(entry["shadow_price"], float(price))
    return sorted(out.values(), key=lambda e: -e["shadow_price"])


def peak_yard_backlog(run: Any) -> float:
    """The peak yard backlog of a simulated run, in containers: the largest number of the
    campaign's containers waiting at any one yard at any one time (0 when none waited). The
    one definition used by the campaign table and the sweeps. O(records)."""
    nb = run.node_backlog
    yard = nb.loc[nb["kind"] == "campaign_containers", "backlog"]
    return float(yard.max()) if len(yard) else 0.0


def campaign_runs(result: Any) -> list[dict[str, Any]]:
    """The figures of each run of a campaign simulation (the undisrupted one, then the
    disrupted one if it differs), as the campaign table shows them.

    Each entry: the run's :meth:`~chokepoint.simulate.campaign.RunResult.summary`, ``run``
    (the run itself, for its completion time), ``peak_yard_backlog_containers``
    (:func:`peak_yard_backlog`), and ``first_release`` / ``last_release``, when the first and the
    last container is ready at the origin.
    """
    import datetime as dt

    runs = [result.baseline] if result.run is result.baseline else [result.baseline, result.run]
    out = []
    for r in runs:
        rel = r.containers["released_h"]
        out.append({**r.summary(), "run": r,
                    "peak_yard_backlog_containers": peak_yard_backlog(r),
                    "first_release": r.epoch + dt.timedelta(hours=float(rel.min()))
                    if len(rel) else None,
                    "last_release": r.epoch + dt.timedelta(hours=float(rel.max()))
                    if len(rel) else None})
    return out


@dataclass
class CampaignBrief:
    """The campaign simulated with and without the disruptions, beside its exact bound."""

    data: dict[str, Any]
    result: Any
    curve: Any


def campaign(s: Scenario, *, seed: int = 0) -> CampaignBrief:
    """Simulate the first commodity's campaign (undisrupted and disrupted, same seed) and
    compute the exact lower bound for the same containers: the quickest transshipment and
    the earliest-arrival curve with everything available at the origin at the start
    (:mod:`chokepoint.analyses.dynamic`). Simulated arrivals can never beat the bound."""
    from chokepoint.simulate import simulate

    res = simulate(s, seed=seed)
    com = s.commodities[0]
    n = res.baseline.n_containers
    per = s.units.quantity_factor("container")
    # along the commodity's route rules, through its via stops (layered LP where not forced)
    sh = shipment_of(s, com)
    q = shipment_quickest(s, sh, n * per, curve=False)
    horizon = max(float(res.baseline.end_h), float(res.run.end_h))
    curve: Any = shipment_arrival_curve(s, sh, units=n * per, horizon_h=horizon)
    bound: dict[str, Any] = {"status": q.status, "time_h": q.time_h,
                             "time_days": q.time_days, "containers": n}
    summ = res.summary()

    def nth(run: Any, k: int) -> float | None:
        d = run.containers["delivered_h"].dropna().sort_values().to_numpy()
        return float(d[k - 1]) if len(d) >= k else None

    k = min(n, int(com.quantity or n)) if com.quantity_unit else n
    data = {"commodity": com.id, "label": com.label, "containers": n, "seed": seed, **summ,
            "quickest": bound,
            "kth": {"k": k, "undisrupted_h": nth(res.baseline, k),
                    "disrupted_h": nth(res.run, k)}}
    return CampaignBrief(data=data, result=res, curve=curve)


def worst_failures(s: Scenario, q: Shipment, *, k_max: int = 3, kind: str = "group",
                   route: Shipment | None = None, unit: str | None = None,
                   subject: str = "the throughput",
                   time_limit: float = 30.0) -> list[dict[str, Any]]:
    """The worst 1..k_max simultaneous failures for the throughput of the shipment ``q``.

    Each entry: the (minimal) plan with names and structures, the throughput before and after
    in ``unit``, the loss, the solver's status, and — when ``route`` (a shipment with one
    origin and destination) is given — its fastest route once the plan has struck (or that
    none remains), with a sentence saying all of it (``subject`` names the throughput, e.g.
    "the corridor's throughput"; the route of another shipment gets a sentence of its own).
    Throughput and route honour a commodity's route rules, via stops included
    (:func:`~chokepoint.workflows.shipment.shipment_interdiction`,
    :func:`~chokepoint.workflows.shipment.shipment_route`).
    """
    from chokepoint.workflows.attack import budget_rule

    net = s.network
    c = net.compiled
    cost, protected = net.attack_terms(kind)
    before_route = shipment_route(s, route) if route is not None and route.route else None
    ends = route.route if route is not None else None
    out: list[dict[str, Any]] = []
    unit = unit or s.units.report_units[0]
    previous: dict[str, Any] | None = None
    for k in range(1, k_max + 1):
        r = shipment_interdiction(s, q, k=k, kind=kind, cost=cost, protected=protected,
                                  time_limit=time_limit)
        if previous is not None and r.value >= previous["value"] - 1e-9:
            out.append({**previous, "k": k, "status": r.status, "budget": r.budget,
                        "budget_rule": budget_rule(k, r.budget, kind),
                        "text": f"No {k} simultaneous failures do worse than the worst "
                                f"{previous['k']}: the throughput is already "
                                f"{s.units.from_base(previous['value'], unit):,.0f} {unit}."})
            continue
        plan = list(r.removed)  # minimal: shipment_interdiction drops what is not needed
        elements = [{"id": e, "name": net.describe(e), "structure": _structure(net, kind, e)}
                    for e in plan]
        loss = r.intact_value - r.value
        entry: dict[str, Any] = {
            "k": k, "budget": r.budget, "budget_rule": budget_rule(k, r.budget, kind),
            "status": r.status, "removed": elements, "value": r.value,
            "unit": unit, "before": s.units.from_base(r.intact_value, unit),
            "after": s.units.from_base(r.value, unit),
            "loss_rel": loss / r.intact_value if r.intact_value else 0.0,
        }
        what = " and ".join(f"{x['name']}" + (f" ({x['structure']})" if x["structure"] != "none"
                                             else "") for x in elements)
        text = (f"Losing {what} cuts {subject} from "
                f"{s.units.from_base(r.intact_value, unit):,.0f} to "
                f"{s.units.from_base(r.value, unit):,.0f} {unit} "
                f"(-{100 * entry['loss_rel']:.0f}%)")
        if route is not None and ends and before_route is not None and before_route.found:
            arcs = c.arcs_of(kind, plan) if plan else None
            after = shipment_route(s, route, removed=arcs)
            entry["route"] = _route_block(s, after)
            # the route of another shipment than the throughput's: its own sentence
            own = route.label == q.label
            text += "; " if own else ". For the shipment, "
            if not after.found:
                text += (f"no route remains from {net.node_name(ends[0])} to "
                         f"{net.node_name(ends[1])}")
            else:
                extra = after.time_h - before_route.time_h
                via = ", ".join(net.node_name(n) for n in _turns(after.nodes,
                                                                  before_route.nodes))
                text += (f"the fastest route {net.node_name(ends[0])} → "
                         f"{net.node_name(ends[1])} "
                         + (f"takes {after.time_h / 24:.1f} days ({extra:+.0f} h) via {via}"
                            if extra > 1e-9 else "is unchanged"))
        entry["text"] = text + "."
        out.append(entry)
        previous = entry
    return out


def _turns(nodes: list[str], before: list[str]) -> list[str]:
    """The nodes of a detour that the original route did not use (at most eight)."""
    old = set(before)
    new = [n for n in nodes if n not in old]
    return new[:8] if new else nodes[1:-1][:8]


def _structure(net: Network, kind: str, element: str) -> str:
    c = net.compiled
    if kind == "link":
        return str(net.links["structure"].to_numpy()[c.link_index[element]])
    if kind == "node":
        return str(net.nodes["kind"].to_numpy()[c.node_index[element]])
    members = net.links.loc[net.links["group"] == element, "structure"]
    kinds = sorted(set(members) - {"none"})
    return "+".join(kinds) if kinds else "none"


def _throughput(s: Scenario, sh: Shipment, out: Brief, factor: np.ndarray | None) -> None:
    """Max flow and min cut of the shipment, intact and with all disruptions."""
    data, links = out.data, out.links
    blk = throughput(s, sh)
    links["flow"] = blk.pop("link_flow")
    links["in_min_cut"] = links["id"].isin([c["id"] for c in blk["cut"] if c["kind"] == "link"])
    data["max_flow"] = blk
    if factor is not None:
        blk = throughput(s, sh, factor=factor)
        links["flow_disrupted"] = blk.pop("link_flow")
        data["max_flow_disrupted"] = blk


def _served(s: Scenario, out: Brief, factor: np.ndarray | None) -> None:
    """Served and unmet demand of all traffic (each demand in its own display unit), with
    all disruptions at once."""
    c = s.network.compiled
    data, links = out.data, out.links
    sd = served_demand(c, s.demands)
    out.served = sd
    dem = sd.demands.copy()
    units = {d.id: display_unit(s, d) for d in s.demands}
    dem["unit"] = [units.get(str(i), s.units.base) for i in dem["id"]]
    for col in ("demand", "served", "unmet"):
        dem[f"{col}_in_unit"] = [s.units.from_base(v, u) if s.units.base != "unit" else v
                                 for v, u in zip(dem[col], dem["unit"], strict=True)]
    for u in s.units.report_units:
        for col in ("demand", "served", "unmet"):
            dem[f"{col}_{u}"] = [s.units.from_base(v, u) for v in dem[col]]
    out.demands = dem
    res = sd.resources
    mt = s.units.base != "unit"
    data["served"] = {
        "total_demand": sd.total_demand, "total_served": sd.total_served,
        "total_unmet": sd.total_unmet, "unit": s.units.base,
        "total_unmet_Mt_per_yr": s.units.from_base(sd.total_unmet, "Mt/yr") if mt else None,
        "demands": dem.to_dict("records"), "binding": _binding(s.network, res[res["binding"]]),
    }
    if factor is not None:
        sdd = served_demand(c, s.demands, factor=factor, fastest=False)
        data["served_disrupted"] = {
            "total_served": sdd.total_served, "total_unmet": sdd.total_unmet,
            "unit": s.units.base,
            "total_unmet_Mt_per_yr": s.units.from_base(sdd.total_unmet, "Mt/yr") if mt
            else None,
            "lost_Mt_per_yr": s.units.from_base(sd.total_served - sdd.total_served, "Mt/yr")
            if mt else None,
            "label": "all disruptions at once, for ever (worst case)",
            "demands": sdd.demands.to_dict("records"),
        }
    load = np.zeros(len(links))
    is_link = c.arc_link >= 0
    np.add.at(load, c.arc_link[is_link], sd.arc_load[is_link])
    links["lp_load"] = load
    row_util = dict(zip(res["link"], res["utilisation"], strict=False))
    links["utilisation"] = [row_util.get(i, np.nan) for i in links["id"]]


def _routes(s: Scenario, sh: Shipment, out: Brief, factor: np.ndarray | None) -> None:
    """Fastest routes of every commodity along its route rules (the shipment's first), the
    same with all disruptions, and — where lifting its route rules changes the route — the
    free-routing what-if."""
    c = s.network.compiled
    asked: list[Shipment] = [sh] if sh.route else []
    asked += [shipment_of(s, d) for d in s.commodities if sh.commodity is None
              or d.id != sh.commodity.id]
    removed = np.flatnonzero(factor == 0) if factor is not None else None
    for x in asked:
        assert x.route is not None
        r = shipment_route(s, x)
        out.routes.append(r)
        block = {"commodity": x.commodity.id if x.commodity else "flow", "label": x.label,
                 **_route_block(s, r)}
        if removed is not None:
            block["disrupted"] = _route_block(s, shipment_route(s, x, removed=removed))
        if x.commodity is not None and (x.network is not c or not x.via_forced):
            free = fastest_route(c, *x.route)
            if free.found and free.nodes != r.nodes:
                block["what_if_free"] = {**_route_block(s, free), "label": (
                    f"what-if: {x.commodity.id} without its route rules")}
        out.data.setdefault("routes", []).append(block)


def _shipment_block(s: Scenario, sh: Shipment) -> dict[str, Any]:
    net = s.network
    return {"commodity": sh.commodity.id if sh.commodity else None, "label": sh.label,
            "names": sh.names(s), "sources": sh.sources, "sinks": sh.sinks,
            "origin_name": net.node_name(sh.sources[0]) if sh.sources else None,
            "destination_name": net.node_name(sh.sinks[0]) if sh.sinks else None,
            "unit": sh.unit, "via_forced": sh.via_forced,
            "stops": list(sh.commodity.stops) if sh.commodity else None}


def brief(s: Scenario, *, failures: int = 3, ranking: bool = True, commodity: str | None = None,
          sources: Sequence[str] | None = None, sinks: Sequence[str] | None = None) -> Brief:
    """Run the briefing analyses on a scenario.

    Every shipment question — max flow and min cut, the same with all disruptions, fastest
    route, worst simultaneous failures, the ranking's throughput column — asks about the one
    shipment of :func:`~chokepoint.workflows.shipment.shipment` (the first commodity along
    its route rules unless ``commodity`` or ``sources``/``sinks`` say otherwise); the
    served-demand LP takes all demands; routes are given for every commodity.
    """
    net = s.network
    c = net.compiled
    sh = shipment(s, commodity=commodity, sources=sources, sinks=sinks)
    data: dict[str, Any] = {"scenario": s.name, "network": net.summary(),
                            "units": list(s.units.report_units),
                            "shipment": _shipment_block(s, sh)}
    links = net.links[["id", "name", "from", "to", "mode", "structure", "group", "length_km",
                       "time_h", "capacity"]].copy()
    for u in s.units.report_units:
        links[f"capacity_{u}"] = [s.units.from_base(v, u) for v in links["capacity"]]
    out = Brief(data=data, links=links, demands=pd.DataFrame(), shipment=sh)
    factor = capacity_factor(c, s.disruptions) if s.disruptions else None
    if sh.sources and sh.sinks:
        _throughput(s, sh, out, factor)
    if s.demands:
        _served(s, out, factor)
    if not np.isnan(c.time_h).any():
        _routes(s, sh, out, factor)
    if failures and sh.sources and sh.sinks:
        _failures(s, sh, out, failures)
    if ranking and sh.sources and sh.sinks:
        table = group_ranking(s, sh)
        out.ranking = table
        data["criticality"] = table.head(10).to_dict("records")
        data["criticality_throughput"] = table.attrs.get("throughput")
    if s.disruptions:
        data["disruptions"] = [{"id": d.id, "element": d.element,
                                "name": net.describe(d.element), "start": d.start.isoformat(),
                                "end": d.end.isoformat() if d.end else None,
                                "capacity_factor": d.capacity_factor} for d in s.disruptions]
    return out


def group_ranking(s: Scenario, sh: Shipment) -> pd.DataFrame:
    """The briefing's failure-group criticality ranking for the shipment ``sh`` (throughput,
    served demand and detour; :func:`~chokepoint.workflows.ranking.criticality`)."""
    from chokepoint.workflows.ranking import criticality

    return criticality(s, kind="group", measures=("throughput", "served", "detour"),
                       commodity=sh.commodity.id if sh.commodity else None,
                       sources=None if sh.commodity else sh.sources,
                       sinks=None if sh.commodity else sh.sinks)


def _failures(s: Scenario, sh: Shipment, out: Brief, failures: int) -> None:
    """Worst 1..``failures`` simultaneous failures for the shipment and for the corridor's
    background traffic."""
    timed = not np.isnan(s.network.compiled.time_h).any()
    questions: list[tuple[str, Shipment, str | None]] = [("shipment", sh, sh.unit)]
    subjects = {"shipment": "the throughput", "corridor": "the corridor's throughput"}
    if s.background:
        bulk = "Mt/yr" if s.units.base != "unit" else None
        c = s.network.compiled
        src = list(dict.fromkeys(d.origin for d in s.background))
        snk = list(dict.fromkeys(d.destination for d in s.background))
        questions.append(("corridor", Shipment(
            commodity=None, sources=src, sinks=snk, network=c, unit=bulk or s.units.base,
            label=" + ".join(src) + " → " + " + ".join(snk)), bulk))
    out.data["worst_failures"] = [
        {"question": name, "label": q.label, "sources": q.sources, "sinks": q.sinks,
         "failures": worst_failures(s, q, k_max=failures, route=sh if timed else None,
                                    unit=u, subject=subjects[name])}
        for name, q, u in questions]
