"""Private vectorised helpers for topology building: distances, clustering, chain walking.

Everything works on longitude/latitude in degrees (EPSG:4326). Distances within a snapping
tolerance are measured as chords between points on a sphere (exact to well below a millimetre
at the tolerances used here), so snapping works the same at the equator, near the poles and
across the antimeridian. Lengths are geodesic (WGS84 ellipsoid, :class:`pyproj.Geod`).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numba
import numpy as np
from scipy.sparse import coo_matrix
from scipy.sparse.csgraph import connected_components
from scipy.spatial import cKDTree

EARTH_RADIUS_M = 6_371_008.8
M_PER_DEG = EARTH_RADIUS_M * np.pi / 180.0

_GEOD: Any = None


@dataclass
class Snapped:
    """Line pieces between junctions with their ends snapped into nodes: where the GIS path
    (:func:`chokepoint.io.topology.lines_to_network`) and the node-id path
    (:func:`chokepoint.io._nodegraph.snap_edges`) meet.

    ``xy`` holds every piece's vertices (lon, lat), contiguous and in order, the first and
    last at their node's coordinates; ``piece`` the piece of each vertex; ``line`` the row of
    the line table each piece comes from; ``frm``/``to`` the node of each piece's ends;
    ``node_xy`` each node's coordinates.
    """

    xy: np.ndarray
    piece: np.ndarray
    line: np.ndarray
    frm: np.ndarray
    to: np.ndarray
    node_xy: np.ndarray


def geod() -> Any:
    """The WGS84 ellipsoid (created once)."""
    global _GEOD
    if _GEOD is None:
        from pyproj import Geod

        _GEOD = Geod(ellps="WGS84")
    return _GEOD


def ecef(lon: np.ndarray, lat: np.ndarray) -> np.ndarray:
    """Points on a sphere of the Earth's mean radius, in metres (n x 3)."""
    lo, la = np.radians(lon), np.radians(lat)
    c = np.cos(la)
    return np.column_stack([c * np.cos(lo), c * np.sin(lo), np.sin(la)]) * EARTH_RADIUS_M


def distance_m(lon1: np.ndarray, lat1: np.ndarray, lon2: np.ndarray,
               lat2: np.ndarray) -> np.ndarray:
    """Geodesic distance in metres, element by element."""
    if len(np.atleast_1d(lon1)) == 0:
        return np.zeros(0)
    _, _, d = geod().inv(lon1, lat1, lon2, lat2)
    return np.asarray(d, dtype=float)


def path_lengths_km(lon: np.ndarray, lat: np.ndarray, index: np.ndarray, n: int) -> np.ndarray:
    """Geodesic length in km of ``n`` polylines given by vertices (``index`` = polyline id,
    vertices of one polyline contiguous and in order)."""
    out = np.zeros(n)
    if len(lon) < 2:
        return out
    same = index[1:] == index[:-1]
    d = distance_m(lon[:-1][same], lat[:-1][same], lon[1:][same], lat[1:][same])
    np.add.at(out, index[1:][same], d / 1000.0)
    return out


def close_pairs(lon: np.ndarray, lat: np.ndarray, tol_m: float) -> np.ndarray:
    """Index pairs (i < j) of points within ``tol_m`` metres of each other (k x 2)."""
    if len(lon) < 2 or tol_m <= 0:
        return np.zeros((0, 2), dtype=np.int64)
    tree = cKDTree(ecef(lon, lat))
    pairs = tree.query_pairs(r=float(tol_m), output_type="ndarray")
    return np.asarray(pairs, dtype=np.int64).reshape(-1, 2)


def components(n: int, pairs: np.ndarray) -> np.ndarray:
    """Connected-component label of each of ``n`` items joined by ``pairs``."""
    if n == 0:
        return np.zeros(0, dtype=np.int64)
    if len(pairs) == 0:
        return np.arange(n, dtype=np.int64)
    m = coo_matrix((np.ones(len(pairs), dtype=np.int8), (pairs[:, 0], pairs[:, 1])),
                   shape=(n, n))
    _, lab = connected_components(m, directed=False)
    return np.asarray(lab, dtype=np.int64)


def nearest(lon: np.ndarray, lat: np.ndarray, qlon: np.ndarray,
            qlat: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """For each query point the index of the nearest point and the geodesic distance (m)."""
    if len(lon) == 0 or len(qlon) == 0:
        return np.full(len(qlon), -1, dtype=np.int64), np.full(len(qlon), np.inf)
    tree = cKDTree(ecef(lon, lat))
    _, idx = tree.query(ecef(qlon, qlat))
    idx = np.asarray(idx, dtype=np.int64)
    return idx, distance_m(qlon, qlat, lon[idx], lat[idx])


def degree_padding(tol_m: float, lat: np.ndarray) -> float:
    """A search radius in degrees that covers ``tol_m`` metres at the given latitudes."""
    mx = float(np.max(np.abs(lat))) if len(lat) else 0.0
    return float(tol_m) / (M_PER_DEG * max(np.cos(np.radians(min(mx, 89.0))), 0.017)) * 1.01


def group_runs(keys: np.ndarray) -> np.ndarray:
    """Start offset of each run of equal consecutive keys (plus the total length at the end)."""
    if len(keys) == 0:
        return np.zeros(1, dtype=np.int64)
    starts = np.flatnonzero(np.r_[True, keys[1:] != keys[:-1]])
    return np.r_[starts, len(keys)].astype(np.int64)


@numba.njit(cache=True)
def walk_chains(frm: np.ndarray, to: np.ndarray, nbr0: np.ndarray,
                nbr1: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Order links into chains joined at mergeable nodes.

    ``nbr0[l]`` / ``nbr1[l]`` is the link joined to link ``l`` at its from / to node when that
    node is mergeable, else -1. Returns, in walk order, the link index, its chain number and
    whether it is traversed backwards. Closed rings are cut at the from node of their first link.
    """
    n = len(frm)
    order = np.empty(n, dtype=np.int64)
    chain = np.empty(n, dtype=np.int64)
    rev = np.zeros(n, dtype=np.bool_)
    seen = np.zeros(n, dtype=np.bool_)
    k = 0
    c = 0
    for p in range(2):
        for s in range(n):
            if seen[s]:
                continue
            if p == 0 and nbr0[s] != -1 and nbr1[s] != -1:
                continue  # not a chain end; rings are handled in the second pass
            cur = s
            backwards = nbr0[s] != -1 and nbr1[s] == -1
            while cur != -1 and not seen[cur]:
                seen[cur] = True
                order[k] = cur
                chain[k] = c
                rev[k] = backwards
                k += 1
                if backwards:
                    node = frm[cur]
                    nxt = nbr0[cur]
                else:
                    node = to[cur]
                    nxt = nbr1[cur]
                if nxt == -1:
                    break
                backwards = to[nxt] == node and frm[nxt] != node
                cur = nxt
            c += 1
    return order[:k], chain[:k], rev[:k]
