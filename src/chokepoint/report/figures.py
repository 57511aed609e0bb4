"""Charts, drawn once with matplotlib and rendered to inline SVG (report) and PNG (files).

The one chart path of the package: :func:`line_chart` and :func:`bar_chart` build a
:class:`matplotlib.figure.Figure`; :func:`to_svg` renders it as ``<svg>`` text for the HTML
report (text kept as text, no external references) and :func:`to_png` writes it as a PNG,
so the two always agree. No ``pyplot``: figures use the Agg canvas directly, touch no
global backend or GUI state, and are safe in worker threads. matplotlib is an optional
dependency (the ``report`` extra).

Every axis carries its label with the unit; attack or disruption dates are drawn as
vertical lines named in the legend; series that may coincide (undisrupted and disrupted arrivals)
get distinct line styles and markers and, on request, a difference panel; legends sit
outside the data; long category labels wrap instead of being cut.
"""

from __future__ import annotations

import io
import re
import textwrap
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

import numpy as np

from chokepoint.errors import require
from chokepoint.io.write import atomic_path
from chokepoint.report.charts import SERIES_COLOURS, Series

__all__ = ["Event", "TornadoBar", "bar_chart", "lay_out", "line_chart", "new_figure", "preload",
           "to_png", "to_svg", "tornado_chart"]

DPI = 150
_STYLES = ("-", "--", ":", "-.")
_MARKERS = ("o", "s", "^", "D", "v", "P", "X", "*")


@dataclass(frozen=True)
class Event:
    """A dated event to mark on a time axis (x in the chart's x units or a datetime64)."""

    x: float | np.datetime64
    label: str


def new_figure(w: float, h: float, *, layout: Literal["constrained"] | None = "constrained"
               ) -> Any:
    """A matplotlib Figure on its own Agg canvas (``layout``: its layout engine; ``None``
    for a figure whose axes are placed by hand, which then is drawn once per file instead
    of twice)."""
    require("matplotlib", "report")
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    fig = Figure(figsize=(w, h), dpi=DPI, layout=layout)
    if layout is None:
        _no_layout(fig)
    FigureCanvasAgg(fig)
    return fig


def preload() -> None:
    """Import matplotlib's figure and Agg canvas now, if matplotlib is installed: a child
    forked afterwards (:mod:`chokepoint.report._child`) inherits them instead of importing
    them again (about 0.7 s of CPU)."""
    import importlib.util

    if importlib.util.find_spec("matplotlib") is not None:
        import matplotlib.backends.backend_agg
        import matplotlib.figure  # noqa: F401


def lay_out(fig: Any) -> Any:
    """Lay ``fig`` out now, once, with the PNG's text metrics (Agg), and keep that layout:
    its SVG (:func:`to_svg`) and PNG (:func:`to_png`) then show the same positions and each
    is drawn once, not laid out again (matplotlib lays a figure with a layout engine out
    twice per file it writes). Returns ``fig``."""
    fig.draw_without_rendering()
    _no_layout(fig)
    return fig


def _no_layout(fig: Any) -> None:
    """Remove ``fig``'s layout engine: its axes keep the positions they have, and saving it
    draws it once (matplotlib draws a figure with a layout engine twice per file, once to
    lay it out)."""
    import matplotlib

    with matplotlib.rc_context({"figure.autolayout": False,
                                "figure.constrained_layout.use": False}):
        fig.set_layout_engine(None)


#: zlib level of the PNG files: 1 writes the same pixels about twice as fast as Pillow's
#: default 6, in files about 6% larger (measured on the report's figures).
PNG_COMPRESS_LEVEL = 1


def to_png(fig: Any, path: str | Path) -> Path:
    """Write ``fig`` as a PNG, atomically."""
    with atomic_path(path) as tmp:
        fig.savefig(tmp, format="png", dpi=DPI, metadata={"Software": "chokepoint"},
                    pil_kwargs={"compress_level": PNG_COMPRESS_LEVEL})
    return Path(path)


def to_svg(fig: Any, *, key: str = "chart", title: str = "") -> str:
    """``fig`` as inline ``<svg>`` text (text as text; ids prefixed with ``key``)."""
    import matplotlib

    buf = io.StringIO()
    with matplotlib.rc_context({"svg.fonttype": "none", "svg.hashsalt": key}):
        fig.savefig(buf, format="svg", metadata={"Date": None, "Creator": None})
    text = buf.getvalue()
    text = text[text.index("<svg"):]
    text = re.sub(r"<metadata>.*?</metadata>", "", text, flags=re.S)
    text = text.replace(' xmlns:xlink="http://www.w3.org/1999/xlink"', "")
    text = text.replace("xlink:href=", "href=")
    safe = re.sub(r"[^A-Za-z0-9_-]", "_", key)
    text = re.sub(r'id="([^"]+)"', rf'id="{safe}-\1"', text)
    text = re.sub(r'url\(#([^)]+)\)', rf'url(#{safe}-\1)', text)
    text = re.sub(r'href="#([^"]+)"', rf'href="#{safe}-\1"', text)
    label = f' role="img" aria-label="{_attr(title)}"' if title else ""
    return text.replace("<svg ", f'<svg class="chart"{label} ', 1)


def _attr(s: str) -> str:
    return s.replace("&", "&amp;").replace('"', "&quot;").replace("<", "&lt;")


#: Dash patterns of successive events (two attacks a day apart stay distinguishable).
_EVENT_DASH: tuple[Any, ...] = ((0, (5, 2)), (0, (1.5, 1.5)), (0, (6, 2, 1.5, 2)), "-")
_EVENT_COLOURS = ("#222222", "#7d3c98", "#a04000", "#1a5276")


def _events(ax: Any, events: Sequence[Event], datetime: bool, *, legend: bool = True) -> None:
    """Vertical lines at the events' dates; each named in the legend (outside the data),
    never by text drawn over the curves."""
    shown = [e for e in events if isinstance(e.x, np.datetime64) == datetime]
    for k, e in enumerate(shown):
        ax.axvline(e.x, color=_EVENT_COLOURS[k % len(_EVENT_COLOURS)], lw=1.3,
                   ls=_EVENT_DASH[k % len(_EVENT_DASH)], zorder=2,
                   label=e.label if legend else None)


def _legend(ax: Any) -> None:
    """The legend right of the axes, outside the data."""
    if ax.get_legend_handles_labels()[0]:
        ax.legend(fontsize=8, loc="upper left", bbox_to_anchor=(1.01, 1.0), borderaxespad=0)


def line_chart(series: Sequence[Series], *, title: str, x_label: str, y_label: str,
               dashed: Sequence[str] = (), steps: bool = False,
               events: Sequence[Event] = (), diff: tuple[str, str] | None = None,
               panels: bool = False) -> Any:
    """A line chart of ``series`` (``dashed`` names dashed; ``steps``: step-after lines).

    ``events`` are marked with vertical lines; ``diff = (a, b)`` adds a panel with series
    ``b`` minus series ``a``, which shows at a glance whether two curves that may lie on top
    of each other differ at all. ``panels`` draws one panel per series group (the name
    before `` (``, e.g. one per yard for "dunai (disrupted)" and "dunai (undisrupted)").
    """
    if panels:
        return _panels(series, title=title, x_label=x_label, y_label=y_label, steps=steps,
                       events=events)
    have_diff = diff is not None and {diff[0], diff[1]} <= {s.name for s in series}
    fig = new_figure(8.5, 5.2 if have_diff else 4.0)
    if have_diff:
        ax, dax = fig.subplots(2, 1, sharex=True, height_ratios=[3, 1])
    else:
        ax, dax = fig.add_subplot(), None
    for i, s in enumerate(series):
        kw: dict[str, Any] = {
            "color": SERIES_COLOURS[i % len(SERIES_COLOURS)], "label": s.name,
            "lw": 2.2 if i == 0 else 1.5,
            "ls": "--" if s.name in dashed else _STYLES[i % len(_STYLES)],
            "marker": _MARKERS[i % len(_MARKERS)], "ms": 4,
            "markevery": max(len(s.x) // 12, 1) if len(s.x) else 1,
            "zorder": 3 + i}
        if steps:
            ax.step(s.x, s.y, where="post", **kw)
        else:
            ax.plot(s.x, s.y, **kw)
    is_dt = any(s.is_datetime for s in series)
    ax.set_title(title, fontsize=11)
    ax.set_ylabel(y_label)
    ax.grid(color="#e3e7ec", lw=0.5)
    _events(ax, events, is_dt)
    _legend(ax)
    last = ax
    if dax is not None and diff is not None:
        a = next(s for s in series if s.name == diff[0])
        b = next(s for s in series if s.name == diff[1])
        x = np.union1d(a.x, b.x) if not is_dt else a.x
        ya = np.interp(_num(x), _num(a.x), a.y) if len(a.x) else np.zeros(len(x))
        yb = np.interp(_num(x), _num(b.x), b.y) if len(b.x) else np.zeros(len(x))
        dax.step(x, yb - ya, where="post", color="#444", lw=1.2)
        dax.axhline(0, color="#999", lw=0.6)
        dax.set_ylabel(f"{diff[1]} − {diff[0]}\n({y_label})", fontsize=8)
        dax.grid(color="#e3e7ec", lw=0.5)
        _events(dax, events, is_dt, legend=False)
        last = dax
    last.set_xlabel(x_label)
    if is_dt:
        fig.autofmt_xdate()
    return fig


def _panels(series: Sequence[Series], *, title: str, x_label: str, y_label: str,
            steps: bool, events: Sequence[Event]) -> Any:
    groups: dict[str, list[Series]] = {}
    for s in series:
        groups.setdefault(s.name.split(" (")[0], []).append(s)
    fig = new_figure(8.5, 1.0 + 1.7 * len(groups))
    axes = fig.subplots(len(groups), 1, sharex=True, squeeze=False)[:, 0]
    is_dt = any(s.is_datetime for s in series)
    for k, (ax, (name, members)) in enumerate(zip(axes, groups.items(), strict=True)):
        for i, s in enumerate(members):
            label = s.name[len(name):].strip(" ()") or s.name
            kw: dict[str, Any] = {"color": SERIES_COLOURS[i % len(SERIES_COLOURS)],
                                  "label": label, "lw": 2.4 if i == 0 else 1.2,
                                  "ls": _STYLES[i % len(_STYLES)], "zorder": 3 + i,
                                  "alpha": 0.6 if i == 0 else 1.0}
            if steps:
                ax.step(s.x, s.y, where="post", **kw)
            else:
                ax.plot(s.x, s.y, **kw)
        ax.set_ylabel(f"{name}\n({y_label})", fontsize=9)
        ax.grid(color="#e3e7ec", lw=0.5)
        _events(ax, events, is_dt, legend=k == 0)  # named once, in the top legend
        _legend(ax)
    axes[0].set_title(title, fontsize=11)
    axes[-1].set_xlabel(x_label)
    if is_dt:
        fig.autofmt_xdate()
    return fig


def _value(v: float) -> str:
    return f"{v:,.0f}" if abs(v) >= 100 else f"{v:,.3g}"


def _num(x: np.ndarray) -> np.ndarray:
    arr = np.asarray(x)
    if np.issubdtype(arr.dtype, np.datetime64):
        return arr.astype("datetime64[s]").astype(np.int64).astype(float)
    return arr.astype(float)


def bar_chart(labels: Sequence[str], values: Sequence[float], *, title: str, x_label: str,
              rest: Sequence[float] | None = None, value_label: str = "",
              rest_label: str = "", texts: Sequence[str] | None = None) -> Any:
    """Horizontal bars, first label on top; with ``rest``, a second stacked segment (e.g.
    unmet demand beside served). Long labels wrap (never cut); values are printed (or
    ``texts``, one per bar, e.g. the figures in their own units beside a percentage)."""
    n = max(len(labels), 1)
    wrapped = [textwrap.fill(lab, 34) for lab in labels]
    lines = sum(w.count("\n") + 1 for w in wrapped) or 1
    fig = new_figure(8.5, 1.3 + 0.22 * max(lines, n) + (0.3 if rest is not None else 0))
    ax = fig.add_subplot()
    ypos = np.arange(len(labels))[::-1]
    vals = np.nan_to_num(np.asarray(values, dtype=float), nan=0.0, posinf=0.0)
    ax.barh(ypos, vals, color="#d95f0e", label=value_label or None)
    top = vals.copy()
    if rest is not None:
        other = np.nan_to_num(np.asarray(rest, dtype=float), nan=0.0, posinf=0.0)
        ax.barh(ypos, other, left=vals, color="#d9d9d9", hatch="//", edgecolor="#999",
                label=rest_label or None)
        top = vals + other
    for k, (y, v, t) in enumerate(zip(ypos, vals, top, strict=True)):
        text = (texts[k] if texts is not None else _value(v) if rest is None
                else f"{_value(v)} of {_value(t)}")
        ax.text(t, y, f" {text}", va="center", fontsize=8)
    ax.set_yticks(ypos, wrapped, fontsize=8.5)
    ax.set_xlim(0, (float(top.max()) if len(top) and top.max() > 0 else 1.0) * 1.15)
    ax.set_title(title, fontsize=11)
    ax.set_xlabel(x_label)
    ax.grid(axis="x", color="#e3e7ec", lw=0.5)
    if rest is not None or value_label:  # under the axes, never over a bar
        fig.legend(fontsize=8, loc="outside lower center", ncols=2, frameon=False)
    return fig


@dataclass(frozen=True)
class TornadoBar:
    """One bar of a tornado chart: an answer at an assumption's low and high ends."""

    label: str
    at_low: float
    at_high: float


def tornado_chart(panels: Sequence[tuple[str, float, Sequence[TornadoBar]]], *,
                  title: str) -> Any:
    """One-at-a-time sensitivity: per panel ``(axis label with unit, base value, bars)``
    a horizontal bar per assumption from the answer at its low end (blue) to its high end
    (orange) around the base value (black line); widest swing on top."""
    heights = [max(len(bars), 1) for _, _, bars in panels] or [1]
    fig = new_figure(8.5, 1.2 + sum(0.32 * h + 0.8 for h in heights))
    axes = fig.subplots(len(heights), 1, squeeze=False,
                        gridspec_kw={"height_ratios": heights})[:, 0]
    for ax, (label, base, bars) in zip(axes, panels, strict=True):
        order = sorted(bars, key=lambda b: abs(b.at_high - b.at_low))
        y = np.arange(len(order))
        for yy, b in zip(y, order, strict=True):
            ax.barh(yy, b.at_low - base, left=base, color="#3b7dd8", height=0.6)
            ax.barh(yy, b.at_high - base, left=base, color="#e67e22", height=0.6)
            for v, end in ((b.at_low, "low"), (b.at_high, "high")):
                if abs(v - base) > 1e-9 * max(1.0, abs(base)):  # the base line says it
                    ax.text(v, yy, f" {_value(v)} ({end}) ", va="center", fontsize=6.5,
                            ha="left" if v > base else "right")
        ax.axvline(base, color="#222", lw=1.0)
        ax.annotate(_value(base), (base, 1.0), xycoords=("data", "axes fraction"),
                    fontsize=6.5, ha="center", va="bottom")
        ax.set_yticks(y, [textwrap.fill(b.label, 40) for b in order], fontsize=7.5)
        ax.set_xlabel(label, fontsize=8)
        ax.margins(x=0.25)
        ax.grid(axis="x", color="#e3e7ec", lw=0.5)
    from matplotlib.patches import Patch

    fig.legend(handles=[Patch(color="#3b7dd8", label="assumption at its low end"),
                        Patch(color="#e67e22", label="assumption at its high end"),
                        Patch(color="#222", label="all at the scenario's values")],
               fontsize=7, loc="outside lower center", ncols=3, frameon=False)
    fig.suptitle(title, fontsize=10)
    return fig
