"""Commands that brief: ``demo`` (the main job), ``report`` and ``serve``."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer
from rich import box
from rich.markup import escape
from rich.table import Table

from chokepoint.cli._app import (
    BUILTIN_PREFIX,
    JsonOpt,
    PathArg,
    _load,
    _num,
    _print_json,
    _progress,
    _short,
    app,
    cell,
    err,
    out,
    say,
)
from chokepoint.errors import InputError
from chokepoint.formatting import fmt

if TYPE_CHECKING:  # annotations only: importing it at start-up would load pandas
    from chokepoint.scenario import Scenario


@app.command()
def demo(
    out_dir: Annotated[Path | None, typer.Option("--out", help="Write results here.")] = None,
    as_json: JsonOpt = False,
) -> None:
    """The main job on the built-in Rajin → Dunai → Tikhoretsk corridor."""
    from chokepoint.data import load_builtin
    from chokepoint.workflows.study import study

    s = load_builtin("corridor")
    st = study(s, seed=0)
    b, cb = st.brief, st.campaign
    written: list[Path] = []
    if out_dir is not None:
        import importlib.util

        from chokepoint.io.write import atomic_dir
        from chokepoint.report import write_report
        from chokepoint.workflows.files import write_brief

        with atomic_dir(out_dir) as tmp:  # the whole folder appears as a unit
            parts = write_brief(b, s.network, tmp)
            parts += write_report(st, tmp, campaign=None if cb is not None else False,
                                  png=importlib.util.find_spec("matplotlib") is not None,
                                  unit=False, fork=True)
        written = [out_dir / p.relative_to(tmp) for p in parts]
    if as_json:
        _print_json(b.data)
        return
    _print_findings(s, b.data)
    _print_brief(s, b.data)
    _print_failures(s, b.data)
    if cb is not None:
        from chokepoint.cli.campaign import _print_campaign

        out.print()
        _print_campaign(s, cb.result, cb.data["seed"])
        q, kth = cb.data["quickest"], cb.data["kth"]
        if q["status"] == "ok":
            say(f"quickest transshipment of all {cb.data['containers']:,} containers of "
                 f"{cb.data.get('label', cb.data['commodity'])} along its route, all at "
                 f"{s.network.node_name(s.commodities[0].origin)} at once: "
                 f"{fmt(q['time_h'], 'h')} ({fmt(q['time_days'], 'days')})",
                 bold="Exact lower bound:")
        if kth["undisrupted_h"] is not None:
            say(f"The {kth['k']:,}th container arrives after {fmt(kth['undisrupted_h'], 'h')} "
                 f"undisrupted, {fmt(kth['disrupted_h'], 'h')} with the disruptions.")
    if written:
        out.print()
        say(f"Wrote {len(written)} files to {out_dir}: " + ", ".join(p.name for p in written))


def _print_findings(s: Scenario, d: dict[str, Any]) -> None:
    """The "what this means" block: computed findings, wrapped to the terminal."""
    if not d.get("findings"):
        return
    out.rule()
    say(s.name, bold="What this means —")
    for f in d["findings"]:
        say(f["text"], bold=f"{f['title']}.")
    out.print()


def _print_failures(s: Scenario, d: dict[str, Any]) -> None:
    for q in d.get("worst_failures", []):
        what = (d["shipment"]["names"] if q["question"] == "shipment" else
                " + ".join(s.network.node_name(x) for x in q["sources"][:3]) + " → "
                + " + ".join(s.network.node_name(x) for x in q["sinks"][:4]))
        out.print()
        say(f"for the {q['question']} ({what}):", bold="Worst simultaneous failures")
        for f in q["failures"]:
            rule = f" ({f['budget_rule']})" if f.get("budget_rule") else ""
            say(f"{rule.strip()} {f['text']}".strip(), first=f"  k={f['k']}: ", indent=4)
    meta = d.get("criticality_throughput") or {}
    if d.get("criticality"):
        unit = meta.get("unit") or s.units.base
        col = meta.get("column") or "throughput_loss"
        who = meta.get("commodity") or "shipment"
        t = Table(title="Most critical failure groups", box=box.SIMPLE_HEAD, padding=(0, 1))
        t.add_column("rank", justify="right", no_wrap=True)
        t.add_column("group (id)", no_wrap=True)
        t.add_column(f"{who} capacity lost, {unit}", justify="right", max_width=16)
        t.add_column("served lost (net), Mt/yr", justify="right", max_width=12)
        t.add_column("OD pairs cut", justify="right", max_width=6)
        for r in d["criticality"]:
            t.add_row(str(r["rank"]), cell(r["element"]), _num(r.get(col), 1),
                      _num(r.get("served_loss_Mt_per_yr"), 1), str(r.get("pairs_cut", "")))
        out.print()
        out.print(t)
        say(f"{who} capacity lost: the maximum throughput of {meta.get('label', who)} "
             "along its route rules, less with the group failed. served lost (net): total "
             "served demand of all traffic without the group, less with it — losses net of "
             "gains elsewhere.")


def _print_throughput(s: Scenario, d: dict[str, Any]) -> None:
    ship = d.get("shipment", {})
    for key, title in (("max_flow", "Maximum throughput"),
                       ("max_flow_disrupted", "Maximum throughput with all disruptions")):
        if key not in d:
            continue
        mf = d[key]
        vals = " = ".join(fmt(v, u) for u, v in {mf["display_unit"]: mf["display_value"],
                                                 **mf["in_report_units"]}.items())
        out.print()
        say(f"of {ship.get('names') or mf['label']}: {vals}", bold=title)
        say("bottleneck (min cut): " + "; ".join(
            c["name"] + (" [capacity assumed]" if "assumption" in c["source"].lower() else "")
            for c in mf["cut"]), first="  ", indent=4)


def _print_served(s: Scenario, d: dict[str, Any]) -> None:
    sv = d["served"]
    t = Table(title="Served demand with all traffic competing for capacity",
              box=box.SIMPLE_HEAD, padding=(0, 1))
    t.add_column("demand: origin → destination", no_wrap=True)
    t.add_column("prio", justify="right", no_wrap=True)
    for col in ("demand", "served", "unmet"):
        t.add_column(col, justify="right", no_wrap=True)
    t.add_column("unit", no_wrap=True)
    for r in sv["demands"]:
        t.add_row(cell(f"{r['id']}\n  {r['origin']} → {r['destination']}"), f"{r['priority']:g}",
                  _num(r["demand_in_unit"]), _num(r["served_in_unit"]), _num(r["unmet_in_unit"]),
                  cell(r["unit"]))
    out.print()
    out.print(t)
    if sv.get("total_unmet_Mt_per_yr") is not None:
        say(f"Unmet in total: {fmt(sv['total_unmet_Mt_per_yr'], 'Mt/yr')}")
    say("Capacity binds at: " + "; ".join(b["name"] for b in sv["binding"]))
    sd = d.get("served_disrupted")
    if sd and sd.get("lost_Mt_per_yr") is not None:
        say("With all disruptions at once, for ever (worst case): served demand falls by "
            f"{fmt(sd['lost_Mt_per_yr'], 'Mt/yr')}; unmet "
            f"{fmt(sd['total_unmet_Mt_per_yr'], 'Mt/yr')}. Over the disruptions' own dates: "
            "see what the disruptions cost, above.")


def _print_routes(s: Scenario, d: dict[str, Any]) -> None:
    for r in d.get("routes", []):
        what = r.get("label") or r["commodity"]
        out.print()
        say(f"{what}: " + (f"{fmt(r['time_h'], 'h')} ({fmt(r['time_days'], 'days')}), "
                            f"{fmt(r['length_km'], 'km', digits=0)}" if r["found"] else "none"),
             bold="Fastest route")
        if r["found"]:
            say("via " + " → ".join(_short(v) for v in r["via"]), first="  ", indent=4)
        dis = r.get("disrupted")
        if dis and dis["found"] and dis["via"] == r["via"]:
            say("with all disruptions: unchanged", first="  ", indent=4)
        elif dis:
            say("with all disruptions: " + (
                f"{fmt(dis['time_h'], 'h')}, {fmt(dis['length_km'], 'km', digits=0)} via "
                + " → ".join(_short(v) for v in dis["via"]) if dis["found"]
                else "no route remains"), first="  ", indent=4)
        free = r.get("what_if_free")
        if free:
            say(f"{free['label']}: {fmt(free['time_h'], 'h')} "
                 f"({fmt(free['time_days'], 'days')}) via "
                 + " → ".join(_short(v) for v in free["via"][:4]) + " …", first="  ", indent=4)


def _print_brief(s: Scenario, d: dict[str, Any]) -> None:
    n = d["network"]
    out.rule()
    say(s.name, bold="Scenario:")
    if s.description:
        say(s.description)
    say(f"Network: {n['nodes']} nodes, {n['links']} links "
         f"({', '.join(f'{v} {k}' for k, v in n['link_modes'].items())}), "
         f"{n['failure_groups']} failure groups, {fmt(n['length_km'], 'km', digits=0)}.")
    _print_throughput(s, d)
    if "served" in d:
        _print_served(s, d)
    _print_routes(s, d)


CommodityOpt = Annotated[str | None, typer.Option(
    "--commodity", "-c", help="The commodity whose shipment the throughput, map highlights "
                              "and charts follow, along its route rules (default: the first "
                              "commodity; not with --source/--sink).")]


def _shipment_args(s: Scenario, commodity: str | None, source: list[str] | None,
                   sink: list[str] | None) -> tuple[Scenario, dict[str, Any]]:
    """The scenario (with ``--source``/``--sink`` as its flow terminals, checked) and the
    keyword arguments naming its shipment for the workflows."""
    from chokepoint.report.build import with_terminals

    if commodity is not None and (source or sink):
        raise InputError("give --commodity or --source/--sink, not both")
    if commodity is not None and commodity not in {d.id for d in s.commodities}:
        raise InputError(f"unknown --commodity {commodity!r} (have: "
                         f"{', '.join(d.id for d in s.commodities) or 'none'})")
    s = with_terminals(s, source or (), sink or ())
    if commodity is not None:
        return s, {"commodity": commodity}
    if source or sink:
        return s, {"sources": list(s.sources), "sinks": list(s.sinks)}
    return s, {}


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
    source: Annotated[list[str] | None, typer.Option(
        "--source", "-s", help="Throughput source node, on the whole network (repeatable; "
                               "default: the commodity's origin, else [flow]).")] = None,
    sink: Annotated[list[str] | None, typer.Option(
        "--sink", "-t", help="Throughput sink node (repeatable).")] = None,
    commodity: CommodityOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Write the offline report: one self-contained HTML file, PNG figures and CSV tables."""
    from chokepoint.errors import require
    from chokepoint.report import write_report
    from chokepoint.workflows.study import study

    if ranking not in ("link", "node", "group", "none"):
        raise InputError(f"--ranking must be link, node, group or none, not {ranking!r}")
    if png:
        require("matplotlib", "report")
    s, ship = _shipment_args(_load(path), commodity, source, sink)
    st = study(s, with_campaign=False, **ship)
    table: Any = False if ranking == "none" else None  # None: the study's group ranking
    if ranking in ("link", "node"):
        from chokepoint.workflows.ranking import criticality as rank

        with _progress() as cb:
            table = rank(s, kind=ranking, progress=cb, **ship)
    written = write_report(st, out_dir, ranking=table,
                           campaign=campaign and bool(s.commodities), seed=seed, png=png,
                           commodity=commodity, fork=True)
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
             "others connect (a warning is printed; uploads and resets then need "
             "--allow-host or the token). See docs/security.md.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="TCP port.")] = 8000,
    campaign: Annotated[bool, typer.Option(
        "--campaign/--no-campaign",
        help="Also simulate the campaign's delay for each closure (scenarios with "
             "commodities).")] = True,
    timeout: Annotated[float, typer.Option(help="Time limit of one analysis, seconds.")] = 30.0,
    allow_host: Annotated[list[str] | None, typer.Option(
        "--allow-host", help="Host name clients use to reach the server (repeatable); "
                             "requests under it may upload and reset.")] = None,
    token: Annotated[str | None, typer.Option(
        "--token", envvar="CHOKEPOINT_TOKEN",
        help="Secret that authorises uploads and resets from any host (default on a "
             "public bind without --allow-host: a random one, printed).")] = None,
    max_upload_elements: Annotated[int, typer.Option(
        "--max-upload-elements", min=1,
        help="Most nodes + links an uploaded network may have.")] = 200_000,
    workers: Annotated[int, typer.Option(
        "--workers", min=1, max=64, help="Analyses running at once.")] = 2,
    source: Annotated[list[str] | None, typer.Option(
        "--source", "-s", help="Throughput source node on the whole network (repeatable; "
                               "default: the first commodity's shipment along its route "
                               "rules, else [flow]).")] = None,
    sink: Annotated[list[str] | None, typer.Option(
        "--sink", "-t", help="Throughput sink node (repeatable).")] = None,
    commodity: CommodityOpt = None,
) -> None:
    """The web map: click links, nodes or structures to close them; a JSON API."""
    from chokepoint.errors import require
    from chokepoint.workflows.shipment import with_commodity

    s, _ = _shipment_args(_load(path or f"{BUILTIN_PREFIX}corridor"), commodity, source, sink)
    s = with_commodity(s, commodity)  # the web map's shipment: the scenario's first commodity
    require("fastapi", "web")
    require("uvicorn", "web")
    require("multipart", "web")
    from chokepoint.serve import ServeSettings
    from chokepoint.serve import serve as run_server
    from chokepoint.workflows.closures import simulation_hook

    if not timeout > 0 or timeout == float("inf"):
        raise InputError(f"--timeout must be a positive number of seconds, not {timeout}")
    settings = ServeSettings(analysis_timeout_s=timeout, token=token, workers=workers,
                             max_upload_elements=max_upload_elements,
                             campaign=simulation_hook() if campaign and s.commodities else None)
    err.print(f"chokepoint web map of [bold]{escape(s.name)}[/] on http://{host}:{port}/ "
              "(Ctrl+C to stop)")
    run_server(s, host=host, port=port, label=path or "builtin:corridor", settings=settings,
               allow_hosts=tuple(allow_host or ()))

