"""Served demand when lines are overloaded: a multi-commodity flow linear programme.

Each demand (a scenario commodity or background flow) is a commodity with its own origin,
destination, rate and priority. All commodities share the arc capacities; a single-track
two-way link's two directions share one capacity; a commodity marked ``returns_empty`` also
uses the opposite direction of every two-way link it loads (empty trains come back the same
way). A commodity's route rules apply (:mod:`chokepoint.route_rules`): forbidden arcs carry
none of it, and a route with ``via`` nodes is a chain of legs that each carry the whole served
amount and share arc capacity (exact). The LP maximises priority-weighted served demand; with
that optimum kept, the **rationing rule** shares what is left max-min fairly: the smallest
served fraction ``s_k / demand_k`` is raised as far as it goes, those demands are fixed, and so
on (lexicographic max-min fairness; Bertsekas & Gallager, *Data Networks*, 1992, §6.5.2).
Served amounts are therefore unique and do not depend on the order of the input. A last LP,
with the served amounts fixed, picks the fastest routing among the optimal ones, so reported
flows do not wander over idle detours (flows of equally fast alternatives may still tie).

    maximise   Σ_k w_k s_k
    subject to Σ_out x_k − Σ_in x_k = s_k·[v = o_k] − s_k·[v = d_k]   for every k, v
               Σ_k a_{k,r}·x_k ≤ cap_r                               for every capacity r
               0 ≤ s_k ≤ demand_k,  x ≥ 0

Solved with HiGHS (Huangfu & Hall, *Math. Prog. Comp.* 10, 2018) through
``scipy.optimize.linprog``. Shadow prices of the capacity rows (served demand gained per
unit of extra capacity) come from the first LP's duals. Formulation: Ahuja, Magnanti & Orlin,
*Network Flows* (1993), ch. 17. Size: B·m variables (B = commodity legs), B·n + m rows; the
rationing stage solves one LP per distinct fairness level (plus one per undecided demand when
the duals are degenerate). The sparse builder is shared with the multi-period LP
(:mod:`chokepoint.analyses._flowlp`).
"""

from __future__ import annotations

import contextlib
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import numpy as np

from chokepoint._lazy import LazyModule
from chokepoint.analyses._arcs import effective_capacity
from chokepoint.analyses._flowlp import build_flow_lp, capacity_rows
from chokepoint.analyses._lexsolve import LexLP
from chokepoint.compiled import CompiledNetwork
from chokepoint.errors import InputError, SolverError
from chokepoint.scenario import Demand

if TYPE_CHECKING:
    import highspy
    import pandas as pd
else:
    pd = LazyModule("pandas")
    highspy = LazyModule("highspy")

__all__ = ["ServedDemandModel", "ServedDemandResult", "ServedSolution", "capacity_rows",
           "served_amounts", "served_demand"]


@dataclass
class ServedDemandResult:
    """Served and unmet demand per commodity, flows, and where capacity binds.

    Attributes
    ----------
    demands
        Per demand: id, kind, origin, destination, priority, demand, served, unmet (base unit).
    flows
        Commodity × arc flow matrix (K × m).
    resources
        Per capacity row: the arcs it covers, capacity, load, utilisation, shadow price and
        whether it binds.
    total_demand, total_served
        Sums over demands.
    """

    demands: pd.DataFrame
    flows: np.ndarray
    resources: pd.DataFrame
    objective: float
    total_demand: float = 0.0
    total_served: float = 0.0
    binding_links: list[str] = field(default_factory=list)
    binding_nodes: list[str] = field(default_factory=list)

    @property
    def total_unmet(self) -> float:
        """Demand not served."""
        return self.total_demand - self.total_served

    @property
    def arc_load(self) -> np.ndarray:
        """Total flow per arc over all commodities."""
        return self.flows.sum(axis=0)


def served_demand(
    c: CompiledNetwork,
    demands: list[Demand],
    *,
    removed: np.ndarray | None = None,
    factor: np.ndarray | None = None,
    weight: str = "time_h",
    fastest: bool = True,
    fair: bool = True,
) -> ServedDemandResult:
    """Maximise priority-weighted served demand with all commodities sharing capacity.

    Parameters
    ----------
    c
        The compiled network.
    demands
        Commodities and background flows (rates in the base unit).
    removed, factor
        Failed arcs and capacity multipliers.
    weight
        Arc cost for the second (fastest-routing) LP; missing values count as 0.
    fastest
        Run the fastest-routing LP (set False to save time when only served totals matter).
    fair
        Ration equal-priority demand by the max-min fair rule (see the module docstring);
        False returns whichever optimal vertex HiGHS finds (faster, not unique).

    Returns
    -------
    ServedDemandResult

    See Also
    --------
    ServedDemandModel : the same LP built once and re-solved for many closures.
    """
    model = ServedDemandModel(c, demands, factor=factor, weight=weight, warm=False)
    return model.result(model.solve(removed, fastest=fastest, fair=fair))


def served_amounts(c: CompiledNetwork, demands: list[Demand], *,
                   removed: np.ndarray | None = None, fair: bool = True) -> np.ndarray:
    """Only the served rate per demand of :func:`served_demand` with ``fastest=False``:
    the same LPs on a fresh model, without building the result's tables (for callers that
    solve it many times and read nothing else, such as the criticality ranking).

    Parameters
    ----------
    c, demands, removed, fair
        As for :func:`served_demand`.

    Returns
    -------
    numpy.ndarray
        Served rate per demand (base unit), in the order of ``demands``.
    """
    model = ServedDemandModel(c, demands, warm=False)
    return model.solve(removed, fastest=False, fair=fair).served


@dataclass
class ServedSolution:
    """One solve of a :class:`ServedDemandModel`, as arrays.

    Attributes
    ----------
    x
        The LP solution (model columns).
    objective
        Priority-weighted served demand (the first LP's optimum).
    served
        Served rate per demand (base unit).
    load, capacity, shadow, binding
        Per capacity resource: load, capacity (0 where removed, ``inf`` unlimited), shadow
        price (served demand gained per unit of capacity) and whether it binds.
    arc_load
        Total flow per arc over all commodities.
    """

    x: np.ndarray
    objective: float
    served: np.ndarray
    load: np.ndarray
    capacity: np.ndarray
    shadow: np.ndarray
    binding: np.ndarray
    arc_load: np.ndarray

    @property
    def total_served(self) -> float:
        """Served rate summed over demands."""
        return float(self.served.sum())


class ServedDemandModel:
    """The served-demand LP of one network and demand set, built once, solved many times.

    :meth:`solve` answers :func:`served_demand` for any set of removed arcs by changing
    column and row bounds of one HiGHS model in place (removed arcs' flows bounded at 0,
    their capacity rows at 0) instead of building the LP again; with ``warm=True`` every
    solve warm-starts the dual simplex from the previous basis. The rows that the rationing
    stages add are deleted after each solve, so solves are independent of one another (the
    served amounts are unique; flows may be another optimal vertex). Not thread-safe: use one
    model per thread.

    Parameters
    ----------
    c, demands, factor, weight
        As for :func:`served_demand` (``factor`` applies to every solve).
    warm
        Keep the basis between solves (presolve off after the first).

    Notes
    -----
    Building costs O(B·(n + m)) once; a solve costs the LPs of :func:`served_demand`
    (one, plus one per fairness level, plus one per undecided demand when duals are
    degenerate), each warm-started.
    """

    def __init__(self, c: CompiledNetwork, demands: list[Demand], *,
                 factor: np.ndarray | None = None, weight: str = "time_h",
                 warm: bool = True) -> None:
        if not demands:
            raise InputError("no demands: add [[commodities]] or [[background]] to the scenario")
        self.c, self.demands, self.weight = c, list(demands), weight
        self.cap = effective_capacity(c, factor=factor)
        self.lp = lp = build_flow_lp(c, self.demands, self.cap)
        self.lex = LexLP(lp, warm=warm)
        self.rows = self.lex.h.getNumRow()
        self.bounds = lp.bounds.copy()
        self.finite = np.isfinite(lp.cap_value[0])
        self.rate = np.array([d.rate for d in self.demands], dtype=float)
        self.solves = 0

    def _closure_bounds(self, removed: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Column bounds and resource capacities with ``removed`` arcs closed."""
        lp, m = self.lp, self.lp.n_arcs
        bounds = self.bounds.copy()
        cap = self.cap.copy()
        if len(removed):
            cap[removed] = 0.0
            cols = (np.arange(lp.n_blocks)[:, None] * m + removed[None, :]).ravel()
            bounds[cols, 1] = 0.0
        row_cap = np.full(lp.cap_value.shape[1], np.inf)
        np.minimum.at(row_cap, lp.row_of_arc, cap)
        return bounds, row_cap

    def _close(self, removed: np.ndarray | None, served: np.ndarray | None = None
               ) -> np.ndarray:
        """Set the model's bounds for ``removed`` arcs closed (and each demand served at
        least ``served``, to a relative 1e-9, when given); returns the resource capacities."""
        lex, h = self.lex, self.lex.h
        gone = np.unique(np.asarray(removed if removed is not None else [], dtype=np.int64))
        bounds, row_cap = self._closure_bounds(gone)
        if served is not None:
            cols = self.lp.served_col[0]
            floor = np.maximum(np.asarray(served, dtype=float) * (1 - 1e-9) - 1e-9, 0.0)
            bounds[cols, 0] = np.minimum(floor, bounds[cols, 1])
        lex.bounds, lex.x = bounds, None
        lex._set_bounds(bounds)
        n_ub = lex.n_ub
        h.changeRowsBounds(n_ub, np.arange(n_ub, dtype=np.int32), np.full(n_ub, -highspy.kHighsInf),
                           row_cap[self.finite].astype(float))
        return row_cap

    def solve_keeping(self, removed: np.ndarray, served: np.ndarray, binding: np.ndarray
                      ) -> ServedSolution | None:
        """Served demand with ``removed`` arcs closed when it is ``served``, the answer
        (:meth:`solve`) for a subset of them, with that answer's ``binding`` resources;
        None when ``served`` is out of reach with ``removed`` closed.

        Closing more arcs only shrinks the feasible set, so an optimum of the larger set
        that stays feasible is optimal, and the max-min fair served amounts are unique: if
        one zero-cost LP finds flows serving ``served`` with ``removed`` closed, they are
        the answer, without the rationing stages (one HiGHS run instead of about six).
        Binding are the resources at capacity in those flows and the closed ones that
        bound the subset's answer (a newly closed resource cannot bind: reopening it
        serves no more); shadow prices are not computed (zeros).
        """
        row_cap = self._close(removed, served)
        try:
            x = self.lex.feasible()
        finally:
            self.solves += 1
        if x is None:
            return None
        lp = self.lp
        load = lp.resource_load(x)
        finite = np.isfinite(row_cap)
        slack = np.where(finite, row_cap, 0.0) - load
        tol = 1e-6 * np.maximum(1.0, np.where(finite, row_cap, 0.0))
        bind = (finite & (slack <= tol) & (row_cap > 0)) | (binding & (row_cap == 0))
        served_cols = lp.served_col[0]
        return ServedSolution(x=x, objective=float(np.dot(lp.obj, x)), served=x[served_cols],
                              load=load, capacity=row_cap, shadow=np.zeros(len(row_cap)),
                              binding=bind, arc_load=lp.flows(x)[0].sum(axis=0))

    def solve(self, removed: np.ndarray | None = None, *, fastest: bool = False,
              fair: bool = True) -> ServedSolution:
        """Served demand with ``removed`` arcs closed (see :func:`served_demand`)."""
        h = self.lex.h
        row_cap = self._close(removed)
        try:
            return self._stages(row_cap, fastest=fastest, fair=fair)
        finally:
            extra = h.getNumRow() - self.rows
            if extra > 0:
                h.deleteRows(extra, np.arange(self.rows, self.rows + extra, dtype=np.int32))
            self.solves += 1

    def _stages(self, row_cap: np.ndarray, *, fastest: bool, fair: bool) -> ServedSolution:
        lp, lex, c = self.lp, self.lex, self.c
        res = lex.solve(-lp.obj)
        best = -float(res.fun)
        shadow = np.zeros(len(row_cap))
        shadow[self.finite] = -res.ub_dual[lp.cap_row[0, self.finite]]
        x = np.asarray(res.x)
        served_cols = lp.served_col[0]
        if fair:
            lex.keep_at_least(lp.obj, best)
            lex.leximin(served_cols, self.rate)
            x = lex.x if lex.x is not None else x
        if fastest:
            w = np.nan_to_num(c.time_h if self.weight in ("time", "time_h")
                              else c.weights(self.weight))
            c2 = np.zeros(len(lp.obj))
            c2[: lp.n_flow] = np.tile(w, lp.n_blocks)
            # keep every commodity's served amount at its optimum: serving less is never
            # "faster" then, so the second LP cannot shave served demand
            bounds2 = lex.bounds.copy()
            if not fair:
                bounds2[served_cols, 0] = bounds2[served_cols, 1] = x[served_cols]
            with contextlib.suppress(SolverError):  # keep the stage-1/2 solution
                x = np.asarray(lex.solve(c2, bounds=bounds2).x)
        load = lp.resource_load(x)
        finite = np.isfinite(row_cap)
        slack = np.where(finite, row_cap, 0.0) - load
        tol = 1e-6 * np.maximum(1.0, np.where(finite, row_cap, 0.0))
        binding = finite & (slack <= tol) & (row_cap > 0)
        binding |= finite & (row_cap == 0) & (shadow > 1e-9)
        return ServedSolution(x=x, objective=best, served=x[served_cols], load=load,
                              capacity=row_cap, shadow=shadow, binding=binding,
                              arc_load=lp.flows(x)[0].sum(axis=0))

    def result(self, sol: ServedSolution) -> ServedDemandResult:
        """The solution as a :class:`ServedDemandResult` (tables per resource and demand)."""
        c, lp, demands = self.c, self.lp, self.demands
        K, m = len(demands), c.n_arcs
        row_cap, n_rows = sol.capacity, len(sol.capacity)
        per_k = np.zeros((K, m))
        np.add.at(per_k, lp.block_demand, lp.flows(sol.x)[0])
        finite = np.isfinite(row_cap)
        util = np.divide(sol.load, row_cap, out=np.zeros(n_rows), where=finite & (row_cap > 0))
        first_arc = self.first_arc
        res_df = pd.DataFrame({
            "arc": first_arc,
            "link": [str(c.link_ids[c.arc_link[a]]) if c.arc_link[a] >= 0 else ""
                     for a in first_arc],
            "node": [str(c.node_ids[c.arc_node[a]]) if c.arc_node[a] >= 0 else ""
                     for a in first_arc],
            "shared": c.partner[first_arc] >= 0,
            "capacity": row_cap, "load": sol.load, "utilisation": util,
            "shadow_price": sol.shadow, "binding": sol.binding,
        })
        dem = pd.DataFrame({
            "id": [d.id for d in demands], "kind": [d.kind for d in demands],
            "origin": [d.origin for d in demands],
            "destination": [d.destination for d in demands],
            "route": [" → ".join(r.stops) for r in lp.routes],
            "priority": [d.priority for d in demands], "demand": self.rate,
            "served": sol.served, "unmet": np.maximum(self.rate - sol.served, 0.0),
        })
        b = res_df[res_df["binding"]]
        return ServedDemandResult(
            demands=dem, flows=per_k, resources=res_df, objective=sol.objective,
            total_demand=float(self.rate.sum()), total_served=sol.total_served,
            binding_links=list(dict.fromkeys(x for x in b["link"] if x)),
            binding_nodes=list(dict.fromkeys(x for x in b["node"] if x)),
        )

    @property
    def first_arc(self) -> np.ndarray:
        """The first arc of each capacity resource."""
        row_of = self.lp.row_of_arc
        first = np.full(self.lp.cap_value.shape[1], -1, dtype=np.int64)
        arcs = np.arange(self.c.n_arcs)
        first[row_of[::-1]] = arcs[::-1]
        return first
