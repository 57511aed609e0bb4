"""Is a structure the weak point of a corridor and of a shipment's route — and when?

The built-in scenario's seed calls the Severomuysky tunnel "the weak point of Russian military
logistics". :func:`weak_point` answers that claim from the model, for any scenario with focus
groups and ``[[assumptions]]``:

* **corridor** — the served-demand loss (Mt/yr) of the focus section (all focus groups at
  once) against the corridor's weakest element, at the scenario's values and at every
  assumption's low and high end;
* **route** — whether the shipment's fastest route runs through the focus, and the value of
  the route-deciding assumption (``bam_speed`` on the corridor) at which it flips, found by
  bisection;
* **shipment** — on that route, the delay the focus's loss causes against the worst element
  of the route, and the value of the capacity assumption (``bypass_capacity``) at which the
  focus's loss stops being absorbed by its bypass, found by bisection;
* **attack** — the scenario's disruptions integrated over their dates (tonnes not served)
  against the worst attack of the same size and attack budget with the same repair times,
  searched over pairs of the costliest single attacks (a lower bound on the exact worst, which
  ``chokepoint interdict --horizon-days`` computes).
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from chokepoint.analyses.criticality import element_arcs, served_criticality
from chokepoint.analyses.served import served_demand
from chokepoint.scenario import Scenario
from chokepoint.workflows.sensitivity import Study

__all__ = ["WeakPointAnswer", "weak_point"]


@dataclass
class WeakPointAnswer:
    """The computed answer; every figure carries its unit in its key."""

    focus: tuple[str, ...]
    corridor: dict[str, Any] = field(default_factory=dict)
    route: dict[str, Any] = field(default_factory=dict)
    shipment: dict[str, Any] = field(default_factory=dict)
    attack: dict[str, Any] = field(default_factory=dict)
    statements: list[str] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form."""
        return {"focus": list(self.focus), "corridor": self.corridor, "route": self.route,
                "shipment": self.shipment, "attack": self.attack,
                "statements": self.statements}


def _flip(study: Study, aid: str, key: str, *, fixed: dict[str, float], tol: float
          ) -> dict[str, Any]:
    """Bisection on assumption ``aid`` for the value where answer ``key`` changes."""
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


def _corridor(study: Study) -> dict[str, Any]:
    s = study.scenario()
    rows = [{"at": "scenario", **study.answers(None, ("corridor",))}]
    for a in s.assumptions:
        for end, v in (("low", a.low), ("high", a.high)):
            rows.append({"at": f"{a.id}={end}", **study.answers({a.id: v}, ("corridor",))})
    weakest = all(r["corridor_weakest"] in study.focus for r in rows)
    ratio = max(r["section_loss_Mt_per_yr"] / r["corridor_weakest_loss_Mt_per_yr"]
                for r in rows if r["corridor_weakest_loss_Mt_per_yr"] > 0)
    return {"focus_is_weakest_anywhere": weakest, "max_section_share": ratio,
            "section_loss_Mt_per_yr": rows[0]["section_loss_Mt_per_yr"],
            "weakest": rows[0]["corridor_weakest"],
            "weakest_loss_Mt_per_yr": rows[0]["corridor_weakest_loss_Mt_per_yr"],
            "points": rows}


def _integrated(s: Scenario, base: float, plan: Sequence[tuple[np.ndarray, float]]) -> float:
    """Tonnes not served when each (arcs, repair days) closes at day 0 until repaired."""
    lost, t = 0.0, 0.0
    for end in sorted({d for _, d in plan}):
        open_arcs = [a for a, d in plan if d > t]
        if open_arcs and end > t:
            arcs = np.unique(np.concatenate(open_arcs))
            r = served_demand(s.network.compiled, s.demands, removed=arcs, fastest=False,
                              fair=False)
            lost += (base - r.total_served) * (end - t)
        t = end
    return lost


def _attack(study: Study, *, pool: int = 8) -> dict[str, Any]:
    s = study.scenario()
    c = s.network.compiled
    base = served_demand(c, s.demands, fastest=False, fair=False).total_served
    cost, protected = s.network.attack_terms("group")
    repair = s.network.repair_terms("group")
    now = study.answers(None, ("attack",))
    actual = now["attack_lost_no_backlog_t"]
    size = len({d.element for d in s.disruptions})
    budget = sum(cost.get(d.element, 1.0) for d in {d.element: d for d in s.disruptions}.values())
    crit = served_criticality(c, s.demands, kind="group")
    crit = crit[~crit["element"].isin(protected)]
    single = {str(g): float(loss) * repair[str(g)]
              for g, loss in zip(crit["element"], crit["served_loss"], strict=True)}
    top = sorted(single, key=lambda g: -single[g])[:pool]
    ids, arcs = element_arcs(c, "group", top)
    arc_of = dict(zip(ids, arcs, strict=True))
    best: tuple[float, tuple[str, ...]] = (0.0, ())
    for plan in itertools.combinations(top, size):
        if sum(cost[g] for g in plan) > budget + 1e-9:
            continue
        v = _integrated(s, base, [(arc_of[g], repair[g]) for g in plan])
        best = max(best, (v, plan))
    return {"actual_lost_t": actual, "actual_lost_with_backlog_t": now["attack_lost_t"],
            "size": size, "budget": budget,
            "worst_found_lost_t": best[0], "worst_found": list(best[1]),
            "method": f"best plan of {size} among the {pool} costliest single attacks "
                      "(each closed from day 0 for its repair_days): a lower bound on the worst"}


def weak_point(study: Study, *, route_assumption: str = "bam_speed",
               capacity_assumption: str = "bypass_capacity", tol: float = 1e-3,
               corridor: bool = True, attack: bool = True) -> WeakPointAnswer:
    """Answer "is the focus the weak point?" with the flip values of the two assumptions.

    Cost: the corridor part solves one LP per candidate at 2 × (assumptions) + 1 points; the
    flips take O(log(1/tol)) route evaluations each; the attack part one LP per group plus one
    or two per plan examined.
    """
    s = study.scenario()
    ids = {a.id for a in s.assumptions}
    ans = WeakPointAnswer(focus=study.focus)
    base = study.answers(None, ("route", "shipment"))
    ans.route = {"via_focus": base["route_via_focus"], "time_h": base["route_time_h"],
                 "route": base["route"]}
    if route_assumption in ids:
        ans.route["flip"] = _flip(study, route_assumption, "route_via_focus", fixed={},
                                  tol=tol)
    hi = {route_assumption: next(a.high for a in s.assumptions if a.id == route_assumption)} \
        if route_assumption in ids else {}
    on_route = study.answers(hi, ("route", "shipment"))
    ans.shipment = {"assumed": hi, "via_focus": on_route["route_via_focus"],
                    "focus_delay_h": on_route["focus_delay_h"],
                    "detour_via_bypass": on_route.get("focus_detour_via_bypass"),
                    "weakest": on_route["shipment_weakest"],
                    "weakest_delay_h": on_route["shipment_weakest_delay_h"],
                    "single_points": on_route["shipment_single_points"]}
    if capacity_assumption in ids:
        ans.shipment["flip"] = _flip(study, capacity_assumption, "focus_detour_via_bypass",
                                     fixed=hi, tol=tol)
    if corridor and study.candidates:
        ans.corridor = _corridor(study)
    if attack and s.disruptions:
        ans.attack = _attack(study)
    ans.statements = _statements(ans)
    return ans


def _statements(a: WeakPointAnswer) -> list[str]:
    """Plain-language findings, computed from the answer (never hand-written)."""
    out = []
    c = a.corridor
    if c:
        out.append(
            f"Corridor: losing the whole focus section costs "
            f"{c['section_loss_Mt_per_yr']:.1f} Mt/yr of served demand; the weakest element, "
            f"{c['weakest']}, costs {c['weakest_loss_Mt_per_yr']:.1f} Mt/yr. The section is "
            + ("the weakest at every tested point." if c["focus_is_weakest_anywhere"] else
               f"not the weakest at any tested point (at most {c['max_section_share']:.0%} "
               "of the weakest)."))
    f = a.route.get("flip") or {}
    if f.get("flip") is not None:
        runs = "runs" if a.route["via_focus"] else "does not run"
        out.append(f"Route: the shipment's fastest route {runs} through the focus; it flips at "
                   f"{f['assumption']} = {f['flip']:.2f} {f['unit']}.")
    sh, g = a.shipment, a.shipment.get("flip") or {}
    if sh:
        when = ", ".join(f"{k} = {v:g}" for k, v in sh["assumed"].items())
        out.append(f"Shipment ({when}, route {'through' if sh['via_focus'] else 'not through'} "
                   f"the focus): losing {a.focus[0]} delays it {sh['focus_delay_h']:.1f} h"
                   + (" (the detour uses the bypass)" if sh["detour_via_bypass"] else "")
                   + f"; the element of the route whose loss delays it most (leaving aside "
                   f"its {len(sh['single_points'])} single points of failure) is "
                   f"{sh['weakest']} ({sh['weakest_delay_h']:.1f} h).")
    if g.get("flip") is not None:
        out.append(f"The bypass absorbs the loss of {a.focus[0]} while {g['assumption']} >= "
                   f"{g['flip']:.3f} {g['unit']} (bisection); below it the detour leaves the BAM.")
    if a.attack:
        t = a.attack
        out.append(f"Attack: the scenario's disruptions cost {t['actual_lost_t'] / 1e3:,.0f} kt "
                   "of served demand over their dates without backlog "
                   f"({t['actual_lost_with_backlog_t'] / 1e3:,.0f} kt lost when deferred demand "
                   "is carried later); the worst attack of the same size and budget found "
                   f"({', '.join(t['worst_found'])}) costs {t['worst_found_lost_t'] / 1e3:,.0f} "
                   "kt without backlog.")
    return out
