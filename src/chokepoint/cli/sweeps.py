"""The ``sweep`` sub-app: criticality and Monte Carlo sweeps on Dask."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer
from rich.markup import escape
from rich.table import Table

from chokepoint.cli._app import (
    JsonOpt,
    PathArg,
    _check_kind,
    _check_measures,
    _load,
    _num,
    _print_json,
    _progress,
    app,
    err,
    out,
)
from chokepoint.cli.risk import _print_ranking
from chokepoint.errors import InputError

# ---------------------------------------------------------------------------------------------
# sweeps (chokepoint.sweep): fan-out over Dask, resumable, streamed to Parquet
# ---------------------------------------------------------------------------------------------
sweep_app = typer.Typer(
    help="Sweeps over every element or many random failure runs, on Dask (resumable).",
    no_args_is_help=True,
)


app.add_typer(sweep_app, name="sweep")


SchedulerOpt = Annotated[str | None, typer.Option(
    "--scheduler", help="Address of an existing Dask scheduler (tcp://HOST:PORT); default: a "
                        "local cluster sized to this machine.")]


WorkersOpt = Annotated[int | None, typer.Option(
    "--workers", help="Local worker processes (default one per CPU); 0 runs in this process "
                      "without Dask.")]


SweepOutOpt = Annotated[Path | None, typer.Option(
    "--out", help="Folder: one Parquet file per finished chunk, then results.parquet, "
                  "results.csv and summary.json.")]


ResumeOpt = Annotated[bool, typer.Option(
    "--resume", help="Continue the sweep in --out: finished chunks are kept, not rerun.")]


ChunkOpt = Annotated[int | None, typer.Option(
    "--chunk-size", help="Elements or runs per task (default: automatic).")]


DashboardOpt = Annotated[bool, typer.Option(
    "--dashboard", help="Serve the Dask dashboard of the local cluster (needs bokeh).")]


def _sweep_progress(label: str) -> Any:
    """``_progress()`` adapted to the sweep API: yields ``(progress, log)``."""
    from contextlib import contextmanager

    @contextmanager
    def ctx() -> Any:
        with _progress() as cb:
            yield (lambda done, total: cb(label, done, total),
                   lambda msg: err.print(escape(msg)))

    return ctx()


def _where(scheduler: str | None, workers: int | None) -> dict[str, Any]:
    if scheduler is not None and workers is not None:
        raise InputError("give --scheduler or --workers, not both")
    return {"scheduler": scheduler, "workers": workers}


@sweep_app.command("criticality")
def sweep_criticality_cmd(
    path: PathArg,
    by: Annotated[str, typer.Option("--by", help="link, node or group.")] = "link",
    measure: Annotated[list[str] | None, typer.Option(
        "--measure", help="throughput, served, detour, redundancy (repeatable; default all "
                          "that apply).")] = None,
    source: Annotated[list[str] | None, typer.Option("--source", "-s",
                                                     help="Source node id (repeatable).")] = None,
    sink: Annotated[list[str] | None, typer.Option("--sink", "-t",
                                                   help="Sink node id (repeatable).")] = None,
    top: Annotated[int, typer.Option(help="Rows to print.")] = 15,
    chunk_size: ChunkOpt = None,
    scheduler: SchedulerOpt = None,
    workers: WorkersOpt = None,
    out_dir: SweepOutOpt = None,
    resume: ResumeOpt = False,
    dashboard: DashboardOpt = False,
    as_json: JsonOpt = False,
) -> None:
    """Criticality of every link, node or failure group, fanned out over Dask workers."""
    from chokepoint.sweep import MEASURES, sweep_criticality

    _check_kind(by)
    _check_measures(measure, MEASURES)
    s = _load(path)
    with _sweep_progress(f"criticality by {by}") as (cb, log):
        res = sweep_criticality(s, kind=by, measures=measure or None, sources=source,
                                sinks=sink, chunk_size=chunk_size, out=out_dir, resume=resume,
                                dashboard=dashboard, progress=cb, log=log,
                                **_where(scheduler, workers))
    if as_json:
        _print_json({**res.summary, "top": res.table.head(top if top > 0 else len(res.table))
                     .to_dict("records"), "files": [str(p) for p in res.files]})
        return
    _print_ranking(s, res.table, top)
    i = res.info
    out.print(f"{len(res.table)} elements in {i.wall_s:.1f} s ({i.mode}, {i.workers} "
              f"worker(s); {i.chunks_run} chunk(s) run, {i.chunks_skipped} resumed)")
    if res.out is not None:
        out.print(f"Wrote {res.out}/results.parquet, results.csv and summary.json")


@sweep_app.command("montecarlo")
def sweep_montecarlo_cmd(
    path: PathArg,
    runs: Annotated[int, typer.Option("--runs", help="Number of runs.")] = 1000,
    seed: Annotated[int, typer.Option("--seed", help="Base seed; run i uses child i of "
                                                     "SeedSequence(seed).")] = 0,
    horizon: Annotated[float, typer.Option("--horizon-days", help="Study period of each "
                                                                  "run.")] = 90.0,
    by: Annotated[str, typer.Option("--by", help="What fails at random: group (default), "
                                                 "link or node.")] = "group",
    p_fail: Annotated[float, typer.Option("--p-fail", help="Failure probability per element "
                                                           "and day up.")] = 0.001,
    repair_days: Annotated[float, typer.Option("--repair-days", help="Mean repair time "
                                                                     "(days).")] = 7.0,
    repair: Annotated[str, typer.Option("--repair", help="Repair time distribution: "
                                        "exponential, lognormal or fixed.")] = "exponential",
    factor: Annotated[float, typer.Option("--factor", help="Capacity kept while failed "
                                                           "(0 = closed).")] = 0.0,
    measure: Annotated[list[str] | None, typer.Option(
        "--measure", help="throughput, served (repeatable; default both).")] = None,
    simulate_campaign: Annotated[bool, typer.Option(
        "--simulate", help="Also run the SimPy campaign per run: delay and backlog "
                           "(~0.5 s per run).")] = False,
    only_run: Annotated[int | None, typer.Option(
        "--only-run", help="Compute run i alone, in this process (same result as in the "
                           "sweep).")] = None,
    worst: Annotated[int, typer.Option("--worst", help="Worst runs to keep.")] = 10,
    source: Annotated[list[str] | None, typer.Option("--source", "-s",
                                                     help="Source node id (repeatable).")] = None,
    sink: Annotated[list[str] | None, typer.Option("--sink", "-t",
                                                   help="Sink node id (repeatable).")] = None,
    chunk_size: ChunkOpt = None,
    scheduler: SchedulerOpt = None,
    workers: WorkersOpt = None,
    out_dir: SweepOutOpt = None,
    resume: ResumeOpt = False,
    dashboard: DashboardOpt = False,
    as_json: JsonOpt = False,
) -> None:
    """Random failures and repairs: distributions of throughput loss, unserved demand and
    (--simulate) campaign delay and backlog, with percentiles and the worst runs."""
    from chokepoint.sweep import MC_MEASURES, sweep_montecarlo

    _check_measures(measure, MC_MEASURES)
    _check_kind(by)
    s = _load(path)
    with _sweep_progress("Monte Carlo runs") as (cb, log):
        res = sweep_montecarlo(
            s, runs=runs, seed=seed, horizon_days=horizon, failure_kind=by,
            probability_per_day=p_fail, repair_days_mean=repair_days,
            repair_distribution=repair, capacity_factor=factor,
            measures=measure or MC_MEASURES, simulate=simulate_campaign, only_run=only_run,
            worst=worst, sources=source, sinks=sink, chunk_size=chunk_size, out=out_dir,
            resume=resume, dashboard=dashboard, progress=cb, log=log,
            **_where(scheduler, workers))
    summ = res.summary
    if as_json:
        _print_json({**summ, "files": [str(p) for p in res.files]})
        return
    unit = summ["unit"]
    title = (f"Run {only_run} (seed {int(res.table['seed'].iloc[0])})" if only_run is not None
             else f"{summ['runs']:,} runs, {summ['horizon_days']:g} days each, seed {seed}")
    t = Table(title=f"Monte Carlo on {s.network.name}: {title}")
    t.add_column("measure")
    for col in ("mean", "p5", "p50", "p95", "max"):
        t.add_column(col, justify="right")
    labels = {"throughput_loss": f"throughput lost ({unit} × day)",
              "throughput_loss_rel": "throughput lost (share)",
              "unserved": f"demand not served ({unit} × day)",
              "served_loss_rel": "demand not served (share)",
              "delay_mean_h": "mean container delay (h)", "delay_max_h": "max delay (h)",
              "peak_backlog": "peak yard backlog (containers)", "failures": "failures",
              "down_days": "element-days down"}
    for col, label in labels.items():
        st = summ["stats"].get(col)
        if st is not None:
            t.add_row(label, *(_num(st[k], 3 if col.endswith("_rel") else 1)
                               for k in ("mean", "p5", "p50", "p95", "max")))
    out.print(t)
    if only_run is None:
        w = Table(title=f"Worst runs by {summ['worst_by']}")
        for col in ("run", summ["worst_by"], "failures", "events"):
            w.add_column(col, justify="left" if col == "events" else "right")
        for r in summ["worst_runs"]:
            w.add_row(str(r["run"]), _num(r[summ["worst_by"]], 1), str(r["failures"]),
                      escape(str(r["events"])[:80]))
        out.print(w)
        i = res.info
        out.print(f"{summ['runs']:,} runs in {i.wall_s:.1f} s ({i.mode}, {i.workers} "
                  f"worker(s); {i.chunks_run} chunk(s) run, {i.chunks_skipped} resumed). "
                  f"Reproduce one: --only-run <run>")
    else:
        out.print(f"failures: {escape(str(res.table['events'].iloc[0])) or 'none'}")
    if res.out is not None:
        out.print(f"Wrote {res.out}/results.parquet, results.csv and summary.json")

