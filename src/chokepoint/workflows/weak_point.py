"""Is a structure the weak point of a corridor and of a shipment's route — and when?

The built-in scenario's seed calls the Severomuysky tunnel "the weak point of Russian military
logistics". :func:`weak_point` answers that claim from the model, for any scenario whose
``[[disruptions]]`` name the structure (the *focus*) and whose ``[[assumptions]]`` give the
uncertain figures a range:

* **corridor** — the served-demand loss (Mt/yr) of the focus section (all focus groups at
  once) against the corridor's weakest element, at the scenario's values and at both ends of
  every assumption that changes capacities or demand (the others cannot change a
  served-demand LP);
* **route** — whether the shipment's fastest route runs through the focus, and the exact value
  of each time assumption (``bam_speed`` on the corridor) at which it flips: route times are
  affine in ``1/speed``, so the flip is where two routes' time lines cross
  (:func:`chokepoint.workflows._thresholds.route_flips`);
* **shipment** — on the route through the focus (the assumption's end where it runs there),
  the delay the focus's loss causes, the route's worst element, and the exact value of each
  capacity assumption (``bypass_capacity``) at which the detour stops using the rest of the
  focus: where an arc's capacity crosses the shipment's rate
  (:func:`chokepoint.workflows._thresholds.capacity_flips`);

:func:`bisect_flip` is the search the exact thresholds replaced; the tests keep it as the
reference. :func:`weak_point_statements` gives the findings' sentences for a loaded scenario.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from chokepoint.analyses.criticality import element_arcs, served_criticality
from chokepoint.analyses.served import served_amounts
from chokepoint.scenario import Assumption, Scenario
from chokepoint.workflows._thresholds import (
    Dependence,
    ExactFlip,
    Points,
    capacity_flips,
    crossings,
    dependence,
    effect,
    route_flips,
)
from chokepoint.workflows.sensitivity import Study

__all__ = ["WeakPointAnswer", "bisect_flip", "weak_point", "weak_point_of",
           "weak_point_statements"]

#: Answers of the route and shipment measures that capacity assumptions can flip.
SHIPMENT_KEYS = ("route_via_focus", "focus_detour_via_bypass", "focus_delay_h",
                 "shipment_weakest")


@dataclass
class WeakPointAnswer:
    """The computed answer; every figure carries its unit in its key."""

    focus: tuple[str, ...]
    corridor: dict[str, Any] = field(default_factory=dict)
    route: dict[str, Any] = field(default_factory=dict)
    shipment: dict[str, Any] = field(default_factory=dict)
    tornado: list[dict[str, Any]] = field(default_factory=list)
    statements: list[str] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form."""
        return {"focus": list(self.focus), "corridor": self.corridor, "route": self.route,
                "shipment": self.shipment, "tornado": self.tornado,
                "statements": self.statements}


def bisect_flip(study: Study, aid: str, key: str, *, fixed: dict[str, float], tol: float
                ) -> dict[str, Any]:
    """Bisection on assumption ``aid`` for the value where answer ``key`` changes (the
    reference for the exact thresholds: O(log(1/tol)) evaluations, one flip at most)."""
    a = next(x for x in study.scenario().assumptions if x.id == aid)
    lo, hi = a.low, a.high

    def at(v: float) -> Any:
        return study.answers({**fixed, aid: v}, ("route", "shipment"))[key]

    v_lo, v_hi = at(lo), at(hi)
    out: dict[str, Any] = {"assumption": aid, "unit": a.unit, "low": lo, "high": hi,
                           "at_low": v_lo, "at_high": v_hi, "value": a.value}
    if v_lo == v_hi:
        out["flip"] = None
        return out
    while hi - lo > tol * (a.high - a.low):
        mid = 0.5 * (lo + hi)
        if at(mid) == v_lo:
            lo = mid
        else:
            hi = mid
    out["flip"] = 0.5 * (lo + hi)
    out["bracket"] = [lo, hi]
    return out


def _flip_dict(f: ExactFlip, a: Assumption) -> dict[str, Any]:
    return {**asdict(f), "unit": a.unit, "name": a.name or a.id, "low": a.low,
            "high": a.high, "scenario_value": a.value}


def _dependences(points: Points, assumptions: Sequence[Assumption]) -> dict[str, Dependence]:
    """How each assumption moves the network; ``none`` (no build) for figures that cannot
    move it (repair times, attack costs), ``other`` (no fit) for demand and settings."""
    out = {}
    for a in assumptions:
        kind = effect(a.paths) if a.high > a.low else "none"
        out[a.id] = (dependence(points, a.id, a.low, a.high, {}, value=a.value)
                     if kind in ("time", "capacity") else Dependence(kind))
    return out


def _route(study: Study, points: Points, assumptions: Sequence[Assumption],
           deps: dict[str, Dependence]) -> dict[str, Any]:
    base = study.answers(None, ("route", "shipment"))
    flips = []
    for a in assumptions:
        if a.id in deps and deps[a.id].kind == "time":
            flips += [_flip_dict(f, a) for f in route_flips(
                points, a.id, a.low, a.high, deps[a.id], study.focus, {})]
    return {"via_focus": base["route_via_focus"], "time_h": base["route_time_h"],
            "route": base["route"], "flips": flips, "flip": flips[0] if flips else None}


def _shipment(study: Study, points: Points, assumptions: Sequence[Assumption],
              deps: dict[str, Dependence], route: dict[str, Any]) -> dict[str, Any]:
    """The shipment on the route through the focus, and the capacity flips there."""
    f = route["flip"]
    at: dict[str, float] = {}
    if f is not None and not route["via_focus"]:
        at = {f["assumption"]: f["high"] if f["above"] else f["low"]}
    ans = study.answers(at, ("route", "shipment"))
    out: dict[str, Any] = {
        "assumed": at, "via_focus": ans["route_via_focus"], "route": ans["route"],
        "time_h": ans["route_time_h"], "focus_delay_h": ans["focus_delay_h"],
        "detour_via_bypass": ans.get("focus_detour_via_bypass"),
        "weakest": ans["shipment_weakest"], "weakest_delay_h": ans["shipment_weakest_delay_h"],
        "single_points": ans["shipment_single_points"], "flips": []}

    def answers(s: Scenario) -> dict[str, Any]:
        from chokepoint.workflows._headline import headline

        return headline(s, measures=("route", "shipment"), focus=study.focus)

    for a in assumptions:
        dep = deps.get(a.id)
        if dep is None or dep.kind != "capacity" or a.id in at or not len(
                crossings(dep, a.low, a.high)):
            continue  # no arc crosses the shipment's rate within the range: no flip
        if at:  # the capacities' dependence at the route's end (3 cached builds)
            dep = dependence(points, a.id, a.low, a.high, at, value=a.value)
            if dep.kind != "capacity":
                continue
        out["flips"] += [_flip_dict(x, a) for x in capacity_flips(
            points, a.id, a.low, a.high, dep, SHIPMENT_KEYS, answers, at)]
    out["flip"] = next((x for x in out["flips"] if x["answer"] == "focus_detour_via_bypass"),
                       None)
    if out["flip"] is not None:
        delays = {x["assumption"]: x for x in out["flips"] if x["answer"] == "focus_delay_h"}
        out["delay_without_bypass_h"] = (delays[out["flip"]["assumption"]]["below"]
                                         if out["flip"]["assumption"] in delays
                                         else out["focus_delay_h"])
    return out


def _served(s: Scenario, removed: np.ndarray | None = None) -> float:
    served = served_amounts(s.network.compiled, s.demands, removed=removed, fair=False)
    return float(served.sum())


def _losses(s: Scenario, focus: Sequence[str], weakest: str) -> tuple[float, float]:
    """(section loss, the element's loss) in t/day: three LPs."""
    c = s.network.compiled
    ids, arcs = element_arcs(c, "group", sorted({*focus, weakest}))
    by = dict(zip(ids, arcs, strict=True))
    base = _served(s)
    section = np.unique(np.concatenate([by[g] for g in focus]))
    return base - _served(s, section), base - _served(s, by[weakest])


def _weakest(s: Scenario, ranking: pd.DataFrame | None) -> str:
    if ranking is None or "served_loss" not in ranking:
        ranking = served_criticality(s.network.compiled, s.demands, kind="group")
    top = ranking.sort_values("served_loss", ascending=False, kind="stable")
    return str(top["element"].iloc[0])


def _corridor(study: Study, points: Points, assumptions: Sequence[Assumption],
              deps: dict[str, Dependence], ranking: pd.DataFrame | None) -> dict[str, Any]:
    s = points.at(None)
    per_year = s.units.days_per_year / 1e6
    weakest = _weakest(s, ranking)
    section, worst = _losses(s, study.focus, weakest)
    rows: list[dict[str, Any]] = [
            {"at": "scenario", "weakest": weakest, "section_loss_Mt_per_yr": section * per_year,
             "weakest_loss_Mt_per_yr": worst * per_year}]
    for a in assumptions:
        if deps.get(a.id, Dependence("none")).kind in ("none", "time"):
            continue  # served demand depends on capacities and demand only
        for end, v in (("low", a.low), ("high", a.high)):
            sa = points.at({a.id: v})
            sec, w = _losses(sa, study.focus, weakest)
            who = weakest
            if sec >= w - 1e-9:  # the scenario's weakest no longer dominates: rank them all
                who = _weakest(sa, None)
                sec, w = _losses(sa, study.focus, who)
            rows.append({"at": f"{a.id}={end}", "weakest": who,
                         "section_loss_Mt_per_yr": sec * per_year,
                         "weakest_loss_Mt_per_yr": w * per_year})
    tested = [r for r in rows if r["weakest_loss_Mt_per_yr"] > 0]
    return {"focus_is_weakest_anywhere": any(
                r["section_loss_Mt_per_yr"] >= r["weakest_loss_Mt_per_yr"] - 1e-9 for r in tested),
            "max_section_share": max((r["section_loss_Mt_per_yr"] / r["weakest_loss_Mt_per_yr"]
                                      for r in tested), default=float("nan")),
            "section_loss_Mt_per_yr": rows[0]["section_loss_Mt_per_yr"],
            "weakest": weakest, "weakest_loss_Mt_per_yr": rows[0]["weakest_loss_Mt_per_yr"],
            "assumptions_tested": sorted({r["at"].split("=")[0] for r in rows[1:]}),
            "points": rows}


def weak_point(study: Study, *, ranking: pd.DataFrame | None = None, corridor: bool = True
               ) -> WeakPointAnswer:
    """Answer "is the focus the weak point?" with exact flip values.

    Parameters
    ----------
    study
        The scenario as a :class:`~chokepoint.workflows.sensitivity.Study` whose ``focus`` is
        the structure in question (``Study.of`` takes the disrupted elements).
    ranking
        The failure-group ranking if already computed (its top element is the corridor's
        weakest); otherwise one served-demand LP per group.
    corridor
        Also answer the corridor part.

    Notes
    -----
    Cost: three scenario builds per assumption (tens of ms each); O(breakpoints) Dijkstra runs
    per time assumption; one route-and-shipment evaluation per capacity interval; three LPs
    per end of each capacity or demand assumption. About a second on the built-in corridor.
    """
    points = Points.of(study.scenario)
    s = points.at(None)
    assumptions = list(s.assumptions)
    ans = WeakPointAnswer(focus=study.focus)
    if not study.focus:
        return ans
    deps = _dependences(points, assumptions)
    ans.route = _route(study, points, assumptions, deps)
    ans.shipment = _shipment(study, points, assumptions, deps, ans.route)
    if corridor and s.demands:
        ans.corridor = _corridor(study, points, assumptions, deps, ranking)
    ans.tornado = _tornado(study, points, assumptions, deps, ans.corridor)
    ans.statements = _statements(s, ans)
    return ans


#: The tornado's answers: key → (title, unit); ``{focus}`` is the first focus element's
#: name, ``{section}`` all of them.
TORNADO = {"route_time_h": ("Shipment's fastest route time", "h"),
           "focus_delay_h": ("Shipment's delay if {focus} is lost", "h"),
           "section_loss_Mt_per_yr": ("Served demand lost with {section}", "Mt/yr")}


def _route_answers(s: Scenario, focus: Sequence[str]) -> dict[str, float]:
    """Route time and the first focus group's delay: a few Dijkstra runs."""
    from chokepoint.workflows._headline import _unusable, shipment_path

    dead = _unusable(s)
    base = shipment_path(s, dead)[0]
    _, arcs = element_arcs(s.network.compiled, "group", [focus[0]])
    return {"route_time_h": base,
            "focus_delay_h": shipment_path(s, np.union1d(dead, arcs[0]))[0] - base}


def _tornado(study: Study, points: Points, assumptions: Sequence[Assumption],
             deps: dict[str, Dependence], corridor: dict[str, Any]) -> list[dict[str, Any]]:
    """One bar per (answer, assumption) that moves it: the answer at the range's low and high
    ends, the others at the scenario's values (the builds are those of the thresholds)."""
    base = _route_answers(points.at(None), study.focus)
    rows = {r["at"]: r for r in corridor.get("points", [])}
    if rows:
        base["section_loss_Mt_per_yr"] = rows["scenario"]["section_loss_Mt_per_yr"]
    s = points.at(None)
    names = {"focus": s.network.describe(study.focus[0]),
             "section": " and ".join(s.network.describe(g) for g in study.focus)}
    bars: list[dict[str, Any]] = []
    for a in assumptions:
        kind = deps.get(a.id, Dependence("none")).kind
        if kind in ("time", "capacity"):
            ends = [_route_answers(points.at({a.id: v}), study.focus) for v in (a.low, a.high)]
        else:
            ends = [{}, {}]
        for end, side in zip(ends, ("low", "high"), strict=True):
            if f"{a.id}={side}" in rows:
                end["section_loss_Mt_per_yr"] = rows[f"{a.id}={side}"]["section_loss_Mt_per_yr"]
        for key, (title, unit) in TORNADO.items():
            if key not in ends[0] or key not in ends[1] or key not in base:
                continue
            lo, hi = float(ends[0][key]), float(ends[1][key])
            vals = [v for v in (lo, hi, base[key]) if np.isfinite(v)]
            swing = max(vals) - min(vals) if vals else math.inf
            if swing > 1e-9:
                bars.append({"answer": key, "title": title.format(**names), "unit": unit,
                             "assumption": a.id, "name": a.name or a.id,
                             "assumption_unit": a.unit, "low": a.low, "high": a.high,
                             "base": float(base[key]), "at_low": lo, "at_high": hi,
                             "swing": swing})
    bars.sort(key=lambda b: (list(TORNADO).index(b["answer"]), -b["swing"]))
    return bars


def weak_point_of(s: Scenario, *, ranking: pd.DataFrame | None = None
                  ) -> WeakPointAnswer | None:
    """:func:`weak_point` for a scenario
    read from a TOML file with ``[[assumptions]]``, disruptions (the focus) and a commodity;
    None otherwise. About a second on the built-in corridor given its ``ranking``."""
    if s.path is None or not s.assumptions or not s.disruptions or not s.commodities:
        return None
    study = Study.from_path(s.path)
    study.focus = tuple(dict.fromkeys(d.element for d in s.disruptions))
    return weak_point(study, ranking=ranking, corridor=True)


def weak_point_statements(s: Scenario, *, ranking: pd.DataFrame | None = None) -> list[str]:
    """The findings' sentences on "is the disrupted structure the weak point?" (see
    :func:`weak_point_of`; none when it does not apply)."""
    ans = weak_point_of(s, ranking=ranking)
    return ans.statements if ans is not None else []


def _unit(u: str) -> str:
    return u.replace("_", " ")


def _statements(s: Scenario, a: WeakPointAnswer) -> list[str]:
    """Plain-language findings, computed from the answer (never hand-written)."""
    name = s.network.describe
    focus = " and ".join(name(g) for g in a.focus)
    out = []
    c = a.corridor
    if c:
        ends = len(c["assumptions_tested"])
        verdict = ("the weak point at some end of an assumption's range"
                   if c["focus_is_weakest_anywhere"] else
                   f"never the weak point within the ranges of its {ends} capacity and demand "
                   "assumptions")
        out.append(
            f"Corridor: {verdict} — losing {focus} together costs "
            f"{c['section_loss_Mt_per_yr']:.1f} Mt/yr of served demand, at most "
            f"{c['max_section_share']:.0%} of the weakest element's loss ("
            f"{name(c['weakest'])}, {c['weakest_loss_Mt_per_yr']:.1f} Mt/yr at the scenario's "
            "values).")
    f = a.route.get("flip")
    first = name(a.focus[0])
    if f is not None:
        now = "runs through" if a.route["via_focus"] else "avoids"
        side = "above" if f["above"] else "below"
        out.append(
            f"Route: the shipment's fastest route {now} {first} at the scenario's "
            f"{f['assumption']} = {f['scenario_value']:g} {_unit(f['unit'])} "
            f"({a.route['time_h']:.1f} h) and runs through it {side} {f['value']:.2f} "
            f"{_unit(f['unit'])}, where both routes take the same time (exact).")
    sh, g = a.shipment, a.shipment.get("flip")
    if sh and sh["via_focus"]:
        unit = _unit(f["unit"]) if f is not None else ""
        when = ", ".join(f"{k} = {v:g} {unit}".strip() for k, v in sh["assumed"].items())
        text = ("Shipment on that route" + (f" ({when})" if when else "")
                + f": losing {first} delays it {sh['focus_delay_h']:.1f} h")
        if g is not None:
            text += (f" by the bypass while {g['assumption']} >= {g['value']:.3f} "
                     f"{_unit(g['unit'])} (the shipment's own rate; assumed "
                     f"{g['scenario_value']:g}), {sh['delay_without_bypass_h']:.1f} h below")
        out.append(text + f"; its worst element is {name(sh['weakest'])} "
                   f"({sh['weakest_delay_h']:.1f} h), besides {len(sh['single_points'])} "
                   "single points of failure.")
    return out
