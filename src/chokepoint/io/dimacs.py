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
from chokepoint.limits import check_size
from chokepoint.network import Network
from chokepoint.scenario import Scenario
from chokepoint.units import Units

__all__ = ["read_dimacs"]


def _token(text: str, width: int = 40) -> str:
    """A token for an error message: quoted, at most ``width`` characters."""
    return repr(text) if len(text) <= width else f"{text[:width]!r}… ({len(text):,} characters)"


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
    tails: list[int] = []
    heads: list[int] = []
    fields: list[list[float]] = []

    def number(text: str, el: str, what: str, *, integer: bool = False) -> float:
        try:
            return int(text) if integer else float(text)
        except ValueError:
            raise InputError(f"{what} is not {'an integer' if integer else 'a number'}: "
                             f"{_token(text)}", source=p, element=el) from None

    def node(text: str, el: str) -> int:
        v = int(number(text, el, "node id", integer=True))
        if not 1 <= v <= n_nodes:
            raise InputError(f"node {v} is outside 1..{n_nodes} (from the problem line)",
                             source=p, element=el)
        return v

    for ln, line in enumerate(lines, 1):
        f = line.split()
        if not f or f[0] == "c":
            continue
        el = f"line {ln}"
        if f[0] == "p":
            if len(f) != 4 or f[1] not in ("max", "min"):
                raise InputError("problem line must be 'p max N M' or 'p min N M'", source=p,
                                 element=el)
            if kind is not None:
                raise InputError("a second problem line", source=p, element=el)
            kind = f[1]
            n_nodes = int(number(f[2], el, "node count", integer=True))
            n_arcs = int(number(f[3], el, "arc count", integer=True))
            if n_nodes < 0 or n_arcs < 0:
                raise InputError("node and arc counts must be >= 0", source=p, element=el)
            check_size("nodes + arcs in the problem line", n_nodes + n_arcs, source=p,
                       element=el)
        elif f[0] == "n":
            if kind is None:
                raise InputError("node line before the problem line", source=p, element=el)
            if kind == "max":
                if len(f) != 3 or f[2] not in ("s", "t"):
                    raise InputError("node line must be 'n ID s' or 'n ID t'", source=p,
                                     element=el)
                (sources if f[2] == "s" else sinks).append(str(node(f[1], el)))
            else:
                if len(f) != 3:
                    raise InputError("node line must be 'n ID SUPPLY'", source=p, element=el)
                supplies[str(node(f[1], el))] = number(f[2], el, "supply")
        elif f[0] == "a":
            want = 4 if kind == "max" else 6
            if kind is None or len(f) != want:
                raise InputError(f"arc line must have {want - 1} fields after 'a'", source=p,
                                 element=el)
            tails.append(node(f[1], el))
            heads.append(node(f[2], el))
            vals = [number(x, el, "arc field") for x in f[3:]]
            if kind == "min" and vals[0] != 0:
                raise InputError("arc lower bounds other than 0 are not supported", source=p,
                                 element=el)
            fields.append(vals)
        else:
            raise InputError(f"unknown line type {_token(f[0])}", source=p, element=el)
    if kind is None:
        raise InputError("no problem line ('p max' or 'p min')", source=p)
    if kind == "max" and (not sources or not sinks):
        raise InputError("a 'p max' instance needs a source ('n ID s') and a sink ('n ID t') "
                         "line", source=p, element=f"no {'source' if not sources else 'sink'}")
    a = np.array(fields, dtype=float).reshape(len(fields), 1 if kind == "max" else 3)
    links = pd.DataFrame({"from": np.array(tails, dtype=np.int64).astype(str),
                          "to": np.array(heads, dtype=np.int64).astype(str)})
    if kind == "max":
        links["capacity"] = a[:, 0]
    else:
        links["capacity"] = a[:, 1]
        links["cost"] = a[:, 2]
    links["id"] = [f"a{i + 1}" for i in range(len(links))]
    nodes = pd.DataFrame({"id": [str(i) for i in range(1, n_nodes + 1)]})
    net = Network.from_frames(nodes, links, units=Units.unitless(), name=p.stem, source=p)
    if kind == "min":
        sources = [k for k, v in supplies.items() if v > 0]
        sinks = [k for k, v in supplies.items() if v < 0]
    return Scenario(network=net, name=p.stem, sources=sources, sinks=sinks, path=str(p),
                    supplies=supplies)
