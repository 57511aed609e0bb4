"""Commands that brief: ``demo`` (the main job), ``report`` and ``serve``."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer
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
)
from chokepoint.errors import InputError
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
            parts += write_report(b, tmp, scenario=s,
                                  campaign=cb.result if cb is not None else False,
                                  earliest_arrival=cb.curve if cb is not None else None,
                                  png=importlib.util.find_spec("matplotlib") is not None,
                                  unit=False)
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
            out.print(f"Exact lower bound (quickest transshipment, all {cb.data['containers']:,}"
                      f" containers at {escape(s.network.node_name(s.commodities[0].origin))}"
                      f" at once): [bold]{_num(q['time_h'])} h[/] ({_num(q['time_days'])} days)")
        if kth["undisrupted_h"] is not None:
            out.print(f"The {kth['k']:,}th container arrives after {_num(kth['undisrupted_h'])} h "
                      f"undisrupted, {_num(kth['disrupted_h'])} h with the disruptions.")
    if written:
        out.print(f"\nWrote {len(written)} files to [bold]{out_dir}[/]: "
                  + ", ".join(p.name for p in written))


def _print_findings(s: Scenario, d: dict[str, Any]) -> None:
    """The "what this means" block: computed findings, wrapped to the terminal."""
    if not d.get("findings"):
        return
    out.rule()
    out.print(f"[bold]What this means — {escape(s.name)}[/]", soft_wrap=False)
    for f in d["findings"]:
        out.print(f"[bold]{escape(f['title'])}.[/] {escape(f['text'])}", soft_wrap=False)
    out.print()


def _print_failures(s: Scenario, d: dict[str, Any]) -> None:
    for q in d.get("worst_failures", []):
        names = " + ".join(s.network.node_name(x) for x in q["sources"][:3])
        sinks = " + ".join(s.network.node_name(x) for x in q["sinks"][:4])
        out.print(f"\n[bold]Worst simultaneous failures[/] for the {q['question']} "
                  f"({escape(names)} → {escape(sinks)}):")
        for f in q["failures"]:
            out.print(f"  k={f['k']}: {escape(f['text'])}")
    if d.get("criticality"):
        unit = s.units.report_units[0]
        from chokepoint.workflows.ranking import unit_column

        col = unit_column("throughput_loss", unit) if s.units.base != "unit" else \
            "throughput_loss"
        src, snk = s.terminals()
        od = f"{_short(s.network.node_name(src[0]))} → {_short(s.network.node_name(snk[0]))}"
        t = Table(title="Most critical failure groups")
        heads = ("rank", "group (id)", f"throughput loss {od}, {unit}",
                 "served lost (net), Mt/yr", "OD pairs cut")
        for h in heads:
            t.add_column(h, justify="left" if h.startswith("group") else "right",
                         overflow="fold")
        for r in d["criticality"]:
            t.add_row(str(r["rank"]), cell(r["element"]), _num(r.get(col), 1),
                      _num(r.get("served_loss_Mt_per_yr"), 1), str(r.get("pairs_cut", "")))
        out.print()
        out.print(t)
        out.print("served lost (net): total served demand of all traffic without the group, "
                  "less with it — losses net of gains elsewhere.")


def _print_brief(s: Scenario, d: dict[str, Any]) -> None:
    n = d["network"]
    out.rule()
    out.print(f"[bold]{escape(s.name)}[/]", soft_wrap=False)
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
            t.add_column(col, overflow="fold")
        u0 = s.units.report_units[0] if s.units.base != "unit" else s.units.base
        unit = "Mt/yr" if s.units.base != "unit" else s.units.base
        for col in (f"demand {unit}", f"served {unit}", f"unmet {unit}", f"served {u0}"):
            t.add_column(col, justify="right", overflow="fold")
        for r in sv["demands"]:
            conv = (lambda v: s.units.from_base(v, unit)) if s.units.base != "unit" else (
                lambda v: v)
            t.add_row(cell(r["id"]), cell(f"{r['origin']} → {r['destination']}"),
                      f"{r['priority']:g}",
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
        "--source", "-s", help="Throughput source node (repeatable; default: [flow], else "
                               "the first commodity's origin).")] = None,
    sink: Annotated[list[str] | None, typer.Option(
        "--sink", "-t", help="Throughput sink node (repeatable).")] = None,
    as_json: JsonOpt = False,
) -> None:
    """Write the offline report: one self-contained HTML file, PNG figures and CSV tables."""
    from chokepoint.errors import require
    from chokepoint.report import write_report
    from chokepoint.report.build import with_terminals
    from chokepoint.workflows.study import study

    if ranking not in ("link", "node", "group", "none"):
        raise InputError(f"--ranking must be link, node, group or none, not {ranking!r}")
    if png:
        require("matplotlib", "report")
    s = with_terminals(_load(path), source or (), sink or ())
    table = None
    if ranking != "none":
        from chokepoint.workflows.ranking import criticality as rank

        with _progress() as cb:
            table = rank(s, kind=ranking, progress=cb)
    b = study(s, with_campaign=False).brief
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
        "--source", "-s", help="Throughput source node (repeatable; default: [flow], else "
                               "the first commodity's origin).")] = None,
    sink: Annotated[list[str] | None, typer.Option(
        "--sink", "-t", help="Throughput sink node (repeatable).")] = None,
) -> None:
    """The web map: click links, nodes or structures to close them; a JSON API."""
    from chokepoint.errors import require

    require("fastapi", "web")
    require("uvicorn", "web")
    require("multipart", "web")
    from chokepoint.report.build import with_terminals
    from chokepoint.serve import ServeSettings
    from chokepoint.serve import serve as run_server
    from chokepoint.workflows.closures import simulation_hook

    s = with_terminals(_load(path or f"{BUILTIN_PREFIX}corridor"), source or (), sink or ())
    if not timeout > 0 or timeout == float("inf"):
        raise InputError(f"--timeout must be a positive number of seconds, not {timeout}")
    settings = ServeSettings(analysis_timeout_s=timeout, token=token, workers=workers,
                             max_upload_elements=max_upload_elements,
                             campaign=simulation_hook() if campaign and s.commodities else None)
    err.print(f"chokepoint web map of [bold]{escape(s.name)}[/] on http://{host}:{port}/ "
              "(Ctrl+C to stop)")
    run_server(s, host=host, port=port, label=path or "builtin:corridor", settings=settings,
               allow_hosts=tuple(allow_host or ()))

