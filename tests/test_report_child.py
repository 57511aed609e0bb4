"""The report's forked child (:mod:`chokepoint.report._child`): same files, errors come back,
no fork while other threads run."""

from __future__ import annotations

import os
import threading
from collections.abc import Callable
from pathlib import Path

import pytest

from chokepoint.errors import InputError
from chokepoint.network import Network
from chokepoint.report import _child, write_report
from chokepoint.scenario import Scenario


@pytest.fixture
def forking(monkeypatch: pytest.MonkeyPatch) -> None:
    """Fork even where the test process runs other threads (pytest-xdist, servers of earlier
    tests): these children only return, raise or block, touching no lock."""
    monkeypatch.setattr(_child.threading, "active_count", lambda: 1)


@pytest.mark.usefixtures("forking")
def test_the_answer_comes_back_from_a_child_process() -> None:
    pending = _child.start(lambda: [os.getpid(), "done"])
    pid, text = pending.result()
    assert text == "done"
    assert pid != os.getpid()


@pytest.mark.usefixtures("forking")
def test_the_childs_error_is_raised_in_the_parent() -> None:
    def fail() -> None:
        raise InputError("no such layer", element="x")

    pending = _child.start(fail)
    with pytest.raises(InputError, match="no such layer"):
        pending.result()


def test_no_fork_while_other_threads_run() -> None:
    stop = threading.Event()
    other = threading.Thread(target=stop.wait)
    other.start()
    try:
        assert _child.start(os.getpid).result() == os.getpid()
    finally:
        stop.set()
        other.join()
    assert _child.start(os.getpid, fork=False).result() == os.getpid()


@pytest.mark.usefixtures("forking")
def test_cancel_stops_the_child() -> None:
    gate_r, gate_w = os.pipe()
    pending = _child.start(lambda: os.read(gate_r, 1))  # blocks until the parent writes
    pending.cancel()
    os.close(gate_r)
    os.close(gate_w)
    with pytest.raises(RuntimeError):
        _child.start(lambda: os.kill(os.getpid(), 9)).result()


def test_forked_report_writes_the_same_files(tiny_network: Callable[..., Network],
                                             tmp_path: Path) -> None:
    pytest.importorskip("matplotlib", reason="report extra (matplotlib) not installed")
    where = {"s": (10.0, 50.0), "m": (12.0, 51.0), "t": (14.0, 50.5), "u": (13.0, 52.0)}
    net = tiny_network([("a", "s", "m", 5), ("b", "m", "t", 3), ("c", "m", "u", 2),
                        ("d", "u", "t", 2)],
                       [{"id": k, "lon": x, "lat": y} for k, (x, y) in where.items()])
    s = Scenario(network=net, name="two paths", sources=["s"], sinks=["t"])
    one = write_report(s, tmp_path / "one", ranking=True, generated="2026-12-03")
    two = write_report(s, tmp_path / "two", ranking=True, generated="2026-12-03", fork=True)
    rel = [p.relative_to(tmp_path / "one") for p in one]
    assert rel == [p.relative_to(tmp_path / "two") for p in two]
    assert "figures/map_utilisation.png" in {p.as_posix() for p in rel}
    for p in rel:
        assert (tmp_path / "one" / p).read_bytes() == (tmp_path / "two" / p).read_bytes(), p
