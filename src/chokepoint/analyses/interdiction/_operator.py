"""The operator's multi-period served-demand LP, kept loaded in HiGHS.

The LP is the shared sparse builder of the served-demand model
(:func:`chokepoint.analyses._flowlp.build_flow_lp`, the one the multi-period LP uses) over
``P`` daily periods with a backlog. An attack closes arc ``a`` in period ``p`` by setting the
upper bound of every block's flow on it to 0; only column bounds change between attacks, so
HiGHS re-solves from the previous basis.

For the decomposition, :meth:`OperatorLP.row_values` prices an optimal plan: the
priority-weighted served demand its flow carries through each (period, closable arc). Closing
a set of (period, arc) pairs costs that plan at most the sum of those values (drop every unit
of flow through a closed pair, and let the demand it served go unserved: the served rate of
its commodity falls by at most the flow dropped, and the backlog balance stays feasible by
counting the difference as dropped), which gives the cuts of :mod:`.timed`.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import highspy
import numpy as np
import scipy.sparse as sp

from chokepoint.analyses._flowlp import FlowLP, build_flow_lp
from chokepoint.analyses._highs import load_model
from chokepoint.compiled import CompiledNetwork
from chokepoint.errors import SolverError
from chokepoint.scenario import Demand

__all__ = ["OperatorLP", "build_operator"]


@dataclass(kw_only=True)
class OperatorLP:
    """The loaded LP and what the decomposition needs from it.

    Attributes
    ----------
    lp
        The served-demand LP (index maps: ``served_col``, ``backlog_col``, ...).
    closable
        Arcs that some attack can close (the columns of every closure pattern).
    weight
        Per block: priority of its commodity (× period length in :meth:`row_values`).
    highs
        The HiGHS instance (maximisation).
    """

    lp: FlowLP
    closable: np.ndarray
    weight: np.ndarray
    highs: highspy.Highs
    solves: int = 0

    @property
    def n_periods(self) -> int:
        """Number of periods P."""
        return self.lp.n_periods

    def _cols(self, closed: np.ndarray) -> np.ndarray:
        """Flow columns of every block on the (period, closable arc) pairs of a mask."""
        lp = self.lp
        p, i = np.nonzero(closed)
        B, m = lp.n_blocks, lp.n_arcs
        return ((p[:, None] * B + np.arange(B)[None, :]) * m
                + self.closable[i][:, None]).ravel().astype(np.int32)

    def solve(self, closed: np.ndarray) -> tuple[float, np.ndarray]:
        """Optimum and optimal solution under a closure pattern.

        ``closed`` is a boolean ``(P, len(closable))`` array (True = arc closed all period).
        """
        h = self.highs
        cols = self._cols(closed)
        h.changeColsBounds(len(cols), cols, np.zeros(len(cols)), np.zeros(len(cols)))
        try:
            h.run()
            self.solves += 1
            status = h.getModelStatus()
            if status != highspy.HighsModelStatus.kOptimal:
                raise SolverError("the operator's served-demand LP was not solved to "
                                  f"optimality ({h.modelStatusToString(status)})")
            value = float(h.getInfo().objective_function_value)
            x = np.asarray(h.getSolution().col_value)
        finally:
            hi = self.lp.bounds[cols, 1]
            h.changeColsBounds(len(cols), cols, self.lp.bounds[cols, 0],
                               np.where(np.isfinite(hi), hi, highspy.kHighsInf))
        return value, x

    def row_values(self, x: np.ndarray) -> np.ndarray:
        """``(P, |closable|)``: priority-weighted served demand (per period, × its length)
        that solution ``x`` carries through each closable arc."""
        f = self.lp.flows(x)[:, :, self.closable]  # (P, B, n)
        w = self.weight[None, :, None] * self.lp.period_days[:, None, None]
        return np.asarray((f.clip(min=0.0) * w).sum(axis=1))


def build_operator(c: CompiledNetwork, demands: Sequence[Demand], *, n_periods: int,
                   closable: np.ndarray, backlog_days: float | None,
                   capacity: np.ndarray | None = None) -> OperatorLP:
    """Build and load the operator's LP over ``n_periods`` daily periods.

    Parameters
    ----------
    c
        The compiled network.
    demands
        Commodities and background flows (rates per day, priorities, route rules).
    n_periods
        Daily periods (the horizon in days).
    closable
        Arcs an attack can close.
    backlog_days
        Demand not carried is queued up to this many days of demand per commodity and
        carried later; ``None``: not queued (lost at once).
    capacity
        Per-arc capacity (default the network's); ``(m,)`` or ``(P, m)``.

    Notes
    -----
    Size: the builder's P·B·m + 3·P·K columns and P·(B·n + K + r) rows.
    """
    P = int(n_periods)
    cap = np.broadcast_to(c.capacity if capacity is None else capacity, (P, c.n_arcs))
    rate = np.array([d.rate for d in demands], dtype=float)
    limit = None if backlog_days is None else rate * float(backlog_days)
    lp = build_flow_lp(c, demands, np.array(cap), period_days=np.ones(P), backlog_limit=limit)
    prio = np.array([d.priority for d in demands], dtype=float)
    A = sp.vstack([lp.A_ub, lp.A_eq], format="csc")
    row_lo = np.concatenate([np.full(lp.A_ub.shape[0], -np.inf), lp.b_eq])
    row_hi = np.concatenate([lp.b_ub, lp.b_eq])
    h = load_model(lp.obj, A, row_lo, row_hi, lp.bounds[:, 0], lp.bounds[:, 1], None,
                   maximise=True)
    return OperatorLP(lp=lp, closable=np.asarray(closable, dtype=np.int64),
                      weight=prio[lp.block_demand], highs=h)
