"""``chokepoint sensitivity``: where the headline answers change across the assumptions."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer

from chokepoint.cli._app import BUILTIN_PREFIX, JsonOpt, PathArg, _num, _print_json, app, out


def _path(path: str) -> Path:
    if path.startswith(BUILTIN_PREFIX):
        from chokepoint.data import builtin_path

        return builtin_path(path.removeprefix(BUILTIN_PREFIX))
    return Path(path)


def _show(res: Any, weak: Any) -> None:
    from rich.table import Table

    out.print(f"[bold]Sensitivity[/] of {len(res.assumptions)} assumptions "
              f"({', '.join(res.measures)})")
    t = Table("assumption", "answer", "flips at", "below", "above", "how",
              title="Where answers flip")
    for f in res.flips:
        t.add_row(f.assumption, f.answer, f"{_num(f.value, 3)} {f.unit}", str(f.below),
                  str(f.above), f.method)
    if not res.flips:
        t.add_row("—", "no answer flips within the ranges", "", "", "", "")
    out.print(t)
    stable = [a["answer"] for a in res.by_answer() if a["stable"]]
    if stable:
        out.print(f"Unchanged across every range: {', '.join(stable)}")
    bars = Table("answer", "assumption", "at low", "base", "at high", title="Swings (tornado)")
    for b in res.tornado:
        if b["swing"] > 0:
            bars.add_row(f"{b['answer']} ({b['unit']})", b["assumption"], _num(b["at_low"]),
                         _num(b["base"]), _num(b["at_high"]))
    out.print(bars)
    for line in (weak.statements if weak is not None else []):
        out.print(f"• {line}")


@app.command()
def sensitivity(
    path: PathArg,
    grid: Annotated[int, typer.Option("--grid", min=2, help="Values per assumption.")] = 3,
    samples: Annotated[int, typer.Option("--samples", min=0,
                                         help="Joint random points (seeded).")] = 0,
    only: Annotated[list[str] | None, typer.Option("--only", help="Assumption id to vary "
                                                   "(repeatable; default all).")] = None,
    measure: Annotated[list[str] | None, typer.Option(
        "--measure", help="route, shipment, corridor, attack, campaign (repeatable; "
                          "default all).")] = None,
    weak_point: Annotated[bool, typer.Option(
        "--weak-point/--no-weak-point", help="Also answer: is the disrupted structure the "
                                             "weak point, with flip values.")] = True,
    seed: Annotated[int, typer.Option("--seed", help="Seed of the joint sample and the "
                                                     "simulation.")] = 0,
    workers: Annotated[int | None, typer.Option(
        "--workers", help="Run the joint sample on a local Dask cluster of this many "
                          "processes (0: in this process).")] = None,
    scheduler: Annotated[str | None, typer.Option(
        "--scheduler", help="Dask scheduler address for the joint sample.")] = None,
    as_json: JsonOpt = False,
    out_path: Annotated[Path | None, typer.Option("--out", help="Write the JSON here.")] = None,
) -> None:
    """Vary the scenario's [[assumptions]] one at a time and jointly; report where each
    headline answer (route, weakest element, attack cost, last delivery) changes."""
    from chokepoint.io.write import to_jsonable, write_text
    from chokepoint.workflows.sensitivity import MEASURES, Study
    from chokepoint.workflows.sensitivity import sensitivity as run

    measures = tuple(measure or MEASURES)
    study = Study.of(_path(path), measures=measures)
    runner = None
    if samples and (workers is not None or scheduler is not None):
        from chokepoint.sweep.sensitivity import dask_runner

        runner = dask_runner(workers=workers, scheduler=scheduler)
    res = run(study, only=tuple(only or ()), measures=measures, grid=grid, samples=samples,
              seed=seed, runner=runner)
    weak = None
    if weak_point and study.focus:
        from chokepoint.workflows.weak_point import weak_point as answer

        weak = answer(study, corridor="corridor" in measures)
    data = {**res.to_dict(), "weak_point": weak.to_dict() if weak is not None else None}
    if out_path is not None:
        import json

        write_text(out_path, json.dumps(to_jsonable(data), indent=2, ensure_ascii=False))
    if as_json:
        _print_json(data)
        return
    _show(res, weak)
