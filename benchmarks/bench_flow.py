"""Max flow and fastest-route speed: the chokepoint pipeline against the raw solvers.

Run from the repository root::

    .venv/bin/python -m benchmarks.bench_flow            # full: 100x100 grid, n=200k graph
    .venv/bin/python -m benchmarks.bench_flow --quick    # seconds: 20x20 grid, n=5k graph

On each graph, in one process and side by side (repetitions interleaved round-robin, so a noisy
neighbour hits every method alike), it times:

max flow (sources -> sinks through a super-source and super-sink)
    * ``raw solve()``: OR-Tools ``SimpleMaxFlow.solve`` alone, arcs already added;
    * ``raw add+solve``: ``SimpleMaxFlow()`` + ``add_arcs_with_capacity`` on prebuilt numpy
      arrays (super arcs included) + ``solve`` — **the reference ("raw solver")**;
    * ``pipeline``: ``chokepoint.analyses.max_flow(net.compiled, sources, sinks)`` with the
      network already compiled (also extracts flows, per-link flows and the min cut);
    * ``compile``: ``CompiledNetwork.build(net)`` alone;
    * ``compile + pipeline``: a fresh compile followed by ``max_flow``;
    * networkx ``preflow_push`` (solve only; graph built beforehand), with a time budget.

fastest route / Dijkstra (weight ``time_h``)
    * ``raw dijkstra 1 src``: ``scipy.sparse.csgraph.dijkstra(csr, indices=s,
      return_predecessors=True)`` on a CSR built beforehand from the raw arrays;
    * ``fastest_route``: ``chokepoint.analyses.fastest_route(c, s, t)``;
    * ``raw dijkstra k src`` and ``od_matrix``: the same with k origins × all sinks.

Every method's answer is checked against the raw solver's (max-flow values equal; distances
equal to 1e-12 relative). The results are printed as a markdown table and written as JSON to
``benchmarks/results/flow.json`` (``flow-quick.json`` with ``--quick``; ``--out`` overrides).
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import signal
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import scipy.sparse as sp

from benchmarks._machine import json_default as _jsonable
from benchmarks._machine import machine as _machine
from benchmarks.generators import BenchGraph, geometric, grid

RESULTS = Path(__file__).resolve().parent / "results"
GOAL = 1.3


# -- timing -----------------------------------------------------------------------------------
Method = Callable[[], tuple[Any, float]]


def timed(fn: Callable[[], Any]) -> Method:
    """Wrap ``fn`` so that it returns (result, seconds)."""

    def run() -> tuple[Any, float]:
        t0 = time.perf_counter()
        out = fn()
        return out, time.perf_counter() - t0

    return run


def round_robin(methods: dict[str, Method], reps: dict[str, int]) -> dict[str, dict[str, Any]]:
    """Run every method ``reps[name]`` times, interleaved; collect samples and last results."""
    samples: dict[str, list[float]] = {k: [] for k in methods}
    results: dict[str, Any] = {}
    for i in range(max(reps.values())):
        for name, fn in methods.items():
            if i >= reps[name]:
                continue
            gc.collect()
            out, dt = fn()
            samples[name].append(dt)
            results[name] = out
    return {k: {"median_s": statistics.median(v), "reps": len(v), "samples_s": v,
                "result": results[k]} for k, v in samples.items()}


class _TimeoutError(Exception):
    pass


def with_budget(fn: Callable[[], Any], budget_s: float) -> tuple[Any, float] | None:
    """Run ``fn`` once; None if it takes longer than ``budget_s`` (SIGALRM, pure Python only)."""

    def alarm(signum: int, frame: Any) -> None:
        raise _TimeoutError

    old = signal.signal(signal.SIGALRM, alarm)
    signal.setitimer(signal.ITIMER_REAL, budget_s)
    try:
        gc.collect()
        t0 = time.perf_counter()
        out = fn()
        return out, time.perf_counter() - t0
    except _TimeoutError:
        return None
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, old)


# -- the methods ------------------------------------------------------------------------------
def raw_arrays(g: BenchGraph) -> tuple[np.ndarray, np.ndarray, np.ndarray, int, int]:
    """Arc arrays with the super-source S = n and super-sink T = n + 1 (unlimited arcs)."""
    S, T = g.n, g.n + 1
    big = int(g.capacity.sum()) + 1
    tails = np.concatenate([g.tail, np.full(len(g.source_idx), S), g.sink_idx])
    heads = np.concatenate([g.head, g.source_idx, np.full(len(g.sink_idx), T)])
    caps = np.concatenate([g.capacity, np.full(len(g.source_idx) + len(g.sink_idx), big)])
    return tails.astype(np.int64), heads.astype(np.int64), caps.astype(np.int64), S, T


def ortools_methods(g: BenchGraph) -> dict[str, Method]:
    from ortools.graph.python.max_flow import SimpleMaxFlow

    tails, heads, caps, S, T = raw_arrays(g)

    def add_solve() -> tuple[int, float]:
        t0 = time.perf_counter()
        solver = SimpleMaxFlow()
        solver.add_arcs_with_capacity(tails, heads, caps)
        status = solver.solve(S, T)
        dt = time.perf_counter() - t0
        assert status == solver.OPTIMAL, status
        return solver.optimal_flow(), dt

    def solve_only() -> tuple[int, float]:
        solver = SimpleMaxFlow()
        solver.add_arcs_with_capacity(tails, heads, caps)
        t0 = time.perf_counter()
        status = solver.solve(S, T)
        dt = time.perf_counter() - t0
        assert status == solver.OPTIMAL, status
        return solver.optimal_flow(), dt

    return {"raw solve()": solve_only, "raw add+solve": add_solve}


def networkx_graph(g: BenchGraph) -> Any:
    import networkx as nx

    tails, heads, caps, S, T = raw_arrays(g)
    G: Any = nx.DiGraph()
    m = g.n_arcs
    G.add_edges_from(zip(tails[:m].tolist(), heads[:m].tolist(),
                         ({"capacity": c} for c in caps[:m].tolist()), strict=True))
    # terminal arcs without a capacity attribute: unlimited in networkx
    G.add_edges_from((S, int(v)) for v in g.source_idx)
    G.add_edges_from((int(v), T) for v in g.sink_idx)
    return G, S, T


def nx_preflow(G: Any, S: int, T: int) -> Callable[[], Any]:
    from networkx.algorithms.flow import preflow_push

    def run() -> float:
        R = preflow_push(G, S, T, value_only=True)
        return R.graph["flow_value"]

    return run


def raw_csr(g: BenchGraph) -> sp.csr_matrix:
    # the generators make no parallel arcs, so COO -> CSR sums nothing
    return sp.csr_matrix((g.time_h, (g.tail, g.head)), shape=(g.n, g.n))


# -- one graph --------------------------------------------------------------------------------
def bench_graph(g: BenchGraph, *, reps_flow: int, reps_route: int, reps_nx: int,
                nx_budget_s: float, k_origins: int, log: Callable[[str], None]) -> dict[str, Any]:
    from chokepoint.analyses import fastest_route, max_flow, od_matrix
    from chokepoint.compiled import CompiledNetwork

    net = g.net
    out: dict[str, Any] = {
        "graph": g.name, "params": g.params, "nodes": net.n_nodes, "links": net.n_links,
        "solver_vertices": net.n_nodes + 2, "solver_arcs": g.n_arcs + len(g.sources)
        + len(g.sinks), "sources": len(g.sources), "sinks": len(g.sinks),
        "network_from_frames_s": g.build_s,
    }

    # ---- max flow
    t0 = time.perf_counter()
    c = net.compiled
    out["first_compile_s"] = time.perf_counter() - t0
    warm = max_flow(c, g.sources, g.sinks)  # fills cached properties (arc_group)
    log(f"  {g.name}: compiled in {out['first_compile_s']:.2f} s, max flow {warm.value:g}")

    def pipeline_compile() -> float:
        c2 = CompiledNetwork.build(net)
        return max_flow(c2, g.sources, g.sinks).value

    methods: dict[str, Method] = {
        **ortools_methods(g),
        "pipeline": timed(lambda: max_flow(c, g.sources, g.sinks).value),
        "compile": timed(lambda: CompiledNetwork.build(net).n_arcs),
        "compile + pipeline": timed(pipeline_compile),
    }
    flow = round_robin(methods, dict.fromkeys(methods, reps_flow))
    ref = flow["raw add+solve"]["result"]
    for k in ("raw solve()", "pipeline", "compile + pipeline"):
        assert flow[k]["result"] == ref, (k, flow[k]["result"], ref)
    assert abs(warm.cut_capacity - ref) <= 1e-9 * max(1, ref), (warm.cut_capacity, ref)
    flow["compile"]["result"] = None
    log(f"  {g.name}: max flow timed ({reps_flow} reps)")

    # networkx preflow_push, with a budget
    t0 = time.perf_counter()
    G, S, T = networkx_graph(g)
    nx_build = time.perf_counter() - t0
    run = nx_preflow(G, S, T)
    first = with_budget(run, nx_budget_s)
    if first is None:
        flow["networkx preflow_push"] = {
            "median_s": None, "reps": 0, "samples_s": [], "result": None,
            "note": f"not run to completion, too slow: > {nx_budget_s:g} s (stopped)",
        }
        log(f"  {g.name}: networkx preflow_push stopped after {nx_budget_s:g} s")
    else:
        value, dt = first
        samples = [dt]
        for _ in range(reps_nx - 1):
            value2, dt2 = with_budget(run, 10 * nx_budget_s) or (None, float("nan"))
            assert value2 == value
            samples.append(dt2)
        assert value == ref, ("networkx", value, ref)
        flow["networkx preflow_push"] = {"median_s": statistics.median(samples),
                                         "reps": len(samples), "samples_s": samples,
                                         "result": value}
        log(f"  {g.name}: networkx preflow_push {statistics.median(samples):.2f} s")
    flow["networkx preflow_push"]["graph_build_s"] = nx_build
    del G, run
    gc.collect()

    out["max_flow_value"] = ref
    out["max_flow"] = flow

    # ---- routes
    csr = raw_csr(g)
    mid = len(g.sources) // 2
    s_id, t_id = g.sources[mid], g.sinks[len(g.sinks) // 2]
    s_i, t_i = int(s_id), int(t_id)
    origins = g.sources[:: max(1, len(g.sources) // k_origins)][:k_origins]
    o_idx = np.array([int(o) for o in origins])
    d_idx = np.array([int(d) for d in g.sinks])
    from scipy.sparse.csgraph import dijkstra

    def raw_one() -> float:
        dist, _pred = dijkstra(csr, directed=True, indices=s_i, return_predecessors=True)
        return float(dist[t_i])

    def raw_many() -> np.ndarray:
        return dijkstra(csr, directed=True, indices=o_idx)[:, d_idx]

    route_methods: dict[str, Method] = {
        "raw dijkstra 1 src": timed(raw_one),
        "fastest_route": timed(lambda: fastest_route(c, s_id, t_id)),
        "raw dijkstra k src": timed(raw_many),
        "od_matrix": timed(lambda: od_matrix(c, origins, g.sinks)),
        "chokepoint csr build": timed(lambda: c.csr(c.weights("time_h")).nnz),
    }
    routes = round_robin(route_methods, dict.fromkeys(route_methods, reps_route))
    d_raw = routes["raw dijkstra 1 src"]["result"]
    rt = routes["fastest_route"]["result"]
    assert rt.found
    assert np.isclose(rt.cost, d_raw, rtol=1e-12, atol=0), (rt.cost, d_raw)
    assert np.isclose(rt.time_h, rt.cost, rtol=1e-9), (rt.time_h, rt.cost)
    od = routes["od_matrix"]["result"]
    assert list(od.index) == list(origins)
    assert list(od.columns) == list(g.sinks)
    assert np.allclose(od.to_numpy(), routes["raw dijkstra k src"]["result"], rtol=1e-12,
                       atol=0, equal_nan=False)
    routes["fastest_route"]["result"] = {"cost_h": rt.cost, "links": len(rt.links)}
    routes["raw dijkstra 1 src"]["result"] = d_raw
    routes["od_matrix"]["result"] = None
    routes["raw dijkstra k src"]["result"] = None
    routes["chokepoint csr build"]["result"] = None
    out["routes"] = routes
    out["route"] = {"source": s_id, "target": t_id, "k_origins": len(origins),
                    "destinations": len(g.sinks)}
    log(f"  {g.name}: routes timed ({reps_route} reps)")
    return out


# -- reporting --------------------------------------------------------------------------------
ROWS: list[tuple[str, str, str, str | None]] = [
    # (label, section, method, reference method for the ratio)
    ("max flow: raw OR-Tools `solve()` only", "max_flow", "raw solve()", "raw add+solve"),
    ("max flow: **raw OR-Tools add_arcs + solve** (reference)", "max_flow", "raw add+solve",
     "raw add+solve"),
    ("max flow: **chokepoint `max_flow`** (compiled)", "max_flow", "pipeline", "raw add+solve"),
    ("compile: `CompiledNetwork.build`", "max_flow", "compile", "raw add+solve"),
    ("max flow: compile + `max_flow`", "max_flow", "compile + pipeline", "raw add+solve"),
    ("max flow: networkx `preflow_push`", "max_flow", "networkx preflow_push", "raw add+solve"),
    ("1 origin: **raw scipy `dijkstra`** (reference)", "routes", "raw dijkstra 1 src",
     "raw dijkstra 1 src"),
    ("1 origin: **chokepoint `fastest_route`**", "routes", "fastest_route",
     "raw dijkstra 1 src"),
    ("k origins: **raw scipy `dijkstra`** (reference)", "routes", "raw dijkstra k src",
     "raw dijkstra k src"),
    ("k origins: **chokepoint `od_matrix`**", "routes", "od_matrix", "raw dijkstra k src"),
    ("of which: chokepoint `CompiledNetwork.csr` build", "routes", "chokepoint csr build",
     "raw dijkstra 1 src"),
]


def fmt_s(x: float | None) -> str:
    if x is None:
        return "–"
    if x >= 1:
        return f"{x:.2f} s"
    if x >= 1e-3:
        return f"{x * 1e3:.1f} ms"
    return f"{x * 1e6:.0f} µs"


def ratios(g: dict[str, Any]) -> dict[str, float | None]:
    r: dict[str, float | None] = {}
    for _label, sec, meth, refm in ROWS:
        a, b = g[sec][meth]["median_s"], g[sec][refm]["median_s"] if refm else None
        r[meth] = (a / b) if (a is not None and b) else None
    return r


def markdown(res: dict[str, Any]) -> str:
    gs = res["graphs"]
    head = "| measurement | " + " | ".join(
        f"{g['graph']}: median [reps] | ratio" for g in gs) + " |"
    sep = "|---|" + "---:|---:|" * len(gs)
    lines = [head, sep]
    for label, sec, meth, _ref in ROWS:
        cells = []
        for g in gs:
            e = g[sec][meth]
            rt = g["ratios"][meth]
            if e["median_s"] is None:
                cells += [e.get("note", "not run"), "–"]
            else:
                cells += [f"{fmt_s(e['median_s'])} [{e['reps']}]",
                          f"×{rt:.2f}" if rt is not None else ""]
        lines.append(f"| {label} | " + " | ".join(cells) + " |")
    lines.append("")
    for g in gs:
        nxe = g["max_flow"]["networkx preflow_push"]
        lines.append(
            f"- **{g['graph']}**: {g['nodes']:,} nodes, {g['links']:,} one-way links; solvers see "
            f"{g['solver_vertices']:,} vertices and {g['solver_arcs']:,} arcs "
            f"({g['sources']:,} sources, {g['sinks']:,} sinks). Max flow {g['max_flow_value']:,}; "
            f"k = {g['route']['k_origins']} origins × {g['route']['destinations']:,} "
            f"destinations for `od_matrix`. Not in the table: `Network.from_frames` "
            f"{fmt_s(g['network_from_frames_s'])} (1 run), networkx graph build "
            f"{fmt_s(nxe['graph_build_s'])} (1 run)."
        )
    lines.append("")
    lines.append(f"Ratios are to the row marked *reference* of the same task, medians of one run; "
                 f"goal: chokepoint within ×{GOAL} of the raw solver. All values agreed.")
    return "\n".join(lines)


def machine() -> dict[str, Any]:
    """The machine and versions (see benchmarks/_machine.py)."""
    return _machine("scipy", "ortools", "networkx", "pandas", "chokepoint")


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--quick", action="store_true", help="small sizes (a few seconds)")
    ap.add_argument("--out", type=Path, default=None, help="JSON output path")
    ap.add_argument("--nx-budget", type=float, default=None,
                    help="seconds allowed for one networkx preflow_push run on the large graph")
    ap.add_argument("--seed", type=int, default=0)
    args = ap.parse_args(argv)

    def log(msg: str) -> None:
        print(msg, file=sys.stderr, flush=True)

    if args.quick:
        plans = [
            (lambda: grid(20, 20, seed=args.seed), dict(reps_flow=5, reps_route=5, reps_nx=3,
                                                        nx_budget_s=30.0, k_origins=5)),
            (lambda: geometric(5_000, seed=args.seed), dict(reps_flow=5, reps_route=5,
                                                            reps_nx=1, nx_budget_s=30.0,
                                                            k_origins=5)),
        ]
    else:
        plans = [
            (lambda: grid(100, 100, seed=args.seed), dict(reps_flow=21, reps_route=21,
                                                          reps_nx=5, nx_budget_s=120.0,
                                                          k_origins=100)),
            (lambda: geometric(200_000, seed=args.seed),
             dict(reps_flow=7, reps_route=9, reps_nx=1,
                  nx_budget_s=args.nx_budget or 300.0, k_origins=10)),
        ]
    res: dict[str, Any] = {"benchmark": "flow", "quick": args.quick, "machine": machine(),
                           "goal_ratio": GOAL, "graphs": []}
    t_all = time.perf_counter()
    for make, kw in plans:
        t0 = time.perf_counter()
        g = make()
        log(f"built {g.name} in {time.perf_counter() - t0:.1f} s")
        r = bench_graph(g, log=log, **kw)  # type: ignore[arg-type]
        r["ratios"] = ratios(r)
        res["graphs"].append(r)
        del g
        gc.collect()
    res["total_s"] = time.perf_counter() - t_all
    res["loadavg_at_end"] = list(os.getloadavg())
    md = markdown(res)
    res["markdown"] = md
    print(md)
    out = args.out or RESULTS / ("flow-quick.json" if args.quick else "flow.json")
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(res, indent=1, default=_jsonable) + "\n")
    log(f"wrote {out} (total {res['total_s']:.0f} s)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
