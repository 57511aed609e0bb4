"""The 2023 attack against the worst attack of the same size and cost, over the same days.

For the analyst's question "what did the attack cost, what could an attacker with the same
means have done, and what should have been protected first?" this workflow turns a scenario's
``[[disruptions]]`` into a timed attack plan (each element closed from its start day for its
repair time, or until its ``end``) and hands it to
valued with :func:`~chokepoint.analyses.interdiction.timed.timed_plan_cost`; beside it the
exact worst timed attack with as many elements and no more attack cost, and the worst for
other sizes ``k`` (:func:`~chokepoint.analyses.interdiction.timed_interdictions`: one
attacker–defender decomposition per size on one operator LP, lower and upper bounds), and
optionally the element a defender should protect first
(:func:`~chokepoint.analyses.hardening.harden_timed`). Every figure is demand not delivered over the
horizon, in tonnes, from the same operator LP (daily periods, optimal rerouting each day,
demand not carried queued for up to ``backlog_days`` days of demand and lost beyond), so the
figures compare. Repair times are the scenario's (``repair_days`` per element; see
:func:`~chokepoint.analyses.interdiction.repair.repair_days` for elements without one).
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from chokepoint.analyses.interdiction import timed_interdictions
from chokepoint.analyses.interdiction.repair import repair_days
from chokepoint.analyses.interdiction.timed import timed_plan_cost
from chokepoint.errors import InputError
from chokepoint.formatting import fmt
from chokepoint.scenario import Scenario

__all__ = ["AttackAnswer", "attack_2023", "attack_statement", "budget_rule", "plan_of"]

#: Demand not carried waits this many days of demand before it is lost (as the time-aware
#: cost of the disruptions, :func:`~chokepoint.analyses.multiperiod.disruption_cost`).
BACKLOG_DAYS = 7.0


@dataclass(kw_only=True)
class AttackAnswer:
    """The scenario's attack, the worst attack of the same size and cost, and the defence.

    Every ``*_t`` figure is tonnes of demand not delivered over ``horizon_days`` from
    ``start``; ``by_commodity`` maps commodity id → tonnes.
    """

    start: dt.date
    horizon_days: int
    kind: str
    plan: list[dict[str, Any]]
    actual_t: float
    actual_by_commodity: dict[str, float]
    budget: float
    worst: dict[str, Any]
    by_k: list[dict[str, Any]] = field(default_factory=list)
    protect_first: str | None = None
    protect_first_name: str | None = None
    worst_after_protection_t: float | None = None
    backlog_days: float = BACKLOG_DAYS

    @property
    def ratio(self) -> float:
        """The worst attack's cost over the actual one's (inf when the actual cost nothing)."""
        return self.worst["lost_t"] / self.actual_t if self.actual_t > 0 else math.inf

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form."""
        return {"start": self.start.isoformat(), "horizon_days": self.horizon_days,
                "kind": self.kind, "unit": "t", "backlog_days": self.backlog_days,
                "plan": self.plan, "actual_t": self.actual_t,
                "actual_by_commodity": self.actual_by_commodity, "budget": self.budget,
                "worst": self.worst, "ratio": None if math.isinf(self.ratio) else self.ratio,
                "by_k": self.by_k, "protect_first": self.protect_first,
                "protect_first_name": self.protect_first_name,
                "worst_after_protection_t": self.worst_after_protection_t}


def _kind(s: Scenario, elements: Sequence[str]) -> str:
    c = s.network.compiled
    for kind, index in (("group", c.group_index), ("link", c.link_index),
                        ("node", c.node_index)):
        if all(e in index for e in elements):
            return kind
    raise InputError("the disruptions mix links, nodes and failure groups; the attack "
                     "comparison needs one kind", element=", ".join(elements))


def plan_of(s: Scenario) -> tuple[dt.date, str, list[dict[str, Any]]]:
    """The scenario's closures (capacity factor 0) as a timed plan: horizon start (the first
    closure's day), element kind and, per element, its attack day and the days it stays
    closed — its ``repair_days``, else its ``end``, else the element's repair time (the
    operator works in daily periods: a closure is taken to start at its day's midnight)."""
    hits = [d for d in s.disruptions if d.capacity_factor <= 0.0]
    if not hits:
        raise InputError("the scenario has no closures (disruptions with capacity_factor 0)")
    day0 = min(d.start for d in hits).date()
    kind = _kind(s, [d.element for d in hits])
    default = repair_days(s.network, kind)
    plan = []
    for d in hits:
        if d.repair_days is not None:
            rep = float(d.repair_days)
        elif d.end is not None:
            rep = (d.end - d.start).total_seconds() / 86400.0
        else:
            rep = default.get(d.element, math.inf)
        day = (d.start.date() - day0).days
        plan.append({"element": d.element, "name": s.network.describe(d.element),
                     "attack_day": day, "repair_days": rep,
                     "attack_date": (day0 + dt.timedelta(days=day)).isoformat()})
    return day0, kind, plan


def _dated(timing: list[dict[str, Any]], day0: dt.date, s: Scenario) -> list[dict[str, Any]]:
    return [{**t, "name": s.network.describe(t["element"]),
             "attack_date": (day0 + dt.timedelta(days=t["attack_day"])).isoformat(),
             "reopen_date": (day0 + dt.timedelta(days=t["reopen_day"])).isoformat()}
            for t in timing]


def attack_2023(s: Scenario, *, horizon_days: int = 90, ks: Sequence[int] = (),
                defend: bool = False, backlog_days: float = BACKLOG_DAYS,
                time_limit: float = 120.0) -> AttackAnswer:
    """Compare the scenario's attack with the exact worst timed attack of the same size.

    Parameters
    ----------
    s
        A scenario with demands and closures (``[[disruptions]]`` with capacity factor 0).
    horizon_days
        Daily periods from the first closure's day.
    ks
        Also solve the worst attack on k elements for each k here (same budget per element
        as the plan's average, attack on the plan's first day).
    defend
        Also find the element to protect first against the same-size attacker.
    backlog_days
        Queue limit of the operator (days of demand).
    time_limit
        Seconds per exact solve; a solve that stops early reports its bounds and status.

    Returns
    -------
    AttackAnswer

    Notes
    -----
    Cost: one operator LP for the plan, and per exact solve an attacker–defender
    decomposition (a master MIP and an operator LP per iteration); about 3 s for k = 2 on
    the built-in corridor over 90 days.
    """
    if not s.demands:
        raise InputError("the attack comparison needs demands (commodities or background)")
    day0, kind, plan = plan_of(s)
    c = s.network.compiled
    cost, not_attackable = s.network.attack_terms(kind)
    repair = repair_days(s.network, kind)
    timed = [(p["element"], p["attack_day"], p["repair_days"]) for p in plan]
    lost, _, by = timed_plan_cost(c, s.demands, timed, horizon_days=horizon_days, kind=kind,
                                  backlog_days=backlog_days)
    budget = sum(cost.get(p["element"], 1.0) for p in plan)
    size = len(plan)
    sizes = [size, *(k for k in ks if k != size)]
    first = min(p["attack_day"] for p in plan)
    results = timed_interdictions(
        c, s.demands, attackers=[(k, budget / size * k) for k in sizes],
        horizon_days=horizon_days, repair_days=repair, kind=kind, cost=cost,
        protected=not_attackable, attack_day=first, backlog_days=backlog_days, unit="t",
        time_limit=time_limit)
    worst = {k: _worst(r, day0, s) for k, r in zip(sizes, results, strict=True)}
    # the defence starts from the same-size attack just solved (same attacker: reuse it)
    first_attack = results[0] if budget / size * size == budget else None
    out = AttackAnswer(start=day0, horizon_days=horizon_days, kind=kind, plan=plan,
                       actual_t=lost, actual_by_commodity=by, budget=budget,
                       worst=worst[size], by_k=[worst[k] for k in sorted(ks)],
                       backlog_days=backlog_days)
    if defend:
        from chokepoint.analyses.hardening import harden_timed

        h = harden_timed(c, s.demands, protect=1, k=size, horizon_days=horizon_days,
                         repair_days=repair, kind=kind, budget=budget, cost=cost,
                         protected=not_attackable, attack_day=first,
                         backlog_days=backlog_days, unit="t", time_limit=time_limit,
                         first=first_attack)
        out.protect_first = h.protected[0] if h.protected else None
        out.protect_first_name = (s.network.describe(out.protect_first)
                                  if out.protect_first else None)
        out.worst_after_protection_t = h.value
    return out


def _worst(r: Any, day0: dt.date, s: Scenario) -> dict[str, Any]:
    return {"k": r.k, "budget": r.budget, "removed": r.removed,
            "names": [s.network.describe(e) for e in r.removed],
            "timing": _dated(r.timing, day0, s), "lost_t": r.value,
            "by_commodity": r.lost_by_commodity, "lower_bound_t": r.lower_bound,
            "upper_bound_t": r.upper_bound, "status": r.status}


def budget_rule(k: int | None, budget: float, kind: str = "element") -> str:
    """The attacker's budget in words, so that two "k = 2" answers with different budgets
    never read as contradictory: ``"at most 2 groups of total attack cost ≤ 2"`` (a count
    of elements and a budget in the scenario's ``attack_cost`` units; without an explicit
    budget the command line uses ``k``, so an element costing more than ``k`` — a port at 3 —
    cannot be taken)."""
    what = f"{kind}s" if k != 1 else kind
    count = f"at most {k} {what}" if k is not None else f"any number of {kind}s"
    return f"{count} of total attack cost ≤ {budget:g}"


def attack_statement(a: AttackAnswer, *, shipment: str | None = None,
                     at_hours_t: float | None = None) -> str:
    """The finding's sentence, computed from the answer (``shipment``: a commodity id whose
    own loss to name; its figure is unique when it has the highest priority — the other
    commodities' split of a loss is one optimal allocation among several).

    ``at_hours_t``: the same attack's cost with its closures at their reported hours (the
    time-aware disruption cost); when given and different, the sentence names both figures
    and why they differ, so a reader never meets two unexplained costs of one attack."""
    def closes(items: list[tuple[str, float, str]]) -> str:
        return "; ".join(f"{name} {days:g} days from {day}" for name, days, day in items)

    w = a.worst
    given = [(p["name"], p["repair_days"], p["attack_date"]) for p in a.plan]
    worst = [(x["name"], x["reopen_day"] - x["attack_day"], x["attack_date"])
             for x in w["timing"]]
    exact = ("the exact worst" if w["status"] == "optimal" else
             f"the worst found ({w['status']}; at most {fmt(w['upper_bound_t'], 't', digits=0)})")
    grid = ""
    if at_hours_t is not None and abs(at_hours_t - a.actual_t) > 0.5:
        grid = (f" on the daily grid the attack search uses ({fmt(at_hours_t, 't', digits=0)}"
                " with the closures at their reported hours)")
    text = (f"The attack ({closes(given)}) cost "
            f"{fmt(a.actual_t, 't', digits=0)} of deliveries over {a.horizon_days} days"
            f"{grid}; "
            f"{exact} attack of the same size and attack cost ({closes(worst)})"
            f" costs {fmt(w['lost_t'], 't', digits=0)}")
    text += f", {a.ratio:.1f} times as much." if a.actual_t > 0 else "."
    if shipment is not None and shipment in a.actual_by_commodity:
        mine = max(a.actual_by_commodity[shipment], 0.0)
        theirs = max(w["by_commodity"].get(shipment, 0.0), 0.0)
        text += (f" The shipment {shipment} loses {fmt(mine, 't', digits=0)} to it and "
                 f"{fmt(theirs, 't', digits=0)} to the worst.")
    if a.protect_first is not None and a.worst_after_protection_t is not None:
        text += (f" Protecting {a.protect_first_name or a.protect_first} first would hold "
                 f"that attacker to {fmt(a.worst_after_protection_t, 't', digits=0)}.")
    if a.by_k:
        text += (" Worst attack on k = " + " / ".join(str(r["k"]) for r in a.by_k)
                 + " elements of attack cost ≤ " + " / ".join(f"{r['budget']:g}"
                                                         for r in a.by_k)
                 + " (the attack's cost per element): " + " / ".join(
                     fmt(r["lost_t"], digits=0) + ("" if r["status"] == "optimal"
                                                   else f" ({r['status']})") for r in a.by_k)
                 + " t.")
    return text
