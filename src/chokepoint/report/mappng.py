"""The network map as a PNG: the SVG map's layout drawn with matplotlib.

Uses :func:`chokepoint.report._maplayout.map_layout` — basemap, track geometry, insets for
dense clusters, schematic layout without coordinates — so the PNG and the SVG map show the
same picture. Figures are drawn with matplotlib's object API (no ``pyplot``).
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from chokepoint.network import Network
from chokepoint.report._maplabels import LINE_EM, Label, frame_labels, graticule_labels
from chokepoint.report._maplayout import TITLE_H, TITLE_SIZE, Frame, MapLayout, map_layout
from chokepoint.report.basemap import ATTRIBUTION
from chokepoint.report.figures import new_figure, to_png
from chokepoint.report.svgmap import (
    BORDER,
    LAKE,
    LAND,
    MODE_DASH,
    PLACE,
    PLAIN,
    RAMP,
    RIVER,
    SEA,
    colour,
)

__all__ = ["map_png"]

#: Points per view-box pixel: the figure is 10 in wide for the layout's 960 px.
PT = 0.75


def map_png(net: Network, path: str | Path, *, values: Mapping[str, float] | None = None,
            label: str = "utilisation", cut: Sequence[str] = (),
            disrupted: Sequence[str] = (), title: str = "",
            layout: MapLayout | None = None, terminals: Sequence[str] = ()) -> Path:
    """The network map as a PNG: the same layout as the SVG map (basemap, track geometry,
    insets for dense clusters or a schematic layout), drawn with matplotlib; the legend,
    notes and credits in a strip below the map, as on the SVG map (never over the data)."""
    lay = layout or map_layout(net, terminals=terminals)
    foot = list(lay.notes)
    if lay.tracked.any() and not lay.tracked.all():
        foot.append(f"{int((~lay.tracked).sum())} link(s) without track geometry are drawn "
                    "schematically (straight, or bowed where the link is much longer).")
    credit = [ATTRIBUTION] if lay.basemap else []
    if lay.tracked.any():
        credit.append("Track geometry © OpenStreetMap contributors (ODbL).")
    strip = 44.0 + 14.0 * (len(foot) + len(credit))
    top = 26.0 if title else 4.0
    total = lay.height + strip + top
    fig = new_figure(10, 10 * total / lay.width, layout=None)  # axes placed by hand
    ax = fig.add_axes((0.0, strip / total, 1.0, lay.height / total))
    ax.set_xlim(0, lay.width)
    ax.set_ylim(lay.height, 0)
    ax.set_axis_off()
    style = _MapDraw(net, values or {}, set(cut), set(disrupted), lay, terminals)
    for k, f in enumerate(lay.frames):
        style.frame(ax, f, k)
    leg = fig.add_axes((0.0, 0.0, 1.0, strip / total))
    _legend_strip(leg, lay.width, strip, label, foot, credit)
    if title:
        fig.text(0.5, 1 - top / 2 / total, title, ha="center", va="center", fontsize=PT * 13)
    return to_png(fig, path)


def _legend_strip(ax: Any, width: float, height: float, label: str, notes: list[str],
                  credit: list[str]) -> None:
    """The colour ramp, the symbols, the notes and the credits, in view-box pixels."""
    from matplotlib.colors import LinearSegmentedColormap

    ax.set_xlim(0, width)
    ax.set_ylim(height, 0)
    ax.set_axis_off()
    size = PT * 11
    cmap = LinearSegmentedColormap.from_list("chokepoint", [(p, c) for p, c in RAMP])
    x, y = 12.0, 18.0
    ax.text(x, y - 4, label, fontsize=size, va="bottom")
    ax.imshow(np.linspace(0, 1, 256)[None, :], extent=(x, x + 200, y + 10, y), cmap=cmap,
              aspect="auto")
    ax.text(x, y + 13, "0", fontsize=size, va="top")
    ax.text(x + 200, y + 13, "1", fontsize=size, va="top", ha="right")
    ax.plot([x + 240, x + 264], [y + 5, y + 5], color="#111", lw=4.5)
    ax.text(x + 270, y + 5, "min cut", fontsize=size, va="center")
    ax.plot([x + 335], [y + 5], marker="x", ms=6, mew=2, color="#c0392b")
    ax.text(x + 345, y + 5, "closed / disrupted", fontsize=size, va="center")
    ax.text(x + 470, y + 5, "width ∝ log capacity; dashed: sea; grey: no value",
            fontsize=size, va="center", color="#666")
    for i, line in enumerate(notes):
        ax.text(x, y + 30 + 14 * i, line, fontsize=size, va="center", color="#555")
    for i, line in enumerate(credit):
        ax.text(width - 8, y + 30 + 14 * (len(notes) + i), line, fontsize=PT * 9,
                va="center", ha="right", color="#777")


class _MapDraw:
    """Draws one :class:`~chokepoint.report._maplayout.Frame` into matplotlib axes."""

    def __init__(self, net: Network, values: Mapping[str, float], cut: set[str],
                 disrupted: set[str], lay: MapLayout, terminals: Sequence[str] = ()) -> None:
        self.net, self.values, self.cut, self.disrupted, self.lay = (net, values, cut,
                                                                     disrupted, lay)
        self.terminals = list(terminals)
        self.ids = net.links["id"].astype(str).tolist()
        self.groups = net.links["group"].astype(str).tolist()
        self.modes = net.links["mode"].astype(str).tolist()
        cap = net.links["capacity"].to_numpy(dtype=float)
        finite = cap[np.isfinite(cap) & (cap > 0)]
        self.width = np.full(len(cap), 2.0)
        if len(finite) and finite.max() > finite.min():
            ok = np.isfinite(cap) & (cap > 0)
            lo, hi = math.log(finite.min()), math.log(finite.max())
            self.width[ok] = 0.8 + 2.7 * (np.log(cap[ok]) - lo) / (hi - lo)

    def frame(self, ax: Any, f: Frame, k: int) -> None:
        from matplotlib.collections import LineCollection, PolyCollection
        from matplotlib.patches import Rectangle

        z = 10.0 * k
        clip = Rectangle((f.x, f.y), f.w, f.h, transform=ax.transData)
        ax.add_patch(Rectangle((f.x, f.y), f.w, f.h, facecolor=SEA if self.lay.basemap
                               else PLAIN, edgecolor="#34495e" if k else "none", lw=1.2,
                               zorder=z))
        arts: list[Any] = [
            PolyCollection(f.land, facecolors=LAND, edgecolors="#b7c4cf", lw=0.4, zorder=z + .1),
            PolyCollection(f.lakes, facecolors=LAKE, edgecolors="#b7c4cf", lw=0.3,
                           zorder=z + .2),
            LineCollection(f.rivers, colors=RIVER, lw=0.5, zorder=z + .3),
            LineCollection(f.borders, colors=BORDER, lw=0.5, linestyles=(0, (4, 2)),
                           zorder=z + .4),
            LineCollection([g[0] for g in f.graticule], colors="#c9d3dc", lw=0.3,
                           zorder=z + .5)]
        for a in arts:
            ax.add_collection(a)
        labels = frame_labels(self.lay, k, self.net, terminals=self.terminals,
                              cut=sorted(self.cut))
        if f.places:
            pts = np.array([(x, y) for _, x, y in f.places])
            arts.append(ax.scatter(pts[:, 0], pts[:, 1], s=1.5, c=PLACE, zorder=z + .6))
        arts += [self._text(ax, lb, z + .6) for lb in labels if lb.kind == "place"]
        gl = graticule_labels(self.lay, k)
        arts += [ax.text(tx, ty, t, fontsize=PT * 9, color="#8a96a3", zorder=z + .5)
                 for _, t, tx, ty in gl if t]
        arts += self._links(ax, f, k, z)
        arts += self._nodes(ax, f, k, z)
        arts += [self._text(ax, lb, z + 6) for lb in labels if lb.kind != "place"]
        for a in arts:
            a.set_clip_path(clip)
        if k and f.source_box is not None:
            x0, y0, x1, y1 = f.source_box
            zs = 10.0 * f.parent + 8  # over the frame it lies in (the map or an inset)
            ax.add_patch(Rectangle((x0, y0), x1 - x0, y1 - y0, fill=False, lw=0.8,
                                   edgecolor="#34495e", zorder=zs))
            ex = min(max(f.x + f.w / 2, x0), x1)  # the leader line, as on the SVG map
            ey = min(max(f.y + f.h / 2, y0), y1)
            ax.plot([ex, min(max(ex, f.x), f.x + f.w)], [ey, min(max(ey, f.y), f.y + f.h)],
                    color="#34495e", lw=0.6, ls=(0, (3, 2)), zorder=zs)
            ax.add_patch(Rectangle((f.x, f.y - TITLE_H), f.w, TITLE_H, facecolor="#34495e",
                                   zorder=z + 5))
            ax.text(f.x + 4, f.y - 3.5, f.title, fontsize=PT * TITLE_SIZE, color="white",
                    zorder=z + 6)

    def _links(self, ax: Any, f: Frame, k: int, z: float) -> list[Any]:
        """The links of a frame: the min cut's black underlay, the links coloured by value
        (solid, or dashed by mode) and the disrupted ones' crosses, each layer one
        collection (a few artists per frame instead of one or more per link)."""
        from matplotlib.collections import LineCollection

        under: list[tuple[np.ndarray, float]] = []
        lines: dict[bool, list[tuple[np.ndarray, float, str, Any]]] = {False: [], True: []}
        marks: list[np.ndarray] = []
        for i, xy in enumerate(f.paths):
            if xy is None:
                continue
            lid, grp, mode = self.ids[i], self.groups[i], self.modes[i]
            w = self.width[i] * (1.2 if k else 1.0)
            if lid in self.cut:
                under.append((xy, w + 3))
            dash = (0, tuple(float(v) for v in MODE_DASH[mode].split())) \
                if mode in MODE_DASH else "solid"
            lines[mode in MODE_DASH].append((xy, w, colour(self.values.get(lid)), dash))
            if lid in self.disrupted or (grp and grp in self.disrupted):
                marks.append(xy[len(xy) // 2] if len(xy) > 2 else xy.mean(axis=0))
        arts: list[Any] = []
        if under:
            arts.append(LineCollection([u[0] for u in under], colors="#111",
                                       linewidths=[u[1] for u in under], capstyle="round",
                                       zorder=z + 1))
        for dashed, rows in lines.items():
            if rows:  # solid lines with round ends; dashes with square ends, as plot() does
                arts.append(LineCollection([r[0] for r in rows], colors=[r[2] for r in rows],
                                           linewidths=[r[1] for r in rows],
                                           linestyles=[r[3] for r in rows],
                                           capstyle="butt" if dashed else "round",
                                           zorder=z + 2))
        for a in arts:
            ax.add_collection(a)
        if marks:
            pts = np.array(marks)
            arts += ax.plot(pts[:, 0], pts[:, 1], ls="none", marker="x", ms=7, mew=2,
                            color="#c0392b", zorder=z + 4)
        return arts

    @staticmethod
    def _text(ax: Any, lb: Label, z: float) -> Any:
        """A placed label (:mod:`chokepoint.report._maplabels`), white halo, same box."""
        from matplotlib import patheffects

        colour = {"node": "#1f2d3a", "structure": "#5b2c2c", "place": PLACE}[lb.kind]
        ha = {"start": "left", "middle": "center", "end": "right"}[lb.anchor]
        x = {"start": lb.box[0], "middle": (lb.box[0] + lb.box[2]) / 2, "end": lb.box[2]}[
            lb.anchor]
        return ax.text(x, lb.box[1], "\n".join(lb.lines), fontsize=PT * lb.size, ha=ha,
                       va="top", color=colour, linespacing=LINE_EM,
                       style="italic" if lb.kind == "structure" else "normal", zorder=z,
                       path_effects=[patheffects.withStroke(linewidth=2, foreground="white")])

    def _nodes(self, ax: Any, f: Frame, k: int, z: float) -> list[Any]:
        nodes = self.net.nodes
        ids = nodes["id"].astype(str).tolist()
        ok = np.isfinite(f.nodes).all(axis=1)
        xy = f.nodes[ok]
        arts: list[Any] = [ax.scatter(xy[:, 0], xy[:, 1], s=9, c="white", edgecolors="#34495e",
                                      linewidths=0.8, zorder=z + 3)]
        for i in np.flatnonzero(ok):
            nid = ids[i]
            x, y = f.nodes[i]
            if nid in self.cut:
                arts += ax.plot([x], [y], marker="s", ms=8, mfc="none", mec="#111", mew=1.2,
                                zorder=z + 3)
            if nid in self.disrupted:
                arts += ax.plot([x], [y], marker="x", ms=7, mew=2, color="#c0392b",
                                zorder=z + 4)
        return arts
