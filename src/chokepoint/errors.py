"""Typed exceptions; ``chokepoint.cli.main`` turns each into one line and an exit code."""

from __future__ import annotations

from pathlib import Path

__all__ = [
    "ChokepointError",
    "InfeasibleError",
    "InputError",
    "MissingDependencyError",
    "RouteConstraintError",
    "SolverError",
]


class ChokepointError(Exception):
    """Base class of every error chokepoint raises on purpose."""

    exit_code: int = 1


class InputError(ChokepointError):
    """Bad input: names the file, the element and what is wrong.

    Parameters
    ----------
    message
        What is wrong, in words.
    source
        The file (or other origin) the bad element came from.
    element
        The element concerned, e.g. ``"link 'sev_tunnel'"``.
    """

    exit_code = 2

    def __init__(
        self, message: str, *, source: str | Path | None = None, element: str | None = None
    ) -> None:
        self.message = message
        self.source = str(source) if source is not None else None
        self.element = element
        super().__init__(self.__str__())

    def __str__(self) -> str:
        parts = []
        if self.source:
            parts.append(self.source)
        if self.element:
            parts.append(self.element)
        parts.append(self.message)
        return ": ".join(parts)


class RouteConstraintError(InputError):
    """An analysis that cannot honour a commodity's ``via`` stops exactly refuses to run.

    Raised instead of silently routing origin → destination when the stops are not forced by
    the commodity's link rules and the analysis has no exact form through them.

    Parameters
    ----------
    commodity
        The commodity id.
    via
        The via stop(s) the analysis cannot force.
    analysis
        The analysis in words, e.g. ``"the earliest-arrival bound"``.
    hint
        What the user can do instead (optional).
    """

    def __init__(self, *, commodity: str, via: tuple[str, ...] | list[str], analysis: str,
                 hint: str = "forbid the links that bypass the stop (forbidden_links or "
                             "allowed_links) so that every allowed path passes it") -> None:
        self.commodity = commodity
        self.via = tuple(via)
        self.analysis = analysis
        stops = ", ".join(self.via)
        super().__init__(f"{analysis} cannot force the via stop{'s' if len(self.via) > 1 else ''}"
                         f" {stops} (the commodity's link rules do not force "
                         f"{'them' if len(self.via) > 1 else 'it'}); {hint}",
                         element=f"commodity {commodity!r}")


class InfeasibleError(ChokepointError):
    """A request that cannot be met on the network (e.g. demand exceeding max flow)."""

    exit_code = 3


class SolverError(ChokepointError):
    """A solver returned an unexpected status."""

    exit_code = 4


class MissingDependencyError(ChokepointError, ImportError):
    """An optional dependency is missing; the message says how to install it."""

    exit_code = 5


def require(module: str, extra: str) -> object:
    """Import an optional module or raise :class:`MissingDependencyError`.

    Parameters
    ----------
    module
        The module to import (e.g. ``"geopandas"``).
    extra
        The extra of chokepoint that provides it (e.g. ``"geo"``).
    """
    import importlib

    try:
        return importlib.import_module(module)
    except ImportError as exc:  # pragma: no cover - exercised only without the extra
        raise MissingDependencyError(
            f"{module} is needed for this; install it with: pip install 'chokepoint[{extra}]'"
        ) from exc
