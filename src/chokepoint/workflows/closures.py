"""What the web map computes when elements are closed: plain, synchronous functions.

:func:`close_elements` answers "what if these links, nodes or failure groups close (from
``start`` to ``end``)?" with the corridor's maximum throughput between the flow terminals,
the new bottleneck (minimum cut), served demand with all traffic competing, the fastest
detour, and — for a date range — the volume lost over the period. The server runs it in a
worker thread with a time limit; it has no web dependencies and is tested directly.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import logging
import math
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from chokepoint.analyses import fastest_route, max_flow, served_demand
from chokepoint.analyses.routes import Route
from chokepoint.errors import ChokepointError, InputError
from chokepoint.kinds import check_kind
from chokepoint.scenario import Scenario

__all__ = ["Baseline", "CampaignHook", "Closure", "baseline", "close_elements",
           "links_table", "resolve_elements", "simulation_hook"]

log = logging.getLogger("chokepoint.serve")


@dataclass(frozen=True)
class Closure:
    """Resolved elements to close: ``(kind, id)`` pairs, sorted (a cache key)."""

    elements: tuple[tuple[str, str], ...]
    start: dt.date | None = None
    end: dt.date | None = None

    @property
    def days(self) -> int | None:
        """Days closed, both ends included (None without dates)."""
        if self.start is None or self.end is None:
            return None
        return (self.end - self.start).days + 1


#: ``hook(scenario, closure, removed_arcs) -> dict | None``: the campaign's delay (SimPy
#: simulation) for a closure; its dict is passed through as ``"campaign"`` in the answer.
CampaignHook = Callable[[Scenario, Closure, np.ndarray], dict[str, Any] | None]


def simulation_hook(*, seed: int = 0) -> CampaignHook:
    """A :data:`CampaignHook` running the scenario's campaign (:mod:`chokepoint.simulate`)
    with the closure as its only disruptions (from ``start`` to the end of ``end``; without
    dates, for the whole campaign), against the undisrupted run with the same ``seed``."""

    def hook(s: Scenario, closure: Closure, arcs: np.ndarray) -> dict[str, Any] | None:
        if not s.commodities or not closure.elements:
            return None
        from chokepoint.scenario import Disruption
        from chokepoint.simulate import simulate

        start = (dt.datetime.combine(closure.start, dt.time()) if closure.start
                 else dt.datetime(1900, 1, 1))
        end = (dt.datetime.combine(closure.end + dt.timedelta(days=1), dt.time())
               if closure.end else None)
        dis = [Disruption(id=f"closure_{i}", element=e, start=start, end=end)
               for i, (_, e) in enumerate(closure.elements)]
        res = simulate(dataclasses.replace(s, disruptions=dis), seed=seed)
        summ = res.summary()
        d = summ["delay"]
        return {"seed": seed, "containers": summ["run"]["containers"],
                "delivered": summ["run"]["delivered"],
                "completion_undisrupted": summ["baseline"]["completion"],
                "completion": summ["run"]["completion"],
                "mean_delay_h": d["mean_h"], "max_delay_h": d["max_h"],
                "delayed_containers": d["delayed_containers"],
                "undelivered": d["undelivered"]}

    return hook


def resolve_elements(s: Scenario, refs: Sequence[str | tuple[str | None, str]]) -> tuple[
        tuple[str, str], ...]:
    """``(kind, id)`` for each reference: a bare id (link, then node, then failure group) or
    ``(kind, id)`` with kind ``link``/``node``/``group`` (None: as a bare id)."""
    c = s.network.compiled
    out: set[tuple[str, str]] = set()
    for ref in refs:
        kind, eid = (None, ref) if isinstance(ref, str) else ref
        if kind is None:
            try:
                out.add(c.resolve(eid))
            except (KeyError, InputError, ValueError):
                raise InputError(f"no link, node or failure group {eid!r}") from None
            continue
        index = {"link": c.link_index, "node": c.node_index,
                 "group": c.group_index}[check_kind(kind)]
        if eid not in index:
            raise InputError(f"no {kind} {eid!r}")
        out.add((kind, eid))
    return tuple(sorted(out))


def removed_arcs(s: Scenario, elements: Sequence[tuple[str, str]]) -> np.ndarray:
    """Arc indices taken down by closing ``elements``."""
    c = s.network.compiled
    arcs = [c.arcs_of(k, [e]) for k, e in elements]
    return np.unique(np.concatenate(arcs)) if arcs else np.zeros(0, dtype=np.int64)


def _terminals(s: Scenario) -> tuple[list[str], list[str]]:
    return s.terminals()


def _route(s: Scenario, r: Route) -> dict[str, Any]:
    net = s.network
    return {"found": r.found, "time_h": r.time_h if r.found else None,
            "time_days": r.time_h / 24 if r.found else None,
            "length_km": r.length_km if r.found else None,
            "via": [net.node_name(n) for n in r.nodes], "links": r.links}


def _link_utilisation(resources: pd.DataFrame) -> dict[str, float]:
    res = resources[resources["link"].astype(str) != ""]
    if not len(res):
        return {}
    grouped = res.groupby(res["link"].astype(str))["utilisation"].max()
    return {str(k): float(v) for k, v in grouped.items()}


@dataclass
class Baseline:
    """The intact network's figures, computed once per loaded scenario."""

    sources: list[str]
    sinks: list[str]
    throughput: float
    cut: list[dict[str, str]]
    served: float | None
    demand: float | None
    utilisation: dict[str, float]
    route: dict[str, Any] | None
    link_flow: np.ndarray
    served_arc_load: np.ndarray | None = None
    served_binding: list[dict[str, str]] | None = None


def _describe(s: Scenario, kind: str, eid: str) -> dict[str, str]:
    return {"id": eid, "kind": kind, "name": s.network.describe(eid)}


def _cut_list(s: Scenario, links: Sequence[str], nodes: Sequence[str]) -> list[dict[str, str]]:
    return [_describe(s, "link", i) for i in links] + [_describe(s, "node", i) for i in nodes]


def _timed(s: Scenario) -> bool:
    return not bool(np.isnan(s.network.compiled.time_h).any())


def baseline(s: Scenario, sources: Sequence[str] | None = None,
             sinks: Sequence[str] | None = None) -> Baseline:
    """Figures for the intact network (also warms the compiled network's caches)."""
    c = s.network.compiled
    src, snk = _terminals(s)
    src, snk = list(sources or src), list(sinks or snk)
    thr, cut, flow = math.nan, [], np.zeros(len(c.link_ids))
    if src and snk:
        mf = max_flow(c, src, snk)
        thr, cut, flow = mf.value, _cut_list(s, mf.cut_links, mf.cut_nodes), mf.link_flow
    served = demand = None
    util: dict[str, float] = {}
    load = binding = None
    if s.demands:
        sd = served_demand(c, s.demands, fastest=False)
        served, demand = sd.total_served, sd.total_demand
        util = _link_utilisation(sd.resources)
        load = sd.arc_load
        binding = [_describe(s, "link", i) for i in sd.binding_links] + [
            _describe(s, "node", i) for i in sd.binding_nodes]
    elif src and snk:
        cap = s.network.links["capacity"].to_numpy(dtype=float)
        with np.errstate(divide="ignore", invalid="ignore"):
            u = np.where(np.isfinite(cap) & (cap > 0), np.abs(flow) / cap, np.nan)
        util = {str(i): float(v) for i, v in zip(s.network.links["id"], u, strict=True)}
    route = None
    if src and snk and _timed(s):
        route = _route(s, fastest_route(c, src[0], snk[0]))
    return Baseline(sources=src, sinks=snk, throughput=thr, cut=cut, served=served,
                    demand=demand, utilisation=util, route=route, link_flow=flow,
                    served_arc_load=load, served_binding=binding)


def _in_units(s: Scenario, value: float | None) -> dict[str, float | None]:
    if value is None or not math.isfinite(value):
        return {u: (None if value is None or math.isnan(value) else value)
                for u in s.units.report_units}
    return {u: s.units.from_base(value, u) for u in s.units.report_units}


def _quantity(s: Scenario, tonnes_or_units: float) -> dict[str, float]:
    """A base-unit quantity (rate × days) in each report unit's quantity (TEU, trains...)."""
    out = {s.units.base.removesuffix("/day"): tonnes_or_units}
    for u in s.units.report_units:
        if not u.endswith("/day"):
            continue
        q = u.removesuffix("/day")
        try:
            out[q] = s.units.from_base(tonnes_or_units, u)
        except (InputError, ValueError, KeyError):
            continue
    return out


def close_elements(s: Scenario, base: Baseline, closure: Closure, *,
                   campaign: CampaignHook | None = None) -> dict[str, Any]:
    """The corridor's figures with ``closure`` applied, next to the intact ``base``."""
    t0 = time.perf_counter()
    c = s.network.compiled
    arcs = removed_arcs(s, closure.elements)
    unit = s.units.report_units[0]
    out: dict[str, Any] = {
        "scenario": s.name, "unit": unit, "base_unit": s.units.base,
        "closed": [_describe(s, k, e) for k, e in closure.elements],
        "start": closure.start.isoformat() if closure.start else None,
        "end": closure.end.isoformat() if closure.end else None,
    }
    thr_closed = math.nan
    if base.sources and base.sinks:
        mf = max_flow(c, base.sources, base.sinks, removed=arcs)
        thr_closed = mf.value
        out["throughput"] = {
            "sources": base.sources, "sinks": base.sinks,
            "source_names": [s.network.node_name(x) for x in base.sources],
            "sink_names": [s.network.node_name(x) for x in base.sinks],
            "intact": _in_units(s, base.throughput), "closed": _in_units(s, thr_closed),
            "intact_base": base.throughput, "closed_base": thr_closed,
        }
        out["bottleneck"] = {"intact": base.cut,
                             "closed": _cut_list(s, mf.cut_links, mf.cut_nodes)}
        flow_closed = mf.link_flow
    else:
        out["throughput"] = None
        out["bottleneck"] = None
        flow_closed = np.zeros(len(c.link_ids))
    served_closed = None
    util = base.utilisation
    if s.demands and base.served is not None:
        if base.served_arc_load is not None and base.served_binding is not None and not bool(
                np.any(base.served_arc_load[arcs] > 0)):
            # Incremental: the closed arcs carry nothing in the intact optimum, which stays
            # feasible and so optimal (the feasible set only shrank); served amounts are
            # unique (max-min fair rule), so the intact answer is the answer. No LP solve.
            served_closed, binding = base.served, base.served_binding
        else:
            sd = served_demand(c, s.demands, removed=arcs, fastest=False)
            served_closed, util = sd.total_served, _link_utilisation(sd.resources)
            binding = [_describe(s, "link", i) for i in sd.binding_links] + [
                _describe(s, "node", i) for i in sd.binding_nodes]
        out["served"] = {"intact": _in_units(s, base.served),
                         "closed": _in_units(s, served_closed),
                         "demand": _in_units(s, base.demand), "intact_base": base.served,
                         "closed_base": served_closed, "binding": binding}
    else:
        out["served"] = None
        if base.sources and base.sinks:
            cap = s.network.links["capacity"].to_numpy(dtype=float)
            with np.errstate(divide="ignore", invalid="ignore"):
                u = np.where(np.isfinite(cap) & (cap > 0), np.abs(flow_closed) / cap, np.nan)
            util = {str(i): float(v) for i, v in zip(s.network.links["id"], u, strict=True)}
    if base.route is not None:
        r = _route(s, fastest_route(c, base.sources[0], base.sinks[0], removed=arcs))
        extra = (r["time_h"] - base.route["time_h"]) if r["found"] else None
        out["detour"] = {"origin": base.sources[0], "destination": base.sinks[0],
                         "origin_name": s.network.node_name(base.sources[0]),
                         "destination_name": s.network.node_name(base.sinks[0]),
                         "intact": base.route, "closed": r, "extra_h": extra}
    else:
        out["detour"] = None
    days = closure.days
    if days is not None:
        lost: dict[str, Any] = {"days": days}
        if math.isfinite(base.throughput) and math.isfinite(thr_closed):
            lost["throughput"] = _quantity(s, (base.throughput - thr_closed) * days)
        if served_closed is not None and base.served is not None:
            lost["served"] = _quantity(s, (base.served - served_closed) * days)
        out["period"] = lost
    else:
        out["period"] = None
    out["utilisation"] = {k: (v if math.isfinite(v) else None) for k, v in util.items()}
    out["campaign"] = None
    if campaign is not None:
        try:
            out["campaign"] = campaign(s, closure, arcs)
        except ChokepointError as e:  # e.g. a campaign that cannot be routed any more
            out["campaign"] = {"error": str(e)}
        except Exception as e:  # the closure's other figures still stand
            log.error("campaign hook failed: %r", e, exc_info=e)
            out["campaign"] = {"error": "the campaign simulation failed (see the server log)"}
    out["elapsed_ms"] = round(1000 * (time.perf_counter() - t0), 2)
    return out


def links_table(s: Scenario, base: Baseline, result: dict[str, Any] | None) -> pd.DataFrame:
    """The links with their intact max-flow flow and utilisation, and (with ``result`` of
    :func:`close_elements`) the utilisation with the closure; capacities in report units."""
    net = s.network
    t = net.links[["id", "name", "from", "to", "mode", "structure", "group", "length_km",
                   "time_h", "capacity"]].copy()
    for u in s.units.report_units:
        t[f"capacity_{u}"] = [s.units.from_base(v, u) for v in t["capacity"]]
    t["flow_intact"] = base.link_flow
    t["utilisation_intact"] = [base.utilisation.get(str(i), math.nan) for i in t["id"]]
    if result is not None:
        closed = {c["id"] for c in result["closed"] if c["kind"] == "link"}
        groups = {c["id"] for c in result["closed"] if c["kind"] == "group"}
        t["closed"] = [str(i) in closed or str(g) in groups for i, g in
                       zip(t["id"], t["group"], strict=True)]
        util = result["utilisation"]
        t["utilisation_closed"] = [util.get(str(i)) if util.get(str(i)) is not None
                                   else math.nan for i in t["id"]]
    return t
