"""The time-series inputs of the report's charts, normalised to named :class:`Series`.

The charts themselves are drawn once, with matplotlib, by :mod:`chokepoint.report.figures`
(inline SVG for the report, PNG for files).

Time series
-----------
Arrivals, the earliest-arrival bound and backlog are passed as any of

* a :class:`pandas.DataFrame` — the x values are a ``time``/``t``/``date``/``day``/``days``
  column when there is one, else the index; every other numeric column is one series;
* a :class:`pandas.Series` — the index is x, the name is the series name;
* a mapping ``name -> Series`` (index is x) or ``name -> (x, y)``;
* an earliest-arrival curve of :mod:`chokepoint.analyses.dynamic` (anything with
  ``times_h`` and ``cumulative``): x in days (``times_h / 24``), named "earliest-arrival
  bound" (or by its mapping key).

x may be numbers (days, hours — say which in ``x_label``) or datetimes.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

__all__ = ["SERIES_COLOURS", "Series", "to_series", "to_table"]

SERIES_COLOURS = ("#1f77b4", "#d62728", "#2ca02c", "#9467bd", "#ff7f0e", "#8c564b",
                  "#e377c2", "#17becf")
_X_COLUMNS = ("time", "t", "date", "day", "days", "hour", "hours")


@dataclass
class Series:
    """One named series: x (float days/hours or datetime64) and y."""

    name: str
    x: np.ndarray
    y: np.ndarray

    @property
    def is_datetime(self) -> bool:
        """Whether x holds datetimes."""
        return bool(np.issubdtype(self.x.dtype, np.datetime64))


def _xvalues(v: Any) -> np.ndarray:
    arr = np.asarray(v)
    if np.issubdtype(arr.dtype, np.datetime64):
        return arr.astype("datetime64[s]")
    if arr.dtype == object:
        try:
            return np.asarray(pd.to_datetime(arr)).astype("datetime64[s]")
        except (ValueError, TypeError):
            pass
    return arr.astype(float)


def _is_curve(v: Any) -> bool:
    return hasattr(v, "times_h") and hasattr(v, "cumulative")


def _curve(name: str, v: Any) -> Series:
    return Series(name, np.asarray(v.times_h, dtype=float) / 24.0,
                  np.asarray(v.cumulative, dtype=float))


def to_series(data: Any) -> list[Series]:
    """Normalise one of the accepted time-series inputs (see the module docstring)."""
    if data is None:
        return []
    if _is_curve(data):
        return [_curve("earliest-arrival bound", data)]
    if isinstance(data, pd.Series):
        return [Series(str(data.name or "value"), _xvalues(data.index),
                       data.to_numpy(dtype=float))]
    if isinstance(data, pd.DataFrame):
        xcol = next((c for c in data.columns if str(c).lower() in _X_COLUMNS), None)
        x = _xvalues(data[xcol] if xcol is not None else data.index)
        out = []
        for col in data.columns:
            if col == xcol or not pd.api.types.is_numeric_dtype(data[col]):
                continue
            out.append(Series(str(col), x, data[col].to_numpy(dtype=float)))
        return out
    if isinstance(data, Mapping):
        out = []
        for name, v in data.items():
            if isinstance(v, pd.Series):
                out.append(Series(str(name), _xvalues(v.index), v.to_numpy(dtype=float)))
            elif _is_curve(v):
                out.append(_curve(str(name), v))
            else:
                xs, ys = v
                out.append(Series(str(name), _xvalues(xs), np.asarray(ys, dtype=float)))
        return out
    raise TypeError(f"cannot read a time series from {type(data).__name__}")


def to_table(series: Sequence[Series], *, x: str = "x", y: str = "y") -> pd.DataFrame:
    """The series as one long table: ``series`` and the columns ``x`` and ``y`` (name them
    with their units, e.g. ``"days since 2023-09-07 00:00"`` and ``"containers"``)."""
    rows = [pd.DataFrame({"series": s.name, x: s.x, y: s.y}) for s in series]
    return pd.concat(rows, ignore_index=True) if rows else pd.DataFrame(
        columns=["series", x, y])
