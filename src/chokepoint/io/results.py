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
import pandas as pd

from chokepoint.briefing import Brief
from chokepoint.io.write import atomic_path, to_jsonable, write_csv, write_json, write_text
from chokepoint.network import Network

__all__ = ["element_geodataframe", "geojson_links", "geojson_nodes", "write_brief", "write_table"]


def geojson_nodes(net: Network) -> dict[str, Any]:
    """Nodes as a GeoJSON FeatureCollection (EPSG:4326); nodes without coordinates skipped."""
    feats = []
    for rec in net.nodes.to_dict("records"):
        if not (np.isfinite(rec["lon"]) and np.isfinite(rec["lat"])):
            continue
        props = {k: v for k, v in rec.items() if k not in ("lon", "lat")}
        feats.append({"type": "Feature", "properties": to_jsonable(props),
                      "geometry": {"type": "Point", "coordinates": [rec["lon"], rec["lat"]]}})
    return {"type": "FeatureCollection", "features": feats}


def geojson_links(net: Network, table: pd.DataFrame) -> dict[str, Any]:
    """Links as LineStrings with the columns of ``table`` (joined on ``id``): the link's
    stored track geometry where it has one (GIS imports, the built-in corridor), else the
    straight line between its end nodes."""
    nodes = net.nodes.set_index("id")
    stored: dict[str, Any] = {}
    if "geometry" in net.links.columns:
        stored = {str(i): g for i, g in zip(net.links["id"], net.links["geometry"], strict=True)
                  if g is not None and hasattr(g, "coords")}
    feats = []
    for rec in table.to_dict("records"):
        g = stored.get(str(rec["id"]))
        if g is not None:
            coords = [[float(x), float(y)] for x, y, *_ in g.coords]
        else:
            a = nodes.loc[rec["from"]]
            b = nodes.loc[rec["to"]]
            coords = [[a["lon"], a["lat"]], [b["lon"], b["lat"]]]
        if not all(np.isfinite(x) for p in coords for x in p):
            continue
        feats.append({"type": "Feature", "properties": to_jsonable(rec),
                      "geometry": {"type": "LineString", "coordinates": coords}})
    return {"type": "FeatureCollection", "features": feats}


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


def element_geodataframe(table: pd.DataFrame, net: Network, *, kind: str) -> Any:
    """``table`` (with an ``element`` column of ``kind`` ids) as a GeoDataFrame in EPSG:4326.

    Links get their lines, nodes their points, failure groups the union of their members.
    """
    from chokepoint.errors import require

    gpd: Any = require("geopandas", "geo")
    shapely: Any = require("shapely", "geo")
    gnodes, glinks = net.to_geodataframes()
    if kind == "link":
        geom = glinks.set_index("id").geometry
    elif kind == "node":
        geom = gnodes.set_index("id").geometry
    else:
        members = pd.concat([glinks[["group", "geometry"]],
                             gnodes.loc[gnodes["group"] != "", ["group", "geometry"]]])
        members = members[members.geometry.notna()]
        geom = members.groupby("group")["geometry"].agg(
            lambda g: shapely.union_all(list(g)))
    values = [geom.get(e) for e in table["element"]]
    return gpd.GeoDataFrame(table.reset_index(drop=True), geometry=values, crs="EPSG:4326")


_DRIVERS = {".gpkg": "GPKG", ".geojson": "GeoJSON", ".json": "GeoJSON",
            ".shp": "ESRI Shapefile"}


def write_table(table: pd.DataFrame, path: str | Path, net: Network, *, kind: str,
                layer: str = "results", links: pd.DataFrame | None = None) -> Path:
    """Write a per-element result table by suffix: ``.csv``; ``.gpkg``/``.geojson``/``.shp``
    (with geometry; a GeoPackage also gets ``nodes`` and ``links`` layers, links with their
    track geometry and, given ``links`` — a per-link result table with an ``id`` column
    such as a briefing's — its result columns); ``.parquet`` (GeoParquet). Written to a
    temporary file, then renamed."""
    from chokepoint.errors import InputError

    p = Path(path)
    suffix = p.suffix.lower()
    if suffix == ".csv":
        return write_csv(p, table)
    if suffix not in (*_DRIVERS, ".parquet"):
        raise InputError(f"unknown output kind {suffix!r} (use .csv, .gpkg, .geojson, .shp "
                         "or .parquet)", source=p)
    gdf = element_geodataframe(table, net, kind=kind)
    if suffix == ".parquet":
        with atomic_path(p) as tmp:
            gdf.to_parquet(tmp)
        return p
    if suffix == ".shp":  # several files: write them in a temporary folder, then move each
        import os
        import tempfile

        p.parent.mkdir(parents=True, exist_ok=True)
        with tempfile.TemporaryDirectory(dir=p.parent, prefix=f".{p.stem}.") as tmpdir:
            gdf.to_file(Path(tmpdir) / p.name, driver=_DRIVERS[suffix], engine="pyogrio")
            for part in Path(tmpdir).iterdir():
                os.replace(part, p.parent / part.name)
        return p
    with atomic_path(p) as tmp:
        tmp.unlink()
        gdf.to_file(tmp, layer=layer, driver=_DRIVERS[suffix], engine="pyogrio")
        if suffix == ".gpkg":
            gnodes, glinks = net.to_geodataframes()
            if links is not None and "id" in links.columns:
                extra = [c for c in links.columns if c not in glinks.columns]
                glinks = glinks.merge(links[["id", *extra]], on="id", how="left")
            glinks.to_file(tmp, layer="links", driver="GPKG", engine="pyogrio")
            gnodes.to_file(tmp, layer="nodes", driver="GPKG", engine="pyogrio")
    return p
