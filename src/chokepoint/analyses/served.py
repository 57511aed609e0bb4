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

import numpy as np
import pandas as pd

from chokepoint.analyses._arcs import effective_capacity
from chokepoint.analyses._flowlp import build_flow_lp, capacity_rows
from chokepoint.analyses._lexsolve import LexLP
from chokepoint.compiled import CompiledNetwork
from chokepoint.errors import InputError, SolverError
from chokepoint.scenario import Demand

__all__ = ["ServedDemandResult", "capacity_rows", "served_demand"]


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
    """
    if not demands:
        raise InputError("no demands: add [[commodities]] or [[background]] to the scenario")
    K, m = len(demands), c.n_arcs
    cap = effective_capacity(c, removed=removed, factor=factor)
    rate = np.array([d.rate for d in demands], dtype=float)
    prio = np.array([d.priority for d in demands], dtype=float)
    lp = build_flow_lp(c, demands, cap, removed=removed)
    lex = LexLP(lp)
    res = lex.solve(-lp.obj)
    best = -float(res.fun)
    row_of, n_rows = lp.row_of_arc, lp.cap_value.shape[1]
    row_cap = lp.cap_value[0]
    finite = np.isfinite(row_cap)
    shadow = np.zeros(n_rows)
    shadow[finite] = -res.ub_dual[lp.cap_row[0, finite]]
    x = np.asarray(res.x)
    served_cols = lp.served_col[0]
    if fair:
        lex.keep_at_least(lp.obj, best)
        lex.leximin(served_cols, rate)
        x = lex.x if lex.x is not None else x
    if fastest:
        w = np.nan_to_num(c.time_h if weight in ("time", "time_h") else c.weights(weight))
        c2 = np.zeros(len(lp.obj))
        c2[: lp.n_flow] = np.tile(w, lp.n_blocks) if fastest else 0.0
        # keep every commodity's served amount at its optimum: serving less is never
        # "faster" then, so the second LP cannot shave served demand
        bounds2 = lex.bounds.copy()
        if not fair:
            bounds2[served_cols, 0] = bounds2[served_cols, 1] = x[served_cols]
        with contextlib.suppress(SolverError):  # keep the stage-1/2 solution
            x = np.asarray(lex.solve(c2, bounds=bounds2).x)
    flows = lp.flows(x)[0]
    per_k = np.zeros((K, m))
    np.add.at(per_k, lp.block_demand, flows)
    served = x[served_cols]
    load = lp.resource_load(x)
    arcs = np.arange(m)
    util = np.divide(load, row_cap, out=np.zeros(n_rows), where=finite & (row_cap > 0))
    slack = np.where(finite, row_cap, 0.0) - load
    tol = 1e-6 * np.maximum(1.0, np.where(finite, row_cap, 0.0))
    binding = finite & (slack <= tol) & (row_cap > 0)
    binding |= finite & (row_cap == 0) & (shadow > 1e-9)
    first_arc = np.full(n_rows, -1, dtype=np.int64)
    first_arc[row_of[::-1]] = arcs[::-1]
    res_df = pd.DataFrame({
        "arc": first_arc,
        "link": [str(c.link_ids[c.arc_link[a]]) if c.arc_link[a] >= 0 else "" for a in first_arc],
        "node": [str(c.node_ids[c.arc_node[a]]) if c.arc_node[a] >= 0 else "" for a in first_arc],
        "shared": c.partner[first_arc] >= 0,
        "capacity": row_cap, "load": load, "utilisation": util, "shadow_price": shadow,
        "binding": binding,
    })
    dem = pd.DataFrame({
        "id": [d.id for d in demands], "kind": [d.kind for d in demands],
        "origin": [d.origin for d in demands], "destination": [d.destination for d in demands],
        "route": [" → ".join(r.stops) for r in lp.routes],
        "priority": prio, "demand": rate, "served": served,
        "unmet": np.maximum(rate - served, 0.0),
    })
    b = res_df[res_df["binding"]]
    return ServedDemandResult(
        demands=dem, flows=per_k, resources=res_df, objective=best,
        total_demand=float(rate.sum()), total_served=float(served.sum()),
        binding_links=list(dict.fromkeys(x for x in b["link"] if x)),
        binding_nodes=list(dict.fromkeys(x for x in b["node"] if x)),
    )
