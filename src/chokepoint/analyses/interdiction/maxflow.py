"""Max-flow interdiction: Wood's (1993) MIP, warm-started and bounded by Royset–Wood (2007).

The attacker removes up to ``k`` elements within a budget to minimise the maximum flow.
NP-hard (Wood, *Math. Comput. Modelling* 17(2), 1993); solved exactly with HiGHS under a time
limit, after the Royset & Wood (*INFORMS J. Comput.* 19(2), 2007) parametric-cut Lagrangian
bound, which is also the documented heuristic for networks too large for the MIP. Every plan
returned is re-evaluated with :func:`~chokepoint.analyses.maxflow.max_flow`.
"""

from __future__ import annotations

import math
import time
from collections.abc import Mapping, Sequence
from typing import Any

import highspy
import numpy as np
import scipy.sparse as sp

from chokepoint.analyses._arcs import terminals
from chokepoint.analyses._highs import MipOut, solve_mip
from chokepoint.analyses.interdiction._cuts import arc_form, min_cut
from chokepoint.analyses.interdiction._royset_wood import royset_wood
from chokepoint.analyses.interdiction.attack import AttackModel, attack_model, budget_rows
from chokepoint.analyses.interdiction.result import InterdictionResult
from chokepoint.analyses.maxflow import max_flow
from chokepoint.compiled import CompiledNetwork
from chokepoint.errors import InputError

__all__ = ["max_flow_interdiction", "wood_mip"]


def wood_mip(n_v: int, tail: np.ndarray, head: np.ndarray, cap: np.ndarray,
              model: AttackModel, s_v: np.ndarray, t_v: np.ndarray, *, time_limit: float,
              start_plan: Sequence[int] | None = None,
              share: np.ndarray | None = None) -> tuple[MipOut, list[int]]:
    """Wood's (1993) MIP on arrays; returns the solver output and the plan (element numbers).

    min Σ c_a β_a  s.t.  α_u − α_v + β_a + Σ_{E ∋ a} γ_E ≥ 0 (arcs a = (u, v), c_a > 0),
    α_s = 0 (sources), α_t = 1 (sinks), Σ γ_E ≤ k, Σ cost_E γ_E ≤ budget, all binary;
    β_a ≡ 0 for unlimited arcs. O(n + m) variables and rows.

    ``share`` (per arc a row id, ``-1`` for none): arcs with one row id draw on one capacity
    (their common ``cap``), as the copies of one arc in a layered network; they then share
    one ``β`` (the dual of the shared row), and α, β are continuous since shared rows break
    total unimodularity (only γ is integer). For a fixed attack the LP is the dual of the
    maximum flow under the shared rows, so the MIP stays exact
    (:mod:`chokepoint.analyses.interdiction.via`).
    """
    m = len(tail)
    att = np.flatnonzero(model.attackable)
    n_g = len(att)
    live = np.flatnonzero(cap > 0)
    fin = live[np.isfinite(cap[live])]
    col_beta = np.full(m, -1, dtype=np.int64)
    if share is None:
        n_beta = len(fin)
        col_beta[fin] = n_v + np.arange(n_beta)
    else:
        key = np.where(share[fin] >= 0, share[fin], -1 - fin)  # unshared arcs: their own row
        uniq, inv = np.unique(key, return_inverse=True)
        n_beta = len(uniq)
        col_beta[fin] = n_v + inv
    gcol = np.full(len(model.ids), -1, dtype=np.int64)
    gcol[att] = n_v + n_beta + np.arange(n_g)
    n_col = n_v + n_beta + n_g
    row_of = np.full(m, -1, dtype=np.int64)
    row_of[live] = np.arange(len(live))
    pm = (row_of[model.pair_arc] >= 0) & (gcol[model.pair_elem] >= 0)
    rows = [row_of[live], row_of[live], row_of[fin], row_of[model.pair_arc[pm]]]
    cols = [tail[live], head[live], col_beta[fin], gcol[model.pair_elem[pm]]]
    vals = [np.ones(len(live)), -np.ones(len(live)), np.ones(len(fin)), np.ones(int(pm.sum()))]
    lim = budget_rows(model, att, gcol[att], first_row=len(live))
    n_row = len(live) + lim.n_rows
    A = sp.coo_matrix((np.concatenate([*vals, lim.vals]),
                       (np.concatenate([*rows, lim.rows]), np.concatenate([*cols, lim.cols]))),
                      shape=(n_row, n_col))
    row_lo = np.concatenate([np.zeros(len(live)), np.full(lim.n_rows, -np.inf)])
    row_hi = np.concatenate([np.full(len(live), np.inf), lim.upper])
    col_lo, col_hi = np.zeros(n_col), np.ones(n_col)
    col_hi[s_v] = 0.0
    col_lo[t_v] = 1.0
    obj = np.zeros(n_col)
    obj[col_beta[fin]] = cap[fin]  # one capacity per shared row
    start = None
    if start_plan is not None:
        plan_arcs = model.arcs(list(start_plan))
        c2 = cap.copy()
        c2[plan_arcs] = 0.0
        val, side = min_cut(n_v, tail, head, c2, s_v, t_v)
        if math.isfinite(val):
            start = np.zeros(n_col)
            start[:n_v] = ~side
            cross = side[tail[fin]] & ~side[head[fin]]
            covered = np.zeros(m, dtype=bool)
            covered[plan_arcs] = True
            np.maximum.at(start, col_beta[fin], (cross & ~covered[fin]).astype(float))
            start[gcol[np.asarray(list(start_plan), dtype=np.int64)]] = 1.0
    integer = np.ones(n_col, dtype=bool)
    if share is not None:
        integer[:n_v + n_beta] = False
    out = solve_mip(obj, A, row_lo, row_hi, col_lo, col_hi, integer,
                     maximise=False, time_limit=time_limit, start=start)
    plan = [] if out.x is None else [int(e) for e in att if out.x[gcol[e]] > 0.5]
    return out, plan


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
        return InterdictionResult(value=value, removed=names, status=status, lower_bound=lb,
                                  upper_bound=value, gap=gap, intact_value=intact, method=meth,
                                  kind=kind, k=k, budget=model.budget, removed_arcs=arcs,
                                  solver=solver)

    if not model.attackable.any() or intact == 0:
        return finish([], "optimal", intact, "trivial")
    form = arc_form(c, kind, s_v, t_v, c.capacity)
    bounds = None
    if method in ("auto", "bounds"):
        if form is None:
            if method == "bounds":
                raise InputError("the bounds method needs kind link or node (a failure "
                                 "group can cut one s-t cut several times)")
        else:
            bounds = royset_wood(form, model, deadline=deadline)
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
    out, plan = wood_mip(c.n_vertices, c.tail, c.head, c.capacity, model, s_v, t_v,
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
        cur, side = min_cut(c.n_vertices, c.tail, c.head, cap, s_v, t_v)
        if cur == 0:
            break
        cut = side[c.tail] & ~side[c.head] & (cap > 0)
        cand = [int(e) for e in np.unique(model.pair_elem[cut[model.pair_arc]])
                if int(e) not in plan and model.feasible([*plan, int(e)])]
        best, best_v = -1, cur
        for e in cand:
            c2 = cap.copy()
            c2[model.arcs([e])] = 0.0
            v = min_cut(c.n_vertices, c.tail, c.head, c2, s_v, t_v)[0]
            if v < best_v:
                best, best_v = e, v
        if best < 0:
            break
        plan.append(best)
        cap[model.arcs([best])] = 0.0
    return plan
