"""Royset–Wood parametric-cut Lagrangian bounds for max-flow interdiction (links, nodes)."""

from __future__ import annotations

import math
import time
from dataclasses import dataclass

import numpy as np

from chokepoint.analyses.interdiction._cuts import ArcForm, form_value, min_cut
from chokepoint.analyses.interdiction.attack import AttackModel

__all__ = ["Bounds", "royset_wood"]

_EXACT_ENUM_LIMIT = 48  # evaluate the Lagrangian at every breakpoint up to this many


def _choose_in_cut(model: AttackModel, elems: np.ndarray, caps: np.ndarray) -> list[int]:
    """Best removal from one cut: the largest capacities (unit costs) or greedy by ratio."""
    if len(elems) == 0:
        return []
    if model.unit_cost:
        order = np.argsort(-caps, kind="stable")
        return [int(e) for e in elems[order[: model.max_count]]]
    ratio = caps / np.maximum(model.cost[elems], 1e-12)
    plan: list[int] = []
    spent = 0.0
    for i in np.argsort(-ratio, kind="stable"):
        e = int(elems[i])
        if model.k is not None and len(plan) >= model.k:
            break
        if spent + model.cost[e] <= model.budget + 1e-9:
            plan.append(e)
            spent += float(model.cost[e])
    return plan


@dataclass(kw_only=True)
class Bounds:
    lower: float
    upper: float
    plan: list[int]
    lam: float
    flows: int


def royset_wood(form: ArcForm, model: AttackModel, *, deadline: float) -> Bounds:
    """Parametric-cut Lagrangian bounds (Royset & Wood 2007) in an arc form.

    L(λ) = mincut(min(c_a, λ ω_a) on attackable arcs, c_a elsewhere) − λ B is a lower bound
    for every λ ≥ 0 (ω = cost and B = budget, or ω = 1 and B = the count limit). L is concave
    and piecewise linear: it is maximised over its breakpoints {c_a / ω_a} (all of them when
    few, else by binary search on the unimodal sequence), then between the neighbouring
    breakpoints by intersecting the cuts' lines (exact in finitely many steps). Every cut
    met yields a feasible plan (remove its largest attackable arcs), whose true value is an
    upper bound. O(log m) max flows, plus a few per refinement.
    """
    att_arc = (form.elem >= 0) & model.attackable[np.maximum(form.elem, 0)]
    if model.unit_cost:
        omega = np.where(att_arc, 1.0, 0.0)
        B = float(model.max_count)
    else:
        omega = np.where(att_arc, model.cost[np.maximum(form.elem, 0)], 0.0)
        B = model.budget
    finite = form.cap[np.isfinite(form.cap)]
    big = float(finite.sum()) + 1.0
    cap = np.where(att_arc & ~np.isfinite(form.cap), big, form.cap)
    ratios = cap[att_arc & (omega > 0)] / omega[att_arc & (omega > 0)]
    lams = np.unique(np.concatenate([[0.0], ratios]))
    memo: dict[float, tuple[float, np.ndarray]] = {}
    tried: dict[tuple[int, ...], float] = {}
    best = Bounds(lower=-math.inf, upper=math.inf, plan=[], lam=0.0, flows=0)

    def evaluate(lam: float) -> float:
        if lam in memo:
            return memo[lam][0]
        capl = np.where(att_arc, np.minimum(cap, lam * omega), cap)
        val, side = min_cut(form.n_v, form.tail, form.head, capl, form.s_v, form.t_v)
        best.flows += 1
        L = val - lam * B
        memo[lam] = (L, side)
        if best.lower < L:
            best.lower, best.lam = L, lam
        crossing = side[form.tail] & ~side[form.head] & att_arc
        plan = sorted(_choose_in_cut(model, form.elem[crossing], cap[crossing]))
        key = tuple(plan)
        if key not in tried:
            v = form_value(form, plan)
            best.flows += 1
            tried[key] = v
            if v < best.upper:
                best.upper, best.plan = v, plan
        return L

    def line(lam: float, *, left: bool) -> tuple[float, float]:
        """The cut at ``lam`` as a line a + b λ on the interval to its left or right."""
        side = memo[lam][1]
        cross = side[form.tail] & ~side[form.head]
        cc, om, at = cap[cross], omega[cross], att_arc[cross]
        capped = at & ((om * lam <= cc) if left else (om * lam < cc))
        b = float(om[capped].sum()) - B
        a = float(np.where(capped, 0.0, cc).sum())
        return a, b

    if len(lams) <= _EXACT_ENUM_LIMIT:
        for lam in lams:
            evaluate(float(lam))
            if time.perf_counter() > deadline:
                break
        vals = np.array([memo.get(float(x), (-math.inf, None))[0] for x in lams])
        i = int(np.argmax(vals))
    else:
        lo, hi = 0, len(lams) - 1
        while lo < hi and time.perf_counter() < deadline:
            mid = (lo + hi) // 2
            if evaluate(float(lams[mid])) < evaluate(float(lams[mid + 1])):
                lo = mid + 1
            else:
                hi = mid
        i = lo
        evaluate(float(lams[i]))
    # refine between neighbouring breakpoints (Eisner–Severance style)
    for j in (i - 1, i):
        if j < 0 or j + 1 >= len(lams):
            continue
        stack = [(float(lams[j]), float(lams[j + 1]))]
        steps = 0
        while stack and steps < 20 and time.perf_counter() < deadline:
            a0, a1 = stack.pop()
            if a0 not in memo:
                evaluate(a0)
            if a1 not in memo:
                evaluate(a1)
            (p0, q0), (p1, q1) = line(a0, left=False), line(a1, left=True)
            if not (math.isfinite(p0) and math.isfinite(p1)) or abs(q0 - q1) < 1e-12:
                continue
            lam = (p1 - p0) / (q0 - q1)
            if not a0 + 1e-12 < lam < a1 - 1e-12:
                continue
            top = p0 + q0 * lam
            steps += 1
            if evaluate(lam) < top - 1e-9 * max(1.0, abs(top)):
                stack += [(a0, lam), (lam, a1)]
    if best.upper >= big:
        best.upper = math.inf
    if best.lower >= big:
        best.lower = math.inf
    return best
