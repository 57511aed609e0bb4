"""Commands on what failures cost: ``criticality``, ``interdict``, ``harden``, ``attack``."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer
from rich.markup import escape
from rich.table import Table

from chokepoint.cli._app import (
    JsonOpt,
    KindOpt,
    NoCacheOpt,
    ObjectiveOpt,
    PathArg,
    _check_kind,
    _check_measures,
    _load,
    _num,
    _print_json,
    _progress,
    _terminals,
    _value_block,
    app,
    cell,
    out,
)
from chokepoint.errors import InputError

if TYPE_CHECKING:  # annotations only: importing it at start-up would load pandas
    from chokepoint.scenario import Scenario


@app.command()
def criticality(
    path: PathArg,
    by: Annotated[str, typer.Option("--by", help="link, node or group.")] = "link",
    source: Annotated[list[str] | None, typer.Option("--source", "-s",
                                                     help="Source node id (repeatable).")] = None,
    sink: Annotated[list[str] | None, typer.Option("--sink", "-t",
                                                   help="Sink node id (repeatable).")] = None,
    measure: Annotated[list[str] | None, typer.Option(
        "--measure", help="throughput, served, detour, redundancy (repeatable; default all).")
    ] = None,
    top: Annotated[int, typer.Option(help="Rows to print.")] = 15,
    out_file: Annotated[Path | None, typer.Option(
        "--out", help="Write the whole table: .csv, .gpkg, .geojson, .shp or .parquet.")] = None,
    as_json: JsonOpt = False,
    no_cache: NoCacheOpt = False,
) -> None:
    """Rank every link, node or failure group by what its failure costs."""
    from chokepoint.workflows.ranking import MEASURES
    from chokepoint.workflows.ranking import criticality as rank

    _check_kind(by)
    _check_measures(measure, MEASURES)
    s = _load(path, cache=not no_cache)
    with _progress() as cb:
        table = rank(s, kind=by, sources=source, sinks=sink, measures=measure or MEASURES,
                     progress=cb)
    if out_file is not None:
        from chokepoint.workflows.files import write_ranking

        write_ranking(table, out_file, s, kind=by)
    if as_json:
        _print_json({"kind": by, "unit": s.units.base,
                     "elements": table.head(top if top > 0 else len(table)).to_dict("records")})
        return
    _print_ranking(s, table, top)
    if out_file is not None:
        out.print(f"Wrote {len(table)} rows to {out_file}")


def _print_ranking(s: Scenario, table: Any, top: int) -> None:
    t = Table(title=f"Criticality of {s.network.name} by {table['kind'].iloc[0]} "
                    f"(top {min(top, len(table))} of {len(table)})")
    cols = [("rank", "rank"), ("element", "id"), ("name", "name")]
    unit = s.units.report_units[0] if s.units.base != "unit" else None
    from chokepoint.workflows.ranking import unit_column

    tl = unit_column("throughput_loss", unit) if unit else "throughput_loss"
    for col, label in ((tl, f"throughput loss ({unit or 'unit'})"),
                       ("throughput_loss_rel", "loss %"),
                       ("served_loss_Mt_per_yr", "served lost Mt/yr"),
                       ("pairs_cut", "OD cut"), ("detour_max_increase_h", "detour +h")):
        if col in table.columns:
            cols.append((col, label))
    for col in table.columns:
        if str(col).startswith("alt_diff_"):
            w = str(col).removeprefix("alt_diff_")
            cols.append((col, "alt. route +" + {"time_h": "h", "length_km": "km"}.get(w, w)))
    for _, label in cols:
        t.add_column(label, justify="left" if label in ("id", "name") else "right")
    for rec in table.head(top).to_dict("records"):
        cells: list[Any] = []
        for col, _ in cols:
            v = rec[col]
            if col == "throughput_loss_rel":
                cells.append(f"{100 * v:.1f}")
            elif str(col).startswith("alt_diff_") and v == float("inf"):
                cells.append("none")
            elif isinstance(v, float):
                cells.append(_num(v, 2))
            else:
                cells.append(cell(v))
        t.add_row(*cells)
    out.print(t)


@app.command()
def interdict(
    path: PathArg,
    k: Annotated[int, typer.Option("--k", min=0, help="Elements the attacker may remove.")],
    budget: Annotated[float | None, typer.Option(
        help="Attack budget (element costs from attack_cost; default k).")] = None,
    objective: ObjectiveOpt = "flow",
    by: KindOpt = "link",
    source: Annotated[list[str] | None, typer.Option("--source", "-s")] = None,
    sink: Annotated[list[str] | None, typer.Option("--sink", "-t")] = None,
    protect: Annotated[list[str] | None, typer.Option(
        "--protect", help="Element that cannot be attacked (repeatable).")] = None,
    time_limit: Annotated[float, typer.Option(help="Solver time limit, seconds.")] = 60.0,
    horizon_days: Annotated[int | None, typer.Option(
        "--horizon-days", min=1, help="Time-aware: closures with repair times over this "
        "many daily periods (objective lost).")] = None,
    attack_date: Annotated[str | None, typer.Option(
        help="Time-aware: date of every attack (default the horizon's first day).")] = None,
    attacker_chooses_dates: Annotated[bool, typer.Option(
        "--attacker-chooses-dates", help="Time-aware: the attacker picks each day.")] = False,
    start: Annotated[str | None, typer.Option(
        help="Time-aware: first day of the horizon (default the first disruption's).")] = None,
    backlog_days: Annotated[float | None, typer.Option(
        help="Time-aware: demand not carried queues up to this many days of demand.")] = None,
    commodity: Annotated[str | None, typer.Option(
        help="Objective delay: the shipment's commodity (default the first).")] = None,
    units: Annotated[float | None, typer.Option(
        help="Objective delay: quantity to deliver, base unit (default rate x window).")] = None,
    step_h: Annotated[float, typer.Option(
        help="Objective delay: time step of the expanded network, hours.")] = 24.0,
    as_json: JsonOpt = False,
) -> None:
    """The worst k simultaneous failures (exact network interdiction).

    With --horizon-days: the worst timed closures (each element closed from its attack
    for its repair time) by served demand lost over the horizon (--objective lost) or by
    the delay of a shipment's last delivery (--objective delay).
    """
    from chokepoint.workflows.attack import budget_rule

    if horizon_days is not None or objective in ("lost", "delay"):
        from chokepoint.cli import _timed

        _check_kind(by)
        if horizon_days is None:
            raise InputError(f"--objective {objective} needs --horizon-days")
        if objective == "delay":
            _timed.run_delay(_load(path), k=k, horizon_days=horizon_days, by=by, budget=budget,
                             protect=protect or [], attack_date=attack_date,
                             chooses=attacker_chooses_dates, start=start,
                             commodity=commodity, units=units, step_h=step_h,
                             time_limit=time_limit, as_json=as_json)
            return
        if objective not in ("lost", "flow"):
            raise InputError("with --horizon-days, --objective must be lost or delay, "
                             f"not {objective!r}")
        _timed.run(_load(path), k=k, horizon_days=horizon_days, by=by, budget=budget,
                   protect=protect or [], attack_date=attack_date,
                   chooses=attacker_chooses_dates, start=start, backlog_days=backlog_days,
                   time_limit=time_limit, as_json=as_json)
        return
    _check_kind(by, objective)
    s = _load(path)
    cost, not_attackable = s.network.attack_terms(by)
    protected = [*not_attackable, *(protect or [])]
    label = None
    if objective == "flow":  # the shipment: a commodity along its route rules, via included
        from chokepoint.workflows.shipment import shipment, shipment_interdiction

        sh = shipment(s, sources=source, sinks=sink)
        sources, sinks, label = sh.sources, sh.sinks, sh.label
        if not sources or not sinks:
            raise InputError("no source or sink: give --source and --sink (or [flow] in the "
                             "scenario)")
        r = shipment_interdiction(s, sh, k=k, kind=by, budget=budget, cost=cost,
                                  protected=protected, time_limit=time_limit)
    else:  # the same shipment, along its route rules (via stops included)
        from chokepoint.workflows.shipment import shipment, shipment_path_interdiction

        _terminals(s, source, sink, objective)  # exactly one source and one sink
        sh = shipment(s, sources=source, sinks=sink)
        sources, sinks, label = sh.sources, sh.sinks, sh.label
        r = shipment_path_interdiction(s, sh, k=k, kind=by, budget=budget, cost=cost,
                                       protected=protected, time_limit=time_limit)
    data = {"objective": objective, "kind": by, "k": k, "budget": r.budget,
            "value": r.value, "intact": r.intact_value, "removed": r.removed,
            "removed_names": [s.network.describe(e) for e in r.removed], "status": r.status,
            "lower_bound": r.lower_bound, "upper_bound": r.upper_bound, "gap": r.gap,
            "method": r.method, **_value_block(s, r.value, objective),
            "sources": sources, "sinks": sinks, "label": label,
            "budget_rule": budget_rule(k, r.budget, by)}
    if as_json:
        _print_json(data)
        return
    unit = next(iter(data["in_report_units"]))
    conv = data["in_report_units"][unit]
    intact = _value_block(s, r.intact_value, objective)["in_report_units"][unit]
    what = "maximum flow" if objective == "flow" else "fastest travel time"
    ends = label or f"{', '.join(sources)} → {', '.join(sinks)}"
    out.print(f"Worst {k} failure(s) by {by} for the {what} {escape(ends)} "
              f"([bold]{r.status}[/]):")
    out.print(f"  budget: {data['budget_rule']}")
    for e in r.removed:
        out.print(f"  remove {escape(e)}: {escape(s.network.describe(e))}")
    out.print(f"{what}: {_num(intact, 2)} → [bold]{_num(conv, 2)}[/] {unit}"
              + (" (disconnected)" if r.status == "disconnected" else ""))
    if r.status == "time_limit":
        out.print(f"stopped at the time limit; bounds {r.lower_bound:g} .. {r.upper_bound:g}")


@app.command()
def harden(
    path: PathArg,
    protect: Annotated[int, typer.Option("--protect", min=0,
                                         help="Elements the defender may protect.")],
    k: Annotated[int, typer.Option("--k", min=0, help="Elements the attacker may remove.")],
    objective: ObjectiveOpt = "flow",
    by: KindOpt = "link",
    source: Annotated[list[str] | None, typer.Option("--source", "-s")] = None,
    sink: Annotated[list[str] | None, typer.Option("--sink", "-t")] = None,
    time_limit: Annotated[float, typer.Option(help="Solver time limit, seconds.")] = 120.0,
    horizon_days: Annotated[int | None, typer.Option(
        "--horizon-days", min=1, help="Time-aware: against timed closures with repair "
        "times over this many daily periods (served demand lost).")] = None,
    attack_date: Annotated[str | None, typer.Option(
        help="Time-aware: date of every attack (default the horizon's first day).")] = None,
    attacker_chooses_dates: Annotated[bool, typer.Option(
        "--attacker-chooses-dates", help="Time-aware: the attacker picks each day.")] = False,
    start: Annotated[str | None, typer.Option(
        help="Time-aware: first day of the horizon (default the first disruption's).")] = None,
    backlog_days: Annotated[float | None, typer.Option(
        help="Time-aware: demand not carried queues up to this many days of demand.")] = None,
    as_json: JsonOpt = False,
) -> None:
    """Which elements to protect against the worst k failures (defender–attacker model)."""
    from chokepoint.workflows.shipment import shipment, shipment_harden

    if horizon_days is not None:
        from chokepoint.cli import _timed

        _check_kind(by)
        _timed.run_harden(_load(path), protect=protect, k=k, horizon_days=horizon_days, by=by,
                          attack_date=attack_date, chooses=attacker_chooses_dates,
                          start=start, backlog_days=backlog_days, time_limit=time_limit,
                          as_json=as_json)
        return
    _check_kind(by, objective)
    s = _load(path)
    _terminals(s, source, sink, objective)
    # the shipment: a commodity along its route rules, via stops included
    sh = shipment(s, sources=source, sinks=sink)
    if objective == "time" and sh.route is None:
        raise InputError("--objective time needs exactly one --source and one --sink")
    cost, not_attackable = s.network.attack_terms(by)
    r = shipment_harden(s, sh, protect=protect, k=k, kind=by, objective=objective, cost=cost,
                        protected=not_attackable, time_limit=time_limit)
    data = {"objective": objective, "kind": by, "k": k, "protect": protect,
            "protected": r.protected,
            "protected_names": [s.network.describe(e) for e in r.protected],
            "value": r.value, "attack": r.attack, "value_unprotected": r.value_unprotected,
            "attack_unprotected": r.attack_unprotected, "intact": r.intact_value,
            "status": r.status, "bound": r.bound, "iterations": r.iterations,
            **_value_block(s, r.value, objective)}
    if as_json:
        _print_json(data)
        return
    unit = next(iter(data["in_report_units"]))

    def conv(v: float) -> float:
        return float(_value_block(s, v, objective)["in_report_units"][unit])

    out.print(f"Protect {protect} by {by} against the worst {k} failure(s) "
              f"([bold]{r.status}[/]):")
    for e in r.protected:
        out.print(f"  protect {escape(e)}: {escape(s.network.describe(e))}")
    if r.value == r.value_unprotected:
        out.print(f"  no protection of {protect} element(s) improves the worst case: the "
                  "attacker has equally damaging alternatives")
    out.print(f"worst case without protection: {_num(conv(r.value_unprotected), 2)} {unit} "
              f"(attack: {', '.join(r.attack_unprotected) or 'none'})")
    out.print(f"worst case with protection:    [bold]{_num(conv(r.value), 2)}[/] {unit} "
              f"(attack: {', '.join(r.attack) or 'none'})")



@app.command()
def attack(
    path: PathArg,
    horizon_days: Annotated[int, typer.Option(
        "--horizon-days", min=1, help="Daily periods from the first closure's day.")] = 90,
    k: Annotated[list[int] | None, typer.Option(
        "--k", min=1, help="Also the exact worst attack on this many elements (repeatable; "
                           "default 1, 2, 3).")] = None,
    defend: Annotated[bool, typer.Option(
        "--defend/--no-defend", help="Also the element to protect first.")] = True,
    backlog_days: Annotated[float, typer.Option(
        help="Demand not carried queues up to this many days of demand.")] = 7.0,
    time_limit: Annotated[float, typer.Option(help="Seconds per exact solve.")] = 120.0,
    as_json: JsonOpt = False,
) -> None:
    """The scenario's attack (its closures, with their dates and repair times) against the
    exact worst timed attack of the same size and attack cost, and of k elements."""
    from chokepoint.workflows.attack import attack_2023, attack_statement

    s = _load(path)
    a = attack_2023(s, horizon_days=horizon_days, ks=tuple(k or (1, 2, 3)), defend=defend,
                    backlog_days=backlog_days, time_limit=time_limit)
    if as_json:
        _print_json(a.to_dict())
        return
    shipment = s.commodities[0].id if s.commodities else None
    out.print(escape(attack_statement(a, shipment=shipment)))
    t = Table("attack", "elements (closed from → reopened)", "lost (t)", "status",
              title=f"Demand not delivered over {horizon_days} days from {a.start}")
    t.add_row("the scenario's", "; ".join(
        f"{p['name']} ({p['attack_date']}, {_num(p['repair_days'], 1)} d)" for p in a.plan),
        _num(a.actual_t, 0), "given")
    rows = a.by_k if any(r["k"] == a.worst["k"] for r in a.by_k) else [a.worst, *a.by_k]
    for row in rows:
        same = " (same size)" if row["k"] == a.worst["k"] else ""
        t.add_row(f"worst, k = {row['k']}{same}", "; ".join(
            f"{x['name']} ({x['attack_date']} → {x['reopen_date']})" for x in row["timing"]),
            _num(row["lost_t"], 0), row["status"])
    out.print(t)
