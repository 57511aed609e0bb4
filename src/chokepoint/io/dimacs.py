"""DIMACS max-flow (``p max``) and min-cost-flow (``p min``) instances.

Format (DIMACS implementation challenge, 1990–91): comment lines ``c``; one problem line
``p max N M`` or ``p min N M``; node lines ``n ID s|t`` (max) or ``n ID SUPPLY`` (min); arc
lines ``a U V CAP`` (max) or ``a U V LOW CAP COST`` (min). Nodes are 1..N.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from chokepoint.errors import InputError
from chokepoint.network import Network
from chokepoint.scenario import Scenario
from chokepoint.units import Units

__all__ = ["read_dimacs"]


def read_dimacs(path: str | Path) -> Scenario:
    """Read a DIMACS instance; ``n s``/``n t`` (or supplies) become the scenario's terminals.

    Lower bounds other than 0 in ``.min`` files are rejected (say so rather than solve a
    different problem).
    """
    p = Path(path)
    try:
        lines = p.read_text().splitlines()
    except (OSError, UnicodeDecodeError) as e:
        raise InputError(f"cannot read: {e}", source=p) from None
    kind = None
    n_nodes = 0
    sources: list[str] = []
    sinks: list[str] = []
    supplies: dict[str, float] = {}
    arcs: list[list[str]] = []
    for ln, line in enumerate(lines, 1):
        f = line.split()
        if not f or f[0] == "c":
            continue
        el = f"line {ln}"
        if f[0] == "p":
            if len(f) != 4 or f[1] not in ("max", "min"):
                raise InputError("problem line must be 'p max N M' or 'p min N M'", source=p,
                                 element=el)
            kind, n_nodes = f[1], int(f[2])
        elif f[0] == "n":
            if kind is None:
                raise InputError("node line before the problem line", source=p, element=el)
            if kind == "max":
                if len(f) != 3 or f[2] not in ("s", "t"):
                    raise InputError("node line must be 'n ID s' or 'n ID t'", source=p,
                                     element=el)
                (sources if f[2] == "s" else sinks).append(f[1])
            else:
                if len(f) != 3:
                    raise InputError("node line must be 'n ID SUPPLY'", source=p, element=el)
                supplies[f[1]] = float(f[2])
        elif f[0] == "a":
            want = 4 if kind == "max" else 6
            if kind is None or len(f) != want:
                raise InputError(f"arc line must have {want - 1} fields after 'a'", source=p,
                                 element=el)
            arcs.append(f[1:])
        else:
            raise InputError(f"unknown line type {f[0]!r}", source=p, element=el)
    if kind is None:
        raise InputError("no problem line ('p max' or 'p min')", source=p)
    a = np.array(arcs, dtype=object) if arcs else np.empty((0, 4 if kind == "max" else 5))
    try:
        if kind == "max":
            links = pd.DataFrame({"from": a[:, 0].astype(str), "to": a[:, 1].astype(str),
                                  "capacity": a[:, 2].astype(float)})
        else:
            low = a[:, 2].astype(float)
            if (low != 0).any():
                i = int(np.flatnonzero(low != 0)[0])
                raise InputError("arc lower bounds other than 0 are not supported", source=p,
                                 element=f"arc {i + 1}")
            links = pd.DataFrame({"from": a[:, 0].astype(str), "to": a[:, 1].astype(str),
                                  "capacity": a[:, 3].astype(float),
                                  "cost": a[:, 4].astype(float)})
    except ValueError as e:
        raise InputError(f"arc field is not a number: {e}", source=p) from None
    links["id"] = [f"a{i + 1}" for i in range(len(links))]
    nodes = pd.DataFrame({"id": [str(i) for i in range(1, n_nodes + 1)]})
    net = Network.from_frames(nodes, links, units=Units.unitless(), name=p.stem, source=p)
    if kind == "min":
        sources = [k for k, v in supplies.items() if v > 0]
        sinks = [k for k, v in supplies.items() if v < 0]
    return Scenario(network=net, name=p.stem, sources=sources, sinks=sinks, path=str(p),
                    supplies=supplies)
