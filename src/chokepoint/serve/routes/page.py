"""The page: one HTML document with the map (SVG) and the panel; scripts are static files."""

from __future__ import annotations

import html
from typing import Annotated

from fastapi import APIRouter, Depends
from fastapi.responses import HTMLResponse, Response

from chokepoint.io.untrusted import UPLOAD_SUFFIXES
from chokepoint.report.svgmap import MapStyle, network_svg
from chokepoint.serve.routes import server_state
from chokepoint.serve.state import Loaded, ServerState

__all__ = ["render_map", "render_page", "router"]

router = APIRouter(include_in_schema=False)
State = Annotated[ServerState, Depends(server_state)]


@router.get("/", response_class=HTMLResponse)
async def page(state: State) -> HTMLResponse:
    """The web map's page (rendered once per loaded scenario)."""
    cur = state.current
    return HTMLResponse(cur.once("page", lambda: render_page(cur)))


@router.get("/favicon.ico")
async def favicon() -> Response:
    """No icon (and no 404 in the log)."""
    return Response(status_code=204)


def render_map(cur: Loaded) -> str:
    """The network map (SVG) coloured by intact utilisation, with the min cut marked."""
    b = cur.base
    return network_svg(cur.scenario.network,
                       MapStyle(values=b.utilisation, label="utilisation (load / capacity)",
                                cut=[c["id"] for c in b.cut], terminals=[*b.sources, *b.sinks]),
                       element_id="network-map", focusable=True)


def render_page(cur: Loaded) -> str:
    """The page's HTML for the loaded scenario."""
    title = html.escape(cur.scenario.name)
    return f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>chokepoint — {title}</title>
<link rel="stylesheet" href="/static/app.css"></head>
<body>
<header><h1>chokepoint web map</h1><span id="scenario-name">{title}</span></header>
<section id="findings" aria-live="polite"><details open><summary><h2>What this means</h2>
</summary><div id="findings-body" class="muted">Computing the findings (ranking, time-aware
cost, worst attacks: about 20 s)…</div></details></section>
<main>
<div id="map-pane"><div class="map-tools" role="toolbar" aria-label="map view">
<button type="button" id="zoom-in" aria-label="zoom in">+</button>
<button type="button" id="zoom-out" aria-label="zoom out">−</button>
<button type="button" id="zoom-reset">whole map</button>
<span class="hint">wheel or +/− to zoom, drag or arrow keys to pan; click an inset to zoom
there</span></div>
{render_map(cur)}
<div id="pick" role="menu" hidden></div>
<p class="hint">Click a line or a node to close it (click again to reopen); where several lie
under the pointer, a list lets you choose. Hover for names and figures.</p></div>
<aside id="panel">
<section><h2>Closure</h2>
<label><input type="checkbox" id="by-group" checked>
a click closes the element's whole failure group</label>
<div id="closed-list" class="muted">nothing closed</div>
<div class="row"><label>from <input type="date" id="start"></label>
<label>to <input type="date" id="end"></label></div>
<div class="row"><button id="apply" type="button">Update</button>
<button id="clear" type="button">Reopen all</button></div>
<div class="row"><label>throughput from <select id="source"></select></label>
<label>to <select id="sink"></select></label></div>
<details><summary>Failure groups</summary><div id="groups"></div></details>
<details id="element-box" open><summary>Elements (Tab to the list, ↑/↓ to move, Enter to
close or reopen)</summary>
<input type="search" id="element-filter" placeholder="filter by name or id"
aria-label="filter the element list">
<ul id="elements" aria-label="links, nodes and failure groups"></ul></details>
</section>
<section id="results"><h2>Results <span id="status" class="muted">loading…</span></h2>
<table>
<tr><th>Max throughput <span id="terminals" class="muted"></span></th>
<td id="throughput">—</td></tr>
<tr><th>Bottleneck (min cut)</th><td id="bottleneck">—</td></tr>
<tr><th>Corridor throughput: demand served, all traffic</th><td id="served">—</td></tr>
<tr><th>Fastest route / detour</th><td id="detour">—</td></tr>
<tr><th>Lost over the period</th><td id="period">—</td></tr>
<tr id="campaign-row" hidden><th>Campaign delay</th><td id="campaign">—</td></tr>
</table><p id="hover" class="muted"></p></section>
<section><h2>Scenario</h2>
<form id="upload-form"><input type="file" id="upload-file" name="file"
accept="{",".join(UPLOAD_SUFFIXES)}">
<button type="submit">Upload</button> <button type="button" id="reset">Built-in</button></form>
<p id="upload-status" class="muted"></p>
<p>Download: <a id="dl-csv" href="/api/results.csv">links (CSV)</a> ·
<a id="dl-json" href="/api/results.json">results (JSON)</a> ·
<a href="/api/ranking.csv">criticality (CSV)</a> ·
<a href="/api/report.html">offline report (HTML)</a> ·
<a href="/api/openapi.json">API (OpenAPI)</a></p></section>
</aside></main>
<script src="/static/app.js"></script>
</body></html>
"""
