"""The readers as they were before the columnar rewrite (issue 15), kept as the "before" of
``bench_demo``'s reader timing.

Verbatim copies of ``io/dimacs.py`` and ``io/csv.py`` at commit 9a6697e (only the imports are
merged); not used anywhere else. ``tests/test_readers_equal.py`` compared the new readers
against these on every fixture and now checks digests recorded from them
(``tests/data/readers_expected.json``).
"""

# ruff: noqa
from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from chokepoint.errors import InputError
from chokepoint.network import Network
from chokepoint.scenario import Scenario
from chokepoint.units import Units

def legacy_read_dimacs(path: str | Path) -> Scenario:
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
                             f"{text!r}", source=p, element=el) from None

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
            number(f[3], el, "arc count", integer=True)
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
            raise InputError(f"unknown line type {f[0]!r}", source=p, element=el)
    if kind is None:
        raise InputError("no problem line ('p max' or 'p min')", source=p)
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

_ALIASES = {"source": "from", "target": "to", "u": "from", "v": "to", "tail": "from",
            "head": "to", "time": "time_h", "length": "length_km", "cap": "capacity"}


def legacy_read_table_csv(path: str | Path) -> pd.DataFrame:
    """Read a CSV table, ids as text; errors name the file."""
    p = Path(path)
    try:
        # everything as text (ids keep leading zeros); numbers are converted per column later
        df = pd.read_csv(p, dtype=str, skipinitialspace=True, comment=None)
    except (OSError, pd.errors.ParserError, pd.errors.EmptyDataError, UnicodeDecodeError) as e:
        raise InputError(f"cannot read CSV: {e}", source=p) from None
    df.columns = [str(c).strip() for c in df.columns]
    return df


def legacy_read_link_csv(path: str | Path, *, units: Units | None = None) -> Network:
    """Read a CSV link list into a network of directed links.

    Columns ``from`` and ``to`` are required (``source``/``target`` and ``u``/``v`` are
    accepted), ``capacity`` is optional (missing = unlimited), ``time`` → ``time_h``.
    """
    p = Path(path)
    df = legacy_read_table_csv(p)
    lower = {c: c.lower() for c in df.columns}
    df = df.rename(columns=lower)
    if "source" in df.columns and "from" in df.columns:
        df = df.rename(columns={"source": "source_ref"})
    df = df.rename(columns={k: v for k, v in _ALIASES.items() if v not in df.columns})
    if "source_ref" in df.columns:
        df = df.rename(columns={"source_ref": "source"})
    for col in ("from", "to"):
        if col not in df.columns:
            raise InputError(f"missing required column {col!r} (have: {', '.join(df.columns)})",
                             source=p)
    df["from"] = df["from"].astype(str).str.strip()
    df["to"] = df["to"].astype(str).str.strip()
    for col in ("capacity", "time_h", "length_km"):
        if col in df.columns:
            num = pd.to_numeric(df[col], errors="coerce")
            bad = num.isna() & df[col].notna()
            if bad.any():
                i = int(bad.to_numpy().nonzero()[0][0])
                raise InputError(f"{col} is not a number: {df[col].iloc[i]!r}", source=p,
                                 element=f"row {i + 2}")
            df[col] = num
    if "capacity" in df.columns and df["capacity"].isna().any():
        i = int(df["capacity"].isna().to_numpy().nonzero()[0][0])
        raise InputError("capacity is empty (NaN)", source=p, element=f"row {i + 2}")
    return Network.from_frames(None, df, units=units or Units.unitless(), name=p.stem, source=p)
