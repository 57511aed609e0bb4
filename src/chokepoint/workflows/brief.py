"""The main job: a briefing on a scenario's corridor, as plain data.

:func:`brief` runs the foundation analyses on a scenario — network summary, maximum
throughput and minimum cut between the scenario's flow terminals, served and unmet demand
with background traffic, fastest routes — before and after the scenario's disruptions, and
returns the figures in the scenario's report units. The CLI prints it; :mod:`chokepoint.io`
writes it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from chokepoint.analyses import fastest_route, max_flow, served_demand
from chokepoint.analyses.maxflow import MaxFlowResult
from chokepoint.analyses.routes import Route
from chokepoint.analyses.served import ServedDemandResult
from chokepoint.compiled import CompiledNetwork
from chokepoint.disruptions import capacity_factor
from chokepoint.network import Network
from chokepoint.scenario import Scenario

__all__ = ["Brief", "brief"]


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


def _express(s: Scenario, value: float) -> dict[str, float]:
    return {u: s.units.from_base(value, u) for u in s.units.report_units}


def _flow_block(s: Scenario, r: MaxFlowResult) -> dict[str, Any]:
    net = s.network
    return {
        "sources": r.sources, "sinks": r.sinks, "value": r.value,
        "unit": s.units.base, "in_report_units": _express(s, r.value),
        "cut": [{"id": i, "name": net.describe(i), "kind": k, "source": _source(net, k, i)}
                for k, ids in (("link", r.cut_links), ("node", r.cut_nodes)) for i in ids],
        "cut_groups": r.cut_groups,
    }


def _source(net: Network, kind: str, element: str) -> str:
    """The ``source`` (citation) recorded for a link or node."""
    table = net.links if kind == "link" else net.nodes
    i = net.compiled.link_index[element] if kind == "link" else net.compiled.node_index[element]
    return str(table["source"].to_numpy()[i])


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
    from chokepoint.analyses.dynamic import earliest_arrival_curve, quickest_transshipment
    from chokepoint.simulate import simulate

    res = simulate(s, seed=seed)
    com = s.commodities[0]
    n = res.baseline.n_containers
    per = s.units.quantity_factor("container")
    c = s.network.compiled
    q = quickest_transshipment(c, [com.origin], [com.destination], n * per, curve=False)
    horizon = max(float(res.baseline.end_h), float(res.run.end_h))
    curve = earliest_arrival_curve(c, [com.origin], [com.destination], horizon_h=horizon,
                                   supplies={com.origin: n * per})
    summ = res.summary()

    def nth(run: Any, k: int) -> float | None:
        d = run.containers["delivered_h"].dropna().sort_values().to_numpy()
        return float(d[k - 1]) if len(d) >= k else None

    k = min(n, int(com.quantity or n)) if com.quantity_unit else n
    data = {"commodity": com.id, "containers": n, "seed": seed, **summ,
            "quickest": {"status": q.status, "time_h": q.time_h, "time_days": q.time_days,
                         "containers": n},
            "kth": {"k": k, "undisrupted_h": nth(res.baseline, k),
                    "disrupted_h": nth(res.run, k)}}
    return CampaignBrief(data=data, result=res, curve=curve)


def _minimal(c: CompiledNetwork, sources: list[str], sinks: list[str], kind: str,
             plan: list[str], value: float) -> list[str]:
    """Drop elements of an attack plan that the plan does not need to reach its value."""
    keep = list(plan)
    for e in plan:
        rest = [x for x in keep if x != e]
        arcs = c.arcs_of(kind, rest) if rest else np.zeros(0, dtype=np.int64)
        if max_flow(c, sources, sinks, removed=arcs).value <= value + 1e-9:
            keep = rest
    return keep


def worst_failures(s: Scenario, sources: list[str], sinks: list[str], *, k_max: int = 3,
                   kind: str = "group", route: tuple[str, str] | None = None,
                   unit: str | None = None, time_limit: float = 30.0) -> list[dict[str, Any]]:
    """The worst 1..k_max simultaneous failures for the throughput ``sources`` → ``sinks``.

    Each entry: the (minimal) plan with names and structures, the throughput before and after
    in the report units, the loss, the solver's status, and — when ``route`` is given — the
    fastest route between its ends once the plan has struck (or that none remains), with a
    sentence saying all of it.
    """
    from chokepoint.analyses.interdiction import max_flow_interdiction

    net = s.network
    c = net.compiled
    cost, protected = net.attack_terms(kind)
    before_route = fastest_route(c, *route) if route else None
    out: list[dict[str, Any]] = []
    unit = unit or s.units.report_units[0]
    previous: dict[str, Any] | None = None
    for k in range(1, k_max + 1):
        r = max_flow_interdiction(c, sources, sinks, k=k, kind=kind, cost=cost,
                                  protected=protected, time_limit=time_limit)
        if previous is not None and r.value >= previous["value"] - 1e-9:
            out.append({**previous, "k": k, "status": r.status,
                        "text": f"No {k} simultaneous failures do worse than the worst "
                                f"{previous['k']}: the throughput is already "
                                f"{s.units.from_base(previous['value'], unit):,.0f} {unit}."})
            continue
        plan = _minimal(c, sources, sinks, kind, list(r.removed), r.value)
        elements = [{"id": e, "name": net.describe(e), "structure": _structure(net, kind, e)}
                    for e in plan]
        loss = r.intact_value - r.value
        entry: dict[str, Any] = {
            "k": k, "status": r.status, "removed": elements, "value": r.value,
            "unit": unit, "before": s.units.from_base(r.intact_value, unit),
            "after": s.units.from_base(r.value, unit),
            "loss_rel": loss / r.intact_value if r.intact_value else 0.0,
        }
        what = " and ".join(f"{x['name']}" + (f" ({x['structure']})" if x["structure"] != "none"
                                             else "") for x in elements)
        text = (f"Losing {what} cuts the throughput from "
                f"{s.units.from_base(r.intact_value, unit):,.0f} to "
                f"{s.units.from_base(r.value, unit):,.0f} {unit} "
                f"(-{100 * entry['loss_rel']:.0f}%)")
        if route and before_route is not None and before_route.found:
            arcs = c.arcs_of(kind, plan) if plan else None
            after = fastest_route(c, *route, removed=arcs)
            entry["route"] = _route_block(s, after)
            if not after.found:
                text += (f"; no route remains from {net.node_name(route[0])} to "
                         f"{net.node_name(route[1])}")
            else:
                extra = after.time_h - before_route.time_h
                via = ", ".join(net.node_name(n) for n in _turns(after.nodes,
                                                                  before_route.nodes))
                text += (f"; the fastest route {net.node_name(route[0])} → "
                         f"{net.node_name(route[1])} "
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


def brief(s: Scenario, *, failures: int = 3, ranking: bool = True) -> Brief:
    """Run the briefing analyses on a scenario.

    Uses ``[flow]`` sources and sinks for the throughput question (the first commodity's
    origin and destination when ``[flow]`` is empty), all demands for the served-demand LP,
    and every commodity for routes; repeats throughput and routes with all disruptions
    applied when the scenario has any.
    """
    net = s.network
    c = net.compiled
    sources, sinks = s.terminals()
    data: dict[str, Any] = {"scenario": s.name, "network": net.summary(),
                            "units": list(s.units.report_units)}
    links = net.links[["id", "name", "from", "to", "mode", "structure", "group", "length_km",
                       "time_h", "capacity"]].copy()
    for u in s.units.report_units:
        links[f"capacity_{u}"] = [s.units.from_base(v, u) for v in links["capacity"]]
    out = Brief(data=data, links=links, demands=pd.DataFrame())
    factor = capacity_factor(c, s.disruptions) if s.disruptions else None

    if sources and sinks:
        mf = max_flow(c, sources, sinks)
        out.flow = mf
        data["max_flow"] = _flow_block(s, mf)
        links["flow"] = mf.link_flow
        links["in_min_cut"] = links["id"].isin(mf.cut_links)
        if factor is not None:
            mfd = max_flow(c, sources, sinks, factor=factor)
            data["max_flow_disrupted"] = _flow_block(s, mfd)
            links["flow_disrupted"] = mfd.link_flow

    if s.demands:
        sd = served_demand(c, s.demands)
        out.served = sd
        dem = sd.demands.copy()
        for u in s.units.report_units:
            for col in ("demand", "served", "unmet"):
                dem[f"{col}_{u}"] = [s.units.from_base(v, u) for v in dem[col]]
        out.demands = dem
        res = sd.resources
        binding = res[res["binding"]]
        data["served"] = {
            "total_demand": sd.total_demand, "total_served": sd.total_served,
            "total_unmet": sd.total_unmet, "unit": s.units.base,
            "total_unmet_Mt_per_yr": (s.units.from_base(sd.total_unmet, "Mt/yr")
                                      if s.units.base != "unit" else None),
            "demands": dem.to_dict("records"),
            "binding": _binding(net, binding),
        }
        if factor is not None:
            sdd = served_demand(c, s.demands, factor=factor, fastest=False)
            data["served_disrupted"] = {
                "total_served": sdd.total_served, "total_unmet": sdd.total_unmet,
                "unit": s.units.base,
                "total_unmet_Mt_per_yr": (s.units.from_base(sdd.total_unmet, "Mt/yr")
                                          if s.units.base != "unit" else None),
                "lost_Mt_per_yr": (s.units.from_base(sd.total_served - sdd.total_served,
                                                     "Mt/yr") if s.units.base != "unit"
                                   else None),
                "demands": sdd.demands.to_dict("records"),
            }
        load = np.zeros(len(links))
        is_link = c.arc_link >= 0
        np.add.at(load, c.arc_link[is_link], sd.arc_load[is_link])
        links["lp_load"] = load
        row_util = dict(zip(res["link"], res["utilisation"], strict=False))
        links["utilisation"] = [row_util.get(i, np.nan) for i in links["id"]]

    routes = []
    timed = not np.isnan(c.time_h).any()
    asked = [(d.id, d.origin, d.destination) for d in s.commodities]
    if sources and sinks:
        asked.insert(0, ("flow", sources[0], sinks[0]))
    for label, origin, dest in asked if timed else []:
        r = fastest_route(c, origin, dest)
        routes.append(r)
        block = {"commodity": label, **_route_block(s, r)}
        if factor is not None:
            removed = np.flatnonzero(factor == 0)
            rd = fastest_route(c, origin, dest, removed=removed)
            block["disrupted"] = _route_block(s, rd)
        data.setdefault("routes", []).append(block)
    out.routes = routes
    if failures and sources and sinks:
        bulk = "Mt/yr" if s.units.base != "unit" else None
        questions: list[tuple[str, list[str], list[str], str | None]] = [
            ("shipment", sources, sinks, None)]
        if s.background:
            questions.append(("corridor", list(dict.fromkeys(d.origin for d in s.background)),
                              list(dict.fromkeys(d.destination for d in s.background)), bulk))
        route = (sources[0], sinks[0]) if timed else None
        data["worst_failures"] = [
            {"question": name, "sources": src, "sinks": snk,
             "failures": worst_failures(s, src, snk, k_max=failures, route=route, unit=u)}
            for name, src, snk, u in questions]
    if ranking and sources and sinks:
        from chokepoint.workflows.ranking import criticality

        table = criticality(s, kind="group", measures=("throughput", "served", "detour"))
        out.ranking = table
        data["criticality"] = table.head(10).to_dict("records")
    if s.disruptions:
        data["disruptions"] = [{"id": d.id, "element": d.element,
                                "name": net.describe(d.element), "start": d.start.isoformat(),
                                "end": d.end.isoformat() if d.end else None,
                                "capacity_factor": d.capacity_factor} for d in s.disruptions]
    return out
