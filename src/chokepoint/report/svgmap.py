"""The network as an inline SVG map: no tiles, no scripts, no external requests.

The layout (projection, track geometry, basemap, insets for dense clusters, or a schematic
layout for networks without coordinates) comes from :mod:`chokepoint.report._maplayout`, the
same one the PNG maps use. Links follow their stored track geometry (straight chords where
there is none, flagged in their tooltip), coloured by a value in [0, 1] (utilisation, or
criticality normalised to the most critical element) and widened by capacity. The minimum
cut and disrupted elements are marked. Under the network: land, lakes, rivers, country
borders and the names of the cities it passes (:mod:`chokepoint.report.basemap`).

Every drawn element is a ``<g>`` with ``data-id``, ``data-kind`` (``link``/``node``) and
``data-group`` attributes and a ``<title>`` tooltip; each frame (``data-frame`` 0 for the
main map, 1… for insets) repeats the elements it shows. The web page
(:mod:`chokepoint.serve`) hit-tests those geometrically. Styling is done with SVG
presentation attributes only (no ``style=""``), so the map also renders under a strict
Content-Security-Policy. Strokes do not scale (``vector-effect``), so a zoomed web map keeps
its line widths.
"""

from __future__ import annotations

import html
import itertools
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from chokepoint.network import Network
from chokepoint.report import basemap as bm
from chokepoint.report._maplabels import LINE_EM, Label, frame_labels, graticule_labels
from chokepoint.report._maplayout import TITLE_H, TITLE_SIZE, Frame, MapLayout, map_layout

__all__ = ["RAMP", "MapStyle", "colour", "link_values_from_table", "network_svg"]

#: Colour ramp (yellow → orange → red → dark red), positions in [0, 1].
RAMP: tuple[tuple[float, str], ...] = (
    (0.0, "#ffffb2"), (0.25, "#fecc5c"), (0.5, "#fd8d3c"), (0.75, "#f03b20"), (1.0, "#bd0026"))
NO_VALUE = "#9e9e9e"
LEGEND_H = 62.0
MODE_DASH = {"sea": "6 4", "river": "6 4", "road": "2 3", "transfer": "1 3"}
#: Basemap colours: sea, land, lakes, rivers, borders, place names.
SEA, LAND, LAKE, RIVER, BORDER, PLACE = ("#dfeaf3", "#f6f3ec", "#dfeaf3", "#a9c8e0", "#9b8f85",
                                         "#6b6259")
PLAIN = "#f7f9fb"


def colour(value: float | None) -> str:
    """Hex colour of ``value`` (clipped to [0, 1]) on :data:`RAMP`; grey for NaN/None."""
    if value is None or not math.isfinite(value):
        return NO_VALUE
    v = min(max(float(value), 0.0), 1.0)
    for (p0, c0), (p1, c1) in itertools.pairwise(RAMP):
        if v <= p1:
            t = (v - p0) / (p1 - p0) if p1 > p0 else 0.0
            rgb = [round(int(c0[i:i + 2], 16) * (1 - t) + int(c1[i:i + 2], 16) * t)
                   for i in (1, 3, 5)]
            return "#" + "".join(f"{x:02x}" for x in rgb)
    return RAMP[-1][1]


@dataclass
class MapStyle:
    """What the map shows.

    Attributes
    ----------
    values
        Link id → value in [0, 1] for the colour (missing: grey).
    label
        Legend title for the colour (``"utilisation"``, ``"criticality"``...).
    cut
        Link and node ids in the minimum cut (drawn with a black casing / square ring).
    disrupted
        Link, node or failure-group ids closed or disrupted (red cross).
    captions
        Link id → extra tooltip lines (figures).
    node_captions
        Node id → extra tooltip lines.
    terminals
        Node ids drawn larger and labelled (sources and sinks).
    """

    values: Mapping[str, float] = field(default_factory=dict)
    label: str = "utilisation"
    cut: Sequence[str] = ()
    disrupted: Sequence[str] = ()
    captions: Mapping[str, str] = field(default_factory=dict)
    node_captions: Mapping[str, str] = field(default_factory=dict)
    terminals: Sequence[str] = ()


def _fmt(x: float) -> str:
    return f"{x:.1f}"


def _d(xy: np.ndarray, closed: bool = False) -> str:
    """SVG path data of a polyline (``closed``: a ring)."""
    pts = " ".join(f"{x:.1f},{y:.1f}" for x, y in xy)
    return f"M{pts}{'Z' if closed else ''}"


def _layer(cls: str, rings: list[np.ndarray], closed: bool, attrs: str) -> str:
    if not rings:
        return ""
    d = "".join(_d(r, closed) for r in rings)
    return f'<path class="{cls}" d="{d}" {attrs}/>'


def _stroke_width(cap: np.ndarray) -> np.ndarray:
    finite = cap[np.isfinite(cap) & (cap > 0)]
    out = np.full(len(cap), 3.0)
    if len(finite) and finite.max() > finite.min():
        lo, hi = math.log(finite.min()), math.log(finite.max())
        ok = np.isfinite(cap) & (cap > 0)
        out[ok] = 1.5 + 4.5 * (np.log(cap[ok]) - lo) / (hi - lo)
    return out


def _basemap(f: Frame, layout: MapLayout, k: int) -> list[str]:
    out = ['<g class="basemap" pointer-events="none">',
           f'<rect class="sea" x="{_fmt(f.x)}" y="{_fmt(f.y)}" width="{_fmt(f.w)}" '
           f'height="{_fmt(f.h)}" fill="{SEA if layout.basemap else PLAIN}"/>',
           _layer("land", f.land, True, f'fill="{LAND}" stroke="#b7c4cf" stroke-width="0.6"'),
           _layer("lake", f.lakes, True, f'fill="{LAKE}" stroke="#b7c4cf" stroke-width="0.5"'),
           _layer("river", f.rivers, False, f'fill="none" stroke="{RIVER}" stroke-width="0.8"'),
           _layer("border", f.borders, False, f'fill="none" stroke="{BORDER}" '
                  'stroke-width="0.8" stroke-dasharray="4 2"')]
    if f.graticule:
        out.append('<g class="graticule" stroke="#c9d3dc" stroke-width="0.4" fill="#8a96a3" '
                   'font-size="9">')
        for xy, lab, tx, ty in graticule_labels(layout, k):
            out.append(f'<path d="{_d(xy)}"/>' + (f'<text x="{_fmt(tx)}" y="{_fmt(ty)}" '
                                                  f'stroke="none">{lab}</text>' if lab else ""))
        out.append("</g>")
    out.append("</g>")
    return out


def _labels_svg(labels: list[Label]) -> list[str]:
    """The placed labels as SVG text, one group per kind (halo: a white stroke under)."""
    attrs = {"node": 'font-size="10" fill="#1f2d3a"',
             "structure": 'font-size="10" font-style="italic" fill="#5b2c2c"',
             "place": f'font-size="9" fill="{PLACE}"'}
    cls = {"node": "node-labels", "structure": "structure-labels", "place": "places"}
    out = []
    for kind in ("place", "node", "structure"):
        mine = [lb for lb in labels if lb.kind == kind]
        if not mine:
            continue
        out.append(f'<g class="{cls[kind]}" {attrs[kind]} pointer-events="none" '
                   'paint-order="stroke" stroke="#fff" stroke-width="3" '
                   'stroke-linejoin="round">')
        for lb in mine:
            if kind == "place":
                out.append(f'<circle cx="{_fmt(lb.at[0])}" cy="{_fmt(lb.at[1])}" r="1.4" '
                           'stroke="none"/>')
            anchor = "" if lb.anchor == "start" else f' text-anchor="{lb.anchor}"'
            first, *rest = lb.lines
            more = "".join(f'<tspan x="{_fmt(lb.x)}" dy="{LINE_EM:.2f}em">{html.escape(t)}'
                           "</tspan>" for t in rest)
            out.append(f'<text x="{_fmt(lb.x)}" y="{_fmt(lb.y)}"{anchor}>'
                       f"{html.escape(first)}{more}</text>")
        out.append("</g>")
    return out


@dataclass
class _Links:
    ids: list[str]
    names: list[str]
    modes: list[str]
    structures: list[str]
    groups: list[str]
    width: np.ndarray


def _link_titles(net: Network, style: MapStyle, tracked: np.ndarray,
                 any_tracked: bool) -> list[str]:
    out = []
    lk = net.links
    for lid, name, structure, group, tr in zip(
            lk["id"].astype(str), lk["name"].astype(str), lk["structure"].astype(str),
            lk["group"].astype(str), tracked, strict=True):
        title = f"{name or lid} ({lid})"
        if group and group != lid:
            title += f"\nfailure group: {group}"
        if structure != "none":
            title += f"\n{structure}"
        if lid in style.captions:
            title += "\n" + style.captions[lid]
        if any_tracked and not tr:
            title += "\ndrawn schematically (no track geometry)"
        out.append(title)
    return out


def _frame_links(f: Frame, k: int, lk: _Links, titles: list[str], style: MapStyle,
                 tracked: np.ndarray, any_tracked: bool) -> list[str]:
    cut, disrupted = set(style.cut), set(style.disrupted)
    out = ['<g class="links">']
    for i, path in enumerate(f.paths):
        if path is None or (k and not _meets(path, f)):
            continue
        lid, group = lk.ids[i], lk.groups[i]
        value = style.values.get(lid)
        w = float(lk.width[i]) * (1.25 if k else 1.0)
        classes = ["link"]
        if lid in cut:
            classes.append("cut")
        if lid in disrupted or (group and group in disrupted):
            classes.append("disrupted")
        if any_tracked and not tracked[i]:
            classes.append("chord")
        d = _d(path)
        dash = MODE_DASH.get(lk.modes[i])
        dash_attr = f' stroke-dasharray="{dash}"' if dash else ""
        vs = ' vector-effect="non-scaling-stroke" stroke-linecap="round" stroke-linejoin="round"'
        g = [f'<g class="{" ".join(classes)}" data-id="{html.escape(lid)}" data-kind="link" '
             f'data-group="{html.escape(group)}" data-value="'
             f'{"" if value is None or not math.isfinite(value) else f"{value:.4f}"}">',
             f"<title>{html.escape(titles[i])}</title>"]
        if lid in cut:
            g.append(f'<path class="cut-casing" d="{d}" fill="none" stroke="#111" '
                     f'stroke-width="{_fmt(w + 5)}"{vs}/>')
        g.append(f'<path class="hit" d="{d}" fill="none" stroke="#000" stroke-opacity="0" '
                 f'stroke-width="{_fmt(max(w, 9))}"{vs}/>')
        g.append(f'<path class="stroke" d="{d}" fill="none" stroke="{colour(value)}" '
                 f'stroke-width="{w:.2f}"{dash_attr}{vs}/>')
        if "disrupted" in classes:
            mid = path[len(path) // 2] if len(path) > 2 else path.mean(axis=0)
            g.append(_cross(float(mid[0]), float(mid[1])))
        g.append("</g>")
        out.append("".join(g))
    out.append("</g>")
    return out


def _meets(path: np.ndarray, f: Frame) -> bool:
    """Whether a polyline's bounding box meets the frame."""
    return bool(path[:, 0].max() >= f.x and path[:, 0].min() <= f.x + f.w
                and path[:, 1].max() >= f.y and path[:, 1].min() <= f.y + f.h)


def _frame_nodes(f: Frame, k: int, net: Network, style: MapStyle) -> list[str]:
    nodes = net.nodes
    ids = nodes["id"].astype(str).tolist()
    names = nodes["name"].astype(str).tolist()
    groups = nodes["group"].astype(str).tolist()
    cut, disrupted, terminals = set(style.cut), set(style.disrupted), set(style.terminals)
    out = ['<g class="nodes">']
    for i, (x, y) in enumerate(f.nodes):
        if not (math.isfinite(x) and math.isfinite(y)):
            continue
        if k and not (f.x <= x <= f.x + f.w and f.y <= y <= f.y + f.h):
            continue
        nid, grp = ids[i], groups[i]
        title = f"{names[i] or nid} ({nid})"
        if nid in style.node_captions:
            title += "\n" + style.node_captions[nid]
        classes = ["node"]
        if nid in cut:
            classes.append("cut")
        if nid in disrupted or (grp and grp in disrupted):
            classes.append("disrupted")
        if nid in terminals:
            classes.append("terminal")
        r = 4.5 if nid in terminals else 3.0
        g = [f'<g class="{" ".join(classes)}" data-id="{html.escape(nid)}" data-kind="node" '
             f'data-group="{html.escape(grp)}">', f"<title>{html.escape(title)}</title>"]
        if nid in cut:
            g.append(f'<rect class="cut-ring" x="{_fmt(x - 8)}" y="{_fmt(y - 8)}" width="16" '
                     f'height="16" fill="none" stroke="#111" stroke-width="2"/>')
        g.append(f'<circle cx="{_fmt(x)}" cy="{_fmt(y)}" r="{r}" fill="#fff" stroke="#34495e" '
                 f'stroke-width="1.5"/>')
        if "disrupted" in classes:
            g.append(_cross(x, y))
        g.append("</g>")
        out.append("".join(g))
    out.append("</g>")
    return out


def network_svg(net: Network, style: MapStyle | None = None, *, width: float = 960.0,
                element_id: str = "network-map", legend: bool = True,
                layout: MapLayout | None = None, focusable: bool = False) -> str:
    """The network as an ``<svg>`` string (see the module docstring); ``focusable`` adds
    ``tabindex="0"`` so the web map can take keyboard input (pan and zoom)."""
    style = style or MapStyle()
    lay = layout or map_layout(net, width=width, terminals=style.terminals)
    lk_t = net.links
    lk = _Links(ids=lk_t["id"].astype(str).tolist(), names=lk_t["name"].astype(str).tolist(),
                modes=lk_t["mode"].astype(str).tolist(),
                structures=lk_t["structure"].astype(str).tolist(),
                groups=lk_t["group"].astype(str).tolist(),
                width=_stroke_width(lk_t["capacity"].to_numpy(dtype=float)))
    any_tracked = bool(lay.tracked.any())
    titles = _link_titles(net, style, lay.tracked, any_tracked)
    w, h = lay.width, lay.height
    notes = list(lay.notes)
    if any_tracked and not lay.tracked.all():
        notes.append(f"{int((~lay.tracked).sum())} link(s) without track geometry are drawn "
                     "schematically (straight, or bowed where the link is much longer).")
    legend_h = (LEGEND_H + 14 * len(notes)) if legend else 0.0
    total_h = h + legend_h
    eid = html.escape(element_id)
    tab = ' tabindex="0"' if focusable else ""
    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" id="{eid}"{tab} '
             f'class="network-map{" schematic" if lay.schematic else ""}" '
             f'viewBox="0 0 {_fmt(w)} {_fmt(total_h)}" data-map-height="{_fmt(h)}" '
             f'width="100%" preserveAspectRatio="xMidYMid meet" role="img" '
             f'aria-label="map of {html.escape(net.name)}" font-family="sans-serif">',
             "<defs>" + "".join(
                 f'<clipPath id="{eid}-clip-{k}"><rect x="{_fmt(f.x)}" y="{_fmt(f.y)}" '
                 f'width="{_fmt(f.w)}" height="{_fmt(f.h)}"/></clipPath>'
                 for k, f in enumerate(lay.frames)) + "</defs>",
             f'<rect x="0" y="0" width="{_fmt(w)}" height="{_fmt(total_h)}" fill="#fff"/>']
    for k, f in enumerate(lay.frames):
        src = (' data-source="' + " ".join(f"{v:.1f}" for v in f.zoom_box) + '"'
               if f.zoom_box else "")
        parts.append(f'<g class="frame{" inset" if k else ""}" data-frame="{k}"{src} '
                     f'clip-path="url(#{eid}-clip-{k})">')
        parts += _basemap(f, lay, k)
        labels = frame_labels(lay, k, net, terminals=style.terminals, cut=style.cut)
        parts += _labels_svg([lb for lb in labels if lb.kind == "place"])
        parts += _frame_links(f, k, lk, titles, style, lay.tracked, any_tracked)
        parts += _frame_nodes(f, k, net, style)
        parts += _labels_svg([lb for lb in labels if lb.kind != "place"])
        parts.append("</g>")
        if k:
            parts.append(_inset_decor(f))
    if legend:
        parts.append(_legend(style.label, w, h, element_id, notes, lay.basemap, any_tracked))
    parts.append("</svg>")
    return "\n".join(p for p in parts if p)


def _inset_decor(f: Frame) -> str:
    """The inset's frame and title, and a box on the main map around what it magnifies."""
    assert f.source_box is not None
    sx0, sy0, sx1, sy1 = f.source_box
    cx, cy = f.x + f.w / 2, f.y + f.h / 2
    ex = min(max(cx, sx0), sx1)
    ey = min(max(cy, sy0), sy1)
    bx = min(max(ex, f.x), f.x + f.w)
    by = min(max(ey, f.y), f.y + f.h)
    return (f'<g class="inset-decor" pointer-events="none">'
            f'<rect x="{_fmt(sx0)}" y="{_fmt(sy0)}" width="{_fmt(sx1 - sx0)}" '
            f'height="{_fmt(sy1 - sy0)}" fill="none" stroke="#34495e" stroke-width="1"/>'
            f'<line x1="{_fmt(ex)}" y1="{_fmt(ey)}" x2="{_fmt(bx)}" y2="{_fmt(by)}" '
            f'stroke="#34495e" stroke-width="0.8" stroke-dasharray="3 2"/>'
            f'<rect x="{_fmt(f.x)}" y="{_fmt(f.y - TITLE_H)}" width="{_fmt(f.w)}" '
            f'height="{_fmt(TITLE_H)}" fill="#34495e"/>'
            f'<rect class="inset-frame" x="{_fmt(f.x)}" y="{_fmt(f.y - TITLE_H)}" '
            f'width="{_fmt(f.w)}" height="{_fmt(f.h + TITLE_H)}" fill="none" stroke="#34495e" '
            f'stroke-width="1.5"/>'
            f'<text x="{_fmt(f.x + 4)}" y="{_fmt(f.y - 3.5)}" font-size="{TITLE_SIZE:g}" '
            'fill="#fff">'
            f"{html.escape(f.title)}</text></g>")


def _cross(x: float, y: float, r: float = 5.0) -> str:
    return (f'<path class="cross" d="M{_fmt(x - r)},{_fmt(y - r)}L{_fmt(x + r)},{_fmt(y + r)}'
            f'M{_fmt(x - r)},{_fmt(y + r)}L{_fmt(x + r)},{_fmt(y - r)}" stroke="#c0392b" '
            f'stroke-width="2.5" fill="none"/>')


def _legend(label: str, width: float, height: float, key: str, notes: list[str],
            basemap: bool, tracked: bool) -> str:
    """The legend, in a strip below the map (never over the network)."""
    x, y, w = 12.0, height + 20, 200
    k = html.escape(key)
    stops = "".join(f'<stop offset="{p:.2f}" stop-color="{c}"/>' for p, c in RAMP)
    lines = ["width ∝ log capacity; dashed: sea; grey: no value"]
    if tracked:
        lines.append("lines follow the railway's course (© OpenStreetMap contributors, ODbL)")
    extra = "".join(f'<text x="{x}" y="{_fmt(y + 38 + 14 * i)}" fill="#555">'
                    f"{html.escape(n)}</text>" for i, n in enumerate(notes))
    credit = (f'<text x="{_fmt(width - 8)}" y="{_fmt(y + 38 + 14 * len(notes))}" '
              f'text-anchor="end" fill="#777" font-size="9">{html.escape(bm.ATTRIBUTION)}</text>'
              if basemap else "")
    return (f'<g class="legend" font-size="11" fill="#222">'
            f'<defs><linearGradient id="ramp-{k}">{stops}</linearGradient></defs>'
            f'<text x="{x}" y="{_fmt(y - 4)}">{html.escape(label)}</text>'
            f'<rect x="{x}" y="{_fmt(y)}" width="{w}" height="10" fill="url(#ramp-{k})"/>'
            f'<text x="{x}" y="{_fmt(y + 22)}">0</text>'
            f'<text x="{x + w}" y="{_fmt(y + 22)}" text-anchor="end">1</text>'
            f'<line x1="{x + 240}" y1="{_fmt(y + 5)}" x2="{x + 264}" y2="{_fmt(y + 5)}" '
            f'stroke="#111" stroke-width="6"/>'
            f'<text x="{x + 270}" y="{_fmt(y + 9)}">min cut</text>'
            f'{_cross(x + 335, y + 5, 4)}'
            f'<text x="{x + 345}" y="{_fmt(y + 9)}">closed / disrupted</text>'
            f'<text x="{x + 470}" y="{_fmt(y + 9)}" fill="#666">{html.escape(lines[0])}</text>'
            + (f'<text x="{x + 470}" y="{_fmt(y + 23)}" fill="#666">{html.escape(lines[1])}'
               "</text>" if len(lines) > 1 else "")
            + extra + credit + "</g>")


def link_values_from_table(table: pd.DataFrame, column: str, *,
                           normalise: bool = False) -> dict[str, float]:
    """Link id → value of ``column`` (divided by its maximum when ``normalise``)."""
    if column not in table.columns:
        return {}
    ids = table["id"] if "id" in table.columns else table["element"]
    vals = pd.to_numeric(table[column], errors="coerce").to_numpy(dtype=float)
    if normalise:
        ok = vals[np.isfinite(vals)]
        top = float(ok.max()) if len(ok) else 0.0
        vals = vals / top if top > 0 else np.full(len(vals), np.nan)
    return {str(i): float(v) for i, v in zip(ids, vals, strict=True)}
