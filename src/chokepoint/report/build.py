"""The offline report: one self-contained HTML file, PNG figures and the tables behind them.

The HTML file makes no request at all: its map and charts are inline SVG, its few lines of
JavaScript (table sorting, map hover read-out) are inline, and a Content-Security-Policy
``default-src 'none'`` in the page forbids the browser to fetch anything, so it opens the
same from a USB stick on an air-gapped machine.
"""

from __future__ import annotations

import datetime as dt
import html
import math
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from chokepoint.formatting import fmt
from chokepoint.io.write import atomic_dir, write_csv, write_text
from chokepoint.report._maplayout import MapLayout, map_layout
from chokepoint.report.charts import Series, to_series, to_table
from chokepoint.report.figures import Event
from chokepoint.report.svgmap import MapStyle, link_values_from_table, network_svg
from chokepoint.scenario import Scenario
from chokepoint.workflows.brief import Brief
from chokepoint.workflows.study import study

__all__ = ["Chart", "ReportData", "build_report_data", "campaign_series", "render_report",
           "report_charts", "simulate_campaign", "with_commodity", "with_terminals",
           "write_report"]

CSP = ("default-src 'none'; style-src 'unsafe-inline'; script-src 'unsafe-inline'; "
       "img-src data:; base-uri 'none'; form-action 'none'")
TOP_N = 15


@dataclass
class ReportData:
    """Everything the report draws, resolved from the inputs of :func:`write_report`."""

    scenario: Scenario
    brief: Brief
    ranking: pd.DataFrame | None = None
    arrivals: list[Series] = field(default_factory=list)
    earliest: list[Series] = field(default_factory=list)
    backlog: list[Series] = field(default_factory=list)
    x_label: str = "days"
    quantity_unit: str = ""
    title: str = ""
    notes: list[str] = field(default_factory=list)
    events: list[Event] = field(default_factory=list)
    _layout: MapLayout | None = None

    @property
    def layout(self) -> MapLayout:
        """The map's layout, computed once for the SVG and PNG maps."""
        if self._layout is None:
            self._layout = map_layout(self.scenario.network, terminals=_terminals(self))
        return self._layout

    @property
    def unit(self) -> str:
        """The first report unit (the base unit for unitless networks)."""
        return self.scenario.units.report_units[0]

    def rate(self, value_base: float) -> float:
        """A base-unit rate in :attr:`unit`."""
        return self.scenario.units.from_base(value_base, self.unit)

    def utilisation(self) -> dict[str, float]:
        """Link id → utilisation: the served-demand LP's, else max-flow flow / capacity."""
        links = self.brief.links
        vals = link_values_from_table(links, "utilisation")
        if vals and any(math.isfinite(v) for v in vals.values()):
            return vals
        if "flow" in links.columns:
            cap = links["capacity"].to_numpy(dtype=float)
            flow = np.abs(links["flow"].to_numpy(dtype=float))
            with np.errstate(divide="ignore", invalid="ignore"):
                u = np.where(np.isfinite(cap) & (cap > 0), flow / cap, np.nan)
            return {str(i): float(v) for i, v in zip(links["id"], u, strict=True)}
        return {}

    def criticality(self) -> tuple[dict[str, float], str]:
        """Link id → criticality in [0, 1] (share of the largest loss) and its label.

        A link ranking colours each link; a failure-group ranking colours each link with its
        group's value; a node ranking gives no link colours.
        """
        r = self.ranking
        if r is None or not len(r) or str(r["kind"].iloc[0]) not in ("link", "group"):
            return {}, ""
        m = _rank_measure(r)
        if m is not None:
            values = link_values_from_table(r, m[0], normalise=True)
            label = f"{m[2]} (share of the largest)"
        else:
            n = len(r)
            values = {str(e): 1 - (k - 1) / max(n - 1, 1) for e, k in
                      zip(r["element"], r["rank"], strict=True)}
            label = "criticality rank (1 = top)"
        if str(r["kind"].iloc[0]) == "group":
            links = self.scenario.network.links
            values = {str(i): values[str(g)] for i, g in zip(links["id"], links["group"],
                                                             strict=True) if str(g) in values}
            label += ", by failure group"
        return values, label


def campaign_series(result: Any) -> tuple[list[Series], list[Series], str]:
    """Cumulative deliveries and yard backlogs of a campaign simulation
    (:class:`chokepoint.simulate.CampaignResult`), x in days since the campaign's epoch."""
    runs = [result.baseline] if result.run is result.baseline else [result.baseline, result.run]
    arrivals, backlog = [], []
    for r in runs:
        a = r.arrivals
        x = np.concatenate([[0.0], a["t_h"].to_numpy(dtype=float) / 24.0])
        y = np.concatenate([[0.0], a["delivered"].to_numpy(dtype=float)])
        arrivals.append(Series(str(r.label), x, y))
        nb = r.node_backlog
        nb = nb[nb["kind"].astype(str) == "campaign_containers"]
        for node, grp in nb.groupby(nb["node"].astype(str), sort=True):
            if grp["backlog"].max() > 0:
                backlog.append(Series(f"{node} ({r.label})",
                                      grp["t_h"].to_numpy(dtype=float) / 24.0,
                                      grp["backlog"].to_numpy(dtype=float)))
    epoch = result.baseline.epoch
    return arrivals, backlog, f"days since {epoch:%Y-%m-%d %H:%M}"


def simulate_campaign(s: Scenario, *, seed: int = 0,
                      commodity: str | None = None) -> tuple[Any, Any]:
    """Run the scenario's campaign (:func:`chokepoint.simulate.simulate`) and the matching
    earliest-arrival bound: the commodity's containers (default: the first commodity's) all
    available at its origin at the campaign's start, sent as fast as capacities allow
    (:func:`chokepoint.analyses.dynamic.earliest_arrival_curve`, same horizon)."""
    from chokepoint.workflows.brief import campaign

    cb = campaign(with_commodity(s, commodity), seed=seed)
    return cb.result, cb.curve


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
    import dataclasses

    from chokepoint.errors import InputError

    chosen = [d for d in s.commodities if d.id == commodity]
    if not chosen:
        raise InputError(f"unknown commodity {commodity!r} (have: "
                         f"{', '.join(d.id for d in s.commodities) or 'none'})",
                         source=s.path, element=commodity)
    return dataclasses.replace(
        s, commodities=[*chosen, *[d for d in s.commodities if d.id != commodity]],
        simulation={**s.simulation, "commodity": commodity})


def build_report_data(source: Brief | Scenario, *, scenario: Scenario | None = None,
                      ranking: pd.DataFrame | bool | None = None, arrivals: Any = None,
                      earliest_arrival: Any = None, backlog: Any = None,
                      campaign: Any = None, seed: int = 0, x_label: str = "days",
                      quantity_unit: str = "", title: str = "",
                      sources: Sequence[str] = (), sinks: Sequence[str] = (),
                      commodity: str | None = None) -> ReportData:
    """Resolve :func:`write_report`'s inputs (runs :func:`~chokepoint.workflows.brief.brief` and,
    with ``ranking=True``, the link criticality ranking)."""
    ship: dict[str, Any] = ({"commodity": commodity} if commodity else
                            {"sources": list(sources) or None, "sinks": list(sinks) or None})
    if isinstance(source, Scenario):
        s = with_terminals(source, sources, sinks)
        b = study(s, with_campaign=False, **ship).brief
    else:
        if scenario is None:
            raise TypeError("write_report(brief, ...) needs scenario= (the brief's scenario: "
                            "the map needs its network)")
        s, b = scenario, source
    table: pd.DataFrame | None
    if ranking is True:
        from chokepoint.workflows.ranking import criticality

        table = criticality(s, kind="link", **ship)
    elif isinstance(ranking, pd.DataFrame):
        table = ranking
    elif ranking is None:
        table = getattr(b, "ranking", None)  # the brief's own (failure-group) ranking
    else:
        table = None
    notes: list[str] = []
    if campaign is True:
        campaign = None
        if not s.commodities:
            notes.append("No campaign simulated: the scenario has no [[commodities]].")
        else:
            from chokepoint.errors import ChokepointError

            try:
                campaign, curve = simulate_campaign(s, seed=seed, commodity=commodity)
                earliest_arrival = curve if earliest_arrival is None else earliest_arrival
            except (ChokepointError, ValueError) as e:
                notes.append(f"No campaign simulated: {e}")
    elif campaign is False:
        campaign = None
    arr = to_series(arrivals)
    bound = to_series(earliest_arrival)
    back = to_series(backlog)
    if campaign is not None:
        c_arr, c_back, c_x = campaign_series(campaign)
        arr, back = [*c_arr, *arr], [*c_back, *back]
        x_label = c_x if x_label == "days" else x_label
        quantity_unit = quantity_unit or "containers"
        if earliest_arrival is not None and hasattr(earliest_arrival, "cumulative"):
            try:  # the flow bound is in the base quantity (tonnes): express it in containers
                per = s.units.quantity_factor("container")
                bound = [Series(x.name, x.x, x.y / per) for x in bound]
            except ValueError:
                pass
    # a column of `arrivals` named like a bound counts as the bound
    bound += [x for x in arr if "bound" in x.name.lower() or "earliest" in x.name.lower()]
    arr = [x for x in arr if all(x is not y for y in bound)]
    epoch = campaign.baseline.epoch if campaign is not None else None
    if not (s.sources and s.sinks) and not s.commodities:
        notes.append("No throughput figures: the network names no flow terminals (give "
                     "sources and sinks, or a scenario with commodities).")
    return ReportData(scenario=s, brief=b, ranking=table, arrivals=arr, earliest=bound,
                      backlog=back, x_label=x_label, quantity_unit=quantity_unit,
                      title=title or s.name, notes=notes, events=_events(s, epoch))


def with_terminals(s: Scenario, sources: Sequence[str], sinks: Sequence[str]) -> Scenario:
    """``s`` with ``sources``/``sinks`` as its flow terminals (unchanged when none given)."""
    if not sources and not sinks:
        return s
    from chokepoint.errors import InputError

    known = set(s.network.nodes["id"].astype(str))
    for side, ids in (("source", sources), ("sink", sinks)):
        for x in ids:
            if x not in known:
                raise InputError(f"no node {x!r} (the {side} must be a node id)",
                                 source=s.path, element=x)
    import dataclasses

    return dataclasses.replace(s, sources=list(sources or s.sources),
                               sinks=list(sinks or s.sinks))


def _events(s: Scenario, epoch: Any) -> list[Event]:
    """The scenario's disruptions as chart events: days since the campaign's ``epoch``
    when there is one (else dates, for datetime axes)."""
    out = []
    for d in s.disruptions:
        name = re.sub(r"\s*\([^()]*\)", "", s.network.describe(d.element) or d.element)
        label = f"{name}, {d.start:%d %b %Y %H:%M}"
        if epoch is not None:
            out.append(Event((d.start - epoch).total_seconds() / 86400.0, label))
        out.append(Event(np.datetime64(d.start.replace(tzinfo=None), "s"), label))
    return out


# -- HTML pieces --------------------------------------------------------------------------------

def _fmt(v: Any, digits: int = 1) -> str:
    if v is None:
        return "—"
    if isinstance(v, bool | np.bool_):
        return "yes" if v else ""
    if isinstance(v, float | np.floating):
        f = float(v)
        if math.isnan(f):
            return "—"
        if math.isinf(f):
            return "unlimited" if f > 0 else "−∞"
        return f"{f:,.{digits}f}"
    return html.escape(str(v))


def table_html(frame: pd.DataFrame, *, cols: Sequence[str] | None = None,
               caption: str = "", max_rows: int = 500, table_id: str = "") -> str:
    """A sortable HTML table of ``frame`` (numbers right-aligned, at most ``max_rows``)."""
    cols = [c for c in (cols or list(frame.columns)) if c in frame.columns]
    head = "".join(f"<th>{html.escape(str(c))}</th>" for c in cols)
    rows = []
    for rec in frame.head(max_rows)[cols].itertuples(index=False):
        cells = []
        for v in rec:
            num = isinstance(v, int | float | np.integer | np.floating) and not isinstance(
                v, bool)
            cells.append(f'<td class="{"n" if num else "t"}">{_fmt(v, 2)}</td>')
        rows.append("<tr>" + "".join(cells) + "</tr>")
    more = (f"<p class='note'>{len(frame) - max_rows} more rows in the CSV.</p>"
            if len(frame) > max_rows else "")
    cap = f"<caption>{html.escape(caption)}</caption>" if caption else ""
    tid = f' id="{html.escape(table_id)}"' if table_id else ""
    return (f'<div class="tablewrap"><table class="sortable"{tid}>{cap}<thead><tr>{head}</tr>'
            f"</thead><tbody>{''.join(rows)}</tbody></table></div>{more}")


def _figures(d: ReportData) -> list[tuple[str, str]]:
    """Key figures as (label, value) pairs."""
    s, data = d.scenario, d.brief.data
    net = s.network
    out: list[tuple[str, str]] = []
    for key, label in (("max_flow", "Maximum throughput"),
                       ("max_flow_disrupted", "Maximum throughput, all disruptions")):
        if key in data:
            mf = data[key]
            vals = " = ".join(f"{_fmt(v)} {html.escape(u)}"
                              for u, v in mf["in_report_units"].items())
            ends = (f"{' + '.join(net.node_name(x) for x in mf['sources'])} → "
                    f"{' + '.join(net.node_name(x) for x in mf['sinks'])}")
            if mf.get("commodity"):  # the shipment along its route rules
                ends = f"{mf.get('label') or mf['commodity']}, along its route: {ends}"
            out.append((f"{label} ({html.escape(ends)})", vals))
            out.append((f"Bottleneck ({'disrupted' if 'disrupted' in key else 'intact'})",
                        html.escape("; ".join(c["name"] for c in mf["cut"]) or "—")))
    if "served" in data:
        sv = data["served"]
        out.append(("Served demand, all traffic",
                    f"{_fmt(d.rate(sv['total_served']))} of {_fmt(d.rate(sv['total_demand']))} "
                    f"{html.escape(d.unit)}"))
    for r in data.get("routes", []):
        if r["commodity"] != "flow" or not r["found"]:
            continue
        txt = f"{_fmt(r['time_days'])} days, {_fmt(r['length_km'], 0)} km"
        dis = r.get("disrupted")
        if dis:
            txt += (f"; with disruptions {_fmt(dis['time_days'])} days, "
                    f"{_fmt(dis['length_km'], 0)} km" if dis["found"] else
                    "; with disruptions: no route")
        out.append(("Fastest route, flow terminals", txt))
    out += _more_figures(d)
    return out


def _more_figures(d: ReportData) -> list[tuple[str, str]]:
    """Served demand after the disruptions, their time-aware cost beside the labelled worst
    case, the worst-k statements and the campaign's delay."""
    data = d.brief.data
    out: list[tuple[str, str]] = []
    if "served_disrupted" in data and "served" in data:
        sv, sd = data["served"], data["served_disrupted"]
        out.append(("Served demand, all traffic, all disruptions at once",
                    f"{_fmt(d.rate(sd['total_served']))} of "
                    f"{_fmt(d.rate(sv['total_demand']))} {html.escape(d.unit)}"))
    cost = data.get("disruption_cost")
    if cost:
        out.append(("Disruption cost over their dates (time-aware)",
                    html.escape(fmt(cost["loss_t"], "t", digits=0)
                                + f" in {fmt(cost['horizon_days'], 'days', digits=0)}")))
        out.append(("Worst case: all disruptions at once, for ever (same period)",
                    html.escape(fmt(cost["worst_case_loss_t"], "t", digits=0))))
    for q in data.get("worst_failures", []):
        for f in q["failures"]:
            out.append((f"Worst {f['k']} failure(s), {html.escape(q['question'])}",
                        html.escape(f["text"])))
    camp = data.get("campaign", {})
    delay = camp.get("delay") if isinstance(camp, dict) else None
    if isinstance(delay, dict):
        out.append(("Campaign delay against the undisrupted run",
                    html.escape(f"mean {fmt(delay.get('mean_h'), 'h')}, max "
                                f"{fmt(delay.get('max_h'), 'h')}")))
    return out


def _findings_html(d: ReportData) -> str:
    """The computed "what this means" block that heads the report."""
    found = d.brief.data.get("findings") or []
    if not found:
        return ""
    items = "".join(f"<li><b>{html.escape(f['title'])}.</b> {html.escape(f['text'])}</li>"
                    for f in found)
    return f"<section id='findings'><h2>What this means</h2><ul>{items}</ul></section>"


def _link_captions(d: ReportData, util: dict[str, float]) -> dict[str, str]:
    links = d.brief.links
    u = d.unit
    ucol = f"capacity_{u}"
    caps: dict[str, str] = {}
    mf = d.brief.data.get("max_flow", {})
    who = mf.get("commodity") or "the flow terminals"
    for rec in links.to_dict("records"):
        lines = [f"capacity {_fmt(rec.get(ucol, rec['capacity']))} {u}"]
        if "flow" in rec and rec["flow"] == rec["flow"]:
            lines.append(f"max flow of {who} here {_fmt(d.rate(abs(float(rec['flow']))))} {u}")
        if "lp_load" in rec:
            lines.append(f"load (all traffic) {_fmt(d.rate(float(rec['lp_load'])))} {u}")
        v = util.get(str(rec["id"]))
        if v is not None and math.isfinite(v):
            lines.append(f"utilisation {100 * v:.0f} %")
        if rec.get("in_min_cut"):
            lines.append(f"in the minimum cut of {who}")
        caps[str(rec["id"])] = "\n".join(html.unescape(x) for x in lines)
    return caps


def _disrupted(d: ReportData) -> list[str]:
    return [x["element"] for x in d.brief.data.get("disruptions", [])]


def _terminals(d: ReportData) -> list[str]:
    mf = d.brief.data.get("max_flow", {})
    return [*mf.get("sources", []), *mf.get("sinks", [])]


def _cut(d: ReportData) -> list[str]:
    mf = d.brief.data.get("max_flow")
    return [c["id"] for c in mf["cut"]] if mf else []


def render_report(d: ReportData, *, generated: str | None = None,
                  charts: list[Chart] | None = None) -> str:
    """The report's HTML text (``charts``: the figures of :func:`report_charts`, drawn once
    and shared with the PNG files; drawn here when not given)."""
    s = d.scenario
    net = s.network
    data = d.brief.data
    util = d.utilisation()
    caps = _link_captions(d, util)
    terminals = _terminals(d)
    sections: list[str] = [_findings_html(d)]
    figs = "".join(f"<tr><th>{k}</th><td>{v}</td></tr>" for k, v in _figures(d))
    n = data["network"]
    sections.append(
        f"<section id='summary'><p>{html.escape(s.description)}</p>"
        f"<p>{n['nodes']} nodes, {n['links']} links, {n['failure_groups']} failure groups, "
        f"{n['length_km']:,.0f} km.</p><table class='figures'>{figs}</table></section>")
    map_util = network_svg(net, MapStyle(values=util, label="utilisation (load / capacity)",
                                         cut=_cut(d), disrupted=_disrupted(d), captions=caps,
                                         terminals=terminals), element_id="map-utilisation",
                           layout=d.layout)
    mf = data.get("max_flow", {})
    whose = (f"of the shipment {mf.get('label') or mf['commodity']} (along its route rules)"
             if mf.get("commodity") else "between the flow terminals")
    sections.append("<section id='maps'><h2>Map: utilisation, minimum cut and disruptions</h2>"
                    "<p class='note'>Hover a line or node for names and figures. Black casing: "
                    f"the minimum cut {html.escape(whose)}, intact network; large circles: its "
                    "origin and destination; red crosses: the scenario's disruptions.</p>"
                    f"<div class='map'>{map_util}</div><p id='hover' class='note'></p>")
    crit, clabel = d.criticality()
    if crit:
        sections.append(
            "<h2>Map: criticality</h2>"
            + "<div class='map'>"
            + network_svg(net, MapStyle(values=crit, label=clabel, cut=_cut(d),
                                        disrupted=_disrupted(d), captions=caps,
                                        terminals=terminals), element_id="map-criticality",
                                        layout=d.layout)
            + "</div>")
    sections.append("</section>")

    notes = "".join(f"<p class='note'>{html.escape(n)}</p>" for n in d.notes)
    drawn = charts if charts is not None else report_charts(d)
    body = "".join(f"<h3>{html.escape(c.heading)}</h3><div class='figure'>{c.svg()}</div>"
                   f"{c.table}" for c in drawn)
    if not drawn:
        body = ("<p class='note'>No charts: the report was given no time series, and the "
                "scenario has no ranking or demands to chart.</p>")
    sections.append("<section id='charts'><h2>Charts</h2>" + notes + body + "</section>")

    tables: list[str] = ["<section id='tables'><h2>Tables</h2>"]
    for key, label in (("max_flow", "Minimum cut (intact)"),
                       ("max_flow_disrupted", "Minimum cut (all disruptions)")):
        if key in data:
            tables.append(table_html(pd.DataFrame(data[key]["cut"]), caption=label,
                                     cols=["id", "name", "kind", "source"]))
    if data.get("disruptions"):
        tables.append(table_html(pd.DataFrame(data["disruptions"]), caption="Disruptions"))
    if data.get("routes"):
        rows = []
        for r in data["routes"]:
            dis = r.get("disrupted") or {}
            rows.append({"flow": r["commodity"], "origin": r["origin"],
                         "destination": r["destination"], "time_days": r["time_days"],
                         "length_km": r["length_km"],
                         "disrupted_time_days": dis.get("time_days"),
                         "via": " → ".join(r["via"])})
        tables.append(table_html(pd.DataFrame(rows), caption="Fastest routes"))
    if len(d.brief.demands):
        dem = d.brief.demands
        tables.append(table_html(dem, caption=f"Demands (base unit {s.units.base})",
                                 cols=["id", "kind", "origin", "destination", "priority",
                                       *[c for c in dem.columns if c.endswith(d.unit)]]))
    if d.ranking is not None and len(d.ranking):
        tables.append(table_html(d.ranking, caption="Criticality ranking",
                                 cols=_ranking_cols(d.ranking), table_id="ranking"))
    lk = d.brief.links
    tables.append(table_html(lk, caption="Links", table_id="links", cols=[
        "id", "name", "from", "to", "mode", "structure", "group", "length_km", "time_h",
        f"capacity_{d.unit}", "flow", "lp_load", "utilisation", "in_min_cut", "flow_disrupted"]))
    tables.append("</section>")
    sections += tables
    when = generated or dt.date.today().isoformat()
    return _page(d.title, sections, when)


def _ranking_cols(r: pd.DataFrame) -> list[str]:
    want = ["rank", "element", "name", "kind", "throughput_loss", "throughput_loss_rel",
            "served_loss", "served_loss_Mt_per_yr", "pairs_cut", "detour_max_increase_h",
            "has_alternative"]
    return [c for c in want if c in r.columns] + [
        c for c in r.columns if c.startswith("throughput_loss_") and c not in want
        and c != "throughput_loss_rel"]


#: The ranking's own order (chokepoint.workflows.ranking sorts by the first of these it has): the
#: column each sort key is shown as, whether it is a rate, and its label.
_RANK_KEYS = (("objective_loss", "served_loss", True, "served demand lost"),
              ("throughput_loss", "throughput_loss", True, "throughput loss"),
              ("pairs_cut", "pairs_cut", False, "origin-destination pairs cut"),
              ("detour_max_increase_h", "detour_max_increase_h", False, "longest detour (h)"))


def _rank_measure(r: pd.DataFrame) -> tuple[str, bool, str] | None:
    """The column that drives the ranking's order (its first non-zero sort key)."""
    for key, col, is_rate, label in _RANK_KEYS:
        if key in r.columns and col in r.columns and np.nansum(
                np.abs(r[key].to_numpy(dtype=float))) > 0:
            return col, is_rate, label
    return None


def _ranking_bars(d: ReportData) -> tuple[list[str], list[float], str] | None:
    """Names, values and axis label of the ranking's top elements; None when no measure is
    non-zero (nothing to chart)."""
    r = d.ranking
    assert r is not None
    top = r.head(TOP_N)
    names = [str(n) for n in top["name"]]
    m = _rank_measure(r)
    if m is None:
        return None
    col, is_rate, label = m
    if col == "served_loss" and "served_loss_Mt_per_yr" in top.columns:  # bulk traffic
        return (names, [float(v) for v in top["served_loss_Mt_per_yr"]],
                f"{label}, all traffic (Mt/yr)")
    vals = top[col].to_numpy(dtype=float)
    if is_rate:
        return names, [d.rate(v) for v in vals], f"{label} ({d.unit})"
    return names, [float(v) for v in vals], label


@dataclass
class Chart:
    """One chart of the report: drawn once (matplotlib), shown inline as SVG and written as
    ``figures/<key>.png``; ``table`` is the HTML of the data behind it (may be empty)."""

    key: str
    heading: str
    fig: Any
    table: str = ""

    def svg(self) -> str:
        """The chart as inline SVG."""
        from chokepoint.report.figures import to_svg

        return to_svg(self.fig, key=self.key, title=self.heading)


def _quantity(d: ReportData) -> str:
    q = d.quantity_unit or (d.unit.removesuffix("/day") if d.unit.endswith("/day") else "")
    return q or f"quantity ({d.scenario.units.base})"


def report_charts(d: ReportData) -> list[Chart]:
    """Every chart of the report, each drawn once (needs matplotlib; none without it)."""
    import importlib.util

    if importlib.util.find_spec("matplotlib") is None:
        return []
    from chokepoint.report import figures as f

    q = _quantity(d)
    out: list[Chart] = []
    if d.arrivals or d.earliest:
        series = [*d.arrivals, *d.earliest]
        names = [x.name for x in d.arrivals]
        out.append(Chart("arrivals", "Cumulative arrivals", f.line_chart(
            series, title="Cumulative arrivals", x_label=d.x_label, y_label=q,
            dashed=[x.name for x in d.earliest], events=d.events,
            diff=(names[0], names[1]) if len(names) >= 2 else None),
            "<details><summary>table</summary>" + table_html(to_table(series),
                                                               caption="arrivals")
            + "</details>"))
    if d.backlog:
        out.append(Chart("backlog", "Backlog over time", f.line_chart(
            d.backlog, title="Yard backlog", x_label=d.x_label, y_label=q, steps=True,
            events=d.events, panels=True),
            "<details><summary>table</summary>" + table_html(to_table(d.backlog),
                                                               caption="backlog")
            + "</details>"))
    if d.ranking is not None and len(d.ranking):
        bars = _ranking_bars(d)
        if bars is not None:
            labels, values, xl = bars
            out.append(Chart("ranking", f"Criticality ranking (top {len(labels)})",
                             f.bar_chart(labels, values, title="Criticality ranking",
                                         x_label=xl)))
    dem = d.brief.demands
    if "served" in d.brief.data and len(dem):
        out.append(_served_chart(d, dem))
    tornado = _tornado(d)
    if tornado is not None:
        out.append(tornado)
    return out


def _served_chart(d: ReportData, dem: pd.DataFrame) -> Chart:
    """Served and unmet share of each demand; each bar names its figures in the demand's
    own display unit (containers in TEU/day, bulk exports in Mt/yr)."""
    from chokepoint.report import figures as f
    from chokepoint.workflows.shipment import display_unit

    s = d.scenario
    net = s.network
    by_id = {x.id: x for x in s.demands}
    labels, share, texts = [], [], []
    for rec in dem.to_dict("records"):
        x = by_id.get(str(rec["id"]))
        unit = display_unit(s, x) if x is not None else d.unit
        conv = (lambda v, u=unit: s.units.from_base(float(v), u)) if unit != s.units.base \
            else float
        total = float(rec["demand"])
        share.append(100.0 * float(rec["served"]) / total if total > 0 else 100.0)
        texts.append(f"{fmt(conv(rec['served']), unit)} of {fmt(conv(total), unit)}")
        labels.append(f"{rec['id']}: {net.node_name(str(rec['origin']))} → "
                      f"{net.node_name(str(rec['destination']))}")
    return Chart("served", "Served and unmet demand per flow", f.bar_chart(
        labels, share, rest=[100.0 - v for v in share], texts=texts,
        title="Served demand, all traffic competing (intact network)",
        x_label="share of the demand served (%)", value_label="served", rest_label="unmet"))


def _tornado(d: ReportData) -> Chart | None:
    """The weak-point finding's one-at-a-time sensitivity as a tornado chart."""
    from chokepoint.report import figures as f

    found = next((x for x in d.brief.data.get("findings") or []
                  if x.get("key") == "weak_point"), None)
    bars = (found or {}).get("figures", {}).get("tornado") or []
    if not bars:
        return None
    panels = []
    for key in dict.fromkeys(b["answer"] for b in bars):
        mine = [b for b in bars if b["answer"] == key]
        panels.append((f"{mine[0]['title']} ({mine[0]['unit']})", mine[0]["base"], [
            f.TornadoBar(f"{b['name']} ({b['low']:g}–{b['high']:g} "
                         f"{b['assumption_unit'].replace('_', ' ')})", b["at_low"],
                         b["at_high"]) for b in mine]))
    rows = pd.DataFrame([{k: b[k] for k in ("answer", "unit", "assumption", "low", "high",
                                            "at_low", "base", "at_high")} for b in bars])
    return Chart("tornado", "Sensitivity of the weak-point answers", f.tornado_chart(
        panels, title="Each assumption at the ends of its range, the others at the "
        "scenario's values"), "<details><summary>table</summary>"
        + table_html(rows, caption="tornado") + "</details>")


_STYLE = """
body{font-family:system-ui,sans-serif;max-width:72em;margin:1.5em auto;padding:0 1em;color:#222}
h1{font-size:1.5em}h2{border-bottom:1px solid #ddd;padding-bottom:.2em;margin-top:1.6em}
table{border-collapse:collapse;margin:.6em 0;font-size:.9em}
td,th{border:1px solid #d5d9de;padding:2px 6px;vertical-align:top}
td.n{text-align:right;font-variant-numeric:tabular-nums}th{background:#f1f3f5}
table.sortable th{cursor:pointer}caption{text-align:left;font-weight:bold;padding:.3em 0}
table.figures th{text-align:left;font-weight:normal;background:none}
.note{color:#555;font-size:.9em}.map{border:1px solid #ccc;overflow-x:auto}
svg.chart{max-width:820px;width:100%;height:auto;display:block}
.figure{overflow-x:auto}
@media (max-width:700px){.map svg{min-width:680px}svg.chart{min-width:600px}}
.tablewrap{overflow-x:auto;max-width:100%}
.network-map .link:hover .stroke{stroke-width:8}
details{margin:.3em 0 1em}footer{margin-top:3em;color:#777;font-size:.85em}
"""

_SCRIPT = """
document.querySelectorAll('table.sortable th').forEach(function(th, i){
  th.addEventListener('click', function(){
    var tb = th.closest('table').tBodies[0], rows = Array.from(tb.rows);
    var asc = th.dataset.asc !== '1'; th.dataset.asc = asc ? '1' : '0';
    var key = function(r){ var t = r.cells[i].textContent.replace(/,/g, '');
      var v = parseFloat(t); return isNaN(v) ? t : v; };
    rows.sort(function(a, b){ var x = key(a), y = key(b);
      return (x > y ? 1 : x < y ? -1 : 0) * (asc ? 1 : -1); });
    rows.forEach(function(r){ tb.appendChild(r); });
  });
});
var hover = document.getElementById('hover');
document.querySelectorAll('.network-map [data-id]').forEach(function(g){
  g.addEventListener('mouseenter', function(){
    var t = g.querySelector('title'); if (hover && t) hover.textContent = t.textContent;
  });
});
"""


def _page(title: str, sections: list[str], when: str) -> str:
    return (
        "<!doctype html>\n<html lang='en'><head><meta charset='utf-8'>"
        f"<meta http-equiv='Content-Security-Policy' content=\"{CSP}\">"
        "<meta name='viewport' content='width=device-width, initial-scale=1'>"
        f"<title>chokepoint report — {html.escape(title)}</title><style>{_STYLE}</style>"
        f"</head><body><h1>chokepoint report — {html.escape(title)}</h1>"
        + "\n".join(sections)
        + f"<footer>Generated by chokepoint on {html.escape(when)}. Self-contained: no "
        "network requests (Content-Security-Policy default-src 'none').</footer>"
        f"<script>{_SCRIPT}</script></body></html>\n")


def write_report(source: Brief | Scenario, out_dir: str | Path, *,
                 scenario: Scenario | None = None,
                 ranking: pd.DataFrame | bool | None = None,
                 arrivals: Any = None, earliest_arrival: Any = None, backlog: Any = None,
                 campaign: Any = None, seed: int = 0, x_label: str = "days",
                 quantity_unit: str = "", title: str = "", png: bool = True,
                 generated: str | None = None, unit: bool = True,
                 sources: Sequence[str] = (), sinks: Sequence[str] = (),
                 commodity: str | None = None) -> list[Path]:
    """Write the offline report of a scenario to ``out_dir``.

    Parameters
    ----------
    source
        A :class:`~chokepoint.scenario.Scenario` (briefed here) or a finished
        :class:`~chokepoint.workflows.brief.Brief` (then pass ``scenario=`` too: the map needs the
        network).
    out_dir
        Folder to write into (created if missing).
    ranking
        A criticality table from :func:`chokepoint.workflows.ranking.criticality` (links or failure
        groups give the criticality map; any kind gives the ranking chart and table),
        ``True`` to compute the link ranking here, ``None`` (default) for the brief's own
        ranking if it has one, ``False`` for none.
    arrivals, earliest_arrival, backlog
        Optional time series (see :mod:`chokepoint.report.charts` for the accepted shapes):
        cumulative arrivals (e.g. columns ``undisrupted``, ``disrupted``), the earliest-arrival
        bound (drawn dashed; an :class:`~chokepoint.analyses.dynamic.ArrivalCurve` works, and
        a column of ``arrivals`` whose name contains "bound" or "earliest" counts too), and
        backlog. Charts are drawn only for what is given.
    campaign
        A :class:`chokepoint.simulate.CampaignResult`: its cumulative deliveries (undisrupted
        and disrupted) join ``arrivals`` and its yard backlogs join ``backlog``, x in days
        since the campaign's start, quantities in containers (an ``ArrivalCurve`` bound is
        converted from tonnes). ``True`` simulates here with ``seed`` and adds the matching
        earliest-arrival bound (:func:`simulate_campaign`); if the scenario has no
        commodities or the simulation refuses it, the report says so and goes on.
    x_label, quantity_unit
        Axis labels of the time series (quantity defaults to the report unit without
        ``/day``, e.g. ``TEU``).
    png
        Also write PNG figures (needs matplotlib, the ``report`` extra).
    generated
        The date printed in the footer (default: today).
    unit
        Write ``out_dir`` as a unit (:func:`~chokepoint.io.write.atomic_dir`: a temporary
        sibling swapped in at the end, stale files gone); False when the caller already
        writes into such a temporary folder.
    sources, sinks
        Node ids for the throughput figures, on the whole network (default: the shipment of
        ``commodity``).
    commodity
        The commodity whose shipment the throughput figures, the map's minimum cut and the
        campaign charts follow, along its route rules (default: the first commodity; see
        :func:`chokepoint.workflows.shipment.shipment`).

    Returns
    -------
    list of Path
        ``report.html``, ``figures/*.png`` and ``tables/*.csv``, in that order.
    """
    d = build_report_data(source, scenario=scenario, ranking=ranking, arrivals=arrivals,
                          earliest_arrival=earliest_arrival, backlog=backlog,
                          campaign=campaign, seed=seed, x_label=x_label,
                          quantity_unit=quantity_unit, title=title, sources=sources,
                          sinks=sinks, commodity=commodity)
    out = Path(out_dir)
    if not unit:
        return _write_parts(d, out, png=png, generated=generated)
    with atomic_dir(out) as tmp:  # the folder appears as a unit; stale parts are removed
        written = _write_parts(d, tmp, png=png, generated=generated)
    return [out / p.relative_to(tmp) for p in written]


def _write_parts(d: ReportData, out: Path, *, png: bool, generated: str | None) -> list[Path]:
    charts = report_charts(d)
    written = [write_text(out / "report.html", render_report(d, generated=generated,
                                                             charts=charts))]
    if png:
        written += _write_pngs(d, out / "figures", charts)
    written += _write_tables(d, out / "tables")
    return written


def _write_pngs(d: ReportData, folder: Path, charts: list[Chart]) -> list[Path]:
    from chokepoint.report import figures as f
    from chokepoint.report.mappng import map_png

    out = [map_png(d.scenario.network, folder / "map_utilisation.png", values=d.utilisation(),
                   label="utilisation (load / capacity)", cut=_cut(d),
                   disrupted=_disrupted(d), layout=d.layout, terminals=_terminals(d),
                   title=f"{d.title}: utilisation, min cut, disruptions")]
    crit, clabel = d.criticality()
    if crit:
        out.append(map_png(d.scenario.network, folder / "map_criticality.png", values=crit,
                           label=clabel, cut=_cut(d), disrupted=_disrupted(d), layout=d.layout,
                           terminals=_terminals(d), title=f"{d.title}: criticality"))
    out += [f.to_png(c.fig, folder / f"{c.key}.png") for c in charts]
    return out


def _write_tables(d: ReportData, folder: Path) -> list[Path]:
    out = [write_csv(folder / "links.csv", d.brief.links)]
    if len(d.brief.demands):
        out.append(write_csv(folder / "demands.csv", d.brief.demands))
    if d.ranking is not None:
        out.append(write_csv(folder / "ranking.csv", d.ranking))
    if d.arrivals or d.earliest:
        out.append(write_csv(folder / "arrivals.csv", to_table([*d.arrivals, *d.earliest])))
    if d.backlog:
        out.append(write_csv(folder / "backlog.csv", to_table(d.backlog)))
    return out
