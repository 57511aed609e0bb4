"""PNG figures for papers and slides, drawn with matplotlib's object API and the Agg canvas.

No ``pyplot``: figures are plain :class:`matplotlib.figure.Figure` objects rendered with
:class:`~matplotlib.backends.backend_agg.FigureCanvasAgg`, so nothing touches the global
backend or GUI state and the functions are safe to call from worker threads. matplotlib is
an optional dependency (the ``report`` extra).
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from chokepoint.errors import require
from chokepoint.io.write import atomic_path
from chokepoint.network import Network
from chokepoint.report.charts import SERIES_COLOURS, Series
from chokepoint.report.svgmap import MODE_DASH, RAMP, colour

__all__ = ["bar_png", "line_png", "map_png"]

DPI = 150


def _figure(w: float, h: float) -> Any:
    require("matplotlib", "report")
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    fig = Figure(figsize=(w, h), dpi=DPI, layout="constrained")
    FigureCanvasAgg(fig)
    return fig


def _save(fig: Any, path: str | Path) -> Path:
    with atomic_path(path) as tmp:
        fig.savefig(tmp, format="png", dpi=DPI, metadata={"Software": "chokepoint"})
    return Path(path)


def map_png(net: Network, path: str | Path, *, values: Mapping[str, float] | None = None,
            label: str = "utilisation", cut: Sequence[str] = (),
            disrupted: Sequence[str] = (), title: str = "") -> Path:
    """The network map (Web Mercator, links coloured like the SVG map) as a PNG."""
    from matplotlib.colors import LinearSegmentedColormap
    from matplotlib.lines import Line2D

    values = values or {}
    nodes = net.nodes
    lon = nodes["lon"].to_numpy(dtype=float)
    lat = nodes["lat"].to_numpy(dtype=float)
    y = np.degrees(np.log(np.tan(np.pi / 4 + np.radians(np.clip(lat, -85, 85)) / 2)))
    fin = np.isfinite(lon) & np.isfinite(y)
    aspect = (float(np.ptp(y[fin])) / max(float(np.ptp(lon[fin])), 1e-6)) if fin.any() else 0.6
    fig = _figure(10, min(max(2.2 + 8.5 * aspect, 3.5), 9))
    ax = fig.add_subplot()
    pos = {str(i): (a, b) for i, a, b in zip(nodes["id"], lon, y, strict=True)
           if math.isfinite(a) and math.isfinite(b)}
    cap = net.links["capacity"].to_numpy(dtype=float)
    finite = cap[np.isfinite(cap) & (cap > 0)]
    cmin, cmax = (float(finite.min()), float(finite.max())) if len(finite) else (1.0, 1.0)
    cut_set, dis = set(cut), set(disrupted)
    for rec in net.links[["id", "from", "to", "mode", "group", "capacity"]].itertuples(
            index=False):
        lid, a, b, mode, group, c = (str(rec[0]), str(rec[1]), str(rec[2]), str(rec[3]),
                                     str(rec[4]), float(rec[5]))
        if a not in pos or b not in pos:
            continue
        xs, ys = (pos[a][0], pos[b][0]), (pos[a][1], pos[b][1])
        w = 3.0 if not (math.isfinite(c) and c > 0 and cmax > cmin) else (
            1.0 + 3.0 * (math.log(c) - math.log(cmin)) / (math.log(cmax) - math.log(cmin)))
        if lid in cut_set:
            ax.plot(xs, ys, color="#111", lw=w + 3.5, solid_capstyle="round", zorder=1)
        ls = (0, tuple(float(v) for v in MODE_DASH[mode].split())) if mode in MODE_DASH \
            else "-"
        ax.plot(xs, ys, color=colour(values.get(lid)), lw=w, ls=ls, solid_capstyle="round",
                zorder=2)
        if lid in dis or (group and group in dis):
            ax.plot([(xs[0] + xs[1]) / 2], [(ys[0] + ys[1]) / 2], marker="x", ms=9, mew=2.5,
                    color="#c0392b", zorder=4)
    for nid, (a, b) in pos.items():
        ax.plot([a], [b], marker="o", ms=3.5, mfc="white", mec="#34495e", zorder=3)
        if nid in cut_set:
            ax.plot([a], [b], marker="s", ms=10, mfc="none", mec="#111", mew=1.5, zorder=3)
        if nid in dis:
            ax.plot([a], [b], marker="x", ms=9, mew=2.5, color="#c0392b", zorder=4)
    ax.set_aspect("equal")
    ax.set_xlabel("longitude (°E)")
    ax.set_ylabel("latitude (°N)")
    ok = np.isfinite(lat)
    if ok.any():
        lats = np.arange(math.floor(lat[ok].min() / 5) * 5, math.ceil(lat[ok].max() / 5) * 5 + 1,
                         5.0)
        ax.set_yticks(np.degrees(np.log(np.tan(np.pi / 4 + np.radians(lats) / 2))),
                      [f"{v:g}" for v in lats])
    ax.grid(color="#e3e7ec", lw=0.5)
    cmap = LinearSegmentedColormap.from_list("chokepoint", [(p, c) for p, c in RAMP])
    from matplotlib.cm import ScalarMappable
    from matplotlib.colors import Normalize

    fig.colorbar(ScalarMappable(norm=Normalize(0, 1), cmap=cmap), ax=ax, shrink=0.6,
                 label=label)
    ax.legend(handles=[Line2D([], [], color="#111", lw=5, label="min cut"),
                       Line2D([], [], color="#c0392b", marker="x", lw=0, ms=8, mew=2,
                              label="closed / disrupted")], loc="lower left", fontsize=8)
    if title:
        ax.set_title(title, fontsize=10)
    return _save(fig, path)


def line_png(series: Sequence[Series], path: str | Path, *, title: str, x_label: str = "",
             y_label: str = "", dashed: Sequence[str] = (), steps: bool = False) -> Path:
    """A line chart of ``series`` as a PNG."""
    fig = _figure(8, 4)
    ax = fig.add_subplot()
    for i, s in enumerate(series):
        kw: dict[str, Any] = {"color": SERIES_COLOURS[i % len(SERIES_COLOURS)], "label": s.name,
                              "lw": 1.8, "ls": "--" if s.name in dashed else "-"}
        if steps:
            ax.step(s.x, s.y, where="post", **kw)
        else:
            ax.plot(s.x, s.y, **kw)
    ax.set_title(title, fontsize=10)
    ax.set_xlabel(x_label)
    ax.set_ylabel(y_label)
    ax.grid(color="#e3e7ec", lw=0.5)
    if series:
        ax.legend(fontsize=8)
    if any(s.is_datetime for s in series):
        fig.autofmt_xdate()
    return _save(fig, path)


def bar_png(labels: Sequence[str], values: Sequence[float], path: str | Path, *, title: str,
            x_label: str = "") -> Path:
    """A horizontal bar chart (first label on top) as a PNG."""
    n = max(len(labels), 1)
    fig = _figure(8, 1.2 + 0.28 * n)
    ax = fig.add_subplot()
    ypos = np.arange(len(labels))[::-1]
    vals = np.nan_to_num(np.asarray(values, dtype=float), nan=0.0, posinf=0.0)
    ax.barh(ypos, vals, color="#d95f0e")
    ax.set_yticks(ypos, [lab if len(lab) <= 40 else lab[:39] + "…" for lab in labels],
                  fontsize=8)
    ax.set_title(title, fontsize=10)
    ax.set_xlabel(x_label)
    ax.grid(axis="x", color="#e3e7ec", lw=0.5)
    return _save(fig, path)
