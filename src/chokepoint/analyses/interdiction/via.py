"""Worst-k interdiction of a commodity that must pass ``via`` stops: exact.

A commodity whose route is a chain of legs ``origin → via₁ → … → destination`` carries ``F``
on every leg at once, the legs sharing capacity (:func:`~chokepoint.analyses.routing.
commodity_max_flow`). Write the legs as one *layered* graph — a copy of the allowed arcs per
leg, leg ``l``'s end vertex joined to leg ``l + 1``'s start by an unlimited arc — in which the
copies of an arc draw on one capacity row (single-track two-way links: one row for both
directions, :func:`~chokepoint.analyses._flowlp.capacity_rows`). ``F`` is the maximum flow of
this graph under the shared rows, an LP whose dual is

    min Σ_r c_r β_r   s.t.  α_u − α_w + β_{r(a)} ≥ 0   for every layered arc a = (u, w),
                            α_s = 0, α_t = 1, α ∈ [0, 1], β ≥ 0

(the path-tuple dual: every origin → destination tuple of leg paths has β-length ≥ 1). The
attacker's binary ``γ_E`` join every arc of element ``E`` (Wood, *Math. Comput. Modelling*
17(2), 1993): ``α_u − α_w + β_{r(a)} + Σ_{E ∋ a} γ_E ≥ 0``. For a fixed attack the LP in
(α, β) is the dual of the layered maximum flow with the attacked arcs removed (a tuple through
an attacked arc already has length ≥ 1 for free), so the MIP is exact; unlike Wood's
single-commodity model, α and β are continuous (the shared rows break total unimodularity).
Only γ is integer. Size: L·n + R + |E| columns, L·m rows.

**Travel time** (:func:`commodity_path_interdiction`): the fastest walk through the stops is
the shortest origin → destination path of the layered network of
:mod:`chokepoint.analyses._layered` (one copy of the allowed arcs per leg, joined at the
stops), where removing an element removes every copy of its arcs. Israeli & Wood's dualised
MIP (*Networks* 40(2), 2002) on that network, with the same γ on all copies, is exact: for a
fixed attack its LP is the dual of the layered shortest path. Size: L·n + |E| columns, L·m
rows.
"""

from __future__ import annotations

import math
import time
from collections.abc import Mapping, Sequence

import numpy as np
import scipy.sparse as sp

from chokepoint.analyses._arcs import effective_capacity
from chokepoint.analyses._flowlp import capacity_rows
from chokepoint.analyses._highs import solve_mip
from chokepoint.analyses._layered import layered, lift
from chokepoint.analyses.interdiction.attack import AttackModel, attack_model, budget_rows
from chokepoint.analyses.interdiction.maxflow import max_flow_interdiction
from chokepoint.analyses.interdiction.result import InterdictionResult
from chokepoint.analyses.interdiction.shortest_path import (
    disconnect_plan,
    shortest_path_interdiction,
    sp_interdiction_core,
)
from chokepoint.analyses.routing import (
    commodity_fastest_route,
    commodity_max_flow,
    commodity_network,
    commodity_route,
    route_removed,
    via_implied,
)
from chokepoint.compiled import CompiledNetwork
from chokepoint.scenario import Demand

__all__ = ["commodity_interdiction", "commodity_path_interdiction"]


def commodity_interdiction(
    c: CompiledNetwork,
    demand: Demand,
    *,
    k: int | None,
    kind: str = "link",
    budget: float | None = None,
    cost: Mapping[str, float] | None = None,
    protected: Sequence[str] = (),
    time_limit: float = 60.0,
) -> InterdictionResult:
    """The attack on at most ``k`` elements that minimises ``demand``'s throughput along its
    route rules (via stops included), exactly.

    Where the link rules force the via stops this is
    :func:`~chokepoint.analyses.interdiction.max_flow_interdiction` on
    :func:`~chokepoint.analyses.routing.commodity_network`; otherwise the layered MIP of the
    module docstring (method ``"mip-legs"``). Parameters as ``max_flow_interdiction``.

    Returns
    -------
    InterdictionResult
        ``value`` and ``intact_value`` are :func:`~chokepoint.analyses.routing.
        commodity_max_flow` values, recomputed for the plan.
    """
    if via_implied(c, demand):
        return max_flow_interdiction(commodity_network(c, demand), [demand.origin],
                                     [demand.destination], k=k, kind=kind, budget=budget,
                                     cost=cost, protected=protected, time_limit=time_limit)
    t0 = time.perf_counter()
    model = attack_model(c, kind=kind, k=k, budget=budget, cost=cost, protected=protected)
    intact = commodity_max_flow(c, demand).value
    solver: dict[str, object] = {"method": "mip-legs"}

    def finish(plan: Sequence[int], status: str, lb: float) -> InterdictionResult:
        names = model.names(sorted(plan))
        arcs = c.arcs_of(kind, names) if names else np.zeros(0, dtype=np.int64)
        value = commodity_max_flow(c, demand, removed=arcs).value
        if status == "optimal" or value - lb <= 1e-6 * max(1.0, abs(value)):
            status, lb = "optimal", value
        solver["seconds"] = time.perf_counter() - t0
        return InterdictionResult(value=value, removed=names, status=status, lower_bound=lb,
                                  upper_bound=value, gap=value - lb, intact_value=intact,
                                  method="mip-legs", kind=kind, k=k, budget=model.budget,
                                  removed_arcs=arcs, solver=solver)

    if not model.attackable.any() or intact == 0:
        return finish([], "optimal", intact)
    A, row_lo, row_hi, obj, gcol, att = _layered_mip(c, demand, model)
    n_col = len(obj)
    col_lo, col_hi = np.zeros(n_col), np.ones(n_col)  # α ∈ [0, 1], β ∈ [0, 1] suffice
    s_col, t_col = _terminal_cols(c, demand)
    col_hi[s_col] = 0.0
    col_lo[t_col] = 1.0
    integer = np.zeros(n_col, dtype=bool)
    integer[gcol[att]] = True
    out = solve_mip(obj, A, row_lo, row_hi, col_lo, col_hi, integer, maximise=False,
                    time_limit=max(time_limit - (time.perf_counter() - t0), 0.5))
    solver.update(mip_status=out.status, mip_nodes=out.nodes, mip_seconds=out.seconds)
    if out.status == "infeasible":  # every attack leaves an unlimited tuple of paths
        return finish([], "optimal", math.inf)
    plan = [] if out.x is None else [int(e) for e in att if out.x[gcol[e]] > 0.5]
    lb = out.objective if out.status == "optimal" else (
        out.bound if math.isfinite(out.bound) else 0.0)
    return finish(plan, out.status, max(lb, 0.0))


def commodity_path_interdiction(
    c: CompiledNetwork,
    demand: Demand,
    *,
    k: int | None,
    kind: str = "link",
    budget: float | None = None,
    cost: Mapping[str, float] | None = None,
    protected: Sequence[str] = (),
    weight: str = "time_h",
    time_limit: float = 60.0,
) -> InterdictionResult:
    """The attack on at most ``k`` elements that lengthens ``demand``'s fastest route along its
    route rules (through its via stops in order) most, exactly.

    Where the link rules force the via stops this is
    :func:`~chokepoint.analyses.interdiction.shortest_path_interdiction` on
    :func:`~chokepoint.analyses.routing.commodity_network`; otherwise Israeli & Wood's MIP on
    the layered network (module docstring; method ``"mip-legs"``), after an exact test (Wood's
    MIP with unit capacities on the layered network) of whether the attack can leave no walk
    through the stops (status ``"disconnected"``, value ``inf``). Parameters as
    ``shortest_path_interdiction``.

    Returns
    -------
    InterdictionResult
        ``value`` and ``intact_value`` are
        :func:`~chokepoint.analyses.routing.commodity_fastest_route` costs, recomputed for the
        plan. NP-hard (Ball, Golden & Vohra 1989); stops at ``time_limit`` with status
        ``"time_limit"`` and its bounds.
    """
    if via_implied(c, demand):
        return shortest_path_interdiction(commodity_network(c, demand), demand.origin,
                                          demand.destination, k=k, kind=kind, budget=budget,
                                          cost=cost, protected=protected, weight=weight,
                                          time_limit=time_limit)
    t0 = time.perf_counter()
    deadline = t0 + time_limit
    model = attack_model(c, kind=kind, k=k, budget=budget, cost=cost, protected=protected)
    intact = commodity_fastest_route(c, demand, weight=weight).cost
    solver: dict[str, object] = {"method": "mip-legs"}

    def finish(plan: Sequence[int], status: str, ub: float) -> InterdictionResult:
        names = model.names(sorted(plan))
        arcs = c.arcs_of(kind, names) if names else np.zeros(0, dtype=np.int64)
        value = commodity_fastest_route(c, demand, weight=weight, removed=arcs).cost
        ub = value if status in ("optimal", "disconnected") else max(ub, value)
        solver["seconds"] = time.perf_counter() - t0
        return InterdictionResult(value=value, removed=names, status=status, lower_bound=value,
                                  upper_bound=ub, gap=0.0 if ub == value else ub - value,
                                  intact_value=intact, method="mip-legs", kind=kind, k=k,
                                  budget=model.budget, removed_arcs=arcs, solver=solver)

    if not math.isfinite(intact):
        return finish([], "disconnected", math.inf)
    if not model.attackable.any():
        return finish([], "optimal", intact)
    lay = layered(c, demand)
    lm = lift(model, lay)
    s_v, t_v = np.array([lay.source]), np.array([lay.target])
    cut = disconnect_plan(lay.n_vertices, lay.tail, lay.head, lm, s_v, t_v, deadline=deadline)
    if cut is not None:
        return finish(cut, "disconnected", math.inf)
    w = lay.values(c.weights(weight), joint=0.0)
    plan, status, ub = sp_interdiction_core(lay.n_vertices, lay.tail, lay.head, w, lm,
                                            lay.source, lay.target, deadline=deadline,
                                            solver=solver)
    return finish(plan, status, ub)


def _terminal_cols(c: CompiledNetwork, demand: Demand) -> tuple[int, int]:
    """Columns of α at the origin (first layer) and the destination (last layer)."""
    route = commodity_route(c, demand)
    n_layers = len(route.leg_vertices)
    s = route.leg_vertices[0][0]
    t = route.leg_vertices[-1][1] + (n_layers - 1) * c.n_vertices
    return int(s), int(t)


def _layered_mip(c: CompiledNetwork, demand: Demand, model: AttackModel
                 ) -> tuple[sp.csr_matrix, np.ndarray, np.ndarray, np.ndarray, np.ndarray,
                            np.ndarray]:
    """The rows and objective of the layered MIP (module docstring).

    Columns: α per layered vertex (L·n), β per finite capacity row used, γ per attackable
    element. Returns ``(A, row_lo, row_hi, obj, gcol, att)``.
    """
    route = commodity_route(c, demand)
    cap = effective_capacity(c, removed=route_removed(route))
    row_of_arc, _ = capacity_rows(c)
    live = np.flatnonzero(cap > 0)
    n_v, n_layers = c.n_vertices, len(route.leg_vertices)
    fin = live[np.isfinite(cap[live])]
    res = np.unique(row_of_arc[fin])
    beta_col = np.full(int(row_of_arc.max()) + 1 if len(row_of_arc) else 0, -1, dtype=np.int64)
    beta_col[res] = n_layers * n_v + np.arange(len(res))
    res_cap = np.zeros(len(res))
    np.maximum.at(res_cap, np.searchsorted(res, row_of_arc[fin]), cap[fin])
    att = np.flatnonzero(model.attackable)
    gcol = np.full(len(model.ids), -1, dtype=np.int64)
    gcol[att] = n_layers * n_v + len(res) + np.arange(len(att))
    n_col = n_layers * n_v + len(res) + len(att)
    # one row per (layer, live arc), then the layer joints, then the attacker's budget rows
    row_arc = {int(a): i for i, a in enumerate(live)}
    pm = np.isin(model.pair_arc, live) & (gcol[model.pair_elem] >= 0)
    p_row = np.array([row_arc[int(a)] for a in model.pair_arc[pm]], dtype=np.int64)
    rows, cols, vals = [], [], []
    n_live = len(live)
    for lay in range(n_layers):
        r0, off = lay * n_live, lay * n_v
        r = r0 + np.arange(n_live)
        rows += [r, r]
        cols += [c.tail[live] + off, c.head[live] + off]
        vals += [np.ones(n_live), -np.ones(n_live)]
        has_b = np.isfinite(cap[live])
        rows.append(r[has_b])
        cols.append(beta_col[row_of_arc[live[has_b]]])
        vals.append(np.ones(int(has_b.sum())))
        rows.append(r0 + p_row)
        cols.append(gcol[model.pair_elem[pm]])
        vals.append(np.ones(len(p_row)))
    first = n_layers * n_live
    joints = np.arange(n_layers - 1)
    ends = np.array([route.leg_vertices[j][1] for j in joints], dtype=np.int64)
    starts = np.array([route.leg_vertices[j + 1][0] for j in joints], dtype=np.int64)
    rows += [first + joints, first + joints]
    cols += [ends + joints * n_v, starts + (joints + 1) * n_v]
    vals += [np.ones(len(joints)), -np.ones(len(joints))]
    lim = budget_rows(model, att, gcol[att], first_row=first + len(joints))
    n_row = first + len(joints) + lim.n_rows
    A = sp.coo_matrix((np.concatenate([*vals, lim.vals]),
                       (np.concatenate([*rows, lim.rows]), np.concatenate([*cols, lim.cols]))),
                      shape=(n_row, n_col)).tocsr()
    row_lo = np.concatenate([np.zeros(first + len(joints)), np.full(lim.n_rows, -np.inf)])
    row_hi = np.concatenate([np.full(first + len(joints), np.inf), lim.upper])
    obj = np.zeros(n_col)
    obj[n_layers * n_v: n_layers * n_v + len(res)] = res_cap
    return A, row_lo, row_hi, obj, gcol, att
