"""Is a single point of failure of the model one in reality? A check against OpenStreetMap.

A scenario's single point of failure (an element whose loss alone stops the shipment) is real
only if the railway has no other line between the element's two ends. A model that lumps a
bridge and the tunnel beside it into one section, or that leaves out a line, creates single
points of failure that do not exist. :func:`check_parallels` asks the OpenStreetMap-derived
world railway graph (:func:`chokepoint.io.world.world_railway_arrays`; © OpenStreetMap
contributors, ODbL) for each element:

1. **Graph.** Undirected; an edge weighs the great-circle length of the graph's (simplified)
   edge, a lower bound on the track's length.
2. **Snap.** Each of the element's end nodes joins, by a virtual edge as long as the gap, the
   nearest graph vertex of *every* connected piece of the graph within ``radius_km``. This
   closes gaps where the graph's pieces do not meet (its Nakhodka-line piece ends 1.5 km from
   the Trans-Sib's at Smolyaninovo) without inventing track further away.
3. **Course.** The shortest path between the two snapped ends is the element's course in the
   graph. No path, or one longer than ``max_ratio`` times the element's length or shorter
   than its ``1/max_ratio`` (give or take the two snaps), means the graph lacks the line or an
   end has no surveyed position: the verdict is ``not in OSM`` and says why.
4. **Parallel.** The course's graph edges are removed (the virtual edges stay) and the search
   runs again. No path: ``no parallel``. Otherwise ``parallel``, with its length; when it
   leaves the element's own country (a ``countries`` layer of polygons, e.g. Natural Earth's
   admin-0) it is ``parallel abroad``, naming the countries it crosses.

Removing the whole course asks for a route *edge-disjoint* from it, so short double-track
loops in stations along a section do not count as a parallel line.

Complexity: two Dijkstra searches per element, O((V + E) log V) each (SciPy), on the world
graph's 275k nodes and 329k edges (about 0.1 s each); reading the graph takes a few seconds.
Dijkstra, E. W. (1959), "A note on two problems in connexion with graphs", *Numerische
Mathematik* 1, 269–271.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from chokepoint.errors import InputError, require
from chokepoint.scenario import Scenario

__all__ = ["ABROAD", "NOT_IN_OSM", "NO_PARALLEL", "PARALLEL", "ParallelCheck", "RailArrays",
           "check_parallels", "shipment_spofs"]

NO_PARALLEL = "no parallel"
PARALLEL = "parallel"
ABROAD = "parallel abroad"
NOT_IN_OSM = "not in OSM"
EARTH_KM = 6371.0088


@dataclass
class ParallelCheck:
    """What the railway graph says about one element.

    Attributes
    ----------
    element, name
        The link's id and name.
    verdict
        :data:`NO_PARALLEL`, :data:`PARALLEL`, :data:`ABROAD` or :data:`NOT_IN_OSM`.
    length_km
        The element's length in the scenario.
    course_km
        Its course in the graph (with the snaps), or ``None``.
    parallel_km
        The shortest route between the same ends without the course's edges, or ``None``.
    countries
        Countries that parallel route crosses besides the element's own (ISO 3166 alpha-3).
    reason
        One sentence on how the verdict was reached.
    """

    element: str
    name: str
    verdict: str
    length_km: float
    course_km: float | None = None
    parallel_km: float | None = None
    countries: tuple[str, ...] = ()
    reason: str = ""

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready mapping."""
        return asdict(self)


def _unit(lon: np.ndarray, lat: np.ndarray) -> np.ndarray:
    lo, la = np.radians(lon), np.radians(lat)
    return np.column_stack([np.cos(la) * np.cos(lo), np.cos(la) * np.sin(lo), np.sin(la)])


def _chord_km(p: np.ndarray, q: np.ndarray) -> np.ndarray:
    return EARTH_KM * np.arccos(np.clip(np.einsum("ij,ij->i", p, q), -1.0, 1.0))


@dataclass
class RailArrays:
    """A railway graph as arrays: node positions and undirected edges.

    Build it with :meth:`read` (the world railway graph) or directly from arrays (tests).
    """

    lon: np.ndarray
    lat: np.ndarray
    u: np.ndarray
    v: np.ndarray
    _cache: dict[str, Any] = field(default_factory=dict, repr=False)

    @classmethod
    def read(cls, source: str | Path | None = None) -> RailArrays:
        """The world railway graph (see :func:`chokepoint.io.world.world_railway_arrays`)."""
        from chokepoint.io.world import world_railway_arrays

        return cls(*world_railway_arrays(source))

    def prepared(self) -> dict[str, Any]:
        """Edge lengths (km), the component of every node and a k-d tree, built once."""
        if not self._cache:
            from scipy.sparse import coo_matrix
            from scipy.sparse.csgraph import connected_components
            from scipy.spatial import cKDTree

            xyz = _unit(self.lon, self.lat)
            w = np.maximum(_chord_km(xyz[self.u], xyz[self.v]), 1e-6)
            n = len(self.lon)
            m = coo_matrix((w, (self.u, self.v)), shape=(n, n)).tocsr()
            _, comp = connected_components(m, directed=False)
            self._cache.update(w=w, comp=comp, tree=cKDTree(xyz))
        return self._cache

    def attach(self, lon: float, lat: float, radius_km: float) -> list[tuple[int, float]]:
        """The nearest node of every connected piece within ``radius_km`` of a point."""
        g = self.prepared()
        p = _unit(np.array([lon]), np.array([lat]))
        chord = 2 * np.sin(radius_km / EARTH_KM / 2)
        idx = np.asarray(g["tree"].query_ball_point(p[0], chord), dtype=np.int64)
        if not len(idx):
            return []
        d = _chord_km(np.repeat(p, len(idx), axis=0), _unit(self.lon[idx], self.lat[idx]))
        best: dict[int, tuple[int, float]] = {}
        for i, di in zip(idx.tolist(), d.tolist(), strict=True):
            c = int(g["comp"][i])
            if c not in best or di < best[c][1]:
                best[c] = (i, di)
        return sorted(best.values(), key=lambda t: t[1])

    def nearest_km(self, lon: float, lat: float) -> float:
        """Distance (km) from a point to the nearest node of the graph."""
        d, _ = self.prepared()["tree"].query(_unit(np.array([lon]), np.array([lat]))[0])
        return float(2 * EARTH_KM * np.arcsin(min(1.0, d / 2)))


def _search(g: RailArrays, ends: tuple[list[tuple[int, float]], list[tuple[int, float]]],
            drop: np.ndarray | None) -> tuple[float, list[int]]:
    """Shortest path between two attached points (virtual nodes n and n + 1), without the
    edges flagged in ``drop``; ``(inf, [])`` when there is none."""
    from scipy.sparse import coo_matrix
    from scipy.sparse.csgraph import dijkstra

    p = g.prepared()
    n = len(g.lon)
    keep = np.ones(len(g.u), dtype=bool) if drop is None else ~drop
    extra = [(n + k, i, d) for k, side in enumerate(ends) for i, d in side]
    eu = np.r_[g.u[keep], [e[0] for e in extra]].astype(np.int64)
    ev = np.r_[g.v[keep], [e[1] for e in extra]].astype(np.int64)
    ew = np.r_[p["w"][keep], [max(e[2], 1e-6) for e in extra]]
    m = coo_matrix((np.r_[ew, ew], (np.r_[eu, ev], np.r_[ev, eu])), shape=(n + 2, n + 2))
    dist, pred = dijkstra(m.tocsr(), indices=n, return_predecessors=True)
    if not np.isfinite(dist[n + 1]):
        return float("inf"), []
    seq = [n + 1]
    while seq[-1] != n:
        seq.append(int(pred[seq[-1]]))
    return float(dist[n + 1]), seq[::-1]


def _edges_of(g: RailArrays, path: Sequence[int]) -> np.ndarray:
    """Flags of the graph edges on ``path`` (its virtual first and last steps excluded)."""
    inner = np.asarray(path[1:-1], dtype=np.int64)
    a, b = np.minimum(inner[:-1], inner[1:]), np.maximum(inner[:-1], inner[1:])
    lo, hi = np.minimum(g.u, g.v), np.maximum(g.u, g.v)
    n = len(g.lon) + 2
    return np.isin(lo * n + hi, a * n + b)


class _Countries:
    """Which country a point lies in (admin-0 polygons, e.g. Natural Earth)."""

    def __init__(self, path: Path) -> None:
        shapely: Any = require("shapely", "geo")
        try:
            feats = json.loads(path.read_text(encoding="utf-8"))["features"]
        except (OSError, ValueError, KeyError) as e:
            raise InputError(f"cannot read the countries layer: {e}", source=path) from None
        self.shapely = shapely
        self.codes = [str(f["properties"].get("ADM0_A3") or f["properties"].get("ISO_A3"))
                      for f in feats]
        self.tree = shapely.STRtree([shapely.geometry.shape(f["geometry"]) for f in feats])

    def of(self, lon: np.ndarray, lat: np.ndarray) -> list[str | None]:
        pts = self.shapely.points(lon, lat)
        hit_pt, hit_poly = self.tree.query(pts, predicate="within")
        out: list[str | None] = [None] * len(pts)
        for i, j in zip(hit_pt.tolist(), hit_poly.tolist(), strict=True):
            out[i] = self.codes[j]
        return out


def _pieces(row: dict[str, Any], ends: tuple[list[tuple[int, float]], ...]) -> str:
    """A note on ends that join more than one piece of the graph (a gap closed by snapping)."""
    many = [f"'{row[k]}' joins {len(e)} pieces of it within {max(d for _, d in e):.1f} km"
            for k, e in zip(("from", "to"), ends, strict=True) if len(e) > 1]
    return "".join(f"; {m}" for m in many)


def _verdict(g: RailArrays, row: dict[str, Any], ends: tuple[list[tuple[int, float]], ...],
             *, max_ratio: float, countries: _Countries | None,
             nearest: tuple[float, float]) -> ParallelCheck:
    lid, name, length = str(row["id"]), str(row.get("name") or row["id"]), float(row["length_km"])
    out = ParallelCheck(lid, name, NOT_IN_OSM, length)
    a, b = ends
    if not a or not b:
        k = 0 if not a else 1
        out.reason = (f"the graph has no vertex near its '{row['from' if k == 0 else 'to']}' "
                      f"end (nearest {nearest[k]:,.1f} km away): the line is missing")
        return out
    d0, path = _search(g, (a, b), None)
    snaps = max(d for _, d in a) + max(d for _, d in b)
    if not path or not length / max_ratio - snaps <= d0 <= max_ratio * length + snaps:
        out.course_km = d0 if path else None
        out.reason = ("its ends lie in pieces of the graph that do not meet" if not path else
                      f"the graph's shortest path between its ends is {d0:,.1f} km, not the "
                      f"{length:,.1f} km line: the graph lacks it or an end has no surveyed "
                      "position")
        return out
    out.course_km = d0
    d1, alt = _search(g, (a, b), _edges_of(g, path))
    if not alt:
        out.verdict = NO_PARALLEL
        out.reason = ("removing its course disconnects its ends in the graph"
                      + _pieces(row, ends))
        return out
    out.parallel_km = d1
    inner = np.asarray(alt[1:-1], dtype=np.int64)
    if countries is not None:
        own = [c for c in countries.of(g.lon[path[1:-1]], g.lat[path[1:-1]]) if c]
        home = max(set(own), key=own.count) if own else None
        seen = [c for c in countries.of(g.lon[inner], g.lat[inner]) if c and c != home]
        out.countries = tuple(dict.fromkeys(seen))
    out.verdict = ABROAD if out.countries else PARALLEL
    out.reason = (f"without its course the graph still joins its ends, by {d1:,.0f} km"
                  + (f" through {', '.join(out.countries)}" if out.countries else "")
                  + _pieces(row, ends))
    return out


def check_parallels(s: Scenario, elements: Sequence[str], *,
                    graph: RailArrays | None = None, source: str | Path | None = None,
                    radius_km: float = 5.0, max_ratio: float = 1.6,
                    countries: str | Path | None = None) -> list[ParallelCheck]:
    """Check links of ``s`` against the railway graph for a parallel route (module docstring).

    Parameters
    ----------
    s
        The scenario.
    elements
        Link ids or failure-group ids (a group stands for its links, each checked).
    graph
        The railway graph (default: :meth:`RailArrays.read` of ``source``).
    source
        Where the world railway graph is (see :func:`chokepoint.io.world.read_world_railways`).
    radius_km
        How far a scenario node may lie from the graph pieces it joins.
    max_ratio
        A course longer than this many times the link's length is not the link's line.
    countries
        A GeoJSON layer of country polygons (``ADM0_A3``/``ISO_A3`` codes) to name the
        countries a parallel route crosses; ``None``: not named.

    Returns
    -------
    list of ParallelCheck
        One per link, rail links only (other modes get :data:`NOT_IN_OSM` and say so).
    """
    links = s.network.links
    group = links["group"].astype(str) if "group" in links else links["id"].astype(str)
    g = graph if graph is not None else RailArrays.read(source)
    where = _Countries(Path(countries)) if countries is not None else None
    nodes = s.network.nodes.set_index("id")
    out: list[ParallelCheck] = []
    for eid in elements:
        rows: list[dict[str, Any]] = [
            {str(k): v for k, v in r.items()}
            for r in links[(links["id"] == eid) | (group == eid)].to_dict("records")]
        if not rows:
            raise InputError(f"no link or failure group {eid!r}")
        for row in rows:
            if row["mode"] != "rail":
                out.append(ParallelCheck(str(row["id"]), str(row.get("name") or row["id"]),
                                         NOT_IN_OSM, float(row["length_km"]),
                                         reason=f"a {row['mode']} link, not in a railway graph"))
                continue
            pos = nodes.loc[[row["from"], row["to"]], ["lon", "lat"]].to_numpy(dtype=float)
            xy = [(float(x), float(y)) for x, y in pos]
            ends = tuple(g.attach(x, y, radius_km) for x, y in xy)
            near = (g.nearest_km(*xy[0]), g.nearest_km(*xy[1]))
            out.append(_verdict(g, row, ends, max_ratio=max_ratio, countries=where,
                                nearest=near))
    return out


def shipment_spofs(s: Scenario) -> list[str]:
    """The failure groups whose loss alone stops the shipment (throughput loss 100 %)."""
    from chokepoint.workflows.ranking import criticality

    r = criticality(s, kind="group", measures=("throughput",))
    if "throughput_loss_rel" not in r:
        return []
    return sorted(r[r["throughput_loss_rel"] >= 1.0 - 1e-9]["element"].astype(str))
