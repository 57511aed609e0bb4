"""The web map: a FastAPI app with a JSON API and one page, safe by default.

* Binds to 127.0.0.1 unless told otherwise (:func:`serve`); ``Host`` and ``Origin`` headers
  must name an allowed host (DNS-rebinding and cross-site requests are refused); every
  guard is one middleware (:class:`~chokepoint.serve.security.GuardMiddleware`).
* Request bodies are limited (64 KiB; uploads 20 MiB by default).
* Uploads are parsed, never executed (:mod:`chokepoint.serve.routes.uploads`). No endpoint
  takes a path from the client.
* Analyses run on a bounded pool of worker threads with a queue limit (503 + Retry-After
  when full) and a time limit (504, and the analysis is cancelled); the event loop stays
  responsive. A closure takes milliseconds (:class:`~chokepoint.workflows.closures.
  ClosureEngine`); the campaign simulation is a separate request.
* Every error is JSON ``{"error": message}``, never a stack trace. The interactive docs
  pages (which load scripts from a CDN) are off; the OpenAPI schema is at
  ``/api/openapi.json``.

Routers by concern live in :mod:`chokepoint.serve.routes`; the shared state in
:mod:`chokepoint.serve.state`.
"""

from __future__ import annotations

import asyncio
import logging
import sys
from importlib import resources

from fastapi import FastAPI
from fastapi.staticfiles import StaticFiles

from chokepoint.scenario import Scenario
from chokepoint.serve.errors import install_error_handlers
from chokepoint.serve.routes import analyses, network, page, uploads
from chokepoint.serve.security import GuardMiddleware
from chokepoint.serve.settings import LOOPBACK, ServeSettings, public_settings
from chokepoint.serve.state import ServerState, load_scenario

__all__ = ["LOOPBACK", "ServeSettings", "create_app", "public_settings", "serve"]

log = logging.getLogger("chokepoint.serve")
#: The GIL switch interval of a server process (seconds); see :func:`serve`.
SWITCH_INTERVAL_S = 0.001
DESCRIPTION = ("Close links, nodes or failure groups of a freight corridor and see "
               "throughput, the new bottleneck, served demand and the fastest detour. "
               "Errors are JSON objects with an `error` message.")


def create_app(scenario: Scenario | None = None, *, settings: ServeSettings | None = None,
               label: str = "") -> FastAPI:
    """The web map app for ``scenario`` (default: the built-in corridor)."""
    if scenario is None:
        from chokepoint.data import load_builtin

        scenario = load_builtin("corridor")
        label = label or "builtin:corridor"
    cfg = settings or ServeSettings()
    state = ServerState(load_scenario(scenario, 0, label or scenario.name), cfg)
    app = FastAPI(title="chokepoint web map", description=DESCRIPTION, version=_version(),
                  docs_url=None, redoc_url=None, openapi_url="/api/openapi.json")
    app.state.chokepoint = state
    app.state.pool = state.pool
    app.router.on_shutdown.append(state.shutdown)
    app.add_middleware(GuardMiddleware, max_body=cfg.max_body_bytes,  # type: ignore[arg-type]
                       max_upload=cfg.max_upload_bytes, upload_paths=[uploads.UPLOAD_PATH],
                       allowed_hosts=cfg.allowed_hosts, write_hosts=cfg.write_hosts,
                       token=cfg.token, query_paths=["/api/close", "/api/campaign"])
    install_error_handlers(app)
    static = resources.files("chokepoint.serve") / "static"
    app.mount("/static", StaticFiles(directory=str(static)), name="static")
    for module in (page, network, analyses, uploads):
        app.include_router(module.router)
    return app


def _version() -> str:
    try:
        from importlib.metadata import version

        return version("chokepoint")
    except Exception:  # pragma: no cover - not installed
        return "0"


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
    # The event loop and the analysis threads share the GIL: with Python's default 5 ms
    # switch interval a request waiting on a busy thread (or an LP solve waiting on a busy
    # loop) loses up to 5 ms per hand-over; 1 ms keeps the loop responsive under load.
    sys.setswitchinterval(min(sys.getswitchinterval(), SWITCH_INTERVAL_S))
    config = uvicorn.Config(app, host=host, port=port, log_level=log_level,
                            server_header=False, proxy_headers=False,
                            limit_concurrency=512, timeout_keep_alive=30)
    asyncio.run(uvicorn.Server(config).serve())
