"""Run one piece of the report in a forked child process, beside the parent's own work.

The report's PNG files are drawn by matplotlib, which holds the GIL: a thread would not run
beside the HTML page, a forked child does (a second core), and it needs nothing pickled on
the way in — it starts with the parent's memory (the finished study). Only the answer (a
list of paths) or the error comes back, pickled through a pipe.

Forking is safe only while the process runs one thread, so :func:`start` falls back to
running the piece at once, in the parent, when other threads are alive (the web server, a
worker pool) or the platform has no ``fork``.
"""

from __future__ import annotations

import os
import pickle
import signal
import threading
from collections.abc import Callable
from typing import Generic, TypeVar

__all__ = ["Pending", "start"]

T = TypeVar("T")


class Pending(Generic[T]):
    """A piece started by :func:`start`: :meth:`result` waits for it (and re-raises its
    error); :meth:`cancel` stops a child that is no longer wanted."""

    def __init__(self, *, pid: int = 0, fd: int = -1, value: T | None = None) -> None:
        self._pid, self._fd, self._value = pid, fd, value

    def result(self) -> T:
        """The piece's answer, once it is done (its exception is raised here)."""
        if self._pid == 0:
            return self._value  # type: ignore[return-value]
        with os.fdopen(self._fd, "rb") as f:
            data = f.read()
        _, status = os.waitpid(self._pid, 0)
        self._pid = 0
        try:
            ok, value = pickle.loads(data)
        except Exception:  # killed before it answered, or an odd error
            raise RuntimeError(f"the report's child process ended with status {status}"
                               ) from None
        if not ok:
            raise value
        self._value = value
        return value

    def cancel(self) -> None:
        """Stop the child (when the parent gives up on the report)."""
        if self._pid:
            os.kill(self._pid, signal.SIGKILL)
            os.waitpid(self._pid, 0)
            os.close(self._fd)
            self._pid = 0


def start(fn: Callable[[], T], *, fork: bool = True) -> Pending[T]:
    """Start ``fn()`` in a forked child (when ``fork`` and this process runs one thread;
    else run it here at once) and return its :class:`Pending` answer."""
    if not fork or not hasattr(os, "fork") or threading.active_count() > 1:
        return Pending(value=fn())
    r, w = os.pipe()
    pid = os.fork()
    if pid:  # the parent: read the answer later
        os.close(w)
        return Pending(pid=pid, fd=r)
    os.close(r)  # the child: never returns into the caller's code
    code = 0
    try:
        payload = pickle.dumps((True, fn()))
    except BaseException as exc:  # every error goes back to the parent
        code = 1
        try:
            payload = pickle.dumps((False, exc))
        except Exception:  # an error that does not pickle: its text
            payload = pickle.dumps((False, RuntimeError(f"{type(exc).__name__}: {exc}")))
    try:
        with os.fdopen(w, "wb") as f:
            f.write(payload)
    finally:
        os._exit(code)  # no atexit handlers, no flushing of the parent's buffers
