"""Topology of a graph given as node ids with coordinates, without line geometries.

The world railway graph comes as nodes (lon, lat) and edges between node ids. The GIS path
(:func:`chokepoint.io.topology.lines_to_network`) would turn every edge into a two-point line
and find the topology again through an STR-tree. :func:`snap_edges` gives the same pieces,
nodes and coordinates straight from the arrays, so that
:func:`chokepoint.io.topology.edges_to_network` builds the same network as the GIS path does
for those lines (``tests/test_nodegraph.py`` compares them).

What the GIS path does to two-point lines, and how it is done here:

* **Shared vertices** never split a two-point line (both its vertices are ends).
* **T-junctions**: a line end lying within ``tol`` metres (geodesic) of another line's planar
  projection point, that point farther than ``tol`` from both of that line's ends, splits
  the line there, once per line end at that coordinate. The world railway graph has 43,058
  such ends (overlapping collinear edges). Candidates come from a grid over the distinct
  end coordinates (:func:`_grid_pairs`, a numba loop: planar point-to-segment distance
  within twice the GIS path's search radius); the projection, the interpolated point and
  the geodesic tests are then made with the same shapely and pyproj calls as the GIS path,
  so the inserted points are bit for bit the same.
* **Snapping**: piece ends within ``tol`` (chord on the sphere, :func:`_snap.close_pairs`)
  form one node; here the pairs are searched among distinct coordinates only. Nodes are
  numbered in the order of their first end (pieces' first ends, then their last ends), and
  a node sits at the coordinates of its first end, as in the GIS path.

Lines crossing the antimeridian (longitudes more than 180 degrees apart) are not split, as
in the GIS path.
"""

from __future__ import annotations

from typing import Any

import numba
import numpy as np

from chokepoint.errors import require
from chokepoint.io import _snap


def distinct_coordinates(x: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Number the distinct (x, y) pairs.

    Parameters
    ----------
    x, y
        Coordinates (floats compared with ``==``).

    Returns
    -------
    tuple
        The id of each pair's coordinates (in sorted order of ``x`` then ``y``) and, for each
        id, the position of one pair holding it. O(n log n).
    """
    if len(x) == 0:
        return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.int64)
    o = np.lexsort((y, x))
    xs, ys = x[o], y[o]
    new = np.r_[True, (xs[1:] != xs[:-1]) | (ys[1:] != ys[:-1])]
    cid = np.empty(len(x), dtype=np.int64)
    cid[o] = np.cumsum(new) - 1
    return cid, o[new]


@numba.njit(cache=True, nogil=True)
def _grid_pairs(keys: np.ndarray, order: np.ndarray, px: np.ndarray, py: np.ndarray,
                seg: np.ndarray, radius: float, cell: float, gx: float, gy: float,
                ny: int) -> tuple[np.ndarray, np.ndarray]:  # pragma: no cover - compiled
    """Pairs (point, segment) with the point within ``radius`` (planar, degrees) of the
    segment, other than the segment's own end points.

    ``keys`` are the sorted grid cells (``ix * ny + iy``) of the points ``order``; ``seg`` rows
    are ``x0, y0, x1, y1, end0, end1, id`` (``end*``: the point ids of its ends). Two passes:
    count, then fill. O(cells visited + pairs) with a binary search per cell.
    """
    n = seg.shape[0]
    total = 0
    out_p = np.empty(0, dtype=np.int64)
    out_s = np.empty(0, dtype=np.int64)
    r2 = radius * radius
    for fill in range(2):
        if fill == 1:
            out_p = np.empty(total, dtype=np.int64)
            out_s = np.empty(total, dtype=np.int64)
        k = 0
        for s in range(n):
            ax, ay, bx, by = seg[s, 0], seg[s, 1], seg[s, 2], seg[s, 3]
            e0, e1 = int(seg[s, 4]), int(seg[s, 5])
            dx, dy = bx - ax, by - ay
            len2 = dx * dx + dy * dy
            lox, hix = min(ax, bx), max(ax, bx)
            ix0 = max(int(np.floor((lox - radius - gx) / cell)), 0)
            ix1 = int(np.floor((hix + radius - gx) / cell))
            for ix in range(ix0, ix1 + 1):
                c0 = max(gx + ix * cell - radius, lox)
                c1 = min(gx + (ix + 1) * cell + radius, hix)
                if dx == 0.0 or c0 > c1:
                    ylo, yhi = min(ay, by), max(ay, by)
                else:
                    ya = ay + (c0 - ax) * dy / dx
                    yb = ay + (c1 - ax) * dy / dx
                    ylo, yhi = min(ya, yb), max(ya, yb)
                iy0 = max(int(np.floor((ylo - radius - gy) / cell)), 0)
                iy1 = min(int(np.floor((yhi + radius - gy) / cell)), ny - 1)
                for iy in range(iy0, iy1 + 1):
                    key = ix * ny + iy
                    lo = np.searchsorted(keys, key)
                    hi = np.searchsorted(keys, key, side="right")
                    for j in range(lo, hi):
                        p = order[j]
                        if p == e0 or p == e1:  # noqa: SIM109 (numba)
                            continue
                        qx, qy = px[p] - ax, py[p] - ay
                        t = 0.0 if len2 == 0.0 else min(max((qx * dx + qy * dy) / len2, 0.0),
                                                        1.0)
                        ex, ey = qx - t * dx, qy - t * dy
                        if ex * ex + ey * ey <= r2:
                            if fill == 1:
                                out_p[k] = p
                                out_s[k] = int(seg[s, 6])
                            k += 1
        total = k
    return out_p, out_s


def near_pairs(px: np.ndarray, py: np.ndarray, seg: np.ndarray, radius: float
               ) -> tuple[np.ndarray, np.ndarray]:
    """Points within ``radius`` degrees (planar) of segments, other than their own ends.

    Parameters
    ----------
    px, py
        Point coordinates (degrees).
    seg
        One row per segment: ``x0, y0, x1, y1, end0, end1, id`` (``end*``: the point ids of
        its ends, never paired with it; ``id``: returned for it).
    radius
        Search radius in degrees.

    Returns
    -------
    tuple
        Point ids and segment ids of the pairs within ``radius`` (up to rounding: callers
        pass a generous radius and test the pairs exactly). O(n log n + cells + pairs).
    """
    if len(px) == 0 or len(seg) == 0:
        return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.int64)
    cell = max(4.0 * radius, 0.01)
    gx, gy = float(px.min()) - cell, float(py.min()) - cell
    ny = int((float(py.max()) - gy) / cell) + 2
    key = np.floor((px - gx) / cell).astype(np.int64) * ny + \
        np.floor((py - gy) / cell).astype(np.int64)
    order = np.argsort(key, kind="stable")
    p, s = _grid_pairs(key[order], order, px, py, np.ascontiguousarray(seg, dtype=float),
                       float(radius), cell, gx, gy, ny)
    return np.asarray(p), np.asarray(s)


def t_junctions(x: np.ndarray, y: np.ndarray, cid: np.ndarray, ux: np.ndarray,
                uy: np.ndarray, *, tol: float) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Where line ends split other two-point lines (see the module docstring).

    Parameters
    ----------
    x, y
        Vertices of the lines, two per line (line ``i``: rows ``2i``, ``2i + 1``).
    cid
        Distinct-coordinate id of each vertex; ``ux``, ``uy`` those coordinates.
    tol
        Tolerance in metres.

    Returns
    -------
    tuple
        For each split (once per line end at that coordinate): the line, the position along
        it (planar, as :func:`shapely.line_locate_point`) and the point (k x 2).
    """
    shapely: Any = require("shapely", "geo")
    x0, y0, x1, y1 = x[0::2], y[0::2], x[1::2], y[1::2]
    ok = np.abs(x1 - x0) <= 180.0  # lines across the antimeridian are never split
    pad = _snap.degree_padding(tol, y)
    li = np.flatnonzero(ok)
    seg = np.column_stack([x0[li], y0[li], x1[li], y1[li], cid[0::2][li], cid[1::2][li], li])
    qc, ql = near_pairs(ux, uy, seg, 2.0 * pad)
    empty = (np.zeros(0, dtype=np.int64), np.zeros(0), np.zeros((0, 2)))
    if len(qc) == 0:
        return empty
    lines = np.unique(ql)
    g = shapely.linestrings(np.column_stack([x0[lines], y0[lines], x1[lines], y1[lines]])
                            .reshape(-1, 2, 2))
    gl = g[np.searchsorted(lines, ql)]
    qp = shapely.points(ux[qc], uy[qc])
    loc = shapely.line_locate_point(gl, qp)
    near = shapely.get_coordinates(shapely.line_interpolate_point(gl, loc))
    d = _snap.distance_m(ux[qc], uy[qc], near[:, 0], near[:, 1])
    d0 = _snap.distance_m(near[:, 0], near[:, 1], x0[ql], y0[ql])
    d1 = _snap.distance_m(near[:, 0], near[:, 1], x1[ql], y1[ql])
    new = (d <= tol) & (d0 > tol) & (d1 > tol)
    if not new.any():
        return empty
    times = np.bincount(cid, minlength=len(ux))[qc[new]]  # once per line end there
    return (np.repeat(ql[new], times), np.repeat(loc[new], times),
            np.repeat(near[new], times, axis=0))


def snap_edges(lon: np.ndarray, lat: np.ndarray, pair: np.ndarray, *, tol: float
               ) -> _snap.Snapped:
    """Pieces and nodes of edges between located nodes, as the GIS path snaps them.

    Parameters
    ----------
    lon, lat
        Coordinates of every node (degrees, finite, in range).
    pair
        One row per edge: the node positions of its first and last end (the line of row
        ``i`` runs from ``pair[i, 0]`` to ``pair[i, 1]``).
    tol
        Snapping tolerance in metres (> 0).

    Returns
    -------
    _snap.Snapped
        Pieces (two vertices each), their line, their end nodes and the nodes' coordinates.
        O(m log m) in the number of edges, plus the T-junction candidates.
    """
    n_lines = len(pair)
    vx, vy = lon[pair].ravel(), lat[pair].ravel()
    cid, one = distinct_coordinates(vx, vy)
    ux, uy = vx[one], vy[one]
    il, iloc, ixy = t_junctions(vx, vy, cid, ux, uy, tol=tol)
    o = np.lexsort((iloc, il))
    il, ixy = il[o], ixy[o]
    # every line's points in order: start, its splits, end
    n_ins = np.bincount(il, minlength=n_lines)
    size = n_ins + 2
    off = np.cumsum(size) - size
    pos = off[il] + 1 + np.arange(len(il)) - (np.cumsum(n_ins) - n_ins)[il]
    both = np.concatenate([ux, ixy[:, 0]]), np.concatenate([uy, ixy[:, 1]])
    c2, one2 = distinct_coordinates(*both)
    fx, fy = np.empty(int(size.sum())), np.empty(int(size.sum()))
    fc = np.empty(len(fx), dtype=np.int64)
    last = off + size - 1
    fx[off], fy[off], fc[off] = vx[0::2], vy[0::2], c2[cid[0::2]]
    fx[last], fy[last], fc[last] = vx[1::2], vy[1::2], c2[cid[1::2]]
    fx[pos], fy[pos], fc[pos] = ixy[:, 0], ixy[:, 1], c2[len(ux):]
    is_first = np.zeros(len(fx), dtype=bool)
    is_first[off] = True
    is_last = np.zeros(len(fx), dtype=bool)
    is_last[last] = True
    ends = np.concatenate([np.flatnonzero(~is_last), np.flatnonzero(~is_first)])
    # snap: clusters of distinct coordinates within tol, numbered by their first end
    lab = _snap.components(len(one2), _snap.close_pairs(both[0][one2], both[1][one2], tol))
    k = lab[fc[ends]]
    labels, first = np.unique(k, return_index=True)
    rank = np.argsort(first, kind="stable")
    node_of = np.empty(int(labels[-1]) + 1, dtype=np.int64)
    node_of[labels[rank]] = np.arange(len(labels))
    node = node_of[k]
    at = ends[first[rank]]
    node_xy = np.column_stack([fx[at], fy[at]])
    n_pieces = len(ends) // 2
    frm, to = node[:n_pieces], node[n_pieces:]
    xy = np.empty((2 * n_pieces, 2))
    xy[0::2], xy[1::2] = node_xy[frm], node_xy[to]
    return _snap.Snapped(xy=xy, piece=np.repeat(np.arange(n_pieces), 2),
                         line=np.repeat(np.arange(n_lines), n_ins + 1), frm=frm, to=to,
                         node_xy=node_xy)
