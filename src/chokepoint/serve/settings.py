"""The web map's settings: limits, workers, allowed hosts, and what a public bind changes."""

from __future__ import annotations

import os
import secrets
from dataclasses import dataclass, field

from chokepoint.workflows.closures import CampaignHook

__all__ = ["LOOPBACK", "ServeSettings", "public_settings"]

LOOPBACK = ("127.0.0.1", "localhost", "::1")


@dataclass
class ServeSettings:
    """Limits and hooks of the web map.

    Attributes
    ----------
    max_upload_bytes, max_body_bytes
        Size limits of an upload and of any other request body.
    analysis_timeout_s
        Time limit of one analysis (closure, campaign, ranking, report); 504 past it, and
        the analysis is cancelled (:mod:`chokepoint.cancel`).
    workers
        Analyses running at once (worker threads).
    queue_limit
        Analyses that may wait for a worker; beyond it requests get 503 + ``Retry-After``.
    max_elements
        Elements one closure may name.
    cache_size
        Closure answers kept as encoded JSON (least recently used dropped); the served-demand
        answers behind them are memoised per closed-arc set
        (:class:`~chokepoint.workflows.closures.ClosureEngine`).
    prewarm_elements
        Scenarios with at most this many links, nodes and failure groups get every
        single-element closure solved in the background when loaded (0: never), so that
        most closures are answered without a solve.
    study_timeout_s
        Time limit of the whole-scenario study behind the page's findings (ranking, time-aware
        cost, weak point, worst attacks: ~20 s on the corridor).
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
        Optional :data:`~chokepoint.workflows.closures.CampaignHook`: the campaign's delay
        (SimPy simulation) of a closure, answered by ``POST /api/campaign`` (the page asks
        for it after the closure's figures, so a closure never waits for a simulation).
    """

    max_upload_bytes: int = 20 * 1024 * 1024
    max_body_bytes: int = 64 * 1024
    analysis_timeout_s: float = 30.0
    study_timeout_s: float = 600.0
    workers: int = field(default_factory=lambda: max(1, min(4, os.cpu_count() or 1)))
    queue_limit: int = 64
    max_elements: int = 200
    max_upload_elements: int = 200_000
    prewarm_elements: int = 5000
    cache_size: int = 4096
    allowed_hosts: tuple[str, ...] = LOOPBACK
    write_hosts: tuple[str, ...] | None = None
    token: str | None = None
    campaign: CampaignHook | None = None


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
