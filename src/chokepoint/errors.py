"""Typed exceptions; ``chokepoint.cli.main`` turns each into one line and an exit code."""

from __future__ import annotations

from pathlib import Path

__all__ = [
    "ChokepointError",
    "InfeasibleError",
    "InputError",
    "MissingDependencyError",
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
