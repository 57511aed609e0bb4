"""cProfile the chokepoint pipeline on a benchmark graph: where the time beyond the solver goes.

    .venv/bin/python -m benchmarks.profile_flow [--graph grid|geometric] [--n N] [--reps R]
        [--what max_flow|fastest_route|od_matrix|compile]

Prints the top functions by cumulative and by own time. Profiler overhead inflates many small
Python calls; read it together with ``bench_flow``'s wall-clock medians.
"""

from __future__ import annotations

import argparse
import cProfile
import pstats
import sys

from benchmarks.generators import geometric, grid


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--graph", choices=("grid", "geometric"), default="grid")
    ap.add_argument("--n", type=int, default=None, help="grid side or geometric n")
    ap.add_argument("--reps", type=int, default=20)
    ap.add_argument("--what", default="max_flow",
                    choices=("max_flow", "fastest_route", "od_matrix", "compile"))
    ap.add_argument("--top", type=int, default=25)
    args = ap.parse_args(argv)

    from chokepoint.analyses import fastest_route, max_flow, od_matrix
    from chokepoint.compiled import CompiledNetwork

    g = grid(args.n or 100, args.n or 100) if args.graph == "grid" else \
        geometric(args.n or 200_000)
    c = g.net.compiled
    max_flow(c, g.sources, g.sinks)  # warm caches
    s, t = g.sources[len(g.sources) // 2], g.sinks[len(g.sinks) // 2]
    origins = g.sources[:10]
    calls = {
        "max_flow": lambda: max_flow(c, g.sources, g.sinks),
        "fastest_route": lambda: fastest_route(c, s, t),
        "od_matrix": lambda: od_matrix(c, origins, g.sinks),
        "compile": lambda: CompiledNetwork.build(g.net),
    }
    fn = calls[args.what]
    prof = cProfile.Profile()
    prof.enable()
    for _ in range(args.reps):
        fn()
    prof.disable()
    print(f"# {args.what} on {g.name}, {args.reps} calls", file=sys.stdout)
    st = pstats.Stats(prof, stream=sys.stdout).strip_dirs()
    st.sort_stats("cumulative").print_stats(args.top)
    st.sort_stats("tottime").print_stats(args.top)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
