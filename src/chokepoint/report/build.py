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
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from chokepoint import cancel
from chokepoint.formatting import fmt
from chokepoint.io.write import atomic_dir, write_csv, write_text
from chokepoint.report._maplayout import MapLayout, map_layout
from chokepoint.report.charts import Series, to_series, to_table
from chokepoint.report.figures import Event
from chokepoint.report.svgmap import MapStyle, network_svg
from chokepoint.scenario import Scenario
from chokepoint.workflows import views
from chokepoint.workflows.brief import Brief
from chokepoint.workflows.files import plain_columns

__all__ = ["Chart", "ReportData", "build_report_data", "campaign_series", "map_svgs",
           "render_report", "report_charts", "with_terminals", "write_report"]

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
        """Link id → utilisation (:func:`chokepoint.workflows.views.utilisation`)."""
        return views.utilisation(self.brief.links)

    def criticality(self) -> tuple[dict[str, float], str]:
        """Link id → criticality in [0, 1] and its label
        (:func:`chokepoint.workflows.views.criticality_values`)."""
        return views.criticality_values(self.scenario, self.ranking)


def campaign_series(result: Any) -> tuple[list[Series], list[Series], str]:
    """Cumulative deliveries and yard backlogs of a campaign simulation as chart series
    (computed by :func:`chokepoint.workflows.views.campaign_series`)."""
    arrivals, backlog, x_label = views.campaign_series(result)
    return to_series(arrivals), to_series(backlog), x_label


def build_report_data(source: Any, *, scenario: Scenario | None = None,
                      ranking: pd.DataFrame | bool | None = None, arrivals: Any = None,
                      earliest_arrival: Any = None, backlog: Any = None,
                      campaign: Any = None, seed: int = 0, x_label: str = "days",
                      quantity_unit: str = "", title: str = "",
                      sources: Sequence[str] = (), sinks: Sequence[str] = (),
                      commodity: str | None = None) -> ReportData:
    """Resolve :func:`write_report`'s inputs: everything computed comes from
    :func:`chokepoint.workflows.views.report_view`; the time series given here are only
    normalised (:func:`~chokepoint.report.charts.to_series`)."""
    if isinstance(source, Scenario):
        with_terminals(source, sources, sinks)  # checks the node ids
    curve = earliest_arrival if hasattr(earliest_arrival, "cumulative") else None
    v = views.report_view(source, scenario=scenario, ranking=ranking, campaign=campaign,
                          earliest_arrival=curve, seed=seed, sources=sources, sinks=sinks,
                          commodity=commodity)
    arr = [*to_series(v.arrivals), *to_series(arrivals)]
    bound = [*to_series(v.earliest), *(to_series(earliest_arrival) if curve is None else [])]
    back = [*to_series(v.backlog), *to_series(backlog)]
    # a column of `arrivals` named like a bound counts as the bound
    bound += [x for x in arr if "bound" in x.name.lower() or "earliest" in x.name.lower()]
    arr = [x for x in arr if all(x is not y for y in bound)]
    return ReportData(scenario=v.scenario, brief=v.brief, ranking=v.ranking, arrivals=arr,
                      earliest=bound, backlog=back,
                      x_label=v.x_label if x_label == "days" else x_label,
                      quantity_unit=quantity_unit or v.quantity_unit,
                      title=title or v.scenario.name, notes=v.notes,
                      events=[Event(x, label) for x, label in v.events])


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


# -- HTML pieces --------------------------------------------------------------------------------

def _fmt(v: Any, digits: int = 1) -> str:
    """A cell's text through the one formatter (:func:`chokepoint.formatting.fmt`)."""
    if isinstance(v, bool | np.bool_):
        return "yes" if v else ""
    if isinstance(v, float | np.floating | int | np.integer):
        return html.escape(fmt(float(v), digits=digits) if isinstance(v, float | np.floating)
                           else fmt(int(v)))
    return html.escape(v if isinstance(v, str) else fmt(v))


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
    """Key figures as escaped (label, value) pairs
    (:func:`chokepoint.workflows.views.key_figures`)."""
    return [(html.escape(k), html.escape(v))
            for k, v in views.key_figures(d.scenario, d.brief.data)]


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


def map_svgs(d: ReportData) -> list[str]:
    """The page's inline SVG maps: utilisation, then criticality when there is a ranking."""
    net = d.scenario.network
    util = d.utilisation()
    caps = _link_captions(d, util)
    terminals = _terminals(d)
    out = [network_svg(net, MapStyle(values=util, label="utilisation (load / capacity)",
                                     cut=_cut(d), disrupted=_disrupted(d), captions=caps,
                                     terminals=terminals), element_id="map-utilisation",
                       layout=d.layout)]
    crit, clabel = d.criticality()
    if crit:
        out.append(network_svg(net, MapStyle(values=crit, label=clabel, cut=_cut(d),
                                             disrupted=_disrupted(d), captions=caps,
                                             terminals=terminals),
                               element_id="map-criticality", layout=d.layout))
    return out


def render_report(d: ReportData, *, generated: str | None = None,
                  charts: list[Chart] | None = None, maps: list[str] | None = None) -> str:
    """The report's HTML text (``charts``: the figures of :func:`report_charts`, drawn once
    and shared with the PNG files; ``maps``: the SVG maps of :func:`map_svgs`; each drawn
    here when not given)."""
    s = d.scenario
    data = d.brief.data
    sections: list[str] = [_findings_html(d)]
    figs = "".join(f"<tr><th>{k}</th><td>{v}</td></tr>" for k, v in _figures(d))
    n = data["network"]
    sections.append(
        f"<section id='summary'><p>{html.escape(s.description)}</p>"
        f"<p>{n['nodes']} nodes, {n['links']} links, {n['failure_groups']} failure groups, "
        f"{n['length_km']:,.0f} km.</p><table class='figures'>{figs}</table></section>")
    drawn_maps = maps if maps is not None else map_svgs(d)
    mf = data.get("max_flow", {})
    whose = (f"of the shipment {mf.get('label') or mf['commodity']} (along its route rules)"
             if mf.get("commodity") else "between the flow terminals")
    sections.append("<section id='maps'><h2>Map: utilisation, minimum cut and disruptions</h2>"
                    "<p class='note'>Hover a line or node for names and figures. Black casing: "
                    f"the minimum cut {html.escape(whose)}, intact network; large circles: its "
                    "origin and destination; red crosses: the scenario's disruptions.</p>"
                    f"<div class='map'>{drawn_maps[0]}</div><p id='hover' class='note'></p>")
    if len(drawn_maps) > 1:
        sections.append(f"<h2>Map: criticality</h2><div class='map'>{drawn_maps[1]}</div>")
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
        tables.append(table_html(dem, caption="Demands, each in its own unit",
                                 cols=["id", "kind", "origin", "destination", "priority",
                                       "demand_in_unit", "served_in_unit", "unmet_in_unit",
                                       "unit"]))
    if d.ranking is not None and len(d.ranking):
        tables.append(table_html(d.ranking, caption="Criticality ranking",
                                 cols=_ranking_cols(d.ranking), table_id="ranking"))
    lk = plain_columns(d.brief.links)
    tables.append(table_html(lk, caption="Links (flows in t/day, the base unit)",
                             table_id="links", cols=[
        "id", "name", "from_node", "to_node", "mode", "structure", "group", "length_km",
        "time_h", plain_columns(pd.DataFrame(columns=[f"capacity_{d.unit}"])).columns[0],
        "flow_t_per_day", "lp_load_t_per_day", "utilisation", "in_min_cut",
        "flow_disrupted_t_per_day"]))
    tables.append("</section>")
    sections += tables
    when = generated or dt.date.today().isoformat()
    return _page(d.title, sections, when)


def _ranking_cols(r: pd.DataFrame) -> list[str]:
    """The ranking's columns a reader needs, each with its unit in its name: the shipment's
    throughput loss in its display unit, served demand lost in Mt/yr, each demand's own loss
    in its own unit."""
    col = (r.attrs.get("throughput") or {}).get("column", "throughput_loss")
    want = ["rank", "element", "name", "kind", col, "throughput_loss_rel",
            "served_loss_Mt_per_yr", *[c for c in r.columns if c.startswith("loss_")
                                       and "_per_" in c],
            "pairs_cut", "detour_max_increase_h", "has_alternative"]
    return [c for c in dict.fromkeys(want) if c in r.columns]


def _ranking_bars(d: ReportData) -> tuple[list[str], list[float], str] | None:
    """Names, values and axis label of the ranking's top elements
    (:func:`chokepoint.workflows.views.ranking_bars`)."""
    assert d.ranking is not None
    return views.ranking_bars(d.scenario, d.ranking, top_n=TOP_N)


@dataclass
class Chart:
    """One chart of the report: drawn once (matplotlib), shown inline as SVG and written as
    ``figures/<key>.png``; ``table`` is the HTML of the data behind it (may be empty)."""

    key: str
    heading: str
    fig: Any
    table: str = ""

    _svg: str | None = None

    def svg(self) -> str:
        """The chart as inline SVG (drawn at the first call)."""
        from chokepoint.report.figures import to_svg

        if self._svg is None:
            self._svg = to_svg(self.fig, key=self.key, title=self.heading)
        return self._svg


def _quantity(d: ReportData) -> str:
    q = d.quantity_unit or (d.unit.removesuffix("/day") if d.unit.endswith("/day") else "")
    return q or f"quantity ({d.scenario.units.base})"


def report_charts(d: ReportData) -> list[Chart]:
    """Every chart of the report, each drawn once (needs matplotlib; none without it);
    cancellable before each chart (:func:`chokepoint.cancel.check`)."""
    import importlib.util

    if importlib.util.find_spec("matplotlib") is None:
        return []
    from chokepoint.report import figures as f

    q = _quantity(d)
    out: list[Chart] = []
    cancel.check()  # each chart takes a fraction of a second: a timed-out report stops here
    if d.arrivals or d.earliest:
        series = [*d.arrivals, *d.earliest]
        names = [x.name for x in d.arrivals]
        out.append(Chart("arrivals", "Cumulative arrivals", f.line_chart(
            series, title="Cumulative arrivals", x_label=d.x_label, y_label=q,
            dashed=[x.name for x in d.earliest], events=d.events,
            diff=(names[0], names[1]) if len(names) >= 2 else None),
            "<details><summary>table</summary>" + table_html(
                to_table(series, x=d.x_label, y=f"{q} delivered"), caption="arrivals")
            + "</details>"))
    cancel.check()
    if d.backlog:
        out.append(Chart("backlog", "Backlog over time", f.line_chart(
            d.backlog, title="Yard backlog", x_label=d.x_label, y_label=q, steps=True,
            events=d.events, panels=True),
            "<details><summary>table</summary>" + table_html(
                to_table(d.backlog, x=d.x_label, y=f"{q} waiting"), caption="backlog")
            + "</details>"))
    cancel.check()
    if d.ranking is not None and len(d.ranking):
        bars = _ranking_bars(d)
        if bars is not None:
            labels, values, xl = bars
            out.append(Chart("ranking", f"Criticality ranking (top {len(labels)})",
                             f.bar_chart(labels, values, title="Criticality ranking",
                                         x_label=xl)))
    served = views.served_bars(d.scenario, d.brief)
    cancel.check()
    if served is not None:
        out.append(_served_chart(served))
    cancel.check()
    tornado = _tornado(d)
    if tornado is not None:
        out.append(tornado)
    for c in out:  # laid out once: the SVG and the PNG each drawn once, at these positions
        f.lay_out(c.fig)
    return out


def _served_chart(served: tuple[list[str], list[float], list[str], str]) -> Chart:
    """Served and unmet share of each demand; each bar names its figures in the demand's
    own display unit (computed by :func:`chokepoint.workflows.views.served_bars`)."""
    from chokepoint.report import figures as f

    labels, share, texts, x_label = served
    return Chart("served", "Served and unmet demand per flow", f.bar_chart(
        labels, share, rest=[100.0 - v for v in share], texts=texts,
        title="Served demand, all traffic competing (intact network)",
        x_label=x_label, value_label="served", rest_label="unmet"))


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


def write_report(source: Any, out_dir: str | Path, *,
                 scenario: Scenario | None = None,
                 ranking: pd.DataFrame | bool | None = None,
                 arrivals: Any = None, earliest_arrival: Any = None, backlog: Any = None,
                 campaign: Any = None, seed: int = 0, x_label: str = "days",
                 quantity_unit: str = "", title: str = "", png: bool = True,
                 generated: str | None = None, unit: bool = True,
                 sources: Sequence[str] = (), sinks: Sequence[str] = (),
                 commodity: str | None = None, fork: bool = False) -> list[Path]:
    """Write the offline report of a scenario to ``out_dir``.

    Parameters
    ----------
    source
        A :class:`~chokepoint.workflows.study.Study` (everything computed: the report renders
        it), a :class:`~chokepoint.scenario.Scenario` (studied by the workflows first) or a
        finished :class:`~chokepoint.workflows.brief.Brief` (then pass ``scenario=`` too: the
        map needs the network).
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
        earliest-arrival bound (:mod:`chokepoint.workflows.views`); if the scenario has no
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
    fork
        Draw the PNG files in a forked child process while this one writes the page and
        the tables (same files; a second core halves the wait). Ignored where forking is
        unsafe: with other threads running (the web server) or without ``os.fork``.

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
        return _write_parts(d, out, png=png, generated=generated, fork=fork)
    with atomic_dir(out) as tmp:  # the folder appears as a unit; stale parts are removed
        written = _write_parts(d, tmp, png=png, generated=generated, fork=fork)
    return [out / p.relative_to(tmp) for p in written]


def _write_parts(d: ReportData, out: Path, *, png: bool, generated: str | None,
                 fork: bool = False) -> list[Path]:
    """The page, the PNG files and the tables; with ``fork`` the maps (the page's SVG maps
    and the PNG maps) are drawn in a child process (:mod:`chokepoint.report._child`) while
    this one draws the charts (inline SVG, then the same figures as PNG) and writes the
    tables: the same files, in about half the time on two cores."""
    from chokepoint.report import _child
    from chokepoint.report.figures import preload

    folder = out / "figures"
    if fork:
        preload()  # matplotlib imported once, before the child is forked
    maps = _child.start(lambda: (map_svgs(d), _write_maps(d, folder) if png else []),
                        fork=fork)
    try:
        charts = report_charts(d)
        for c in charts:  # each figure as SVG first, then as PNG (as the page is written)
            c.svg()
        figures = _write_charts(folder, charts) if png else []
        tables = _write_tables(d, out / "tables")
        svgs, map_files = maps.result()
        page = write_text(out / "report.html", render_report(d, generated=generated,
                                                             charts=charts, maps=svgs))
        return [page, *map_files, *figures, *tables]
    finally:
        maps.cancel()


def _write_maps(d: ReportData, folder: Path) -> list[Path]:
    """The utilisation and criticality maps as PNG files."""
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
    return out


def _write_charts(folder: Path, charts: list[Chart]) -> list[Path]:
    """The charts as PNG files (after their inline SVG: the same figures, drawn again at
    the positions the SVG drawing laid out)."""
    from chokepoint.report import figures as f

    return [f.to_png(c.fig, folder / f"{c.key}.png") for c in charts]


def _write_tables(d: ReportData, folder: Path) -> list[Path]:
    out = [write_csv(folder / "links.csv", d.brief.links)]
    if len(d.brief.demands):
        out.append(write_csv(folder / "demands.csv", d.brief.demands))
    if d.ranking is not None:
        out.append(write_csv(folder / "ranking.csv", d.ranking))
    q = _quantity(d)
    if d.arrivals or d.earliest:
        out.append(write_csv(folder / "arrivals.csv", to_table(
            [*d.arrivals, *d.earliest], x=d.x_label, y=f"{q} delivered")))
    if d.backlog:
        out.append(write_csv(folder / "backlog.csv", to_table(d.backlog, x=d.x_label,
                                                               y=f"{q} waiting")))
    return out
