"""Throughput criticality of every link: incremental (residual repair) against a re-solve per link.

Run from the repository root::

    .venv/bin/python -m benchmarks.bench_criticality_flow            # 100x100 grid (graph a)
    .venv/bin/python -m benchmarks.bench_criticality_flow --quick    # 30x30 grid, seconds
    .venv/bin/python -m benchmarks.bench_criticality_flow --scale    # growth, API and CLI

``--scale`` times all-link throughput criticality on grids of about 10k, 40k and 160k links
(50×50, 100×100, 200×200): through the API with one thread and with one thread per CPU
(alternating, same process, after a warm-up), and through the CLI (``chokepoint criticality
FILE.csv --measure throughput --out r.csv``, a fresh process: file in, results file out), and
fits the growth exponent of each between the two largest sizes. It writes
``benchmarks/results/criticality_flow-scale.json``.

On the grid (``benchmarks.generators.grid``, 39,600 one-way links + 200 terminal arcs at
100×100) it times

* ``incremental``: :func:`chokepoint.analyses.criticality_flow.throughput_criticality` over
  **all** links (median of ``--reps`` runs after one warm-up run that also compiles numba);
* ``naive sample``: :func:`~chokepoint.analyses.criticality_flow.naive_throughput_criticality`
  (one full OR-Tools ``max_flow`` per link, the same solver) on a seeded sample of
  ``--sample`` links, extrapolated to all links;
* ``naive full``: the same on every link, when the extrapolation says it takes less than
  ``--full-limit`` seconds (5 minutes by default).

Results on every compared link must be identical (exact float equality of ``without``,
``loss`` and ``flow``); the script fails otherwise. It prints a markdown table and writes JSON
to ``benchmarks/results/criticality_flow.json`` (``criticality_flow-quick.json`` with
``--quick``; ``--out`` overrides).
"""

from __future__ import annotations

import argparse
import gc
import json
import math
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from benchmarks._machine import machine as _machine
from benchmarks.generators import grid
from chokepoint.analyses.criticality_flow import (
    naive_throughput_criticality,
    throughput_criticality,
)

RESULTS = Path(__file__).resolve().parent / "results"
GOAL = 20.0
COMPARED = ["element", "intact", "without", "loss", "loss_rel", "flow"]


def machine() -> dict[str, Any]:
    """The machine and versions (see benchmarks/_machine.py)."""
    return _machine("scipy", "numba", "ortools", "pandas")


def _same(inc: pd.DataFrame, ref: pd.DataFrame) -> None:
    """Raise unless ``inc`` (all links) agrees exactly with ``ref`` on ref's links."""
    sub = inc.set_index("element").loc[ref["element"]].reset_index()
    sub["element"] = sub["element"].astype(object)
    pd.testing.assert_frame_equal(sub[COMPARED], ref[COMPARED], check_exact=True)


def run(*, quick: bool, reps: int, sample: int, full_limit: float,
        seed: int) -> dict[str, Any]:
    """Build the grid, time both methods, check agreement; return the JSON record."""
    size = 30 if quick else 100
    g = grid(size, size, seed=seed)
    c = g.net.compiled
    n_links = len(c.link_ids)
    rec: dict[str, Any] = {"graph": g.name, "links": n_links, "arcs": int(c.n_arcs),
                           "vertices": int(c.n_vertices), "sources": len(g.sources),
                           "sinks": len(g.sinks), "machine": machine()}

    t0 = time.perf_counter()
    inc = throughput_criticality(c, g.sources, g.sinks)
    rec["incremental_first_s"] = time.perf_counter() - t0  # includes numba compile / cache load
    times = []
    for _ in range(reps):
        gc.collect()
        t0 = time.perf_counter()
        inc = throughput_criticality(c, g.sources, g.sinks)
        times.append(time.perf_counter() - t0)
    rec["incremental_s"] = statistics.median(times)
    rec["incremental_samples_s"] = times
    rec["intact"] = float(inc["intact"].iloc[0])
    rec["methods"] = {k: int(v) for k, v in inc["method"].value_counts().items()}
    rec["links_with_loss"] = int((inc["loss"] > 0).sum())
    rec["max_loss"] = float(inc["loss"].max())

    rng = np.random.default_rng(seed)
    pick = sorted(str(x) for x in rng.choice(c.link_ids, min(sample, n_links), replace=False))
    gc.collect()
    t0 = time.perf_counter()
    ref = naive_throughput_criticality(c, g.sources, g.sinks, elements=pick)
    t_sample = time.perf_counter() - t0
    _same(inc, ref)
    per_link = t_sample / len(pick)
    rec["naive_sample_links"] = len(pick)
    rec["naive_sample_s"] = t_sample
    rec["naive_per_link_ms"] = per_link * 1e3
    rec["naive_extrapolated_s"] = per_link * n_links
    rec["speedup_extrapolated"] = per_link * n_links / rec["incremental_s"]
    sample_methods = inc.set_index("element").loc[pick, "method"].value_counts()
    rec["sample_methods"] = {k: int(v) for k, v in sample_methods.items()}

    rec["naive_full_s"] = None
    rec["speedup_full"] = None
    if per_link * n_links < full_limit:
        gc.collect()
        t0 = time.perf_counter()
        full = naive_throughput_criticality(c, g.sources, g.sinks)
        rec["naive_full_s"] = time.perf_counter() - t0
        _same(inc, full)
        rec["speedup_full"] = rec["naive_full_s"] / rec["incremental_s"]
    rec["compared_links"] = n_links if rec["naive_full_s"] is not None else len(pick)
    rec["identical"] = True
    return rec


def _cli_run(g: Any, folder: Path) -> float:
    """Write the grid as a CSV link list and time the CLI on it (fresh process), seconds."""
    path = folder / f"{g.name.replace(' ', '_')}.csv"
    g.net.links.to_csv(path, index=False)
    cmd = [sys.executable, "-m", "chokepoint.cli", "criticality", str(path), "--measure",
           "throughput", "--out", str(folder / "r.csv")]
    for x in g.sources:
        cmd += ["-s", str(x)]
    for x in g.sinks:
        cmd += ["-t", str(x)]
    t0 = time.perf_counter()
    subprocess.run(cmd, check=True, capture_output=True, env=dict(os.environ))
    return time.perf_counter() - t0


def scale(*, sizes: tuple[int, ...] = (50, 100, 200), reps: int = 1,
          seed: int = 0) -> dict[str, Any]:
    """Growth of all-link throughput criticality: API (1 thread, all CPUs) and CLI."""
    from chokepoint.analyses.criticality_flow import default_workers

    rows: list[dict[str, Any]] = []
    w = default_workers()
    g0 = grid(10, 10, seed=seed)
    throughput_criticality(g0.net.compiled, g0.sources, g0.sinks)  # numba cache load
    with tempfile.TemporaryDirectory() as tmp:
        for size in sizes:
            g = grid(size, size, seed=seed)
            c = g.net.compiled
            t1: list[float] = []
            tw: list[float] = []
            for _ in range(reps):  # alternating
                for workers, out in ((1, t1), (w, tw)):
                    gc.collect()
                    t0 = time.perf_counter()
                    throughput_criticality(c, g.sources, g.sinks, workers=workers)
                    out.append(time.perf_counter() - t0)
            cli = [_cli_run(g, Path(tmp)) for _ in range(reps)]
            rows.append({"size": size, "links": len(c.link_ids), "api_1_thread_s": t1,
                         f"api_{w}_threads_s": tw, "cli_s": cli, "load": os.getloadavg()})
            print(rows[-1], flush=True)
    big, small = rows[-1], rows[-2]
    ratio = math.log(big["links"] / small["links"])
    keys = ["api_1_thread_s", f"api_{w}_threads_s", "cli_s"]
    exps = {k: math.log(statistics.median(big[k]) / statistics.median(small[k])) / ratio
            for k in keys}
    return {"rows": rows, "workers": w, "exponent_between_two_largest": exps,
            "machine": machine()}


def table(rec: dict[str, Any]) -> str:
    """The markdown table for one run."""
    n = rec["links"]
    lines = [
        f"**{rec['graph']}** — {n:,} links, {rec['arcs']:,} arcs, {rec['vertices']:,} vertices; "
        f"max flow {rec['intact']:g}",
        "",
        "| method | links | time | per link | speedup |",
        "|---|---:|---:|---:|---:|",
        f"| incremental (`throughput_criticality`), median of "
        f"{len(rec['incremental_samples_s'])} | {n:,} | {rec['incremental_s']:.2f} s | "
        f"{rec['incremental_s'] / n * 1e6:.0f} µs | ×1 |",
        f"| incremental, first run (numba compile or cache load) | {n:,} | "
        f"{rec['incremental_first_s']:.2f} s | | |",
        f"| naive re-solve, seeded sample | {rec['naive_sample_links']:,} | "
        f"{rec['naive_sample_s']:.2f} s | {rec['naive_per_link_ms']:.2f} ms | |",
        f"| naive re-solve, extrapolated to all links | {n:,} | "
        f"{rec['naive_extrapolated_s']:.1f} s | | **×{rec['speedup_extrapolated']:.0f}** |",
    ]
    if rec["naive_full_s"] is not None:
        lines.append(f"| naive re-solve, full run | {n:,} | {rec['naive_full_s']:.1f} s | "
                     f"{rec['naive_full_s'] / n * 1e3:.2f} ms | **×{rec['speedup_full']:.0f}** |")
    methods = ", ".join(f"{k} {v:,}" for k, v in sorted(rec["methods"].items()))
    lines += [
        "",
        f"Methods over all links: {methods}. Links with a loss: {rec['links_with_loss']:,} "
        f"(largest {rec['max_loss']:g}). Results identical on all {rec['compared_links']:,} "
        f"compared links. Goal ×{GOAL:g}.",
    ]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    """Command-line entry point."""
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--quick", action="store_true", help="30x30 grid (seconds)")
    ap.add_argument("--reps", type=int, default=3, help="timed incremental runs")
    ap.add_argument("--sample", type=int, default=500, help="links in the naive sample")
    ap.add_argument("--full-limit", type=float, default=300.0,
                    help="run the full naive pass if extrapolated below this (seconds)")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--out", type=Path, default=None, help="JSON output path")
    ap.add_argument("--scale", action="store_true", help="growth over 10k/40k/160k links")
    args = ap.parse_args(argv)
    if args.scale:
        srec = scale(reps=args.reps, seed=args.seed)
        print(json.dumps(srec["exponent_between_two_largest"], indent=2))
        out = args.out or RESULTS / "criticality_flow-scale.json"
        out.write_text(json.dumps(srec, indent=2) + "\n")
        print(f"\nwritten {out}")
        return 0
    rec = run(quick=args.quick, reps=args.reps, sample=args.sample,
              full_limit=args.full_limit, seed=args.seed)
    rec["command"] = ("python -m benchmarks.bench_criticality_flow"
                      + (" --quick" if args.quick else ""))
    print(table(rec))
    out = args.out or RESULTS / ("criticality_flow-quick.json" if args.quick
                                 else "criticality_flow.json")
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(rec, indent=2) + "\n")
    print(f"\nwritten {out}")
    speedup = rec["speedup_full"] or rec["speedup_extrapolated"]
    return 0 if speedup >= GOAL else 1


if __name__ == "__main__":
    raise SystemExit(main())
