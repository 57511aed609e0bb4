"""The served-demand linear programme as sparse matrices, shared by the static LP
(:mod:`chokepoint.analyses.served`), the multi-period LP (:mod:`chokepoint.analyses.multiperiod`)
and time-aware interdiction (which dualises it).

Columns, for ``P`` periods, ``B`` flow blocks (one per commodity and route leg) and ``m`` arcs:

* flow of block ``b`` on arc ``a`` in period ``p``: ``(p·B + b)·m + a`` (a rate, base unit/day);
* served rate of commodity ``k`` in period ``p``: ``n_flow + p·K + k``;
* with a backlog: backlog of ``k`` at the end of ``p`` (base-unit quantity, e.g. tonnes)
  ``n_flow + P·K + p·K + k`` and demand dropped beyond the backlog limit in ``p``
  ``n_flow + 2·P·K + p·K + k``.

Rows: flow conservation per (period, block, vertex) (equalities: the served rate leaves the
leg's start vertex and reaches its end vertex, so every leg of a commodity carries the same
amount); backlog balance per (period, commodity) (equalities:
``B_p − B_{p−1} + Δ_p·s_p + L_p = Δ_p·d``); capacity per (period, finite capacity resource)
(inequalities; a single-track link's two directions are one resource; a ``returns_empty``
commodity also loads the reverse direction). Arcs a commodity's route forbids, and removed arcs,
have upper bound 0, so the index maps stay regular. Size: P·B·m + 3·P·K columns,
P·(B·n + K + r) rows.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from chokepoint._lazy import LazyModule
from chokepoint.compiled import CompiledNetwork
from chokepoint.route_rules import CommodityRoute, commodity_route
from chokepoint.scenario import Demand

if TYPE_CHECKING:
    import scipy.sparse as sp
else:
    sp = LazyModule("scipy.sparse")

__all__ = ["FlowLP", "build_flow_lp", "capacity_rows"]


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


@dataclass
class FlowLP:
    """The served-demand LP of one or more periods (maximise ``obj @ x``).

    Attributes
    ----------
    obj
        Objective weights to maximise: ``Δ_p · priority_k`` on the served columns.
    A_ub, b_ub, A_eq, b_eq, bounds
        The constraints in ``scipy.optimize.linprog`` form (CSR matrices).
    block_demand, block_leg
        Commodity index and route leg of each flow block.
    served_col, backlog_col, lost_col
        ``(P, K)`` column indices (``backlog_col``/``lost_col`` are -1 without a backlog).
    cap_row
        ``(P, R)``: row of ``A_ub`` holding resource ``r``'s capacity in period ``p``; -1 where
        the capacity is unlimited (no row).
    cap_value
        ``(P, R)`` capacity of each resource per period (``inf`` = unlimited).
    row_of_arc
        Resource of each arc (see :func:`capacity_rows`).
    period_days
        Length of each period in days (``Δ_p``).
    routes
        The resolved route of each commodity.
    load
        One period's resource × (block, arc) load matrix (finite and unlimited resources).
    """

    obj: np.ndarray
    A_ub: sp.csr_matrix
    b_ub: np.ndarray
    A_eq: sp.csr_matrix
    b_eq: np.ndarray
    bounds: np.ndarray
    n_periods: int
    n_arcs: int
    block_demand: np.ndarray
    block_leg: np.ndarray
    served_col: np.ndarray
    backlog_col: np.ndarray
    lost_col: np.ndarray
    cap_row: np.ndarray
    cap_value: np.ndarray
    row_of_arc: np.ndarray
    period_days: np.ndarray
    routes: list[CommodityRoute]
    load: sp.csr_matrix

    def resource_load(self, x: np.ndarray, p: int = 0) -> np.ndarray:
        """Load of every capacity resource (finite or not) in period ``p``."""
        span = self.n_blocks * self.n_arcs
        return np.asarray(self.load @ x[p * span:(p + 1) * span])

    @property
    def n_blocks(self) -> int:
        """Flow blocks per period (commodity legs)."""
        return len(self.block_demand)

    @property
    def n_flow(self) -> int:
        """Number of flow columns (they come first)."""
        return self.n_periods * self.n_blocks * self.n_arcs

    def block(self, k: int, leg: int = 0) -> int:
        """Flow block of commodity ``k``'s leg ``leg``."""
        hit = np.flatnonzero((self.block_demand == k) & (self.block_leg == leg))
        if not len(hit):
            raise IndexError(f"commodity {k} has no leg {leg}")
        return int(hit[0])

    def flow_col(self, k: int, leg: int, a: int, p: int = 0) -> int:
        """Column of the flow of commodity ``k``, leg ``leg``, on arc ``a`` in period ``p``."""
        return (p * self.n_blocks + self.block(k, leg)) * self.n_arcs + a

    def flows(self, x: np.ndarray) -> np.ndarray:
        """Flow array ``(P, B, m)`` from a solution vector."""
        return x[: self.n_flow].reshape(self.n_periods, self.n_blocks, self.n_arcs)


def build_flow_lp(
    c: CompiledNetwork,
    demands: Sequence[Demand],
    cap: np.ndarray,
    *,
    period_days: np.ndarray | None = None,
    backlog_limit: np.ndarray | None = None,
    removed: np.ndarray | None = None,
) -> FlowLP:
    """Build the served-demand LP over ``P`` periods as sparse matrices.

    Parameters
    ----------
    c
        The compiled network.
    demands
        Commodities and background flows (rates in base unit per day); their route rules
        (``via``, allowed and forbidden links) are applied.
    cap
        Effective arc capacities, shape ``(m,)`` for one period or ``(P, m)``.
    period_days
        Length of each period in days (default 1 each).
    backlog_limit
        Per commodity, the largest backlog (base-unit quantity) that can be queued and served
        later; ``None``: no backlog (served ≤ demand in each period, unserved demand is lost).
    removed
        Arcs closed in every period (flow bound 0).

    Returns
    -------
    FlowLP

    Notes
    -----
    Building is vectorised (Kronecker products of the incidence matrix); O(P·B·(n + m)) time.
    """
    cap = np.atleast_2d(np.asarray(cap, dtype=float))
    P, m = cap.shape
    K, nv = len(demands), c.n_vertices
    dd = np.ones(P) if period_days is None else np.asarray(period_days, dtype=float)
    rate = np.array([d.rate for d in demands], dtype=float)
    prio = np.array([d.priority for d in demands], dtype=float)
    routes = [commodity_route(c, d) for d in demands]
    b_dem = np.array([k for k, r in enumerate(routes) for _ in r.legs], dtype=np.int64)
    b_leg = np.array([j for r in routes for j in range(len(r.legs))], dtype=np.int64)
    B = len(b_dem)
    n_flow = P * B * m
    has_bl = backlog_limit is not None
    n_col = n_flow + P * K * (3 if has_bl else 1)
    served_col = n_flow + np.arange(P * K).reshape(P, K)
    backlog_col = served_col + P * K if has_bl else np.full((P, K), -1)
    lost_col = served_col + 2 * P * K if has_bl else np.full((P, K), -1)

    # conservation: per (p, b) a copy of the incidence matrix; s enters at leg ends
    arcs = np.arange(m)
    inc = sp.csr_matrix((np.r_[np.ones(m), -np.ones(m)],
                         (np.r_[c.tail, c.head], np.r_[arcs, arcs])), shape=(nv, m))
    starts = np.array([r.leg_vertices[j][0] for r in routes for j in range(len(r.legs))])
    ends = np.array([r.leg_vertices[j][1] for r in routes for j in range(len(r.legs))])
    pb = np.arange(P * B)
    p_of, b_of = pb // B, pb % B
    s_cols = served_col[p_of, b_dem[b_of]]
    s_part = sp.csr_matrix((np.r_[-np.ones(P * B), np.ones(P * B)],
                            (np.r_[pb * nv + starts[b_of], pb * nv + ends[b_of]],
                             np.r_[s_cols, s_cols])), shape=(P * B * nv, n_col))
    A_eq = sp.hstack([sp.kron(sp.identity(P * B, format="csr"), inc, format="csr"),
                      sp.csr_matrix((P * B * nv, n_col - n_flow))], format="csr") + s_part
    b_eq = np.zeros(P * B * nv)
    if has_bl:
        A_eq, b_eq = _backlog_rows(A_eq, b_eq, served_col, backlog_col, lost_col, dd, rate)

    A_ub, b_ub, cap_row, cap_value, row_of, load = _capacity_block(c, demands, cap, b_dem,
                                                                   n_col)
    bounds = np.zeros((n_col, 2))
    bounds[:, 1] = np.inf
    if not has_bl:
        bounds[served_col.ravel(), 1] = np.tile(rate, P)
    else:
        bounds[backlog_col.ravel(), 1] = np.tile(np.asarray(backlog_limit, dtype=float), P)
    for b in range(B):
        closed = ~routes[b_dem[b]].arc_mask
        if removed is not None and len(removed):
            closed = closed.copy()
            closed[np.asarray(removed)] = True
        cols = (np.arange(P)[:, None] * B + b) * m + np.flatnonzero(closed)[None, :]
        bounds[cols.ravel(), 1] = 0.0
    obj = np.zeros(n_col)
    obj[served_col] = dd[:, None] * prio[None, :]
    return FlowLP(obj=obj, A_ub=A_ub, b_ub=b_ub, A_eq=A_eq, b_eq=b_eq, bounds=bounds,
                  n_periods=P, n_arcs=m, block_demand=b_dem, block_leg=b_leg,
                  served_col=served_col, backlog_col=backlog_col, lost_col=lost_col,
                  cap_row=cap_row, cap_value=cap_value, row_of_arc=row_of, period_days=dd,
                  routes=routes, load=load)


def _backlog_rows(A_eq: sp.csr_matrix, b_eq: np.ndarray, served: np.ndarray,
                  backlog: np.ndarray, lost: np.ndarray, dd: np.ndarray, rate: np.ndarray
                  ) -> tuple[sp.csr_matrix, np.ndarray]:
    """Append ``B_p − B_{p−1} + Δ_p s_p + L_p = Δ_p d`` per (period, commodity); B_{−1} = 0."""
    P, K = served.shape
    r = np.arange(P * K)
    p = r // K
    rows = [r, r, r]
    cols = [backlog.ravel(), served.ravel(), lost.ravel()]
    vals = [np.ones(P * K), np.repeat(dd, K), np.ones(P * K)]
    prev = r[p > 0]
    rows.append(prev)
    cols.append(backlog.ravel()[prev - K])
    vals.append(-np.ones(len(prev)))
    extra = sp.csr_matrix((np.concatenate(vals), (np.concatenate(rows), np.concatenate(cols))),
                          shape=(P * K, A_eq.shape[1]))
    return sp.vstack([A_eq, extra], format="csr"), np.r_[b_eq, np.repeat(dd, K) * np.tile(rate, P)]


def _capacity_block(c: CompiledNetwork, demands: Sequence[Demand], cap: np.ndarray,
                    b_dem: np.ndarray, n_col: int
                    ) -> tuple[sp.csr_matrix, np.ndarray, np.ndarray, np.ndarray, np.ndarray,
                               sp.csr_matrix]:
    """Capacity rows per (period, finite resource): ``Σ_blocks load ≤ capacity``."""
    P, m = cap.shape
    B = len(b_dem)
    row_of, reverse = capacity_rows(c)
    R = int(row_of.max()) + 1 if m else 0
    cap_value = np.full((P, R), np.inf)
    for p in range(P):
        np.minimum.at(cap_value[p], row_of, cap[p])
    # one period's load matrix (R x B·m), then block-diagonal over periods
    arcs = np.arange(m)
    rows, cols = [], []
    for b in range(B):
        rows.append(row_of)
        cols.append(b * m + arcs)
        if demands[int(b_dem[b])].returns_empty:
            has = reverse >= 0
            rows.append(row_of[reverse[has]])
            cols.append(b * m + arcs[has])
    r_all, c_all = np.concatenate(rows), np.concatenate(cols)
    load = sp.csr_matrix((np.ones(len(r_all)), (r_all, c_all)), shape=(R, B * m))
    finite = np.isfinite(cap_value)
    cap_row = np.full((P, R), -1, dtype=np.int64)
    cap_row[finite] = np.arange(int(finite.sum()))
    full = sp.kron(sp.identity(P, format="csr"), load, format="csr")
    keep = np.flatnonzero(finite.ravel())
    A_ub = sp.hstack([full[keep], sp.csr_matrix((len(keep), n_col - P * B * m))], format="csr")
    return A_ub, cap_value[finite], cap_row, cap_value, row_of, load
