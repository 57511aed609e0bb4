"""Lexicographic optimisation over a :class:`~chokepoint.analyses._flowlp.FlowLP` with HiGHS.

Each stage optimises one objective and then keeps it at its optimum (a row
``objective ≥ optimum − tolerance``) so later stages choose only among optimal solutions.
:meth:`LexLP.leximin` implements the **max-min fair rationing rule**: among the solutions
left, raise the smallest served fraction ``value_e / d_e`` as far as possible, fix the entities
that cannot go higher, and repeat with the others (progressive filling written as a sequence of
LPs; Bertsekas & Gallager, *Data Networks*, 2nd ed., 1992, §6.5.2; Radunović & Le Boudec,
"A unified framework for max-min and min-max fairness", *IEEE/ACM Trans. Netw.* 15(5), 2007).
The max-min fair vector over a convex polytope is unique, so the served amounts do not depend
on the order of the input or on which optimal vertex the solver meets.

An entity is *blocked* (fixed at the current level) when its row has a non-zero dual in the
level LP (raising it would lower the level), or, for the others, when an LP maximising it alone
cannot raise it. Cost: per round one LP plus, only when the duals do not settle it, one LP per
undecided entity; at most one round per distinct level. The model lives in one ``highspy``
instance that is modified in place (rows added, costs and bounds changed), so every stage
warm-starts from the previous basis (dual simplex).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np

from chokepoint import cancel
from chokepoint._lazy import LazyModule
from chokepoint.analyses._flowlp import FlowLP
from chokepoint.analyses._highs import new_highs
from chokepoint.errors import SolverError

if TYPE_CHECKING:
    import highspy
    import scipy.sparse as sp
else:
    highspy = LazyModule("highspy")
    sp = LazyModule("scipy.sparse")

__all__ = ["LexLP", "LexSolution"]

_REL = 1e-12  # slack kept on a fixed optimum (HiGHS tolerances cover the rest)
_INF = float("inf")  # highspy.kHighsInf (infinite bounds), without importing highspy


@dataclass
class LexSolution:
    """One solve: ``x`` (model columns), ``fun`` (minimised cost) and the duals of the
    capacity rows ``ub_dual`` (HiGHS sign: ≤ 0 for a binding ≤ row when minimising)."""

    x: np.ndarray
    fun: float
    ub_dual: np.ndarray


def _quiet_highs() -> Any:
    """A silent HiGHS instance (:func:`~chokepoint.analyses._highs.new_highs`) on one thread:
    HiGHS has one global thread pool per process, sized by the first run; every instance in
    chokepoint asks for 1 thread (as interdiction does) or later runs fail ("Not Set")."""
    h = new_highs()
    h.setOptionValue("threads", 1)
    return h


class LexLP:
    """A :class:`FlowLP` in HiGHS plus the rows that keep earlier stages optimal.

    The model has one extra last column ``t`` (the fairness level), fixed at 0 outside
    :meth:`leximin`.
    """

    def __init__(self, lp: FlowLP, *, warm: bool = False) -> None:
        self.lp = lp
        self.warm = warm
        self.n = n = len(lp.obj)
        self.bounds = lp.bounds.copy()
        self.x: np.ndarray | None = None
        self.solves = 0
        A = sp.vstack([lp.A_ub, lp.A_eq], format="csc")
        A = sp.hstack([A, sp.csc_matrix((A.shape[0], 1))], format="csc")
        self.n_ub = lp.A_ub.shape[0]
        model = highspy.HighsLp()
        model.num_col_, model.num_row_ = n + 1, A.shape[0]
        model.col_cost_ = np.zeros(n + 1)
        model.col_lower_ = np.r_[self.bounds[:, 0], 0.0]
        model.col_upper_ = np.r_[np.where(np.isinf(self.bounds[:, 1]), _INF,
                                          self.bounds[:, 1]), 0.0]
        model.row_lower_ = np.r_[np.full(self.n_ub, -_INF), lp.b_eq]
        model.row_upper_ = np.r_[lp.b_ub, lp.b_eq]
        model.a_matrix_.format_ = highspy.MatrixFormat.kColwise
        model.a_matrix_.num_col_, model.a_matrix_.num_row_ = n + 1, A.shape[0]
        model.a_matrix_.start_ = A.indptr.astype(np.int32)
        model.a_matrix_.index_ = A.indices.astype(np.int32)
        model.a_matrix_.value_ = A.data.astype(float)
        self.h = _quiet_highs()
        self.h.passModel(model)
        self._all = np.arange(n + 1, dtype=np.int32)

    # -- plain solves -----------------------------------------------------------------------
    def _run(self, cost: np.ndarray, what: str = "served-demand") -> np.ndarray:
        cancel.check()  # a cancelled computation stops between solver calls
        self.h.changeColsCost(self.n + 1, self._all, np.asarray(cost, dtype=float))
        self.h.run()
        if self.h.getModelStatus() != highspy.HighsModelStatus.kOptimal and self.warm:
            self.h.clearSolver()  # a warm start went astray: solve from scratch
            self.h.setOptionValue("presolve", "on")
            self.h.run()
        if self.warm:  # later stages warm-start the simplex from this basis
            self.h.setOptionValue("presolve", "off")
        self.solves += 1
        status = self.h.getModelStatus()
        if status != highspy.HighsModelStatus.kOptimal:
            raise SolverError(f"HiGHS could not solve the {what} LP: "
                              f"{self.h.modelStatusToString(status)}")
        return np.asarray(self.h.getSolution().col_value)

    def feasible(self) -> np.ndarray | None:
        """A point of the current feasible set (one zero-cost run, warm-started), or None
        when HiGHS does not find one in that run (infeasible, or a warm start gone astray:
        the caller then solves in full)."""
        cancel.check()
        self.h.changeColsCost(self.n + 1, self._all, np.zeros(self.n + 1))
        self.h.run()
        self.solves += 1
        if self.h.getModelStatus() != highspy.HighsModelStatus.kOptimal:
            return None
        return np.asarray(self.h.getSolution().col_value)[: self.n]

    def solve(self, cost: np.ndarray, *, bounds: np.ndarray | None = None) -> LexSolution:
        """Minimise ``cost @ x`` over the current feasible set (``bounds`` just for this
        solve)."""
        if bounds is not None:
            self._set_bounds(bounds)
        try:
            x = self._run(np.r_[cost, 0.0])
            sol = self.h.getSolution()
            return LexSolution(x=x[: self.n], fun=float(np.dot(cost, x[: self.n])),
                               ub_dual=np.asarray(sol.row_dual)[: self.n_ub])
        finally:
            if bounds is not None:
                self._set_bounds(self.bounds)

    def _set_bounds(self, b: np.ndarray) -> None:
        idx = np.arange(self.n, dtype=np.int32)
        self.h.changeColsBounds(self.n, idx, b[:, 0].astype(float),
                                np.where(np.isinf(b[:, 1]), _INF, b[:, 1]).astype(float))

    def maximise(self, weights: np.ndarray, *, rel: float = _REL) -> float:
        """Maximise ``weights @ x``, keep it optimal (to ``rel``) from now on, return the
        optimum."""
        sol = self.solve(-weights)
        self.keep_at_least(weights, -sol.fun, rel=rel)
        self.x = sol.x
        return -sol.fun

    def keep_at_least(self, weights: np.ndarray, value: float, *,
                      upper: float | None = None, rel: float = _REL) -> None:
        """Add the row ``value − tol ≤ weights @ x`` (``≤ upper + tol`` when given)."""
        nz = np.flatnonzero(weights).astype(np.int32)
        tol = rel * max(1.0, abs(value))
        hi = _INF if upper is None else upper + rel * max(1.0, abs(upper))
        self.h.addRow(value - tol, hi, len(nz), nz, np.asarray(weights, dtype=float)[nz])

    # -- max-min fairness ---------------------------------------------------------------------
    def leximin(self, cols: np.ndarray | sp.csr_matrix, denom: np.ndarray, *,
                rel: float = 1e-7) -> None:
        """Make the served fractions ``value_e / denom_e`` lexicographically max-min fair.

        ``cols`` gives each entity's value: a column index per entity, or a sparse matrix
        ``E`` (entities × columns) with value ``E @ x``. Entities with ``denom <= 0`` are
        skipped. On return each entity is kept (by a row) at its fair value (to ``rel``), and
        :attr:`x` is a solution.
        """
        denom = np.asarray(denom, dtype=float)
        if not sp.issparse(cols):  # one column per entity: the same LPs without sparse algebra
            self._leximin_columns(np.asarray(cols, dtype=np.int64), denom, rel=rel)
            return
        E = self._entities(cols)
        free = denom > 0
        while free.any():
            idx = np.flatnonzero(free)
            _, blocked, at = self._round(E[idx], denom[idx])
            for j, e in enumerate(idx):
                if blocked[j]:
                    v = float(at[j])
                    tol = rel * max(1.0, abs(v))
                    row = E[e].toarray().ravel()
                    self.h.addRow(v - tol, v + tol, int(np.count_nonzero(row)),
                                  np.flatnonzero(row).astype(np.int32), row[row != 0])
            free[idx[blocked]] = False
        self.x = self._run(np.zeros(self.n + 1), "rationing")[: self.n]

    def _leximin_columns(self, cols: np.ndarray, denom: np.ndarray, *, rel: float) -> None:
        """:meth:`leximin` where entity ``e``'s value is column ``cols[e]``: the rows, costs
        and bounds given to HiGHS are exactly those of the sparse path, built with numpy
        (a closure on the corridor: about a fifth less time)."""
        free = denom > 0
        while free.any():
            idx = np.flatnonzero(free)
            blocked, at = self._round_columns(cols[idx], denom[idx])
            for j in np.flatnonzero(blocked):
                v = float(at[j])
                tol = rel * max(1.0, abs(v))
                self.h.addRow(v - tol, v + tol, 1, np.array([cols[idx[j]]], dtype=np.int32),
                              np.ones(1))
            free[idx[blocked]] = False
        self.x = self._run(np.zeros(self.n + 1), "rationing")[: self.n]

    def _round_columns(self, cols: np.ndarray, denom: np.ndarray
                       ) -> tuple[np.ndarray, np.ndarray]:
        """:meth:`_round` for one column per entity: which are blocked, and their values."""
        h, n, k = self.h, self.n, len(cols)
        first = h.getNumRow()
        index = np.empty(2 * k, dtype=np.int32)
        index[0::2], index[1::2] = cols, n  # row e: d_e·t − x[cols_e] ≤ 0
        value = np.empty(2 * k)
        value[0::2], value[1::2] = -1.0, denom
        h.addRows(k, np.full(k, -_INF), np.zeros(k), 2 * k,
                  np.arange(0, 2 * k, 2, dtype=np.int32), index, value)
        try:
            x, t, duals = self._level(first, k)
            at = x[cols]
            blocked = np.abs(duals) > 1e-9
            if not blocked.any():  # degenerate duals: settle each entity by its own LP
                blocked = self._settle(t, denom, lambda j: _unit_cost(n + 1, cols[j]))
            return blocked, np.minimum(at, t * denom * (1 + 1e-9))
        finally:
            h.deleteRows(k, np.arange(first, first + k, dtype=np.int32))
            h.changeColBounds(n, 0.0, 0.0)

    def _level(self, first: int, k: int) -> tuple[np.ndarray, float, np.ndarray]:
        """Maximise the level ``t`` over the ``k`` level rows added from row ``first``: the
        solution, ``t`` and those rows' duals."""
        self.h.changeColBounds(self.n, 0.0, _INF)
        x = self._run(_unit_cost(self.n + 1, self.n), "rationing")
        return x, float(x[self.n]), np.asarray(self.h.getSolution().row_dual)[first:first + k]

    def _settle(self, t: float, denom: np.ndarray,
                cost_of: Callable[[int], np.ndarray]) -> np.ndarray:
        """Degenerate duals at level ``t``: each entity ``j`` is blocked unless the LP
        minimising ``cost_of(j)`` (minus its value) with the level kept raises it; all are
        blocked when none can rise numerically."""
        n = self.n
        self.h.changeColBounds(n, t * (1 - _REL), t * (1 - _REL))
        blocked = np.zeros(len(denom), dtype=bool)
        for j in range(len(denom)):
            cost = cost_of(j)
            best = -float(np.dot(cost, self._run(cost, "rationing")))
            blocked[j] = best <= t * denom[j] * (1 + 1e-7) + 1e-9
        if not blocked.any():  # numerically nothing can rise: fix all at the level
            blocked[:] = True
        return blocked

    def _entities(self, cols: np.ndarray | sp.csr_matrix) -> sp.csr_matrix:
        if sp.issparse(cols):
            return sp.csr_matrix(cols)
        cols = np.asarray(cols, dtype=np.int64)
        return sp.csr_matrix((np.ones(len(cols)), (np.arange(len(cols)), cols)),
                             shape=(len(cols), self.n))

    def _round(self, E: sp.csr_matrix, denom: np.ndarray
               ) -> tuple[float, np.ndarray, np.ndarray]:
        """One level: rows ``d_e·t − E_e x ≤ 0``, maximise ``t``; which entities are
        blocked (duals, then one LP each for the undecided), and their values."""
        h, n = self.h, self.n
        first = h.getNumRow()
        rows = sp.hstack([-E, sp.csr_matrix(denom.reshape(-1, 1))], format="csr")
        h.addRows(rows.shape[0], np.full(rows.shape[0], -_INF), np.zeros(rows.shape[0]),
                  rows.nnz, rows.indptr[:-1].astype(np.int32), rows.indices.astype(np.int32),
                  rows.data.astype(float))
        try:
            x, t, duals = self._level(first, E.shape[0])
            at = np.asarray(E @ x[:n]).ravel()
            blocked = np.abs(duals) > 1e-9
            if not blocked.any():  # degenerate duals: settle each entity by its own LP
                blocked = self._settle(t, denom,
                                       lambda j: np.r_[-E[j].toarray().ravel(), 0.0])
            return t, blocked, np.minimum(at, t * denom * (1 + 1e-9))
        finally:
            h.deleteRows(E.shape[0], np.arange(first, first + E.shape[0], dtype=np.int32))
            h.changeColBounds(n, 0.0, 0.0)


def _unit_cost(size: int, col: int) -> np.ndarray:
    """A cost vector of ``size`` with −1 at ``col`` (maximise that column)."""
    cost = np.zeros(size)
    cost[col] = -1.0
    return cost
