"""The time-aware branch of ``interdict`` (``--horizon-days``): options to arguments, output."""

from __future__ import annotations

import datetime as dt
from typing import Any

from rich.markup import escape

from chokepoint.cli._app import _num, _print_json, out
from chokepoint.errors import InputError
from chokepoint.scenario import Scenario


def horizon_start(s: Scenario, start: str | None) -> dt.date:
    """``--start``, else the date of the scenario's first disruption, else today."""
    if start:
        return _date(start, "--start")
    if s.disruptions:
        return min(d.start for d in s.disruptions).date()
    return dt.date.today()


def _date(text: str, flag: str) -> dt.date:
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        raise InputError(f"{flag} must be a date like 2023-11-29, not {text!r}") from None


def integrated_unit(s: Scenario) -> str:
    """Unit of demand integrated over days (base rate unit without ``/day``)."""
    base = s.units.base
    unit = base.removesuffix("/day") if base.endswith("/day") else f"{base}·day"
    if any(d.priority != 1.0 for d in s.demands):
        return f"priority-weighted {unit}"
    return unit


def run(s: Scenario, *, k: int, horizon_days: int, by: str, budget: float | None,
        protect: list[str], attack_date: str | None, chooses: bool, start: str | None,
        backlog_days: float | None, time_limit: float, as_json: bool) -> None:
    """Solve and print the worst timed attack (objective ``lost``)."""
    from chokepoint.analyses.interdiction import timed_interdiction
    from chokepoint.analyses.interdiction.repair import repair_days

    if attack_date and chooses:
        raise InputError("give --attack-date or --attacker-chooses-dates, not both")
    if not s.demands:
        raise InputError("--objective lost needs demands (commodities or background) in the "
                         "scenario")
    day0 = horizon_start(s, start)
    attack_day: int | None = None
    if not chooses:
        attack_day = (_date(attack_date, "--attack-date") - day0).days if attack_date else 0
    cost, not_attackable = s.network.attack_terms(by)
    r = timed_interdiction(
        s.network.compiled, s.demands, k=k, horizon_days=horizon_days,
        repair_days=repair_days(s.network, by), kind=by, budget=budget, cost=cost,
        protected=[*not_attackable, *protect], attack_day=attack_day,
        backlog_days=backlog_days, unit=integrated_unit(s), time_limit=time_limit)
    timing = [{**t, "attack_date": (day0 + dt.timedelta(days=t["attack_day"])).isoformat(),
               "reopen_date": (day0 + dt.timedelta(days=t["reopen_day"])).isoformat()}
              for t in r.timing]
    data: dict[str, Any] = {
        "objective": "lost", "value": r.value, "unit": r.unit, "removed": r.removed,
        "removed_names": [s.network.describe(e) for e in r.removed], "timing": timing,
        "lower_bound": r.lower_bound, "upper_bound": r.upper_bound, "gap": r.gap,
        "status": r.status, "kind": by, "k": k, "budget": r.budget,
        "horizon_days": horizon_days, "start": day0.isoformat(), "intact": r.intact_value,
        "lost_by_commodity": r.lost_by_commodity,
        "backlog_days": backlog_days, "solver": r.solver}
    if as_json:
        _print_json(data)
        return
    out.print(f"Worst timed attack on {k} {by}(s) over {horizon_days} days from {day0} "
              f"([bold]{r.status}[/]):")
    for t in timing:
        out.print(f"  {escape(t['element'])}: closed {t['attack_date']} → "
                  f"{t['reopen_date']} ({escape(s.network.describe(t['element']))})")
    out.print(f"demand not delivered over the horizon: [bold]{_num(r.value, 1)}[/] {r.unit}")
    for cid, v in r.lost_by_commodity.items():
        if v > 0:
            out.print(f"  {escape(cid)}: {_num(v, 1)} {s.units.base.removesuffix('/day')}")
    if r.status != "optimal":
        out.print(f"bounds {_num(r.lower_bound, 1)} .. {_num(r.upper_bound, 1)} {r.unit}")
