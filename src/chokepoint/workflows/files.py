"""Writing a briefing: JSON, CSV, GeoJSON and a short self-contained HTML summary.

Every file is written atomically (temporary file, then rename).
"""

from __future__ import annotations

import contextlib
import functools
import html
import json
import re
from pathlib import Path
from typing import Any

import pandas as pd

from chokepoint.formatting import fmt
from chokepoint.io.results import geojson_links, geojson_nodes, write_table
from chokepoint.io.write import write_csv, write_json, write_text
from chokepoint.network import Network
from chokepoint.scenario import Scenario
from chokepoint.units import BASE_RATE, UNITLESS
from chokepoint.workflows.brief import Brief

__all__ = ["plain_columns", "plain_name", "summary_html", "write_brief", "write_ranking"]

#: Output column renames: plain names that are no SQL keywords and say what they hold.
RENAMES = {"from": "from_node", "to": "to_node", "source": "citation",
           "capacity": "capacity_t_per_day", "flow": "flow_t_per_day",
           "flow_disrupted": "flow_disrupted_t_per_day", "lp_load": "lp_load_t_per_day",
           "demand": "demand_t_per_day", "served": "served_t_per_day",
           "unmet": "unmet_t_per_day", "throughput": "throughput_t_per_day",
           "throughput_without": "throughput_without_t_per_day",
           "throughput_loss": "throughput_loss_t_per_day",
           "throughput_flow": "throughput_flow_t_per_day",
           "served_loss": "served_loss_t_per_day",
           "objective_loss": "objective_loss_priority_weighted_t_per_day",
           "unit": "display_unit", "demand_in_unit": "demand_in_display_unit",
           "served_in_unit": "served_in_display_unit",
           "unmet_in_unit": "unmet_in_display_unit"}


def plain_name(col: str, *, base: str = BASE_RATE) -> str:
    """The name files and GIS layers give the column ``col`` (see :func:`plain_columns`);
    ``base`` is the network's base unit: a unitless network's rates get no unit suffix."""
    name = RENAMES.get(col, col)
    if base == UNITLESS:
        name = name.removesuffix("_t_per_day")
    elif name.startswith("loss_") and "_per_" not in name and "/" not in name:
        name += "_t_per_day"  # a demand's loss in the base unit
    return re.sub(r"\W+", "_", name.replace("/", "_per_")).strip("_")


def plain_columns(table: pd.DataFrame, *, base: str = BASE_RATE) -> pd.DataFrame:
    """``table`` with the column names files and GIS layers use: ``from``/``to`` →
    ``from_node``/``to_node``, ``source`` → ``citation``, base-unit rates suffixed
    ``_t_per_day`` (none for a unitless network, ``base="unit"``), units spelt into the
    name (``capacity_TEU/day`` → ``capacity_TEU_per_day``)."""
    return table.rename(columns={c: plain_name(str(c), base=base) for c in table.columns})


def write_ranking(table: pd.DataFrame, path: str | Path, s: Scenario, *, kind: str) -> Path:
    """Write a criticality ranking (:func:`~chokepoint.workflows.ranking.criticality`) by
    suffix (``.csv``, ``.gpkg``, ``.geojson``, ``.shp``, ``.parquet``) with the column names
    of the demo's files (:func:`plain_columns`). A GeoPackage's ``links`` and ``nodes``
    layers are named the same way, a link ranking's columns joined to its ``links`` layer.
    Written to a temporary file, then renamed. O(rows) beside the writer.
    """
    base = s.units.base
    links = table.rename(columns={"element": "id"}) if kind == "link" else None
    return write_table(plain_columns(table, base=base), path, s.network, kind=kind,
                       layer="criticality", links=links,
                       columns=functools.partial(plain_name, base=base))


def _plain_features(fc: dict[str, Any]) -> dict[str, Any]:
    for feat in fc["features"]:
        feat["properties"] = {plain_name(k): v for k, v in feat["properties"].items()}
    return fc


def _fmt(v: Any) -> str:
    return fmt(v, digits=2) if isinstance(v, float) else html.escape(str(v))


def _table(rows: list[dict[str, Any]], cols: list[str],
           labels: dict[str, str] | None = None) -> str:
    head = "".join(f"<th>{html.escape((labels or {}).get(c, c))}</th>" for c in cols)
    body = "".join("<tr>" + "".join(f"<td>{_fmt(r.get(c, ''))}</td>" for c in cols) + "</tr>"
                   for r in rows)
    return f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


def summary_html(b: Brief) -> str:
    """A short self-contained HTML page of the briefing (no scripts, no external requests)."""
    d = b.data
    parts = [f"<h1>chokepoint — {html.escape(str(d['scenario']))}</h1>"]
    if d.get("findings"):
        parts.append("<h2>What this means</h2><ul>" + "".join(
            f"<li><b>{html.escape(f['title'])}.</b> {html.escape(f['text'])}</li>"
            for f in d["findings"]) + "</ul>")
    n = d["network"]
    parts.append(f"<p>{n['nodes']} nodes, {n['links']} links, {n['failure_groups']} failure "
                 f"groups, {n['length_km']:,.0f} km.</p>")
    for key, title in (("max_flow", "Maximum throughput"),
                       ("max_flow_disrupted", "Maximum throughput after the disruptions")):
        if key in d:
            mf = d[key]
            vals = " = ".join(html.escape(fmt(v, u)) for u, v in {
                mf.get("display_unit", ""): mf.get("display_value"),
                **mf["in_report_units"]}.items() if u)
            parts.append(f"<h2>{title}</h2><p>{html.escape(mf.get('label') or '')}: "
                         f"<b>{vals}</b></p>")
            parts.append("<p>Minimum cut (the bottleneck):</p>" +
                         _table(mf["cut"], ["id", "name", "kind"]))
    if "served" in d:
        sv = d["served"]
        parts.append("<h2>Served and unmet demand (all traffic competing), each flow in its "
                     "own unit</h2>")
        parts.append(_table(sv["demands"], ["id", "kind", "origin", "destination", "priority",
                                            "demand_in_unit", "served_in_unit",
                                            "unmet_in_unit", "unit"]))
        u = sv.get("unit") or "unit"
        parts.append("<p>Where capacity binds:</p>" + _table(
            sv["binding"], ["id", "name", "kind", "shadow_price"],
            {"shadow_price": f"shadow price ({u} served, priority-weighted, per {u} of "
                             "capacity)"}))
    for r in d.get("routes", []):
        parts.append(f"<h2>Fastest route for {html.escape(r.get('label') or r['commodity'])}"
                     "</h2>")
        if r["found"]:
            parts.append(f"<p>{html.escape(fmt(r['time_h'], 'h'))} "
                         f"({html.escape(fmt(r['time_days'], 'days'))}), "
                         f"{html.escape(fmt(r['length_km'], 'km', digits=0))} via "
                         f"{html.escape(' → '.join(r['via']))}</p>")
        dis = r.get("disrupted")
        if dis:
            txt = (f"{html.escape(fmt(dis['time_h'], 'h'))}, "
                   f"{html.escape(fmt(dis['length_km'], 'km', digits=0))} via "
                   f"{html.escape(' → '.join(dis['via']))}" if dis["found"]
                   else "no route remains")
            parts.append(f"<p>After the disruptions: {txt}</p>")
        free = r.get("what_if_free")
        if free:
            parts.append(f"<p>{html.escape(free['label'])}: "
                         f"{html.escape(fmt(free['time_h'], 'h'))} via "
                         f"{html.escape(' → '.join(free['via']))}</p>")
    style = ("body{font-family:sans-serif;max-width:60em;margin:2em auto}"
             "table{border-collapse:collapse}td,th{border:1px solid #ccc;padding:2px 6px}"
             "td{text-align:right}td:first-child,td:nth-child(2){text-align:left}")
    return (f"<!doctype html><html><head><meta charset='utf-8'><title>chokepoint</title>"
            f"<style>{style}</style></head><body>{''.join(parts)}</body></html>\n")


def write_brief(b: Brief, net: Network, out_dir: str | Path) -> list[Path]:
    """Write the briefing to ``out_dir``: summary.json, links.csv, demands.csv,
    links.geojson, nodes.geojson and summary.html. Returns the paths written."""
    out = Path(out_dir)
    written = [write_json(out / "summary.json", b.data),
               write_csv(out / "links.csv", plain_columns(b.links))]
    if len(b.demands):
        written.append(write_csv(out / "demands.csv", plain_columns(b.demands)))
    links_fc = _plain_features(geojson_links(net, b.links))
    written.append(write_text(out / "links.geojson", json.dumps(links_fc, allow_nan=False)
                              + "\n"))
    written.append(write_text(out / "nodes.geojson",
                              json.dumps(_plain_features(geojson_nodes(net)), allow_nan=False)
                              + "\n"))
    if b.ranking is not None:
        ranking = plain_columns(b.ranking)
        written.append(write_csv(out / "criticality.csv", ranking))
        # the geo extra is optional; the CSV carries the same table
        with contextlib.suppress(ImportError):
            written.append(write_table(ranking, out / "criticality.gpkg", net, kind="group",
                                       layer="criticality", links=b.links,
                                       columns=plain_name))
    written.append(write_text(out / "summary.html", summary_html(b)))
    return written
