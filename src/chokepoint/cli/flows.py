"""Commands on flows and routes: ``flow``, ``route``, ``quickest``, ``validate``."""

from __future__ import annotations

from typing import Annotated, Any

import typer
from rich.markup import escape

from chokepoint.cli._app import (
    JsonOpt,
    NoCacheOpt,
    PathArg,
    _load,
    _num,
    _print_json,
    app,
    out,
)
from chokepoint.errors import InputError


@app.command()
def flow(
    path: PathArg,
    source: Annotated[list[str] | None, typer.Option("--source", "-s",
                                                     help="Source node id (repeatable).")] = None,
    sink: Annotated[list[str] | None, typer.Option("--sink", "-t",
                                                   help="Sink node id (repeatable).")] = None,
    as_json: JsonOpt = False,
    no_cache: NoCacheOpt = False,
) -> None:
    """Maximum flow and its minimum cut between sources and sinks (default: the first
    commodity along its route rules, else the scenario's [flow])."""
    from chokepoint.workflows.shipment import shipment, throughput

    s = _load(path, cache=not no_cache)
    sh = shipment(s, sources=source, sinks=sink)
    if not sh.sources or not sh.sinks:
        raise InputError("no source or sink: give --source and --sink (or a commodity or "
                         "[flow] in the scenario)")
    blk = throughput(s, sh)
    units = s.units
    data: dict[str, Any] = {
        "value": blk["value"], "unit": units.base, "in_report_units": blk["in_report_units"],
        "cut": [c["id"] for c in blk["cut"] if c["kind"] == "link"],
        "cut_nodes": [c["id"] for c in blk["cut"] if c["kind"] == "node"],
        "cut_groups": blk["cut_groups"], "sources": sh.sources, "sinks": sh.sinks,
        "commodity": blk["commodity"], "label": sh.label}
    if as_json:
        _print_json(data)
        return
    vals = " = ".join(f"[bold]{_num(v, 3)}[/] {u}" for u, v in data["in_report_units"].items())
    out.print(f"Maximum flow {escape(sh.label)}: {vals}", soft_wrap=False)
    names = [c["name"] for c in blk["cut"]]
    shown = names[:20]
    out.print(f"Minimum cut ({len(names)} elements): " + escape("; ".join(shown))
              + (" …" if len(names) > 20 else ""), soft_wrap=False)


@app.command()
def route(
    path: PathArg,
    source: Annotated[str, typer.Option("--source", "-s", help="Origin node id.")],
    sink: Annotated[str, typer.Option("--sink", "-t", help="Destination node id.")],
    weight: Annotated[str, typer.Option(help="time_h, length_km, cost or hops.")] = "time_h",
    as_json: JsonOpt = False,
    no_cache: NoCacheOpt = False,
) -> None:
    """The fastest route between two nodes."""
    from chokepoint.analyses import fastest_route

    s = _load(path, cache=not no_cache)
    r = fastest_route(s.network.compiled, source, sink, weight=weight)
    data = {"source": source, "sink": sink, "weight": weight, "found": r.found, "cost": r.cost,
            "time_h": r.time_h, "length_km": r.length_km, "nodes": r.nodes, "links": r.links}
    if as_json:
        _print_json(data)
    elif not r.found:
        out.print(f"No route from {source} to {sink}.")
    else:
        out.print(f"Fastest route {source} → {sink}: [bold]{_num(r.cost, 2)}[/] ({weight}); "
                  f"{_num(r.time_h, 1)} h, {_num(r.length_km, 0)} km")
        out.print("via " + " → ".join(s.network.node_name(n) for n in r.nodes))
    if not r.found:
        raise typer.Exit(1)


@app.command()
def quickest(
    path: PathArg,
    units: Annotated[float, typer.Option("--units", "-n",
                                         help="Quantity to deliver, in --unit.")],
    unit: Annotated[str | None, typer.Option(
        "--unit", help="Unit of --units: t, kt, TEU, FEU, container, train (default: the "
                       "base quantity, t; 'unit' for unitless networks).")] = None,
    source: Annotated[list[str] | None, typer.Option("--source", "-s",
                                                     help="Source node id (repeatable).")] = None,
    sink: Annotated[list[str] | None, typer.Option("--sink", "-t",
                                                   help="Sink node id (repeatable).")] = None,
    step_h: Annotated[float | None, typer.Option(
        "--step-h", help="Time step in hours (default: chosen from the transit times).")] = None,
    no_disruptions: Annotated[bool, typer.Option(
        "--no-disruptions", help="Ignore the scenario's disruptions.")] = False,
    start: Annotated[str | None, typer.Option(
        "--start", help="Dispatch time, ISO date or date-time (default: the start of the "
                        "first disruption).")] = None,
    max_days: Annotated[float, typer.Option(
        "--max-days", help="Give up beyond this many days.")] = 365.0,
    as_json: JsonOpt = False,
    no_cache: NoCacheOpt = False,
) -> None:
    """Quickest delivery of a quantity over time, and the earliest-arrival curve."""
    import datetime as dt

    import numpy as np

    from chokepoint.timeline import Timeline
    from chokepoint.workflows.shipment import shipment, shipment_quickest

    s = _load(path, cache=not no_cache)
    sh = shipment(s, sources=source, sinks=sink)  # default: the first commodity, its route
    base_qty = "unit" if s.units.base == "unit" else "t"
    unit = unit or base_qty
    if not units > 0:
        raise InputError(f"--units must be positive, not {units}")
    if step_h is not None and not step_h > 0:
        raise InputError(f"--step-h must be a positive number of hours, not {step_h}")
    if not max_days > 0:
        raise InputError(f"--max-days must be positive, not {max_days}")
    try:
        factor = s.units.quantity_factor(unit)
    except ValueError as exc:
        raise InputError(f"--unit: {exc}") from None
    c = s.network.compiled
    timeline = None
    t0: dt.datetime | None = None
    if start is not None:
        try:
            t0 = dt.datetime.fromisoformat(start)
        except ValueError:
            raise InputError(f"--start {start!r} is not an ISO date or date-time") from None
    if s.disruptions and not no_disruptions:
        t0 = t0 or min(d.start for d in s.disruptions)
        timeline = Timeline.from_scenario(c, s.disruptions, start=t0)
    # along its route rules, through its via stops (the layered LP where not forced)
    q = shipment_quickest(s, sh, units * factor, timeline=timeline, step_h=step_h,
                          max_horizon_h=24.0 * max_days)
    data = q.to_dict(factor, unit)
    data["start"] = t0.isoformat() if (t0 is not None and timeline is not None) else None
    data["disruptions"] = len(s.disruptions) if timeline is not None and s.disruptions \
        and not no_disruptions else 0
    data["commodity"] = sh.commodity.id if sh.commodity is not None else None
    data["time_unit"] = "h"
    if as_json:
        _print_json(data)
    else:
        route_txt = sh.label
        what = f"{_num(units, 0)} {unit} {route_txt}"
        dis = (f"; with {data['disruptions']} disruptions from {t0:%Y-%m-%d %H:%M}"
               if timeline is not None and t0 is not None else "")
        if q.status == "ok":
            out.print(f"Quickest delivery of {what}: [bold]{_num(q.time_h, 1)} h[/] "
                      f"({_num(q.time_days, 2)} days){dis}")
            cum = q.curve.cumulative / factor
            marks = []
            for share in (0.25, 0.5, 0.75, 1.0):
                k = int(np.searchsorted(cum, share * units - 1e-9))
                if k < len(cum):
                    marks.append(f"{share:.0%} by {_num(q.curve.times_h[k], 1)} h")
            out.print("  earliest arrival: " + "; ".join(marks))
        elif q.status == "unreachable":
            out.print(f"No path with capacity for {what}{dis}.")
        else:
            got = q.curve.cumulative[-1] / factor if len(q.curve.cumulative) else 0.0
            out.print(f"{what}: not deliverable within {_num(max_days, 0)} days{dis} "
                      f"(at most {_num(got, 1)} {unit} by {_num(q.horizon_searched_h, 1)} h).")
        out.print(f"  step {q.step_h:g} h (transit times rounded up: fastest route "
                  f"{_num(q.rounding_h['fastest_route_h'], 1)} h → "
                  f"{_num(q.rounding_h['fastest_route_rounded_h'], 1)} h); method {q.method}")
    if q.status != "ok":
        raise typer.Exit(1)


@app.command()
def validate(path: PathArg, as_json: JsonOpt = False,
             no_cache: NoCacheOpt = False) -> None:
    """Check a scenario or network file; print a summary or one line naming the problem."""
    s = _load(path, cache=not no_cache)
    if s.simulation:  # checked here as `simulate` would (settings only: nothing is run)
        from chokepoint.simulate._settings import load_settings

        load_settings(s.simulation, source=s.path)
    cites = s.citations.summary()
    summ = {**s.network.summary(), "commodities": len(s.commodities),
            "background": len(s.background), "disruptions": len(s.disruptions),
            "assumptions": len(s.assumptions), "citations": cites, "valid": True}
    if as_json:
        _print_json(summ)
        return
    out.print(f"[green]valid[/]: {summ['nodes']} nodes, {summ['links']} links, "
              f"{summ['commodities']} commodities, {summ['background']} background flows, "
              f"{summ['disruptions']} disruptions")
    if cites["figures"]:
        kinds = ", ".join(f"{cites[k]} {k}" for k in ("fact", "derived", "assumption", "ref")
                          if cites[k])
        out.print(f"citations: {cites['figures']} figures; {cites['cited']} cited per field"
                  + (f" ({kinds})" if kinds else "")
                  + (f"; {cites['source_only']} only by their element's source"
                     if cites["source_only"] else "")
                  + f"; {len(cites['uncited'])} uncited"
                  + (f"; {len(s.assumptions)} assumptions with ranges" if s.assumptions else ""))
        for p in cites["uncited"][:20]:
            out.print(f"  uncited: {p}")

