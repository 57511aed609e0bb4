"""The Typer app, the consoles and the helpers every command shares."""

from __future__ import annotations

import json
import re
import sys
from typing import TYPE_CHECKING, Annotated, Any

import typer
from rich.console import Console
from rich.markup import escape
from rich.text import Text

from chokepoint.errors import InputError
from chokepoint.kinds import KINDS

if TYPE_CHECKING:  # annotations only: importing it at start-up would load pandas
    from chokepoint.scenario import Scenario

app = typer.Typer(
    name="chokepoint",
    help="Where does a freight corridor break? Exact max flow, min cut, routes and criticality.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")


def _visible(text: str) -> str:
    """Control characters (ANSI escapes, bells, carriage returns...) shown as ``\\xNN``."""
    return _CONTROL.sub(lambda m: f"\\x{ord(m.group()):02x}", text)


class SafeConsole(Console):
    """A console that never passes control characters from data to the terminal and never
    turns ``:name:`` into an emoji; ids in markup strings are escaped where they are printed
    (:func:`rich.markup.escape`), table cells through :func:`cell`."""

    def print(self, *objects: Any, **kwargs: Any) -> None:
        super().print(*(_visible(o) if isinstance(o, str) else o for o in objects), **kwargs)


def cell(value: object) -> Text:
    """A table cell showing ``value`` literally (no markup, no emoji, no control codes)."""
    return Text(_visible(str(value)))


out = SafeConsole(highlight=False, soft_wrap=True, emoji=False)
err = SafeConsole(stderr=True, highlight=False, soft_wrap=True, emoji=False)

BUILTIN_PREFIX = "builtin:"

PathArg = Annotated[str, typer.Argument(
    help="Scenario (.toml), network file (.geojson/.gpkg/.shp/.parquet), CSV link list, "
         "DIMACS (.max/.min), or builtin:corridor.")]
JsonOpt = Annotated[bool, typer.Option("--json", help="Print JSON for machines.")]
NoCacheOpt = Annotated[bool, typer.Option(
    "--no-cache", help="Read the file again instead of loading a large file's parse from the "
                       "disk cache (CHOKEPOINT_CACHE=off does the same for every command).")]


def _load(path: str, *, cache: bool = True) -> Scenario:
    from chokepoint import load

    return load(path, cache=cache)


def _print_json(data: Any) -> None:
    from chokepoint.io.write import to_jsonable

    sys.stdout.write(json.dumps(to_jsonable(data), indent=2, ensure_ascii=False) + "\n")


def say(text: str, *, indent: int = 0, first: str = "", bold: str = "") -> None:
    """Print plain ``text`` wrapped at the console's width on word boundaries: ids and
    numbers are never split, continuation lines are indented by ``indent``; ``bold`` is a
    heading printed bold before it on the first line."""
    import textwrap

    width = max(40, out.width)
    head = first or " " * indent
    lines = textwrap.wrap(f"{bold} {text}".strip() if bold else text, width=width,
                          initial_indent=head, subsequent_indent=" " * indent,
                          break_long_words=False, break_on_hyphens=False)
    for i, line in enumerate(lines):
        if i == 0 and bold and line.lstrip().startswith(bold):
            lead = line[: len(line) - len(line.lstrip())]
            out.print(f"{lead}[bold]{escape(bold)}[/]{escape(line.lstrip()[len(bold):])}")
        else:
            out.print(escape(line))


def _num(v: float | None, digits: int = 1) -> str:
    if v is None or v != v:
        return "—"
    if v == float("inf"):
        return "unlimited"
    return f"{v:,.{digits}f}"


def _short(name: str) -> str:
    """A node name without its parenthesised remark, for long route listings."""
    return name.split(" (")[0]


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


KindOpt = Annotated[str, typer.Option("--by", help="link, node or group.")]


ObjectiveOpt = Annotated[str, typer.Option(
    "--objective", help="flow (minimise max flow) or time (maximise fastest travel time).")]


def _check_kind(by: str, objective: str = "flow") -> None:
    if by not in KINDS:
        raise InputError(f"--by must be {', '.join(KINDS)}, not {by!r}")
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

