"""A bounded pool for the web map's analyses: fixed threads, a queue limit, time limits.

At most ``workers`` analyses run at once, at most ``queue`` more wait; beyond that a request
is answered at once with 503 and ``Retry-After`` instead of piling up threads and memory.
A request that passes its time limit gets 504 and its analysis is cancelled: dropped if it
is still queued; if it is running, its :class:`~chokepoint.cancel.CancelToken` is set and the
analysis stops at its next :func:`chokepoint.cancel.check` (before every solver call), so the
worker is free again within one solver call. Its slot stays counted until then, so an
overload shows as 503s, never as growing threads.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Any, TypeVar

from starlette.exceptions import HTTPException

from chokepoint.cancel import CancelledError, CancelToken, cancel_scope

__all__ = ["AnalysisPool", "Busy"]

T = TypeVar("T")


class Busy(HTTPException):
    """Every worker is busy and the queue is full (503 with ``Retry-After``)."""

    def __init__(self, retry_after_s: int) -> None:
        super().__init__(503, "the server is busy: every analysis worker is in use and the "
                              "queue is full; retry shortly",
                         headers={"Retry-After": str(retry_after_s)})


class AnalysisPool:
    """``workers`` threads with room for ``queue`` waiting analyses.

    Parameters
    ----------
    workers
        Analyses running at once.
    queue
        Analyses allowed to wait for a worker; more are refused with :class:`Busy`.
    timeout_s
        Time limit of one analysis from submission (504 past it).
    retry_after_s
        The ``Retry-After`` advertised with a 503.
    """

    def __init__(self, *, workers: int, queue: int, timeout_s: float,
                 retry_after_s: int = 1) -> None:
        self.workers, self.queue, self.timeout_s = workers, queue, timeout_s
        self.retry_after_s = retry_after_s
        self._executor: ThreadPoolExecutor | None = None
        self._lock = threading.Lock()
        self.in_flight = 0
        self.refused = 0
        self.timed_out = 0
        self.cancelled = 0

    def _pool(self) -> ThreadPoolExecutor:
        if self._executor is None:
            self._executor = ThreadPoolExecutor(max_workers=self.workers,
                                                thread_name_prefix="chokepoint-analysis")
        return self._executor

    def _release(self, fut: Future[Any]) -> None:
        with self._lock:
            self.in_flight -= 1
            if not fut.cancelled() and isinstance(fut.exception(), CancelledError):
                self.cancelled += 1

    @staticmethod
    def _scoped(fn: Callable[[], T], token: CancelToken) -> T:
        with cancel_scope(token):
            return fn()

    async def run(self, fn: Callable[[], T], *, timeout_s: float | None = None) -> T:
        """Run ``fn`` on a worker; :class:`Busy` when full, 504 past the time limit
        (``timeout_s``, default the pool's)."""
        limit = self.timeout_s if timeout_s is None else timeout_s
        with self._lock:
            if self.in_flight >= self.workers + self.queue:
                self.refused += 1
                raise Busy(self.retry_after_s)
            self.in_flight += 1
        token = CancelToken()
        fut = self._pool().submit(self._scoped, fn, token)
        fut.add_done_callback(self._release)
        try:
            # asyncio.timeout, not wait_for: wait_for adds two event-loop turns between the
            # worker's end and the caller's wake-up, each a full sweep of a busy loop
            async with asyncio.timeout(limit):
                return await asyncio.wrap_future(fut)
        except TimeoutError:
            fut.cancel()  # dropped if still queued ...
            token.cancel(f"the analysis passed the time limit of {limit:g} s")
            with self._lock:  # ... else it stops at its next cancellation check
                self.timed_out += 1
            raise HTTPException(504, f"the analysis took longer than {limit:g} s "
                                     "and was abandoned") from None

    def shutdown(self) -> None:
        """Stop accepting work; queued analyses are cancelled."""
        if self._executor is not None:
            self._executor.shutdown(wait=False, cancel_futures=True)
            self._executor = None
