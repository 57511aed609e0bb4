"""The plain baseline for ``bench_load``: read a DIMACS ``p max`` file with numpy, solve with
OR-Tools ``SimpleMaxFlow``, print the value as JSON. No validation, no names, no cut.

Usage: ``python benchmarks/plain_maxflow.py FILE.max``
"""

from __future__ import annotations

import json
import sys

import numpy as np
from ortools.graph.python import max_flow


def main(path: str) -> None:
    """Read, solve, print."""
    src = snk = -1
    with open(path, "rb") as fh:
        for line in fh:  # the header (comments, problem and node lines) precedes the arcs
            if line.startswith(b"a"):
                break
            f = line.split()
            if f[:1] == [b"n"]:
                if f[2] == b"s":
                    src = int(f[1]) - 1
                else:
                    snk = int(f[1]) - 1
    raw = np.loadtxt(path, comments=("c", "p", "n"), usecols=(1, 2, 3), dtype=np.int64)
    smf = max_flow.SimpleMaxFlow()
    smf.add_arcs_with_capacity(raw[:, 0] - 1, raw[:, 1] - 1, raw[:, 2])
    status = smf.solve(src, snk)
    sys.stdout.write(json.dumps({"value": smf.optimal_flow(), "status": int(status)}) + "\n")


if __name__ == "__main__":
    main(sys.argv[1])
