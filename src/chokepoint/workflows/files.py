"""Writing a briefing: JSON, CSV, GeoJSON and a short self-contained HTML summary.

Every file is written atomically (temporary file, then rename).
"""

from __future__ import annotations

import contextlib
import html
import json
from pathlib import Path
from typing import Any

import numpy as np

from chokepoint.io.results import geojson_links, geojson_nodes, write_table
from chokepoint.io.write import write_csv, write_json, write_text
from chokepoint.network import Network
from chokepoint.workflows.brief import Brief

__all__ = ["summary_html", "write_brief"]


def _fmt(v: Any) -> str:
    if isinstance(v, float):
        return f"{v:,.2f}" if np.isfinite(v) else ("∞" if v > 0 else "—")
    return html.escape(str(v))


def _table(rows: list[dict[str, Any]], cols: list[str]) -> str:
    head = "".join(f"<th>{html.escape(c)}</th>" for c in cols)
    body = "".join("<tr>" + "".join(f"<td>{_fmt(r.get(c, ''))}</td>" for c in cols) + "</tr>"
                   for r in rows)
    return f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


def summary_html(b: Brief) -> str:
    """A short self-contained HTML page of the briefing (no scripts, no external requests)."""
    d = b.data
    parts = [f"<h1>chokepoint — {html.escape(str(d['scenario']))}</h1>"]
    n = d["network"]
    parts.append(f"<p>{n['nodes']} nodes, {n['links']} links, {n['failure_groups']} failure "
                 f"groups, {n['length_km']:,.0f} km.</p>")
    for key, title in (("max_flow", "Maximum throughput"),
                       ("max_flow_disrupted", "Maximum throughput after the disruptions")):
        if key in d:
            mf = d[key]
            vals = ", ".join(f"{_fmt(v)} {html.escape(u)}" for u, v in
                             mf["in_report_units"].items())
            parts.append(f"<h2>{title}</h2><p>{html.escape(' + '.join(mf['sources']))} → "
                         f"{html.escape(' + '.join(mf['sinks']))}: <b>{vals}</b></p>")
            parts.append("<p>Minimum cut (the bottleneck):</p>" +
                         _table(mf["cut"], ["id", "name", "kind"]))
    if "served" in d:
        sv = d["served"]
        parts.append("<h2>Served and unmet demand (all traffic competing)</h2>")
        cols = ["id", "kind", "origin", "destination", "priority"]
        cols += [c for c in (b.demands.columns if len(b.demands) else []) if
                 c.startswith(("demand_", "served_", "unmet_"))]
        parts.append(_table(sv["demands"], cols))
        parts.append("<p>Where capacity binds:</p>" +
                     _table(sv["binding"], ["id", "name", "kind", "shadow_price"]))
    for r in d.get("routes", []):
        parts.append(f"<h2>Fastest route for {html.escape(r['commodity'])}</h2>")
        if r["found"]:
            parts.append(f"<p>{_fmt(r['time_h'])} h ({_fmt(r['time_days'])} days), "
                         f"{_fmt(r['length_km'])} km via "
                         f"{html.escape(' → '.join(r['via']))}</p>")
        dis = r.get("disrupted")
        if dis:
            txt = (f"{_fmt(dis['time_h'])} h, {_fmt(dis['length_km'])} km via "
                   f"{html.escape(' → '.join(dis['via']))}" if dis["found"]
                   else "no route remains")
            parts.append(f"<p>After the disruptions: {txt}</p>")
    style = ("body{font-family:sans-serif;max-width:60em;margin:2em auto}"
             "table{border-collapse:collapse}td,th{border:1px solid #ccc;padding:2px 6px}"
             "td{text-align:right}td:first-child,td:nth-child(2){text-align:left}")
    return (f"<!doctype html><html><head><meta charset='utf-8'><title>chokepoint</title>"
            f"<style>{style}</style></head><body>{''.join(parts)}</body></html>\n")


def write_brief(b: Brief, net: Network, out_dir: str | Path) -> list[Path]:
    """Write the briefing to ``out_dir``: summary.json, links.csv, demands.csv,
    links.geojson, nodes.geojson and summary.html. Returns the paths written."""
    out = Path(out_dir)
    written = [write_json(out / "summary.json", b.data), write_csv(out / "links.csv", b.links)]
    if len(b.demands):
        written.append(write_csv(out / "demands.csv", b.demands))
    written.append(write_text(out / "links.geojson",
                              json.dumps(geojson_links(net, b.links), allow_nan=False) + "\n"))
    written.append(write_text(out / "nodes.geojson",
                              json.dumps(geojson_nodes(net), allow_nan=False) + "\n"))
    if b.ranking is not None:
        written.append(write_csv(out / "criticality.csv", b.ranking))
        # the geo extra is optional; the CSV carries the same table
        with contextlib.suppress(ImportError):
            written.append(write_table(b.ranking, out / "criticality.gpkg", net, kind="group",
                                       layer="criticality", links=b.links))
    written.append(write_text(out / "summary.html", summary_html(b)))
    return written
