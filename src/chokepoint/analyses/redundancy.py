"""Single-link redundancy: the shortest detour around every link of the network.

For each link ``e = (u, v)`` the *alternative* is the lightest ``u → v`` route in the network
without ``e`` (RA2CE's "single link redundancy", Deltares). The naive method runs one
Dijkstra search per link (O(m (n + m) log n)); this module returns identical results with
far less work, by exploiting three facts about the graph's structure:

1. **Bridges have no detour.** A link whose removal disconnects the underlying undirected
   graph (a bridge) has no alternative in any direction. All bridges are found in O(n + m)
   with Tarjan's low-link depth-first search (Tarjan, *Inf. Process. Lett.* 2, 1974), run
   iteratively and compiled with numba. A detour never crosses a bridge either, so bridges
   are dropped before everything else.
2. **Chains share one search.** In the graph without bridges, maximal paths through
   degree-2 vertices (*chains*, ubiquitous in OSM rail and road graphs whose nodes are mostly
   shape points) are contracted. If a chain ``A = x_0, x_1, ..., x_k = B`` loses its link
   ``x_i x_{i+1}``, every detour walks back along the chain to one end, crosses the rest of
   the network, and walks in from the other end:
   ``alt = d_chain(x_i → A) + D(A → B) + d_chain(B → x_{i+1})``, where ``D`` is the
   lightest ``A → B`` route avoiding the whole chain. ``D`` is one search per chain (two in
   a directed network), not one per link. A chain that closes on itself (a loop through one
   junction, or a ring with no junction) has ``D = 0``.
3. **Searches run on the contracted graph.** The remaining searches (one per chain and
   direction) run on the *skeleton*, the graph of junctions whose arcs are whole chains, with
   a bidirectional, early-exit Dijkstra compiled with numba over CSR arrays, skipping the
   arcs of the chain being replaced (see :mod:`chokepoint.analyses._dijkstra`). The per-chain
   problem is the replacement-paths problem of Malik, Mittal & Gupta (*Oper. Res. Lett.* 8,
   1989) and Hershberger & Suri (FOCS 2001), restricted to one link per query.

See ``docs/algorithms/redundancy.md`` for the exactness argument and measured speedups.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import numba
import numpy as np
import pandas as pd
from numba import njit
from pandas.arrays import IntegerArray

from chokepoint.analyses._dijkstra import Workspace, bidirectional_batch
from chokepoint.compiled import CompiledNetwork
from chokepoint.errors import InputError

__all__ = ["bridges", "link_redundancy"]

INF = np.inf
#: Below this many searches everything runs on one thread.
PARALLEL_MIN_SEARCHES = 4096


# -- structure: bridges and chains ------------------------------------------------------------
def _incidence(n: int, lf: np.ndarray, lt: np.ndarray, keep: np.ndarray | None = None
               ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Undirected incidence CSR of the links (each link listed at both ends): indptr, nbr, lid.

    At each vertex the links it starts come first, then the links it ends, each in link order.
    """
    if keep is None:
        keep = np.ones(len(lf), dtype=np.bool_)
    return _incidence_kernel(n, lf, lt, keep)


@njit(cache=True)
def _incidence_kernel(n: int, lf: np.ndarray, lt: np.ndarray, keep: np.ndarray
                      ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:  # pragma: no cover
    """:func:`_incidence`, compiled: a counting sort by end vertex. O(n + m)."""
    m = len(lf)
    indptr = np.zeros(n + 1, dtype=np.int64)
    for i in range(m):
        if keep[i]:
            indptr[lf[i] + 1] += 1
            indptr[lt[i] + 1] += 1
    for x in range(n):
        indptr[x + 1] += indptr[x]
    fill = indptr[:-1].copy()
    nbr = np.empty(indptr[n], dtype=np.int64)
    lid = np.empty(indptr[n], dtype=np.int64)
    for i in range(m):
        if keep[i]:
            p = fill[lf[i]]
            nbr[p] = lt[i]
            lid[p] = i
            fill[lf[i]] = p + 1
    for i in range(m):
        if keep[i]:
            p = fill[lt[i]]
            nbr[p] = lf[i]
            lid[p] = i
            fill[lt[i]] = p + 1
    return indptr, nbr, lid


@njit(cache=True)
def _bridges_kernel(n: int, m: int, indptr: np.ndarray, nbr: np.ndarray,
                    lid: np.ndarray) -> np.ndarray:  # pragma: no cover - compiled
    """Bridge flag per link: iterative Tarjan low-link DFS on the undirected multigraph.

    The DFS skips only the *link* it arrived by (not every link to the parent), so parallel
    links are never bridges. O(n + m).
    """
    disc = np.full(n, -1, dtype=np.int64)
    low = np.zeros(n, dtype=np.int64)
    is_bridge = np.zeros(m, dtype=np.bool_)
    st_v = np.empty(n, dtype=np.int64)
    st_l = np.empty(n, dtype=np.int64)
    st_p = np.empty(n, dtype=np.int64)
    timer = 0
    for r in range(n):
        if disc[r] != -1:
            continue
        disc[r] = timer
        low[r] = timer
        timer += 1
        sp = 0
        st_v[0] = r
        st_l[0] = -1
        st_p[0] = indptr[r]
        sp = 1
        while sp > 0:
            v = st_v[sp - 1]
            p = st_p[sp - 1]
            if p < indptr[v + 1]:
                st_p[sp - 1] = p + 1
                link = lid[p]
                if link == st_l[sp - 1]:
                    continue
                w = nbr[p]
                if disc[w] == -1:
                    disc[w] = timer
                    low[w] = timer
                    timer += 1
                    st_v[sp] = w
                    st_l[sp] = link
                    st_p[sp] = indptr[w]
                    sp += 1
                elif disc[w] < low[v]:
                    low[v] = disc[w]
            else:
                sp -= 1
                if sp > 0:
                    u = st_v[sp - 1]
                    if low[v] < low[u]:
                        low[u] = low[v]
                    if low[v] > disc[u]:
                        is_bridge[st_l[sp]] = True
    return is_bridge


@njit(cache=True)
def _chains_kernel(n: int, m: int, indptr: np.ndarray, nbr: np.ndarray, lid: np.ndarray,
                   keep: np.ndarray, lf: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray,
                                              np.ndarray, np.ndarray]:  # pragma: no cover
    """Decompose the kept links into maximal chains through degree-2 vertices. O(n + m).

    Returns ``ptr`` (chain ``c`` owns links ``links[ptr[c]:ptr[c+1]]`` in walking order and
    nodes ``nodes[ptr[c] + c : ptr[c+1] + c + 1]``), ``links``, ``nodes``, and per link its
    chain (``-1`` if not kept) and position in the chain.
    """
    deg = indptr[1:] - indptr[:-1]
    n_keep = 0
    for i in range(m):
        if keep[i]:
            n_keep += 1
    links = np.empty(n_keep, dtype=np.int64)
    nodes = np.empty(2 * n_keep + 1, dtype=np.int64)
    ptr = np.zeros(n_keep + 1, dtype=np.int64)
    link_chain = np.full(m, -1, dtype=np.int64)
    link_pos = np.full(m, -1, dtype=np.int64)
    nl = 0
    nn = 0
    nc = 0
    # chains that start at a junction (degree != 2)
    for j in range(n):
        if deg[j] == 2 or deg[j] == 0:
            continue
        for p in range(indptr[j], indptr[j + 1]):
            cur_link = lid[p]
            if link_chain[cur_link] != -1:
                continue
            nodes[nn] = j
            nn += 1
            q = p
            pos = 0
            while True:
                link_chain[cur_link] = nc
                link_pos[cur_link] = pos
                pos += 1
                links[nl] = cur_link
                nl += 1
                y = nbr[q]
                nodes[nn] = y
                nn += 1
                if deg[y] != 2:
                    break
                q = indptr[y]
                if lid[q] == cur_link:
                    q += 1
                cur_link = lid[q]
            nc += 1
            ptr[nc] = nl
    # rings: components in which every vertex has degree 2
    for start in range(m):
        if not keep[start] or link_chain[start] != -1:
            continue
        x0 = lf[start]
        q = indptr[x0]
        if lid[q] != start:
            q += 1
        nodes[nn] = x0
        nn += 1
        cur_link = start
        pos = 0
        while True:
            link_chain[cur_link] = nc
            link_pos[cur_link] = pos
            pos += 1
            links[nl] = cur_link
            nl += 1
            y = nbr[q]
            nodes[nn] = y
            nn += 1
            if y == x0:
                break
            q = indptr[y]
            if lid[q] == cur_link:
                q += 1
            cur_link = lid[q]
        nc += 1
        ptr[nc] = nl
    return ptr[: nc + 1], links, nodes[:nn], link_chain, link_pos


@njit(cache=True)
def _chain_sums(ptr: np.ndarray, links: np.ndarray, nodes: np.ndarray, lf: np.ndarray,
                lw: np.ndarray, twoway: np.ndarray, wanted: np.ndarray
                ) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray,
                           np.ndarray]:  # pragma: no cover - compiled
    """Partial walking costs along every chain, and which replacement searches are needed.

    For chain ``x_0 .. x_k`` and node position ``i`` (arrays indexed like ``nodes``):
    ``BL[i]`` = cost ``x_i → x_0``, ``FL[i]`` = ``x_0 → x_i``, ``BR[i]`` = ``x_k → x_i``,
    ``FR[i]`` = ``x_i → x_k`` (``inf`` where a one-way link blocks the walk). Each is a
    running sum from the chain end, so no cancellation occurs. ``need[c, 0]`` (``[c, 1]``)
    says some wanted link of chain ``c`` has a finite detour through ``D(A → B)``
    (``D(B → A)``). O(m).
    """
    nc = len(ptr) - 1
    nn = len(nodes)
    BL = np.empty(nn)
    FL = np.empty(nn)
    BR = np.empty(nn)
    FR = np.empty(nn)
    need = np.zeros((nc, 2), dtype=np.bool_)
    for c in range(nc):
        lo = ptr[c]
        k = ptr[c + 1] - lo
        o = lo + c  # offset of x_0 in nodes
        BL[o] = 0.0
        FL[o] = 0.0
        for i in range(k):
            e = links[lo + i]
            fwd = twoway[e] or lf[e] == nodes[o + i]
            bwd = twoway[e] or lf[e] == nodes[o + i + 1]
            BL[o + i + 1] = BL[o + i] + lw[e] if bwd else INF
            FL[o + i + 1] = FL[o + i] + lw[e] if fwd else INF
        BR[o + k] = 0.0
        FR[o + k] = 0.0
        for i in range(k - 1, -1, -1):
            e = links[lo + i]
            fwd = twoway[e] or lf[e] == nodes[o + i]
            bwd = twoway[e] or lf[e] == nodes[o + i + 1]
            BR[o + i] = BR[o + i + 1] + lw[e] if bwd else INF
            FR[o + i] = FR[o + i + 1] + lw[e] if fwd else INF
        for i in range(k):
            e = links[lo + i]
            if not wanted[e]:
                continue
            if lf[e] == nodes[o + i]:
                if BL[o + i] + BR[o + i + 1] < INF:
                    need[c, 0] = True
            elif FR[o + i + 1] + FL[o + i] < INF:
                need[c, 1] = True
    return BL, FL, BR, FR, need


@njit(cache=True)
def _link_alternatives(ptr: np.ndarray, links: np.ndarray, nodes: np.ndarray, lf: np.ndarray,
                       BL: np.ndarray, FL: np.ndarray, BR: np.ndarray, FR: np.ndarray,
                       d_ab: np.ndarray, h_ab: np.ndarray, d_ba: np.ndarray, h_ba: np.ndarray,
                       alt: np.ndarray, hops: np.ndarray) -> None:  # pragma: no cover
    """Combine chain walks with the per-chain replacement distances, link by link. O(m)."""
    nc = len(ptr) - 1
    for c in range(nc):
        lo = ptr[c]
        k = ptr[c + 1] - lo
        o = lo + c
        for i in range(k):
            e = links[lo + i]
            if lf[e] == nodes[o + i]:
                a = BL[o + i] + d_ab[c] + BR[o + i + 1]
                h = h_ab[c]
            else:
                a = FR[o + i + 1] + d_ba[c] + FL[o + i]
                h = h_ba[c]
            alt[e] = a
            hops[e] = (k - 1 + h) if a < INF else -1


# -- public API -------------------------------------------------------------------------------
def _link_arrays(c: CompiledNetwork, weight: str, *, directed: bool
                 ) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Per link: from node, to node, weight, two-way flag (node-level, no node splitting)."""
    m = len(c.link_ids)
    w = c.weights(weight)[:m]
    if np.any(w < 0):
        a = int(np.flatnonzero(w < 0)[0])
        raise InputError(f"negative {weight}; redundancy needs weights >= 0",
                         element=f"link {c.link_ids[a]!r}")
    vn = c.vertex_node
    lf = vn[c.tail[:m]]
    lt = vn[c.head[:m]]
    if directed:
        twoway = np.zeros(m, dtype=np.bool_)
        rev = c.arc_link[m:]
        twoway[rev[rev >= 0]] = True
    else:
        twoway = np.ones(m, dtype=np.bool_)
    return lf.astype(np.int64), lt.astype(np.int64), np.ascontiguousarray(w, dtype=float), twoway


def _structure(c: CompiledNetwork, lf: np.ndarray, lt: np.ndarray
               ) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Bridge flags and the chain decomposition of the bridgeless graph (see
    :func:`_chains_kernel`), computed once per compiled network and cached on it.

    They depend only on the links' end nodes (not on weights or directions), which a compiled
    network never changes. The cached arrays are read-only.
    """
    key = "redundancy:structure"
    hit = c._cache.get(key)
    if hit is not None:
        return hit  # type: ignore[return-value]
    n, m = c.n_nodes, len(lf)
    indptr, nbr, lid = _incidence(n, lf, lt)
    is_bridge = _bridges_kernel(n, m, indptr, nbr, lid)
    keep = ~is_bridge
    indptr, nbr, lid = _incidence(n, lf, lt, keep)
    ptr, clinks, cnodes, link_chain, _ = _chains_kernel(n, m, indptr, nbr, lid, keep, lf)
    out = (is_bridge, ptr, clinks, cnodes, link_chain)
    for a in out:
        a.flags.writeable = False
    c._cache[key] = out
    return out


def bridges(c: CompiledNetwork) -> np.ndarray:
    """Bridge flag per link (links in network order), ignoring directions.

    A bridge is a link whose removal disconnects its endpoints in the underlying undirected
    multigraph (parallel links are never bridges). Iterative Tarjan low-link DFS (Tarjan,
    *Inf. Process. Lett.* 2, 1974), compiled; O(n + m).
    """
    lf, lt, _, _ = _link_arrays(c, "hops", directed=False)
    indptr, nbr, lid = _incidence(c.n_nodes, lf, lt)
    return _bridges_kernel(c.n_nodes, len(lf), indptr, nbr, lid)


def link_redundancy(
    c: CompiledNetwork,
    *,
    weight: str = "length_km",
    links: Sequence[str] | None = None,
    directed: bool = True,
    progress: Callable[[int, int], object] | None = None,
) -> pd.DataFrame:
    """Single-link redundancy: the lightest alternative route around every link.

    For link ``e`` from ``u`` to ``v`` the alternative is the lightest ``u → v`` route in the
    network without ``e`` (both of its directions, for a two-way link), travelling every other
    link in the direction(s) it allows. This is RA2CE's ``single_link_redundancy``; on a
    network whose links are all two-way (RA2CE's undirected road graphs) it is the undirected
    alternative, and ``u → v`` and ``v → u`` coincide. Routes use links only: node handling
    capacities and dwell times are ignored, and parallel links are alternatives to each other.

    Parameters
    ----------
    c
        The compiled network (``network.compiled``).
    weight
        ``length_km`` (default), ``time_h``, ``cost`` or ``hops``; must be >= 0 on every link.
    links
        Link ids to report (in this order); default every link. Only the searches these
        links need are run.
    directed
        ``True`` (default): one-way links may only be used forward, and a one-way link's
        alternative runs ``from → to``. ``False``: every link is treated as two-way (the
        network as an undirected graph), whatever its ``direction``.
    progress
        Called as ``progress(done, total)`` with the number of links whose alternative is
        known, after the structural phase and after each batch of searches.

    Returns
    -------
    pandas.DataFrame
        One row per link: ``link`` (id), ``from``, ``to`` (node ids), ``weight`` (the link's
        own weight), ``alt_weight`` (the alternative's weight, ``inf`` if none), ``diff``
        (``alt_weight - weight``; negative when the link is not itself a lightest
        ``u → v`` route; ``inf`` if no alternative), ``detour`` (bool: an alternative
        exists), ``bridge`` (bool: the link is a bridge of the undirected graph) and
        ``alt_links`` (number of links on one lightest alternative, ties broken
        arbitrarily; ``<NA>`` if none). RA2CE's ``alt_<w>``, ``diff_<w>`` and ``detour``
        correspond to ``alt_weight``, ``diff`` (RA2CE rounds it to 0.001) and ``detour``
        (RA2CE writes NaN where we write ``inf``). ``df.attrs["redundancy"]`` holds counts:
        links, nodes, bridges, chains (closed ones, longest), junctions, skeleton arcs and
        searches run.

    Raises
    ------
    InputError
        Unknown link id, unknown weight, or a link without (or with a negative) weight.

    Notes
    -----
    Exact: every alternative equals what one Dijkstra search per link on the network
    without that link returns (up to floating-point summation order, ~1e-15 relative).
    Steps: bridges (Tarjan 1974, O(n + m)); chain decomposition of the bridgeless graph
    (O(n + m)); one bidirectional Dijkstra (Dijkstra 1959) per chain and needed direction on
    the contracted junction graph, skipping the chain's own arcs. Worst case
    O(C (n + m) log n) for ``C`` chains (≤ m), but each search usually stops after a small
    neighbourhood. Bridges and chains depend on the topology only and are cached on ``c``
    (``c._cache["redundancy:structure"]``), so repeated calls skip steps 1–2. See
    ``docs/algorithms/redundancy.md``; this replaces RA2CE's per-link ``nx.has_path`` +
    Dijkstra (Malik, Mittal & Gupta 1989 and Hershberger & Suri 2001 study the related
    replacement-paths problem).

    Examples
    --------
    >>> df = link_redundancy(net.compiled, weight="length_km")  # doctest: +SKIP
    >>> df.loc[~df["detour"], "link"]  # links with no alternative  # doctest: +SKIP
    """
    m = len(c.link_ids)
    if links is None:
        rows = np.arange(m, dtype=np.int64)
    else:
        try:
            rows = np.array([c.link_index[str(e)] for e in links], dtype=np.int64)
        except KeyError as exc:
            raise InputError(f"unknown link id {exc.args[0]!r}") from None
    lf, lt, lw, twoway = _link_arrays(c, weight, directed=directed)
    undirected = bool(twoway.all())
    n = c.n_nodes
    total = len(rows)
    wanted = np.zeros(m, dtype=np.bool_)
    wanted[rows] = True

    # 1. bridges (no detour, and no detour ever crosses one) and 2. chains of the
    # bridgeless graph: both depend on the topology only, so they are cached per network
    is_bridge, ptr, clinks, cnodes, link_chain = _structure(c, lf, lt)
    BL, FL, BR, FR, need = _chain_sums(ptr, clinks, cnodes, lf, lw, twoway, wanted)
    nc = len(ptr) - 1
    first = cnodes[ptr[:-1] + np.arange(nc)]
    last = cnodes[ptr[1:] + np.arange(nc)]
    closed = first == last
    klen = np.diff(ptr)
    need[closed] = False
    if undirected:
        need[:, 0] |= need[:, 1]
        need[:, 1] = False

    # 3. skeleton: one arc per open chain and direction it can be walked end to end
    open_c = np.flatnonzero(~closed)
    ab = open_c[np.isfinite(FR[ptr[open_c] + open_c])]
    ba = open_c[np.isfinite(BL[ptr[open_c + 1] + open_c])]
    s_tail = np.concatenate([first[ab], last[ba]])
    s_head = np.concatenate([last[ab], first[ba]])
    s_w = np.concatenate([FR[ptr[ab] + ab], BL[ptr[ba + 1] + ba]])
    s_grp = np.concatenate([ab, ba]).astype(np.int64)
    s_hops = klen[s_grp].astype(np.int64)

    q_ab = np.flatnonzero(need[:, 0])
    q_ba = np.flatnonzero(need[:, 1])
    qs = np.concatenate([first[q_ab], last[q_ba]])
    qt = np.concatenate([last[q_ab], first[q_ba]])
    qg = np.concatenate([q_ab, q_ba]).astype(np.int64)
    q_is_ab = np.concatenate([np.ones(len(q_ab), bool), np.zeros(len(q_ba), bool)])
    if len(q_ba):
        order = np.argsort(qg, kind="stable")  # a chain's queries are adjacent
        qs, qt, qg, q_is_ab = qs[order], qt[order], qg[order], q_is_ab[order]

    # progress bookkeeping: a chain's wanted links are credited at its last query
    chain_wanted = np.bincount(link_chain[rows][link_chain[rows] >= 0], minlength=nc)
    credit = np.zeros(len(qg), dtype=np.int64)
    if len(qg):
        is_last = np.ones(len(qg), dtype=bool)
        is_last[:-1] = qg[1:] != qg[:-1]
        credit[is_last] = chain_wanted[qg[is_last]]
    done0 = total - int(credit.sum())
    cum = np.cumsum(credit)
    if progress is not None:
        progress(done0, total)

    def on_batch(k: int) -> None:
        if progress is not None:
            progress(done0 + int(cum[k - 1]), total)

    d_ab = np.zeros(nc)
    d_ba = np.zeros(nc)
    h_ab = np.zeros(nc, dtype=np.int64)
    h_ba = np.zeros(nc, dtype=np.int64)
    if len(qg):
        # threads only pay off beyond a few thousand searches (~1 µs each)
        threads = numba.get_num_threads() if len(qg) >= PARALLEL_MIN_SEARCHES else 1
        ws = Workspace(n, len(s_tail), threads=threads)
        batch = None if progress is None else max(256, len(qg) // 100)
        dist, hop = bidirectional_batch(
            qs, qt, qg, n=n, tail=s_tail, head=s_head, weight=s_w, arc_group=s_grp,
            arc_hops=s_hops, workspace=ws, batch=batch, on_batch=on_batch)
        is_ab = q_is_ab
        d_ab[qg[is_ab]] = dist[is_ab]
        h_ab[qg[is_ab]] = hop[is_ab]
        d_ba[qg[~is_ab]] = dist[~is_ab]
        h_ba[qg[~is_ab]] = hop[~is_ab]
    if undirected:
        d_ba, h_ba = d_ab, h_ab

    alt = np.full(m, INF)
    hops = np.full(m, -1, dtype=np.int64)
    _link_alternatives(ptr, clinks, cnodes, lf, BL, FL, BR, FR, d_ab, h_ab, d_ba, h_ba,
                       alt, hops)
    if progress is not None and len(qg):
        progress(total, total)

    stats = dict(
        links=m, nodes=n, bridges=int(is_bridge.sum()), chains=nc,
        closed_chains=int(closed.sum()), chain_links_max=int(klen.max()) if nc else 0,
        junctions=int(np.count_nonzero(np.bincount(
            np.concatenate([first[~closed], last[~closed]]), minlength=n))),
        skeleton_arcs=len(s_tail), searches=len(qg), undirected=undirected)

    a = alt[rows]
    h = hops[rows]
    own = lw[rows]
    node_ids = c.node_ids
    # every column below is a fresh array, so the frame may take it without copying
    df = pd.DataFrame({
        "link": pd.Series(c.link_ids[rows], dtype=object, copy=False),
        "from": pd.Series(node_ids[lf[rows]], dtype=object, copy=False),
        "to": pd.Series(node_ids[lt[rows]], dtype=object, copy=False),
        "weight": own,
        "alt_weight": a,
        "diff": a - own,
        "detour": np.isfinite(a),
        "bridge": is_bridge[rows],
        "alt_links": IntegerArray(h, h < 0),
    }, copy=False)
    df.attrs["redundancy"] = stats
    return df
