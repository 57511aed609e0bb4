"""Cooperative cancellation (chokepoint.cancel) of the slow stages behind the web map's
downloads: the SimPy campaign and the report's charts stop at their next check once the
request's time limit has passed, and the server's worker is free again."""

from __future__ import annotations

import time
from typing import Any

import numpy as np
import pytest

from chokepoint.cancel import CancelledError, CancelToken, cancel_scope, check
from chokepoint.data import load_builtin
from chokepoint.scenario import Scenario

pytest.importorskip("simpy", reason="the simulation extra (simpy) is not installed")

CORRIDOR = load_builtin()


def test_campaign_simulation_stops_within_1024_events() -> None:
    from chokepoint.simulate import simulate

    token = CancelToken()
    seen = {"events": 0, "at": 0}

    def observer(_: Any) -> None:
        seen["events"] += 1
        if seen["events"] == 100:
            token.cancel("the analysis passed the time limit")
            seen["at"] = seen["events"]

    with cancel_scope(token), pytest.raises(CancelledError, match="time limit"):
        simulate(CORRIDOR, seed=0, observer=observer)
    assert seen["at"] == 100
    assert seen["events"] <= 1024  # stopped at the first check after the cancellation
    check()  # outside the scope nothing is cancelled
    # the same run uncancelled completes (the checks change nothing)
    res = simulate(CORRIDOR, seed=0)
    assert res.run.delivered > 0


def test_report_charts_stop_between_charts(tiny_network: Any,
                                           monkeypatch: pytest.MonkeyPatch) -> None:
    """Cancelled while the first chart is drawn: no further chart is drawn."""
    pytest.importorskip("matplotlib", reason="report extra (matplotlib) not installed")
    from chokepoint.report import figures
    from chokepoint.report.build import build_report_data, render_report, report_charts
    from chokepoint.report.charts import Series

    nodes = [{"id": "s", "lon": 10.0, "lat": 50.0}, {"id": "m", "lon": 12.0, "lat": 51.0},
             {"id": "t", "lon": 14.0, "lat": 50.5}]
    net = tiny_network([("a", "s", "m", 5), ("b", "m", "t", 3)], nodes)
    s = Scenario(network=net, name="bare", sources=["s"], sinks=["t"])
    d = build_report_data(s, ranking=True)
    d.arrivals = [Series("undisrupted", np.array([0.0, 1.0]), np.array([0.0, 5.0]))]
    assert [c.key for c in report_charts(d)] == ["arrivals", "ranking"]
    token, drawn = CancelToken(), []
    line_chart = figures.line_chart

    def first_chart(*args: Any, **kw: Any) -> Any:
        drawn.append("line")
        token.cancel("the analysis passed the time limit")
        return line_chart(*args, **kw)

    monkeypatch.setattr(figures, "line_chart", first_chart)
    monkeypatch.setattr(figures, "bar_chart", lambda *a, **k: drawn.append("bar"))
    with cancel_scope(token), pytest.raises(CancelledError):
        render_report(d)
    assert drawn == ["line"]


def test_timed_out_campaign_request_is_cancelled_and_frees_its_worker() -> None:
    """``POST /api/campaign`` past its time limit: 504, and the SimPy run behind it ends by
    cancellation (not by running to its end) within a second."""
    pytest.importorskip("fastapi", reason="the web extra is not installed")
    pytest.importorskip("httpx2", reason="starlette's TestClient needs httpx2 (dev extra)")
    from fastapi.testclient import TestClient

    from chokepoint.serve import ServeSettings, create_app
    from chokepoint.workflows.closures import simulation_hook

    settings = ServeSettings(analysis_timeout_s=0.05, prewarm_elements=0,
                             campaign=simulation_hook())
    app = create_app(CORRIDOR, settings=settings)
    with TestClient(app, base_url="http://127.0.0.1:8000") as c:
        r = c.post("/api/campaign", json={"elements": ["severomuysky_tunnel"]})
        assert r.status_code == 504
        pool = app.state.pool
        deadline = time.monotonic() + 5
        while pool.in_flight and time.monotonic() < deadline:
            time.sleep(0.01)
        assert pool.in_flight == 0
        assert pool.timed_out == 1
        assert pool.cancelled == 1
