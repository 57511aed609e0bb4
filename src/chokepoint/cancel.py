"""Cooperative cancellation of long computations.

A caller that may give up on a computation (the web map's time limit) runs it inside
:func:`cancel_scope` with a :class:`CancelToken`; long computations call :func:`check`
between solver calls (every HiGHS run of the served-demand LP, every element of a
criticality ranking, every closure stage), which raises :class:`CancelledError` once the token is
cancelled, so the worker is free again within one solver call. Outside a scope
:func:`check` costs one context-variable lookup and never raises.

The scope is a :class:`contextvars.ContextVar`, so it follows the computation into the
thread that runs it and never leaks into other threads or requests (no module state).
"""

from __future__ import annotations

import contextvars
import threading
from collections.abc import Iterator
from contextlib import contextmanager

from chokepoint.errors import ChokepointError

__all__ = ["CancelToken", "CancelledError", "cancel_scope", "check"]


class CancelledError(ChokepointError):
    """The computation was cancelled (e.g. it passed the web map's time limit)."""


class CancelToken:
    """A flag set once by the side that gives up (thread-safe)."""

    def __init__(self) -> None:
        self._event = threading.Event()
        self.reason = "cancelled"

    def cancel(self, reason: str = "cancelled") -> None:
        """Ask the computation to stop at its next :func:`check`."""
        self.reason = reason
        self._event.set()

    @property
    def cancelled(self) -> bool:
        """Whether :meth:`cancel` was called."""
        return self._event.is_set()


_SCOPE: contextvars.ContextVar[CancelToken | None] = contextvars.ContextVar(
    "chokepoint_cancel_scope", default=None)


@contextmanager
def cancel_scope(token: CancelToken) -> Iterator[CancelToken]:
    """Run the ``with`` body under ``token``: :func:`check` raises once it is cancelled."""
    reset = _SCOPE.set(token)
    try:
        yield token
    finally:
        _SCOPE.reset(reset)


def check() -> None:
    """Raise :class:`CancelledError` if the current scope's token was cancelled."""
    token = _SCOPE.get()
    if token is not None and token.cancelled:
        raise CancelledError(token.reason)
