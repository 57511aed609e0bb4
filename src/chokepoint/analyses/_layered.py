"""The layered network of a commodity that must pass ``via`` stops (private builder).

A route ``origin → via₁ → … → destination`` has ``L`` legs. Its layered network holds one copy
of the allowed arcs per leg (layer ``l``'s vertex ``v`` is ``l·n + v``) and one *joint* arc per
stop, from leg ``l``'s end vertex (the stop's out-vertex, in layer ``l``) to leg ``l + 1``'s
start (the same vertex, in layer ``l + 1``), unlimited and instantaneous. Every origin →
destination walk through the stops in order is one origin (layer 0) → destination (layer
``L − 1``) path of the layered network and conversely, so shortest walks, shortest-path
interdiction and (with the copies of one arc sharing its capacity) flows through the stops
become single-source single-sink questions on it. An element of the network removes *every*
copy of its arcs (:func:`lift`). Size: ``L·n`` vertices, ``L·m + L − 1`` arcs; O(L·m) to
build.

:class:`SharedFlowLP` is the maximum flow of such a network (or of its time expansion) when
the copies of one arc draw on one capacity: a plain max flow would give every copy the whole
capacity, so it is an LP (HiGHS, dual simplex), loaded once and re-solved warm with some arcs
closed.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import highspy
import numpy as np
import scipy.sparse as sp

from chokepoint.analyses._highs import load_model
from chokepoint.analyses.interdiction.attack import AttackModel
from chokepoint.compiled import CompiledNetwork
from chokepoint.errors import SolverError
from chokepoint.route_rules import commodity_route
from chokepoint.scenario import Demand

__all__ = ["Layered", "SharedFlowLP", "layered", "lift"]


@dataclass(frozen=True)
class Layered:
    """A commodity's layered network as arc arrays.

    Attributes
    ----------
    n_vertices
        ``L·n`` (``n`` the compiled network's vertices).
    tail, head
        Layered arcs: the copies, layer-major, then the ``L − 1`` joints.
    arc_of
        The compiled network's arc of each layered arc (``-1`` for a joint).
    source, target
        The origin's vertex in layer 0 and the destination's in layer ``L − 1``.
    n_layers
        ``L``, the number of legs.
    """

    n_vertices: int
    tail: np.ndarray
    head: np.ndarray
    arc_of: np.ndarray
    source: int
    target: int
    n_layers: int

    @property
    def n_arcs(self) -> int:
        """Number of layered arcs."""
        return len(self.tail)

    def values(self, per_arc: np.ndarray, *, joint: float) -> np.ndarray:
        """A per-arc array of the compiled network carried to the layered arcs (``joint`` on
        the joints)."""
        out = np.full(self.n_arcs, joint, dtype=float)
        copy = self.arc_of >= 0
        out[copy] = np.asarray(per_arc, dtype=float)[self.arc_of[copy]]
        return out


def layered(c: CompiledNetwork, demand: Demand) -> Layered:
    """The layered network of ``demand`` over the arcs its route rules allow (module
    docstring). O(L·m)."""
    route = commodity_route(c, demand)
    allowed = np.flatnonzero(route.arc_mask)
    n_v, n_layers = c.n_vertices, len(route.leg_vertices)
    off = (np.arange(n_layers, dtype=np.int64) * n_v)[:, None]
    ends = np.array([route.leg_vertices[j][1] for j in range(n_layers - 1)], dtype=np.int64)
    starts = np.array([route.leg_vertices[j + 1][0] for j in range(n_layers - 1)],
                      dtype=np.int64)
    joints = np.arange(n_layers - 1, dtype=np.int64)
    tail = np.concatenate([(c.tail[allowed][None, :] + off).ravel(), ends + joints * n_v])
    head = np.concatenate([(c.head[allowed][None, :] + off).ravel(),
                           starts + (joints + 1) * n_v])
    arc_of = np.concatenate([np.tile(allowed, n_layers), np.full(n_layers - 1, -1)])
    return Layered(n_vertices=n_layers * n_v, tail=tail.astype(np.int64),
                   head=head.astype(np.int64), arc_of=arc_of.astype(np.int64),
                   source=int(route.leg_vertices[0][0]),
                   target=int(route.leg_vertices[-1][1] + (n_layers - 1) * n_v),
                   n_layers=n_layers)


def lift(model: AttackModel, lay: Layered) -> AttackModel:
    """``model`` on the layered network: each element removes every copy of its arcs (the
    element–arc pairs repeated once per layer; arcs the route does not allow drop out).
    O(L · pairs)."""
    n_copy = int((lay.arc_of >= 0).sum()) // max(lay.n_layers, 1)
    pos = np.full(int(max(lay.arc_of.max(initial=-1), model.pair_arc.max(initial=-1))) + 1,
                  -1, dtype=np.int64)
    pos[lay.arc_of[:n_copy]] = np.arange(n_copy)
    keep = pos[model.pair_arc] >= 0
    elem, base = model.pair_elem[keep], pos[model.pair_arc[keep]]
    layers = np.arange(lay.n_layers, dtype=np.int64)[:, None] * n_copy
    return AttackModel(kind=model.kind, ids=model.ids,
                       pair_elem=np.tile(elem, lay.n_layers),
                       pair_arc=(base[None, :] + layers).ravel(),
                       attackable=model.attackable, cost=model.cost, k=model.k,
                       budget=model.budget, element_of=model.element_of)


@dataclass
class SharedFlowLP:
    """Maximum flow ``s → t`` on arc arrays whose arcs with one ``share`` id (``≥ 0``) draw on
    one capacity (their common ``cap``).

    max Σ_{a into t} x_a − Σ_{a out of t} x_a  s.t.  flow conservation at every vertex but
    ``s`` and ``t``, ``0 ≤ x_a ≤ cap_a``, ``Σ_{a ∈ r} x_a ≤ cap_r`` per shared row ``r``.
    Size: m columns, n + R rows. Built on construction; :meth:`value` re-solves warm.
    """

    n_nodes: int
    tail: np.ndarray
    head: np.ndarray
    cap: np.ndarray
    share: np.ndarray
    s: int
    t: int
    solves: int = 0
    _h: highspy.Highs | None = field(default=None, repr=False)

    def __post_init__(self) -> None:
        m = len(self.tail)
        inner = np.ones(self.n_nodes, dtype=bool)
        inner[[self.s, self.t]] = False
        row = np.cumsum(inner) - 1
        arcs = np.arange(m)
        keep_h, keep_t = inner[self.head], inner[self.tail]
        rows = [row[self.head[keep_h]], row[self.tail[keep_t]]]
        cols = [arcs[keep_h], arcs[keep_t]]
        vals = [np.ones(int(keep_h.sum())), -np.ones(int(keep_t.sum()))]
        n_eq = int(inner.sum())
        shared = (self.share >= 0) & np.isfinite(self.cap)
        _, inv, counts = np.unique(self.share[shared], return_inverse=True,
                                     return_counts=True)
        multi = counts[inv] >= 2
        r_id, r_inv = np.unique(inv[multi], return_inverse=True)
        rows.append(n_eq + r_inv)
        cols.append(arcs[shared][multi])
        vals.append(np.ones(int(multi.sum())))
        r_cap = np.zeros(len(r_id))
        np.maximum.at(r_cap, r_inv, self.cap[shared][multi])
        A = sp.coo_matrix((np.concatenate(vals), (np.concatenate(rows), np.concatenate(cols))),
                          shape=(n_eq + len(r_id), m)).tocsc()
        obj = (self.head == self.t).astype(float) - (self.tail == self.t).astype(float)
        row_lo = np.concatenate([np.zeros(n_eq), np.full(len(r_id), -np.inf)])
        row_hi = np.concatenate([np.zeros(n_eq), r_cap])
        self._h = load_model(obj, A, row_lo, row_hi, np.zeros(m), self.cap, None,
                             maximise=True)

    def value(self, closed: np.ndarray | None = None) -> float:
        """The maximum flow with the arcs ``closed`` (indices) at capacity 0 (``inf`` when
        unbounded).

        Raises
        ------
        SolverError
            When HiGHS stops without an optimum.
        """
        h = self._h
        assert h is not None
        cols = np.zeros(0, dtype=np.int32) if closed is None else \
            np.unique(np.asarray(closed, dtype=np.int64)).astype(np.int32)
        zero = np.zeros(len(cols))
        if len(cols):
            h.changeColsBounds(len(cols), cols, zero, zero)
        try:
            h.run()
            self.solves += 1
            status = h.getModelStatus()
            if status in (highspy.HighsModelStatus.kUnbounded,
                          highspy.HighsModelStatus.kUnboundedOrInfeasible):
                return float("inf")
            if status != highspy.HighsModelStatus.kOptimal:
                raise SolverError("the shared-capacity flow LP was not solved to optimality "
                                  f"({h.modelStatusToString(status)})")
            return float(h.getInfo().objective_function_value)
        finally:
            if len(cols):
                hi = self.cap[cols]
                h.changeColsBounds(len(cols), cols, zero,
                                   np.where(np.isfinite(hi), hi, highspy.kHighsInf))
