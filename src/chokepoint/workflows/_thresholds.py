"""Exact flip values of the route and shipment answers (private to the weak-point workflow).

A scenario's assumption moves the compiled network in one of two simple ways that the headline
answers of :mod:`chokepoint.workflows._headline` (``route``, ``shipment``) can exploit:

**Times affine in g(x)** (a speed: ``time = length / speed`` is affine in ``1/x``; a dwell:
affine in ``x``). A route's time is then a line ``a + b·u`` in ``u = g(x)``, and the fastest
route's time is the lower envelope of those lines (concave, piecewise linear). The route changes
only at the envelope's breakpoints, found exactly with O(breakpoints) Dijkstra runs by the
parametric shortest-path scheme of Eisner & Severance ("Mathematical techniques for efficient
record segmentation in large shared databases", *J. ACM* 23(4), 1976; Gusfield, "Parametric
combinatorial computing and a problem of program module distribution", *J. ACM* 30(3), 1983):
intersect the lines of the routes optimal at both ends, solve at the intersection, and recurse
on each side only when a third route is faster there.

**Capacities affine in x** (a capacity figure). The route and shipment answers see capacity
only through the set of arcs that can carry the shipment's rate (``capacity ≥ rate``), so they
can change only where an arc's capacity crosses the rate: ``x = (rate − γ) / δ``. Evaluating
the answers once between consecutive crossings gives every flip exactly.

The dependence is read off three builds of the scenario (the range's ends and its middle) and
checked, so a figure that enters non-linearly is reported as such (the caller then bisects).
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from chokepoint.scenario import Scenario

__all__ = ["Dependence", "ExactFlip", "Points", "capacity_flips", "crossings", "dependence",
           "effect", "route_flips"]

#: Relative tolerance of the affinity check and of route-time comparisons.
RTOL = 1e-9


class Points:
    """Scenario builds at assumption values, cached (a build costs tens of milliseconds)."""

    def __init__(self, build: Callable[[dict[str, float] | None], Scenario],
                 defaults: dict[str, float] | None = None) -> None:
        self._build = build
        self._defaults = dict(defaults or {})
        self._cache: dict[tuple[tuple[str, float], ...], Scenario] = {}

    @classmethod
    def of(cls, build: Callable[[dict[str, float] | None], Scenario]) -> Points:
        """Builds of ``build``, whose scenario's own values are taken from its
        assumptions (those whose figures all share the value)."""
        out = cls(build)
        s = out.at(None)
        given = s.citations.values  # every figure's value by path
        out._defaults = {a.id: a.value for a in s.assumptions
                         if all(given.get(p) == a.value for p in a.paths)}
        return out

    def at(self, values: dict[str, float] | None = None) -> Scenario:
        """The scenario with ``values`` (assumption id → value) set; values equal to the
        scenario's own (``defaults``) share its build."""
        key = tuple(sorted((k, v) for k, v in (values or {}).items()
                           if self._defaults.get(k) != v))
        if key not in self._cache:
            self._cache[key] = self._build(dict(key))
        return self._cache[key]


@dataclass(frozen=True)
class Dependence:
    """How arc times and capacities depend on one assumption ``x``.

    ``kind``: ``"none"`` (the compiled network and the shipment's rate do not change),
    ``"time"`` (only times change, ``time = t0 + t1·g(x)`` with ``g`` = ``transform``:
    ``"inverse"`` for 1/x, ``"linear"`` for x), ``"capacity"`` (only capacities change,
    ``capacity = k0 + k1·x``) or ``"other"`` (anything else: several at once, the rate, or
    not affine).
    """

    kind: str
    transform: str = ""
    t0: np.ndarray | None = None
    t1: np.ndarray | None = None
    k0: np.ndarray | None = None
    k1: np.ndarray | None = None
    rate: float = 0.0

    def g(self, x: float) -> float:
        """The time model's variable ``u = g(x)``."""
        return 1.0 / x if self.transform == "inverse" else x

    def g_inv(self, u: float) -> float:
        """``x`` for ``u``."""
        return 1.0 / u if self.transform == "inverse" else u


def _rate(s: Scenario) -> float:
    return float(s.commodities[0].rate) if s.commodities else 0.0


def _affine(y: Sequence[np.ndarray], u: Sequence[float]) -> tuple[np.ndarray, np.ndarray] | None:
    """Fit ``y = c0 + c1·u`` on the first two points; None unless the third fits too."""
    (y0, y1, y2), (u0, u1, u2) = y, u
    if u1 == u0:
        return None
    c1 = (y1 - y0) / (u1 - u0)
    c0 = y0 - c1 * u0
    ok = np.allclose(c0 + c1 * u2, y2, rtol=RTOL, atol=RTOL * max(1.0, float(np.max(
        np.abs(np.where(np.isfinite(y2), y2, 0.0)), initial=0.0))), equal_nan=True)
    return (c0, c1) if ok else None


#: What a figure's field can move (``Assumption.paths`` end in the field's name).
FIELD_EFFECT = {"speed_kmh": "time", "time_h": "time", "dwell_h": "time", "length_km": "time",
                "capacity": "capacity", "handling_capacity": "capacity",
                "repair_days": "none", "attack_cost": "none"}


def effect(paths: Sequence[str]) -> str:
    """What the figures at ``paths`` can move in the compiled network: ``"time"``,
    ``"capacity"``, ``"none"`` (repair times and attack costs: not the network the route
    and served-demand answers see) or ``"other"`` (demand, simulation settings, mixed)."""
    kinds = {FIELD_EFFECT.get(p.rpartition(".")[2], "other") for p in paths}
    return kinds.pop() if len(kinds) == 1 else "other"


def dependence(points: Points, aid: str, low: float, high: float, fixed: dict[str, float],
               *, value: float | None = None) -> Dependence:
    """Classify how assumption ``aid`` moves the network: builds at the range's ends and at
    ``value`` (the scenario's, when strictly inside the range: a cached build) or the middle,
    and checks that times (in 1/x or x) or capacities (in x) are affine through all three."""
    mid = value if value is not None and low < value < high else 0.5 * (low + high)
    xs = (low, high, mid)
    ss = [points.at({**fixed, aid: x}) for x in xs]
    cs = [s.network.compiled for s in ss]
    times = [np.asarray(c.time_h, dtype=float) for c in cs]
    caps = [np.asarray(c.capacity, dtype=float) for c in cs]
    rates = [_rate(s) for s in ss]
    same_t = all(np.array_equal(times[0], t) for t in times[1:])
    same_k = all(np.array_equal(caps[0], k, equal_nan=True) for k in caps[1:])
    if len({*rates}) > 1 or not (same_t or same_k):
        return Dependence("other")
    if same_t and same_k:
        return Dependence("none", rate=rates[0])
    if not same_k:
        fit = _affine([np.nan_to_num(k, posinf=1e300) for k in caps], xs)
        if fit is None:
            return Dependence("other")
        return Dependence("capacity", k0=fit[0], k1=fit[1], rate=rates[0])
    for transform in ("inverse", "linear"):
        if transform == "inverse" and low <= 0:
            continue
        us = [1.0 / x if transform == "inverse" else x for x in xs]
        fit = _affine(times, us)
        if fit is not None:
            return Dependence("time", transform, t0=fit[0], t1=fit[1], rate=rates[0])
    return Dependence("other")


@dataclass(frozen=True)
class ExactFlip:
    """An answer that changes at ``value`` of an assumption: ``below`` on the low side,
    ``above`` on the high side."""

    assumption: str
    answer: str
    value: float
    below: Any
    above: Any
    method: str


def route_flips(points: Points, aid: str, low: float, high: float, dep: Dependence,
                focus: Sequence[str], fixed: dict[str, float]) -> list[ExactFlip]:
    """Every value of ``aid`` in (low, high) where the shipment's fastest route starts or
    stops running through a ``focus`` group (``dep.kind == "time"``): Eisner–Severance on
    the lower envelope of route-time lines; O(breakpoints) Dijkstra runs."""
    assert dep.t0 is not None
    assert dep.t1 is not None
    t0, t1 = dep.t0, dep.t1
    from chokepoint.workflows._headline import _unusable, shipment_path

    s = points.at({**fixed, aid: low})
    c = s.network.compiled
    dead = _unusable(s)
    groups = np.asarray(c.arc_group)

    def solve(u: float) -> tuple[float, float, bool, tuple[int, ...]]:
        _, arcs = shipment_path(s, dead, weight=t0 + t1 * u)
        via = {str(c.group_ids[g]) for g in groups[arcs] if g >= 0} & set(focus)
        return float(t0[arcs].sum()), float(t1[arcs].sum()), bool(via), tuple(arcs.tolist())

    u_lo, u_hi = sorted((dep.g(low), dep.g(high)))
    found: list[tuple[float, bool, bool]] = []

    def between(ua: float, pa: tuple[float, float, bool, tuple[int, ...]], ub: float,
                pb: tuple[float, float, bool, tuple[int, ...]], depth: int) -> None:
        if pa[3] == pb[3] or pa[1] == pb[1] or depth > 64:
            return
        u = (pb[0] - pa[0]) / (pa[1] - pb[1])
        if not ua < u < ub:
            return
        pm = solve(u)
        line = pa[0] + pa[1] * u
        if pm[0] + pm[1] * u >= line - RTOL * max(1.0, abs(line)) or pm[3] in (pa[3], pb[3]):
            found.append((u, pa[2], pb[2]))
            return
        between(ua, pa, u, pm, depth + 1)
        between(u, pm, ub, pb, depth + 1)

    between(u_lo, solve(u_lo), u_hi, solve(u_hi), 0)
    out = []
    for u, left, right in sorted(found):
        if left == right:
            continue
        x = dep.g_inv(u)
        below, above = (left, right) if dep.g(x + 1e-9 * max(1.0, abs(x))) > u else (right, left)
        out.append(ExactFlip(aid, "route_via_focus", x, below, above,
                             "exact: equal route times (parametric shortest path)"))
    return sorted(out, key=lambda f: f.value)


def crossings(dep: Dependence, low: float, high: float) -> np.ndarray:
    """Values in (low, high) where an arc's capacity ``k0 + k1·x`` equals the shipment's
    rate or zero (``dep.kind == "capacity"``), sorted."""
    assert dep.k0 is not None
    assert dep.k1 is not None
    moving = np.abs(dep.k1) > 0
    cross = [((level - dep.k0[moving]) / dep.k1[moving]) for level in {dep.rate, 0.0}]
    cuts = np.unique(np.concatenate(cross))
    return cuts[np.isfinite(cuts) & (cuts > low) & (cuts < high)]


def capacity_flips(points: Points, aid: str, low: float, high: float, dep: Dependence,
                   keys: Sequence[str], answers: Callable[[Scenario], dict[str, Any]],
                   fixed: dict[str, float]) -> list[ExactFlip]:
    """Every value of ``aid`` in (low, high) where one of the ``keys`` answers changes
    (``dep.kind == "capacity"``): the answers see capacity only through which arcs carry the
    shipment's rate, so they are constant between consecutive values where an arc's capacity
    crosses the rate (or zero); one evaluation per interval."""
    cuts = crossings(dep, low, high)
    edges = [low, *cuts.tolist(), high]
    mids = [0.5 * (a + b) for a, b in itertools.pairwise(edges)]
    vals = [answers(points.at({**fixed, aid: m})) for m in mids]
    out = []
    for cut, v0, v1 in zip(cuts.tolist(), vals[:-1], vals[1:], strict=True):
        for key in keys:
            if v0.get(key) != v1.get(key):
                out.append(ExactFlip(aid, key, float(cut), v0.get(key), v1.get(key),
                                     "exact: an arc's capacity equals the shipment's rate"))
    return out
