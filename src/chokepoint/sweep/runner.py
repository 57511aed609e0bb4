"""Run a sweep's chunks in-process or on Dask distributed, streaming results to a store.

Where the chunks run (``scheduler``):

* ``"sync"`` (or ``workers=0``): one after the other in this process, without Dask — for
  debugging and as the reference the distributed runs are tested against;
* ``None`` / ``"local"``: a :class:`distributed.LocalCluster` of ``workers`` processes (default:
  one per CPU) with one thread each — the analyses are single-threaded and hold the GIL in
  places, so processes, not threads, give the speedup;
* an address such as ``"tcp://10.0.0.5:8786"``: an existing Dask cluster (every worker needs
  chokepoint installed); nothing else changes;
* or pass a connected :class:`distributed.Client` as ``client``.

The payload (the compiled network...) is scattered to every worker once with
``broadcast=True``; each task receives the future, so the network is not serialised per task.
Tasks are pure: when a worker dies, the scheduler reruns its tasks elsewhere (and, with
broadcast, the payload survives on the other workers), so the results do not change. Chunks
are written to the store **in the client process** as they finish — the workers need no
shared file system.
"""

from __future__ import annotations

import os
import time
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import pandas as pd

from chokepoint.errors import InputError, require
from chokepoint.progress import Progress
from chokepoint.sweep.store import SweepStore

__all__ = ["RunInfo", "run_chunks"]

Log = Callable[[str], object]


@dataclass
class RunInfo:
    """How a sweep ran: ``mode`` (sync, local, remote, client), workers, the dashboard link
    (when there is one), chunks run and skipped (already on disk), wall seconds."""

    mode: str
    workers: int = 1
    dashboard: str | None = None
    chunks_run: int = 0
    chunks_skipped: int = 0
    wall_s: float = 0.0
    extra: dict[str, Any] = field(default_factory=dict)


def _distributed() -> Any:
    """``distributed``, or :class:`MissingDependencyError` naming the ``dask`` extra."""
    return require("distributed", "dask")


def run_chunks(
    fn: Callable[..., pd.DataFrame],
    payload: Any,
    chunks: Sequence[tuple[Any, ...]],
    *,
    sizes: Sequence[int] | None = None,
    store: SweepStore | None = None,
    scheduler: str | None = None,
    workers: int | None = None,
    client: Any = None,
    dashboard: bool = False,
    progress: Progress | None = None,
    log: Log | None = None,
    retries: int = 2,
) -> tuple[list[pd.DataFrame], RunInfo]:
    """Compute ``fn(payload, *chunks[i])`` for every chunk; results in chunk order.

    Parameters
    ----------
    fn
        A pure, importable function (it runs on the workers).
    payload
        Shipped to every worker once.
    chunks
        The arguments of each task after the payload.
    sizes
        Items per chunk (for progress; default 1 each).
    store
        Where finished chunks are written (and those already there are read, not rerun).
    scheduler, workers, client
        Where to run (module docstring).
    dashboard
        Serve the Dask dashboard of a local cluster (needs ``bokeh``) and report its link.
    progress
        ``progress(done_items, total_items)`` after each chunk.
    log
        Receives one-line messages (the dashboard link).
    retries
        Extra attempts of a task that raised (a killed worker is handled by the scheduler
        and needs none).
    """
    t0 = time.perf_counter()
    n = len(chunks)
    sizes = list(sizes) if sizes is not None else [1] * n
    total = int(sum(sizes))
    results: list[pd.DataFrame | None] = [None] * n
    todo = list(range(n))
    info = RunInfo(mode="sync")
    if store is not None:
        done = store.done(range(n))
        for i in sorted(done):
            results[i] = store.read_chunk(i)
        todo = [i for i in range(n) if i not in done]
        info.chunks_skipped = len(done)
    finished = sum(sizes[i] for i in range(n) if results[i] is not None)

    def finish(i: int, df: pd.DataFrame) -> None:
        nonlocal finished
        if store is not None:
            store.write_chunk(i, df)
        results[i] = df
        finished += sizes[i]
        info.chunks_run += 1
        if progress is not None:
            progress(finished, total)

    if progress is not None:
        progress(finished, total)
    if scheduler == "sync" or (workers == 0 and client is None and scheduler in (None, "local")):
        for i in todo:
            finish(i, fn(payload, *chunks[i]))
    elif todo:
        if workers is not None and workers < 0:
            raise InputError("workers= must be >= 0")
        _on_dask(fn, payload, chunks, todo, finish, info, scheduler=scheduler,
                 workers=workers, client=client, dashboard=dashboard, log=log,
                 retries=retries)
    info.wall_s = time.perf_counter() - t0
    return [r if r is not None else pd.DataFrame() for r in results], info


def _connect(d: Any, scheduler: str, timeout_s: float = 10.0) -> Any:
    """A client of the scheduler at ``scheduler``, or one line saying why not (the address
    is malformed, or nothing answers there within ``timeout_s``)."""
    if not scheduler.startswith(("tcp://", "tls://", "inproc://", "ucx://", "ws://", "wss://")):
        raise InputError(f"scheduler address must look like tcp://HOST:PORT, not {scheduler!r}")
    try:
        return d.Client(scheduler, timeout=timeout_s)
    except (OSError, TimeoutError) as e:
        raise InputError(f"no Dask scheduler answers at {scheduler} within {timeout_s:g} s "
                         f"({type(e).__name__})") from None


def _on_dask(fn: Callable[..., pd.DataFrame], payload: Any, chunks: Sequence[tuple[Any, ...]],
             todo: list[int], finish: Callable[[int, pd.DataFrame], None], info: RunInfo, *,
             scheduler: str | None, workers: int | None, client: Any, dashboard: bool,
             log: Log | None, retries: int) -> None:
    from contextlib import ExitStack

    d = _distributed()
    with ExitStack() as stack:
        if client is not None:
            info.mode = "client"
        elif scheduler not in (None, "local"):
            info.mode = "remote"
            client = stack.enter_context(_connect(d, str(scheduler)))
            info.dashboard = client.dashboard_link
        else:
            info.mode = "local"
            n_workers = workers or os.cpu_count() or 1
            kw: dict[str, Any] = {"dashboard_address": ":8787"} if dashboard else {
                # no dashboard; its HTTP server on a free port (8787 may be taken)
                "dashboard_address": None,
                "scheduler_kwargs": {"dashboard_address": "127.0.0.1:0"}}
            cluster = stack.enter_context(d.LocalCluster(
                n_workers=n_workers, threads_per_worker=1, processes=True, **kw))
            client = stack.enter_context(d.Client(cluster))
            if dashboard and _has_bokeh():
                info.dashboard = client.dashboard_link
        info.workers = len(client.scheduler_info().get("workers", {})) or (workers or 0)
        if info.dashboard and log is not None:
            log(f"Dask dashboard: {info.dashboard}")
        token = uuid.uuid4().hex[:10]
        data = client.scatter(payload, broadcast=True, hash=False)
        futures = {}
        for i in todo:
            fut = client.submit(fn, data, *chunks[i], key=f"chokepoint-sweep-{token}-{i}",
                                pure=False, retries=retries)
            futures[fut.key] = (i, fut)
        try:
            for fut in d.as_completed([f for _, f in futures.values()]):
                i, _ = futures.pop(fut.key)
                finish(i, fut.result())
        finally:
            if futures:  # interrupted: drop what is still queued
                client.cancel([f for _, f in futures.values()])
            client.cancel([data])


def _has_bokeh() -> bool:
    try:
        import bokeh  # noqa: F401
    except ImportError:
        return False
    return True
