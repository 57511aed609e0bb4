"""HiGHS (``highspy``) MIP wrapper shared by interdiction, hardening and their decompositions.

One function, :func:`solve_mip`, takes a model in row-bounded sparse form
(``row_lo ≤ A x ≤ row_hi``, ``col_lo ≤ x ≤ col_hi``, some columns integer) and returns a
:class:`MipOut` with the solver's status, solution, objective and dual bound.
"""

from __future__ import annotations

import math
import os
import sys
import threading
import time
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from chokepoint._lazy import LazyModule
from chokepoint.errors import SolverError

if TYPE_CHECKING:
    import highspy
    import scipy.sparse as sp
else:
    highspy = LazyModule("highspy")
    sp = LazyModule("scipy.sparse")

__all__ = ["MipOut", "load_model", "new_highs", "solve_mip"]


@dataclass(kw_only=True)
class MipOut:
    """What HiGHS returned.

    Attributes
    ----------
    status
        ``"optimal"``, ``"time_limit"`` or ``"infeasible"``.
    x
        The best solution found (``None`` when there is none).
    objective, bound
        Its objective value and HiGHS' dual bound on the optimum.
    nodes, seconds
        Branch-and-bound nodes and wall-clock seconds.
    """

    status: str
    x: np.ndarray | None
    objective: float
    bound: float
    nodes: int
    seconds: float


#: Serialises the redirect of file descriptor 1 in :func:`new_highs` between threads.
_FD1 = threading.Lock()


def new_highs() -> highspy.Highs:
    """A silent HiGHS instance.

    HiGHS prints a banner to the C-level stdout when the first instance is built, before any
    option can be set; that would corrupt ``--json`` output, so file descriptor 1 points at
    /dev/null while it is built (one thread at a time: file descriptors are per process).
    """
    with _FD1:
        sys.stdout.flush()
        saved = os.dup(1)
        devnull = os.open(os.devnull, os.O_WRONLY)
        try:
            os.dup2(devnull, 1)
            h = highspy.Highs()
        finally:
            os.dup2(saved, 1)
            os.close(saved)
            os.close(devnull)
    h.setOptionValue("output_flag", False)
    return h


def load_model(cost: np.ndarray, A: sp.spmatrix, row_lo: np.ndarray, row_hi: np.ndarray,
               col_lo: np.ndarray, col_hi: np.ndarray, integer: np.ndarray | None, *,
               maximise: bool) -> highspy.Highs:
    """A silent single-threaded HiGHS instance holding ``row_lo ≤ A x ≤ row_hi``,
    ``col_lo ≤ x ≤ col_hi`` (infinite = unbounded), integer columns where ``integer``."""
    h = new_highs()
    h.setOptionValue("threads", 1)
    h.passModel(_to_lp(cost, A, row_lo, row_hi, col_lo, col_hi, integer, maximise=maximise))
    return h


def _to_lp(cost: np.ndarray, A: sp.spmatrix, row_lo: np.ndarray, row_hi: np.ndarray,
           col_lo: np.ndarray, col_hi: np.ndarray, integer: np.ndarray | None, *,
           maximise: bool) -> highspy.HighsLp:
    lp = highspy.HighsLp()
    csc = sp.csc_matrix(A)
    lp.num_col_, lp.num_row_ = csc.shape[1], csc.shape[0]
    inf = highspy.kHighsInf
    lp.col_cost_ = cost.astype(float)
    lp.col_lower_ = np.where(np.isfinite(col_lo), col_lo, -inf).astype(float)
    lp.col_upper_ = np.where(np.isfinite(col_hi), col_hi, inf).astype(float)
    lp.row_lower_ = np.where(np.isfinite(row_lo), row_lo, -inf).astype(float)
    lp.row_upper_ = np.where(np.isfinite(row_hi), row_hi, inf).astype(float)
    lp.sense_ = highspy.ObjSense.kMaximize if maximise else highspy.ObjSense.kMinimize
    lp.a_matrix_.format_ = highspy.MatrixFormat.kColwise
    lp.a_matrix_.start_ = csc.indptr.astype(np.int32)
    lp.a_matrix_.index_ = csc.indices.astype(np.int32)
    lp.a_matrix_.value_ = csc.data.astype(float)
    if integer is not None and np.any(integer):
        lp.integrality_ = [highspy.HighsVarType.kInteger if b
                           else highspy.HighsVarType.kContinuous for b in integer]
    return lp


def solve_mip(cost: np.ndarray, A: sp.spmatrix, row_lo: np.ndarray, row_hi: np.ndarray,
              col_lo: np.ndarray, col_hi: np.ndarray, integer: np.ndarray, *,
              maximise: bool, time_limit: float, start: np.ndarray | None = None,
              abs_gap: float = 1e-6) -> MipOut:
    """Solve a MIP with HiGHS (relative gap 0, absolute ``abs_gap``), optionally warm-started.

    Infinite bounds mean "unbounded". One thread (the machine is shared). Raises
    :class:`~chokepoint.errors.SolverError` on any status other than optimal, infeasible or
    time limit.
    """
    h = load_model(cost, A, row_lo, row_hi, col_lo, col_hi, integer, maximise=maximise)
    h.setOptionValue("time_limit", max(float(time_limit), 0.01))
    h.setOptionValue("mip_rel_gap", 0.0)
    h.setOptionValue("mip_abs_gap", float(abs_gap))
    if start is not None:
        sol = highspy.HighsSolution()
        sol.col_value = [float(v) for v in start]
        sol.value_valid = True
        h.setSolution(sol)
    t0 = time.perf_counter()
    h.run()
    secs = time.perf_counter() - t0
    ms = h.getModelStatus()
    info = h.getInfo()
    has_x = info.primal_solution_status == 2
    x = np.asarray(h.getSolution().col_value) if has_x else None
    if ms == highspy.HighsModelStatus.kOptimal:
        status = "optimal"
    elif ms == highspy.HighsModelStatus.kInfeasible:
        status = "infeasible"
    elif ms in (highspy.HighsModelStatus.kTimeLimit, highspy.HighsModelStatus.kInterrupt):
        status = "time_limit"
    else:
        raise SolverError(f"HiGHS returned {h.modelStatusToString(ms)}")
    obj = float(info.objective_function_value) if has_x else math.nan
    if x is not None and abs(float(cost @ x) - obj) > 1e-6 * max(1.0, abs(obj)):
        # HiGHS 1.16 can report the optimum found in presolve together with the user's
        # start vector as the solution; solve again without the start.
        if start is not None:
            return solve_mip(cost, A, row_lo, row_hi, col_lo, col_hi, integer,
                             maximise=maximise, time_limit=time_limit, start=None,
                             abs_gap=abs_gap)
        raise SolverError("HiGHS returned a solution that does not match its objective")
    return MipOut(status=status, x=x, objective=obj, bound=float(info.mip_dual_bound),
                  nodes=int(info.mip_node_count), seconds=secs)
