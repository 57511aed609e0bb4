"""Compiled point-to-point shortest paths for batches of queries with one arc group removed.

The kernels here are private building blocks of :mod:`chokepoint.analyses.redundancy`. They
work on a graph in CSR form (``indptr``, ``head``, ``weight``) whose arcs each carry a *group*
label (``arc_group``) and a hop count (``arc_hops``); a query ``(s, t, g)`` asks for the
lightest ``s → t`` path that uses no arc of group ``g``, together with the hop count of that
path. Arcs are skipped on the fly, so one CSR serves every query.

The search is the bidirectional Dijkstra algorithm (Dijkstra, *Numer. Math.* 1, 1959;
bidirectional form after Pohl, 1971, with the stopping rule of Goldberg & Harchol-Balter's
exposition: stop as soon as ``top_f + top_b >= mu``, where ``top_*`` are the smallest keys
of the two priority queues and ``mu`` the lightest ``s → t`` path seen so far). Two prunings
keep the search small without affecting exactness:

* a label ``d`` reached by the forward search at a vertex ``y`` that the backward search has
  not settled is not queued when ``d + top_b >= mu`` (any path through ``y`` continues with
  at least ``top_b``), and symmetrically for the backward search;
* a vertex already settled by the other search is not queued at all: its exact distance to
  (from) the other end is known, so ``mu`` already accounts for every path through it.

Each search uses binary heaps with lazy deletion and O(1) reset (only touched vertices are
reset), so a query costs O((n_q + m_q) log m_q) for the n_q vertices and m_q arcs it touches
rather than O(n). A batch runs in parallel (``numba.prange``) over per-thread workspaces;
queries are dealt to threads round-robin.

Searches are tiny on road-like graphs (about 8 vertices settled per query on a grid), so
constant factors dominate: the search is written out inside the query loop (a per-query
function returning a tuple cost ~30 %), both labels of a vertex share one row of ``dist``
(and of ``hops``) and its two settled flags share one byte, an arc's far end and hop count
are packed in one int64, and the excluded group's arcs are skipped by CSR position rather
than by reading a group label per arc. Results are bit-for-bit those of the plain version:
the same labels are computed in the same order.
"""

from __future__ import annotations

import numba
import numpy as np
from numba import njit, prange

__all__ = ["Workspace", "bidirectional_batch", "counting_order"]

INF = np.inf


@njit(cache=True, inline="always")
def _push(keys: np.ndarray, vals: np.ndarray, size: int, key: float, val: int) -> int:
    """Insert ``(key, val)`` into the binary min-heap of ``size`` entries; return the new size."""
    i = size
    while i > 0:
        p = (i - 1) >> 1
        if keys[p] <= key:
            break
        keys[i] = keys[p]
        vals[i] = vals[p]
        i = p
    keys[i] = key
    vals[i] = val
    return size + 1


@njit(cache=True, inline="always")
def _pop(keys: np.ndarray, vals: np.ndarray, size: int) -> int:
    """Remove the root of the binary min-heap; return the new size."""
    size -= 1
    if size == 0:
        return 0
    key = keys[size]
    val = vals[size]
    i = 0
    while True:
        c = 2 * i + 1
        if c >= size:
            break
        if c + 1 < size and keys[c + 1] < keys[c]:
            c += 1
        if keys[c] >= key:
            break
        keys[i] = keys[c]
        vals[i] = vals[c]
        i = c
    keys[i] = key
    vals[i] = val
    return size


@njit(cache=True)
def _solve(
    lo: int, hi: int, qs: np.ndarray, qt: np.ndarray, qg: np.ndarray, excl: np.ndarray,
    indptr: np.ndarray, code: np.ndarray, weight: np.ndarray,
    rindptr: np.ndarray, rcode: np.ndarray, rweight: np.ndarray,
    dist: np.ndarray, hops: np.ndarray, flags: np.ndarray, touched: np.ndarray,
    kf: np.ndarray, vf: np.ndarray, kb: np.ndarray, vb: np.ndarray,
    out_d: np.ndarray, out_h: np.ndarray,
) -> None:  # pragma: no cover - compiled
    """Queries ``lo .. hi - 1``: the lightest ``s → t`` path avoiding the query's group.

    ``excl[g]`` holds the forward CSR positions (``f1, f2``) and reverse CSR positions
    (``r1, r2``) of group ``g``'s arcs (``-1`` = none). ``code[a]`` packs an arc's hop count
    (high 32 bits) and far end (low 32 bits). Per vertex ``v``: ``dist[v, 0]`` /
    ``dist[v, 1]`` are the forward / backward labels, ``hops[v, *]`` their hop counts and
    ``flags[v]`` bit 0 / bit 1 say settled forward / backward (two cache lines per vertex
    touched, not six). Writes ``(length, hops)``, ``(inf, -1)`` if there is no path.
    Workspace arrays must be in their reset state (``dist`` = inf, ``flags`` = 0) and are
    left in it. The search is written out in the query loop (not called per query).
    """
    for q in range(lo, hi):
        s = qs[q]
        t = qt[q]
        g = qg[q]
        if s == t:
            out_d[q] = 0.0
            out_h[q] = 0
            continue
        f1 = excl[g, 0]
        f2 = excl[g, 1]
        r1 = excl[g, 2]
        r2 = excl[g, 3]
        dist[s, 0] = 0.0
        hops[s, 0] = 0
        dist[t, 1] = 0.0
        hops[t, 1] = 0
        touched[0] = s
        touched[1] = t
        nt = 2
        kf[0] = 0.0
        vf[0] = s
        nf = 1
        kb[0] = 0.0
        vb[0] = t
        nb = 1
        mu = INF
        muh = -1
        while True:
            # drop stale heap tops (superseded by a smaller label; a label is queued only
            # when it strictly improves, so the entry equal to the label is popped once)
            while nf > 0 and kf[0] > dist[vf[0], 0]:
                nf = _pop(kf, vf, nf)
            while nb > 0 and kb[0] > dist[vb[0], 1]:
                nb = _pop(kb, vb, nb)
            if nf == 0 or nb == 0:
                break
            topf = kf[0]
            topb = kb[0]
            if topf + topb >= mu:
                break
            if topf <= topb:
                x = vf[0]
                nf = _pop(kf, vf, nf)
                flags[x] |= 1
                hx = hops[x, 0]
                for a in range(indptr[x], indptr[x + 1]):
                    if a == f1 or a == f2:  # noqa: SIM109 (no tuple in the hot loop)
                        continue
                    cd = code[a]
                    y = cd & 0xFFFFFFFF
                    nd = topf + weight[a]
                    if nd < dist[y, 0]:
                        dby = dist[y, 1]
                        if dist[y, 0] == INF and dby == INF:
                            touched[nt] = y
                            nt += 1
                        dist[y, 0] = nd
                        hy = hx + (cd >> 32)
                        hops[y, 0] = hy
                        if dby < INF:
                            if nd + dby < mu:
                                mu = nd + dby
                                muh = hy + hops[y, 1]
                            if flags[y] & 2:
                                continue
                        if nd + topb < mu:
                            nf = _push(kf, vf, nf, nd, y)
            else:
                x = vb[0]
                nb = _pop(kb, vb, nb)
                flags[x] |= 2
                hx = hops[x, 1]
                for a in range(rindptr[x], rindptr[x + 1]):
                    if a == r1 or a == r2:  # noqa: SIM109
                        continue
                    cd = rcode[a]
                    y = cd & 0xFFFFFFFF
                    nd = topb + rweight[a]
                    if nd < dist[y, 1]:
                        dfy = dist[y, 0]
                        if dist[y, 1] == INF and dfy == INF:
                            touched[nt] = y
                            nt += 1
                        dist[y, 1] = nd
                        hy = hx + (cd >> 32)
                        hops[y, 1] = hy
                        if dfy < INF:
                            if nd + dfy < mu:
                                mu = nd + dfy
                                muh = hops[y, 0] + hy
                            if flags[y] & 1:
                                continue
                        if nd + topf < mu:
                            nb = _push(kb, vb, nb, nd, y)
        for i in range(nt):
            v = touched[i]
            dist[v, 0] = INF
            dist[v, 1] = INF
            flags[v] = 0
        out_d[q] = mu
        out_h[q] = muh


@njit(cache=True, parallel=True)
def _batch(
    qs: np.ndarray, qt: np.ndarray, qg: np.ndarray, excl: np.ndarray,
    indptr: np.ndarray, code: np.ndarray, weight: np.ndarray,
    rindptr: np.ndarray, rcode: np.ndarray, rweight: np.ndarray,
    dist: np.ndarray, hops: np.ndarray, flags: np.ndarray, touched: np.ndarray,
    kf: np.ndarray, vf: np.ndarray, kb: np.ndarray, vb: np.ndarray,
    out_d: np.ndarray, out_h: np.ndarray,
) -> None:  # pragma: no cover - compiled
    """Run every query; workspace ``r`` takes blocks ``r, r + T, r + 2T, ...`` of 64 queries.

    (Blocks rather than single queries, so threads do not write to the same cache lines.)
    """
    n_ws = dist.shape[0]
    nq = len(qs)
    n_blocks = (nq + 63) // 64
    for r in prange(n_ws):
        for blk in range(r, n_blocks, n_ws):
            _solve(blk * 64, min(nq, blk * 64 + 64), qs, qt, qg, excl,
                   indptr, code, weight, rindptr, rcode, rweight,
                   dist[r], hops[r], flags[r], touched[r], kf[r], vf[r], kb[r], vb[r],
                   out_d, out_h)


@njit(cache=True)
def _batch_serial(
    qs: np.ndarray, qt: np.ndarray, qg: np.ndarray, excl: np.ndarray,
    indptr: np.ndarray, code: np.ndarray, weight: np.ndarray,
    rindptr: np.ndarray, rcode: np.ndarray, rweight: np.ndarray,
    dist: np.ndarray, hops: np.ndarray, flags: np.ndarray, touched: np.ndarray,
    kf: np.ndarray, vf: np.ndarray, kb: np.ndarray, vb: np.ndarray,
    out_d: np.ndarray, out_h: np.ndarray,
) -> None:  # pragma: no cover - compiled
    """:func:`_batch` on one thread, without waking numba's thread pool."""
    _solve(0, len(qs), qs, qt, qg, excl, indptr, code, weight, rindptr, rcode, rweight,
           dist[0], hops[0], flags[0], touched[0], kf[0], vf[0], kb[0], vb[0], out_d, out_h)


class Workspace:
    """Per-thread scratch arrays for :func:`bidirectional_batch` (reused across batches).

    Memory: ``threads × (n × 41 + m × 32)`` bytes for ``n`` vertices and ``m`` arcs.
    """

    def __init__(self, n: int, m: int, *, threads: int) -> None:
        t = max(1, threads)
        self.dist = np.full((t, n, 2), np.inf)
        self.hops = np.zeros((t, n, 2), dtype=np.int64)
        self.flags = np.zeros((t, n), dtype=np.uint8)
        self.touched = np.zeros((t, max(n, 1)), dtype=np.int64)
        self.kf = np.zeros((t, m + 2))
        self.vf = np.zeros((t, m + 2), dtype=np.int64)
        self.kb = np.zeros((t, m + 2))
        self.vb = np.zeros((t, m + 2), dtype=np.int64)


@njit(cache=True)
def counting_order(n: int, keys: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Stable counting sort of integer ``keys`` in ``[0, n)``: ``(indptr, order)``. O(n + m)."""
    indptr = np.zeros(n + 1, dtype=np.int64)
    for k in keys:
        indptr[k + 1] += 1
    for i in range(n):
        indptr[i + 1] += indptr[i]
    fill = indptr[:-1].copy()
    order = np.empty(len(keys), dtype=np.int64)
    for i in range(len(keys)):
        k = keys[i]
        order[fill[k]] = i
        fill[k] += 1
    return indptr, order


@njit(cache=True)
def _csr(n: int, tail: np.ndarray, head: np.ndarray, weight: np.ndarray, hops: np.ndarray
         ) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:  # pragma: no cover
    """CSR of arcs by ``tail`` (stable): ``indptr``, packed ``code`` (hops << 32 | head),
    ``weight`` in CSR order and ``pos`` (the CSR position of every input arc). O(n + m)."""
    indptr, order = counting_order(n, tail)
    m = len(order)
    code = np.empty(m, dtype=np.int64)
    w = np.empty(m)
    pos = np.empty(m, dtype=np.int64)
    for i in range(m):
        a = order[i]
        code[i] = (hops[a] << 32) | head[a]
        w[i] = weight[a]
        pos[a] = i
    return indptr, code, w, pos


@njit(cache=True)
def _exclusions(n_groups: int, arc_group: np.ndarray, fpos: np.ndarray, rpos: np.ndarray
                ) -> tuple[np.ndarray, bool]:  # pragma: no cover - compiled
    """Per group: forward CSR positions of its (at most two) arcs, then reverse positions.

    Returns the ``(n_groups, 4)`` table (``-1`` = none) and whether every group fits.
    """
    excl = np.full((n_groups, 4), -1, dtype=np.int64)
    for a in range(len(arc_group)):
        g = arc_group[a]
        if g < 0:
            continue
        if excl[g, 0] == -1:
            excl[g, 0] = fpos[a]
            excl[g, 2] = rpos[a]
        elif excl[g, 1] == -1:
            excl[g, 1] = fpos[a]
            excl[g, 3] = rpos[a]
        else:
            return excl, False
    return excl, True


def bidirectional_batch(
    qs: np.ndarray, qt: np.ndarray, qg: np.ndarray, *,
    n: int, tail: np.ndarray, head: np.ndarray, weight: np.ndarray,
    arc_group: np.ndarray, arc_hops: np.ndarray,
    workspace: Workspace | None = None,
    batch: int | None = None,
    on_batch: object = None,
) -> tuple[np.ndarray, np.ndarray]:
    """Answer point-to-point queries ``qs[i] → qt[i]`` avoiding arcs of group ``qg[i]``.

    Parameters
    ----------
    qs, qt, qg
        Sources, targets and the excluded arc group of each query.
    n, tail, head, weight
        The graph: ``n`` vertices and its arcs (any order). Weights must be >= 0.
    arc_group, arc_hops
        Group label (``>= 0``; at most two arcs per group, as for the two directions of one
        chain) and hop count (``0 <= hops < 2**31``) of each arc.
    workspace
        Scratch arrays (built for ``numba.get_num_threads()`` threads when omitted).
    batch, on_batch
        When ``batch`` is given, queries run in slices of that size and ``on_batch(k)`` is
        called after each slice with the number of queries done so far.

    Returns
    -------
    dist, hops
        Lightest path weight (``inf`` if none) and its hop count (``-1`` if none).

    Notes
    -----
    Exact: the bidirectional Dijkstra stopping rule ``top_f + top_b >= mu`` returns the
    lightest path (Pohl 1971; Goldberg & Harchol-Balter, 2005). Per query
    O((n_q + m_q) log m_q) for the part of the graph the two searches touch. A group's arcs
    are skipped by their CSR positions (looked up once per query), not by comparing labels.
    """
    tail = np.ascontiguousarray(tail, dtype=np.int64)
    head = np.ascontiguousarray(head, dtype=np.int64)
    weight = np.ascontiguousarray(weight, dtype=np.float64)
    arc_group = np.ascontiguousarray(arc_group, dtype=np.int64)
    arc_hops = np.ascontiguousarray(arc_hops, dtype=np.int64)
    qs = np.ascontiguousarray(qs, dtype=np.int64)
    qt = np.ascontiguousarray(qt, dtype=np.int64)
    qg = np.ascontiguousarray(qg, dtype=np.int64)
    if len(arc_hops) and (arc_hops.min() < 0 or arc_hops.max() >= 2**31):
        raise ValueError("arc hop counts must lie in [0, 2**31)")
    if len(qg) and qg.min() < 0:
        raise ValueError("query groups must be >= 0")
    indptr, code, fw, fpos = _csr(n, tail, head, weight, arc_hops)
    rindptr, rcode, rw, rpos = _csr(n, head, tail, weight, arc_hops)
    n_groups = int(max(arc_group.max(initial=-1), qg.max(initial=-1))) + 1
    excl, ok = _exclusions(n_groups, arc_group, fpos, rpos)
    if not ok:
        raise ValueError("an arc group has more than two arcs")
    ws = workspace or Workspace(n, len(tail), threads=numba.get_num_threads())
    nq = len(qs)
    out_d = np.empty(nq)
    out_h = np.empty(nq, dtype=np.int64)
    step = nq if not batch else max(1, int(batch))
    run = _batch if ws.dist.shape[0] > 1 else _batch_serial
    for lo in range(0, nq, max(step, 1)):
        hi = min(nq, lo + step)
        run(qs[lo:hi], qt[lo:hi], qg[lo:hi], excl, indptr, code, fw, rindptr, rcode, rw,
            ws.dist, ws.hops, ws.flags, ws.touched, ws.kf, ws.vf, ws.kb, ws.vb,
            out_d[lo:hi], out_h[lo:hi])
        if callable(on_batch):
            on_batch(hi)
    return out_d, out_h
