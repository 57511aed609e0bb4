"""Small inline-SVG charts (line and horizontal bar) and the time-series inputs they take.

No plotting library is needed for the HTML report: the charts are a few hundred bytes of
SVG each, with ``<title>`` tooltips on every point and bar. The same inputs are drawn with
matplotlib for PNGs (:mod:`chokepoint.report.figures`).

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

import html
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

__all__ = ["SERIES_COLOURS", "Series", "bar_chart_svg", "line_chart_svg", "to_series",
           "to_table"]

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


def to_table(series: Sequence[Series]) -> pd.DataFrame:
    """The series as one long table: series, x, y."""
    rows = [pd.DataFrame({"series": s.name, "x": s.x, "y": s.y}) for s in series]
    return pd.concat(rows, ignore_index=True) if rows else pd.DataFrame(
        columns=["series", "x", "y"])


def _nice_ticks(lo: float, hi: float, n: int = 5) -> list[float]:
    if not (math.isfinite(lo) and math.isfinite(hi)) or hi <= lo:
        return [lo] if math.isfinite(lo) else [0.0]
    raw = (hi - lo) / n
    mag = 10 ** math.floor(math.log10(raw))
    step = next(m * mag for m in (1, 2, 2.5, 5, 10) if m * mag >= raw)
    start = math.ceil(lo / step) * step
    return [start + i * step for i in range(int((hi - start) / step + 1e-9) + 1)]


def _num(v: float) -> str:
    if not math.isfinite(v):
        return "—"
    a = abs(v)
    if a >= 1e6:
        return f"{v / 1e6:.3g}M"
    if a >= 1e4:
        return f"{v / 1e3:.3g}k"
    return f"{v:,.4g}" if a < 1000 else f"{v:,.0f}"


def line_chart_svg(series: Sequence[Series], *, title: str, x_label: str = "",
                   y_label: str = "", dashed: Sequence[str] = (), steps: bool = False,
                   width: int = 720, height: int = 300) -> str:
    """A line chart of ``series`` as an SVG string (``dashed`` names are drawn dashed)."""
    ml, mr, mt, mb = 64, 170, 30, 44
    pw, ph = width - ml - mr, height - mt - mb
    is_dt = any(s.is_datetime for s in series)
    xs = [s.x.astype("datetime64[s]").astype(np.int64) / 86400.0 if s.is_datetime
          else s.x.astype(float) for s in series]
    allx = np.concatenate(xs) if xs else np.zeros(1)
    ally = np.concatenate([s.y for s in series]) if series else np.zeros(1)
    allx, ally = allx[np.isfinite(allx)], ally[np.isfinite(ally)]
    x0, x1 = (float(allx.min()), float(allx.max())) if len(allx) else (0.0, 1.0)
    y0, y1 = min(0.0, float(ally.min()) if len(ally) else 0.0), (
        float(ally.max()) if len(ally) else 1.0)
    if x1 <= x0:
        x1 = x0 + 1
    if y1 <= y0:
        y1 = y0 + 1

    def px(v: float) -> float:
        return ml + (v - x0) / (x1 - x0) * pw

    def py(v: float) -> float:
        return mt + ph - (v - y0) / (y1 - y0) * ph

    out = [f'<svg xmlns="http://www.w3.org/2000/svg" class="chart" viewBox="0 0 {width} '
           f'{height}" width="100%" role="img" aria-label="{html.escape(title)}" '
           f'font-family="sans-serif" font-size="11">',
           f'<text x="{ml}" y="18" font-size="13" font-weight="bold">{html.escape(title)}</text>',
           f'<rect x="{ml}" y="{mt}" width="{pw}" height="{ph}" fill="none" stroke="#bbb"/>']
    for t in _nice_ticks(y0, y1):
        y = py(t)
        out.append(f'<line x1="{ml}" y1="{y:.1f}" x2="{ml + pw}" y2="{y:.1f}" stroke="#eee"/>'
                   f'<text x="{ml - 4}" y="{y + 4:.1f}" text-anchor="end">{_num(t)}</text>')
    for t in _nice_ticks(x0, x1, 6):
        x = px(t)
        lab = (str(np.datetime64(round(t * 86400), "s").astype("datetime64[D]"))
               if is_dt else _num(t))
        out.append(f'<line x1="{x:.1f}" y1="{mt + ph}" x2="{x:.1f}" y2="{mt + ph + 4}" '
                   f'stroke="#888"/><text x="{x:.1f}" y="{mt + ph + 16}" '
                   f'text-anchor="middle">{lab}</text>')
    if x_label:
        out.append(f'<text x="{ml + pw / 2:.0f}" y="{height - 6}" text-anchor="middle">'
                   f"{html.escape(x_label)}</text>")
    if y_label:
        out.append(f'<text x="14" y="{mt + ph / 2:.0f}" text-anchor="middle" '
                   f'transform="rotate(-90 14 {mt + ph / 2:.0f})">{html.escape(y_label)}</text>')
    for i, (s, xv) in enumerate(zip(series, xs, strict=True)):
        col = SERIES_COLOURS[i % len(SERIES_COLOURS)]
        ok = np.isfinite(xv) & np.isfinite(s.y)
        pts: list[tuple[float, float]] = []
        prev: float | None = None
        for a, b in zip(xv[ok], s.y[ok], strict=True):
            if steps and prev is not None:
                pts.append((px(float(a)), py(prev)))
            pts.append((px(float(a)), py(float(b))))
            prev = float(b)
        d = " ".join(f"{'M' if j == 0 else 'L'}{x:.1f},{y:.1f}" for j, (x, y) in enumerate(pts))
        dash = ' stroke-dasharray="6 4"' if s.name in dashed else ""
        out.append(f'<g class="series"><title>{html.escape(s.name)}</title>'
                   f'<path d="{d}" fill="none" stroke="{col}" stroke-width="2"{dash}/></g>')
        if ok.sum() <= 200:
            for a, b in zip(xv[ok], s.y[ok], strict=True):
                lab = (str(np.datetime64(round(a * 86400), "s")) if is_dt else _num(a))
                out.append(f'<circle cx="{px(float(a)):.1f}" cy="{py(float(b)):.1f}" r="2.5" '
                           f'fill="{col}"><title>{html.escape(s.name)}: {lab} → '
                           f"{_num(float(b))}</title></circle>")
        ly = mt + 14 + 16 * i
        out.append(f'<line x1="{ml + pw + 10}" y1="{ly - 4}" x2="{ml + pw + 32}" y2="{ly - 4}" '
                   f'stroke="{col}" stroke-width="2"{dash}/>'
                   f'<text x="{ml + pw + 36}" y="{ly}">{html.escape(s.name[:24])}</text>')
    out.append("</svg>")
    return "\n".join(out)


def bar_chart_svg(labels: Sequence[str], values: Sequence[float], *, title: str,
                  x_label: str = "", width: int = 720, bar: int = 18,
                  tooltips: Sequence[str] | None = None) -> str:
    """A horizontal bar chart (largest first as given) as an SVG string."""
    n = len(labels)
    ml, mr, mt, mb = 230, 70, 30, 36
    height = mt + mb + max(n, 1) * (bar + 4)
    pw = width - ml - mr
    vals = np.asarray(values, dtype=float)
    finite = vals[np.isfinite(vals)]
    top = float(finite.max()) if len(finite) and finite.max() > 0 else 1.0
    out = [f'<svg xmlns="http://www.w3.org/2000/svg" class="chart" viewBox="0 0 {width} '
           f'{height}" width="100%" role="img" aria-label="{html.escape(title)}" '
           f'font-family="sans-serif" font-size="11">',
           f'<text x="8" y="18" font-size="13" font-weight="bold">{html.escape(title)}</text>']
    for t in _nice_ticks(0.0, top):
        x = ml + t / top * pw
        out.append(f'<line x1="{x:.1f}" y1="{mt}" x2="{x:.1f}" y2="{height - mb}" '
                   f'stroke="#eee"/><text x="{x:.1f}" y="{height - mb + 14}" '
                   f'text-anchor="middle">{_num(t)}</text>')
    for i, (lab, v) in enumerate(zip(labels, vals, strict=True)):
        y = mt + i * (bar + 4)
        w = max(v, 0.0) / top * pw if math.isfinite(v) else 0.0
        tip = tooltips[i] if tooltips else f"{lab}: {_num(v)}"
        short = lab if len(lab) <= 36 else lab[:35] + "…"
        out.append(f'<g class="bar"><title>{html.escape(tip)}</title>'
                   f'<text x="{ml - 6}" y="{y + bar - 5}" text-anchor="end">'
                   f"{html.escape(short)}</text>"
                   f'<rect x="{ml}" y="{y}" width="{w:.1f}" height="{bar}" fill="#d95f0e"/>'
                   f'<text x="{ml + w + 4:.1f}" y="{y + bar - 5}">{_num(v)}</text></g>')
    if x_label:
        out.append(f'<text x="{ml + pw / 2:.0f}" y="{height - 4}" text-anchor="middle">'
                   f"{html.escape(x_label)}</text>")
    out.append("</svg>")
    return "\n".join(out)
