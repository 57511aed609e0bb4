"""Max flow and min cut on raw arc arrays, and the arc forms element interdiction needs."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from ortools.graph.python import max_flow as ort_max_flow

from chokepoint.analyses._arcs import integer_scale, to_int
from chokepoint.compiled import CompiledNetwork
from chokepoint.errors import SolverError

__all__ = ["ArcForm", "arc_form", "form_value", "min_cut"]


def min_cut(n_v: int, tail: np.ndarray, head: np.ndarray, cap: np.ndarray, s_v: np.ndarray,
         t_v: np.ndarray) -> tuple[float, np.ndarray]:
    """Max flow value and source side of a min cut (OR-Tools push-relabel, int64-scaled)."""
    scale = integer_scale(cap)
    finite = cap[np.isfinite(cap)]
    big = int(np.rint(finite.sum() * scale)) + 1 if finite.size else 1
    icap = to_int(cap, scale, big=big)
    S, T = n_v, n_v + 1
    solver = ort_max_flow.SimpleMaxFlow()
    solver.add_arcs_with_capacity(
        np.concatenate([tail, np.full(len(s_v), S), t_v]),
        np.concatenate([head, s_v, np.full(len(t_v), T)]),
        np.concatenate([icap, np.full(len(s_v) + len(t_v), big, dtype=np.int64)]))
    if solver.solve(S, T) != solver.OPTIMAL:
        raise SolverError("OR-Tools max flow failed")
    raw = solver.optimal_flow()
    side = np.zeros(n_v + 2, dtype=bool)
    side[np.asarray(solver.get_source_side_min_cut(), dtype=np.int64)] = True
    return (math.inf if raw >= big else raw / scale), side[:n_v]


@dataclass(kw_only=True)
class ArcForm:
    """A graph in which each element owns arcs of which at most one crosses any s–t cut.

    Links own one arc or an antiparallel pair; with every node split, a node owns its
    in->out arc. Element interdiction there is plain arc interdiction, which is what the
    Royset–Wood bound and the min-cut disconnection test need.
    """

    n_v: int
    tail: np.ndarray
    head: np.ndarray
    cap: np.ndarray
    elem: np.ndarray
    s_v: np.ndarray
    t_v: np.ndarray


def arc_form(c: CompiledNetwork, kind: str, s_v: np.ndarray, t_v: np.ndarray,
              cap: np.ndarray) -> ArcForm | None:
    """Arc form for links (the compiled graph) or nodes (every node split); None for groups.

    ``s_v``/``t_v`` are compiled in-/out-vertices; ``cap`` is per compiled arc.
    """
    if kind == "link":
        return ArcForm(n_v=c.n_vertices, tail=c.tail, head=c.head, cap=cap,
                       elem=c.arc_link.copy(), s_v=s_v, t_v=t_v)
    if kind != "node":
        return None
    n = c.n_nodes
    vn = c.vertex_node
    is_link = c.arc_link >= 0
    split_cap = np.full(n, np.inf)
    split_cap[c.arc_node[~is_link]] = cap[~is_link]
    nodes = np.arange(n, dtype=np.int64)
    tail = np.concatenate([n + vn[c.tail[is_link]], nodes])
    head = np.concatenate([c.head[is_link], n + nodes])
    elem = np.concatenate([np.full(int(is_link.sum()), -1, dtype=np.int64), nodes])
    return ArcForm(n_v=2 * n, tail=tail, head=head,
                   cap=np.concatenate([cap[is_link], split_cap]), elem=elem, s_v=vn[s_v],
                   t_v=n + vn[t_v])


def form_value(form: ArcForm, elems: Sequence[int]) -> float:
    """Max flow in an arc form with the given elements removed."""
    cap = form.cap.copy()
    if len(elems):
        cap[np.isin(form.elem, np.asarray(list(elems), dtype=np.int64))] = 0.0
    return min_cut(form.n_v, form.tail, form.head, cap, form.s_v, form.t_v)[0]
