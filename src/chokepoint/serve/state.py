"""What one server process holds: the loaded scenario, its answers, the analysis pool.

The loaded scenario is shared by every client of one server process (a local, single-user
tool); an upload replaces it, ``POST /api/reset`` restores the one the server started with.
Each loaded scenario has one :class:`~chokepoint.workflows.closures.ClosureEngine` (compiled
network, served-demand LP, memoised answers) shared by its baselines; encoded closure
answers are kept in a small LRU cache, and identical requests in flight are computed once.
"""

from __future__ import annotations

import asyncio
import json
import logging
import threading
from collections import OrderedDict
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any, TypeVar

from chokepoint.cancel import CancelledError, CancelToken, cancel_scope
from chokepoint.errors import InputError
from chokepoint.io.write import to_jsonable
from chokepoint.scenario import Scenario
from chokepoint.serve.pool import AnalysisPool
from chokepoint.serve.requests import CloseRequest
from chokepoint.serve.settings import ServeSettings
from chokepoint.workflows.closures import (
    Baseline,
    Closure,
    ClosureEngine,
    baseline,
    close_elements,
    closure_period,
    resolve_elements,
)

__all__ = ["Loaded", "ServerState", "dumps", "load_scenario"]

T = TypeVar("T")
#: Keys of a closure's answer that depend on its dates.
DATED = ("start", "end", "period")
log = logging.getLogger("chokepoint.serve")
#: Baselines kept for other flow terminals than the scenario's.
TERMINAL_BASELINES = 64


def dumps(data: Any) -> bytes:
    """Compact UTF-8 JSON (no NaN: missing figures are null)."""
    return json.dumps(data, ensure_ascii=False, allow_nan=False,
                      separators=(",", ":")).encode("utf-8")


@dataclass
class Loaded:
    """A loaded scenario, its intact baseline and what is computed once for it."""

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


def load_scenario(s: Scenario, token: int, label: str) -> Loaded:
    """Load ``s`` (its baseline and closure engine; tens of milliseconds on the corridor)."""
    # explicit terminals (serve --source/--sink, or [flow] of a network without commodities)
    # are the shipment; otherwise the first commodity along its route rules
    return Loaded(scenario=s, base=baseline(s, list(s.sources) or None, list(s.sinks) or None),
                  token=token, label=label)


def _prewarm(engine: ClosureEngine, token: CancelToken, done: threading.Event) -> None:
    with cancel_scope(token):
        try:
            engine.prewarm()
        except CancelledError:
            pass
        except Exception as e:  # a failed warm-up only costs speed
            log.warning("prewarming the closure answers failed: %r", e)
        finally:
            done.set()


def _retrieved(fut: asyncio.Future[Any]) -> None:
    """Mark a shared computation's error as seen (its first requester raised it)."""
    if not fut.cancelled():
        fut.exception()


@dataclass(frozen=True)
class _Answer:
    """An undated closure answer: its JSON without the closing brace and the dated keys,
    and the base-unit figures the ``period`` block is computed from."""

    prefix: bytes
    figures: dict[str, Any]

    @classmethod
    def of(cls, result: dict[str, Any]) -> _Answer:
        core = {k: v for k, v in result.items() if k not in DATED}
        figures = {k: ({x: result[k][x] for x in ("intact_base", "closed_base")}
                       if result.get(k) else None) for k in ("throughput", "served")}
        return cls(prefix=dumps(core)[:-1], figures=figures)

    def encode(self, s: Scenario, closure: Closure) -> bytes:
        """The answer for ``closure``'s dates."""
        dated = {"start": closure.start.isoformat() if closure.start else None,
                 "end": closure.end.isoformat() if closure.end else None,
                 "period": to_jsonable(closure_period(s, closure, self.figures))}
        return self.prefix + b"," + dumps(dated)[1:]


class _LRU(OrderedDict[Any, Any]):
    def __init__(self, size: int) -> None:
        super().__init__()
        self.size = size

    def get_fresh(self, key: Any) -> Any:
        hit = self.get(key)
        if hit is not None:
            self.move_to_end(key)
        return hit

    def put(self, key: Any, value: Any) -> None:
        self[key] = value
        while len(self) > self.size:
            self.popitem(last=False)


class ServerState:
    """The server's shared state and the one way analyses are run (:meth:`run`)."""

    def __init__(self, first: Loaded, settings: ServeSettings) -> None:
        self.initial = self.current = first
        self.settings = settings
        self.pool = AnalysisPool(workers=settings.workers, queue=settings.queue_limit,
                                 timeout_s=settings.analysis_timeout_s)
        self.answers = _LRU(settings.cache_size)
        self.campaigns = _LRU(settings.cache_size)
        self.bases = _LRU(TERMINAL_BASELINES)
        self.rankings: dict[tuple[int, str], Any] = {}
        self.pending: dict[Any, asyncio.Future[Any]] = {}
        self.computed = 0
        self._lock = threading.Lock()
        self._counter = 0
        self._warming: CancelToken | None = None
        self.warm = threading.Event()
        self.prewarm(first)

    def prewarm(self, loaded: Loaded) -> None:
        """Solve every single-element closure of ``loaded`` in a background thread (when it
        has at most ``settings.prewarm_elements`` elements), stopping the previous one."""
        if self._warming is not None:
            self._warming.cancel("another scenario was loaded")
        engine = loaded.base.engine
        self.warm = done = threading.Event()
        if engine.intact is None or len(engine.elements()) > self.settings.prewarm_elements:
            self._warming = None
            done.set()
            return
        self._warming = token = CancelToken()
        threading.Thread(target=_prewarm, args=(engine, token, done), daemon=True,
                         name="chokepoint-prewarm").start()

    def shutdown(self) -> None:
        """Stop the pool and any warm-up."""
        if self._warming is not None:
            self._warming.cancel("shutting down")
        self.pool.shutdown()

    def next_token(self) -> int:
        """A new scenario token (uploads)."""
        with self._lock:
            self._counter += 1
            return self._counter

    async def run(self, fn: Callable[[], T], *, timeout_s: float | None = None) -> T:
        """``fn()`` on the bounded pool (503 when full, 504 + cancellation past the limit:
        ``timeout_s``, default ``settings.analysis_timeout_s``)."""
        return await self.pool.run(fn, timeout_s=timeout_s)

    async def findings(self) -> bytes:
        """The loaded scenario's "what this means" findings as JSON, computed once per
        scenario by the study workflow (the same statements as the console and the report)."""
        cur = self.current
        hit = cur.memo.get("findings")
        if hit is not None:
            return hit  # type: ignore[no-any-return]

        async def compute() -> bytes:
            from chokepoint.workflows.study import study_findings

            s = cur.scenario  # explicit terminals (serve --source/--sink) as on the map
            found = await self.run(lambda: study_findings(s, sources=list(s.sources) or None,
                                                          sinks=list(s.sinks) or None),
                                   timeout_s=self.settings.study_timeout_s)
            encoded = dumps(to_jsonable({"scenario": cur.scenario.name,  # NaN, inf: null
                                         "findings": [f.to_dict() for f in found]}))
            cur.memo["findings"] = encoded
            return encoded

        return await self.shared(("findings", cur.token), compute)

    async def shared(self, key: Any, make: Callable[[], Awaitable[T]]) -> T:
        """One computation per key at a time: concurrent requests for it await the same.

        The first request computes ``make()`` in its own task (no extra task: under load
        each hand-over between tasks waits for a full turn of the busy event loop); the
        others await its outcome (result or error)."""
        waiting = self.pending.get(key)
        if waiting is not None:
            return await asyncio.shield(waiting)  # type: ignore[no-any-return]
        fut: asyncio.Future[Any] = asyncio.get_running_loop().create_future()
        fut.add_done_callback(_retrieved)
        self.pending[key] = fut
        try:
            got = await make()
        except asyncio.CancelledError:
            fut.cancel()
            raise
        except BaseException as e:
            fut.set_exception(e)
            raise
        else:
            fut.set_result(got)
            return got
        finally:
            self.pending.pop(key, None)

    def closure(self, req: CloseRequest) -> tuple[Loaded, Closure]:
        """The loaded scenario and the resolved :class:`Closure` of a request."""
        cur = self.current
        if len(req.elements) > self.settings.max_elements:
            raise InputError(f"at most {self.settings.max_elements} elements can be closed "
                             "at once")
        elements = resolve_elements(cur.scenario, req.refs())
        return cur, Closure(elements=elements, start=req.start, end=req.end)

    async def _baseline(self, cur: Loaded, req: CloseRequest) -> Baseline:
        """The intact figures between the request's terminals (the scenario's by default)."""
        if not (req.sources or req.sinks):
            return cur.base
        nodes = cur.scenario.network.compiled.node_index
        bad = [x for x in (*req.sources, *req.sinks) if x not in nodes]
        if bad:
            raise InputError(f"no node {bad[0]!r} (sources and sinks are node ids)")
        key = (cur.token, tuple(req.sources), tuple(req.sinks))
        got = self.bases.get_fresh(key)
        if got is None:
            s, engine = cur.scenario, cur.base.engine
            got = await self.run(lambda: baseline(s, req.sources or None, req.sinks or None,
                                                  engine=engine))
            self.bases.put(key, got)
        return got  # type: ignore[no-any-return]

    async def closure_answer(self, req: CloseRequest) -> tuple[Loaded, bytes]:
        """A closure's answer as encoded JSON: cached per closed elements and terminals (the
        dates only change ``start``, ``end`` and ``period``, added per request); computed
        here when it needs no LP solve (about a millisecond), else on the pool."""
        cur, closure = self.closure(req)
        undated = Closure(closure.elements)
        key = (cur.token, undated, tuple(req.sources), tuple(req.sinks))
        hit = self.answers.get_fresh(key)
        if hit is None:
            base = await self._baseline(cur, req)

            def answer() -> _Answer:
                result = to_jsonable(close_elements(cur.scenario, base, undated))
                got = _Answer.of(result)
                self.computed += 1
                self.answers.put(key, got)
                return got

            if base.engine.answers_now(undated):
                hit = answer()
            else:
                hit = await self.shared(key, lambda: self.run(answer))
        assert isinstance(hit, _Answer)
        return cur, hit.encode(cur.scenario, closure)

    async def campaign_answer(self, req: CloseRequest) -> bytes:
        """``{"campaign": ...}`` of a closure: the campaign hook's answer (None without a
        hook or closed elements), cached per closure and dates."""
        cur, closure = self.closure(req)
        hook = self.settings.campaign
        if hook is None or not closure.elements:
            return dumps({"campaign": None})
        key = (cur.token, closure)
        hit = self.campaigns.get_fresh(key)
        if hit is not None:
            return hit  # type: ignore[no-any-return]

        async def compute() -> bytes:
            from chokepoint.workflows.closures import campaign_answer

            got = await self.run(lambda: to_jsonable(campaign_answer(cur.scenario, closure,
                                                                     hook)))
            encoded = dumps({"campaign": got})
            self.campaigns.put(key, encoded)
            return encoded

        return await self.shared(("campaign", key), compute)

    def health(self) -> dict[str, Any]:
        """Liveness figures: scenario, cached and computed answers, pool and engine."""
        pool = self.pool
        return {"status": "ok", "scenario": self.current.scenario.name,
                "prewarmed": self.warm.is_set(),
                "cached_results": len(self.answers), "computed_results": self.computed,
                "pool": {"in_flight": pool.in_flight, "refused": pool.refused,
                         "timed_out": pool.timed_out, "cancelled": pool.cancelled},
                "engine": self.current.base.engine.stats()}
