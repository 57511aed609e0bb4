"""The compiled (array) form of a network, built once and shared by every analysis.

Vertices are the network's nodes, plus one *out-vertex* for each node with a finite handling
capacity or a dwell time (node splitting: arcs into the node enter its in-vertex, arcs out of
it leave its out-vertex, and one arc in -> out carries the handling capacity and the dwell).

Arcs are numbered: first one arc per link in its stored direction, then one reverse arc per
two-way link, then one arc per split node. Every arc records the link or node it comes from,
so results map back to ids without search.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import cached_property
from typing import TYPE_CHECKING

import numpy as np

from chokepoint._lazy import LazyModule
from chokepoint.errors import InputError
from chokepoint.kinds import check_kind
from chokepoint.network import NumberedIds, ids_at

if TYPE_CHECKING:
    import pandas as pd
    import scipy.sparse as sp
else:
    pd = LazyModule("pandas")
    sp = LazyModule("scipy.sparse")

if TYPE_CHECKING:
    from chokepoint.network import Network

__all__ = ["CompiledNetwork"]

IntArray = np.ndarray
FloatArray = np.ndarray


def _constant(n: int, value: float) -> np.ndarray:
    """``n`` copies of ``value`` as a read-only array that takes no memory (stride 0): float64,
    or int64 for an integer ``value``."""
    dtype = np.int64 if isinstance(value, int) else np.float64
    return np.broadcast_to(np.asarray(value, dtype=dtype), (n,))


def _own(values: np.ndarray, *, shared: bool) -> np.ndarray:
    """A per-link array as a per-arc one: a constant stays a constant; an array of a network
    read as arrays (no table could alias it) is shared when contiguous; anything else is
    copied, so that editing a table never changes a compiled network."""
    if values.ndim == 1 and len(values) > 1 and values.strides == (0,):
        return values
    if shared and values.flags.c_contiguous:
        return values
    return np.array(values, copy=True, order="C")


@dataclass(eq=False)
class CompiledNetwork:
    """Arrays of a network: vertices, arcs, and the maps back to link, node and group ids.

    Attributes
    ----------
    n_nodes, n_vertices
        Real nodes, and vertices after node splitting.
    out_vertex
        For each node, the vertex its outgoing arcs leave from (itself unless split).
    tail, head, capacity, time_h, length_km, cost
        Per arc. ``capacity`` is in the network's base unit (``inf`` = unlimited).
    arc_link, arc_node
        The link (or -1) and the split node (or -1) each arc comes from.
    partner
        For a single-track two-way link, the index of the opposite arc (shared capacity);
        -1 otherwise.
    link_group, node_group, group_ids
        Failure group index of each link and node (-1 = none) and the group ids.
    """

    node_ids: np.ndarray
    link_id_table: np.ndarray | NumberedIds
    n_nodes: int
    n_vertices: int
    out_vertex: IntArray
    tail: IntArray
    head: IntArray
    capacity: FloatArray
    time_h: FloatArray
    length_km: FloatArray
    cost: FloatArray
    arc_link: IntArray
    arc_node: IntArray
    partner: IntArray
    link_group: IntArray
    node_group: IntArray
    group_id_table: np.ndarray | NumberedIds
    _cache: dict[str, object] = field(default_factory=dict, repr=False)

    @classmethod
    def build(cls, net: Network) -> CompiledNetwork:
        """Compile a network from its integer form (vectorised over arrays; O(n + m))."""
        arr = net.link_arrays()
        node_ids, link_ids = arr.node_ids, arr.link_ids
        fi, ti = arr.tail, arr.head
        n = len(node_ids)
        hc, dwell = arr.handling, arr.dwell
        split = np.flatnonzero(np.isfinite(hc) | (dwell > 0))
        out_vertex = np.arange(n, dtype=np.int64)
        out_vertex[split] = n + np.arange(len(split))
        n_vertices = n + len(split)

        rev = np.flatnonzero(arr.both)
        m_links = len(link_ids)
        plain = not len(rev) and not len(split)  # one arc per link, no vertex of its own

        def per_arc(link_values: np.ndarray, node_values: np.ndarray | float) -> np.ndarray:
            if plain:
                return _own(link_values, shared=net.array_born)
            nv = node_values if isinstance(node_values, np.ndarray) else np.full(
                len(split), node_values)
            return np.concatenate([link_values, link_values[rev], nv])

        if plain:
            tail, head = per_arc(fi, 0.0), per_arc(ti, 0.0)
            arc_node = _constant(m_links, -1)
        else:
            tail = np.concatenate([out_vertex[fi], out_vertex[ti[rev]], split])
            head = np.concatenate([ti, fi[rev], out_vertex[split]])
            arc_node = np.concatenate([np.full(m_links + len(rev), -1, dtype=np.int64), split])
        arc_link = per_arc(np.arange(m_links, dtype=np.int64), np.full(len(split), -1))
        capacity = per_arc(arr.capacity, hc[split])
        time_h = per_arc(arr.time_h, dwell[split])
        length_km = per_arc(arr.length_km, 0.0)
        cost_a = per_arc(arr.cost, 0.0)
        rev_single = np.flatnonzero(arr.single[rev])
        if len(rev_single):
            partner = np.full(len(tail), -1, dtype=np.int64)
            fwd_arc = rev[rev_single]
            rev_arc = m_links + rev_single
            partner[fwd_arc] = rev_arc
            partner[rev_arc] = fwd_arc
        else:
            partner = _constant(len(tail), -1)

        if arr.link_group is None:  # every link its own failure group, no node groups
            link_group = np.arange(m_links, dtype=np.int64)
            node_group = np.full(n, -1, dtype=np.int64)
            group_ids = link_ids
        else:
            assert arr.group_ids is not None
            assert arr.node_group is not None
            link_group, node_group, group_ids = arr.link_group, arr.node_group, arr.group_ids
            node_only = np.setdiff1d(node_group[node_group >= 0], link_group)
            if len(node_only):
                names = pd.Index(group_ids[node_only])
                clash = names[names.isin(node_ids) | names.isin(link_ids)]
                if len(clash):
                    raise InputError("a failure group id equals a node or link id",
                                     source=net.source, element=f"group {sorted(clash)[0]!r}")
        return cls(
            node_ids=node_ids, link_id_table=link_ids, n_nodes=n, n_vertices=n_vertices,
            out_vertex=out_vertex, tail=tail.astype(np.int64, copy=False),
            head=head.astype(np.int64, copy=False),
            capacity=capacity, time_h=time_h, length_km=length_km, cost=cost_a,
            arc_link=arc_link.astype(np.int64, copy=False), arc_node=arc_node,
            partner=partner, link_group=link_group, node_group=node_group,
            group_id_table=group_ids,
        )

    @property
    def link_ids(self) -> np.ndarray:
        """Link ids (object array; made on first use when the reader kept a numbering rule)."""
        if isinstance(self.link_id_table, NumberedIds):
            self.link_id_table = self.link_id_table.materialise()
        return self.link_id_table

    @property
    def group_ids(self) -> np.ndarray:
        """Failure group ids (object array), index = group code."""
        if isinstance(self.group_id_table, NumberedIds):
            self.group_id_table = (self.link_ids if len(self.group_id_table) == len(
                self.link_id_table) else self.group_id_table.materialise())
        return self.group_id_table

    @property
    def n_links(self) -> int:
        """Number of links."""
        return len(self.link_id_table)

    def link_ids_at(self, idx: IntArray) -> np.ndarray:
        """Ids of the links at ``idx`` (without making every id)."""
        return ids_at(self.link_id_table, idx)

    def group_ids_at(self, idx: IntArray) -> np.ndarray:
        """Ids of the failure groups at ``idx`` (without making every id)."""
        return ids_at(self.group_id_table, idx)

    @cached_property
    def node_position(self) -> pd.Index:
        """Node ids as a hash index (vectorised id -> node index: ``get_indexer``)."""
        return pd.Index(self.node_ids)

    @cached_property
    def link_position(self) -> pd.Index:
        """Link ids as a hash index (vectorised id -> link index: ``get_indexer``)."""
        return pd.Index(self.link_ids)

    @cached_property
    def node_index(self) -> dict[str, int]:
        """Node id -> node index."""
        return dict(zip(map(str, self.node_ids.tolist()), range(len(self.node_ids)), strict=True))

    @cached_property
    def link_index(self) -> Mapping[str, int]:
        """Link id -> link index (a parsing mapping for numbered ids: no n-entry dict)."""
        if isinstance(self.link_id_table, NumberedIds):
            return self.link_id_table.index()
        return dict(zip(map(str, self.link_ids.tolist()), range(len(self.link_ids)), strict=True))

    @cached_property
    def group_index(self) -> Mapping[str, int]:
        """Failure group id -> group index (as :attr:`link_index` for numbered ids)."""
        if isinstance(self.group_id_table, NumberedIds):
            return self.group_id_table.index()
        return dict(zip(map(str, self.group_ids.tolist()), range(len(self.group_ids)), strict=True))

    def link_positions(self, ids: np.ndarray) -> IntArray:
        """Link index of each id, -1 for an unknown id (vectorised; O(k) for numbered ids)."""
        if isinstance(self.link_id_table, NumberedIds) and len(ids) <= 4096:
            rule = self.link_id_table
            return np.fromiter((rule.position(x) for x in ids), dtype=np.int64, count=len(ids))
        return self.link_position.get_indexer(pd.Index(ids))

    # -- derived arrays -----------------------------------------------------------------------
    @property
    def n_arcs(self) -> int:
        """Number of arcs."""
        return len(self.tail)

    @cached_property
    def arc_group(self) -> IntArray:
        """Failure group of each arc (link arcs: the link's; node arcs: the node's; or -1)."""
        g = np.full(self.n_arcs, -1, dtype=np.int64)
        is_link = self.arc_link >= 0
        g[is_link] = self.link_group[self.arc_link[is_link]]
        is_node = self.arc_node >= 0
        g[is_node] = self.node_group[self.arc_node[is_node]]
        return g

    def groups_of(self, arcs: IntArray) -> IntArray:
        """Failure group of each of the given arcs (:attr:`arc_group` at ``arcs``, without
        building it for every arc); O(len(arcs))."""
        if "arc_group" in self.__dict__:
            return self.arc_group[arcs]
        lk, nd = self.arc_link[arcs], self.arc_node[arcs]
        g = np.full(len(arcs), -1, dtype=np.int64)
        g[lk >= 0] = self.link_group[lk[lk >= 0]]
        g[nd >= 0] = self.node_group[nd[nd >= 0]]
        return g

    @cached_property
    def vertex_node(self) -> IntArray:
        """The node each vertex belongs to (out-vertices map to their node)."""
        vn = np.arange(self.n_vertices, dtype=np.int64)
        split = np.flatnonzero(self.out_vertex != np.arange(self.n_nodes))
        vn[self.out_vertex[split]] = split
        return vn

    def vertices(self, node_ids: list[str] | tuple[str, ...], *, side: str = "in") -> IntArray:
        """Vertex indices of nodes: ``side="in"`` (where flow enters) or ``"out"``."""
        try:
            idx = np.array([self.node_index[str(v)] for v in node_ids], dtype=np.int64)
        except KeyError as exc:
            raise InputError(f"unknown node id {exc.args[0]!r}") from None
        return self.out_vertex[idx] if side == "out" else idx

    def weights(self, weight: str) -> FloatArray:
        """Per-arc weight: ``time_h``, ``length_km``, ``cost`` or ``hops``.

        Raises :class:`InputError` naming the first link without that attribute.
        """
        if weight == "hops":
            w = np.where(self.arc_link >= 0, 1.0, 0.0)
            return w
        arr = {"time_h": self.time_h, "time": self.time_h, "length_km": self.length_km,
               "length": self.length_km, "cost": self.cost}.get(weight)
        if arr is None:
            raise InputError(f"unknown weight {weight!r} (time_h, length_km, cost, hops)")
        bad = np.isnan(arr)
        if bad.any():
            a = int(np.flatnonzero(bad)[0])
            raise InputError(f"has no {weight}; routes by {weight} need it on every link",
                             element=f"link {self.link_ids[self.arc_link[a]]!r}")
        return arr

    def arcs_of(self, kind: str, ids: list[str] | tuple[str, ...]) -> IntArray:
        """Arcs taken down when the given links, nodes or failure groups fail.

        A failed node loses every arc into or out of it (both vertices, if split).
        """
        mask = np.zeros(self.n_arcs, dtype=bool)
        for e in ids:
            if kind == "link":
                if e not in self.link_index:
                    raise InputError(f"unknown link id {e!r}")
                mask |= self.arc_link == self.link_index[e]
            elif kind == "node":
                if e not in self.node_index:
                    raise InputError(f"unknown node id {e!r}")
                v = self.node_index[e]
                vs = {v, int(self.out_vertex[v])}
                mask |= np.isin(self.tail, list(vs)) | np.isin(self.head, list(vs))
            elif kind == "group":
                if e not in self.group_index:
                    raise InputError(f"unknown failure group {e!r}")
                gi = self.group_index[e]
                mask |= self.arc_group == gi
                for nv in np.flatnonzero(self.node_group == gi):
                    mask |= self.arcs_mask_of_node(int(nv))
            else:
                check_kind(kind)
        return np.flatnonzero(mask)

    def arcs_mask_of_node(self, v: int) -> np.ndarray:
        """Boolean mask of arcs touching node ``v`` (either of its vertices)."""
        vs = [v, int(self.out_vertex[v])]
        return np.isin(self.tail, vs) | np.isin(self.head, vs)

    def resolve(self, element: str) -> tuple[str, str]:
        """Classify an id as ``("link"|"node"|"group", id)``; links win over groups."""
        if element in self.link_index:
            return "link", element
        if element in self.node_index:
            return "node", element
        if element in self.group_index:
            return "group", element
        raise InputError(f"unknown element {element!r} (not a link, node or failure group id)")

    def reachable(self, start: int, *, arc_mask: np.ndarray | None = None) -> np.ndarray:
        """Which vertices can be reached from vertex ``start`` over the arcs where
        ``arc_mask`` is true (all arcs when None), ignoring capacity: a boolean array.

        Breadth-first search vectorised per level over the arcs grouped by tail (no scipy,
        no Python loop over vertices or arcs): O(n + m) work plus O(levels) numpy calls.
        """
        by_tail = self._cache.get("by_tail")
        if by_tail is None:
            by_tail = np.argsort(self.tail, kind="stable")
            self._cache["by_tail"] = by_tail
        assert isinstance(by_tail, np.ndarray)
        arcs = by_tail if arc_mask is None else by_tail[arc_mask[by_tail]]
        heads = self.head[arcs]
        indptr = np.zeros(self.n_vertices + 1, dtype=np.int64)
        np.cumsum(np.bincount(self.tail[arcs], minlength=self.n_vertices), out=indptr[1:])
        seen = np.zeros(self.n_vertices, dtype=bool)
        seen[start] = True
        frontier = np.array([start], dtype=np.int64)
        while len(frontier):
            lo, hi = indptr[frontier], indptr[frontier + 1]
            count = hi - lo
            # positions lo[i] .. hi[i]-1 of every frontier vertex, concatenated
            pos = np.repeat(lo - np.cumsum(count) + count, count) + np.arange(count.sum())
            nxt = np.unique(heads[pos])
            frontier = nxt[~seen[nxt]]
            seen[frontier] = True
        return seen

    def _sorted_arcs(self, weight: str | FloatArray) -> tuple[IntArray, FloatArray]:
        """Arcs sorted by (tail, head, weight), cached per weight name, and the weights."""
        w = self.weights(weight) if isinstance(weight, str) else np.asarray(weight, dtype=float)
        key = f"sorted:{weight}" if isinstance(weight, str) else None
        if key is not None and key in self._cache:
            return self._cache[key], w  # type: ignore[return-value]
        order = np.lexsort((w, self.head, self.tail))
        if key is not None:
            self._cache[key] = order
        return order, w

    def csr_arcs(self, weight: str | FloatArray, *, removed: IntArray | None = None
                 ) -> tuple[sp.csr_matrix, IntArray]:
        """Vertex adjacency as CSR with the lightest of parallel arcs, and the arc behind
        each stored entry.

        ``weight`` is a weight name (``time_h``, ``length_km``, ``cost``, ``hops``: the sort is
        cached, so a call with ``removed`` costs O(m) without sorting, and the intact graph is
        cached whole) or a per-arc array. Treat the returned arrays as read-only. Explicit zeros
        are kept: scipy.sparse.csgraph treats them as zero-weight edges.
        """
        full = removed is None or len(removed) == 0
        key = f"csr:{weight}" if isinstance(weight, str) and full else None
        if key is not None and key in self._cache:
            return self._cache[key]  # type: ignore[return-value]
        order, w = self._sorted_arcs(weight)
        if not full:
            keep = np.ones(self.n_arcs, dtype=bool)
            keep[removed] = False
            order = order[keep[order]]
        t, h = self.tail[order], self.head[order]
        first = np.ones(len(order), dtype=bool)
        first[1:] = (t[1:] != t[:-1]) | (h[1:] != h[:-1])
        arcs = order[first]
        indptr = np.zeros(self.n_vertices + 1, dtype=np.int64)
        np.cumsum(np.bincount(self.tail[arcs], minlength=self.n_vertices), out=indptr[1:])
        graph = sp.csr_matrix((w[arcs], self.head[arcs], indptr),
                              shape=(self.n_vertices, self.n_vertices))
        if key is not None:
            self._cache[key] = (graph, arcs)
        return graph, arcs

    def csr(self, weight: str | FloatArray, *, removed: IntArray | None = None
            ) -> sp.csr_matrix:
        """Vertex adjacency as CSR with the lightest of parallel arcs (see :meth:`csr_arcs`)."""
        return self.csr_arcs(weight, removed=removed)[0]

    def arcs_between(self, tails: IntArray, heads: IntArray, weight: str | FloatArray, *,
                     removed: IntArray | None = None) -> IntArray:
        """For each (tail, head) pair, the lightest kept arc joining them (vectorised).

        Used to turn a vertex path into arcs. Every pair must be joined by some kept arc.
        """
        _, arcs = self.csr_arcs(weight, removed=removed)
        key = self.tail[arcs] * self.n_vertices + self.head[arcs]
        q = np.asarray(tails, dtype=np.int64) * self.n_vertices + np.asarray(heads,
                                                                            dtype=np.int64)
        return arcs[np.searchsorted(key, q)]
