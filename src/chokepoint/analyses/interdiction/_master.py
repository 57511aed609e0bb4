"""The attacker's master MIP of the time-aware Benders decomposition.

Variables: ``x_o`` (binary, one per attack option), ``z_r`` (continuous in [0, 1], one per
(period, arc) pair that options of two or more distinct elements cover), ``η`` (the
operator's value). Each cut j (a plan evaluated, see :mod:`.timed`) reads

    η + Σ_o g_jo x_o + Σ_r W_j[r] z_r ≥ V_j

with ``g_jo`` the sum of ``W_j`` over the pairs only option ``o``'s element can close (there
``z = Σ_o x_o`` exactly, since an element takes at most one timing); pairs covered by several
elements keep ``z_r ≤ Σ_{o covers r} x_o``. Minimise ``η``.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import numpy as np
import scipy.sparse as sp

from chokepoint.analyses._highs import solve_mip
from chokepoint.analyses.interdiction.attack import AttackModel, budget_rows

if TYPE_CHECKING:
    from chokepoint.analyses.interdiction._operator import OperatorLP
    from chokepoint.analyses.interdiction.timed import AttackOptions

__all__ = ["Cuts", "solve_master"]


@dataclass
class Cuts:
    """Option–arc incidence, the closure rows' coverage, and the cuts found so far."""

    op: OperatorLP
    model: AttackModel
    opts: AttackOptions
    consts: list[float] = field(default_factory=list)
    g: list[np.ndarray] = field(default_factory=list)
    h: list[np.ndarray] = field(default_factory=list)
    scale: float = 1.0

    def __post_init__(self) -> None:
        op, model, opts = self.op, self.model, self.opts
        P, n_cl = opts.n_periods, len(op.closable)
        pos = np.full(int(op.closable.max(initial=-1)) + 2, -1, dtype=np.int64)
        pos[op.closable] = np.arange(n_cl)
        elems, e_of_opt = np.unique(opts.elem, return_inverse=True)
        # element–closable-arc incidence
        pm = np.isin(model.pair_elem, elems) & (pos[np.minimum(model.pair_arc, len(pos) - 1)]
                                                >= 0)
        pe = np.searchsorted(elems, model.pair_elem[pm])
        pi = pos[model.pair_arc[pm]]
        inc = sp.csr_matrix((np.ones(len(pe)), (pe, pi)), shape=(len(elems), n_cl))
        inc.data[:] = 1.0
        # periods each element can close (union of its options' intervals)
        diff = np.zeros((len(elems), P + 1))
        np.add.at(diff, (e_of_opt, opts.start), 1.0)
        np.add.at(diff, (e_of_opt, opts.end), -1.0)
        covered = (np.cumsum(diff, axis=1)[:, :P] > 0).astype(float)
        count = np.asarray((sp.csr_matrix(covered.T) @ inc).todense())
        self.single = count == 1
        self.multi_p, self.multi_i = np.nonzero(count >= 2)
        # option -> closable arcs pairs
        starts, ends = inc.indptr[e_of_opt], inc.indptr[e_of_opt + 1]
        lens = ends - starts
        self.pair_opt = np.repeat(np.arange(len(opts)), lens)
        offs = np.arange(int(lens.sum())) - np.repeat(np.cumsum(lens) - lens, lens)
        self.pair_idx = inc.indices[np.repeat(starts, lens) + offs]
        self.cover = self._cover_rows()

    def _cover_rows(self) -> sp.csr_matrix:
        """``(n_multi, n_options)`` 0/1: which options cover each multi-covered row."""
        n_m, n_o = len(self.multi_p), len(self.opts)
        if n_m == 0:
            return sp.csr_matrix((0, n_o))
        P = self.opts.n_periods
        row_id = np.full((P, len(self.op.closable)), -1, dtype=np.int64)
        row_id[self.multi_p, self.multi_i] = np.arange(n_m)
        s, e = self.opts.start[self.pair_opt], self.opts.end[self.pair_opt]
        lens = e - s
        po = np.repeat(self.pair_opt, lens)
        pi = np.repeat(self.pair_idx, lens)
        pp = np.repeat(s, lens) + np.arange(int(lens.sum())) - np.repeat(np.cumsum(lens) - lens,
                                                                            lens)
        r = row_id[pp, pi]
        keep = r >= 0
        return sp.csr_matrix((np.ones(int(keep.sum())), (r[keep], po[keep])), shape=(n_m, n_o))

    def add(self, *, value: float, weight: np.ndarray) -> None:
        """Add the cut of an operator plan of value ``value`` carrying ``weight``
        ``(P, |closable|)`` through each (period, closable arc)."""
        self.scale = max(self.scale, abs(value))
        ws = np.where(self.single, weight, 0.0)
        cs = np.vstack([np.zeros((1, ws.shape[1])), np.cumsum(ws, axis=0)])
        s, e = self.opts.start[self.pair_opt], self.opts.end[self.pair_opt]
        per_pair = cs[e, self.pair_idx] - cs[s, self.pair_idx]
        self.g.append(np.bincount(self.pair_opt, weights=per_pair, minlength=len(self.opts)))
        self.h.append(weight[self.multi_p, self.multi_i])
        self.consts.append(value)


def solve_master(cuts: Cuts, *, time_limit: float) -> tuple[tuple[int, ...], float, bool]:
    """Best plan against the cuts: (options chosen, lower bound on V, proved optimal)."""
    n_o, n_m, J = len(cuts.opts), len(cuts.multi_p), len(cuts.consts)
    eta = n_o + n_m
    n_col = eta + 1
    G = sp.csr_matrix(np.vstack(cuts.g)) if J else sp.csr_matrix((0, n_o))
    H = sp.csr_matrix(np.vstack(cuts.h)) if J and n_m else sp.csr_matrix((J, n_m))
    cut_rows = sp.hstack([G, H, sp.csr_matrix(np.ones((J, 1)))], format="csr")
    cover = sp.hstack([-cuts.cover, sp.identity(n_m, format="csr"), sp.csr_matrix((n_m, 1))],
                      format="csr")
    lim = budget_rows(cuts.model, cuts.opts.elem, np.arange(n_o), first_row=0)
    limits = sp.csr_matrix((lim.vals, (lim.rows, lim.cols)), shape=(lim.n_rows, n_col))
    A = sp.vstack([cut_rows, cover, limits], format="csr")
    row_lo = np.concatenate([np.asarray(cuts.consts), np.full(n_m + lim.n_rows, -np.inf)])
    row_hi = np.concatenate([np.full(J, np.inf), np.zeros(n_m), lim.upper])
    col_lo = np.zeros(n_col)
    col_hi = np.concatenate([np.ones(n_o + n_m), [np.inf]])
    integer = np.concatenate([np.ones(n_o, dtype=bool), np.zeros(n_m + 1, dtype=bool)])
    cost = np.zeros(n_col)
    cost[eta] = 1.0
    out = solve_mip(cost, A, row_lo, row_hi, col_lo, col_hi, integer, maximise=False,
                    time_limit=time_limit, abs_gap=2e-8 * max(1.0, cuts.scale))
    bound = out.bound if math.isfinite(out.bound) else 0.0
    if out.x is None:
        return (), bound, False
    plan = tuple(int(o) for o in np.flatnonzero(out.x[:n_o] > 0.5))
    if out.status == "optimal":
        bound = min(out.objective, bound) if math.isfinite(bound) else out.objective
    return plan, bound, out.status == "optimal"
