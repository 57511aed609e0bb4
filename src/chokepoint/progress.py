"""The one progress protocol of long computations.

A long computation takes ``progress=`` — any callable ``progress(done, total)`` (a
:class:`Progress`) — and calls it as work completes; one made of several stages takes a
:class:`StagedProgress`, ``progress(stage, done, total)``, and :func:`stage` turns it into the
plain protocol for one stage.
"""

from __future__ import annotations

from typing import Protocol

__all__ = ["Progress", "StagedProgress", "stage"]


class Progress(Protocol):
    """``progress(done, total)``: ``done`` of ``total`` units of work are finished."""

    def __call__(self, done: int, total: int, /) -> object: ...


class StagedProgress(Protocol):
    """``progress(stage, done, total)``: the same, for a named stage of a longer job."""

    def __call__(self, stage: str, done: int, total: int, /) -> object: ...


def stage(progress: StagedProgress | None, name: str) -> Progress | None:
    """The :class:`Progress` of stage ``name`` of ``progress`` (None stays None)."""
    if progress is None:
        return None
    staged = progress

    def report(done: int, total: int, /) -> object:
        return staged(name, done, total)

    return report
