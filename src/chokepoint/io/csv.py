"""CSV link lists: ``from,to,capacity`` with optional ``time``, ``length_km``, ``id``, ``group``.

Any other column of the link model (``direction``, ``track``, ``mode``, ``structure``,
``name``...) is read too. Capacities are dimensionless unless the scenario that references the
file gives a ``unit`` column.
"""

from __future__ import annotations

import csv as _csv
from pathlib import Path
from typing import Literal, overload

import pandas as pd

from chokepoint.errors import InputError
from chokepoint.network import Network
from chokepoint.units import Units

__all__ = ["read_link_csv", "read_table_csv"]

csv_error = _csv.Error
# pandas' default missing-value markers (``pandas._libs.parsers.STR_NA_VALUES``), so that the
# columnar reader reads the same tables as ``pandas.read_csv`` did
_NA = ["", "#N/A", "#N/A N/A", "#NA", "-1.#IND", "-1.#QNAN", "-NaN", "-nan", "1.#IND",
       "1.#QNAN", "<NA>", "N/A", "NA", "NULL", "NaN", "None", "n/a", "nan", "null"]

_ALIASES = {"source": "from", "target": "to", "u": "from", "v": "to", "tail": "from",
            "head": "to", "time": "time_h", "length": "length_km", "cap": "capacity"}


def read_table_csv(path: str | Path) -> pd.DataFrame:
    """Read a CSV table, every column as text (ids keep leading zeros); errors name the file.

    Parsed by pyarrow's multithreaded CSV reader straight into Arrow string columns (no
    per-line Python); empty fields and pandas' usual missing-value markers become missing,
    leading spaces after a delimiter are dropped. O(bytes).
    """
    import pyarrow as pa
    import pyarrow.compute as pc
    from pyarrow import csv as pacsv

    p = Path(path)
    try:
        with p.open("rb") as fh:
            head = fh.readline()
        head_text = head.decode("utf-8-sig").strip()
        if not head_text:
            raise InputError("cannot read CSV: No columns to parse from file", source=p)
        names = [c.strip() for c in next(_csv.reader([head_text], skipinitialspace=True))]
        names = _dedupe(names)
        table = pacsv.read_csv(
            p,
            read_options=pacsv.ReadOptions(column_names=names, skip_rows=1),
            parse_options=pacsv.ParseOptions(newlines_in_values=True),
            convert_options=pacsv.ConvertOptions(
                column_types={c: pa.string() for c in names}, null_values=_NA,
                strings_can_be_null=True, quoted_strings_can_be_null=True),
        )
    except (OSError, pa.ArrowInvalid, UnicodeDecodeError, csv_error) as e:
        raise InputError(f"cannot read CSV: {e}", source=p) from None
    cols = {}
    for name, col in zip(table.column_names, table.columns, strict=True):
        col = pc.utf8_ltrim(col, characters=" ")
        cols[name] = pc.if_else(pc.is_in(col, value_set=pa.array(_NA)), None, col)
    return pa.table(cols).to_pandas()


def _dedupe(names: list[str]) -> list[str]:
    """Repeated column names get ``.1``, ``.2``... as pandas gives them."""
    seen: dict[str, int] = {}
    out = []
    for n in names:
        k = seen.get(n, 0)
        out.append(n if k == 0 else f"{n}.{k}")
        seen[n] = k + 1
    return out


@overload
def read_link_csv(path: str | Path, *, units: Units | None = None,
                  drop_self_loops: bool = False, report: Literal[False] = False) -> Network: ...


@overload
def read_link_csv(path: str | Path, *, units: Units | None = None,
                  drop_self_loops: bool = False, report: Literal[True]) -> tuple[Network, int]: ...


def read_link_csv(path: str | Path, *, units: Units | None = None,
                  drop_self_loops: bool = False, report: bool = False
                  ) -> Network | tuple[Network, int]:
    """Read a CSV link list into a network of directed links.

    Columns ``from`` and ``to`` are required (``source``/``target`` and ``u``/``v`` are
    accepted), ``capacity`` is optional (missing = unlimited), ``time`` → ``time_h``.
    ``drop_self_loops`` drops rows whose ``from`` equals ``to`` (RA2CE's edge lists have
    them; otherwise they are an error); ``report=True`` also returns how many were dropped.
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
    dropped = 0
    if drop_self_loops:
        loop = (df["from"] == df["to"]).to_numpy()
        dropped = int(loop.sum())
        if dropped:
            df = df.loc[~loop].reset_index(drop=True)
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
    net = Network.from_frames(None, df, units=units or Units.unitless(), name=p.stem, source=p)
    return (net, dropped) if report else net
