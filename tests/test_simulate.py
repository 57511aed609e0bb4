"""Campaign simulation: known answers, rules at closures, invariants, reproducibility and the
flow-over-time bound."""

from __future__ import annotations

from typing import Any

import networkx as nx
import numpy as np
import pandas as pd
import pytest

from chokepoint.errors import InputError
from chokepoint.scenario import Scenario, scenario_from_dict
from chokepoint.simulate import Campaign, simulate, write_outputs

UNITS = {"tonnes_per_train": 1000.0, "teu_per_train": 100.0}


def _scenario(links: list[dict[str, Any]], *, origin: str, dest: str, containers: int,
              disruptions: list[dict[str, Any]] | None = None,
              nodes: list[dict[str, Any]] | None = None, **sim: Any) -> Scenario:
    data = {
        "version": 1, "units": dict(UNITS), "links": links, "nodes": nodes or [],
        "commodities": [{"id": "c", "origin": origin, "destination": dest,
                         "quantity": float(containers), "unit": "TEU",
                         "start": "2023-01-01", "end": "2023-01-02"}],
        "disruptions": disruptions or [],
        "simulation": {"containers": containers, "release_days": 0.0, "sea_time_cv": 0.0,
                       "train_load_h": 1.0, "transfer_h": 1.0, "train_max_wait_h": 0.0,
                       **sim},
    }
    return scenario_from_dict(data)


def _rail(lid: str, a: str, b: str, time_h: float, paths: float = 1000.0,
          **kw: Any) -> dict[str, Any]:
    return {"id": lid, "from": a, "to": b, "time_h": time_h, "capacity": paths,
            "unit": "trains/day", "direction": "forward", **kw}


# -- known answers --------------------------------------------------------------------------------
def test_one_ship_one_train_known_times() -> None:
    s = _scenario(
        [{"id": "sea", "from": "P", "to": "Q", "mode": "sea", "time_h": 10.0,
          "direction": "forward"}, _rail("r", "Q", "D", 20.0)],
        origin="P", dest="D", containers=100, ships=1, ship_teu=100.0, train_max_wait_h=48.0,
        ports={"P": {"handling_teu_per_h": 50.0}, "Q": {"handling_teu_per_h": 50.0}})
    r = simulate(s, seed=0).run
    c = r.containers
    assert r.completed
    # load 100 boxes at 50/h (0-2 h), sail 10 h, unload box i at 12 + (i+1)/50,
    # transfer 1 h -> last in the yard at 15; the train forms at 15, loads 1 h, runs 20 h
    np.testing.assert_allclose(c["loaded_h"].max(), 2.0)
    np.testing.assert_allclose(c["sailed_h"], 2.0)
    np.testing.assert_allclose(c["arrived_port_h"], 12.0)
    np.testing.assert_allclose(c["unloaded_h"], 12.0 + (np.arange(100) + 1) / 50.0)
    np.testing.assert_allclose(c["on_train_h"], 15.0)
    np.testing.assert_allclose(c["delivered_h"], 36.0)
    assert c["train"].nunique() == 1
    assert r.voyages["containers"].tolist() == [100]


def test_section_paths_space_trains_by_headway() -> None:
    # 300 boxes, 100 per train, 12 paths/day -> trains enter every 2 h
    s = _scenario([_rail("a", "A", "B", 5.0, paths=12.0)], origin="A", dest="B",
                  containers=300, train_load_h=0.0)
    r = simulate(s, seed=0).run
    p = r.passages.sort_values("enter_h")
    np.testing.assert_allclose(p["enter_h"], [0.0, 2.0, 4.0])
    np.testing.assert_allclose(sorted(r.containers["delivered_h"].unique()), [5.0, 7.0, 9.0])


def test_single_track_shares_one_resource() -> None:
    # a single-track link's two directions share its paths; forward-only gets its own
    s = _scenario([_rail("a", "A", "B", 5.0, paths=12.0, direction="both", track="single")],
                  origin="A", dest="B", containers=200, train_load_h=0.0)
    r = simulate(s, seed=0).run
    u = r.utilisation
    assert set(u["direction"]) == {"both"}
    np.testing.assert_allclose(u["paths_per_day"].iloc[0], 12.0)


# -- closures --------------------------------------------------------------------------------------
def _diamond(**sim: Any) -> Scenario:
    links = [_rail("ab", "A", "B", 5.0), _rail("bd", "B", "D", 5.0),
             _rail("ac", "A", "C", 10.0), _rail("cd", "C", "D", 10.0)]
    dis = [{"id": "x", "element": "bd", "start": "2023-01-01T00:00:00",
            "end": "2023-01-03T02:00:00"}]  # closed for the first 50 h
    return _scenario(links, origin="A", dest="D", containers=100, disruptions=dis, **sim)


def test_closure_reroutes_at_junction() -> None:
    res = simulate(_diamond(on_closure="reroute"), seed=0)
    assert res.baseline.containers["delivered_h"].max() == pytest.approx(11.0)
    run = res.run
    assert run.passages["link"].tolist() == ["ac", "cd"]
    assert len(run.reroutes) == 1
    assert run.containers["delivered_h"].max() == pytest.approx(21.0)
    np.testing.assert_allclose(res.delays["delay_h"], 10.0)


def test_closure_wait_rule_waits_at_the_closed_section() -> None:
    run = simulate(_diamond(on_closure="wait"), seed=0).run
    assert run.passages["link"].tolist() == ["ab", "bd"]
    assert run.passages["enter_h"].iloc[1] == pytest.approx(50.0)
    assert run.containers["delivered_h"].max() == pytest.approx(55.0)


@pytest.mark.parametrize(("rule", "delivered"), [("complete", 11.0), ("hold", 23.0)])
def test_train_inside_closing_section(rule: str, delivered: float) -> None:
    # bd closes 8 h - 20 h while the train is inside it (entered at 6 h)
    links = [_rail("ab", "A", "B", 5.0), _rail("bd", "B", "D", 5.0)]
    dis = [{"id": "x", "element": "bd", "start": "2023-01-01T08:00:00",
            "end": "2023-01-01T20:00:00"}]
    s = _scenario(links, origin="A", dest="D", containers=100, disruptions=dis,
                  inside_closure=rule)
    run = simulate(s, seed=0).run
    assert run.containers["delivered_h"].max() == pytest.approx(delivered)


# -- invariant and reproducibility ----------------------------------------------------------------
def test_nothing_is_lost_at_any_event(corridor: Scenario) -> None:
    seen: dict[str, Any] = {"steps": 0, "delivered": 0, "run": None}

    def check(cp: Campaign) -> None:
        # the baseline run, then the disrupted one (the reference, not id(): ids are reused)
        if cp is not seen["run"]:
            seen["run"], seen["delivered"] = cp, 0
        k = cp.counts()
        assert k["delivered"] + k["in_transit"] + k["waiting"] == k["total"]
        assert k["delivered"] >= seen["delivered"]
        seen["delivered"] = k["delivered"]
        seen["steps"] += 1

    res = simulate(corridor, seed=5, observer=check,
                   settings={"via": ["dunai"], "containers": 400,
                             "continue_until": None})
    assert seen["steps"] > 1000
    assert res.run.completed
    assert res.baseline.completed


def test_same_seed_same_tables(corridor: Scenario) -> None:
    st = {"via": ["dunai"], "containers": 300}
    a = simulate(corridor, seed=11, settings=st)
    b = simulate(corridor, seed=11, settings=st)
    for name in ("containers", "events", "passages", "arrivals", "utilisation",
                 "node_backlog", "section_backlog"):
        pd.testing.assert_frame_equal(getattr(a.run, name), getattr(b.run, name))
    pd.testing.assert_frame_equal(a.delays, b.delays)
    c = simulate(corridor, seed=12, settings=st)
    assert not c.run.containers["delivered_h"].equals(a.run.containers["delivered_h"])
    # the summary is the answer: the same for the same seed (no wall time in it)
    assert a.summary() == b.summary()
    assert "wall_s" not in a.run.summary()
    assert a.run.summary(timings=True)["wall_s"] == a.run.wall_s > 0


# -- the flow-over-time bound ---------------------------------------------------------------------
def _flow_over_time_bound(links: list[tuple[str, str, float, float]], origin: str, dest: str,
                          supply: int, horizon: int, per_train: float) -> np.ndarray:
    """Max containers deliverable by each integer hour T (time-expanded max flow, 1-h steps).

    Each section (u, v, paths/day, transit h) carries paths/24 trains an hour; a discrete
    train holds its path for one headway h = 24/paths and arrives at the end of it, so the
    fluid relaxation uses transit - h: then every simulated schedule is a feasible flow over
    time and the bound is valid (Ford & Fulkerson 1958; Skutella 2009)."""
    out = np.zeros(horizon + 1)
    for T in range(horizon + 1):
        g = nx.DiGraph()
        g.add_edge("s", (origin, 0), capacity=supply)
        nodes = {x for u, v, _, _ in links for x in (u, v)}
        for t in range(T):
            for x in nodes:
                g.add_edge((x, t), (x, t + 1))  # hold-over: unlimited
        for u, v, paths, tau in links:
            lag = round(tau - 24.0 / paths)
            for t in range(T + 1 - lag):
                g.add_edge((u, t), (v, t + lag), capacity=paths / 24.0 * per_train)
        for t in range(T + 1):
            g.add_edge((dest, t), "t")
        out[T] = nx.maximum_flow_value(g, "s", "t") if T > 0 else 0.0
    return out


def test_arrivals_never_exceed_the_flow_over_time_bound() -> None:
    s = _scenario([_rail("ab", "A", "B", 5.0, paths=12.0), _rail("bd", "B", "D", 3.0,
                                                                   paths=24.0)],
                  origin="A", dest="D", containers=1000, train_load_h=0.0)
    r = simulate(s, seed=0).run
    horizon = int(np.ceil(r.containers["delivered_h"].max())) + 1
    bound = _flow_over_time_bound([("A", "B", 12.0, 5.0), ("B", "D", 24.0, 3.0)], "A", "D",
                                  1000, horizon, per_train=100.0)
    t = r.arrivals["t_h"].to_numpy()
    sim = np.searchsorted(t, np.arange(horizon + 1) + 1e-9, side="right")
    assert np.all(sim <= bound + 1e-6)
    assert sim[-1] == 1000
    assert bound[-1] == 1000


# -- the built-in scenario -------------------------------------------------------------------------
@pytest.fixture(scope="module")
def corridor() -> Scenario:
    from chokepoint.data import load_builtin

    return load_builtin()


def test_builtin_campaign_delivers_everything(corridor: Scenario) -> None:
    res = simulate(corridor, seed=1, disruptions=False, settings={"via": ["dunai"],
                                                            "continue_until": "2023-10-01"})
    r = res.run
    assert r.n_containers == 1000
    assert r.completed
    assert set(r.containers["ship"].dropna().unique()) <= {"S0-1", "S0-2"}
    assert r.passages["link"].iloc[-1] == "tikhoretsk_depot_spur"
    assert (r.utilisation["utilisation"].dropna() >= 0).all()


def test_builtin_disrupted_bam_route_reroutes(corridor: Scenario, tmp_path: Any) -> None:
    res = simulate(corridor, seed=1, settings={"via": ["dunai", "taksimo"],
                                               "continue_until": "2023-12-10"})
    assert res.run.completed
    assert res.baseline.completed
    assert len(res.run.reroutes) >= 1
    # no train enters the tunnel while it is closed, nor the bridge after 30 Nov
    p = res.run.passages
    epoch = res.run.epoch
    t_tunnel = [(x - epoch).total_seconds() / 3600 for x in (
        pd.Timestamp("2023-11-29T14:18"), pd.Timestamp("2023-12-02T14:20"))]
    t_bridge = (pd.Timestamp("2023-11-30") - epoch).total_seconds() / 3600
    tun = p[p["link"] == "severomuysky_tunnel"]["enter_h"]
    assert not ((tun >= t_tunnel[0]) & (tun < t_tunnel[1])).any()
    assert not (p[p["link"] == "devils_bridge"]["enter_h"] >= t_bridge).any()
    files = write_outputs(res, tmp_path)
    names = {p.name for p in files}
    assert {"arrivals.png", "delays.png", "summary.json", "delays.parquet",
            "disrupted_containers.csv", "undisrupted_utilisation.parquet"} <= names
    back = pd.read_parquet(tmp_path / "disrupted_containers.parquet")
    assert len(back) == res.run.n_containers
    assert not list(tmp_path.glob(".*part*"))


def test_bad_settings_name_the_field(corridor: Scenario) -> None:
    with pytest.raises(InputError, match=r"simulation\.shipz"):
        simulate(corridor, seed=0, settings={"shipz": 3})
    with pytest.raises(InputError, match=r"simulation\.via"):
        simulate(corridor, seed=0, settings={"via": ["atlantis"]})


def test_campaign_runs_give_the_table_figures_the_cli_prints() -> None:
    """The workflow computes the campaign table's figures (the CLI only renders them): the
    peak yard backlog is the largest count of campaign containers at any one yard."""
    from chokepoint.workflows.brief import campaign_runs

    res = simulate(_diamond(on_closure="wait"), seed=0)
    runs = campaign_runs(res)
    assert [r["label"] for r in runs] == [res.baseline.label, res.run.label]
    for r, run in zip(runs, (res.baseline, res.run), strict=True):
        nb = run.node_backlog
        yard = nb[nb["kind"] == "campaign_containers"]
        assert r["peak_yard_backlog_containers"] == float(yard["backlog"].max())
        assert r["containers"] == run.n_containers
        assert r["first_release"] == run.epoch
    assert runs[1]["peak_yard_backlog_containers"] >= runs[0]["peak_yard_backlog_containers"]
