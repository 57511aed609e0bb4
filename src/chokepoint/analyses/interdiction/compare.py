"""A given timed attack against the worst one of the same size and cost, and the defence.

For the analyst's question "what did this attack cost, what could an attacker with the same
means have done, and what should have been protected first?": the given plan is valued with
:func:`~chokepoint.analyses.interdiction.timed.timed_plan_cost`; the worst attack with as many
elements and no more total attack cost, on the same days, with
:func:`~chokepoint.analyses.interdiction.timed_interdiction`; the protection with
:func:`~chokepoint.analyses.hardening.harden_timed`. All three use the same operator LP and
the same closure rule, so the figures are comparable.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from chokepoint.analyses.interdiction.timed import (
    TimedInterdictionResult,
    timed_interdiction,
    timed_plan_cost,
)
from chokepoint.compiled import CompiledNetwork
from chokepoint.scenario import Demand

__all__ = ["AttackComparison", "compare_attack"]


@dataclass(kw_only=True)
class AttackComparison:
    """The given attack's cost, the worst attack of the same size and cost, and the defence.

    Attributes
    ----------
    actual_lost, actual_by_commodity
        Demand not delivered over the horizon because of the given plan (``unit``).
    worst
        The worst timed attack with ``k = len(plan)`` elements and budget = the plan's cost.
    protect_first
        The element to protect first against that attacker (``None`` when skipped).
    worst_after_protection
        The worst attack's cost once ``protect_first`` is protected.
    """

    actual_lost: float
    actual_by_commodity: dict[str, float]
    intact: float
    unit: str
    worst: TimedInterdictionResult
    protect_first: str | None
    worst_after_protection: float | None


def compare_attack(
    c: CompiledNetwork,
    demands: Sequence[Demand],
    plan: Sequence[tuple[str, int, float]],
    *,
    horizon_days: int,
    repair_days: Mapping[str, float],
    kind: str = "group",
    cost: Mapping[str, float] | None = None,
    protected: Sequence[str] = (),
    backlog_days: float | None = None,
    unit: str = "unit",
    defend: bool = True,
    time_limit: float = 300.0,
) -> AttackComparison:
    """Compare a given timed plan (``(element, attack day, repair days)`` each) with the worst
    attack of the same size and cost, attacking on the plan's first day, and (``defend``) the
    best single protection against that attacker."""
    from chokepoint.analyses.hardening import harden_timed

    lost, intact, by = timed_plan_cost(c, demands, plan, horizon_days=horizon_days,
                                       kind=kind, backlog_days=backlog_days)
    k = len(plan)
    budget = sum((cost or {}).get(e, 1.0) for e, _, _ in plan)
    day = min(int(d) for _, d, _ in plan) if plan else 0
    worst = timed_interdiction(c, demands, k=k, horizon_days=horizon_days,
                               repair_days=repair_days, kind=kind, budget=budget, cost=cost,
                               protected=protected, attack_day=day, backlog_days=backlog_days,
                               unit=unit, time_limit=time_limit)
    first, after = None, None
    if defend and k:
        h = harden_timed(c, demands, protect=1, k=k, horizon_days=horizon_days,
                         repair_days=repair_days, kind=kind, budget=budget, cost=cost,
                         protected=protected, attack_day=day, backlog_days=backlog_days,
                         unit=unit, time_limit=time_limit)
        first = h.protected[0] if h.protected else None
        after = h.value
    return AttackComparison(actual_lost=lost, actual_by_commodity=by, intact=intact, unit=unit,
                            worst=worst, protect_first=first, worst_after_protection=after)
