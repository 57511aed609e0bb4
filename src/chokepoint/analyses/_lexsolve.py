"""Lexicographic optimisation over a :class:`~chokepoint.analyses._flowlp.FlowLP` with HiGHS.

Each stage optimises one objective and then keeps it at its optimum (a row
``objective ≥ optimum − tolerance``) so later stages choose only among optimal solutions.
:meth:`LexLP.leximin` implements the **max-min fair rationing rule**: among the solutions
left, raise the smallest served fraction ``x_e / d_e`` as far as possible, fix the entities
that cannot go higher, and repeat with the others (progressive filling written as a sequence of
LPs; Bertsekas & Gallager, *Data Networks*, 2nd ed., 1992, §6.5.2; Radunović & Le Boudec,
"A unified framework for max-min and min-max fairness", *IEEE/ACM Trans. Netw.* 15(5), 2007).
The max-min fair vector of a convex polytope is unique, so the served amounts do not depend on
the order of the input or on which optimal vertex the solver meets.

An entity is *blocked* (fixed at the current level) when its row has a non-zero dual in the
level LP (raising it would lower the level), or, for the others, when an LP maximising it alone
cannot raise it. Cost: per round one LP plus, only when the duals do not settle it, one LP per
undecided entity; at most one round per distinct level.
"""

from __future__ import annotations

import numpy as np
import scipy.sparse as sp
from scipy.optimize import OptimizeResult, linprog

from chokepoint.analyses._flowlp import FlowLP
from chokepoint.errors import SolverError

__all__ = ["LexLP"]

_REL = 1e-12  # slack kept on a fixed optimum (HiGHS tolerances cover the rest)


class LexLP:
    """A :class:`FlowLP` plus the rows that keep earlier stages optimal."""

    def __init__(self, lp: FlowLP) -> None:
        self.lp = lp
        self.bounds = lp.bounds.copy()
        self._rows: list[sp.csr_matrix] = []
        self._rhs: list[float] = []
        self.x: np.ndarray | None = None
        self.solves = 0

    # -- plain solves -----------------------------------------------------------------------
    def _ub_rows(self, extra: sp.csr_matrix | None = None) -> tuple[sp.csr_matrix, np.ndarray]:
        blocks = [self.lp.A_ub, *self._rows]
        rhs = [self.lp.b_ub, np.asarray(self._rhs, dtype=float)]
        A = sp.vstack(blocks, format="csr") if self._rows else self.lp.A_ub
        b = np.concatenate(rhs)
        if extra is not None:
            A = sp.vstack([A, extra], format="csr")
        return A, b

    def solve(self, cost: np.ndarray, *, bounds: np.ndarray | None = None) -> OptimizeResult:
        """Minimise ``cost @ x`` over the current feasible set."""
        A, b = self._ub_rows()
        res = linprog(cost, A_ub=A if A.shape[0] else None, b_ub=b if A.shape[0] else None,
                      A_eq=self.lp.A_eq, b_eq=self.lp.b_eq,
                      bounds=self.bounds if bounds is None else bounds, method="highs")
        self.solves += 1
        if res.status != 0:
            raise SolverError(f"HiGHS could not solve the served-demand LP: {res.message}")
        return res

    def maximise(self, weights: np.ndarray) -> float:
        """Maximise ``weights @ x``, keep it optimal from now on, return the optimum."""
        res = self.solve(-weights)
        best = -float(res.fun)
        self.keep_at_least(weights, best)
        self.x = np.asarray(res.x)
        return best

    def minimise(self, weights: np.ndarray) -> float:
        """Minimise ``weights @ x`` and keep it optimal from now on."""
        res = self.solve(weights)
        best = float(res.fun)
        self.keep_at_least(-weights, -best)
        self.x = np.asarray(res.x)
        return best

    def keep_at_least(self, weights: np.ndarray, value: float) -> None:
        """Add the row ``weights @ x ≥ value − tolerance``."""
        nz = np.flatnonzero(weights)
        row = sp.csr_matrix((-weights[nz], (np.zeros(len(nz), dtype=np.int64), nz)),
                            shape=(1, len(weights)))
        self._rows.append(row)
        self._rhs.append(-(value - _REL * max(1.0, abs(value))))

    # -- max-min fairness ---------------------------------------------------------------------
    def leximin(self, cols: np.ndarray, denom: np.ndarray) -> None:
        """Make the served fractions ``x[cols] / denom`` lexicographically max-min fair.

        Entities with ``denom <= 0`` or already fixed by their bounds are skipped. On return
        each entity's column is fixed (lower = upper bound) at its fair value.
        """
        cols = np.asarray(cols, dtype=np.int64)
        denom = np.asarray(denom, dtype=float)
        free = (denom > 0) & (self.bounds[cols, 1] > self.bounds[cols, 0])
        while free.any():
            idx = np.flatnonzero(free)
            t, blocked = self._level(cols[idx], denom[idx])
            if not blocked.any():  # degenerate duals: settle each entity by its own LP
                blocked = self._blocked_by_check(cols[idx], denom[idx], t)
            if not blocked.any():  # numerically nothing can rise: fix all at the level
                blocked[:] = True
            for e in idx[blocked]:
                v = max(t * denom[e], self.bounds[cols[e], 0])
                v = min(v, self.bounds[cols[e], 1])
                self.bounds[cols[e]] = (v, v)
            free[idx[blocked]] = False

    def _level_lp(self, cols: np.ndarray, denom: np.ndarray, t_fix: float | None
                  ) -> tuple[sp.csr_matrix, np.ndarray, np.ndarray, np.ndarray]:
        """Rows ``d_e·t − x_e ≤ 0`` with ``t`` as an extra last column."""
        n = len(self.lp.obj)
        A, b = self._ub_rows()
        A = sp.hstack([A, sp.csr_matrix((A.shape[0], 1))], format="csr")
        E = len(cols)
        rows = sp.csr_matrix((np.r_[-np.ones(E), denom], (np.r_[np.arange(E), np.arange(E)],
                                                            np.r_[cols, np.full(E, n)])),
                             shape=(E, n + 1))
        A = sp.vstack([A, rows], format="csr")
        b = np.r_[b, np.zeros(E)]
        bounds = np.vstack([self.bounds, [0.0, np.inf] if t_fix is None else [t_fix, t_fix]])
        return A, b, bounds, np.zeros(n + 1)

    def _level(self, cols: np.ndarray, denom: np.ndarray) -> tuple[float, np.ndarray]:
        """The highest common served fraction, and the entities its duals prove blocked."""
        n = len(self.lp.obj)
        A, b, bounds, cost = self._level_lp(cols, denom, None)
        cost[n] = -1.0
        A_eq = sp.hstack([self.lp.A_eq, sp.csr_matrix((self.lp.A_eq.shape[0], 1))], format="csr")
        res = linprog(cost, A_ub=A, b_ub=b, A_eq=A_eq, b_eq=self.lp.b_eq, bounds=bounds,
                      method="highs")
        self.solves += 1
        if res.status != 0:
            raise SolverError(f"HiGHS could not solve the rationing LP: {res.message}")
        duals = -np.asarray(res.ineqlin.marginals)[-len(cols):]
        return float(res.x[n]), duals > 1e-9

    def _blocked_by_check(self, cols: np.ndarray, denom: np.ndarray, t: float) -> np.ndarray:
        """Entities that cannot exceed level ``t`` while the others stay at or above it."""
        n = len(self.lp.obj)
        A, b, bounds, _ = self._level_lp(cols, denom, t * (1 - _REL))
        A_eq = sp.hstack([self.lp.A_eq, sp.csr_matrix((self.lp.A_eq.shape[0], 1))], format="csr")
        out = np.zeros(len(cols), dtype=bool)
        for j, col in enumerate(cols):
            cost = np.zeros(n + 1)
            cost[col] = -1.0
            res = linprog(cost, A_ub=A, b_ub=b, A_eq=A_eq, b_eq=self.lp.b_eq, bounds=bounds,
                          method="highs")
            self.solves += 1
            if res.status != 0:
                raise SolverError(f"HiGHS could not solve the rationing LP: {res.message}")
            out[j] = -float(res.fun) <= t * denom[j] * (1 + 1e-7) + 1e-9
        return out
