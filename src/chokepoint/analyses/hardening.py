"""Hardening: which elements to protect so that the worst k-element attack hurts least.

A defender–attacker model (Brown, Carlyle, Salmerón & Wood, *Interfaces* 36(6), 2006;
Alderson, Brown, Carlyle & Wood,
*INFORMS Computing Society Conference*, 2011): the defender first makes ``protect``
elements unattackable, then the attacker removes up to ``k`` of the rest to minimise the max
flow (``objective="flow"``) or to maximise the fastest travel time (``objective="time"``).

Solved exactly by decomposition. The attacker's problem for a given protection set is the
interdiction problem of :mod:`chokepoint.analyses.interdiction` (or, in :func:`harden_timed`, the
time-aware one with repair times); each attack plan found becomes
a cut in a small master MIP over protection sets ("a plan hurts unless one of its elements is
protected"), whose optimum bounds the defender's best achievable value. The loop stops when
that bound equals the best protection's verified worst case. See
``docs/algorithms/interdiction.md``.
"""

from __future__ import annotations

import math
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np
import scipy.sparse as sp

from chokepoint.analyses._highs import solve_mip
from chokepoint.analyses.interdiction import (
    InterdictionResult,
    attack_model,
    max_flow_interdiction,
    shortest_path_interdiction,
)
from chokepoint.compiled import CompiledNetwork
from chokepoint.errors import InputError, SolverError
from chokepoint.scenario import Demand

if TYPE_CHECKING:
    from chokepoint.analyses.interdiction.timed import TimedInterdictionResult

__all__ = ["HardeningResult", "TimedHardeningResult", "harden", "harden_timed"]


@dataclass(kw_only=True)
class HardeningResult:
    """The protection set found, its worst case, and the proof status.

    Attributes
    ----------
    protected
        Ids of the elements to protect (at most ``protect``).
    value
        Worst-case value after protection: max flow (``objective="flow"``) or travel time
        (``"time"``; ``inf`` = the attacker can still disconnect) after the best attack.
    attack
        The attacker's best plan against ``protected``.
    value_unprotected, attack_unprotected
        The same without protection.
    intact_value
        The value with no attack.
    status
        ``"optimal"`` (the master bound meets ``value``) or ``"time_limit"``.
    bound
        The master's bound on the best achievable worst case (upper for flow, lower for
        time); equals ``value`` when optimal.
    iterations
        Attacker problems solved.
    plans
        Every attack plan found, with its value (the master's cuts).
    """

    protected: list[str]
    value: float
    attack: list[str]
    value_unprotected: float
    attack_unprotected: list[str]
    intact_value: float
    status: str
    bound: float
    iterations: int
    objective: str
    plans: list[tuple[list[str], float]] = field(default_factory=list)
    solver: dict[str, Any] = field(default_factory=dict)


def _master(plans: list[tuple[list[str], float]], cand: list[str], protect: int, *,
            top: float, flow: bool, time_limit: float) -> tuple[list[str], float]:
    """Best protection set against the plans found so far (a small MIP).

    Flow: max z s.t. z ≤ v_j + (top − v_j) Σ_{e ∈ A_j} h_e for each plan j, Σ h ≤ P, h binary,
    z ≤ top. Time: the mirror image (min z, z ≥ v_j − (v_j − top) Σ h). ``top`` is the
    intact value (flow) or the value with no attack (time): the best any protection can do.
    """
    index = {e: i for i, e in enumerate(cand)}
    n = len(cand)
    rows, cols, vals = [], [], []
    lo, hi = [], []
    for j, (plan, v) in enumerate(plans):
        hit = [index[e] for e in plan if e in index]
        rows += [j] * (len(hit) + 1)
        cols += [n, *hit]
        if flow:
            vals += [1.0, *[-(top - v)] * len(hit)]
            lo.append(-np.inf)
            hi.append(v)
        else:
            vals += [1.0, *[(v - top)] * len(hit)]
            lo.append(v)
            hi.append(np.inf)
    m = len(plans)
    rows += [m] * n
    cols += list(range(n))
    vals += [1.0] * n
    lo.append(-np.inf)
    hi.append(float(protect))
    A = sp.coo_matrix((vals, (rows, cols)), shape=(m + 1, n + 1))
    cost = np.zeros(n + 1)
    cost[n] = 1.0
    col_lo = np.concatenate([np.zeros(n), [-np.inf if flow else top]])
    col_hi = np.concatenate([np.ones(n), [top if flow else np.inf]])
    integer = np.concatenate([np.ones(n, dtype=bool), [False]])
    out = solve_mip(cost, A, np.array(lo), np.array(hi), col_lo, col_hi, integer,
                     maximise=flow, time_limit=time_limit)
    if out.x is None:
        raise SolverError("the hardening master problem could not be solved in time")
    chosen = [cand[i] for i in range(n) if out.x[i] > 0.5]
    if out.status != "optimal":
        return chosen, out.bound
    # the master's value of the chosen set, free of integrality tolerances
    chosen_set = set(chosen)
    free = [v for plan, v in plans if not chosen_set & set(plan)]
    if flow:
        return chosen, min([top, *free])
    return chosen, max([top, *free])


def harden(
    c: CompiledNetwork,
    sources: Sequence[str],
    sinks: Sequence[str],
    *,
    protect: int,
    k: int,
    kind: str = "link",
    objective: str = "flow",
    candidates: Sequence[str] | None = None,
    budget: float | None = None,
    cost: Mapping[str, float] | None = None,
    protected: Sequence[str] = (),
    weight: str = "time_h",
    time_limit: float = 120.0,
    demand: Demand | None = None,
) -> HardeningResult:
    """Choose ``protect`` elements to make unattackable, best against a ``k``-element attack.

    Parameters
    ----------
    c
        The compiled network.
    sources, sinks
        Node ids; ``objective="time"`` needs exactly one of each.
    protect
        How many elements the defender may protect.
    k, kind, budget, cost
        The attacker (as :func:`~chokepoint.analyses.interdiction.max_flow_interdiction`).
    objective
        ``"flow"`` (maximise the worst-case max flow) or ``"time"`` (minimise the worst-case
        fastest travel time, ``weight``).
    candidates
        Element ids the defender may protect (default: every element of ``kind``).
    protected
        Elements already unattackable (not counted in ``protect``).
    time_limit
        Seconds for the whole decomposition.
    demand
        A commodity whose route rules (``via`` stops included) the attacker's problem
        follows, from its origin to its destination (``sources``/``sinks`` are then its
        terminals): :func:`~chokepoint.analyses.interdiction.via.commodity_interdiction`
        (flow) or :func:`~chokepoint.analyses.interdiction.via.commodity_path_interdiction`
        (time), each exact, on the layered network when its link rules do not force the
        stops. The master is unchanged: it only sees plans and their values.

    Returns
    -------
    HardeningResult

    Notes
    -----
    Decomposition (Brown et al. 2006): the attacker's problem is solved exactly for the
    master's protection set; its plan A_j (value v_j) becomes the cut "unless some element
    of A_j is protected, the worst case is at most v_j" (for flow). The master's optimum is a
    bound on the best achievable worst case; each iteration either meets it (optimal) or
    adds a plan that cuts the master's current choice off, so the loop is finite. Each
    iteration solves one NP-hard attacker problem and a master MIP with ``|plans|`` rows;
    the number of iterations can grow exponentially with ``protect`` and ``k`` (the
    defender–attacker problem is Σ₂ᵖ-hard in general; Smith & Song, *EJOR* 283(3), 2020), so
    the method is meant for small ``protect`` and ``k``.
    """
    t0 = time.perf_counter()
    deadline = t0 + time_limit
    if objective not in ("flow", "time"):
        raise InputError(f"objective must be flow or time, not {objective!r}")
    if protect < 0:
        raise InputError(f"protect must be >= 0, got {protect}")
    flow = objective == "flow"
    if not flow and (len(sources) != 1 or len(sinks) != 1):
        raise InputError("objective='time' needs exactly one source and one sink")
    base = attack_model(c, kind=kind, k=k, budget=budget, cost=cost, protected=protected)
    cand = list(candidates) if candidates is not None else \
        [base.ids[i] for i in np.flatnonzero(base.attackable)]
    known = set(base.ids)
    for e in cand:
        if e not in known:
            raise InputError(f"candidate {kind} {e!r} is unknown")
    cand = [e for e in dict.fromkeys(cand) if e not in set(protected)]

    def attack(hardened: Sequence[str]) -> InterdictionResult:
        remaining = max(deadline - time.perf_counter(), 1.0)
        prot = [*protected, *hardened]
        if demand is not None:
            return _commodity_attack(c, demand, flow=flow, k=k, kind=kind, budget=budget,
                                     cost=cost, protected=prot, weight=weight,
                                     time_limit=remaining)
        if flow:
            return max_flow_interdiction(c, sources, sinks, k=k, kind=kind, budget=budget,
                                         cost=cost, protected=prot, time_limit=remaining)
        return shortest_path_interdiction(c, sources[0], sinks[0], k=k, kind=kind,
                                          budget=budget, cost=cost, protected=prot,
                                          weight=weight, time_limit=remaining)

    def better(a: float, b: float) -> bool:
        return a > b if flow else a < b

    first = attack([])
    intact = first.intact_value
    legs = 1 + (len(demand.via) if demand is not None else 0)
    surrogate = legs * _surrogate(c, weight) if not flow else math.inf
    plans: list[tuple[list[str], float]] = []
    best_h: list[str] = []
    best = first
    proved = first.proved
    res = first
    hardened: list[str] = []
    bound = math.nan
    iterations = 1
    while True:
        if better(res.value, best.value):
            best, best_h = res, hardened
        v = res.value if flow or math.isfinite(res.value) else surrogate
        plans.append((res.removed, v))
        proved = proved and res.proved
        if protect == 0 or not cand or not res.removed or time.perf_counter() > deadline:
            bound = best.value if (protect == 0 or not cand or not res.removed) else bound
            break
        top = intact if (flow or math.isfinite(intact)) else surrogate
        if flow and not math.isfinite(top):
            top = max([p[1] for p in plans if math.isfinite(p[1])] + [0.0]) * 2 + 1
        hardened, bound = _master(plans, cand, protect, top=top, flow=flow,
                                  time_limit=max(deadline - time.perf_counter(), 1.0))
        best_v = best.value if flow or math.isfinite(best.value) else surrogate
        tol = 1e-6 * max(1.0, abs(best_v)) if math.isfinite(best_v) else 0.0
        if not flow and bound >= surrogate - tol:
            bound = math.inf
        if (flow and bound <= best_v + tol) or (not flow and bound >= best_v - tol):
            break
        res = attack(hardened)
        iterations += 1
    status = "optimal" if proved and time.perf_counter() <= deadline else "time_limit"
    if not flow and not math.isfinite(best.value):
        status = status if proved else "time_limit"
    return HardeningResult(
        protected=best_h, value=best.value, attack=best.removed,
        value_unprotected=first.value, attack_unprotected=first.removed, intact_value=intact,
        status=status, bound=best.value if status == "optimal" else bound,
        iterations=iterations, objective=objective, plans=plans,
        solver={"seconds": time.perf_counter() - t0},
    )


def _commodity_attack(c: CompiledNetwork, demand: Demand, *, flow: bool, k: int, kind: str,
                      budget: float | None, cost: Mapping[str, float] | None,
                      protected: Sequence[str], weight: str,
                      time_limit: float) -> InterdictionResult:
    """The attacker's problem along a commodity's route rules (via stops included)."""
    from chokepoint.analyses.interdiction.via import (
        commodity_interdiction,
        commodity_path_interdiction,
    )

    if flow:
        return commodity_interdiction(c, demand, k=k, kind=kind, budget=budget, cost=cost,
                                      protected=protected, time_limit=time_limit)
    return commodity_path_interdiction(c, demand, k=k, kind=kind, budget=budget, cost=cost,
                                       protected=protected, weight=weight,
                                       time_limit=time_limit)


def _surrogate(c: CompiledNetwork, weight: str) -> float:
    """A finite stand-in for 'disconnected': longer than any simple route."""
    w = c.weights(weight)
    return float(np.sum(w[np.isfinite(w)])) * 2.0 + 1.0


@dataclass(kw_only=True)
class TimedHardeningResult:
    """The protection set found against the time-aware attacker, and its worst case.

    Attributes
    ----------
    protected
        Ids of the elements to protect.
    value, attack, timing
        Worst-case demand not delivered over the horizon after protection (``unit``), and the
        attacker's best plan with its timing against ``protected``.
    value_unprotected, attack_unprotected
        The same without protection.
    bound
        The master's bound: no protection of ``protect`` elements keeps the worst case below
        it (equals ``value`` when optimal).
    status
        ``"optimal"`` or ``"time_limit"``.
    """

    protected: list[str]
    value: float
    unit: str
    attack: list[str]
    timing: list[dict[str, Any]]
    value_unprotected: float
    attack_unprotected: list[str]
    intact_value: float
    status: str
    bound: float
    iterations: int
    plans: list[tuple[list[str], float]] = field(default_factory=list)
    solver: dict[str, Any] = field(default_factory=dict)


def harden_timed(
    c: CompiledNetwork,
    demands: Sequence[Demand],
    *,
    protect: int,
    k: int,
    horizon_days: int,
    repair_days: Mapping[str, float],
    kind: str = "group",
    candidates: Sequence[str] | None = None,
    budget: float | None = None,
    cost: Mapping[str, float] | None = None,
    protected: Sequence[str] = (),
    attack_day: int | None = 0,
    backlog_days: float | None = None,
    unit: str = "unit",
    time_limit: float = 300.0,
    first: TimedInterdictionResult | None = None,
) -> TimedHardeningResult:
    """Choose ``protect`` elements to make unattackable, best against the timed attacker.

    The attacker is :func:`~chokepoint.analyses.interdiction.timed_interdiction` (closures
    with repair times, served demand lost over ``horizon_days``); the decomposition is the
    one of :func:`harden` with the operator's served value ``V`` in the role of the flow: a
    timed plan ``A_j`` (value ``V_j``) is a cut "``V ≤ V_j`` unless an element of ``A_j`` is
    protected", the master's optimum bounds the best achievable worst case, and the loop
    stops when that bound meets the best protection's verified worst case (Brown, Carlyle,
    Salmerón & Wood 2006). Each iteration solves one timed attacker problem to optimality.

    ``first``: the unprotected attack (:func:`~chokepoint.analyses.interdiction.
    timed_interdiction` with these same arguments), when the caller has already solved it;
    it is then not solved again. Every attacker problem after the first runs on the first
    one's operator LP (its ``operator``): the plans already evaluated are not solved again
    and their cuts hold for the protected attacker too (a protection only removes options),
    so the loop solves one operator LP per new plan instead of rebuilding and re-solving
    the unattacked LP each time.
    """
    from chokepoint.analyses.interdiction import timed_interdiction

    t0 = time.perf_counter()
    deadline = t0 + time_limit
    if protect < 0:
        raise InputError(f"protect must be >= 0, got {protect}")
    base = attack_model(c, kind=kind, k=k, budget=budget, cost=cost, protected=protected)
    cand = list(candidates) if candidates is not None else \
        [base.ids[i] for i in np.flatnonzero(base.attackable)]
    unknown = set(cand) - set(base.ids)
    if unknown:
        raise InputError(f"candidate {kind} {sorted(unknown)[0]!r} is unknown")
    cand = [e for e in dict.fromkeys(cand) if e not in set(protected)]

    def attack(hardened: Sequence[str], operator: Any = None) -> Any:
        return timed_interdiction(
            c, demands, k=k, horizon_days=horizon_days, repair_days=repair_days, kind=kind,
            budget=budget, cost=cost, protected=[*protected, *hardened], attack_day=attack_day,
            backlog_days=backlog_days, unit=unit,
            time_limit=max(deadline - time.perf_counter(), 1.0), operator=operator)

    first = attack([]) if first is None else first
    top = first.intact_value
    best, res = first, first
    best_h: list[str] = []
    hardened: list[str] = []
    plans: list[tuple[list[str], float]] = []
    proved, bound, iterations = first.status == "optimal", math.nan, 1
    while True:
        if res.value < best.value:
            best, best_h = res, hardened
        plans.append((res.removed, top - res.value))
        proved = proved and res.status == "optimal"
        if protect == 0 or not cand or not res.removed:
            bound = top - best.value
            break
        if time.perf_counter() > deadline:
            break
        hardened, bound = _master(plans, cand, protect, top=top, flow=True,
                                  time_limit=max(deadline - time.perf_counter(), 1.0))
        if bound <= top - best.value + 1e-7 * max(1.0, top):
            break
        res = attack(hardened, res.operator)  # the same operator LP, its plans and cuts
        iterations += 1
    status = "optimal" if proved and time.perf_counter() <= deadline else "time_limit"
    return TimedHardeningResult(
        protected=best_h, value=best.value, unit=first.unit, attack=best.removed,
        timing=best.timing, value_unprotected=first.value,
        attack_unprotected=first.removed, intact_value=top, status=status,
        bound=best.value if status == "optimal" else max(top - bound, 0.0),
        iterations=iterations, plans=plans, solver={"seconds": time.perf_counter() - t0})
