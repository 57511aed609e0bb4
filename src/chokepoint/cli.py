"""The command line: a thin layer over the library.

Every command loads its input with :func:`chokepoint.io.load`, calls library functions, and
prints with Rich (or JSON with ``--json``). :func:`main` is the one place where typed
exceptions become a one-line message and an exit code: 2 for bad input, 3 infeasible,
4 solver trouble, 5 a missing optional dependency.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.markup import escape
from rich.table import Table
from typer.exceptions import TyperException

from chokepoint.errors import ChokepointError, InputError
from chokepoint.scenario import Scenario

__all__ = ["app", "main"]

app = typer.Typer(
    name="chokepoint",
    help="Where does a freight corridor break? Exact max flow, min cut, routes and criticality.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
out = Console(highlight=False, soft_wrap=True)
err = Console(stderr=True, highlight=False, soft_wrap=True)

BUILTIN_PREFIX = "builtin:"

PathArg = Annotated[str, typer.Argument(
    help="Scenario (.toml), network file (.geojson/.gpkg/.shp/.parquet), CSV link list, "
         "DIMACS (.max/.min), or builtin:corridor.")]
JsonOpt = Annotated[bool, typer.Option("--json", help="Print JSON for machines.")]


def _load(path: str) -> Scenario:
    from chokepoint.io import load

    if path.startswith(BUILTIN_PREFIX):
        from chokepoint.data import BUILTIN, load_builtin

        name = path.removeprefix(BUILTIN_PREFIX)
        if name not in BUILTIN:
            raise InputError(f"no built-in scenario {name!r} (have: {', '.join(BUILTIN)})")
        return load_builtin(name)
    return load(path)


def _print_json(data: Any) -> None:
    from chokepoint.io.write import to_jsonable

    sys.stdout.write(json.dumps(to_jsonable(data), indent=2, ensure_ascii=False) + "\n")


def _num(v: float | None, digits: int = 1) -> str:
    if v is None or v != v:
        return "—"
    if v == float("inf"):
        return "unlimited"
    return f"{v:,.{digits}f}"


@app.command()
def demo(
    out_dir: Annotated[Path | None, typer.Option("--out", help="Write results here.")] = None,
    as_json: JsonOpt = False,
) -> None:
    """The main job on the built-in Rajin → Dunai → Tikhoretsk corridor."""
    from chokepoint.briefing import brief, campaign
    from chokepoint.data import load_builtin

    s = load_builtin("corridor")
    b = brief(s)
    cb = campaign(s, seed=0) if s.commodities else None
    if cb is not None:
        b.data["campaign"] = cb.data
    written: list[Path] = []
    if out_dir is not None:
        from chokepoint.io.results import write_brief

        written = write_brief(b, s.network, out_dir)
        import importlib.util

        from chokepoint.report import write_report

        written += write_report(b, out_dir, scenario=s,
                                campaign=cb.result if cb is not None else False,
                                earliest_arrival=cb.curve if cb is not None else None,
                                png=importlib.util.find_spec("matplotlib") is not None)
    if as_json:
        _print_json(b.data)
        return
    _print_brief(s, b.data)
    _print_failures(s, b.data)
    if cb is not None:
        out.print()
        _print_campaign(s, cb.result, cb.data["seed"])
        q, kth = cb.data["quickest"], cb.data["kth"]
        if q["status"] == "ok":
            out.print(f"Exact lower bound (quickest transshipment, all {cb.data['containers']:,}"
                      f" containers at {escape(s.network.node_name(s.commodities[0].origin))}"
                      f" at once): [bold]{_num(q['time_h'])} h[/] ({_num(q['time_days'])} days)")
        if kth["undisrupted_h"] is not None:
            out.print(f"The {kth['k']:,}th container arrives after {_num(kth['undisrupted_h'])} h "
                      f"undisrupted, {_num(kth['disrupted_h'])} h with the disruptions.")
    if written:
        out.print(f"\nWrote {len(written)} files to [bold]{out_dir}[/]: "
                  + ", ".join(p.name for p in written))


def _short(name: str) -> str:
    """A node name without its parenthesised remark, for long route listings."""
    return name.split(" (")[0]


def _print_failures(s: Scenario, d: dict[str, Any]) -> None:
    for q in d.get("worst_failures", []):
        names = " + ".join(s.network.node_name(x) for x in q["sources"][:3])
        sinks = " + ".join(s.network.node_name(x) for x in q["sinks"][:4])
        out.print(f"\n[bold]Worst simultaneous failures[/] for the {q['question']} "
                  f"({escape(names)} → {escape(sinks)}):")
        for f in q["failures"]:
            out.print(f"  k={f['k']}: {escape(f['text'])}")
    if d.get("criticality"):
        t = Table(title="Most critical failure groups")
        for col in ("rank", "group", "name", "throughput loss", "served lost Mt/yr", "OD cut"):
            t.add_column(col, justify="left" if col in ("group", "name") else "right")
        unit = s.units.report_units[0]
        from chokepoint.ranking import unit_column

        col = unit_column("throughput_loss", unit) if s.units.base != "unit" else \
            "throughput_loss"
        for r in d["criticality"]:
            t.add_row(str(r["rank"]), r["element"], r["name"], _num(r.get(col), 1),
                      _num(r.get("served_loss_Mt_per_yr"), 1), str(r.get("pairs_cut", "")))
        out.print()
        out.print(t)


def _print_brief(s: Scenario, d: dict[str, Any]) -> None:
    n = d["network"]
    out.rule(f"[bold]{s.name}")
    if s.description:
        out.print(s.description)
    out.print(f"Network: {n['nodes']} nodes, {n['links']} links "
              f"({', '.join(f'{v} {k}' for k, v in n['link_modes'].items())}), "
              f"{n['failure_groups']} failure groups, {n['length_km']:,.0f} km.")
    for key, title in (("max_flow", "Maximum throughput"),
                       ("max_flow_disrupted", "Maximum throughput with all disruptions")):
        if key not in d:
            continue
        mf = d[key]
        vals = " = ".join(f"[bold]{_num(v)}[/] {u}" for u, v in mf["in_report_units"].items())
        out.print(f"\n[bold]{title}[/] {' + '.join(map(s.network.node_name, mf['sources']))} → "
                  f"{' + '.join(map(s.network.node_name, mf['sinks']))}: {vals}")
        out.print("  bottleneck (min cut): " + "; ".join(
            escape(c["name"])
            + (" \\[capacity assumed]" if "assumption" in c["source"].lower() else "")
            for c in mf["cut"]))
    if "served" in d:
        sv = d["served"]
        t = Table(title="Served demand with all traffic competing for capacity")
        for col in ("demand", "origin → destination", "priority"):
            t.add_column(col)
        u0 = s.units.report_units[0] if s.units.base != "unit" else s.units.base
        unit = "Mt/yr" if s.units.base != "unit" else s.units.base
        for col in (f"demand {unit}", f"served {unit}", f"unmet {unit}", f"served {u0}"):
            t.add_column(col, justify="right")
        for r in sv["demands"]:
            conv = (lambda v: s.units.from_base(v, unit)) if s.units.base != "unit" else (
                lambda v: v)
            t.add_row(r["id"], f"{r['origin']} → {r['destination']}", f"{r['priority']:g}",
                      _num(conv(r["demand"])), _num(conv(r["served"])), _num(conv(r["unmet"])),
                      _num(s.units.from_base(r["served"], u0) if s.units.base != "unit"
                           else r["served"]))
        out.print()
        out.print(t)
        if sv.get("total_unmet_Mt_per_yr") is not None:
            out.print(f"Unmet in total: [bold]{sv['total_unmet_Mt_per_yr']:,.1f} Mt/yr[/]")
        out.print("Capacity binds at: " + "; ".join(b["name"] for b in sv["binding"]))
    if "served_disrupted" in d and d["served_disrupted"].get("lost_Mt_per_yr") is not None:
        sd = d["served_disrupted"]
        out.print(f"With all disruptions: served demand falls by [bold]"
                  f"{sd['lost_Mt_per_yr']:,.1f} Mt/yr[/]; unmet {sd['total_unmet_Mt_per_yr']:,.1f}"
                  " Mt/yr.")
    for r in d.get("routes", []):
        what = (f"{s.network.node_name(r['origin'])} → {s.network.node_name(r['destination'])}"
                if r["commodity"] == "flow" else r["commodity"])
        out.print(f"\n[bold]Fastest route[/] {what}: "
                  + (f"{_num(r['time_h'])} h ({_num(r['time_days'])} days), "
                     f"{_num(r['length_km'], 0)} km" if r["found"] else "none"))
        if r["found"]:
            out.print("  via " + " → ".join(_short(v) for v in r["via"]))
        dis = r.get("disrupted")
        if dis and dis["found"] and dis["via"] == r["via"]:
            out.print("  with all disruptions: unchanged")
        elif dis:
            out.print("  with all disruptions: " + (
                f"{_num(dis['time_h'])} h, {_num(dis['length_km'], 0)} km via "
                + " → ".join(_short(v) for v in dis["via"]) if dis["found"]
                else "no route remains"))


@app.command()
def flow(
    path: PathArg,
    source: Annotated[list[str] | None, typer.Option("--source", "-s",
                                                     help="Source node id (repeatable).")] = None,
    sink: Annotated[list[str] | None, typer.Option("--sink", "-t",
                                                   help="Sink node id (repeatable).")] = None,
    as_json: JsonOpt = False,
) -> None:
    """Maximum flow and its minimum cut between sources and sinks."""
    from chokepoint.analyses import max_flow

    s = _load(path)
    sources = source or s.sources
    sinks = sink or s.sinks
    r = max_flow(s.network.compiled, sources, sinks)
    units = s.units
    data: dict[str, Any] = {"value": r.value, "unit": units.base,
            "in_report_units": {u: units.from_base(r.value, u) for u in units.report_units},
            "cut": r.cut_links, "cut_nodes": r.cut_nodes, "cut_groups": r.cut_groups,
            "sources": r.sources, "sinks": r.sinks}
    if as_json:
        _print_json(data)
        return
    vals = " = ".join(f"[bold]{_num(v, 3)}[/] {u}" for u, v in data["in_report_units"].items())
    out.print(f"Maximum flow {', '.join(sources)} → {', '.join(sinks)}: {vals}")
    names = [s.network.describe(i) for i in [*r.cut_links, *r.cut_nodes]]
    shown = names[:20]
    out.print(f"Minimum cut ({len(names)} elements): " + "; ".join(shown)
              + (" …" if len(names) > 20 else ""))


@app.command()
def route(
    path: PathArg,
    source: Annotated[str, typer.Option("--source", "-s", help="Origin node id.")],
    sink: Annotated[str, typer.Option("--sink", "-t", help="Destination node id.")],
    weight: Annotated[str, typer.Option(help="time_h, length_km, cost or hops.")] = "time_h",
    as_json: JsonOpt = False,
) -> None:
    """The fastest route between two nodes."""
    from chokepoint.analyses import fastest_route

    s = _load(path)
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
) -> None:
    """Quickest delivery of a quantity over time, and the earliest-arrival curve."""
    import datetime as dt

    import numpy as np

    from chokepoint.analyses.dynamic import quickest_transshipment
    from chokepoint.timeline import Timeline

    s = _load(path)
    sources = source or s.sources
    sinks = sink or s.sinks
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
    q = quickest_transshipment(c, sources, sinks, units * factor, step_h=step_h,
                               timeline=timeline, max_horizon_h=24.0 * max_days)
    data = q.to_dict(factor, unit)
    data["start"] = t0.isoformat() if (t0 is not None and timeline is not None) else None
    data["disruptions"] = len(s.disruptions) if timeline is not None else 0
    data["time_unit"] = "h"
    if as_json:
        _print_json(data)
    else:
        route_txt = f"{', '.join(sources)} → {', '.join(sinks)}"
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
) -> None:
    """Rank every link, node or failure group by what its failure costs."""
    from chokepoint.ranking import MEASURES
    from chokepoint.ranking import criticality as rank

    _check_kind(by)
    _check_measures(measure, MEASURES)
    s = _load(path)
    with _progress() as cb:
        table = rank(s, kind=by, sources=source, sinks=sink, measures=measure or MEASURES,
                     progress=cb)
    if out_file is not None:
        from chokepoint.io.results import write_table

        write_table(table, out_file, s.network, kind=by, layer="criticality")
    if as_json:
        _print_json({"kind": by, "unit": s.units.base,
                     "elements": table.head(top if top > 0 else len(table)).to_dict("records")})
        return
    _print_ranking(s, table, top)
    if out_file is not None:
        out.print(f"Wrote {len(table)} rows to {out_file}")


def _progress() -> Any:
    """A context manager yielding a ``callback(measure, done, total)`` that drives a Rich
    progress bar on stderr (silent when stderr is not a terminal)."""
    from contextlib import contextmanager

    from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn

    @contextmanager
    def ctx() -> Any:
        with Progress(TextColumn("{task.description}"), BarColumn(), TextColumn(
                "{task.completed}/{task.total}"), TimeElapsedColumn(), console=err,
                transient=True) as bar:
            tasks: dict[str, Any] = {}

            def cb(name: str, done: int, total: int) -> None:
                if name not in tasks:
                    tasks[name] = bar.add_task(name, total=total)
                bar.update(tasks[name], completed=done, total=total)

            yield cb

    return ctx()


def _print_ranking(s: Scenario, table: Any, top: int) -> None:
    t = Table(title=f"Criticality of {s.network.name} by {table['kind'].iloc[0]} "
                    f"(top {min(top, len(table))} of {len(table)})")
    cols = [("rank", "rank"), ("element", "id"), ("name", "name")]
    unit = s.units.report_units[0] if s.units.base != "unit" else None
    from chokepoint.ranking import unit_column

    tl = unit_column("throughput_loss", unit) if unit else "throughput_loss"
    for col, label in ((tl, f"throughput loss ({unit or 'unit'})"),
                       ("throughput_loss_rel", "loss %"),
                       ("served_loss_Mt_per_yr", "served lost Mt/yr"),
                       ("pairs_cut", "OD cut"), ("detour_max_increase_h", "detour +h")):
        if col in table.columns:
            cols.append((col, label))
    for _, label in cols:
        t.add_column(label, justify="left" if label in ("id", "name") else "right")
    for rec in table.head(top).to_dict("records"):
        cells = []
        for col, _ in cols:
            v = rec[col]
            if col == "throughput_loss_rel":
                cells.append(f"{100 * v:.1f}")
            elif isinstance(v, float):
                cells.append(_num(v, 2))
            else:
                cells.append(str(v))
        t.add_row(*cells)
    out.print(t)


@app.command()
def report(
    path: PathArg,
    out_dir: Annotated[Path, typer.Option(
        "--out", help="Folder for report.html, figures/ (PNG) and tables/ (CSV).")],
    ranking: Annotated[str, typer.Option(
        "--ranking", help="Criticality ranking to include: link, group, node or none.")] = "link",
    campaign: Annotated[bool, typer.Option(
        "--campaign/--no-campaign",
        help="Simulate the campaign: arrivals, earliest-arrival bound and backlog charts.")
    ] = True,
    seed: Annotated[int, typer.Option("--seed", help="Seed of the campaign simulation.")] = 0,
    png: Annotated[bool, typer.Option("--png/--no-png",
                                      help="Also write PNG figures (matplotlib).")] = True,
    as_json: JsonOpt = False,
) -> None:
    """Write the offline report: one self-contained HTML file, PNG figures and CSV tables."""
    from chokepoint.briefing import brief
    from chokepoint.errors import require
    from chokepoint.report import write_report

    if ranking not in ("link", "node", "group", "none"):
        raise InputError(f"--ranking must be link, node, group or none, not {ranking!r}")
    if png:
        require("matplotlib", "report")
    s = _load(path)
    table = None
    if ranking != "none":
        from chokepoint.ranking import criticality as rank

        with _progress() as cb:
            table = rank(s, kind=ranking, progress=cb)
    b = brief(s, ranking=False)
    written = write_report(b, out_dir, scenario=s,
                           ranking=table if table is not None else False,
                           campaign=campaign and bool(s.commodities), seed=seed, png=png)
    if as_json:
        _print_json({"out": str(out_dir), "files": [str(p) for p in written]})
        return
    out.print(f"Wrote {len(written)} files to [bold]{out_dir}[/]: open "
              f"[bold]{out_dir / 'report.html'}[/] (works offline)")


@app.command()
def serve(
    path: Annotated[str | None, typer.Argument(
        help="Scenario or network file to load (default: the built-in corridor).")] = None,
    host: Annotated[str, typer.Option(
        help="Interface to bind. 127.0.0.1 (default) is this machine only; 0.0.0.0 lets "
             "others connect (no authentication: trusted networks only).")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="TCP port.")] = 8000,
    campaign: Annotated[bool, typer.Option(
        "--campaign/--no-campaign",
        help="Also simulate the campaign's delay for each closure (scenarios with "
             "commodities).")] = True,
    timeout: Annotated[float, typer.Option(help="Time limit of one analysis, seconds.")] = 30.0,
) -> None:
    """The web map: click links, nodes or structures to close them; a JSON API."""
    from chokepoint.errors import require

    require("fastapi", "web")
    require("uvicorn", "web")
    require("multipart", "web")
    from chokepoint.serve import ServeSettings
    from chokepoint.serve import serve as run_server
    from chokepoint.serve.analysis import simulation_hook

    s = _load(path or f"{BUILTIN_PREFIX}corridor")
    settings = ServeSettings(analysis_timeout_s=timeout,
                             campaign=simulation_hook() if campaign and s.commodities else None)
    err.print(f"chokepoint web map of [bold]{escape(s.name)}[/] on http://{host}:{port}/ "
              "(Ctrl+C to stop)")
    run_server(s, host=host, port=port, label=path or "builtin:corridor", settings=settings)


@app.command()
def simulate(
    path: PathArg,
    seed: Annotated[int, typer.Option("--seed", help="Random seed (same seed, same results).")] = 0,
    no_disruptions: Annotated[bool, typer.Option(
        "--no-disruptions", help="Run only the undisrupted campaign.")] = False,
    out_dir: Annotated[Path | None, typer.Option(
        "--out", help="Write tables (CSV, Parquet) and plots (PNG) here.")] = None,
    as_json: JsonOpt = False,
) -> None:
    """Simulate the campaign (ships, ports, trains) with and without the disruptions."""
    from chokepoint.simulate import simulate as run_campaign
    from chokepoint.simulate import write_outputs

    s = _load(path)
    if not s.commodities:
        raise InputError("nothing to simulate: the scenario has no [[commodities]]",
                         source=s.path)
    with _progress() as cb:
        res = run_campaign(s, seed=seed, disruptions=not no_disruptions, progress=cb)
    written = write_outputs(res, out_dir) if out_dir is not None else []
    summ = res.summary()
    if as_json:
        _print_json({**summ, "files": [str(p) for p in written]})
        return
    _print_campaign(s, res, seed)
    if written:
        out.print(f"Wrote {len(written)} files to {out_dir}")


def _print_campaign(s: Scenario, res: Any, seed: int) -> None:
    """The undisrupted and disrupted campaign side by side, and the delays."""
    summ = res.summary()
    runs = [res.baseline] if res.run is res.baseline else [res.baseline, res.run]
    t = Table(title=f"Campaign on {s.network.name} (seed {seed})")
    t.add_column("")
    for r in runs:
        t.add_column(r.label, justify="right")
    rows = [("containers", lambda r: f"{r.n_containers:,}"),
            ("delivered", lambda r: f"{r.delivered:,}"),
            ("last delivery", lambda r: r.completion.strftime("%Y-%m-%d %H:%M")
             if r.completion else "not all delivered"),
            ("mean transit (h)", lambda r: _num(r.summary()["mean_transit_h"])),
            ("trains", lambda r: str(r.summary()["trains"])),
            ("reroutes", lambda r: str(len(r.reroutes))),
            ("peak yard backlog", lambda r: _num(r.node_backlog.loc[
                r.node_backlog["kind"] == "campaign_containers", "backlog"].max(), 0))]
    for label, f in rows:
        t.add_row(label, *[f(r) for r in runs])
    out.print(t)
    if res.run is not res.baseline:
        d = summ["delay"]
        out.print(f"Delay against the undisrupted run: mean {_num(d['mean_h'])} h, "
                  f"max {_num(d['max_h'])} h; {d['delayed_containers']:,} containers delayed, "
                  f"{d['undelivered']:,} undelivered")
        if d["delayed_containers"] == 0 and len(res.run.reroutes) == 0:
            out.print("  no campaign train was routed over an element while it was closed, so "
                      "the disruptions cost the campaign nothing; they cost the corridor's "
                      "other traffic (see served demand with the disruptions)")


IMPORT_KINDS = ("osm", "lines", "world-rail", "sea", "world")


def _bbox(text: str | None) -> tuple[float, float, float, float] | None:
    if text is None:
        return None
    try:
        x0, y0, x1, y1 = (float(v) for v in text.split(","))
    except ValueError:
        raise InputError(f"--bbox must be minlon,minlat,maxlon,maxlat, not {text!r}") from None
    if not (-180 <= x0 < x1 <= 180 and -90 <= y0 < y1 <= 90):
        raise InputError(f"--bbox out of range or empty: {text!r}")
    return x0, y0, x1, y1


@app.command("import")
def import_(
    source: Annotated[str, typer.Argument(
        help="OSM .pbf, GIS line file (.gpkg/.geojson/.shp/.parquet), world-rail CSV folder, "
             "or '-' for the installed package data (world-rail, sea, world).")],
    kind: Annotated[str, typer.Option("--kind", help="osm, lines, world-rail, sea or world "
                                      "(rail + sea + ports).")] = "lines",
    out_file: Annotated[Path, typer.Option("--out", help="Write .gpkg, .parquet, .geojson "
                                           "or .csv.")] = Path("network.gpkg"),
    bbox: Annotated[str | None, typer.Option(
        "--bbox", help="minlon,minlat,maxlon,maxlat (EPSG:4326).")] = None,
    tolerance: Annotated[float | None, typer.Option(
        "--tolerance", help="Snapping tolerance in metres.")] = None,
    ports: Annotated[str | None, typer.Option(
        "--ports", help="Port layer or NGA World Port Index CSV for --kind world "
                        "(default: searoute's port list).")] = None,
    strict: Annotated[bool | None, typer.Option(
        "--strict/--lenient", help="Stop at the first bad feature, or drop and report it "
                                   "(default: strict for lines, lenient otherwise).")] = None,
    as_json: JsonOpt = False,
) -> None:
    """Import a network and build its topology; write it with an issues layer."""
    from chokepoint.io.topology import write_network

    if kind not in IMPORT_KINDS:
        raise InputError(f"--kind must be one of {', '.join(IMPORT_KINDS)}, not {kind!r}")
    box = _bbox(bbox)
    pkg = source in ("-", "")
    tol: dict[str, Any] = {} if tolerance is None else {"tolerance_m": tolerance}
    with _progress() as cb:
        if kind == "osm":
            from chokepoint.io.osm import read_osm

            net, rep = read_osm(source, bbox=box, progress=cb, strict=bool(strict), **tol)
        elif kind == "lines":
            from chokepoint.io.topology import read_lines

            net, rep = read_lines(source, bbox=box, progress=cb,
                                  strict=True if strict is None else strict, **tol)
        elif kind == "world-rail":
            from chokepoint.io.world import read_world_railways

            net, rep = read_world_railways(source=None if pkg else source, bbox=box,
                                           progress=cb, **tol)
        else:
            from chokepoint.io.world import (
                read_ports,
                read_sea_network,
                read_world_railways,
                stitch_ports,
            )

            sea, rep = read_sea_network(source=None if pkg or kind == "world" else source,
                                        bbox=box, progress=cb, **tol)
            net = sea
            if kind == "world":
                rail, rrep = read_world_railways(source=None if pkg else source, bbox=box,
                                                 progress=cb, **tol)
                net, srep = stitch_ports(read_ports(ports, bbox=box), rail=rail, sea=sea)
                rep.issues += rrep.issues + srep.issues
                rep.counts.update({f"rail_{k}": v for k, v in rrep.counts.items()})
                rep.counts.update(srep.counts)
    write_network(net, out_file, report=rep)
    if as_json:
        _print_json({"out": str(out_file), **rep.summary(), "network": net.summary()})
        return
    summ = rep.summary()
    out.print(f"Imported {net.n_links:,} links and {net.n_nodes:,} nodes "
              f"({summ['components']:,} connected components, {summ['structure_groups']} "
              f"tunnel/bridge groups) to {out_file}")
    if rep.fallback_links:
        out.print(f"{len(rep.fallback_links):,} links use a mode-wide default capacity/speed "
                  "(see docs/howto-import.md to set your own)")
    if rep.issues:
        top = ", ".join(f"{k}: {v}" for k, v in list(summ["issues"].items())[:4])
        out.print(f"{len(rep.issues):,} issues ({top})")


KindOpt = Annotated[str, typer.Option("--by", help="link, node or group.")]
ObjectiveOpt = Annotated[str, typer.Option(
    "--objective", help="flow (minimise max flow) or time (maximise fastest travel time).")]


def _check_kind(by: str, objective: str = "flow") -> None:
    if by not in ("link", "node", "group"):
        raise InputError(f"--by must be link, node or group, not {by!r}")
    if objective not in ("flow", "time"):
        raise InputError(f"--objective must be flow or time, not {objective!r}")


def _check_measures(given: list[str] | None, allowed: tuple[str, ...]) -> None:
    bad = [m for m in (given or []) if m not in allowed]
    if bad:
        raise InputError(f"unknown --measure {bad[0]!r} (have: {', '.join(allowed)})")


def _terminals(s: Scenario, source: list[str] | None, sink: list[str] | None,
               objective: str) -> tuple[list[str], list[str]]:
    sources, sinks = s.terminals(source, sink)
    if not sources or not sinks:
        raise InputError("no source or sink: give --source and --sink (or [flow] in the scenario)")
    if objective == "time" and (len(sources) != 1 or len(sinks) != 1):
        raise InputError("--objective time needs exactly one --source and one --sink")
    return sources, sinks


def _value_block(s: Scenario, value: float, objective: str) -> dict[str, Any]:
    if objective == "time":
        return {"unit": "h", "in_report_units": {"h": value, "days": value / 24}}
    return {"unit": s.units.base,
            "in_report_units": {u: s.units.from_base(value, u) for u in s.units.report_units}}


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
    as_json: JsonOpt = False,
) -> None:
    """The worst k simultaneous failures (exact network interdiction)."""
    from chokepoint.analyses.interdiction import (
        max_flow_interdiction,
        shortest_path_interdiction,
    )

    _check_kind(by, objective)
    s = _load(path)
    sources, sinks = _terminals(s, source, sink, objective)
    cost, not_attackable = s.network.attack_terms(by)
    protected = [*not_attackable, *(protect or [])]
    c = s.network.compiled
    if objective == "flow":
        r = max_flow_interdiction(c, sources, sinks, k=k, kind=by, budget=budget, cost=cost,
                                  protected=protected, time_limit=time_limit)
    else:
        r = shortest_path_interdiction(c, sources[0], sinks[0], k=k, kind=by, budget=budget,
                                       cost=cost, protected=protected, time_limit=time_limit)
    data = {"objective": objective, "kind": by, "k": k, "budget": r.budget,
            "value": r.value, "intact": r.intact_value, "removed": r.removed,
            "removed_names": [s.network.describe(e) for e in r.removed], "status": r.status,
            "lower_bound": r.lower_bound, "upper_bound": r.upper_bound, "gap": r.gap,
            "method": r.method, **_value_block(s, r.value, objective),
            "sources": sources, "sinks": sinks}
    if as_json:
        _print_json(data)
        return
    unit = next(iter(data["in_report_units"]))
    conv = data["in_report_units"][unit]
    intact = _value_block(s, r.intact_value, objective)["in_report_units"][unit]
    what = "maximum flow" if objective == "flow" else "fastest travel time"
    out.print(f"Worst {k} failure(s) by {by} for the {what} "
              f"{', '.join(sources)} → {', '.join(sinks)} ([bold]{r.status}[/]):")
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
    as_json: JsonOpt = False,
) -> None:
    """Which elements to protect against the worst k failures (defender–attacker model)."""
    from chokepoint.analyses.hardening import harden as solve

    _check_kind(by, objective)
    s = _load(path)
    sources, sinks = _terminals(s, source, sink, objective)
    cost, not_attackable = s.network.attack_terms(by)
    r = solve(s.network.compiled, sources, sinks, protect=protect, k=k, kind=by,
              objective=objective, cost=cost, protected=not_attackable, time_limit=time_limit)
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


# ---------------------------------------------------------------------------------------------
# sweeps (chokepoint.sweep): fan-out over Dask, resumable, streamed to Parquet
# ---------------------------------------------------------------------------------------------
sweep_app = typer.Typer(
    help="Sweeps over every element or many random failure runs, on Dask (resumable).",
    no_args_is_help=True,
)
app.add_typer(sweep_app, name="sweep")

SchedulerOpt = Annotated[str | None, typer.Option(
    "--scheduler", help="Address of an existing Dask scheduler (tcp://HOST:PORT); default: a "
                        "local cluster sized to this machine.")]
WorkersOpt = Annotated[int | None, typer.Option(
    "--workers", help="Local worker processes (default one per CPU); 0 runs in this process "
                      "without Dask.")]
SweepOutOpt = Annotated[Path | None, typer.Option(
    "--out", help="Folder: one Parquet file per finished chunk, then results.parquet, "
                  "results.csv and summary.json.")]
ResumeOpt = Annotated[bool, typer.Option(
    "--resume", help="Continue the sweep in --out: finished chunks are kept, not rerun.")]
ChunkOpt = Annotated[int | None, typer.Option(
    "--chunk-size", help="Elements or runs per task (default: automatic).")]
DashboardOpt = Annotated[bool, typer.Option(
    "--dashboard", help="Serve the Dask dashboard of the local cluster (needs bokeh).")]


def _sweep_progress(label: str) -> Any:
    """``_progress()`` adapted to the sweep API: yields ``(progress, log)``."""
    from contextlib import contextmanager

    @contextmanager
    def ctx() -> Any:
        with _progress() as cb:
            yield (lambda done, total: cb(label, done, total),
                   lambda msg: err.print(escape(msg)))

    return ctx()


def _where(scheduler: str | None, workers: int | None) -> dict[str, Any]:
    if scheduler is not None and workers is not None:
        raise InputError("give --scheduler or --workers, not both")
    return {"scheduler": scheduler, "workers": workers}


@sweep_app.command("criticality")
def sweep_criticality_cmd(
    path: PathArg,
    by: Annotated[str, typer.Option("--by", help="link, node or group.")] = "link",
    measure: Annotated[list[str] | None, typer.Option(
        "--measure", help="throughput, served, detour, redundancy (repeatable; default all "
                          "that apply).")] = None,
    source: Annotated[list[str] | None, typer.Option("--source", "-s",
                                                     help="Source node id (repeatable).")] = None,
    sink: Annotated[list[str] | None, typer.Option("--sink", "-t",
                                                   help="Sink node id (repeatable).")] = None,
    top: Annotated[int, typer.Option(help="Rows to print.")] = 15,
    chunk_size: ChunkOpt = None,
    scheduler: SchedulerOpt = None,
    workers: WorkersOpt = None,
    out_dir: SweepOutOpt = None,
    resume: ResumeOpt = False,
    dashboard: DashboardOpt = False,
    as_json: JsonOpt = False,
) -> None:
    """Criticality of every link, node or failure group, fanned out over Dask workers."""
    from chokepoint.sweep import MEASURES, sweep_criticality

    _check_kind(by)
    _check_measures(measure, MEASURES)
    s = _load(path)
    with _sweep_progress(f"criticality by {by}") as (cb, log):
        res = sweep_criticality(s, kind=by, measures=measure or None, sources=source,
                                sinks=sink, chunk_size=chunk_size, out=out_dir, resume=resume,
                                dashboard=dashboard, progress=cb, log=log,
                                **_where(scheduler, workers))
    if as_json:
        _print_json({**res.summary, "top": res.table.head(top if top > 0 else len(res.table))
                     .to_dict("records"), "files": [str(p) for p in res.files]})
        return
    _print_ranking(s, res.table, top)
    i = res.info
    out.print(f"{len(res.table)} elements in {i.wall_s:.1f} s ({i.mode}, {i.workers} "
              f"worker(s); {i.chunks_run} chunk(s) run, {i.chunks_skipped} resumed)")
    if res.out is not None:
        out.print(f"Wrote {res.out}/results.parquet, results.csv and summary.json")


@sweep_app.command("montecarlo")
def sweep_montecarlo_cmd(
    path: PathArg,
    runs: Annotated[int, typer.Option("--runs", help="Number of runs.")] = 1000,
    seed: Annotated[int, typer.Option("--seed", help="Base seed; run i uses child i of "
                                                     "SeedSequence(seed).")] = 0,
    horizon: Annotated[float, typer.Option("--horizon-days", help="Study period of each "
                                                                  "run.")] = 90.0,
    by: Annotated[str, typer.Option("--by", help="What fails at random: group (default), "
                                                 "link or node.")] = "group",
    p_fail: Annotated[float, typer.Option("--p-fail", help="Failure probability per element "
                                                           "and day up.")] = 0.001,
    repair_days: Annotated[float, typer.Option("--repair-days", help="Mean repair time "
                                                                     "(days).")] = 7.0,
    repair: Annotated[str, typer.Option("--repair", help="Repair time distribution: "
                                        "exponential, lognormal or fixed.")] = "exponential",
    factor: Annotated[float, typer.Option("--factor", help="Capacity kept while failed "
                                                           "(0 = closed).")] = 0.0,
    measure: Annotated[list[str] | None, typer.Option(
        "--measure", help="throughput, served (repeatable; default both).")] = None,
    simulate_campaign: Annotated[bool, typer.Option(
        "--simulate", help="Also run the SimPy campaign per run: delay and backlog "
                           "(~0.5 s per run).")] = False,
    only_run: Annotated[int | None, typer.Option(
        "--only-run", help="Compute run i alone, in this process (same result as in the "
                           "sweep).")] = None,
    worst: Annotated[int, typer.Option("--worst", help="Worst runs to keep.")] = 10,
    source: Annotated[list[str] | None, typer.Option("--source", "-s",
                                                     help="Source node id (repeatable).")] = None,
    sink: Annotated[list[str] | None, typer.Option("--sink", "-t",
                                                   help="Sink node id (repeatable).")] = None,
    chunk_size: ChunkOpt = None,
    scheduler: SchedulerOpt = None,
    workers: WorkersOpt = None,
    out_dir: SweepOutOpt = None,
    resume: ResumeOpt = False,
    dashboard: DashboardOpt = False,
    as_json: JsonOpt = False,
) -> None:
    """Random failures and repairs: distributions of throughput loss, unserved demand and
    (--simulate) campaign delay and backlog, with percentiles and the worst runs."""
    from chokepoint.sweep import MC_MEASURES, sweep_montecarlo

    _check_measures(measure, MC_MEASURES)
    _check_kind(by)
    s = _load(path)
    with _sweep_progress("Monte Carlo runs") as (cb, log):
        res = sweep_montecarlo(
            s, runs=runs, seed=seed, horizon_days=horizon, failure_kind=by,
            probability_per_day=p_fail, repair_days_mean=repair_days,
            repair_distribution=repair, capacity_factor=factor,
            measures=measure or MC_MEASURES, simulate=simulate_campaign, only_run=only_run,
            worst=worst, sources=source, sinks=sink, chunk_size=chunk_size, out=out_dir,
            resume=resume, dashboard=dashboard, progress=cb, log=log,
            **_where(scheduler, workers))
    summ = res.summary
    if as_json:
        _print_json({**summ, "files": [str(p) for p in res.files]})
        return
    unit = summ["unit"]
    title = (f"Run {only_run} (seed {int(res.table['seed'].iloc[0])})" if only_run is not None
             else f"{summ['runs']:,} runs, {summ['horizon_days']:g} days each, seed {seed}")
    t = Table(title=f"Monte Carlo on {s.network.name}: {title}")
    t.add_column("measure")
    for col in ("mean", "p5", "p50", "p95", "max"):
        t.add_column(col, justify="right")
    labels = {"throughput_loss": f"throughput lost ({unit} × day)",
              "throughput_loss_rel": "throughput lost (share)",
              "unserved": f"demand not served ({unit} × day)",
              "served_loss_rel": "demand not served (share)",
              "delay_mean_h": "mean container delay (h)", "delay_max_h": "max delay (h)",
              "peak_backlog": "peak backlog (containers)", "failures": "failures",
              "down_days": "element-days down"}
    for col, label in labels.items():
        st = summ["stats"].get(col)
        if st is not None:
            t.add_row(label, *(_num(st[k], 3 if col.endswith("_rel") else 1)
                               for k in ("mean", "p5", "p50", "p95", "max")))
    out.print(t)
    if only_run is None:
        w = Table(title=f"Worst runs by {summ['worst_by']}")
        for col in ("run", summ["worst_by"], "failures", "events"):
            w.add_column(col, justify="left" if col == "events" else "right")
        for r in summ["worst_runs"]:
            w.add_row(str(r["run"]), _num(r[summ["worst_by"]], 1), str(r["failures"]),
                      escape(str(r["events"])[:80]))
        out.print(w)
        i = res.info
        out.print(f"{summ['runs']:,} runs in {i.wall_s:.1f} s ({i.mode}, {i.workers} "
                  f"worker(s); {i.chunks_run} chunk(s) run, {i.chunks_skipped} resumed). "
                  f"Reproduce one: --only-run <run>")
    else:
        out.print(f"failures: {escape(str(res.table['events'].iloc[0])) or 'none'}")
    if res.out is not None:
        out.print(f"Wrote {res.out}/results.parquet, results.csv and summary.json")


@app.command()
def validate(path: PathArg, as_json: JsonOpt = False) -> None:
    """Check a scenario or network file; print a summary or one line naming the problem."""
    s = _load(path)
    summ = {**s.network.summary(), "commodities": len(s.commodities),
            "background": len(s.background), "disruptions": len(s.disruptions), "valid": True}
    if as_json:
        _print_json(summ)
        return
    out.print(f"[green]valid[/]: {summ['nodes']} nodes, {summ['links']} links, "
              f"{summ['commodities']} commodities, {summ['background']} background flows, "
              f"{summ['disruptions']} disruptions")


def main(argv: list[str] | None = None) -> None:
    """Entry point: run the app, turning typed errors into one line and an exit code."""
    try:
        rv = app(args=argv, prog_name="chokepoint", standalone_mode=False)
    except ChokepointError as e:
        err.print(f"[red]error:[/] {escape(str(e))}")
        sys.exit(e.exit_code)
    except typer.Exit as e:
        sys.exit(e.exit_code)
    except typer.Abort:
        err.print("aborted")
        sys.exit(130)
    except TyperException as e:  # usage errors: unknown option, missing argument...
        show = getattr(e, "show", None)
        if callable(show):
            show()
        else:
            err.print(f"error: {e.format_message()}", markup=False)
        sys.exit(2)
    except KeyboardInterrupt:
        err.print("interrupted")
        sys.exit(130)
    sys.exit(rv if isinstance(rv, int) else 0)


if __name__ == "__main__":  # pragma: no cover
    main()
