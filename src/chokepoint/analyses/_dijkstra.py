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
"""

from __future__ import annotations

import numba
import numpy as np
from numba import njit, prange

__all__ = ["Workspace", "bidirectional_batch", "counting_order", "reverse_csr"]

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


@njit(cache=True, inline="always")
def _bidirectional(
    s: int, t: int, grp: int,
    indptr: np.ndarray, head: np.ndarray, weight: np.ndarray, arc_group: np.ndarray,
    arc_hops: np.ndarray,
    rindptr: np.ndarray, rtail: np.ndarray, rweight: np.ndarray, rarc_group: np.ndarray,
    rarc_hops: np.ndarray,
    df: np.ndarray, db: np.ndarray, hf: np.ndarray, hb: np.ndarray,
    sf: np.ndarray, sb: np.ndarray, touched: np.ndarray,
    kf: np.ndarray, vf: np.ndarray, kb: np.ndarray, vb: np.ndarray,
) -> tuple[float, int]:
    """Lightest ``s → t`` path avoiding arcs of group ``grp``: ``(length, hops)``.

    ``(inf, -1)`` if there is none. Workspace arrays must be in their reset state (``df``,
    ``db`` = inf; ``sf``, ``sb`` = False) and are left in it.
    """
    if s == t:
        return 0.0, 0
    nt = 0
    df[s] = 0.0
    hf[s] = 0
    touched[nt] = s
    nt += 1
    db[t] = 0.0
    hb[t] = 0
    touched[nt] = t
    nt += 1
    nf = _push(kf, vf, 0, 0.0, s)
    nb = _push(kb, vb, 0, 0.0, t)
    mu = INF
    muh = -1
    while True:
        # drop stale heap tops (settled, or superseded by a smaller label)
        while nf > 0 and (sf[vf[0]] or kf[0] > df[vf[0]]):
            nf = _pop(kf, vf, nf)
        while nb > 0 and (sb[vb[0]] or kb[0] > db[vb[0]]):
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
            sf[x] = True
            for a in range(indptr[x], indptr[x + 1]):
                if arc_group[a] == grp:
                    continue
                y = head[a]
                nd = topf + weight[a]
                if nd < df[y]:
                    if df[y] == INF and db[y] == INF:
                        touched[nt] = y
                        nt += 1
                    df[y] = nd
                    hf[y] = hf[x] + arc_hops[a]
                    if db[y] < INF:
                        if nd + db[y] < mu:
                            mu = nd + db[y]
                            muh = hf[y] + hb[y]
                        if sb[y]:
                            continue
                    if nd + topb < mu:
                        nf = _push(kf, vf, nf, nd, y)
        else:
            x = vb[0]
            nb = _pop(kb, vb, nb)
            sb[x] = True
            for a in range(rindptr[x], rindptr[x + 1]):
                if rarc_group[a] == grp:
                    continue
                y = rtail[a]
                nd = topb + rweight[a]
                if nd < db[y]:
                    if df[y] == INF and db[y] == INF:
                        touched[nt] = y
                        nt += 1
                    db[y] = nd
                    hb[y] = hb[x] + rarc_hops[a]
                    if df[y] < INF:
                        if nd + df[y] < mu:
                            mu = nd + df[y]
                            muh = hf[y] + hb[y]
                        if sf[y]:
                            continue
                    if nd + topf < mu:
                        nb = _push(kb, vb, nb, nd, y)
    for i in range(nt):
        v = touched[i]
        df[v] = INF
        db[v] = INF
        sf[v] = False
        sb[v] = False
    return mu, muh


@njit(cache=True, parallel=True)
def _batch(
    qs: np.ndarray, qt: np.ndarray, qg: np.ndarray,
    indptr: np.ndarray, head: np.ndarray, weight: np.ndarray, arc_group: np.ndarray,
    arc_hops: np.ndarray,
    rindptr: np.ndarray, rtail: np.ndarray, rweight: np.ndarray, rarc_group: np.ndarray,
    rarc_hops: np.ndarray,
    df: np.ndarray, db: np.ndarray, hf: np.ndarray, hb: np.ndarray,
    sf: np.ndarray, sb: np.ndarray, touched: np.ndarray,
    kf: np.ndarray, vf: np.ndarray, kb: np.ndarray, vb: np.ndarray,
    out_d: np.ndarray, out_h: np.ndarray,
) -> None:
    """Run every query; workspace ``r`` takes blocks ``r, r + T, r + 2T, ...`` of 64 queries.

    (Blocks rather than single queries, so threads do not write to the same cache lines.)
    """
    n_ws = df.shape[0]
    nq = len(qs)
    n_blocks = (nq + 63) // 64
    for r in prange(n_ws):
        dfr, dbr, hfr, hbr = df[r], db[r], hf[r], hb[r]
        sfr, sbr, tr = sf[r], sb[r], touched[r]
        kfr, vfr, kbr, vbr = kf[r], vf[r], kb[r], vb[r]
        for blk in range(r, n_blocks, n_ws):
            for q in range(blk * 64, min(nq, blk * 64 + 64)):
                d, h = _bidirectional(
                    qs[q], qt[q], qg[q], indptr, head, weight, arc_group, arc_hops,
                    rindptr, rtail, rweight, rarc_group, rarc_hops,
                    dfr, dbr, hfr, hbr, sfr, sbr, tr, kfr, vfr, kbr, vbr)
                out_d[q] = d
                out_h[q] = h


@njit(cache=True)
def _batch_serial(
    qs: np.ndarray, qt: np.ndarray, qg: np.ndarray,
    indptr: np.ndarray, head: np.ndarray, weight: np.ndarray, arc_group: np.ndarray,
    arc_hops: np.ndarray,
    rindptr: np.ndarray, rtail: np.ndarray, rweight: np.ndarray, rarc_group: np.ndarray,
    rarc_hops: np.ndarray,
    df: np.ndarray, db: np.ndarray, hf: np.ndarray, hb: np.ndarray,
    sf: np.ndarray, sb: np.ndarray, touched: np.ndarray,
    kf: np.ndarray, vf: np.ndarray, kb: np.ndarray, vb: np.ndarray,
    out_d: np.ndarray, out_h: np.ndarray,
) -> None:
    """:func:`_batch` on one thread, without waking numba's thread pool."""
    dfr, dbr, hfr, hbr = df[0], db[0], hf[0], hb[0]
    sfr, sbr, tr = sf[0], sb[0], touched[0]
    kfr, vfr, kbr, vbr = kf[0], vf[0], kb[0], vb[0]
    for q in range(len(qs)):
        d, h = _bidirectional(
            qs[q], qt[q], qg[q], indptr, head, weight, arc_group, arc_hops,
            rindptr, rtail, rweight, rarc_group, rarc_hops,
            dfr, dbr, hfr, hbr, sfr, sbr, tr, kfr, vfr, kbr, vbr)
        out_d[q] = d
        out_h[q] = h


class Workspace:
    """Per-thread scratch arrays for :func:`bidirectional_batch` (reused across batches).

    Memory: ``threads × (n × 43 + m × 32)`` bytes for ``n`` vertices and ``m`` arcs.
    """

    def __init__(self, n: int, m: int, *, threads: int) -> None:
        t = max(1, threads)
        self.df = np.full((t, n), np.inf)
        self.db = np.full((t, n), np.inf)
        self.hf = np.zeros((t, n), dtype=np.int64)
        self.hb = np.zeros((t, n), dtype=np.int64)
        self.sf = np.zeros((t, n), dtype=np.bool_)
        self.sb = np.zeros((t, n), dtype=np.bool_)
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


def reverse_csr(n: int, tail: np.ndarray, head: np.ndarray, *cols: np.ndarray
                ) -> tuple[np.ndarray, np.ndarray, list[np.ndarray]]:
    """CSR by ``tail`` (or, called with tail/head swapped, by head): ``indptr, head, cols``.

    Stable counting sort, O(n + m).
    """
    indptr, order = counting_order(n, np.ascontiguousarray(tail, dtype=np.int64))
    return indptr, _gather_i(head, order), [
        _gather_f(c, order) if c.dtype.kind == "f" else _gather_i(c, order) for c in cols]


@njit(cache=True)
def _gather_i(a: np.ndarray, order: np.ndarray) -> np.ndarray:  # pragma: no cover - compiled
    out = np.empty(len(order), dtype=np.int64)
    for i in range(len(order)):
        out[i] = a[order[i]]
    return out


@njit(cache=True)
def _gather_f(a: np.ndarray, order: np.ndarray) -> np.ndarray:  # pragma: no cover - compiled
    out = np.empty(len(order))
    for i in range(len(order)):
        out[i] = a[order[i]]
    return out


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
        Group label and hop count of each arc.
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
    O((n_q + m_q) log m_q) for the part of the graph the two searches touch.
    """
    indptr, fhead, (fw, fg, fh) = reverse_csr(n, tail, head, weight, arc_group, arc_hops)
    rindptr, rtail, (rw, rg, rh) = reverse_csr(n, head, tail, weight, arc_group, arc_hops)
    ws = workspace or Workspace(n, len(tail), threads=numba.get_num_threads())
    nq = len(qs)
    out_d = np.empty(nq)
    out_h = np.empty(nq, dtype=np.int64)
    qs = np.ascontiguousarray(qs, dtype=np.int64)
    qt = np.ascontiguousarray(qt, dtype=np.int64)
    qg = np.ascontiguousarray(qg, dtype=np.int64)
    step = nq if not batch else max(1, int(batch))
    for lo in range(0, nq, max(step, 1)):
        hi = min(nq, lo + step)
        run = _batch if ws.df.shape[0] > 1 else _batch_serial
        run(qs[lo:hi], qt[lo:hi], qg[lo:hi], indptr, fhead, fw, fg, fh,
               rindptr, rtail, rw, rg, rh,
               ws.df, ws.db, ws.hf, ws.hb, ws.sf, ws.sb, ws.touched,
               ws.kf, ws.vf, ws.kb, ws.vb, out_d[lo:hi], out_h[lo:hi])
        if callable(on_batch):
            on_batch(hi)
    return out_d, out_h
