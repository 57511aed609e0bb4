"""The time-aware branch of ``interdict`` (``--horizon-days``): options to arguments, output."""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING, Any

from rich.markup import escape

from chokepoint.cli._app import _num, _print_json, out
from chokepoint.errors import InputError

if TYPE_CHECKING:  # annotations only: importing it at start-up would load pandas
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
    from chokepoint.workflows.attack import budget_rule

    day0 = horizon_start(s, start)
    attack_day = _attack_day(s, day0, attack_date, chooses)
    cost, not_attackable = s.network.attack_terms(by)
    r = timed_interdiction(
        s.network.compiled, s.demands, k=k, horizon_days=horizon_days,
        repair_days=repair_days(s.network, by), kind=by, budget=budget, cost=cost,
        protected=[*not_attackable, *protect], attack_day=attack_day,
        backlog_days=backlog_days, unit=integrated_unit(s), time_limit=time_limit)
    timing = _dated(r.timing, day0)
    data: dict[str, Any] = {
        "objective": "lost", "value": r.value, "unit": r.unit, "removed": r.removed,
        "removed_names": [s.network.describe(e) for e in r.removed], "timing": timing,
        "lower_bound": r.lower_bound, "upper_bound": r.upper_bound, "gap": r.gap,
        "status": r.status, "kind": by, "k": k, "budget": r.budget,
        "budget_rule": budget_rule(k, r.budget, by),
        "horizon_days": horizon_days, "start": day0.isoformat(), "intact": r.intact_value,
        "lost_by_commodity": r.lost_by_commodity,
        "backlog_days": backlog_days, "solver": r.solver}
    if as_json:
        _print_json(data)
        return
    out.print(f"Worst timed attack on {k} {by}(s) over {horizon_days} days from {day0} "
              f"([bold]{r.status}[/]):")
    out.print(f"  budget: {data['budget_rule']}")
    for t in timing:
        out.print(f"  {escape(t['element'])}: closed {t['attack_date']} → "
                  f"{t['reopen_date']} ({escape(s.network.describe(t['element']))})")
    out.print(f"demand not delivered over the horizon: [bold]{_num(r.value, 1)}[/] {r.unit}")
    for cid, v in r.lost_by_commodity.items():
        if v > 0:
            out.print(f"  {escape(cid)}: {_num(v, 1)} {s.units.base.removesuffix('/day')}")
    if r.status != "optimal":
        out.print(f"bounds {_num(r.lower_bound, 1)} .. {_num(r.upper_bound, 1)} {r.unit}")


def _attack_day(s: Scenario, day0: dt.date, attack_date: str | None,
                chooses: bool) -> int | None:
    if attack_date and chooses:
        raise InputError("give --attack-date or --attacker-chooses-dates, not both")
    if not s.demands:
        raise InputError("the time-aware objective needs demands (commodities or background) "
                         "in the scenario")
    if chooses:
        return None
    return (_date(attack_date, "--attack-date") - day0).days if attack_date else 0


def _dated(timing: list[dict[str, Any]], day0: dt.date) -> list[dict[str, Any]]:
    return [{**t, "attack_date": (day0 + dt.timedelta(days=t["attack_day"])).isoformat(),
             "reopen_date": (day0 + dt.timedelta(days=t["reopen_day"])).isoformat()}
            for t in timing]


def run_harden(s: Scenario, *, protect: int, k: int, horizon_days: int, by: str,
               attack_date: str | None, chooses: bool, start: str | None,
               backlog_days: float | None, time_limit: float, as_json: bool) -> None:
    """Solve and print the best protection against the worst timed attack."""
    from chokepoint.analyses.hardening import harden_timed
    from chokepoint.analyses.interdiction.repair import repair_days

    day0 = horizon_start(s, start)
    attack_day = _attack_day(s, day0, attack_date, chooses)
    cost, not_attackable = s.network.attack_terms(by)
    r = harden_timed(s.network.compiled, s.demands, protect=protect, k=k,
                     horizon_days=horizon_days, repair_days=repair_days(s.network, by),
                     kind=by, cost=cost, protected=not_attackable, attack_day=attack_day,
                     backlog_days=backlog_days, unit=integrated_unit(s), time_limit=time_limit)
    data: dict[str, Any] = {
        "objective": "lost", "kind": by, "k": k, "protect": protect,
        "protected": r.protected,
        "protected_names": [s.network.describe(e) for e in r.protected],
        "value": r.value, "unit": r.unit, "attack": r.attack,
        "timing": _dated(r.timing, day0), "value_unprotected": r.value_unprotected,
        "attack_unprotected": r.attack_unprotected, "intact": r.intact_value,
        "status": r.status, "bound": r.bound, "iterations": r.iterations,
        "horizon_days": horizon_days, "start": day0.isoformat()}
    if as_json:
        _print_json(data)
        return
    out.print(f"Protect {protect} {by}(s) against the worst timed attack on {k} over "
              f"{horizon_days} days ([bold]{r.status}[/]):")
    for e in r.protected:
        out.print(f"  protect {escape(e)}: {escape(s.network.describe(e))}")
    out.print(f"worst loss without protection: {_num(r.value_unprotected, 1)} {r.unit} "
              f"(attack: {', '.join(r.attack_unprotected) or 'none'})")
    out.print(f"worst loss with protection:    [bold]{_num(r.value, 1)}[/] {r.unit} "
              f"(attack: {', '.join(r.attack) or 'none'})")


def shipment(s: Scenario, commodity: str | None, units: float | None) -> tuple[Any, float]:
    """The commodity (``--commodity``, default the first) and the quantity to deliver
    (``--units``, default its rate times its window, else 30 days of its rate)."""
    if not s.commodities:
        raise InputError("--objective delay needs a commodity in the scenario")
    by_id = {d.id: d for d in s.commodities}
    if commodity is not None and commodity not in by_id:
        raise InputError(f"unknown commodity {commodity!r}; known: {', '.join(by_id)}")
    d = by_id[commodity] if commodity else s.commodities[0]
    if units is None:
        days = (d.end - d.start).days if d.start and d.end else 30
        units = d.rate * max(days, 1)
    return d, float(units)


def run_delay(s: Scenario, *, k: int, horizon_days: int, by: str, budget: float | None,
              protect: list[str], attack_date: str | None, chooses: bool, start: str | None,
              commodity: str | None, units: float | None, step_h: float, time_limit: float,
              as_json: bool) -> None:
    """Solve and print the timed attack that delays the shipment's last delivery most."""
    from chokepoint.analyses.interdiction.delay import delay_interdiction
    from chokepoint.analyses.interdiction.repair import repair_days
    from chokepoint.workflows.attack import budget_rule

    day0 = horizon_start(s, start)
    attack_day = _attack_day(s, day0, attack_date, chooses)
    d, q = shipment(s, commodity, units)
    cost, not_attackable = s.network.attack_terms(by)
    r = delay_interdiction(
        s.network.compiled, d, units=q, k=k, horizon_days=horizon_days,
        repair_days=repair_days(s.network, by), kind=by, budget=budget, cost=cost,
        protected=[*not_attackable, *protect], attack_day=attack_day, step_h=step_h,
        time_limit=time_limit)
    data: dict[str, Any] = {
        "objective": "delay", "value": r.value, "unit": r.unit, "removed": r.removed,
        "removed_names": [s.network.describe(e) for e in r.removed],
        "timing": _dated(r.timing, day0), "lower_bound": r.lower_bound,
        "upper_bound": r.upper_bound, "gap": r.upper_bound - r.lower_bound,
        "status": r.status, "commodity": d.label, "units": q, "base_unit": s.units.base,
        "completion_days": r.completion_days, "intact_days": r.intact_days, "kind": by,
        "k": k, "budget": r.budget, "budget_rule": budget_rule(k, r.budget, by),
        "horizon_days": horizon_days, "start": day0.isoformat(), "solver": r.solver}
    if as_json:
        _print_json(data)
        return
    out.print(f"Timed attack on {k} {by}(s) that delays {escape(d.label)} most "
              f"([bold]{r.status}[/]):")
    out.print(f"  budget: {data['budget_rule']}")
    for t in data["timing"]:
        out.print(f"  {escape(t['element'])}: closed {t['attack_date']} → {t['reopen_date']}")
    out.print(f"last delivery: day {_num(r.intact_days, 1)} → day "
              f"{_num(r.completion_days, 1)} (delay [bold]{_num(r.value, 1)}[/] days)")
