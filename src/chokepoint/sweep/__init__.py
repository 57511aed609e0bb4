"""Sweeps: fan the per-element analyses and Monte Carlo runs out over Dask workers.

Two sweeps:

* :func:`sweep_criticality` — every link, node or failure group under the criticality
  measures (throughput, served demand, detours, redundancy), in chunks of elements; the
  combined table has the columns and ranking order of
  :func:`chokepoint.workflows.ranking.criticality` (one builder:
  :func:`~chokepoint.workflows.ranking.criticality_table`).
* :func:`sweep_montecarlo` — ``runs`` random failure timelines (seeded per run), each
  evaluated for throughput and served-demand loss (and, optionally, the SimPy campaign's
  delay and backlog); the summary gives percentiles and the worst runs.

Both stream each finished chunk to a Parquet file in ``out`` (see
:mod:`chokepoint.sweep.store`), can ``resume`` an interrupted sweep with identical results,
and run in-process (``scheduler="sync"`` / ``workers=0``), on a local Dask cluster (default)
or on an existing one (``scheduler="tcp://host:8786"``); see :mod:`chokepoint.sweep.runner`.
The analyses themselves know nothing of this package.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from chokepoint.errors import InputError
from chokepoint.progress import Progress
from chokepoint.sweep.runner import RunInfo, run_chunks
from chokepoint.sweep.store import SweepStore
from chokepoint.sweep.tasks import (
    MC_MEASURES,
    MonteCarloParams,
    Payload,
    applicable_measures,
    criticality_chunk,
    default_failures,
    element_ids,
    montecarlo_chunk,
    montecarlo_run,
    run_seed,
)
from chokepoint.workflows.ranking import MEASURES, finish
from chokepoint.workflows.shipment import display_unit

if TYPE_CHECKING:
    from chokepoint.scenario import Demand, Scenario
    from chokepoint.timeline import StochasticFailure

__all__ = ["MC_MEASURES", "MEASURES", "MonteCarloParams", "Payload", "RunInfo", "SweepResult",
           "default_failures", "montecarlo_params", "montecarlo_payload", "montecarlo_run",
           "run_seed", "summarize_montecarlo", "sweep_criticality", "sweep_montecarlo"]

#: Elements per criticality chunk aim at this many chunks (at least ``MIN_CHUNK`` each).
TARGET_CHUNKS = 64
MIN_CHUNK = 8
#: Monte Carlo runs per chunk: about ``runs / 32``, between ``MC_CHUNK_MIN`` and ``MC_CHUNK``
#: (campaign simulations take ~0.5 s each: ``MC_CHUNK_SIMULATE`` per chunk).
MC_CHUNK = 100
MC_CHUNK_MIN = 10
MC_CHUNK_SIMULATE = 5
PERCENTILES = (5, 50, 95)



@dataclass
class SweepResult:
    """A finished sweep.

    Attributes
    ----------
    table
        One row per element (criticality, ranked) or per run (Monte Carlo, by run).
    summary
        JSON-able: parameters, counts, percentiles, worst runs / top elements.
    info
        How it ran (:class:`~chokepoint.sweep.runner.RunInfo`).
    out
        The output folder (None when nothing was written).
    files
        Combined files written (``results.parquet``, ``results.csv``, ``summary.json``).
    """

    table: pd.DataFrame
    summary: dict[str, Any]
    info: RunInfo
    out: Path | None = None
    files: list[Path] = field(default_factory=list)


def _plan(n: int, size: int) -> list[tuple[int, int]]:
    return [(a, min(a + size, n)) for a in range(0, n, size)]


def _terminals(s: Scenario, sources: Sequence[str] | None, sinks: Sequence[str] | None
               ) -> tuple[list[str], list[str], Demand | None]:
    """Terminals and commodity as :func:`chokepoint.workflows.ranking.criticality` picks them
    (:func:`chokepoint.workflows.shipment.shipment`)."""
    from chokepoint.workflows.shipment import shipment

    sh = shipment(s, sources=sources, sinks=sinks)
    return sh.sources, sh.sinks, sh.commodity


def _run(fn: Callable[..., pd.DataFrame], payload: Payload, plan: list[tuple[Any, ...]],
         sizes: list[int], manifest: dict[str, Any], *, out: str | Path | None, resume: bool,
         scheduler: str | None, workers: int | None, client: Any, dashboard: bool,
         progress: Progress | None, log: Callable[[str], object] | None
         ) -> tuple[list[pd.DataFrame], RunInfo, SweepStore | None]:
    if resume and out is None:
        raise InputError("resume= needs out= (the folder of the sweep to resume)")
    store = SweepStore(out, manifest, resume=resume) if out is not None else None
    frames, info = run_chunks(fn, payload, plan, sizes=sizes, store=store,
                              scheduler=scheduler, workers=workers, client=client,
                              dashboard=dashboard, progress=progress, log=log)
    return frames, info, store


# -- criticality ------------------------------------------------------------------------------
def sweep_criticality(
    s: Scenario,
    *,
    kind: str = "link",
    measures: Sequence[str] | None = None,
    sources: Sequence[str] | None = None,
    sinks: Sequence[str] | None = None,
    chunk_size: int | None = None,
    budget: int | None = None,
    out: str | Path | None = None,
    resume: bool = False,
    scheduler: str | None = None,
    workers: int | None = None,
    client: Any = None,
    dashboard: bool = False,
    progress: Progress | None = None,
    log: Callable[[str], object] | None = None,
) -> SweepResult:
    """Criticality of every element of ``kind``, chunked and fanned out.

    Parameters
    ----------
    s
        The scenario (its network is compiled once, here, and shipped to workers once).
    kind
        ``link``, ``node`` or ``group``.
    measures
        Among :data:`MEASURES` (default all that have data: terminals for throughput,
        demands for served demand and detours, transit times for detours, links for
        redundancy).
    sources, sinks
        Throughput terminals (default ``[flow]``, else the first commodity's ends).
    chunk_size
        Elements per task (default: about :data:`TARGET_CHUNKS` chunks). Part of the manifest:
        a resume needs the same value.
    budget
        Passed to :func:`~chokepoint.analyses.criticality_flow.throughput_criticality`.
    out, resume
        Output folder (one Parquet file per chunk, then ``results.parquet``/``.csv`` and
        ``summary.json``) and whether to continue the sweep already in it.
    scheduler, workers, client, dashboard
        Where to run (see :mod:`chokepoint.sweep.runner`).
    progress
        ``progress(done, total)`` in elements.
    log
        One-line messages (dashboard link).

    Returns
    -------
    SweepResult
        ``table``: one row per element with ``rank``, ``element``, ``kind``, ``name`` and the
        measures' columns, ranked as :func:`chokepoint.workflows.ranking.criticality` ranks.
    """
    c = s.network.compiled
    src, snk, route = _terminals(s, sources, sinks)
    payload = Payload(c=c, sources=src, sinks=snk, demands=list(s.demands),
                      unit=s.units.base, route=route)
    ms = applicable_measures(payload, kind, list(measures or MEASURES))
    if not ms:
        raise InputError("no measure applies (throughput needs sources and sinks, served "
                         "and detour need demands, redundancy needs --by link)")
    ids = element_ids(c, kind)
    size = chunk_size or max(MIN_CHUNK, math.ceil(len(ids) / TARGET_CHUNKS))
    if size < 1:
        raise InputError("chunk size must be >= 1")
    plan = _plan(len(ids), size)
    manifest = {"sweep": "criticality", "scenario": payload.fingerprint(),
                "params": {"kind": kind, "measures": ms, "budget": budget,
                           "chunk_size": size, "elements": len(ids)},
                "chunks": [list(p) for p in plan]}
    frames, info, store = _run(
        criticality_chunk, payload, [(kind, ms, a, b, budget) for a, b in plan],
        [b - a for a, b in plan], manifest, out=out, resume=resume, scheduler=scheduler,
        workers=workers, client=client, dashboard=dashboard, progress=progress, log=log)
    table = pd.concat(frames, ignore_index=True) if frames else pd.DataFrame()
    table = finish(s, table, kind,
                   unit=display_unit(s, route) if route is not None else None)
    summary: dict[str, Any] = {
        "sweep": "criticality", "kind": kind, "measures": ms, "elements": len(table),
        "unit": s.units.base, "chunks": len(plan), "mode": info.mode, "workers": info.workers,
        "top": table.head(10).replace({np.nan: None}).to_dict("records"),
    }
    for col in ("throughput_loss", "served_loss", "pairs_cut"):
        if col in table:
            summary[f"elements_with_{col}"] = int((table[col] > 0).sum())
    if "has_alternative" in table:
        summary["links_without_alternative"] = int((~table["has_alternative"].astype(bool)
                                                    ).sum())
    files = store.write_results(table, summary) if store is not None else []
    return SweepResult(table=table, summary=summary, info=info,
                       out=store.root if store else None, files=files)


# -- Monte Carlo ------------------------------------------------------------------------------
def montecarlo_params(
    s: Scenario,
    *,
    seed: int = 0,
    horizon_days: float = 90.0,
    failures: Sequence[StochasticFailure] | None = None,
    failure_kind: str = "group",
    probability_per_day: float = 0.001,
    repair_days_mean: float = 7.0,
    repair_distribution: str = "exponential",
    capacity_factor: float = 0.0,
    measures: Sequence[str] = MC_MEASURES,
    simulate: bool = False,
    settings: dict[str, Any] | None = None,
) -> MonteCarloParams:
    """The parameters of a Monte Carlo sweep (see :func:`sweep_montecarlo`)."""
    if not horizon_days > 0:
        raise InputError("horizon_days must be > 0")
    bad = [m for m in measures if m not in MC_MEASURES]
    if bad:
        raise InputError(f"unknown measure {bad[0]!r} (have: {', '.join(MC_MEASURES)})")
    if failures is None and s.stochastic_failures:
        failures = s.stochastic_failures  # the scenario's [[stochastic_failures]]
    if failures is None:
        failures = default_failures(
            s.network.compiled, kind=failure_kind, probability_per_day=probability_per_day,
            repair_days_mean=repair_days_mean, repair_distribution=repair_distribution,
            capacity_factor=capacity_factor)
    return MonteCarloParams(seed=int(seed), horizon_days=float(horizon_days),
                            failures=tuple(failures), measures=tuple(measures),
                            simulate=simulate, settings=settings)


def montecarlo_payload(s: Scenario, params: MonteCarloParams,
                       sources: Sequence[str] | None = None,
                       sinks: Sequence[str] | None = None) -> Payload:
    """What every Monte Carlo task needs (the scenario itself only for simulations)."""
    from chokepoint.sweep.tasks import _campaign_epoch

    src, snk, route = _terminals(s, sources, sinks)
    p = Payload(c=s.network.compiled, sources=src, sinks=snk, demands=list(s.demands),
                route=route,
                unit=s.units.base)
    if params.simulate:
        p.scenario = s
        p.epoch = _campaign_epoch(s, params.settings)
        if p.epoch is None:
            raise InputError("simulate= needs a campaign start ([simulation].start or the "
                             "commodity's start)")
    if not ((p.sources and p.sinks and "throughput" in params.measures)
            or (p.demands and "served" in params.measures) or params.simulate):
        raise InputError("nothing to measure: the scenario has no terminals and no demands")
    return p


def sweep_montecarlo(
    s: Scenario,
    *,
    runs: int = 1000,
    seed: int = 0,
    horizon_days: float = 90.0,
    failures: Sequence[StochasticFailure] | None = None,
    failure_kind: str = "group",
    probability_per_day: float = 0.001,
    repair_days_mean: float = 7.0,
    repair_distribution: str = "exponential",
    capacity_factor: float = 0.0,
    measures: Sequence[str] = MC_MEASURES,
    simulate: bool = False,
    settings: dict[str, Any] | None = None,
    sources: Sequence[str] | None = None,
    sinks: Sequence[str] | None = None,
    only_run: int | None = None,
    worst: int = 10,
    chunk_size: int | None = None,
    out: str | Path | None = None,
    resume: bool = False,
    scheduler: str | None = None,
    workers: int | None = None,
    client: Any = None,
    dashboard: bool = False,
    progress: Progress | None = None,
    log: Callable[[str], object] | None = None,
) -> SweepResult:
    """Monte Carlo over random failures and repair times: distributions of the losses.

    Each run ``i`` draws a failure timeline with seed :func:`run_seed` ``(seed, i)`` and
    measures throughput loss, unserved demand and (``simulate``) campaign delay and backlog;
    see :mod:`chokepoint.sweep.tasks` for the definitions.

    Failures: ``failures`` if given, else the scenario's ``[[stochastic_failures]]`` when it
    has them (the default-model parameters below are then unused), else the default model:
    every failure group (``failure_kind``) fails with ``probability_per_day`` on each day it
    is up, loses its capacity (``capacity_factor``) and is repaired after an exponential time
    with mean ``repair_days_mean`` (:func:`~chokepoint.sweep.tasks.default_failures`).

    Parameters
    ----------
    runs, seed, horizon_days
        Number of runs, base seed, study period of each run.
    only_run
        Compute run ``only_run`` alone, in this process (the same row as in the sweep).
    worst
        How many worst runs the summary keeps.
    chunk_size
        Runs per task (default ``runs / 32`` clamped to [:data:`MC_CHUNK_MIN`,
        :data:`MC_CHUNK`], or :data:`MC_CHUNK_SIMULATE` with ``simulate``). Part of the
        manifest: a resume needs the same value.
    out, resume, scheduler, workers, client, dashboard, progress, log
        As for :func:`sweep_criticality`.

    Returns
    -------
    SweepResult
        ``table``: one row per run (``run``, ``seed``, ``failures``, ``down_days``,
        ``events``, ``throughput_*``, ``served_*``/``unserved``, campaign columns);
        ``summary``: mean, p5, p50, p95 and max of every measure, the share of runs with a
        loss, and the ``worst`` runs by throughput loss (else unserved demand, else delay).
    """
    params = montecarlo_params(
        s, seed=seed, horizon_days=horizon_days, failures=failures, failure_kind=failure_kind,
        probability_per_day=probability_per_day, repair_days_mean=repair_days_mean,
        repair_distribution=repair_distribution, capacity_factor=capacity_factor,
        measures=measures, simulate=simulate, settings=settings)
    payload = montecarlo_payload(s, params, sources, sinks)
    if only_run is not None:
        if not only_run >= 0:
            raise InputError("only_run= must be >= 0")
        table = montecarlo_run(payload, params, only_run)
        summary = summarize_montecarlo(table, params, unit=s.units.base, worst=worst)
        summary["failure_model"]["from"] = _failure_source(s, failures)
        return SweepResult(table=table, summary=summary, info=RunInfo(mode="sync"))
    if runs < 1:
        raise InputError("runs= must be >= 1")
    size = chunk_size or (MC_CHUNK_SIMULATE if simulate else
                          min(MC_CHUNK, max(MC_CHUNK_MIN, math.ceil(runs / 32))))
    if size < 1:
        raise InputError("chunk size must be >= 1")
    plan = _plan(runs, size)
    manifest = {"sweep": "montecarlo", "scenario": payload.fingerprint(),
                "params": {**params.to_json(), "runs": runs, "chunk_size": size,
                           "sources": payload.sources, "sinks": payload.sinks},
                "chunks": [list(p) for p in plan]}
    frames, info, store = _run(
        montecarlo_chunk, payload, [(params, a, b) for a, b in plan], [b - a for a, b in plan],
        manifest, out=out, resume=resume, scheduler=scheduler, workers=workers, client=client,
        dashboard=dashboard, progress=progress, log=log)
    table = pd.concat(frames, ignore_index=True).sort_values("run", kind="stable")
    table = table.reset_index(drop=True)
    summary = summarize_montecarlo(table, params, unit=s.units.base, worst=worst)
    summary.update(mode=info.mode, workers=info.workers, chunks=len(plan))
    summary["failure_model"]["from"] = _failure_source(s, failures)
    files = store.write_results(table, summary) if store is not None else []
    return SweepResult(table=table, summary=summary, info=info,
                       out=store.root if store else None, files=files)


def _failure_source(s: Scenario, failures: Sequence[StochasticFailure] | None) -> str:
    if failures is not None:
        return "given"
    return "scenario" if s.stochastic_failures else "default"


#: Measures summarised, in this order, when present; the first present one ranks the worst.
MC_COLUMNS = ("throughput_loss", "throughput_loss_rel", "throughput_min", "degraded_days",
              "unserved", "served_loss_rel", "served_min", "delay_mean_h", "delay_max_h",
              "undelivered", "completion_delay_h", "peak_backlog", "peak_backlog_excess",
              "failures", "down_days")
_RANK_BY = ("throughput_loss", "unserved", "delay_mean_h")


def summarize_montecarlo(table: pd.DataFrame, params: MonteCarloParams, *, unit: str = "",
                         worst: int = 10) -> dict[str, Any]:
    """Percentiles (p5, p50, p95), mean and max of every measure, and the worst runs."""
    stats: dict[str, dict[str, float | None]] = {}
    for col in MC_COLUMNS:
        if col not in table:
            continue
        v = table[col].to_numpy(dtype=float)
        v = v[np.isfinite(v)]
        if not len(v):
            stats[col] = {"mean": None, **{f"p{q}": None for q in PERCENTILES}, "max": None}
            continue
        pct = np.percentile(v, PERCENTILES)
        stats[col] = {"mean": float(v.mean()),
                      **{f"p{q}": float(x) for q, x in zip(PERCENTILES, pct, strict=True)},
                      "max": float(v.max())}
    by = next((col for col in _RANK_BY if col in table), "failures")
    top = table.sort_values([by, "run"], ascending=[False, True], kind="stable").head(worst)
    out: dict[str, Any] = {
        "sweep": "montecarlo", "runs": len(table), "seed": params.seed,
        "horizon_days": params.horizon_days, "unit": unit,
        "failure_model": {"elements": len(params.failures),
                          "example": dataclasses.asdict(params.failures[0]) if params.failures
                          else None},
        "stats": stats, "worst_by": by,
        "worst_runs": top.replace({np.nan: None}).to_dict("records"),
    }
    if by in table:
        out["share_with_loss"] = float((table[by].to_numpy(dtype=float) > 0).mean()) \
            if len(table) else 0.0
    return out
