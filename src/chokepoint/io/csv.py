"""CSV link lists: ``from,to,capacity`` with optional ``time``, ``length_km``, ``id``, ``group``.

Any other column of the link model (``direction``, ``track``, ``mode``, ``structure``,
``name``...) is read too. Capacities are dimensionless unless the scenario that references the
file gives a ``unit`` column.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from chokepoint.errors import InputError
from chokepoint.network import Network
from chokepoint.units import Units

__all__ = ["read_link_csv", "read_table_csv"]

_ALIASES = {"source": "from", "target": "to", "u": "from", "v": "to", "tail": "from",
            "head": "to", "time": "time_h", "length": "length_km", "cap": "capacity"}


def read_table_csv(path: str | Path) -> pd.DataFrame:
    """Read a CSV table, ids as text; errors name the file."""
    p = Path(path)
    try:
        # everything as text (ids keep leading zeros); numbers are converted per column later
        df = pd.read_csv(p, dtype=str, skipinitialspace=True, comment=None)
    except (OSError, pd.errors.ParserError, pd.errors.EmptyDataError, UnicodeDecodeError) as e:
        raise InputError(f"cannot read CSV: {e}", source=p) from None
    df.columns = [str(c).strip() for c in df.columns]
    return df


def read_link_csv(path: str | Path, *, units: Units | None = None) -> Network:
    """Read a CSV link list into a network of directed links.

    Columns ``from`` and ``to`` are required (``source``/``target`` and ``u``/``v`` are
    accepted), ``capacity`` is optional (missing = unlimited), ``time`` → ``time_h``.
    """
    p = Path(path)
    df = read_table_csv(p)
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
