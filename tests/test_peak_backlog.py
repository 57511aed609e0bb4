"""One definition of the peak yard backlog (containers, the largest single yard), shared by
the campaign table and the sweeps."""

from __future__ import annotations

from chokepoint.data import load_builtin
from chokepoint.simulate import simulate
from chokepoint.workflows.brief import campaign_runs, peak_yard_backlog


def test_peak_yard_backlog_is_the_largest_single_yard() -> None:
    res = simulate(load_builtin("corridor"), seed=0)
    nb = res.run.node_backlog
    yards = nb[nb["kind"] == "campaign_containers"]
    per_yard = yards.groupby("node")["backlog"].max()
    assert len(per_yard) >= 1
    assert peak_yard_backlog(res.run) == float(per_yard.max())
    assert peak_yard_backlog(res.run) <= float(yards.groupby("t_h")["backlog"].sum().max())
    runs = campaign_runs(res)
    assert [r["peak_yard_backlog_containers"] for r in runs] == [
        peak_yard_backlog(r["run"]) for r in runs]

