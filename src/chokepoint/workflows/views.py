"""What the report and the web page show, computed once as plain data.

:func:`report_view` resolves everything the offline report draws — the study (briefing,
findings, time-aware cost), the criticality ranking it charts, the campaign's cumulative
deliveries, yard backlogs and exact earliest-arrival bound (in containers), the disruptions as
dated events, each link's utilisation, the criticality map's values, the ranking and
served-demand bars (each demand in its own unit, charted as shares of its demand) and the key
figures as text. :mod:`chokepoint.report.build` only renders a :class:`ReportView`.

Time series are plain mappings ``name -> (x, y)`` (x in days since the campaign's start), the
shape :func:`chokepoint.report.charts.to_series` reads.
"""

from __future__ import annotations

import contextlib
import math
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from chokepoint.errors import ChokepointError
from chokepoint.formatting import fmt
from chokepoint.scenario import Scenario
from chokepoint.workflows.brief import Brief
from chokepoint.workflows.shipment import display_unit, traffic_unit

__all__ = ["ReportView", "campaign_series", "criticality_values", "key_figures",
           "rank_measure", "ranking_bars", "report_view", "served_bars", "utilisation"]

XY = tuple[np.ndarray, np.ndarray]


@dataclass
class ReportView:
    """Everything the report shows, computed (see the module docstring)."""

    scenario: Scenario
    brief: Brief
    ranking: pd.DataFrame | None = None
    arrivals: dict[str, XY] = field(default_factory=dict)
    earliest: dict[str, XY] = field(default_factory=dict)
    backlog: dict[str, XY] = field(default_factory=dict)
    x_label: str = "days"
    quantity_unit: str = ""
    notes: list[str] = field(default_factory=list)
    events: list[tuple[Any, str]] = field(default_factory=list)


def campaign_series(result: Any) -> tuple[dict[str, XY], dict[str, XY], str]:
    """Cumulative deliveries and yard backlogs of a campaign simulation
    (:class:`chokepoint.simulate.CampaignResult`), x in days since the campaign's epoch."""
    runs = [result.baseline] if result.run is result.baseline else [result.baseline, result.run]
    arrivals: dict[str, XY] = {}
    backlog: dict[str, XY] = {}
    for r in runs:
        a = r.arrivals
        arrivals[str(r.label)] = (np.concatenate([[0.0], a["t_h"].to_numpy(dtype=float) / 24.0]),
                                  np.concatenate([[0.0], a["delivered"].to_numpy(dtype=float)]))
        nb = r.node_backlog
        nb = nb[nb["kind"].astype(str) == "campaign_containers"]
        for node, grp in nb.groupby(nb["node"].astype(str), sort=True):
            if grp["backlog"].max() > 0:
                backlog[f"{node} ({r.label})"] = (grp["t_h"].to_numpy(dtype=float) / 24.0,
                                                  grp["backlog"].to_numpy(dtype=float))
    epoch = result.baseline.epoch
    return arrivals, backlog, f"days since {epoch:%Y-%m-%d %H:%M}"


def _bound(s: Scenario, curve: Any) -> dict[str, XY]:
    """An earliest-arrival curve (tonnes) as containers, x in days."""
    x = np.asarray(curve.times_h, dtype=float) / 24.0
    y = np.asarray(curve.cumulative, dtype=float)
    with contextlib.suppress(ValueError):
        y = y / s.units.quantity_factor("container")
    return {"earliest-arrival bound": (x, y)}


def events(s: Scenario, epoch: Any) -> list[tuple[Any, str]]:
    """The scenario's disruptions as dated chart events: days since the campaign's ``epoch``
    when there is one, and dates (for datetime axes)."""
    out: list[tuple[Any, str]] = []
    for d in s.disruptions:
        name = re.sub(r"\s*\([^()]*\)", "", s.network.describe(d.element) or d.element)
        label = f"{name}, {d.start:%d %b %Y %H:%M}"
        if epoch is not None:
            out.append(((d.start - epoch).total_seconds() / 86400.0, label))
        out.append((np.datetime64(d.start.replace(tzinfo=None), "s"), label))
    return out


def utilisation(links: pd.DataFrame) -> dict[str, float]:
    """Link id → utilisation: the served-demand LP's, else max-flow flow / capacity."""
    if "utilisation" in links.columns:
        vals = {str(i): float(v) for i, v in zip(links["id"], links["utilisation"],
                                                 strict=True)}
        if any(math.isfinite(v) for v in vals.values()):
            return vals
    if "flow" in links.columns:
        cap = links["capacity"].to_numpy(dtype=float)
        flow = np.abs(links["flow"].to_numpy(dtype=float))
        with np.errstate(divide="ignore", invalid="ignore"):
            u = np.where(np.isfinite(cap) & (cap > 0), flow / cap, np.nan)
        return {str(i): float(v) for i, v in zip(links["id"], u, strict=True)}
    return {}


#: The ranking's own order (chokepoint.workflows.ranking sorts by the first of these it has):
#: the column each sort key is shown as, whether it is a rate, and its label.
_RANK_KEYS = (("objective_loss", "served_loss", True, "served demand lost"),
              ("throughput_loss", "throughput_loss", True, "throughput loss"),
              ("pairs_cut", "pairs_cut", False, "origin-destination pairs cut"),
              ("detour_max_increase_h", "detour_max_increase_h", False, "longest detour (h)"))


def rank_measure(r: pd.DataFrame) -> tuple[str, bool, str] | None:
    """The column that drives the ranking's order (its first non-zero sort key)."""
    for key, col, is_rate, label in _RANK_KEYS:
        if key in r.columns and col in r.columns and np.nansum(
                np.abs(r[key].to_numpy(dtype=float))) > 0:
            return col, is_rate, label
    return None


def criticality_values(s: Scenario, r: pd.DataFrame | None) -> tuple[dict[str, float], str]:
    """Link id → criticality in [0, 1] (share of the largest loss) and its label.

    A link ranking colours each link; a failure-group ranking colours each link with its
    group's value; a node ranking gives no link colours.
    """
    if r is None or not len(r) or str(r["kind"].iloc[0]) not in ("link", "group"):
        return {}, ""
    m = rank_measure(r)
    if m is not None:
        v = pd.to_numeric(r[m[0]], errors="coerce").to_numpy(dtype=float)
        ok = v[np.isfinite(v)]
        top = float(ok.max()) if len(ok) else 0.0
        v = v / top if top > 0 else np.full(len(v), np.nan)
        values = {str(e): float(x) for e, x in zip(r["element"], v, strict=True)}
        label = f"{m[2]} (share of the largest)"
    else:
        n = len(r)
        values = {str(e): 1 - (k - 1) / max(n - 1, 1) for e, k in
                  zip(r["element"], r["rank"], strict=True)}
        label = "criticality rank (1 = top)"
    if str(r["kind"].iloc[0]) == "group":
        links = s.network.links
        values = {str(i): values[str(g)] for i, g in zip(links["id"], links["group"],
                                                         strict=True) if str(g) in values}
        label += ", by failure group"
    return values, label


def _unit(s: Scenario) -> str:
    return s.units.report_units[0]


def ranking_bars(s: Scenario, r: pd.DataFrame, *, top_n: int = 15
                 ) -> tuple[list[str], list[float], str] | None:
    """Names, values and axis label of the ranking's top elements; None when no measure is
    non-zero. Served demand lost is in Mt/yr (bulk), throughput in the shipment's unit."""
    top = r.head(top_n)
    names = [str(n) for n in top["name"]]
    m = rank_measure(r)
    if m is None:
        return None
    col, is_rate, label = m
    vals = top[col].to_numpy(dtype=float)
    if not is_rate or s.units.base == "unit":
        return names, [float(v) for v in vals], label
    meta = r.attrs.get("throughput") or {}
    if col == "served_loss":  # bulk traffic
        return (names, [s.units.from_base(v, "Mt/yr") for v in vals],
                f"{label}, all traffic (Mt/yr)")
    unit = meta.get("unit", _unit(s))
    who = f" of {meta['commodity']}" if meta.get("commodity") else ""
    return names, [s.units.from_base(v, unit) for v in vals], f"{label}{who} ({unit})"


def served_bars(s: Scenario, b: Brief) -> tuple[list[str], list[float], list[str], str] | None:
    """Served demand per flow as a percentage of its demand (flows of different units share
    one axis), with each flow's own figures as text in its own display unit."""
    dem = b.demands
    if "served" not in b.data or not len(dem):
        return None
    net = s.network
    units = {d.id: display_unit(s, d) for d in s.demands}
    labels, share, texts = [], [], []
    for rec in dem.to_dict("records"):
        u = units.get(str(rec["id"]), s.units.base)
        conv = (lambda v, u=u: s.units.from_base(float(v), u)) if u != s.units.base else float
        total = float(rec["demand"])
        share.append(100.0 * float(rec["served"]) / total if total > 0 else 100.0)
        texts.append(f"{fmt(conv(rec['served']), u)} of {fmt(conv(total), u)}")
        labels.append(f"{rec['id']}: {net.node_name(str(rec['origin']))} → "
                      f"{net.node_name(str(rec['destination']))}")
    return labels, share, texts, "share of the demand served (%)"


def key_figures(s: Scenario, data: dict[str, Any]) -> list[tuple[str, str]]:
    """The key figures as (label, text) pairs: the shipment's throughput and bottleneck
    (intact and with the disruptions), served demand, the shipment's fastest route, served
    demand after the disruptions, their time-aware cost beside the labelled worst case, the
    worst-k statements and the campaign's delay."""
    out: list[tuple[str, str]] = []
    for key, label in (("max_flow", "Maximum throughput"),
                       ("max_flow_disrupted", "Maximum throughput, all disruptions")):
        if key in data:
            mf = data[key]
            vals = " = ".join(fmt(v, u) for u, v in {mf.get("display_unit", ""): mf.get(
                "display_value"), **mf["in_report_units"]}.items() if u)
            net = s.network
            ends = (" + ".join(net.node_name(x) for x in mf["sources"]) + " → "
                    + " + ".join(net.node_name(x) for x in mf["sinks"]))
            if mf.get("commodity"):  # the shipment along its route rules
                ends = f"{mf.get('label') or mf['commodity']}, along its route: {ends}"
            out.append((f"{label} ({ends})", vals))
            out.append((f"Bottleneck ({'disrupted' if 'disrupted' in key else 'intact'})",
                        "; ".join(c["name"] for c in mf["cut"]) or "—"))
    if "served" in data and s.units.base != "unit":
        sv, unit = data["served"], traffic_unit(s)
        out.append(("Served demand, all traffic",
                    f"{fmt(s.units.from_base(sv['total_served'], unit))} of "
                    f"{fmt(s.units.from_base(sv['total_demand'], unit), unit)}"))
    for r in data.get("routes", [])[:1]:
        if not r["found"]:
            continue
        txt = f"{fmt(r['time_days'], 'days')}, {fmt(r['length_km'], 'km', digits=0)}"
        dis = r.get("disrupted")
        if dis:
            txt += (f"; with disruptions {fmt(dis['time_days'], 'days')}, "
                    f"{fmt(dis['length_km'], 'km', digits=0)}" if dis["found"] else
                    "; with disruptions: no route")
        out.append((f"Fastest route ({r.get('label', r['commodity'])})", txt))
    return out + _more_figures(s, data)


def _more_figures(s: Scenario, data: dict[str, Any]) -> list[tuple[str, str]]:
    out: list[tuple[str, str]] = []
    if "served_disrupted" in data and "served" in data and s.units.base != "unit":
        sv, sd, unit = data["served"], data["served_disrupted"], traffic_unit(s)
        out.append(("Served demand, all traffic, all disruptions at once, for ever "
                    "(worst case)",
                    f"{fmt(s.units.from_base(sd['total_served'], unit))} of "
                    f"{fmt(s.units.from_base(sv['total_demand'], unit), unit)}"))
    cost = data.get("disruption_cost")
    if cost:
        out.append(("Disruption cost over their dates (time-aware)",
                    fmt(cost["loss_t"], "t", digits=0)
                    + f" in {fmt(cost['horizon_days'], 'days', digits=0)}"))
        out.append(("Worst case: all disruptions at once, for ever (same period)",
                    fmt(cost["worst_case_loss_t"], "t", digits=0)))
    for q in data.get("worst_failures", []):
        for f in q["failures"]:
            rule = f" — {f['budget_rule']}" if f.get("budget_rule") else ""
            out.append((f"Worst {f['k']} failure(s), {q['question']} ({q.get('label', '')})"
                        f"{rule}", f["text"]))
    camp = data.get("campaign", {})
    delay = camp.get("delay") if isinstance(camp, dict) else None
    if isinstance(delay, dict):
        out.append((f"Campaign delay against the undisrupted run ({camp.get('label', '')})",
                    f"mean {fmt(delay.get('mean_h'), 'h')}, max {fmt(delay.get('max_h'), 'h')}"))
    return out


def _campaign(view: ReportView, s: Scenario, campaign: Any, curve: Any, seed: int,
              commodity: str | None = None) -> None:
    """Simulate (``campaign=True``, the ``commodity``'s or the first's) or take a given
    campaign result, and add its series."""
    if campaign is True:
        campaign = None
        if not s.commodities:
            view.notes.append("No campaign simulated: the scenario has no [[commodities]].")
        else:
            from chokepoint.workflows.brief import campaign as run_campaign
            from chokepoint.workflows.shipment import with_commodity

            try:  # the campaign workflow simulates the first commodity: put the chosen first
                cb = run_campaign(with_commodity(s, commodity), seed=seed)
                campaign, curve = cb.result, (curve if curve is not None else cb.curve)
            except (ChokepointError, ValueError) as e:
                view.notes.append(f"No campaign simulated: {e}")
    elif campaign is False:
        campaign = None
    if curve is not None and hasattr(curve, "cumulative"):
        view.earliest = _bound(s, curve) if campaign is not None else {
            "earliest-arrival bound": (np.asarray(curve.times_h, dtype=float) / 24.0,
                                       np.asarray(curve.cumulative, dtype=float))}
    if campaign is not None:
        view.arrivals, view.backlog, view.x_label = campaign_series(campaign)
        view.quantity_unit = "containers"
    view.events = events(s, campaign.baseline.epoch if campaign is not None else None)


def report_view(source: Brief | Scenario | Any, *, scenario: Scenario | None = None,
                ranking: pd.DataFrame | bool | None = None, campaign: Any = None,
                earliest_arrival: Any = None, seed: int = 0,
                sources: Sequence[str] = (), sinks: Sequence[str] = (),
                commodity: str | None = None) -> ReportView:
    """Compute what the report shows.

    Parameters
    ----------
    source
        A :class:`~chokepoint.workflows.study.Study`, a finished
        :class:`~chokepoint.workflows.brief.Brief` (with ``scenario=``) or a scenario (studied
        here between ``sources`` and ``sinks`` when given, else its shipment).
    ranking
        A criticality table, ``True`` for the link ranking, ``None`` for the brief's own
        (failure-group) ranking, ``False`` for none.
    commodity
        The commodity the shipment figures and the campaign follow (default: the first).
    campaign, earliest_arrival, seed
        A campaign result (``True``: simulate here with ``seed``; the study's own is used
        when ``source`` is a study that has one) and an earliest-arrival curve (tonnes).
    """
    from chokepoint.workflows.study import Study, study

    if isinstance(source, Study):
        s, b = source.scenario, source.brief
        if campaign is None and source.campaign is not None:
            campaign, earliest_arrival = source.campaign.result, (
                earliest_arrival if earliest_arrival is not None else source.campaign.curve)
    elif isinstance(source, Scenario):
        s = source
        b = study(s, with_campaign=False, commodity=commodity, sources=sources or None,
                  sinks=sinks or None).brief
    else:
        if scenario is None:
            raise TypeError("write_report(brief, ...) needs scenario= (the brief's scenario: "
                            "the map needs its network)")
        s, b = scenario, source
    table: pd.DataFrame | None
    if ranking is True:
        from chokepoint.workflows.ranking import criticality

        table = criticality(s, kind="link", commodity=commodity, sources=sources or None,
                            sinks=sinks or None)
    elif isinstance(ranking, pd.DataFrame):
        table = ranking
    elif ranking is None:
        table = b.ranking  # the brief's own (failure-group) ranking
    else:
        table = None
    view = ReportView(scenario=s, brief=b, ranking=table)
    _campaign(view, s, campaign, earliest_arrival, seed, commodity)
    if not (b.data.get("max_flow")):
        view.notes.append("No throughput figures: the network names no flow terminals (give "
                          "sources and sinks, or a scenario with commodities).")
    return view
