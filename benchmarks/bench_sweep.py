"""Sweeps on Dask: speedup from 1 to 2 local workers, per-task overhead, the world railway
redundancy sweep end to end, and 10,000 Monte Carlo runs on the built-in scenario.

Run from the repository root::

    .venv/bin/python -m benchmarks.bench_sweep            # full (about 5 minutes on 2 cores)
    .venv/bin/python -m benchmarks.bench_sweep --quick    # small sizes (about a minute)

Parts (every distributed result is checked against the in-process one, exactly):

(a) **speedup**: throughput criticality of every link of a ``benchmarks.generators.grid``
    (100×100: 39,600 links; ``--quick`` 60×60) with ``budget=0``, so every link the bounds do
    not settle is re-solved from scratch with OR-Tools — CPU-bound work worth spreading. Timed
    in-process (``workers=0``), then on a LocalCluster of 1 and of 2 worker processes (the
    cluster is started before the clock; the clock includes shipping the network, every task
    and writing nothing else). Goal: ≥ 1.7× from 1 to 2 workers.
(b) **per-task overhead**: ``--tasks`` empty tasks (one chunk each) on the 2-worker cluster;
    wall time per task, against in-process.
(c) **world railway graph** (``chokepoint.io.world.read_world_railways`` from the installed
    ``scgraph_data`` package; skipped when absent): the full single-link redundancy sweep end to
    end on a fresh 2-worker LocalCluster — cluster start, scatter, chunks, combine — beside
    the in-process analysis.
(d) **Monte Carlo**: ``--runs`` runs (10,000; ``--quick`` 1,000) on the built-in scenario
    (throughput + served demand), end to end on a fresh 2-worker LocalCluster; the per-run cost
    in-process on a sample, and the check that the distributed runs equal in-process ones.

Prints markdown; the full run writes ``docs/benchmarks/sweep.md`` (``--doc`` to choose another
path, ``--json`` to also save the raw record).
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from benchmarks._machine import machine as _machine
from benchmarks.generators import grid
from chokepoint.scenario import Scenario
from chokepoint.sweep import sweep_criticality, sweep_montecarlo
from chokepoint.sweep.runner import run_chunks
from chokepoint.sweep.tasks import Payload, empty_task
from chokepoint.workflows.ranking import redundancy_weight

ROOT = Path(__file__).resolve().parents[1]
DOC = ROOT / "docs" / "benchmarks" / "sweep.md"
GOAL = 1.7
DATE = "2026-11-27"


def log(msg: str) -> None:
    print(msg, file=sys.stderr, flush=True)


def _cluster(n: int) -> Any:
    from distributed import LocalCluster

    return LocalCluster(n_workers=n, threads_per_worker=1, processes=True,
                        dashboard_address=None,
                        scheduler_kwargs={"dashboard_address": "127.0.0.1:0"})


def _warm(client: Any) -> None:
    """Import chokepoint and load the numba caches on every worker (not timed)."""
    def imp() -> int:
        import chokepoint.analyses.criticality_flow
        import chokepoint.analyses.redundancy
        import chokepoint.sweep.tasks  # noqa: F401
        return os.getpid()

    client.run(imp)


# -- (a) speedup ------------------------------------------------------------------------------
def speedup(size: int, chunk: int) -> dict[str, Any]:
    from distributed import Client

    g = grid(size, size, seed=0)
    s = Scenario(network=g.net, sources=list(g.sources), sinks=list(g.sinks))
    c = s.network.compiled
    kw: dict[str, Any] = {"measures": ["throughput"], "budget": 0, "chunk_size": chunk}
    rec: dict[str, Any] = {"grid": f"{size}x{size}", "links": len(c.link_ids),
                           "arcs": int(c.n_arcs), "chunk_size": chunk}
    rec["loadavg_before"] = [round(x, 2) for x in os.getloadavg()]
    log(f"(a) grid {size}x{size}: in-process ...")
    t = time.perf_counter()
    ref = sweep_criticality(s, workers=0, **kw)
    rec["inprocess_s"] = time.perf_counter() - t
    rec["chunks"] = ref.info.chunks_run
    rec["resolved"] = int((ref.table["throughput_method"] == "resolve").sum())
    for n in (1, 2):
        log(f"(a) {n} worker(s) ...")
        with _cluster(n) as cl, Client(cl) as client:
            _warm(client)
            t = time.perf_counter()
            res = sweep_criticality(s, client=client, **kw)
            rec[f"workers{n}_s"] = time.perf_counter() - t
        pd.testing.assert_frame_equal(res.table, ref.table)
    rec["loadavg_after"] = [round(x, 2) for x in os.getloadavg()]
    rec["speedup_1_to_2"] = rec["workers1_s"] / rec["workers2_s"]
    rec["speedup_inprocess_to_2"] = rec["inprocess_s"] / rec["workers2_s"]
    return rec


# -- (b) overhead -----------------------------------------------------------------------------
def overhead(n_tasks: int) -> dict[str, Any]:
    from distributed import Client

    from chokepoint.data import load_builtin

    p = Payload(c=load_builtin().network.compiled)
    chunks = [(i, i + 1) for i in range(n_tasks)]
    rec: dict[str, Any] = {"tasks": n_tasks}
    t = time.perf_counter()
    run_chunks(empty_task, p, chunks, workers=0)
    rec["inprocess_per_task_ms"] = 1e3 * (time.perf_counter() - t) / n_tasks
    log(f"(b) {n_tasks} empty tasks on 2 workers ...")
    with _cluster(2) as cl, Client(cl) as client:
        _warm(client)
        run_chunks(empty_task, p, chunks[:20], client=client)  # warm the task path
        t = time.perf_counter()
        frames, _ = run_chunks(empty_task, p, chunks, client=client)
        rec["dask_per_task_ms"] = 1e3 * (time.perf_counter() - t) / n_tasks
    assert sum(len(f) for f in frames) == n_tasks
    return rec


# -- (c) world railways -----------------------------------------------------------------------
def world(chunk: int) -> dict[str, Any]:
    try:
        from chokepoint.io.world import read_world_railways
    except ImportError as exc:  # pragma: no cover
        return {"skipped": str(exc)}
    from chokepoint.analyses.redundancy import link_redundancy
    from chokepoint.errors import MissingDependencyError

    log("(c) reading the world railway graph ...")
    t = time.perf_counter()
    try:
        net, _ = read_world_railways()
    except MissingDependencyError as exc:
        return {"skipped": str(exc)}
    rec: dict[str, Any] = {"read_s": time.perf_counter() - t, "links": len(net.links),
                           "nodes": len(net.nodes), "chunk_size": chunk}
    s = Scenario(network=net)
    c = net.compiled
    w = redundancy_weight(c)  # the weight the sweep uses (as the ranking: time if known)
    rec["weight"] = w
    link_redundancy(c, weight=w, links=list(c.link_ids[:10]))  # numba cache load
    t = time.perf_counter()
    direct = link_redundancy(c, weight=w)
    rec["inprocess_analysis_s"] = time.perf_counter() - t
    t = time.perf_counter()
    ref = sweep_criticality(s, measures=["redundancy"], chunk_size=chunk, workers=0)
    rec["inprocess_sweep_s"] = time.perf_counter() - t
    log("(c) on a fresh 2-worker LocalCluster ...")
    t = time.perf_counter()
    res = sweep_criticality(s, measures=["redundancy"], chunk_size=chunk, workers=2)
    rec["dask_end_to_end_s"] = time.perf_counter() - t
    rec["dask_chunks"] = res.info.chunks_run
    pd.testing.assert_frame_equal(res.table, ref.table)
    alt = direct.set_index("link").loc[res.table["element"], "alt_weight"].to_numpy()
    np.testing.assert_array_equal(res.table[f"alt_{w}"].to_numpy(), alt)
    return rec


# -- (d) Monte Carlo --------------------------------------------------------------------------
def montecarlo(runs: int, sample: int) -> dict[str, Any]:
    from chokepoint.data import load_builtin

    s = load_builtin()
    rec: dict[str, Any] = {"runs": runs, "horizon_days": 90.0}
    log(f"(d) {sample} runs in-process ...")
    t = time.perf_counter()
    ref = sweep_montecarlo(s, runs=sample, seed=1, workers=0)
    rec["inprocess_per_run_ms"] = 1e3 * (time.perf_counter() - t) / sample
    log(f"(d) {runs} runs on a fresh 2-worker LocalCluster ...")
    t = time.perf_counter()
    res = sweep_montecarlo(s, runs=runs, seed=1, workers=2)
    rec["dask_end_to_end_s"] = time.perf_counter() - t
    rec["dask_chunks"] = res.info.chunks_run
    pd.testing.assert_frame_equal(res.table.head(sample), ref.table)
    st = res.summary["stats"]
    rec["throughput_loss_rel"] = {k: st["throughput_loss_rel"][k] for k in ("p5", "p50", "p95")}
    rec["served_loss_rel"] = {k: st["served_loss_rel"][k] for k in ("p5", "p50", "p95")}
    rec["mean_failures"] = st["failures"]["mean"]
    return rec


# -- report -----------------------------------------------------------------------------------
def markdown(rec: dict[str, Any]) -> str:
    m = rec["machine"]
    a, b, c, d = rec["speedup"], rec["overhead"], rec["world"], rec["montecarlo"]
    lines = [
        "<!-- generated by benchmarks/bench_sweep.py; do not edit -->",
        f"Sweeps on Dask distributed, measured {DATE} on {m['cpu'] or 'unknown CPU'} "
        f"({m['nproc']} cores, {m['memory']}; load {m['loadavg_at_start']}), Python "
        f"{m['python']}, dask {m['dask']}, distributed {m['distributed']}, numpy {m['numpy']}, "
        f"ortools {m['ortools']}, pandas {m['pandas']}. Local clusters: processes with one "
        "thread each. Every distributed result equals the in-process one exactly.",
        "",
        "| benchmark | in-process | 1 worker | 2 workers | result |",
        "|---|---:|---:|---:|---|",
        f"| (a) throughput criticality, {a['grid']} grid, {a['links']:,} links, budget=0 "
        f"({a['resolved']:,} full re-solves, {a['chunks']} chunks of {a['chunk_size']}) | "
        f"{a['inprocess_s']:.1f} s | {a['workers1_s']:.1f} s | {a['workers2_s']:.1f} s | "
        f"**{a['speedup_1_to_2']:.2f}×** from 1 to 2 workers (goal ≥ {GOAL}×; "
        f"{a['speedup_inprocess_to_2']:.2f}× from in-process; load average before/after "
        f"{a['loadavg_before'][0]}/{a['loadavg_after'][0]}) |",
        f"| (b) per-task overhead, {b['tasks']} empty tasks | "
        f"{b['inprocess_per_task_ms']:.3f} ms | | {b['dask_per_task_ms']:.2f} ms | "
        "scheduler round trip per task, both workers busy |",
    ]
    if "skipped" in c:
        lines.append(f"| (c) world railway redundancy | skipped: {c['skipped']} | | | |")
    else:
        lines.append(
            f"| (c) world railway graph, {c['links']:,} links: full single-link redundancy "
            f"sweep by {c['weight']} end to end (fresh cluster, {c['dask_chunks']} chunks) | "
            f"{c['inprocess_analysis_s']:.2f} s (one call) | | {c['dask_end_to_end_s']:.1f} s | "
            f"reading the graph from scgraph_data: {c['read_s']:.1f} s (not included) |")
    lines.append(
        f"| (d) Monte Carlo, {d['runs']:,} runs × {d['horizon_days']:g} days on the built-in "
        f"scenario, throughput + served demand (fresh cluster, {d['dask_chunks']} chunks) | "
        f"{d['inprocess_per_run_ms']:.1f} ms per run | | {d['dask_end_to_end_s']:.1f} s | "
        f"p5/p50/p95 throughput lost: "
        + " / ".join(f"{100 * d['throughput_loss_rel'][k]:.1f} %" for k in ("p5", "p50", "p95"))
        + " |")
    lines += [
        "",
        "Reading the table: the 1→2 speedup of (a) is the distributed-computing figure. The "
        "sweep's tasks are independent, so on 2 cores it is bounded by 2× less the scheduler "
        "and shipping costs, and it needs both cores free: on this shared VM another job's "
        "load shows in the load averages and drags the 2-worker time. Parts (c) and (d) "
        "include starting the cluster (about 1–2 s for 2 processes, which must import "
        "chokepoint). The redundancy sweep of the world railway graph is so fast in one "
        "process (chains and bridges, `docs/algorithms/redundancy.md`) that distributing it "
        "only pays on a cluster whose workers are already running, or for much larger graphs.",
    ]
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="small sizes (about a minute)")
    ap.add_argument("--tasks", type=int, default=None, help="empty tasks for (b)")
    ap.add_argument("--runs", type=int, default=None, help="Monte Carlo runs for (d)")
    ap.add_argument("--doc", type=Path, default=None, help="markdown output (full run: "
                                                          "docs/benchmarks/sweep.md)")
    ap.add_argument("--json", type=Path, default=None, help="also write the raw record")
    args = ap.parse_args(argv)
    q = args.quick
    rec: dict[str, Any] = {"machine": _machine("scipy", "ortools", "pandas", "dask",
                                               "distributed"), "quick": q}
    rec["speedup"] = speedup(60 if q else 100, 250 if q else 500)
    rec["overhead"] = overhead(args.tasks or (200 if q else 1000))
    rec["world"] = world(4000)
    rec["montecarlo"] = montecarlo(args.runs or (1000 if q else 10_000), 200 if q else 500)
    md = markdown(rec)
    print(md)
    doc = args.doc or (None if q else DOC)
    if doc is not None:
        doc.write_text(md)
        log(f"wrote {doc}")
    if args.json is not None:
        args.json.write_text(json.dumps(rec, indent=2, default=str))


if __name__ == "__main__":
    main()
