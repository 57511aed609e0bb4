"""The network as an inline SVG map: no tiles, no scripts, no external requests.

Nodes are projected with Web Mercator (EPSG:3857 formulas on the node lon/lat) into a
fixed-width view box; links are straight lines coloured by a value in [0, 1] (utilisation,
or criticality normalised to the most critical element) and widened by capacity. A
graticule every 5 or 10 degrees stands in for a basemap (no country outlines are shipped
with the installed packages, so none are drawn). The minimum cut and disrupted elements
are marked; structures (tunnels, bridges, viaducts) get call-out badges placed so that they
never overlap, which keeps short structures clickable at corridor scale.

Every drawn element is a ``<g>`` with ``data-id``, ``data-kind`` (``link``/``node``) and
``data-group`` attributes and a ``<title>`` tooltip; the web page (:mod:`chokepoint.serve`)
attaches its click handlers to those. Styling is done with SVG presentation attributes only
(no ``style=""``), so the map also renders under a strict Content-Security-Policy.
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

__all__ = ["RAMP", "MapStyle", "colour", "link_values_from_table", "network_svg", "project"]

#: Colour ramp (yellow → orange → red → dark red), positions in [0, 1].
RAMP: tuple[tuple[float, str], ...] = (
    (0.0, "#ffffb2"), (0.25, "#fecc5c"), (0.5, "#fd8d3c"), (0.75, "#f03b20"), (1.0, "#bd0026"))
NO_VALUE = "#9e9e9e"
LEGEND_H = 46.0
MODE_DASH = {"sea": "6 4", "river": "6 4", "road": "2 3", "transfer": "1 3"}


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


def _merc_y(lat: np.ndarray) -> np.ndarray:
    lat = np.clip(lat, -85.0, 85.0)
    return np.degrees(np.log(np.tan(np.pi / 4 + np.radians(lat) / 2)))


@dataclass
class _Projection:
    x0: float
    y1: float
    scale: float
    width: float
    height: float
    pad: float

    def __call__(self, lon: np.ndarray, lat: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        x = self.pad + (np.asarray(lon, float) - self.x0) * self.scale
        y = self.pad + (self.y1 - _merc_y(np.asarray(lat, float))) * self.scale
        return x, y


def project(lon: np.ndarray, lat: np.ndarray, *, width: float = 960.0,
            pad: float = 40.0, max_aspect: float = 0.9) -> _Projection:
    """A Web-Mercator projection fitting the finite ``lon``/``lat`` into ``width`` pixels."""
    ok = np.isfinite(lon) & np.isfinite(lat)
    if not ok.any():
        lon, lat, ok = np.array([0.0, 1.0]), np.array([0.0, 1.0]), np.array([True, True])
    lo, la = np.asarray(lon, float)[ok], np.asarray(lat, float)[ok]
    x0, x1 = float(lo.min()), float(lo.max())
    y = _merc_y(la)
    y0, y1 = float(y.min()), float(y.max())
    span_x = max(x1 - x0, 1e-6)
    span_y = max(y1 - y0, 1e-6)
    inner = width - 2 * pad
    scale = inner / span_x
    if span_y * scale > inner * max_aspect:  # tall extent: fit the height instead
        scale = inner * max_aspect / span_y
        x0 -= (inner / scale - span_x) / 2
    height = span_y * scale + 2 * pad
    return _Projection(x0=x0, y1=y1, scale=scale, width=width, height=height, pad=pad)


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
        Link, node or failure-group ids closed or disrupted (red cross, dashed).
    captions
        Link id → extra tooltip lines (figures).
    node_captions
        Node id → extra tooltip lines.
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


def _graticule(proj: _Projection, lon: np.ndarray, lat: np.ndarray) -> list[str]:
    ok = np.isfinite(lon) & np.isfinite(lat)
    if not ok.any():
        return []
    span = float(np.nanmax(lon[ok]) - np.nanmin(lon[ok]))
    step = 10 if span > 30 else (5 if span > 8 else 1)
    lon_lo = proj.x0 - proj.pad / proj.scale
    lon_hi = proj.x0 + (proj.width - proj.pad) / proj.scale
    lat_lo, lat_hi = float(np.nanmin(lat[ok])) - 2, float(np.nanmax(lat[ok])) + 2
    out = ['<g class="graticule" stroke="#d8dee6" stroke-width="0.6" fill="#8a96a3" '
           'font-size="10">']
    for g in range(math.floor(lon_lo / step) * step, int(lon_hi) + step, step):
        if not lon_lo <= g <= lon_hi:
            continue
        x, _ = proj(np.array([g]), np.array([0.0]))
        out.append(f'<line x1="{_fmt(x[0])}" y1="0" x2="{_fmt(x[0])}" '
                   f'y2="{_fmt(proj.height)}"/>'
                   f'<text x="{_fmt(x[0] + 2)}" y="{_fmt(proj.height - 4)}" '
                   f'stroke="none">{g}°E</text>')
    for g in range(math.floor(lat_lo / step) * step, int(lat_hi) + step, step):
        _, y = proj(np.array([0.0]), np.array([float(g)]))
        if not 0 <= y[0] <= proj.height:
            continue
        out.append(f'<line x1="0" y1="{_fmt(y[0])}" x2="{_fmt(proj.width)}" '
                   f'y2="{_fmt(y[0])}"/>'
                   f'<text x="2" y="{_fmt(y[0] - 2)}" stroke="none">{g}°N</text>')
    out.append("</g>")
    return out


def _badge_positions(points: list[tuple[float, float]], width: float, height: float,
                     box: tuple[float, float]) -> list[tuple[float, float]]:
    """Greedy non-overlapping places for call-out badges near each point."""
    bw, bh = box
    placed: list[tuple[float, float]] = []
    offsets = [(dx, dy) for r in (1, 2, 3, 4, 5, 6)
               for dx, dy in ((20, -30 * r), (20, 30 * r), (-bw - 20, -30 * r),
                              (-bw - 20, 30 * r))]
    for px, py in points:
        for dx, dy in offsets:
            x = min(max(px + dx, 2.0), width - bw - 2)
            y = min(max(py + dy - bh / 2, 2.0), height - bh - 2)
            if all(abs(x - qx) >= bw + 4 or abs(y - qy) >= bh + 4 for qx, qy in placed):
                placed.append((x, y))
                break
        else:
            placed.append((min(px + 20, width - bw - 2), min(max(py - bh / 2, 2), height - bh)))
    return placed


def network_svg(net: Network, style: MapStyle | None = None, *, width: float = 960.0,
                element_id: str = "network-map", legend: bool = True) -> str:
    """The network as an ``<svg>`` string (see the module docstring)."""
    style = style or MapStyle()
    nodes = net.nodes
    lon = nodes["lon"].to_numpy(dtype=float)
    lat = nodes["lat"].to_numpy(dtype=float)
    proj = project(lon, lat, width=width)
    nx_, ny_ = proj(lon, lat)
    pos = {str(i): (float(x), float(y)) for i, x, y in zip(nodes["id"], nx_, ny_, strict=True)
           if math.isfinite(x) and math.isfinite(y)}
    names = dict(zip(nodes["id"].astype(str), nodes["name"].astype(str), strict=True))
    node_group = dict(zip(nodes["id"].astype(str), nodes["group"].astype(str), strict=True))
    cut = set(style.cut)
    disrupted = set(style.disrupted)
    links = net.links
    cap = links["capacity"].to_numpy(dtype=float)
    finite = cap[np.isfinite(cap) & (cap > 0)]
    cmin, cmax = (float(finite.min()), float(finite.max())) if len(finite) else (1.0, 1.0)

    def stroke_width(c: float) -> float:
        if not math.isfinite(c) or c <= 0 or cmax <= cmin:
            return 3.0
        return 1.5 + 4.5 * (math.log(c) - math.log(cmin)) / (math.log(cmax) - math.log(cmin))

    h = proj.height
    total_h = h + (LEGEND_H if legend else 0)
    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" id="{html.escape(element_id)}" '
             f'class="network-map" viewBox="0 0 {_fmt(width)} {_fmt(total_h)}" '
             f'width="100%" preserveAspectRatio="xMidYMid meet" role="img" '
             f'aria-label="map of {html.escape(net.name)}" font-family="sans-serif">',
             f'<rect x="0" y="0" width="{_fmt(width)}" height="{_fmt(total_h)}" fill="#fff"/>',
             f'<rect x="0" y="0" width="{_fmt(width)}" height="{_fmt(h)}" fill="#f7f9fb"/>']
    parts += _graticule(proj, lon, lat)
    parts.append('<g class="links">')
    structures: list[tuple[str, str, str, float, float]] = []
    for rec in links[["id", "from", "to", "name", "mode", "structure", "group",
                      "capacity"]].itertuples(index=False):
        lid, a, b, name, mode, structure, group, c = (str(rec[0]), str(rec[1]), str(rec[2]),
                                                      str(rec[3]), str(rec[4]), str(rec[5]),
                                                      str(rec[6]), float(rec[7]))
        if a not in pos or b not in pos:
            continue
        (x1, y1), (x2, y2) = pos[a], pos[b]
        value = style.values.get(lid)
        col = colour(value)
        w = stroke_width(c)
        title = f"{name or lid} ({lid})"
        if group and group != lid:
            title += f"\nfailure group: {group}"
        if structure != "none":
            title += f"\n{structure}"
        if lid in style.captions:
            title += "\n" + style.captions[lid]
        classes = ["link"]
        if lid in cut:
            classes.append("cut")
        if lid in disrupted or (group and group in disrupted):
            classes.append("disrupted")
        coords = f'x1="{_fmt(x1)}" y1="{_fmt(y1)}" x2="{_fmt(x2)}" y2="{_fmt(y2)}"'
        dash = MODE_DASH.get(mode)
        dash_attr = f' stroke-dasharray="{dash}"' if dash else ""
        g = [f'<g class="{" ".join(classes)}" data-id="{html.escape(lid)}" data-kind="link" '
             f'data-group="{html.escape(group)}" data-value="'
             f'{"" if value is None or not math.isfinite(value) else f"{value:.4f}"}">',
             f"<title>{html.escape(title)}</title>"]
        if lid in cut:
            g.append(f'<line class="cut-casing" {coords} stroke="#111" '
                     f'stroke-width="{_fmt(w + 5)}" stroke-linecap="round"/>')
        g.append(f'<line class="hit" {coords} stroke="#000" stroke-opacity="0" '
                 f'stroke-width="{_fmt(max(w, 10))}" stroke-linecap="round"/>')
        g.append(f'<line class="stroke" {coords} stroke="{col}" stroke-width="{w:.2f}" '
                 f'stroke-linecap="round"{dash_attr}/>')
        if "disrupted" in classes:
            mx, my = (x1 + x2) / 2, (y1 + y2) / 2
            g.append(_cross(mx, my))
        g.append("</g>")
        parts.append("".join(g))
        if structure != "none":
            structures.append((lid, name or lid, group, (x1 + x2) / 2, (y1 + y2) / 2))
    parts.append("</g>")

    parts.append('<g class="nodes">')
    terminals = set(style.terminals)
    for nid, (x, y) in pos.items():
        title = f"{names.get(nid) or nid} ({nid})"
        grp = node_group.get(nid, "")
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
        parts.append("".join(g))
    parts.append("</g>")

    if structures:
        parts.append('<g class="badges" font-size="11">')
        box = (150.0, 18.0)
        places = _badge_positions([(s[3], s[4]) for s in structures], width, h, box)
        for (lid, name, group, mx, my), (bx, by) in zip(structures, places, strict=True):
            label = name if len(name) <= 24 else name[:23] + "…"
            classes = ["link", "badge"]
            if lid in cut:
                classes.append("cut")
            if lid in disrupted or (group and group in disrupted):
                classes.append("disrupted")
            parts.append(
                f'<g class="{" ".join(classes)}" data-id="{html.escape(lid)}" data-kind="link" '
                f'data-group="{html.escape(group)}" id="badge-{html.escape(lid)}">'
                f"<title>{html.escape(name)} ({html.escape(lid)}) — click to close</title>"
                f'<line x1="{_fmt(mx)}" y1="{_fmt(my)}" x2="{_fmt(bx)}" '
                f'y2="{_fmt(by + box[1] / 2)}" stroke="#555" stroke-width="0.8" '
                f'pointer-events="none"/>'
                f'<rect class="badge-box" x="{_fmt(bx)}" y="{_fmt(by)}" width="{box[0]:.0f}" '
                f'height="{box[1]:.0f}" rx="3" fill="#fff" stroke="#555"/>'
                f'<text x="{_fmt(bx + 5)}" y="{_fmt(by + 13)}" fill="#222" pointer-events="none">'
                f"{html.escape(label)}</text></g>")
        parts.append("</g>")
    if legend:
        parts.append(_legend(style.label, width, h, element_id))
    parts.append("</svg>")
    return "\n".join(parts)


def _cross(x: float, y: float, r: float = 5.0) -> str:
    return (f'<path class="cross" d="M{_fmt(x - r)},{_fmt(y - r)}L{_fmt(x + r)},{_fmt(y + r)}'
            f'M{_fmt(x - r)},{_fmt(y + r)}L{_fmt(x + r)},{_fmt(y - r)}" stroke="#c0392b" '
            f'stroke-width="2.5" fill="none"/>')


def _legend(label: str, width: float, height: float, key: str) -> str:
    """The legend, in a strip below the map (never over the network)."""
    x, y, w = 12.0, height + 18, 200
    k = html.escape(key)
    stops = "".join(f'<stop offset="{p:.2f}" stop-color="{c}"/>' for p, c in RAMP)
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
            f'<text x="{x + 470}" y="{_fmt(y + 9)}" fill="#666">width ∝ log capacity; dashed: '
            f'sea; grey: no value</text></g>')


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
