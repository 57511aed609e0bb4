"""The command line: a thin layer over the library.

Every command loads its input with :func:`chokepoint.io.load`, calls library functions and
prints with Rich (or JSON with ``--json``). :func:`main` is the one place where typed
exceptions become a one-line message and an exit code: 2 for bad input, 3 infeasible,
4 solver trouble, 5 a missing optional dependency. Commands live in one module per concern.
"""

from __future__ import annotations

import importlib
import re
import sys

import typer
from rich.markup import escape
from typer.exceptions import TyperException

from chokepoint.cli._app import app, err
from chokepoint.errors import ChokepointError

__all__ = ["app", "main"]

# the command modules register their commands on ``app``; --help lists them in this order
for _module in ("brief", "flows", "risk", "cost", "campaign", "imports", "sweeps",
                "sensitivity", "cache"):
    importlib.import_module(f"chokepoint.cli.{_module}")


#: Library parameters (``resume=``) named in error messages, and the options that set them.
_OPTIONS = {"resume": "--resume", "out": "--out", "simulate": "--simulate",
            "only_run": "--only-run", "runs": "--runs", "workers": "--workers",
            "sources": "--source", "sinks": "--sink"}
_PARAM = re.compile(r"\b(" + "|".join(_OPTIONS) + r")=")


def cli_words(message: str) -> str:
    """A library message in the CLI's words: ``resume= needs out=`` → ``--resume needs
    --out`` (the library names its parameters, never the CLI's flags)."""
    return _PARAM.sub(lambda m: _OPTIONS[m.group(1)], message)


def main(argv: list[str] | None = None) -> None:
    """Entry point: run the app, turning typed errors into one line and an exit code."""
    try:
        rv = app(args=argv, prog_name="chokepoint", standalone_mode=False)
    except ChokepointError as e:
        err.print(f"[red]error:[/] {escape(cli_words(str(e)))}")
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
