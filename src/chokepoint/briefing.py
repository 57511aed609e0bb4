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


def brief(s: Scenario) -> Brief:
    """Run the briefing analyses on a scenario.

    Uses ``[flow]`` sources and sinks for the throughput question (the first commodity's
    origin and destination when ``[flow]`` is empty), all demands for the served-demand LP,
    and every commodity for routes; repeats throughput and routes with all disruptions
    applied when the scenario has any.
    """
    net = s.network
    c = net.compiled
    sources = s.sources or ([s.commodities[0].origin] if s.commodities else [])
    sinks = s.sinks or ([s.commodities[0].destination] if s.commodities else [])
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
    if s.disruptions:
        data["disruptions"] = [{"id": d.id, "element": d.element,
                                "name": net.describe(d.element), "start": d.start.isoformat(),
                                "end": d.end.isoformat() if d.end else None,
                                "capacity_factor": d.capacity_factor} for d in s.disruptions]
    return out
