"""The ``simulate`` command: the SimPy campaign with and without the disruptions."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer
from rich.table import Table

from chokepoint.cli._app import (
    JsonOpt,
    PathArg,
    _load,
    _num,
    _print_json,
    _progress,
    app,
    out,
    say,
)
from chokepoint.errors import InputError

if TYPE_CHECKING:  # annotations only: importing it at start-up would load pandas
    from chokepoint.scenario import Scenario


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
    from chokepoint.workflows.brief import campaign_runs

    summ = res.summary()
    runs = campaign_runs(res)
    com = s.commodities[0].label if s.commodities else s.network.name
    t = Table(title=f"Campaign of {com} (seed {seed})")
    t.add_column("")
    for r in runs:
        t.add_column(r["label"], justify="right")
    rows = [("containers", lambda r: f"{r['containers']:,}"),
            ("delivered (containers)", lambda r: f"{r['delivered']:,}"),
            ("last delivery", lambda r: r["run"].completion.strftime("%Y-%m-%d %H:%M")
             if r["run"].completion else "not all delivered"),
            ("mean transit (h)", lambda r: _num(r["mean_transit_h"])),
            ("trains", lambda r: str(r["trains"])),
            ("reroutes (trains)", lambda r: str(r["reroutes"])),
            ("peak yard backlog (containers)",
             lambda r: _num(r["peak_yard_backlog_containers"], 0))]
    for label, f in rows:
        t.add_row(label, *[f(r) for r in runs])
    out.print(t)
    first = runs[0]
    dem = s.commodities[0] if s.commodities else None
    if dem is not None and first["first_release"] is not None:
        window = (f" (the commodity's own window: {dem.start:%Y-%m-%d} to "
                  f"{dem.end:%Y-%m-%d})" if dem.start and dem.end else "")
        say(f"{first['containers']:,} containers ready at {s.network.node_name(dem.origin)} "
            f"from {first['first_release']:%Y-%m-%d} to {first['last_release']:%Y-%m-%d}"
            f"{window}")
    if res.run is not res.baseline:
        d = summ["delay"]
        say(f"Delay against the undisrupted run: mean {_num(d['mean_h'])} h, "
            f"max {_num(d['max_h'])} h; {d['delayed_containers']:,} containers delayed, "
            f"{d['undelivered']:,} undelivered")
        if d["delayed_containers"] == 0 and len(res.run.reroutes) == 0:
            say("no campaign train was routed over an element while it was closed, so "
                "the disruptions cost the campaign nothing; they cost the corridor's "
                "other traffic (see served demand with the disruptions)", first="  ",
                indent=2)

