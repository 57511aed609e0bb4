"""Shortest-path interdiction: the attack that lengthens the fastest route most.

The dualised MIP of Israeli & Wood (*Networks* 40(2), 2002) with arc-specific big-M values
derived from a verified upper bound, after an exact min-cut test of whether the attack can
disconnect origin from destination. NP-hard (Ball, Golden & Vohra, *Oper. Res. Lett.* 8,
1989). Every plan returned is re-evaluated with
:func:`~chokepoint.analyses.routes.fastest_route`.
"""

from __future__ import annotations

import math
import time
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import scipy.sparse as sp
from scipy.sparse.csgraph import breadth_first_order, dijkstra

from chokepoint.analyses._highs import MipOut, solve_mip
from chokepoint.analyses.interdiction._cuts import arc_form, min_cut
from chokepoint.analyses.interdiction.attack import AttackModel, attack_model, budget_rows
from chokepoint.analyses.interdiction.maxflow import wood_mip
from chokepoint.analyses.interdiction.result import InterdictionResult
from chokepoint.analyses.routes import fastest_route
from chokepoint.compiled import CompiledNetwork
from chokepoint.errors import InputError, SolverError

__all__ = ["disconnect_plan", "shortest_path_interdiction", "sp_interdiction_core"]

_SP_CAP_FACTOR = 2.0  # first cap on the potentials, times the greedy value (doubled if hit)


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
            start_plan: Sequence[int] | None) -> tuple[MipOut, list[int]]:
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
    lim = budget_rows(model, att, gcol[att], first_row=m)
    n_row = m + lim.n_rows
    A = sp.coo_matrix((np.concatenate([*vals, lim.vals]),
                       (np.concatenate([*rows, lim.rows]), np.concatenate([*cols, lim.cols]))),
                      shape=(n_row, n_col))
    row_lo = np.full(n_row, -np.inf)
    row_hi = np.concatenate([w, lim.upper])
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
    out = solve_mip(obj, A, row_lo, row_hi, col_lo, col_hi, integer, maximise=True,
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
    form = arc_form(c, model.kind, s_v, t_v, ones)
    single = model.unit_cost or model.k is None or model.k >= int(model.attackable.sum())
    if form is not None and single:
        att = (form.elem >= 0) & model.attackable[np.maximum(form.elem, 0)]
        w = model.cost[np.maximum(form.elem, 0)]
        cap = np.where(att, w if not model.unit_cost else 1.0, np.inf)
        val, side = min_cut(form.n_v, form.tail, form.head, cap, form.s_v, form.t_v)
        limit = model.max_count if model.unit_cost else model.budget
        if not val <= limit + 1e-9:
            return None
        cross = side[form.tail] & ~side[form.head]
        return sorted({int(e) for e in form.elem[cross]})
    return disconnect_plan(c.n_vertices, c.tail, c.head, model, s_v, t_v, deadline=deadline)


def disconnect_plan(n_v: int, tail: np.ndarray, head: np.ndarray, model: AttackModel,
                    s_v: np.ndarray, t_v: np.ndarray, *, deadline: float) -> list[int] | None:
    """A feasible plan that separates ``s_v`` from ``t_v`` on arc arrays, or None if none
    exists: Wood's MIP with unit capacities (value 0 iff disconnectable). Exact; NP-hard in
    general, one MIP with O(n + m) columns.

    Raises
    ------
    SolverError
        When the MIP reaches the deadline undecided.
    """
    out, plan = wood_mip(n_v, tail, head, np.ones(len(tail)), model, s_v, t_v,
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
        return InterdictionResult(value=value, removed=names, status=status, lower_bound=value,
                                  upper_bound=ub, gap=gap, intact_value=intact, method=meth,
                                  kind=kind, k=k, budget=model.budget, removed_arcs=arcs,
                                  solver=solver)

    if not math.isfinite(intact):
        return finish([], "disconnected", math.inf, "trivial")
    if not model.attackable.any():
        return finish([], "optimal", intact, "trivial")
    cut_plan = _min_disconnect(c, model, s_v, t_v, deadline=deadline)
    if cut_plan is not None:
        return finish(cut_plan, "disconnected", math.inf, "min-cut")
    plan, status, ub = sp_interdiction_core(c.n_vertices, c.tail, c.head, c.weights(weight),
                                            model, int(s_v[0]), int(t_v[0]),
                                            deadline=deadline, solver=solver)
    return finish(plan, status, ub, "mip")


def sp_interdiction_core(n_v: int, tail_all: np.ndarray, head_all: np.ndarray,
                         w_all: np.ndarray, model: AttackModel, s: int, t: int, *,
                         deadline: float, solver: dict[str, Any]
                         ) -> tuple[list[int], str, float]:
    """Israeli & Wood's MIP on arc arrays (no attack may disconnect ``s`` from ``t``: the
    caller checks first), the potentials capped at a bound doubled until it no longer binds.

    Returns ``(plan, status, upper bound)``; ``solver`` receives the MIP's statistics. Arcs
    off every ``s → t`` walk are dropped first; the start is the greedy plan of
    :func:`_greedy_sp`.
    """
    fwd = _reach(n_v, tail_all, head_all, s)
    bwd = _reach(n_v, head_all, tail_all, t)
    keep = fwd[tail_all] & bwd[head_all] & fwd[head_all] & bwd[tail_all]
    arcs_kept = np.flatnonzero(keep)
    new_arc = np.full(len(tail_all), -1, dtype=np.int64)
    new_arc[arcs_kept] = np.arange(len(arcs_kept))
    pm = new_arc[model.pair_arc] >= 0
    sub = AttackModel(kind=model.kind, ids=model.ids, pair_elem=model.pair_elem[pm],
                      pair_arc=new_arc[model.pair_arc[pm]], attackable=model.attackable,
                      cost=model.cost, k=model.k, budget=model.budget)
    tail, head, w = tail_all[arcs_kept], head_all[arcs_kept], w_all[arcs_kept]
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
    return plan, status, ub
