"""Throughput criticality: how much maximum flow is lost when one element fails.

For every link, node or failure group ``x`` (arc set ``E = c.arcs_of(kind, [x])``) this
computes the maximum flow ``F`` of the intact network and ``F_x``, the maximum flow with every
arc of ``E`` at capacity 0, **exactly** — the same integers as one full re-solve per element
(:func:`naive_throughput_criticality`) — but from a single maximum flow ``f`` and its residual
graph ``R_f``:

1. **No flow.** Deleting ``E`` from ``f`` leaves an excess ``f(e)`` at the tail and a deficit
   at the head of every ``e ∈ E``. If these cancel at every vertex (in particular if ``E``
   carries no flow), ``f`` without ``E`` is still a maximum flow: ``F_x = F``.
2. **Minimum cut.** If ``E`` holds arcs that together lie in a minimum cut, removing ``E``
   costs at least their capacity (Wollmer, *Oper. Res.* 12, 1964; Ratliff, Sicilia & Lubore,
   *Manage. Sci.* 21(5), 1975). Which arcs lie in *some* minimum cut follows from one
   strongly-connected-components pass over ``R_f`` (Picard & Queyranne, *Math. Prog. Study*
   13, 1980; see :func:`~chokepoint.analyses._residual.min_cut_arcs`); the two canonical cuts
   (reach of the source, co-reach of the sink) give a second bound. When this lower bound
   equals the upper bound ``B`` below, ``F_x = F - B``.
3. **Reroute.** Otherwise, with ``B`` the total excess left by deleting ``E`` and ``λ`` the
   maximum flow from the excess vertices (each capped at its excess) to the deficit vertices
   (capped at their deficit) in ``R_f`` with the residual arcs of ``E`` deleted::

       F_x = F - B + min(B, λ)

   ``min(B, λ)`` is found by augmenting paths from excess to deficit on the residual graph of
   ``f`` (Ford & Fulkerson, *Can. J. Math.* 8, 1956), reusing the residual graph as in dynamic
   graph cuts (Kohli & Torr, *IEEE TPAMI* 29(12), 2007), and stopping as soon as ``B`` units
   are routed. Compiled with numba (:mod:`chokepoint.analyses._residual`).
   The formula holds for any maximum flow ``f``: after an element whose excess was rerouted in
   full, the repaired flow (``E`` emptied, reroutes added) is another maximum flow of the
   intact network and the next element starts from it. Elements are shared between threads.
4. **Resolve.** An element whose repair scans more residual arcs than ``budget`` is re-solved
   from scratch with OR-Tools (the solver object is built once and only the element's
   capacities change).

Proof of step 3 (super-source ``S`` and super-sink ``T`` are ordinary vertices of ``R_f``).
*Lower bound*: route ``μ = min(B, λ)`` from excess to deficit in ``R_f - E`` and add it to ``f``
without ``E``: a pseudoflow on ``G - E`` with ``F`` leaving ``S`` and ``B - μ`` excess left.
Decompose it into paths and cycles; dropping the paths that end at an excess or start at a
deficit vertex removes at most ``B - μ`` from ``S``'s outflow, so ``F_x ≥ F - B + μ``.
*Upper bound*: for a maximum flow ``g`` of ``G - E`` (value ``F_x = F - δ``), ``g - f`` is a
flow in ``R_f`` that uses the reverse residual arc of every ``e ∈ E`` at ``f(e)``; without those
it is a flow in ``R_f - E`` from {excess vertices, ``T`` (δ)} to {deficit vertices, ``S`` (δ)}.
A conformal path decomposition sends ``a ≥ B - δ`` units from excess to deficit vertices,
and ``a ≤ λ``; hence ``F_x ≤ F - B + λ``, and ``F_x ≤ F`` always. Tests compare every element
with a full re-solve on random graphs (parallel, antiparallel and two-way arcs, split nodes,
several sources and sinks, groups) and on DIMACS instances.

Complexity: one maximum flow, one O(n + m) SCC pass, then per element a local search whose
cost is bounded by ``budget`` residual-arc scans (default ``32 · 2m``), or one full re-solve.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from contextlib import nullcontext

import numpy as np
import pandas as pd
from ortools.graph.python import max_flow as ort_max_flow

from chokepoint.analyses._arcs import integer_flow_network
from chokepoint.analyses._residual import min_cut_arcs, reroute_elements, residual_csr
from chokepoint.analyses.maxflow import max_flow
from chokepoint.compiled import CompiledNetwork
from chokepoint.errors import InputError, SolverError
from chokepoint.kinds import check_kind
from chokepoint.progress import Progress

__all__ = ["naive_throughput_criticality", "throughput_criticality"]

#: The element kinds (``kind`` is checked at run time; a plain ``str`` is accepted).
COLUMNS = ["element", "kind", "intact", "without", "loss", "loss_rel", "flow", "method"]
#: Number of progress callbacks over a whole run (at most, plus the final one).
_PROGRESS_STEPS = 50
#: Elements to repair below which one thread does it all.
_THREADED_FROM = 256


# -- elements -----------------------------------------------------------------------------------
def _ids(c: CompiledNetwork, kind: str, elements: Sequence[str] | None) -> tuple[list[str],
                                                                                  np.ndarray]:
    """Element ids and their indices in the network's ``kind`` table."""
    if kind == "link":
        table, index = c.link_ids, c.link_index
    elif kind == "node":
        table, index = c.node_ids, c.node_index
    elif kind == "group":
        table, index = c.group_ids, c.group_index
    else:
        check_kind(kind)
        raise AssertionError  # unreachable: check_kind raised
    if elements is None:
        return [str(x) for x in table], np.arange(len(table), dtype=np.int64)
    ids = [str(x) for x in elements]
    missing = [x for x in ids if x not in index]
    if missing:
        what = "failure group" if kind == "group" else f"{kind} id"
        raise InputError(f"unknown {what} {missing[0]!r}")
    return ids, np.array([index[x] for x in ids], dtype=np.int64)


def element_arcs(c: CompiledNetwork, kind: str,
                 elements: Sequence[str] | None = None) -> tuple[list[str], np.ndarray,
                                                                 np.ndarray]:
    """The arcs each element takes down, as CSR (same sets as :meth:`CompiledNetwork.arcs_of`).

    Parameters
    ----------
    c
        The compiled network.
    kind
        ``"link"``, ``"node"`` or ``"group"``.
    elements
        Ids (default: every element of that kind, in table order).

    Returns
    -------
    ids, ptr, arcs
        ``arcs[ptr[i]:ptr[i + 1]]`` (sorted) are the arcs of element ``ids[i]``.

    Notes
    -----
    Vectorised, O(m log m) for all elements at once (``arcs_of`` is O(m) per element).
    """
    ids, idx = _ids(c, kind, elements)
    m = c.n_arcs
    arc = np.arange(m, dtype=np.int64)
    vn = c.vertex_node
    if kind == "link":
        n_owner = len(c.link_ids)
        keep = c.arc_link >= 0
        owner, arcs = c.arc_link[keep], arc[keep]
    elif kind == "node":
        n_owner = c.n_nodes
        owner = np.concatenate([vn[c.tail], vn[c.head]])
        arcs = np.concatenate([arc, arc])
    else:
        n_owner = len(c.group_ids)
        ng_t, ng_h = c.node_group[vn[c.tail]], c.node_group[vn[c.head]]
        owner = np.concatenate([c.arc_group, ng_t, ng_h])
        arcs = np.concatenate([arc, arc, arc])
        keep = owner >= 0
        owner, arcs = owner[keep], arcs[keep]
    key = np.unique(owner * m + arcs)
    owner, arcs = key // m, key % m
    full_ptr = np.zeros(n_owner + 1, dtype=np.int64)
    np.cumsum(np.bincount(owner, minlength=n_owner), out=full_ptr[1:])
    if elements is None:
        return ids, full_ptr, arcs
    lens = full_ptr[idx + 1] - full_ptr[idx]
    ptr = np.zeros(len(idx) + 1, dtype=np.int64)
    np.cumsum(lens, out=ptr[1:])
    gather = np.repeat(full_ptr[idx] - ptr[:-1], lens) + np.arange(ptr[-1], dtype=np.int64)
    return ids, ptr, arcs[gather]


def element_flow(c: CompiledNetwork, kind: str, ptr: np.ndarray, arcs: np.ndarray,
                 arc_flow: np.ndarray, node_idx: np.ndarray | None = None) -> np.ndarray:
    """Flow each element carries in the intact solution.

    A link or a group: the sum of the flow on its arcs (a two-way link counts both
    directions; a group also counts the arcs touching its nodes). A node: its throughput,
    ``max(inflow, outflow)`` over the arcs joining it to other nodes — for a source that is
    what it sends, for a sink what it receives, otherwise what passes through (for a split
    node, the flow on its handling arc).
    """
    if kind == "node":
        assert node_idx is not None
        vn = c.vertex_node
        ext = vn[c.tail] != vn[c.head]
        out = np.bincount(vn[c.tail][ext], weights=arc_flow[ext], minlength=c.n_nodes)
        inn = np.bincount(vn[c.head][ext], weights=arc_flow[ext], minlength=c.n_nodes)
        return np.maximum(out, inn)[node_idx]
    owner = np.repeat(np.arange(len(ptr) - 1), np.diff(ptr))
    return np.bincount(owner, weights=arc_flow[arcs], minlength=len(ptr) - 1)


def _frame(ids: list[str], kind: str, intact: float, without: np.ndarray, flow: np.ndarray,
           method: np.ndarray) -> pd.DataFrame:
    """The result table (shared by both implementations so the arithmetic is identical)."""
    without = np.asarray(without, dtype=float)
    same = without == intact
    with np.errstate(invalid="ignore", divide="ignore"):
        loss = np.where(same, 0.0, intact - without)
        if intact > 0 and np.isfinite(intact):
            loss_rel = loss / intact
        else:
            loss_rel = np.where(loss > 0, 1.0, 0.0)
    df = pd.DataFrame({
        "element": pd.Series(ids, dtype=object), "kind": kind,
        "intact": np.full(len(ids), float(intact)), "without": without, "loss": loss,
        "loss_rel": loss_rel, "flow": np.asarray(flow, dtype=float),
        "method": pd.Series(method, dtype=object),
    }, columns=COLUMNS)
    df = df.sort_values(["loss", "element"], ascending=[False, True], kind="mergesort")
    return df.reset_index(drop=True)


# -- the intact solve -------------------------------------------------------------------------
class _Solve:
    """The intact maximum flow in integers, with the solver kept for re-solves."""

    def __init__(self, c: CompiledNetwork, sources: Sequence[str], sinks: Sequence[str]) -> None:
        inst = integer_flow_network(c, list(sources), list(sinks))
        self.scale, self.big = inst.scale, inst.big
        self.S, self.T = inst.S, inst.T
        self.n_vertices = c.n_vertices + 2
        self.m = c.n_arcs
        self.tail, self.head, self.cap = inst.tail, inst.head, inst.cap
        self.solver = ort_max_flow.SimpleMaxFlow()
        self.solver.add_arcs_with_capacity(self.tail, self.head, self.cap)
        self.value = self._solve()
        self.flow = np.asarray(self.solver.flows(np.arange(len(self.tail))), dtype=np.int64)

    def _solve(self) -> int:
        status = self.solver.solve(self.S, self.T)
        if status != self.solver.OPTIMAL:
            raise SolverError(f"OR-Tools max flow returned status {status}")
        return int(self.solver.optimal_flow())

    @property
    def unbounded(self) -> bool:
        """Whether the intact flow is unlimited (a path of unlimited arcs joins the terminals)."""
        return self.value >= self.big

    def without(self, arcs: np.ndarray) -> int:
        """Maximum flow (scaled integer) with ``arcs`` at capacity 0; the solver is restored."""
        self.solver.set_arcs_capacity(arcs, np.zeros(len(arcs), dtype=np.int64))
        try:
            return self._solve()
        finally:
            self.solver.set_arcs_capacity(arcs, self.cap[arcs])

    def arc_flow(self) -> np.ndarray:
        """Flow per network arc in the base unit (as :func:`max_flow` reports it)."""
        return self.flow[: self.m].astype(float) / self.scale


def _imbalance(ptr: np.ndarray, arcs: np.ndarray, tail: np.ndarray, head: np.ndarray,
               flow: np.ndarray, n_vertices: int) -> np.ndarray:
    """Total excess ``B`` left at the arcs' endpoints when each element's arcs are deleted."""
    owner = np.repeat(np.arange(len(ptr) - 1, dtype=np.int64), np.diff(ptr))
    f = flow[arcs]
    pos = f != 0
    owner, a, f = owner[pos], arcs[pos], f[pos]
    key = np.concatenate([owner * n_vertices + tail[a], owner * n_vertices + head[a]])
    val = np.concatenate([f, -f])
    uk, inv = np.unique(key, return_inverse=True)
    net = np.zeros(len(uk), dtype=np.int64)
    np.add.at(net, inv, val)
    b = np.zeros(len(ptr) - 1, dtype=np.int64)
    np.add.at(b, uk // n_vertices, np.maximum(net, 0))
    return b


def _lower_bound(ptr: np.ndarray, arcs: np.ndarray, cap: np.ndarray, in_some_cut: np.ndarray,
                 source_cut: np.ndarray, sink_cut: np.ndarray) -> np.ndarray:
    """A lower bound on each element's loss from minimum cuts (scaled integers).

    ``max(max_{e ∈ E in some min cut} c(e), c(E ∩ C_s), c(E ∩ C_t))``: removing more arcs never
    raises the maximum flow, a single arc of some minimum cut costs exactly its capacity, and
    removing arcs of a minimum cut ``C`` leaves a cut of capacity ``F - c(E ∩ C)``.
    """
    n = len(ptr) - 1
    owner = np.repeat(np.arange(n, dtype=np.int64), np.diff(ptr))
    ca = cap[arcs]
    single = np.zeros(n, dtype=np.int64)
    np.maximum.at(single, owner, np.where(in_some_cut[arcs], ca, 0))
    cut_s = np.zeros(n, dtype=np.int64)
    np.add.at(cut_s, owner, np.where(source_cut[arcs], ca, 0))
    cut_t = np.zeros(n, dtype=np.int64)
    np.add.at(cut_t, owner, np.where(sink_cut[arcs], ca, 0))
    return np.maximum(single, np.maximum(cut_s, cut_t))


def _scale_drops(c: CompiledNetwork, scale: float, ptr: np.ndarray,
                 arcs: np.ndarray) -> np.ndarray:
    """Elements whose removal takes every fractional capacity (so a re-solve uses scale 1)."""
    n = len(ptr) - 1
    if scale == 1.0:
        return np.zeros(n, dtype=bool)
    cap = c.capacity
    frac = np.isfinite(cap) & (cap != np.round(cap))
    owner = np.repeat(np.arange(n, dtype=np.int64), np.diff(ptr))
    hit = np.bincount(owner, weights=frac[arcs], minlength=n)
    return hit == frac.sum()


# -- public API -------------------------------------------------------------------------------
def throughput_criticality(
    c: CompiledNetwork,
    sources: Sequence[str],
    sinks: Sequence[str],
    *,
    kind: str = "link",
    elements: Sequence[str] | None = None,
    progress: Progress | None = None,
    budget: int | None = None,
    workers: int | None = None,
) -> pd.DataFrame:
    """Exact loss of maximum flow when each link, node or failure group fails on its own.

    Parameters
    ----------
    c
        The compiled network (``network.compiled``).
    sources, sinks
        Node ids, as for :func:`~chokepoint.analyses.max_flow`.
    kind
        ``"link"``, ``"node"`` or ``"group"``. Removing an element sets every arc of
        ``c.arcs_of(kind, [id])`` to capacity 0 (a node loses every arc touching it; removing a
        source or sink node cuts it off, so the flow it sent or received must come from the
        other terminals or is lost).
    elements
        Ids to evaluate (default: every element of that kind).
    progress
        Optional ``progress(done, total)`` callback, called about 50 times.
    budget
        Residual-arc scans allowed per element before it is re-solved from scratch
        (default ``32 · 2m``, about the cost of two re-solves; 0 re-solves every element the
        bounds of steps 1-2 do not settle).
    workers
        Threads that repair elements side by side (default: the CPUs this process may use).
        Each repairs its own share of the elements on its own copy of the flow, in compiled
        code that releases the GIL; the answer does not depend on it.

    Returns
    -------
    pandas.DataFrame
        One row per element, sorted by ``loss`` (descending) then ``element``:
        ``element``, ``kind``, ``intact`` (maximum flow), ``without`` (maximum flow without the
        element), ``loss`` (``intact - without``), ``loss_rel`` (``loss / intact``; 0 if intact
        is 0), ``flow`` (flow the element carried in the intact solution; see
        :func:`element_flow`) and ``method``: ``"no-flow"`` (its removal leaves no net
        imbalance), ``"min-cut"`` (minimum-cut bound met), ``"reroute"`` (residual repair) or
        ``"resolve"`` (full re-solve).

    Notes
    -----
    Exact: ``without`` equals a full re-solve per element (:func:`naive_throughput_criticality`)
    to the last integer, since all residual work uses the solver's int64 capacities. The method
    and its proof are in the module docstring and ``docs/algorithms/throughput-criticality.md``.
    One maximum flow (OR-Tools push-relabel) plus one SCC pass (Picard & Queyranne, *Math. Prog.
    Study* 13, 1980), then per element an augmenting-path repair on the residual graph (Ford &
    Fulkerson 1956; Kohli & Torr, *IEEE TPAMI* 29(12), 2007) of at most ``budget`` arc scans.
    """
    sources, sinks = [str(x) for x in sources], [str(x) for x in sinks]
    ids, ptr, arcs = element_arcs(c, kind, elements)
    _, idx = _ids(c, kind, elements)
    n = len(ids)
    sol = _Solve(c, sources, sinks)
    flow = element_flow(c, kind, ptr, arcs, sol.arc_flow(), idx)
    method = np.full(n, "reroute", dtype=object)
    if sol.unbounded:  # infinite values: re-solve each element as the reference does
        without_f = np.empty(n)
        every = max(1, -(-n // _PROGRESS_STEPS))
        for i in range(n):
            without_f[i] = max_flow(c, sources, sinks, removed=arcs[ptr[i]:ptr[i + 1]]).value
            if (i + 1) % every == 0 or i + 1 == n:
                _report(progress, i + 1, n)
        method[:] = "resolve"
        return _frame(ids, kind, float("inf"), without_f, flow, method)

    total = len(sol.tail)
    b = _imbalance(ptr, arcs, sol.tail, sol.head, sol.flow, sol.n_vertices)
    in_cut, cut_s, cut_t = min_cut_arcs(sol.tail, sol.head, sol.cap, sol.flow, sol.n_vertices,
                                        sol.S, sol.T)
    lb = _lower_bound(ptr, arcs, sol.cap, in_cut, cut_s, cut_t)
    loss = np.zeros(n, dtype=np.int64)
    no_flow = b == 0
    by_cut = ~no_flow & (lb >= b)
    method[no_flow] = "no-flow"
    method[by_cut] = "min-cut"
    loss[by_cut] = b[by_cut]
    todo = np.flatnonzero(~no_flow & ~by_cut).astype(np.int64)
    done = n - len(todo)
    _report(progress, done, n)

    if len(todo):
        lim = 32 * 2 * total if budget is None else int(budget)
        resolve = _reroute_all(sol, ptr, arcs, todo, lim, loss, progress=progress, done=done,
                               total=n, workers=workers)
        done = n - len(resolve)
        every = max(1, -(-len(resolve) // _PROGRESS_STEPS))
        for j, k in enumerate(resolve):
            loss[k] = sol.value - sol.without(arcs[ptr[k]:ptr[k + 1]])
            method[k] = "resolve"
            if (j + 1) % every == 0 or j + 1 == len(resolve):
                _report(progress, done + j + 1, n)
    raw = sol.value - loss
    without = raw.astype(float) / sol.scale
    # a re-solve whose remaining capacities are all integers runs at scale 1 and reports the
    # integer itself; reproduce that float exactly (it differs from raw / 1000 beyond 2**53)
    switch = _scale_drops(c, sol.scale, ptr, arcs)
    without[switch] = (raw[switch] // int(sol.scale)).astype(float)
    return _frame(ids, kind, sol.value / sol.scale, without, flow, method)


def naive_throughput_criticality(
    c: CompiledNetwork,
    sources: Sequence[str],
    sinks: Sequence[str],
    *,
    kind: str = "link",
    elements: Sequence[str] | None = None,
    progress: Progress | None = None,
) -> pd.DataFrame:
    """Throughput criticality by one full maximum flow per element (the reference).

    Same parameters and output as :func:`throughput_criticality`; every ``method`` is
    ``"resolve"``. Each element costs a complete :func:`~chokepoint.analyses.max_flow` with
    ``removed=c.arcs_of(kind, [id])`` — O(k · T_maxflow) for k elements. Used by the tests and
    the benchmark.
    """
    sources, sinks = [str(x) for x in sources], [str(x) for x in sinks]
    ids, idx = _ids(c, kind, elements)
    _, ptr, arcs = element_arcs(c, kind, elements)
    base = max_flow(c, sources, sinks)
    flow = element_flow(c, kind, ptr, arcs, base.arc_flow, idx)
    n = len(ids)
    without = np.empty(n)
    every = max(1, -(-n // _PROGRESS_STEPS))
    for i, x in enumerate(ids):
        without[i] = max_flow(c, sources, sinks, removed=c.arcs_of(kind, [x])).value
        if (i + 1) % every == 0 or i + 1 == n:
            _report(progress, i + 1, n)
    return _frame(ids, kind, base.value, without, flow, np.full(n, "resolve", dtype=object))


def default_workers() -> int:
    """The CPUs this process may run on (``os.sched_getaffinity`` where available)."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # not on Linux
        return max(1, os.cpu_count() or 1)


def _reroute_all(sol: _Solve, ptr: np.ndarray, arcs: np.ndarray, todo: np.ndarray, lim: int,
                 loss: np.ndarray, *, progress: Progress | None, done: int, total: int,
                 workers: int | None) -> list[int]:
    """Step 3 for the elements ``todo``: fill ``loss`` in place; return those to re-solve.

    The elements are cut into ``workers`` consecutive blocks, repaired side by side in threads
    (the kernel releases the GIL), each in about ``_PROGRESS_STEPS`` slices with progress
    reported between them. Block ``j`` works on maximum flow ``j``, which the kernel keeps
    repaired from one element to the next
    (:func:`~chokepoint.analyses._residual.reroute_elements`): consecutive elements are
    mostly neighbours, so a repair tends to leave spare capacity where the next one needs it
    (on the 100×100 grid, two blocks scan as many residual arcs as one chain; interleaved
    shares scanned 38% more).
    """
    out_ptr, out_res, in_ptr, in_res = residual_csr(sol.tail, sol.head, sol.n_vertices)
    w = max(1, default_workers() if workers is None else int(workers))
    if len(todo) < _THREADED_FROM:
        w = 1  # a thread's start-up would cost more than it saves
    blocks = np.array_split(todo, w)  # consecutive elements: neighbours, in most networks
    n_steps = max(1, min(_PROGRESS_STEPS, len(blocks[-1])))
    flows = [sol.flow.copy() for _ in range(w)]  # each block's own maximum flow, kept

    def run(j: int) -> tuple[np.ndarray, np.ndarray]:
        bb, routed, _ = reroute_elements(
            sol.n_vertices, sol.tail, sol.head, sol.cap, flows[j], out_ptr, out_res,
            in_ptr, in_res, ptr, arcs, shares[j], lim)
        return bb, routed

    resolve: list[int] = []
    with ThreadPoolExecutor(max_workers=w) if w > 1 else nullcontext() as pool:
        for step in range(n_steps):
            shares = [b[step * len(b) // n_steps:(step + 1) * len(b) // n_steps]
                      for b in blocks]
            results = pool.map(run, range(w)) if pool is not None else map(run, range(w))
            for chunk, (bb, routed) in zip(shares, results, strict=True):
                ok = routed >= 0
                loss[chunk[ok]] = bb[ok] - routed[ok]
                resolve.extend(int(k) for k in chunk[~ok])
                done += len(chunk)
            _report(progress, done - len(resolve), total)
    return resolve


def _report(progress: Progress | None, done: int, total: int) -> None:
    if progress is not None:
        progress(done, total)
