"""The web map: a FastAPI app with a JSON API and one page, safe by default.

* Binds to 127.0.0.1 unless told otherwise (:func:`serve`); ``Host`` and ``Origin`` headers
  must name an allowed host (DNS-rebinding and cross-site requests are refused).
* Request bodies are limited (64 KiB; uploads 20 MiB by default).
* Uploads are parsed, never executed: the file is written under a server-chosen name with a
  known suffix into a fresh temporary folder, read by :func:`chokepoint.io.load`, and the
  folder is deleted. Scenario files that name other files (``[network]``) are refused. No
  endpoint takes a path from the client.
* Analyses run in worker threads (a small capacity limiter) with a time limit; the event
  loop stays responsive. Results are cached per closure.
* Every error is JSON ``{"error": message}``, never a stack trace. The interactive docs
  pages (which load scripts from a CDN) are off; the OpenAPI schema is at
  ``/api/openapi.json``.

The loaded scenario is shared by every client of one server process (a local, single-user
tool); an upload replaces it, ``POST /api/reset`` restores the one the server started with.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import functools
import html
import io
import json
import logging
import os
import secrets
import sys
import threading
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Annotated, Any, Literal, TypeVar

import pandas as pd
from fastapi import FastAPI, File, Query, Request, UploadFile
from fastapi.exceptions import RequestValidationError
from fastapi.responses import HTMLResponse, JSONResponse, Response
from fastapi.staticfiles import StaticFiles
from pydantic import BaseModel, Field, model_validator
from starlette.exceptions import HTTPException

from chokepoint.errors import ChokepointError, InputError
from chokepoint.io.untrusted import UPLOAD_SUFFIXES, read_untrusted
from chokepoint.io.write import to_jsonable
from chokepoint.report.svgmap import RAMP, MapStyle, network_svg
from chokepoint.scenario import Scenario
from chokepoint.serve.pool import AnalysisPool
from chokepoint.serve.security import GuardMiddleware
from chokepoint.workflows.closures import (
    Baseline,
    CampaignHook,
    Closure,
    baseline,
    close_elements,
    links_table,
    resolve_elements,
)

__all__ = ["ServeSettings", "create_app", "public_settings", "serve"]

log = logging.getLogger("chokepoint.serve")
T = TypeVar("T")

LOOPBACK = ("127.0.0.1", "localhost", "::1")


@dataclass
class ServeSettings:
    """Limits and hooks of the web map.

    Attributes
    ----------
    max_upload_bytes, max_body_bytes
        Size limits of an upload and of any other request body.
    analysis_timeout_s
        Time limit of one analysis (closure, ranking, report); 504 past it.
    workers
        Analyses running at once (worker threads).
    queue_limit
        Analyses that may wait for a worker; beyond it requests get 503 + ``Retry-After``.
    max_elements
        Elements one closure may name.
    cache_size
        Closure results kept (least recently used dropped).
    max_upload_elements
        Most nodes + links (rows, features) of an uploaded network, checked before it is
        built.
    allowed_hosts
        Accepted ``Host``/``Origin`` host names (``"*"``: any well-formed name, for a public
        bind; then an ``Origin`` must name the host it is sent to).
    write_hosts
        Host names allowed to change state (upload, reset) without the ``token``; None: the
        ``allowed_hosts`` (never ``"*"``).
    token
        Secret that authorises state-changing requests from any host (see
        :class:`~chokepoint.serve.security.GuardMiddleware`).
    campaign
        Optional :data:`~chokepoint.workflows.closures.CampaignHook` adding the campaign's
        delay (SimPy simulation) to each closure's answer.
    """

    max_upload_bytes: int = 20 * 1024 * 1024
    max_body_bytes: int = 64 * 1024
    analysis_timeout_s: float = 30.0
    workers: int = field(default_factory=lambda: max(1, min(4, os.cpu_count() or 1)))
    queue_limit: int = 64
    max_elements: int = 200
    max_upload_elements: int = 200_000
    cache_size: int = 512
    allowed_hosts: tuple[str, ...] = LOOPBACK
    write_hosts: tuple[str, ...] | None = None
    token: str | None = None
    campaign: CampaignHook | None = None


class ElementRef(BaseModel):
    """An element to close: its id, and optionally its kind."""

    id: str = Field(min_length=1, max_length=200)
    kind: Literal["link", "node", "group"] | None = None


class CloseRequest(BaseModel):
    """``POST /api/close``: elements to close, optionally only from ``start`` to ``end``."""

    elements: list[ElementRef | Annotated[str, Field(min_length=1, max_length=200)]] = Field(
        default_factory=list, max_length=1000,
        description="Ids (link, then node, then failure group) or {id, kind} objects.")
    start: dt.date | None = Field(None, description="First day closed (with end).")
    end: dt.date | None = Field(None, description="Last day closed, included.")
    sources: list[Annotated[str, Field(min_length=1, max_length=200)]] = Field(
        default_factory=list, max_length=50,
        description="Throughput sources (node ids; default: the scenario's [flow]).")
    sinks: list[Annotated[str, Field(min_length=1, max_length=200)]] = Field(
        default_factory=list, max_length=50,
        description="Throughput sinks (node ids; default: the scenario's [flow]).")

    @model_validator(mode="after")
    def _dates(self) -> CloseRequest:
        if (self.start is None) != (self.end is None):
            raise ValueError("give both start and end, or neither")
        if self.start and self.end and self.end < self.start:
            raise ValueError("end is before start")
        return self

    def refs(self) -> list[str | tuple[str | None, str]]:
        """The elements as ids or (kind, id) pairs."""
        return [e if isinstance(e, str) else (e.kind, e.id) for e in self.elements]


@dataclass
class _Loaded:
    scenario: Scenario
    base: Baseline
    token: int
    label: str
    memo: dict[str, Any] = field(default_factory=dict)

    def once(self, key: str, make: Callable[[], T]) -> T:
        """``make()``, computed once per loaded scenario."""
        if key not in self.memo:
            self.memo[key] = make()
        return self.memo[key]  # type: ignore[no-any-return]


@dataclass
class _State:
    initial: _Loaded
    current: _Loaded
    settings: ServeSettings
    cache: OrderedDict[Any, tuple[dict[str, Any], bytes]] = field(default_factory=OrderedDict)
    computed: int = 0
    rankings: dict[tuple[int, str], pd.DataFrame] = field(default_factory=dict)
    bases: OrderedDict[Any, Baseline] = field(default_factory=OrderedDict)
    lock: threading.Lock = field(default_factory=threading.Lock)
    pending: dict[Any, asyncio.Future[Any]] = field(default_factory=dict)
    counter: int = 0


def _load_into(s: Scenario, token: int, label: str) -> _Loaded:
    return _Loaded(scenario=s, base=baseline(s), token=token, label=label)


def _error(status: int, message: str, **extra: Any) -> JSONResponse:
    return JSONResponse({"error": message, **extra}, status_code=status)


def create_app(scenario: Scenario | None = None, *, settings: ServeSettings | None = None,
               label: str = "") -> FastAPI:
    """The web map app for ``scenario`` (default: the built-in corridor)."""
    if scenario is None:
        from chokepoint.data import load_builtin

        scenario = load_builtin("corridor")
        label = label or "builtin:corridor"
    cfg = settings or ServeSettings()
    first = _load_into(scenario, 0, label or scenario.name)
    state = _State(initial=first, current=first, settings=cfg)

    app = FastAPI(title="chokepoint web map",
                  description="Close links, nodes or failure groups of a freight corridor and "
                              "see throughput, the new bottleneck, served demand and the "
                              "fastest detour. Errors are JSON objects with an `error` message.",
                  version=_version(), docs_url=None, redoc_url=None,
                  openapi_url="/api/openapi.json")
    app.state.chokepoint = state
    app.add_middleware(GuardMiddleware, max_body=cfg.max_body_bytes,  # type: ignore[arg-type]
                       max_upload=cfg.max_upload_bytes, upload_paths=["/api/upload"],
                       allowed_hosts=cfg.allowed_hosts, write_hosts=cfg.write_hosts,
                       token=cfg.token, query_paths=["/api/close"])
    static = resources.files("chokepoint.serve") / "static"
    app.mount("/static", StaticFiles(directory=str(static)), name="static")

    # -- errors as JSON -------------------------------------------------------------------------
    @app.exception_handler(ChokepointError)
    async def _chokepoint_error(_: Request, exc: ChokepointError) -> JSONResponse:
        return _error(400, str(exc))

    @app.exception_handler(RequestValidationError)
    async def _validation_error(_: Request, exc: RequestValidationError) -> JSONResponse:
        errs = [{"loc": [str(x) for x in e.get("loc", ())], "msg": str(e.get("msg", ""))}
                for e in exc.errors()]
        first_err = errs[0] if errs else {"loc": [], "msg": "invalid request"}
        msg = f"invalid request: {'.'.join(first_err['loc'])}: {first_err['msg']}"
        return _error(422, msg, detail=errs)

    @app.exception_handler(HTTPException)
    async def _http_error(_: Request, exc: HTTPException) -> JSONResponse:
        return JSONResponse({"error": str(exc.detail)}, status_code=exc.status_code,
                            headers=getattr(exc, "headers", None))

    @app.exception_handler(Exception)
    async def _internal_error(_: Request, exc: Exception) -> JSONResponse:
        log.error("internal error: %r", exc, exc_info=exc)
        return _error(500, "internal error (details are in the server log)")

    pool = AnalysisPool(workers=cfg.workers, queue=cfg.queue_limit,
                        timeout_s=cfg.analysis_timeout_s)
    app.state.pool = pool
    app.router.on_shutdown.append(pool.shutdown)

    async def run(fn: Callable[[], T]) -> T:
        return await pool.run(fn)

    async def shared(key: Any, make: Callable[[], Any]) -> Any:
        """One computation per key at a time: concurrent requests for it await the same."""
        task = state.pending.get(key)
        if task is None:
            task = asyncio.ensure_future(make())
            state.pending[key] = task
            task.add_done_callback(lambda _: state.pending.pop(key, None))
        return await asyncio.shield(task)

    async def closure_result(req: CloseRequest) -> tuple[_Loaded, dict[str, Any], bytes]:
        cur = state.current
        if len(req.elements) > cfg.max_elements:
            raise InputError(f"at most {cfg.max_elements} elements can be closed at once")
        elements = resolve_elements(cur.scenario, req.refs())
        closure = Closure(elements=elements, start=req.start, end=req.end)
        terminals = (tuple(req.sources), tuple(req.sinks))
        key = (cur.token, closure, terminals)
        hit = state.cache.get(key)
        if hit is not None:
            state.cache.move_to_end(key)
            return cur, hit[0], hit[1]
        base = cur.base
        if req.sources or req.sinks:
            nodes = cur.scenario.network.compiled.node_index
            bad = [x for x in (*req.sources, *req.sinks) if x not in nodes]
            if bad:
                raise InputError(f"no node {bad[0]!r} (sources and sinks are node ids)")
            bkey = (cur.token, terminals)
            got = state.bases.get(bkey)
            if got is None:
                got = await run(functools.partial(baseline, cur.scenario, req.sources or None,
                                                  req.sinks or None))
                state.bases[bkey] = got
                while len(state.bases) > 64:
                    state.bases.popitem(last=False)
            base = got
        async def compute() -> tuple[dict[str, Any], bytes]:
            result = await run(lambda: to_jsonable(close_elements(
                cur.scenario, base, closure, campaign=cfg.campaign)))
            state.computed += 1
            encoded = _dumps(result)
            state.cache[key] = (result, encoded)
            while len(state.cache) > cfg.cache_size:
                state.cache.popitem(last=False)
            return result, encoded

        result, encoded = await shared(key, compute)
        return cur, result, encoded

    # -- page ---------------------------------------------------------------------------------
    @app.get("/", response_class=HTMLResponse, include_in_schema=False)
    async def page() -> HTMLResponse:
        cur = state.current
        return HTMLResponse(cur.once("page", lambda: _page(cur)))

    @app.get("/favicon.ico", include_in_schema=False)
    async def favicon() -> Response:
        return Response(status_code=204)

    # -- API ----------------------------------------------------------------------------------
    @app.get("/api/health", summary="Liveness and the loaded scenario")
    async def health() -> dict[str, Any]:
        return {"status": "ok", "scenario": state.current.scenario.name,
                "cached_results": len(state.cache), "computed_results": state.computed}

    @app.get("/api/network", summary="The loaded network, its terminals and intact figures",
             response_class=Response, responses={200: {"content": {"application/json": {}}}})
    async def network() -> Response:
        cur = state.current
        return Response(cur.once("network", lambda: _dumps(to_jsonable(_network_json(cur)))),
                        media_type="application/json")

    @app.get("/api/map.svg", summary="The network map (SVG)",
             response_class=Response, responses={200: {"content": {"image/svg+xml": {}}}})
    async def map_svg() -> Response:
        cur = state.current
        return Response(cur.once("map", lambda: _map(cur)), media_type="image/svg+xml")

    @app.post("/api/close", summary="Close elements: throughput, bottleneck, served, detour",
              response_class=Response,
              responses={200: {"content": {"application/json": {}},
                               "description": "throughput, bottleneck, served, detour, "
                                              "period, utilisation, campaign"}})
    async def close(req: CloseRequest) -> Response:
        _, _, encoded = await closure_result(req)
        return Response(encoded, media_type="application/json")

    @app.get("/api/results.json", summary="Download the closure's results as JSON")
    async def results_json(close: Annotated[str, Query(max_length=4000)] = "",
                           start: dt.date | None = None,
                           end: dt.date | None = None) -> Response:
        req = _close_query(close, start, end)
        _, _, encoded = await closure_result(req)
        return Response(encoded, media_type="application/json",
                        headers=_attachment("chokepoint-closure.json"))

    @app.get("/api/results.csv", summary="Download the links table (intact and with the "
                                         "closure) as CSV")
    async def results_csv(close: Annotated[str, Query(max_length=4000)] = "",
                          start: dt.date | None = None,
                          end: dt.date | None = None) -> Response:
        req = _close_query(close, start, end)
        cur, result, _ = await closure_result(req)
        table = links_table(cur.scenario, cur.base, result if req.elements else None)
        buf = io.StringIO()
        table.to_csv(buf, index=False)
        return Response(buf.getvalue(), media_type="text/csv",
                        headers=_attachment("chokepoint-links.csv"))

    @app.get("/api/ranking.csv", summary="Download the criticality ranking as CSV")
    async def ranking_csv(kind: Literal["link", "node", "group"] = "link") -> Response:
        cur = state.current
        key = (cur.token, kind)
        table = state.rankings.get(key)
        if table is None:
            from chokepoint.workflows.ranking import criticality

            table = await run(lambda: criticality(cur.scenario, kind=kind))
            state.rankings[key] = table
        assert table is not None
        buf = io.StringIO()
        table.to_csv(buf, index=False)
        return Response(buf.getvalue(), media_type="text/csv",
                        headers=_attachment(f"chokepoint-ranking-{kind}.csv"))

    @app.get("/api/report.html", summary="Download the offline HTML report of the scenario")
    async def report_html() -> Response:
        cur = state.current

        def build() -> str:
            from chokepoint.report.build import build_report_data, render_report

            return render_report(build_report_data(cur.scenario, ranking=True))

        text = await run(build)
        return Response(text, media_type="text/html",
                        headers=_attachment("chokepoint-report.html"))

    @app.post("/api/upload", summary="Upload a scenario (.toml) or network file")
    async def upload(file: Annotated[UploadFile, File(description=(
            "A self-contained scenario (.toml) or a network file: "
            + ", ".join(UPLOAD_SUFFIXES)))]) -> dict[str, Any]:
        name = Path(file.filename or "").name
        suffix = Path(name).suffix.lower()
        if suffix not in UPLOAD_SUFFIXES:
            raise InputError(f"unsupported file kind {suffix or '(none)'!r}; upload one of "
                             + ", ".join(UPLOAD_SUFFIXES))
        data = await file.read(cfg.max_upload_bytes + 1)
        if len(data) > cfg.max_upload_bytes:
            raise HTTPException(413, f"upload larger than {cfg.max_upload_bytes:,} bytes")
        with state.lock:
            state.counter += 1
            token = state.counter
        display = _safe_name(name)
        limit = cfg.max_upload_elements
        loaded = await run(lambda: _load_into(read_untrusted(
            data, suffix, display=display, max_elements=limit), token, display))
        state.current = loaded
        return to_jsonable({"scenario": loaded.scenario.name, "file": display,
                            **loaded.scenario.network.summary()})

    @app.post("/api/reset", summary="Restore the scenario the server started with")
    async def reset() -> dict[str, Any]:
        state.current = state.initial
        return {"scenario": state.initial.scenario.name}

    return app


def _version() -> str:
    try:
        from importlib.metadata import version

        return version("chokepoint")
    except Exception:  # pragma: no cover - not installed
        return "0"


def _dumps(data: Any) -> bytes:
    return json.dumps(data, ensure_ascii=False, allow_nan=False,
                      separators=(",", ":")).encode("utf-8")


def _attachment(name: str) -> dict[str, str]:
    return {"content-disposition": f'attachment; filename="{name}"'}


def _close_query(close: str, start: dt.date | None, end: dt.date | None) -> CloseRequest:
    ids = [x.strip() for x in close.split(",") if x.strip()]
    try:
        return CloseRequest(elements=list(ids), start=start, end=end)
    except ValueError as e:
        raise InputError(str(e).splitlines()[-1].strip()) from None


def _safe_name(name: str) -> str:
    keep = "".join(ch if ch.isalnum() or ch in "._- " else "_" for ch in name)[:80]
    return keep or "upload"


def _network_json(cur: _Loaded) -> dict[str, Any]:
    s, b = cur.scenario, cur.base
    net = s.network
    units = s.units
    u0 = units.report_units[0]
    links = [{"id": r["id"], "name": r["name"], "from": r["from"], "to": r["to"],
              "mode": r["mode"], "structure": r["structure"], "group": r["group"],
              "capacity": units.from_base(r["capacity"], u0),
              "utilisation": b.utilisation.get(str(r["id"]))}
             for r in net.links.to_dict("records")]
    nodes = [{"id": r["id"], "name": r["name"], "kind": r["kind"], "lon": r["lon"],
              "lat": r["lat"], "group": r["group"]} for r in net.nodes.to_dict("records")]
    groups = [{"id": g, "members": m, "names": [net.describe(x) for x in m],
               "structure": any(net.links.loc[net.links["id"] == x, "structure"].ne("none").any()
                                for x in m)}
              for g, m in sorted(net.groups().items()) if g]
    return {"scenario": s.name, "label": cur.label, "description": s.description,
            "unit": u0, "units": list(units.report_units), "base_unit": units.base,
            "sources": b.sources, "sinks": b.sinks,
            "source_names": [net.node_name(x) for x in b.sources],
            "sink_names": [net.node_name(x) for x in b.sinks],
            "intact": {"throughput": units.from_base(b.throughput, u0)
                       if b.throughput == b.throughput else None,
                       "served": units.from_base(b.served, u0) if b.served is not None else None,
                       "demand": units.from_base(b.demand, u0) if b.demand is not None else None,
                       "cut": b.cut, "route": b.route},
            "ramp": [list(x) for x in RAMP],
            "nodes": nodes, "links": links, "groups": groups}


def _map(cur: _Loaded) -> str:
    b = cur.base
    return network_svg(cur.scenario.network,
                       MapStyle(values=b.utilisation, label="utilisation (load / capacity)",
                                cut=[c["id"] for c in b.cut], terminals=[*b.sources, *b.sinks]),
                       element_id="network-map", focusable=True)


def _page(cur: _Loaded) -> str:
    s = cur.scenario
    title = html.escape(s.name)
    return f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>chokepoint — {title}</title>
<link rel="stylesheet" href="/static/app.css"></head>
<body>
<header><h1>chokepoint web map</h1><span id="scenario-name">{title}</span></header>
<main>
<div id="map-pane"><div class="map-tools" role="toolbar" aria-label="map view">
<button type="button" id="zoom-in" aria-label="zoom in">+</button>
<button type="button" id="zoom-out" aria-label="zoom out">−</button>
<button type="button" id="zoom-reset">whole map</button>
<span class="hint">wheel or +/− to zoom, drag or arrow keys to pan; click an inset to zoom
there</span></div>
{_map(cur)}
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


def public_settings(cfg: ServeSettings, host: str, *,
                    allow_hosts: tuple[str, ...] = ()) -> tuple[ServeSettings, list[str]]:
    """Settings for binding ``host``, and the warnings to print.

    On loopback nothing changes. Beyond loopback the server is reachable by others: reads are
    accepted under any well-formed ``Host`` unless ``allow_hosts`` lists the names to accept,
    the ``Origin`` check stays on, and state-changing requests need a host from
    ``allow_hosts`` or the token (generated here when neither is given).
    """
    if host in LOOPBACK:
        if allow_hosts:
            cfg.allowed_hosts = tuple(dict.fromkeys((*LOOPBACK, *allow_hosts)))
        return cfg, []
    notes = [f"binding {host} makes the web map reachable from other machines: anyone who "
             "can reach this port can read the loaded scenario; uploads are parsed as "
             "hostile input"]
    cfg.allowed_hosts = tuple(allow_hosts) if allow_hosts else ("*",)
    cfg.write_hosts = tuple(allow_hosts)
    if not allow_hosts and not cfg.token:
        cfg.token = secrets.token_urlsafe(24)
        notes.append("uploads and resets need the token: open the page once as "
                     f"http://HOST:PORT/?token={cfg.token} (or send header X-Chokepoint-Token)")
    return cfg, notes


def serve(scenario: Scenario | None = None, *, host: str = "127.0.0.1", port: int = 8000,
          label: str = "", settings: ServeSettings | None = None,
          log_level: str = "info", allow_hosts: tuple[str, ...] = ()) -> None:
    """Run the web map with uvicorn (blocking); see :func:`public_settings` for non-loopback
    hosts (a warning is logged)."""
    import uvicorn

    cfg, notes = public_settings(settings or ServeSettings(), host, allow_hosts=allow_hosts)
    for n in notes:
        log.warning("%s", n)
        sys.stderr.write(f"warning: {n}\n")
    app = create_app(scenario, settings=cfg, label=label)
    config = uvicorn.Config(app, host=host, port=port, log_level=log_level,
                            server_header=False, proxy_headers=False,
                            limit_concurrency=512, timeout_keep_alive=30)
    asyncio.run(uvicorn.Server(config).serve())
