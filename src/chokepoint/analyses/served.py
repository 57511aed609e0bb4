"""Served demand when lines are overloaded: a multi-commodity flow linear programme.

Each demand (a scenario commodity or background flow) is a commodity with its own origin,
destination, rate and priority. All commodities share the arc capacities; a single-track
two-way link's two directions share one capacity; a commodity marked ``returns_empty`` also
uses the opposite direction of every two-way link it loads (empty trains come back the same
way). The LP maximises priority-weighted served demand; a second LP, with that optimum fixed,
picks the fastest routing among the optimal ones (lexicographic optimisation), so reported
flows do not wander over idle detours.

    maximise   Σ_k w_k s_k
    subject to Σ_out x_k − Σ_in x_k = s_k·[v = o_k] − s_k·[v = d_k]   for every k, v
               Σ_k a_{k,r}·x_k ≤ cap_r                               for every capacity r
               0 ≤ s_k ≤ demand_k,  x ≥ 0

Solved with HiGHS (Huangfu & Hall, *Math. Prog. Comp.* 10, 2018) through
``scipy.optimize.linprog``. Shadow prices of the capacity rows (served demand gained per
unit of extra capacity) come from the first LP's duals. Formulation: Ahuja, Magnanti & Orlin,
*Network Flows* (1993), ch. 17. Size: K·m variables, K·n + m rows.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd
import scipy.sparse as sp
from scipy.optimize import linprog

from chokepoint.analyses._arcs import effective_capacity
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


def capacity_rows(c: CompiledNetwork) -> tuple[np.ndarray, np.ndarray]:
    """Capacity resources: the row of each arc, and the reverse arc of each two-way arc.

    Single-track two-way links give one row for both arcs; every other arc has its own row.
    Returns ``(row_of_arc, reverse_arc)`` with ``reverse_arc = -1`` for one-way arcs and
    node arcs.
    """
    m = c.n_arcs
    n_links = len(c.link_ids)
    reverse = np.full(m, -1, dtype=np.int64)
    rev_arcs = np.arange(n_links, m)[c.arc_link[n_links:] >= 0]
    fwd_arcs = c.arc_link[rev_arcs]
    reverse[rev_arcs] = fwd_arcs
    reverse[fwd_arcs] = rev_arcs
    row = np.arange(m, dtype=np.int64)
    shared = c.partner >= 0
    row[shared] = np.minimum(np.arange(m)[shared], c.partner[shared])
    _, row = np.unique(row, return_inverse=True)
    return row.astype(np.int64), reverse


def served_demand(
    c: CompiledNetwork,
    demands: list[Demand],
    *,
    removed: np.ndarray | None = None,
    factor: np.ndarray | None = None,
    weight: str = "time_h",
    fastest: bool = True,
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
        Run the second LP (set False to save time when only served totals matter).

    Returns
    -------
    ServedDemandResult
    """
    if not demands:
        raise InputError("no demands: add [[commodities]] or [[background]] to the scenario")
    K, m, nv = len(demands), c.n_arcs, c.n_vertices
    cap = effective_capacity(c, removed=removed, factor=factor)
    rate = np.array([d.rate for d in demands], dtype=float)
    prio = np.array([d.priority for d in demands], dtype=float)
    o = c.vertices([d.origin for d in demands], side="in")
    t = c.vertices([d.destination for d in demands], side="out")

    # conservation: K blocks of the vertex-arc incidence matrix, plus the s_k columns
    arcs = np.arange(m)
    B = sp.csr_matrix((np.concatenate([np.ones(m), -np.ones(m)]),
                       (np.concatenate([c.tail, c.head]), np.concatenate([arcs, arcs]))),
                      shape=(nv, m))
    s_col = sp.csr_matrix((np.concatenate([-np.ones(K), np.ones(K)]),
                           (np.concatenate([np.arange(K) * nv + o, np.arange(K) * nv + t]),
                            np.concatenate([np.arange(K), np.arange(K)]))), shape=(K * nv, K))
    A_eq = sp.hstack([sp.kron(sp.identity(K, format="csr"), B, format="csr"), s_col],
                     format="csr")
    b_eq = np.zeros(K * nv)

    # capacity rows (only finite ones)
    row_of, reverse = capacity_rows(c)
    n_rows = int(row_of.max()) + 1
    row_cap = np.full(n_rows, np.inf)
    np.minimum.at(row_cap, row_of, cap)
    rows, cols, vals = [], [], []
    for k, d in enumerate(demands):
        rows.append(row_of)
        cols.append(k * m + arcs)
        vals.append(np.ones(m))
        if d.returns_empty:
            has = reverse >= 0
            rows.append(row_of[reverse[has]])
            cols.append(k * m + arcs[has])
            vals.append(np.ones(int(has.sum())))
    A_cap = sp.csr_matrix((np.concatenate(vals), (np.concatenate(rows), np.concatenate(cols))),
                          shape=(n_rows, K * m + K))
    finite = np.isfinite(row_cap)
    A_ub = A_cap[np.flatnonzero(finite)]
    b_ub = row_cap[finite]
    bounds = np.zeros((K * m + K, 2))
    bounds[:, 1] = np.inf
    bounds[K * m:, 1] = rate
    if removed is not None and len(removed):
        for k in range(K):
            bounds[k * m + np.asarray(removed), 1] = 0.0

    c1 = np.zeros(K * m + K)
    c1[K * m:] = -prio
    res = linprog(c1, A_ub=A_ub, b_ub=b_ub, A_eq=A_eq, b_eq=b_eq, bounds=bounds, method="highs")
    if res.status != 0:
        raise SolverError(f"HiGHS could not solve the served-demand LP: {res.message}")
    best = -float(res.fun)
    shadow = np.zeros(n_rows)
    shadow[np.flatnonzero(finite)] = -np.asarray(res.ineqlin.marginals)
    x = np.asarray(res.x)
    if fastest:
        w = np.nan_to_num(c.time_h if weight in ("time", "time_h") else c.weights(weight))
        c2 = np.concatenate([np.tile(w, K), np.zeros(K)])
        # fix every commodity's served amount at its first-LP optimum: serving less is
        # never "faster" then, so the second LP cannot shave served demand
        bounds2 = bounds.copy()
        bounds2[K * m:, 0] = bounds2[K * m:, 1] = np.asarray(res.x)[K * m:]
        res2 = linprog(c2, A_ub=A_ub, b_ub=b_ub, A_eq=A_eq, b_eq=b_eq, bounds=bounds2,
                       method="highs")
        if res2.status == 0:
            x = np.asarray(res2.x)
    flows = x[: K * m].reshape(K, m)
    served = x[K * m:]
    load = A_cap @ x
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
        "priority": prio, "demand": rate, "served": served,
        "unmet": np.maximum(rate - served, 0.0),
    })
    b = res_df[res_df["binding"]]
    return ServedDemandResult(
        demands=dem, flows=flows, resources=res_df, objective=best,
        total_demand=float(rate.sum()), total_served=float(served.sum()),
        binding_links=list(dict.fromkeys(x for x in b["link"] if x)),
        binding_nodes=list(dict.fromkeys(x for x in b["node"] if x)),
    )
