"""Network interdiction: the worst k-element attack on throughput or on travel time.

An *attacker* removes up to ``k`` elements (links, nodes or failure groups; removing an
element removes every arc of it, as :meth:`~chokepoint.compiled.CompiledNetwork.arcs_of`)
within an attack budget, to minimise the maximum flow (:func:`max_flow_interdiction`) or to
maximise the fastest travel time (:func:`shortest_path_interdiction`).

Both problems are NP-hard (Wood, *Math. Comput. Modelling* 17(2), 1993; Ball, Golden & Vohra,
*Oper. Res. Lett.* 8, 1989). They are solved exactly as mixed-integer programmes with HiGHS
(``highspy``) under a time limit:

* max-flow interdiction: Wood's (1993) dualised MIP, with element-level interdiction
  variables, warm-started and bounded by the Royset & Wood (*INFORMS J. Comput.* 19(2), 2007)
  parametric-cut Lagrangian bound, which is also the documented heuristic for networks too
  large for the MIP;
* shortest-path interdiction: the dualised MIP of Israeli & Wood (*Networks* 40(2), 2002) with
  arc-specific big-M values derived from a verified upper bound, after an exact min-cut test
  of whether the attack can disconnect origin from destination.

Every returned plan is re-evaluated with :func:`~chokepoint.analyses.maxflow.max_flow` or
:func:`~chokepoint.analyses.routes.fastest_route`, and the re-evaluated value is returned.
The models are written out in ``docs/algorithms/interdiction.md``.
"""

from __future__ import annotations

import math
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import highspy
import numpy as np
import scipy.sparse as sp
from ortools.graph.python import max_flow as ort_max_flow
from scipy.sparse.csgraph import breadth_first_order, dijkstra

from chokepoint.analyses._arcs import integer_scale, terminals, to_int
from chokepoint.analyses.maxflow import max_flow
from chokepoint.analyses.routes import fastest_route
from chokepoint.compiled import CompiledNetwork
from chokepoint.errors import InputError, SolverError

__all__ = [
    "AttackModel",
    "InterdictionResult",
    "attack_model",
    "max_flow_interdiction",
    "shortest_path_interdiction",
]

KINDS = ("link", "node", "group")
_EXACT_ENUM_LIMIT = 48  # evaluate the Lagrangian at every breakpoint up to this many
_SP_CAP_FACTOR = 2.0  # first cap on the potentials, times the greedy value (doubled if hit)


@dataclass
class InterdictionResult:
    """The best attack found, its verified value and the proof status.

    Attributes
    ----------
    value
        Max flow (``max_flow_interdiction``) or fastest travel time
        (``shortest_path_interdiction``; ``inf`` when disconnected) after the attack,
        recomputed with the flow or route engine.
    removed
        Ids of the attacked elements (of ``kind``).
    status
        ``"optimal"`` (proved), ``"time_limit"`` (the MIP stopped; ``lower_bound`` and
        ``upper_bound`` bracket the optimum), ``"heuristic"`` (method ``"bounds"`` without a
        proof) or ``"disconnected"`` (shortest path: the attack cuts every route; optimal).
    lower_bound, upper_bound
        Bounds on the optimum: for flow, ``upper_bound == value`` (the plan is feasible);
        for travel time, ``lower_bound == value``.
    gap
        ``upper_bound - lower_bound`` (0 when proved optimal).
    intact_value
        The value with no attack.
    method
        ``"bounds"``, ``"mip"``, ``"min-cut"`` (disconnection) or ``"trivial"``.
    removed_arcs
        The arcs taken out by the plan.
    solver
        Diagnostics: solver name, MIP status, node count, max flows solved, time.
    """

    value: float
    removed: list[str]
    status: str
    lower_bound: float
    upper_bound: float
    gap: float
    intact_value: float
    method: str
    kind: str = "link"
    k: int | None = None
    budget: float = 0.0
    removed_arcs: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=np.int64))
    solver: dict[str, Any] = field(default_factory=dict)

    @property
    def proved(self) -> bool:
        """Whether the value is proved optimal."""
        return self.status in ("optimal", "disconnected")


# -- the attacker's choice set ----------------------------------------------------------------
@dataclass
class AttackModel:
    """Elements of one kind, the arcs each one removes, and what the attacker may take.

    Attributes
    ----------
    kind
        ``"link"``, ``"node"`` or ``"group"``.
    ids
        Every element id of the kind (index = element number).
    pair_elem, pair_arc
        The element–arc incidence (an arc may belong to several nodes or groups).
    attackable
        Per element: may be attacked (not protected, has arcs, cost within the budget).
    cost
        Per element attack cost (default 1).
    k, budget
        At most ``k`` elements (``None`` = no count limit) of total cost at most ``budget``.
    """

    kind: str
    ids: list[str]
    pair_elem: np.ndarray
    pair_arc: np.ndarray
    attackable: np.ndarray
    cost: np.ndarray
    k: int | None
    budget: float

    @property
    def unit_cost(self) -> bool:
        """True when every attackable element costs 1."""
        return bool(np.all(self.cost[self.attackable] == 1.0))

    @property
    def max_count(self) -> int:
        """The most elements any feasible plan can hold (count and budget together)."""
        n = int(self.attackable.sum())
        if self.k is not None:
            n = min(n, self.k)
        if self.unit_cost:
            n = min(n, math.floor(self.budget + 1e-9))
        return max(n, 0)

    def arcs(self, elems: Sequence[int] | np.ndarray) -> np.ndarray:
        """Arcs removed by a set of element numbers (vectorised)."""
        if len(elems) == 0:
            return np.zeros(0, dtype=np.int64)
        mask = np.isin(self.pair_elem, np.asarray(elems, dtype=np.int64))
        return np.unique(self.pair_arc[mask])

    def feasible(self, elems: Sequence[int]) -> bool:
        """Whether a plan respects protection, the count limit and the budget."""
        e = np.asarray(list(elems), dtype=np.int64)
        if len(e) and not self.attackable[e].all():
            return False
        if self.k is not None and len(e) > self.k:
            return False
        return float(self.cost[e].sum()) <= self.budget + 1e-9

    def names(self, elems: Sequence[int] | np.ndarray) -> list[str]:
        """Element ids of element numbers."""
        return [self.ids[int(i)] for i in elems]


def attack_model(
    c: CompiledNetwork,
    *,
    kind: str,
    k: int | None,
    budget: float | None = None,
    cost: Mapping[str, float] | None = None,
    protected: Sequence[str] = (),
) -> AttackModel:
    """Build the attacker's choice set (vectorised over arcs; O(m log m)).

    Parameters
    ----------
    c
        The compiled network.
    kind
        ``"link"``, ``"node"`` or ``"group"``.
    k
        Most elements attacked (``None``: limited by ``budget`` only).
    budget
        Attack budget (default ``k``).
    cost
        Attack cost per element id (default 1; must be finite and >= 0).
    protected
        Element ids that cannot be attacked.
    """
    if kind not in KINDS:
        raise InputError(f"kind must be link, node or group, not {kind!r}")
    if k is None and budget is None:
        raise InputError("give k (number of elements) or a budget")
    if k is not None and k < 0:
        raise InputError(f"k must be >= 0, got {k}")
    m = c.n_arcs
    arc = np.arange(m, dtype=np.int64)
    vn = c.vertex_node
    if kind == "link":
        ids = [str(x) for x in c.link_ids]
        index = c.link_index
        keep = c.arc_link >= 0
        pe, pa = c.arc_link[keep], arc[keep]
    elif kind == "node":
        ids = [str(x) for x in c.node_ids]
        index = c.node_index
        pe = np.concatenate([vn[c.tail], vn[c.head]])
        pa = np.concatenate([arc, arc])
    else:
        ids = [str(x) for x in c.group_ids]
        index = c.group_index
        pe = np.concatenate([c.arc_group, c.node_group[vn[c.tail]], c.node_group[vn[c.head]]])
        pa = np.concatenate([arc, arc, arc])
        keep = pe >= 0
        pe, pa = pe[keep], pa[keep]
    key = np.unique(pe.astype(np.int64) * max(m, 1) + pa)
    pair_elem, pair_arc = key // max(m, 1), key % max(m, 1)
    n = len(ids)
    costs = np.ones(n)
    for e, v in (cost or {}).items():
        if str(e) not in index:
            raise InputError(f"cost given for unknown {kind} {e!r}")
        fv = float(v)
        if not (math.isfinite(fv) and fv >= 0):
            raise InputError(f"attack cost must be finite and >= 0, got {v!r}",
                             element=f"{kind} {e!r}")
        costs[index[str(e)]] = fv
    b = float(budget) if budget is not None else float(k or 0)
    if not b >= 0:  # also NaN
        raise InputError(f"budget must be a number >= 0, got {b}")
    if math.isinf(b):  # unlimited: only the count limits the plan
        if k is None:
            raise InputError("an unlimited (inf) budget needs k, the number of elements")
        b = float(costs.sum()) + 1.0
    attackable = np.zeros(n, dtype=bool)
    attackable[np.unique(pair_elem)] = True
    for e in protected:
        if str(e) not in index:
            raise InputError(f"protected {kind} {e!r} is unknown")
        attackable[index[str(e)]] = False
    attackable &= costs <= b + 1e-9
    if k == 0:
        attackable[:] = False
    return AttackModel(kind, ids, pair_elem, pair_arc, attackable, costs, k, b)


# -- max flow on raw arrays -------------------------------------------------------------------
def _cut(n_v: int, tail: np.ndarray, head: np.ndarray, cap: np.ndarray, s_v: np.ndarray,
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


@dataclass
class _ArcForm:
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


def _arc_form(c: CompiledNetwork, kind: str, s_v: np.ndarray, t_v: np.ndarray,
              cap: np.ndarray) -> _ArcForm | None:
    """Arc form for links (the compiled graph) or nodes (every node split); None for groups.

    ``s_v``/``t_v`` are compiled in-/out-vertices; ``cap`` is per compiled arc.
    """
    if kind == "link":
        return _ArcForm(c.n_vertices, c.tail, c.head, cap, c.arc_link.copy(), s_v, t_v)
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
    return _ArcForm(2 * n, tail, head, np.concatenate([cap[is_link], split_cap]), elem,
                    vn[s_v], n + vn[t_v])


def _form_value(form: _ArcForm, elems: Sequence[int]) -> float:
    """Max flow in an arc form with the given elements removed."""
    cap = form.cap.copy()
    if len(elems):
        cap[np.isin(form.elem, np.asarray(list(elems), dtype=np.int64))] = 0.0
    return _cut(form.n_v, form.tail, form.head, cap, form.s_v, form.t_v)[0]


# -- HiGHS --------------------------------------------------------------------------------------
@dataclass
class _MipOut:
    status: str  # optimal | time_limit | infeasible
    x: np.ndarray | None
    objective: float
    bound: float
    nodes: int
    seconds: float


def _new_highs() -> highspy.Highs:
    """A silent HiGHS instance. HiGHS prints a banner to the C-level stdout when the first
    instance is built, before any option can be set; that would corrupt ``--json`` output, so
    file descriptor 1 points at /dev/null while it is built."""
    import os
    import sys

    sys.stdout.flush()
    saved = os.dup(1)
    devnull = os.open(os.devnull, os.O_WRONLY)
    try:
        os.dup2(devnull, 1)
        h = highspy.Highs()
    finally:
        os.dup2(saved, 1)
        os.close(saved)
        os.close(devnull)
    h.setOptionValue("output_flag", False)
    return h


def _solve_mip(cost: np.ndarray, A: sp.spmatrix, row_lo: np.ndarray, row_hi: np.ndarray,
               col_lo: np.ndarray, col_hi: np.ndarray, integer: np.ndarray, *,
               maximise: bool, time_limit: float, start: np.ndarray | None = None
               ) -> _MipOut:
    """Solve a MIP with HiGHS (relative gap 0, absolute 1e-6), optionally warm-started."""
    h = _new_highs()
    h.setOptionValue("time_limit", max(float(time_limit), 0.01))
    h.setOptionValue("mip_rel_gap", 0.0)
    h.setOptionValue("mip_abs_gap", 1e-6)
    h.setOptionValue("threads", 1)
    lp = highspy.HighsLp()
    csc = sp.csc_matrix(A)
    lp.num_col_, lp.num_row_ = csc.shape[1], csc.shape[0]
    inf = highspy.kHighsInf
    lp.col_cost_ = cost.astype(float)
    lp.col_lower_ = np.where(np.isfinite(col_lo), col_lo, -inf).astype(float)
    lp.col_upper_ = np.where(np.isfinite(col_hi), col_hi, inf).astype(float)
    lp.row_lower_ = np.where(np.isfinite(row_lo), row_lo, -inf).astype(float)
    lp.row_upper_ = np.where(np.isfinite(row_hi), row_hi, inf).astype(float)
    lp.sense_ = highspy.ObjSense.kMaximize if maximise else highspy.ObjSense.kMinimize
    lp.a_matrix_.format_ = highspy.MatrixFormat.kColwise
    lp.a_matrix_.start_ = csc.indptr.astype(np.int32)
    lp.a_matrix_.index_ = csc.indices.astype(np.int32)
    lp.a_matrix_.value_ = csc.data.astype(float)
    lp.integrality_ = [highspy.HighsVarType.kInteger if b else highspy.HighsVarType.kContinuous
                       for b in integer]
    h.passModel(lp)
    if start is not None:
        sol = highspy.HighsSolution()
        sol.col_value = [float(v) for v in start]
        sol.value_valid = True
        h.setSolution(sol)
    t0 = time.perf_counter()
    h.run()
    secs = time.perf_counter() - t0
    ms = h.getModelStatus()
    info = h.getInfo()
    has_x = info.primal_solution_status == 2
    x = np.asarray(h.getSolution().col_value) if has_x else None
    if ms == highspy.HighsModelStatus.kOptimal:
        status = "optimal"
    elif ms == highspy.HighsModelStatus.kInfeasible:
        status = "infeasible"
    elif ms in (highspy.HighsModelStatus.kTimeLimit, highspy.HighsModelStatus.kInterrupt):
        status = "time_limit"
    else:
        raise SolverError(f"HiGHS returned {h.modelStatusToString(ms)}")
    obj = float(info.objective_function_value) if has_x else math.nan
    if x is not None and abs(float(cost @ x) - obj) > 1e-6 * max(1.0, abs(obj)):
        # HiGHS 1.16 can report the optimum found in presolve together with the user's
        # start vector as the solution; solve again without the start.
        if start is not None:
            return _solve_mip(cost, A, row_lo, row_hi, col_lo, col_hi, integer,
                              maximise=maximise, time_limit=time_limit, start=None)
        raise SolverError("HiGHS returned a solution that does not match its objective")
    return _MipOut(status, x, obj, float(info.mip_dual_bound), int(info.mip_node_count), secs)


# -- max-flow interdiction: Wood's MIP --------------------------------------------------------
def _wood_mip(n_v: int, tail: np.ndarray, head: np.ndarray, cap: np.ndarray,
              model: AttackModel, s_v: np.ndarray, t_v: np.ndarray, *, time_limit: float,
              start_plan: Sequence[int] | None = None) -> tuple[_MipOut, list[int]]:
    """Wood's (1993) MIP on arrays; returns the solver output and the plan (element numbers).

    min Σ c_a β_a  s.t.  α_u − α_v + β_a + Σ_{E ∋ a} γ_E ≥ 0 (arcs a = (u, v), c_a > 0),
    α_s = 0 (sources), α_t = 1 (sinks), Σ γ_E ≤ k, Σ cost_E γ_E ≤ budget, all binary;
    β_a ≡ 0 for unlimited arcs. O(n + m) variables and rows.
    """
    m = len(tail)
    att = np.flatnonzero(model.attackable)
    n_g = len(att)
    live = np.flatnonzero(cap > 0)
    fin = live[np.isfinite(cap[live])]
    col_beta = np.full(m, -1, dtype=np.int64)
    col_beta[fin] = n_v + np.arange(len(fin))
    gcol = np.full(len(model.ids), -1, dtype=np.int64)
    gcol[att] = n_v + len(fin) + np.arange(n_g)
    n_col = n_v + len(fin) + n_g
    row_of = np.full(m, -1, dtype=np.int64)
    row_of[live] = np.arange(len(live))
    pm = (row_of[model.pair_arc] >= 0) & (gcol[model.pair_elem] >= 0)
    rows = [row_of[live], row_of[live], row_of[fin], row_of[model.pair_arc[pm]]]
    cols = [tail[live], head[live], col_beta[fin], gcol[model.pair_elem[pm]]]
    vals = [np.ones(len(live)), -np.ones(len(live)), np.ones(len(fin)), np.ones(int(pm.sum()))]
    n_row = len(live)
    lo_extra, hi_extra = [], []
    if model.k is not None and model.k < n_g:
        rows.append(np.full(n_g, n_row))
        cols.append(gcol[att])
        vals.append(np.ones(n_g))
        lo_extra.append(-np.inf)
        hi_extra.append(float(model.k))
        n_row += 1
    if float(model.cost[att].sum()) > model.budget + 1e-9:
        rows.append(np.full(n_g, n_row))
        cols.append(gcol[att])
        vals.append(model.cost[att])
        lo_extra.append(-np.inf)
        hi_extra.append(model.budget)
        n_row += 1
    A = sp.coo_matrix((np.concatenate(vals), (np.concatenate(rows), np.concatenate(cols))),
                      shape=(n_row, n_col))
    row_lo = np.concatenate([np.zeros(len(live)), lo_extra])
    row_hi = np.concatenate([np.full(len(live), np.inf), hi_extra])
    col_lo, col_hi = np.zeros(n_col), np.ones(n_col)
    col_hi[s_v] = 0.0
    col_lo[t_v] = 1.0
    obj = np.zeros(n_col)
    obj[col_beta[fin]] = cap[fin]
    start = None
    if start_plan is not None:
        plan_arcs = model.arcs(list(start_plan))
        c2 = cap.copy()
        c2[plan_arcs] = 0.0
        val, side = _cut(n_v, tail, head, c2, s_v, t_v)
        if math.isfinite(val):
            start = np.zeros(n_col)
            start[:n_v] = ~side
            cross = side[tail[fin]] & ~side[head[fin]]
            covered = np.zeros(m, dtype=bool)
            covered[plan_arcs] = True
            start[col_beta[fin]] = cross & ~covered[fin]
            start[gcol[np.asarray(list(start_plan), dtype=np.int64)]] = 1.0
    out = _solve_mip(obj, A, row_lo, row_hi, col_lo, col_hi, np.ones(n_col, dtype=bool),
                     maximise=False, time_limit=time_limit, start=start)
    plan = [] if out.x is None else [int(e) for e in att if out.x[gcol[e]] > 0.5]
    return out, plan


# -- max-flow interdiction: Royset–Wood bounds ------------------------------------------------
def _choose_in_cut(model: AttackModel, elems: np.ndarray, caps: np.ndarray) -> list[int]:
    """Best removal from one cut: the largest capacities (unit costs) or greedy by ratio."""
    if len(elems) == 0:
        return []
    if model.unit_cost:
        order = np.argsort(-caps, kind="stable")
        return [int(e) for e in elems[order[: model.max_count]]]
    ratio = caps / np.maximum(model.cost[elems], 1e-12)
    plan: list[int] = []
    spent = 0.0
    for i in np.argsort(-ratio, kind="stable"):
        e = int(elems[i])
        if model.k is not None and len(plan) >= model.k:
            break
        if spent + model.cost[e] <= model.budget + 1e-9:
            plan.append(e)
            spent += float(model.cost[e])
    return plan


@dataclass
class _Bounds:
    lower: float
    upper: float
    plan: list[int]
    lam: float
    flows: int


def _royset_wood(form: _ArcForm, model: AttackModel, *, deadline: float) -> _Bounds:
    """Parametric-cut Lagrangian bounds (Royset & Wood 2007) in an arc form.

    L(λ) = mincut(min(c_a, λ ω_a) on attackable arcs, c_a elsewhere) − λ B is a lower bound
    for every λ ≥ 0 (ω = cost and B = budget, or ω = 1 and B = the count limit). L is concave
    and piecewise linear: it is maximised over its breakpoints {c_a / ω_a} (all of them when
    few, else by binary search on the unimodal sequence), then between the neighbouring
    breakpoints by intersecting the cuts' lines (exact in finitely many steps). Every cut
    met yields a feasible plan (remove its largest attackable arcs), whose true value is an
    upper bound. O(log m) max flows, plus a few per refinement.
    """
    att_arc = (form.elem >= 0) & model.attackable[np.maximum(form.elem, 0)]
    if model.unit_cost:
        omega = np.where(att_arc, 1.0, 0.0)
        B = float(model.max_count)
    else:
        omega = np.where(att_arc, model.cost[np.maximum(form.elem, 0)], 0.0)
        B = model.budget
    finite = form.cap[np.isfinite(form.cap)]
    big = float(finite.sum()) + 1.0
    cap = np.where(att_arc & ~np.isfinite(form.cap), big, form.cap)
    ratios = cap[att_arc & (omega > 0)] / omega[att_arc & (omega > 0)]
    lams = np.unique(np.concatenate([[0.0], ratios]))
    memo: dict[float, tuple[float, np.ndarray]] = {}
    tried: dict[tuple[int, ...], float] = {}
    best = _Bounds(-math.inf, math.inf, [], 0.0, 0)

    def evaluate(lam: float) -> float:
        if lam in memo:
            return memo[lam][0]
        capl = np.where(att_arc, np.minimum(cap, lam * omega), cap)
        val, side = _cut(form.n_v, form.tail, form.head, capl, form.s_v, form.t_v)
        best.flows += 1
        L = val - lam * B
        memo[lam] = (L, side)
        if best.lower < L:
            best.lower, best.lam = L, lam
        crossing = side[form.tail] & ~side[form.head] & att_arc
        plan = sorted(_choose_in_cut(model, form.elem[crossing], cap[crossing]))
        key = tuple(plan)
        if key not in tried:
            v = _form_value(form, plan)
            best.flows += 1
            tried[key] = v
            if v < best.upper:
                best.upper, best.plan = v, plan
        return L

    def line(lam: float, *, left: bool) -> tuple[float, float]:
        """The cut at ``lam`` as a line a + b λ on the interval to its left or right."""
        side = memo[lam][1]
        cross = side[form.tail] & ~side[form.head]
        cc, om, at = cap[cross], omega[cross], att_arc[cross]
        capped = at & ((om * lam <= cc) if left else (om * lam < cc))
        b = float(om[capped].sum()) - B
        a = float(np.where(capped, 0.0, cc).sum())
        return a, b

    if len(lams) <= _EXACT_ENUM_LIMIT:
        for lam in lams:
            evaluate(float(lam))
            if time.perf_counter() > deadline:
                break
        vals = np.array([memo.get(float(x), (-math.inf, None))[0] for x in lams])
        i = int(np.argmax(vals))
    else:
        lo, hi = 0, len(lams) - 1
        while lo < hi and time.perf_counter() < deadline:
            mid = (lo + hi) // 2
            if evaluate(float(lams[mid])) < evaluate(float(lams[mid + 1])):
                lo = mid + 1
            else:
                hi = mid
        i = lo
        evaluate(float(lams[i]))
    # refine between neighbouring breakpoints (Eisner–Severance style)
    for j in (i - 1, i):
        if j < 0 or j + 1 >= len(lams):
            continue
        stack = [(float(lams[j]), float(lams[j + 1]))]
        steps = 0
        while stack and steps < 20 and time.perf_counter() < deadline:
            a0, a1 = stack.pop()
            if a0 not in memo:
                evaluate(a0)
            if a1 not in memo:
                evaluate(a1)
            (p0, q0), (p1, q1) = line(a0, left=False), line(a1, left=True)
            if not (math.isfinite(p0) and math.isfinite(p1)) or abs(q0 - q1) < 1e-12:
                continue
            lam = (p1 - p0) / (q0 - q1)
            if not a0 + 1e-12 < lam < a1 - 1e-12:
                continue
            top = p0 + q0 * lam
            steps += 1
            if evaluate(lam) < top - 1e-9 * max(1.0, abs(top)):
                stack += [(a0, lam), (lam, a1)]
    if best.upper >= big:
        best.upper = math.inf
    if best.lower >= big:
        best.lower = math.inf
    return best


# -- public: max-flow interdiction ------------------------------------------------------------
def _integral(x: np.ndarray) -> bool:
    f = x[np.isfinite(x)]
    return bool(np.all(f == np.round(f)))


def max_flow_interdiction(
    c: CompiledNetwork,
    sources: Sequence[str],
    sinks: Sequence[str],
    *,
    k: int | None,
    kind: str = "link",
    budget: float | None = None,
    cost: Mapping[str, float] | None = None,
    protected: Sequence[str] = (),
    time_limit: float = 60.0,
    method: str = "auto",
) -> InterdictionResult:
    """The attack on at most ``k`` elements that minimises the maximum flow.

    Parameters
    ----------
    c
        The compiled network.
    sources, sinks
        Node ids (as :func:`~chokepoint.analyses.maxflow.max_flow`).
    k
        Most elements attacked (``None``: budget only).
    kind
        ``"link"``, ``"node"`` or ``"group"``. A source or sink node may be attacked (that
        removes all its arcs, so all flow through it) unless listed in ``protected``.
    budget, cost
        Attack budget (default ``k``) and per-element cost (default 1).
    protected
        Element ids the attacker cannot touch.
    time_limit
        Seconds for the whole call (bounds and MIP).
    method
        ``"auto"`` (bounds, then the MIP on the remaining time if they leave a gap),
        ``"mip"`` (Wood's MIP only) or ``"bounds"`` (Royset–Wood only; links and nodes).

    Returns
    -------
    InterdictionResult
        ``value`` is the max flow recomputed after removing the plan.

    Notes
    -----
    Wood's MIP (Wood, *Math. Comput. Modelling* 17(2), 1993) dualises the inner max flow; it
    is exact because, for a fixed attack, the binary α, β give exactly the capacity of the
    cheapest cut not covered by the attack (max-flow min-cut). The problem is NP-hard, so
    the MIP can take exponential time; it stops at ``time_limit`` with status
    ``"time_limit"`` and both bounds. The Royset–Wood (*INFORMS J. Comput.* 19(2), 2007)
    Lagrangian bound takes O(log m) max flows. With non-integer capacities values are exact
    to the flow engine's resolution (0.001 of the unit per arc).
    """
    t0 = time.perf_counter()
    deadline = t0 + time_limit
    if method not in ("auto", "mip", "bounds"):
        raise InputError(f"method must be auto, mip or bounds, not {method!r}")
    s_v, t_v = terminals(c, list(sources), list(sinks))
    model = attack_model(c, kind=kind, k=k, budget=budget, cost=cost, protected=protected)
    intact = max_flow(c, list(sources), list(sinks)).value
    solver: dict[str, Any] = {"max_flows": 1}

    def finish(plan: Sequence[int], status: str, lb: float, meth: str) -> InterdictionResult:
        names = model.names(sorted(plan))
        arcs = c.arcs_of(kind, names) if names else np.zeros(0, dtype=np.int64)
        value = max_flow(c, list(sources), list(sinks), removed=arcs).value
        lb = min(lb, value)
        tol = 1e-6 * max(1.0, abs(value)) if _integral(c.capacity) else \
            1e-3 * max(1.0, math.sqrt(c.n_arcs))
        if status != "optimal" and value - lb <= tol:
            status = "optimal"
        if status == "optimal":
            lb = value
        gap = 0.0 if value == lb else value - lb
        solver["seconds"] = time.perf_counter() - t0
        return InterdictionResult(value, names, status, lb, value, gap, intact, meth, kind, k,
                                  model.budget, arcs, solver)

    if not model.attackable.any() or intact == 0:
        return finish([], "optimal", intact, "trivial")
    form = _arc_form(c, kind, s_v, t_v, c.capacity)
    bounds = None
    if method in ("auto", "bounds"):
        if form is None:
            if method == "bounds":
                raise InputError("the bounds method needs kind link or node (a failure "
                                 "group can cut one s-t cut several times)")
        else:
            bounds = _royset_wood(form, model, deadline=deadline)
            solver["max_flows"] += bounds.flows
            solver["lagrange_lambda"] = bounds.lam
            solver["bounds"] = (bounds.lower, bounds.upper)
            lb = bounds.lower
            if _integral(form.cap) and math.isfinite(lb):
                lb = math.ceil(lb - 1e-9)
            if method == "bounds" or bounds.upper <= lb:
                return finish(bounds.plan, "optimal" if bounds.upper <= lb else "heuristic",
                              lb, "bounds")
    start = bounds.plan if bounds is not None else None
    remaining = deadline - time.perf_counter()
    if start is None:
        start = _greedy_flow(c, model, s_v, t_v, deadline=deadline)
    out, plan = _wood_mip(c.n_vertices, c.tail, c.head, c.capacity, model, s_v, t_v,
                          time_limit=max(remaining, 0.5), start_plan=start)
    solver.update(mip_status=out.status, mip_nodes=out.nodes, mip_seconds=out.seconds,
                  mip_dual_bound=out.bound, solver="HiGHS " + highspy.__name__)
    if out.status == "infeasible":  # every attack leaves an unlimited path
        return finish([], "optimal", math.inf, "mip")
    lb = out.bound if out.status == "optimal" or math.isfinite(out.bound) else -math.inf
    if bounds is not None:
        lb = max(lb, bounds.lower)
    if out.status == "optimal":
        return finish(plan, "optimal", out.objective, "mip")
    cand = [p for p in (plan if out.x is not None else None, start) if p is not None]
    vals = [_plan_value(c, model, p, sources, sinks) for p in cand]
    best = cand[int(np.argmin(vals))] if cand else []
    return finish(best, "time_limit", max(lb, 0.0), "mip")


def _plan_value(c: CompiledNetwork, model: AttackModel, plan: Sequence[int],
                sources: Sequence[str], sinks: Sequence[str]) -> float:
    return max_flow(c, list(sources), list(sinks), removed=model.arcs(plan)).value


def _greedy_flow(c: CompiledNetwork, model: AttackModel, s_v: np.ndarray, t_v: np.ndarray, *,
                 deadline: float) -> list[int]:
    """Greedy heuristic: repeatedly remove the element on the current min cut that lowers
    the max flow most. O(k · |cut elements|) max flows; no guarantee."""
    plan: list[int] = []
    cap = c.capacity.copy()
    while time.perf_counter() < deadline:
        cur, side = _cut(c.n_vertices, c.tail, c.head, cap, s_v, t_v)
        if cur == 0:
            break
        cut = side[c.tail] & ~side[c.head] & (cap > 0)
        cand = [int(e) for e in np.unique(model.pair_elem[cut[model.pair_arc]])
                if int(e) not in plan and model.feasible([*plan, int(e)])]
        best, best_v = -1, cur
        for e in cand:
            c2 = cap.copy()
            c2[model.arcs([e])] = 0.0
            v = _cut(c.n_vertices, c.tail, c.head, c2, s_v, t_v)[0]
            if v < best_v:
                best, best_v = e, v
        if best < 0:
            break
        plan.append(best)
        cap[model.arcs([best])] = 0.0
    return plan


# -- shortest-path interdiction ---------------------------------------------------------------
def _distances(n_v: int, tail: np.ndarray, head: np.ndarray, w: np.ndarray,
               src: int) -> np.ndarray:
    """Dijkstra distances from ``src`` over arrays (parallel arcs reduced to the lightest)."""
    order = np.lexsort((w, head, tail))
    t, h, ww = tail[order], head[order], w[order]
    first = np.ones(len(t), dtype=bool)
    first[1:] = (t[1:] != t[:-1]) | (h[1:] != h[:-1])
    t, h, ww = t[first], h[first], ww[first]
    indptr = np.zeros(n_v + 1, dtype=np.int64)
    np.add.at(indptr, t + 1, 1)
    np.cumsum(indptr, out=indptr)
    g = sp.csr_matrix((ww, h, indptr), shape=(n_v, n_v))
    return np.asarray(dijkstra(g, directed=True, indices=src))


def _reach(n_v: int, tail: np.ndarray, head: np.ndarray, src: int) -> np.ndarray:
    g = sp.csr_matrix((np.ones(len(tail)), (tail, head)), shape=(n_v, n_v))
    mask = np.zeros(n_v, dtype=bool)
    mask[breadth_first_order(g, src, directed=True, return_predecessors=False)] = True
    return mask


def _sp_mip(n_v: int, tail: np.ndarray, head: np.ndarray, w: np.ndarray, model: AttackModel,
            s: int, t: int, upper: float, lower_v: np.ndarray, *, time_limit: float,
            start_plan: Sequence[int] | None) -> tuple[_MipOut, list[int]]:
    """Dualised shortest-path interdiction MIP (Israeli & Wood 2002) with potentials capped.

    max π_t  s.t.  π_v − π_u − M_a Σ_{E ∋ a} γ_E ≤ w_a (arcs a = (u, v)), π_s = 0,
    min(d₀(v), U) ≤ π_v ≤ U, Σ γ_E ≤ k, Σ cost_E γ_E ≤ budget, γ binary, where
    M_a = U − min(d₀(u), U) − w_a. Exact whenever U ≥ the optimum (the caller checks).
    """
    m = len(tail)
    att = np.flatnonzero(model.attackable)
    n_g = len(att)
    gcol = np.full(len(model.ids), -1, dtype=np.int64)
    gcol[att] = n_v + np.arange(n_g)
    n_col = n_v + n_g
    big_m = np.maximum(0.0, upper - lower_v[tail] - w)
    pm = (gcol[model.pair_elem] >= 0) & (big_m[model.pair_arc] > 0)
    ar = np.arange(m)
    rows = [ar, ar, model.pair_arc[pm]]
    cols = [head, tail, gcol[model.pair_elem[pm]]]
    vals = [np.ones(m), -np.ones(m), -big_m[model.pair_arc[pm]]]
    n_row = m
    hi_extra: list[float] = []
    if model.k is not None and model.k < n_g:
        rows.append(np.full(n_g, n_row))
        cols.append(gcol[att])
        vals.append(np.ones(n_g))
        hi_extra.append(float(model.k))
        n_row += 1
    if float(model.cost[att].sum()) > model.budget + 1e-9:
        rows.append(np.full(n_g, n_row))
        cols.append(gcol[att])
        vals.append(model.cost[att])
        hi_extra.append(model.budget)
        n_row += 1
    A = sp.coo_matrix((np.concatenate(vals), (np.concatenate(rows), np.concatenate(cols))),
                      shape=(n_row, n_col))
    row_lo = np.full(n_row, -np.inf)
    row_hi = np.concatenate([w, hi_extra])
    col_lo = np.concatenate([np.minimum(lower_v, upper), np.zeros(n_g)])
    col_hi = np.concatenate([np.full(n_v, upper), np.ones(n_g)])
    col_lo[s] = col_hi[s] = 0.0
    obj = np.zeros(n_col)
    obj[t] = 1.0
    integer = np.concatenate([np.zeros(n_v, dtype=bool), np.ones(n_g, dtype=bool)])
    start = None
    if start_plan is not None:
        covered = np.zeros(m, dtype=bool)
        covered[model.arcs(list(start_plan))] = True
        d = _distances(n_v, tail, head, w + np.where(covered, big_m, 0.0), s)
        start = np.zeros(n_col)
        start[:n_v] = np.minimum(d, upper)
        start[gcol[np.asarray(list(start_plan), dtype=np.int64)]] = 1.0
    out = _solve_mip(obj, A, row_lo, row_hi, col_lo, col_hi, integer, maximise=True,
                     time_limit=time_limit, start=start)
    plan = [] if out.x is None else [int(e) for e in att if out.x[gcol[e]] > 0.5]
    return out, plan


def _min_disconnect(c: CompiledNetwork, model: AttackModel, s_v: np.ndarray, t_v: np.ndarray,
                    *, deadline: float) -> list[int] | None:
    """A feasible plan that separates ``s_v`` from ``t_v``, or None if none exists (exact).

    Links and nodes with one effective constraint: a min cut with capacity ``cost`` (1 for
    unit costs) on attackable elements, ``inf`` elsewhere (Menger; O(one max flow)). Otherwise
    Wood's MIP with unit capacities (value 0 iff disconnectable).
    """
    ones = np.ones(c.n_arcs)
    form = _arc_form(c, model.kind, s_v, t_v, ones)
    single = model.unit_cost or model.k is None or model.k >= int(model.attackable.sum())
    if form is not None and single:
        att = (form.elem >= 0) & model.attackable[np.maximum(form.elem, 0)]
        w = model.cost[np.maximum(form.elem, 0)]
        cap = np.where(att, w if not model.unit_cost else 1.0, np.inf)
        val, side = _cut(form.n_v, form.tail, form.head, cap, form.s_v, form.t_v)
        limit = model.max_count if model.unit_cost else model.budget
        if not val <= limit + 1e-9:
            return None
        cross = side[form.tail] & ~side[form.head]
        return sorted({int(e) for e in form.elem[cross]})
    out, plan = _wood_mip(c.n_vertices, c.tail, c.head, ones, model, s_v, t_v,
                          time_limit=max(deadline - time.perf_counter(), 0.5))
    if out.status == "optimal" and out.objective < 0.5:
        return plan
    if out.status != "optimal":
        raise SolverError("time limit reached while testing whether the attack can "
                          "disconnect the origin from the destination")
    return None


def _greedy_sp(n_v: int, tail: np.ndarray, head: np.ndarray, w: np.ndarray,
               model: AttackModel, s: int, t: int) -> list[int]:
    """Greedy: repeatedly remove the element on the current route that lengthens it most."""
    plan: list[int] = []
    removed = np.zeros(len(tail), dtype=bool)
    for _ in range(model.max_count):
        ww = np.where(removed, np.inf, w)
        d = _distances(n_v, tail, head, ww, s)
        # arcs on some shortest path
        tight = np.isfinite(d[tail]) & np.isclose(d[tail] + ww, d[head]) & ~removed
        best, best_v = -1, d[t]
        for e in map(int, np.unique(model.pair_elem[tight[model.pair_arc]])):
            if e in plan or not model.feasible([*plan, e]):
                continue
            r2 = removed.copy()
            r2[model.arcs([e])] = True
            v = _distances(n_v, tail, head, np.where(r2, np.inf, w), s)[t]
            if np.isfinite(v) and v > best_v:
                best, best_v = e, v
        if best < 0:
            break
        plan.append(best)
        removed[model.arcs([best])] = True
    return plan


def shortest_path_interdiction(
    c: CompiledNetwork,
    source: str,
    sink: str,
    *,
    k: int | None,
    kind: str = "link",
    budget: float | None = None,
    cost: Mapping[str, float] | None = None,
    protected: Sequence[str] = (),
    weight: str = "time_h",
    time_limit: float = 60.0,
) -> InterdictionResult:
    """The attack on at most ``k`` elements that maximises the fastest route's length.

    Parameters
    ----------
    c
        The compiled network.
    source, sink
        Node ids (the route starts at the source's in-vertex and ends at the sink's
        out-vertex, as :func:`~chokepoint.analyses.routes.fastest_route`).
    k, kind, budget, cost, protected
        As :func:`max_flow_interdiction`; the source and sink nodes may be attacked (that
        disconnects) unless protected.
    weight
        ``time_h``, ``length_km``, ``cost`` or ``hops``.
    time_limit
        Seconds for the whole call.

    Returns
    -------
    InterdictionResult
        ``status="disconnected"`` and ``value=inf`` when some feasible attack leaves no
        route (found exactly by a min cut, or by Wood's MIP for groups or mixed
        constraints); otherwise the MIP optimum, recomputed with ``fastest_route``.

    Notes
    -----
    Israeli & Wood (*Networks* 40(2), 2002) dualise the inner shortest path. Here the
    potentials are capped at a bound U, which keeps the model exact for any U ≥ optimum and
    gives arc-specific big-M values M_a = U − d₀(u) − w_a; U starts from twice the greedy
    value and doubles whenever the MIP reaches it (up to the sum of the n − 1 heaviest arcs,
    a bound on any simple path). NP-hard (Ball, Golden & Vohra 1989); the MIP stops at
    ``time_limit`` with status ``"time_limit"``.
    """
    t0 = time.perf_counter()
    deadline = t0 + time_limit
    if str(source) == str(sink):
        raise InputError(f"node {source!r} is both the source and the sink")
    model = attack_model(c, kind=kind, k=k, budget=budget, cost=cost, protected=protected)
    s_v = c.vertices([source], side="in")
    t_v = c.vertices([sink], side="out")
    intact = fastest_route(c, source, sink, weight=weight).cost
    solver: dict[str, Any] = {}

    def finish(plan: Sequence[int], status: str, ub: float, meth: str) -> InterdictionResult:
        names = model.names(sorted(plan))
        arcs = c.arcs_of(kind, names) if names else np.zeros(0, dtype=np.int64)
        value = fastest_route(c, source, sink, weight=weight, removed=arcs).cost
        ub = max(ub, value)
        if status == "optimal":
            ub = value
        solver["seconds"] = time.perf_counter() - t0
        gap = 0.0 if ub == value else ub - value
        return InterdictionResult(value, names, status, value, ub, gap, intact, meth, kind, k,
                                  model.budget, arcs, solver)

    if not math.isfinite(intact):
        return finish([], "disconnected", math.inf, "trivial")
    if not model.attackable.any():
        return finish([], "optimal", intact, "trivial")
    cut_plan = _min_disconnect(c, model, s_v, t_v, deadline=deadline)
    if cut_plan is not None:
        return finish(cut_plan, "disconnected", math.inf, "min-cut")
    w_all = c.weights(weight)
    # restrict to vertices on some s -> t walk in the intact graph
    fwd = _reach(c.n_vertices, c.tail, c.head, int(s_v[0]))
    bwd = _reach(c.n_vertices, c.head, c.tail, int(t_v[0]))
    keep = fwd[c.tail] & bwd[c.head] & fwd[c.head] & bwd[c.tail]
    arcs_kept = np.flatnonzero(keep)
    new_arc = np.full(c.n_arcs, -1, dtype=np.int64)
    new_arc[arcs_kept] = np.arange(len(arcs_kept))
    pm = new_arc[model.pair_arc] >= 0
    sub = AttackModel(model.kind, model.ids, model.pair_elem[pm], new_arc[model.pair_arc[pm]],
                      model.attackable, model.cost, model.k, model.budget)
    tail, head, w = c.tail[arcs_kept], c.head[arcs_kept], w_all[arcs_kept]
    n_v, s, t = c.n_vertices, int(s_v[0]), int(t_v[0])
    d0 = _distances(n_v, tail, head, w, s)
    heur = _greedy_sp(n_v, tail, head, w, sub, s, t)
    hv = _distances(n_v, tail, head, np.where(np.isin(np.arange(len(tail)), sub.arcs(heur)),
                                              np.inf, w), s)[t]
    n_used = int(np.unique(np.concatenate([tail, head])).size)
    cap_simple = float(np.sort(w)[::-1][: max(n_used - 1, 1)].sum())
    upper = min(cap_simple, max(_SP_CAP_FACTOR * hv, hv + 1.0))
    plan, status = heur, "time_limit"
    lb_val = hv
    ub = cap_simple
    rounds = 0
    while True:
        rounds += 1
        remaining = deadline - time.perf_counter()
        out, mplan = _sp_mip(n_v, tail, head, w, sub, s, t, upper, np.where(np.isfinite(d0),
                             d0, upper), time_limit=max(remaining, 0.5), start_plan=plan)
        if out.x is not None and out.objective >= lb_val - 1e-12:
            plan, lb_val = mplan, out.objective
        tol = 1e-7 * max(1.0, upper)
        if out.status == "optimal":
            if out.objective < upper - tol or upper >= cap_simple:
                status, ub = "optimal", out.objective
                break
            upper = min(cap_simple, 2.0 * upper)
            continue
        # time limit: the dual bound is valid only below the cap
        ub = out.bound if out.bound < upper - tol else cap_simple
        break
    solver.update(solver="HiGHS", mip_rounds=rounds, potential_cap=float(upper),
                  mip_nodes=out.nodes, mip_dual_bound=out.bound)
    return finish(plan, status, ub, "mip")
