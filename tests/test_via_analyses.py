"""Every single-flow analysis honours a commodity's ``via`` stops exactly when its link rules
do not force them (fastest route, max flow, worst-k interdiction, throughput criticality,
earliest-arrival bound, delay objective, travel-time interdiction, hardening), each checked
against brute force on small random instances and through the CLI."""

from __future__ import annotations

import dataclasses
import itertools
import math
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from chokepoint.analyses.hardening import harden
from chokepoint.analyses.interdiction.delay import delay_interdiction
from chokepoint.analyses.interdiction.via import (
    commodity_interdiction,
    commodity_path_interdiction,
)
from chokepoint.analyses.routing import (
    commodity_fastest_route,
    commodity_max_flow,
    commodity_quickest,
    commodity_throughput_criticality,
    via_implied,
)
from chokepoint.io.scenario_file import read_scenario_text
from chokepoint.scenario import Demand
from conftest import make_network
from test_cli import run
from test_commodity_routes import _brute_via, _paths


def dem(o: str, d: str, via: tuple[str, ...], **kw: Any) -> Demand:
    return Demand(id="k", origin=o, destination=d, rate=1.0, via=via, **kw)


def _without(c: Any, links: list[str]) -> Any:
    """``c`` with the capacity of every arc of ``links`` at 0 (for the brute force)."""
    cap = c.capacity.copy()
    if links:
        cap[c.arcs_of("link", links)] = 0.0
    return dataclasses.replace(c, capacity=cap, _cache={})


EDGES = st.lists(st.tuples(st.integers(0, 4), st.integers(0, 4), st.integers(1, 5)),
                 min_size=4, max_size=8)


def _toy(edges: list[tuple[int, int, int]]) -> Any:
    links = [(f"L{k}", f"N{u}", f"N{w}", cap, {"time_h": float(1 + (3 * k) % 5)})
             for k, (u, w, cap) in enumerate(edges) if u != w]
    if not links:
        return None
    return make_network(links, nodes=[{"id": f"N{i}"} for i in range(5)],
                        direction="forward").compiled


@settings(max_examples=30, deadline=None)
@given(EDGES, st.integers(1, 2))
def test_interdiction_through_via_equals_brute_force(edges: list[tuple[int, int, int]],
                                                     k: int) -> None:
    """The layered MIP's worst plan equals enumeration of every plan of k links, each valued
    by the path-pair LP (every unit on an N0→N2 path then an N2→N4 path)."""
    c = _toy(edges)
    if c is None:
        return
    d = dem("N0", "N4", ("N2",))
    r = commodity_interdiction(c, d, k=k, kind="link", time_limit=30)
    links = [str(x) for x in c.link_ids]
    best = min(_brute_via(_without(c, list(p)), "N0", "N2", "N4")
               for p in itertools.combinations(links, min(k, len(links))))
    assert r.status == "optimal"
    assert r.value == pytest.approx(best, abs=1e-6)
    assert r.value == pytest.approx(_brute_via(_without(c, r.removed), "N0", "N2", "N4"),
                                    abs=1e-6)
    assert r.intact_value == pytest.approx(_brute_via(c, "N0", "N2", "N4"), abs=1e-6)


@settings(max_examples=30, deadline=None)
@given(EDGES)
def test_fastest_route_through_via_equals_brute_force(edges: list[tuple[int, int, int]]
                                                      ) -> None:
    """The fastest walk N0 → N2 → N4 is the cheapest pair of simple paths (recomputed)."""
    c = _toy(edges)
    if c is None:
        return
    iv = c.node_index
    p1 = _paths(c.tail, c.head, iv["N0"], iv["N2"])
    p2 = _paths(c.tail, c.head, iv["N2"], iv["N4"])
    want = min((float(c.time_h[a].sum() + c.time_h[b].sum()) for a in p1 for b in p2),
               default=math.inf)
    r = commodity_fastest_route(c, dem("N0", "N4", ("N2",)))
    assert r.found == math.isfinite(want)
    if r.found:
        assert r.time_h == pytest.approx(want)
        assert "N2" in r.nodes
        assert (r.nodes[0], r.nodes[-1]) == ("N0", "N4")
        assert r.time_h == pytest.approx(float(c.time_h[r.arcs].sum()))


@settings(max_examples=25, deadline=None)
@given(EDGES)
def test_throughput_criticality_through_via_equals_brute_force(
        edges: list[tuple[int, int, int]]) -> None:
    c = _toy(edges)
    if c is None:
        return
    d = dem("N0", "N4", ("N2",))
    t = commodity_throughput_criticality(c, d, kind="link")
    for rec in t.to_dict("records"):
        want = _brute_via(_without(c, [rec["element"]]), "N0", "N2", "N4")
        assert rec["without"] == pytest.approx(want, abs=1e-6), rec["element"]
    assert list(t["loss"]) == sorted(t["loss"], reverse=True)


def _bypassed() -> Any:
    """A → V → B must pass V, but the direct link A – B bypasses it (not forced)."""
    return make_network([("AV", "A", "V", 5, {"time_h": 2.0}), ("VB", "V", "B", 4,
                                                                 {"time_h": 2.0}),
                         ("AB", "A", "B", 9, {"time_h": 1.0}),
                         ("AC", "A", "C", 3, {"time_h": 1.0}),
                         ("CV", "C", "V", 3, {"time_h": 1.0}),
                         ("VD", "V", "D", 2, {"time_h": 5.0}),
                         ("DB", "D", "B", 2, {"time_h": 5.0})], direction="forward").compiled


def test_unforced_via_changes_every_answer_on_a_toy() -> None:
    c = _bypassed()
    d = dem("A", "B", ("V",))
    assert not via_implied(c, d)
    assert commodity_max_flow(c, d).value == pytest.approx(6.0)  # not 9 + 6 over A - B
    r = commodity_fastest_route(c, d)
    assert r.nodes == ["A", "V", "B"]
    assert r.time_h == pytest.approx(4.0)  # not 1 h on A - B
    worst = commodity_interdiction(c, d, k=1, kind="link")
    assert (worst.removed, worst.value) == (["VB"], pytest.approx(2.0))
    t = commodity_throughput_criticality(c, d, kind="link").set_index("element")
    assert t.loc["AB", "loss"] == 0.0
    assert t.loc["AB", "method"] == "no-flow"
    assert t.loc["VB", "without"] == pytest.approx(2.0)


def test_legs_sharing_a_single_track_are_interdicted_exactly() -> None:
    """Both legs must cross the single-track M – N (one capacity for both directions)."""
    net = make_network([("AM", "A", "M", 10, {"direction": "forward"}),
                        ("MN", "M", "N", 4, {"track": "single", "direction": "both"}),
                        ("NV", "N", "V", 10, {"direction": "forward"}),
                        ("VN", "V", "N", 10, {"direction": "forward"}),
                        ("MB", "M", "B", 10, {"direction": "forward"}),
                        ("AB", "A", "B", 1, {"direction": "forward"})])
    c = net.compiled
    d = dem("A", "B", ("V",))
    assert commodity_max_flow(c, d).value == pytest.approx(2.0)
    r = commodity_interdiction(c, d, k=1, kind="link")
    assert r.value == pytest.approx(0.0)
    assert r.removed in (["MN"], ["AM"], ["MB"], ["NV"], ["VN"])


def test_forced_via_keeps_the_single_flow_answers() -> None:
    """When the link rules force the stop, the fast single-flow code answers (same value)."""
    c = _bypassed()
    d = dem("A", "B", ("V",), forbidden_links=("AB",))
    assert via_implied(c, d)
    r = commodity_interdiction(c, d, k=1, kind="link")
    assert r.method != "mip-legs"
    assert r.value == pytest.approx(2.0)


def _toy_days(edges: list[tuple[int, int, int]]) -> Any:
    """:func:`_toy` with transit times of 1–3 whole days (24-h steps: capacities per step are
    the integer daily capacities, transit steps the days)."""
    links = [(f"L{k}", f"N{u}", f"N{w}", cap, {"time_h": 24.0 * (1 + (2 * k) % 3)})
             for k, (u, w, cap) in enumerate(edges) if u != w]
    if not links:
        return None
    return make_network(links, nodes=[{"id": f"N{i}"} for i in range(5)],
                        direction="forward").compiled


def _brute_over_time(c: Any, stops: tuple[str, str, str], n_steps: int, units: float,
                     closed: dict[int, set[int]] | None = None) -> float:
    """Independent LP: leg 0 (origin → stop) and leg 1 (stop → destination) as two flows over
    the time-expanded network itself, leg 1 fed at the stop by what leg 0 brings there in
    the same step, both legs within each arc's capacity per step, at most ``units`` leaving
    the origin; the most delivered within ``n_steps`` 24-h steps. ``closed``: arc → steps in
    which it may not depart."""
    from scipy.optimize import linprog

    o, v, d = (c.node_index[x] for x in stops)
    tau = np.ceil(c.time_h / 24.0 - 1e-9).astype(int)
    cols: dict[tuple[Any, ...], int] = {}

    def col(*key: Any) -> int:
        return cols.setdefault(key, len(cols))

    bal: dict[tuple[int, int, int], dict[int, float]] = {}

    def add(leg: int, node: int, step: int, j: int, sign: float) -> None:
        row = bal.setdefault((leg, node, step), {})
        row[j] = row.get(j, 0.0) + sign

    caps: dict[tuple[int, int], list[int]] = {}
    for leg in (0, 1):
        for t in range(n_steps):
            for a in range(c.n_arcs):
                if t + tau[a] <= n_steps - 1 and t not in (closed or {}).get(a, set()):
                    j = col("x", leg, t, a)
                    caps.setdefault((t, a), []).append(j)
                    add(leg, int(c.tail[a]), t, j, -1.0)
                    add(leg, int(c.head[a]), t + tau[a], j, 1.0)
            for n in range(c.n_vertices):
                if t + 1 < n_steps:
                    j = col("h", leg, t, n)
                    add(leg, n, t, j, -1.0)
                    add(leg, n, t + 1, j, 1.0)
    for t in range(n_steps):
        add(0, o, t, col("s", t), 1.0)
        add(0, v, t, col("y", t), -1.0)
        add(1, v, t, col("y", t), 1.0)
        add(1, d, t, col("d", t), -1.0)
    rows = list(bal.values())
    A_eq = np.zeros((len(rows), len(cols)))
    for i, r in enumerate(rows):
        for j, val in r.items():
            A_eq[i, j] = val
    ub_rows = [js for js in caps.values()]
    A_ub = np.zeros((len(ub_rows) + 1, len(cols)))
    b_ub = np.zeros(len(ub_rows) + 1)
    for i, (key, js) in enumerate(caps.items()):
        A_ub[i, js] = 1.0
        b_ub[i] = c.capacity[key[1]]
    A_ub[-1, [j for k, j in cols.items() if k[0] == "s"]] = 1.0
    b_ub[-1] = units
    obj = np.zeros(len(cols))
    obj[[j for k, j in cols.items() if k[0] == "d"]] = -1.0
    res = linprog(obj, A_ub=A_ub, b_ub=b_ub, A_eq=A_eq, b_eq=np.zeros(len(rows)),
                  bounds=(0, None), method="highs")
    return -float(res.fun)


def _brute_quickest(c: Any, units: float, *, max_steps: int = 30,
                    closed: dict[int, set[int]] | None = None) -> int:
    """Smallest number of 24-h steps whose brute-force value reaches ``units`` (scan)."""
    for n in range(1, max_steps + 1):
        if _brute_over_time(c, ("N0", "N2", "N4"), n, units, closed) >= units - 1e-6:
            return n
    return max_steps + 1


@settings(max_examples=20, deadline=None)
@given(EDGES, st.integers(1, 12))
def test_quickest_through_via_equals_brute_force(edges: list[tuple[int, int, int]],
                                                 units: int) -> None:
    """The layered LP's quickest delivery through N2 equals a scan of an independent
    two-leg LP over time, and each curve point is that LP's value at its horizon."""
    c = _toy_days(edges)
    if c is None:
        return
    d = dem("N0", "N4", ("N2",))
    if via_implied(c, d):  # the fast single-flow code answers (tested elsewhere)
        return
    q = commodity_quickest(c, d, float(units), step_h=24.0, max_horizon_h=24.0 * 30)
    want = _brute_quickest(c, float(units))
    if want > 30:
        assert q.status in ("unreachable", "not within max horizon")
        return
    assert q.status == "ok"
    assert q.n_steps == want
    assert q.method == "layered-lp"
    for t_h, got in zip(q.curve.times_h, q.curve.cumulative, strict=True):
        n = round(t_h / 24.0)
        assert got == pytest.approx(_brute_over_time(c, ("N0", "N2", "N4"), n, units)
                                    if n else 0.0, abs=1e-6)


@settings(max_examples=10, deadline=None)
@given(EDGES, st.integers(2, 10))
def test_delay_through_via_equals_brute_force(edges: list[tuple[int, int, int]],
                                              units: int) -> None:
    """The worst 2-day closure of one link (from day 0) equals enumeration: every link,
    its departures in steps 0 and 1 removed, completion by the independent LP."""
    c = _toy_days(edges)
    if c is None:
        return
    d = dem("N0", "N4", ("N2",))
    if via_implied(c, d):
        return
    horizon = 12
    r = delay_interdiction(c, d, units=float(units), k=1, horizon_days=horizon,
                           repair_days={}, default_repair_days=2.0, kind="link")
    intact = _brute_quickest(c, float(units), max_steps=horizon)
    worst = max(_brute_quickest(c, float(units), max_steps=horizon,
                                closed={int(a): {0, 1} for a in c.arcs_of("link", [e])})
                for e in map(str, c.link_ids))
    assert r.status == "optimal"
    assert r.intact_days == (intact if intact <= horizon else math.inf)
    assert r.value == pytest.approx(max(worst, intact) - intact)


def test_time_expanded_analyses_follow_an_unforced_stop() -> None:
    """On the toy A → V → B with the bypass A – B: the same answers as when A – B is
    forbidden (then the stop is forced and the single-flow code runs), not the bypass's."""
    c = _bypassed()
    free = dem("A", "B", ("V",))
    forced = dem("A", "B", ("V",), forbidden_links=("AB",))
    q, f = (commodity_quickest(c, x, 10.0, step_h=24.0) for x in (free, forced))
    assert q.method == "layered-lp"
    assert f.method != "layered-lp"
    assert q.time_h == pytest.approx(f.time_h)
    assert q.time_h == pytest.approx(120.0)  # 4 t on day 3, 9 t by day 4, 10 t by day 5
    r, g = (delay_interdiction(c, x, units=10.0, k=1, horizon_days=8, repair_days={},
                               default_repair_days=2.0, kind="link") for x in (free, forced))
    assert (r.removed, r.value, r.intact_days) == (g.removed, g.value, g.intact_days)
    assert r.removed == ["AV"]


@pytest.mark.parametrize(("element", "factor"), [("VB", 0.0), ("AV", 0.5), ("AB", 0.0)])
def test_layered_quickest_follows_a_disruption_timeline(element: str, factor: float) -> None:
    """With a closure from hour 24 to hour 72 the layered LP through the unforced stop
    agrees with the single-flow answer of the forced route (curve point by point)."""
    from chokepoint.timeline import Timeline, TimelineEvent

    c = _bypassed()
    tl = Timeline.from_events(c, [TimelineEvent("x", element, 24.0, 72.0, factor)])
    free = dem("A", "B", ("V",))
    forced = dem("A", "B", ("V",), forbidden_links=("AB",))
    q, f = (commodity_quickest(c, x, 10.0, step_h=24.0, timeline=tl) for x in (free, forced))
    assert q.method == "layered-lp"
    assert q.time_h == pytest.approx(f.time_h)
    assert q.curve.cumulative == pytest.approx(np.minimum(f.curve.cumulative, 10.0))


SCEN = """
version = 1
[units]
capacity_unit = "t/day"
[[nodes]]
id = "A"
[[nodes]]
id = "V"
[[nodes]]
id = "B"
[[links]]
id = "AV"
from = "A"
to = "V"
capacity = 5
time_h = 2
direction = "forward"
[[links]]
id = "VB"
from = "V"
to = "B"
capacity = 4
time_h = 2
direction = "forward"
[[links]]
id = "AB"
from = "A"
to = "B"
capacity = 9
time_h = 1
direction = "forward"
[[commodities]]
id = "k"
origin = "A"
destination = "B"
via = ["V"]
rate = 3
unit = "t/day"
"""


def _file(tmp_path: Path, name: str, text: str) -> Path:
    p = tmp_path / name
    p.write_text(text, encoding="utf-8")
    return p


@pytest.fixture
def scen(tmp_path: Path) -> Path:
    return _file(tmp_path, "via.toml", SCEN)


def test_cli_flow_and_interdict_follow_the_via_stop(scen: Path,
                                                    capsys: pytest.CaptureFixture[str]
                                                    ) -> None:
    import json

    code, out, _ = run(["flow", str(scen), "--json"], capsys)
    assert code == 0
    assert json.loads(out)["value"] == pytest.approx(4.0)  # A→V→B, not 4 + 9 via A - B
    code, out, _ = run(["interdict", str(scen), "--k", "1", "--json"], capsys)
    data = json.loads(out)
    assert code == 0
    assert data["removed"] in (["AV"], ["VB"])
    assert data["value"] == pytest.approx(0.0)
    assert data["label"] == "k: A → V → B"


def test_brief_follows_the_via_stop(scen: Path) -> None:
    from chokepoint.io.scenario_file import read_scenario
    from chokepoint.workflows.brief import brief

    s = read_scenario(scen)
    b = brief(s, failures=1)
    assert b.data["shipment"]["via_forced"] is False
    assert b.data["max_flow"]["value"] == pytest.approx(4.0)
    route = b.data["routes"][0]
    assert route["links"] == ["AV", "VB"]
    assert route["what_if_free"]["links"] == ["AB"]
    worst = b.data["worst_failures"][0]["failures"][0]
    assert worst["after"] == pytest.approx(0.0)
    assert worst["removed"][0]["id"] in ("AV", "VB")
    assert b.ranking is not None
    t = b.ranking.set_index("element")
    assert t.loc["AB", "throughput_loss"] == 0.0
    assert t.loc["VB", "throughput_loss"] == pytest.approx(4.0)


def test_scenario_text_reads() -> None:
    s = read_scenario_text(SCEN)
    assert s.commodities[0].via == ("V",)
    assert not via_implied(s.network.compiled, s.commodities[0])
    assert np.isfinite(s.network.compiled.capacity).all()


DETOUR = SCEN + """
[[nodes]]
id = "C"
[[nodes]]
id = "D"
[[links]]
id = "AC"
from = "A"
to = "C"
capacity = 3
time_h = 1
direction = "forward"
[[links]]
id = "CV"
from = "C"
to = "V"
capacity = 3
time_h = 1
direction = "forward"
[[links]]
id = "VD"
from = "V"
to = "D"
capacity = 2
time_h = 5
direction = "forward"
[[links]]
id = "DB"
from = "D"
to = "B"
capacity = 2
time_h = 5
direction = "forward"
"""


@pytest.fixture
def detour(tmp_path: Path) -> Path:
    """:func:`_bypassed` as a scenario file: the stop V is not forced (A – B bypasses it)."""
    return _file(tmp_path, "detour.toml", DETOUR)


def test_cli_interdict_time_follows_the_via_stop(detour: Path,
                                                 capsys: pytest.CaptureFixture[str]) -> None:
    import json

    code, out, _ = run(["interdict", str(detour), "--k", "1", "--objective", "time",
                        "--json"], capsys)
    data = json.loads(out)
    assert code == 0
    assert data["intact"] == pytest.approx(4.0)  # A → V → B, not 1 h on A - B
    assert data["removed"] == ["VB"]
    assert data["value"] == pytest.approx(12.0)  # then V → D → B
    assert data["status"] == "optimal"
    assert data["label"] == "k: A → V → B"


@pytest.mark.parametrize(("objective", "unprotected", "protected"),
                         [("flow", 2.0, 3.0), ("time", 12.0, 4.0)])
def test_cli_harden_follows_the_via_stop(detour: Path, capsys: pytest.CaptureFixture[str],
                                         objective: str, unprotected: float,
                                         protected: float) -> None:
    import json

    code, out, _ = run(["harden", str(detour), "--protect", "1", "--k", "1", "--objective",
                        objective, "--json"], capsys)
    data = json.loads(out)
    assert code == 0
    assert data["protected"] == ["VB"]
    assert data["value_unprotected"] == pytest.approx(unprotected)
    assert data["value"] == pytest.approx(protected)
    assert data["status"] == "optimal"


def test_cli_quickest_follows_the_via_stop(detour: Path,
                                           capsys: pytest.CaptureFixture[str]) -> None:
    """10 t through V: at most 4 + 2 t/day leave V (V – B and V – D – B), so at least
    4 h + 10 / 6 days = 44 h; the time-expanded LP (15-min steps) needs 47.75 h. By the
    bypass A – B (9 t/day, 1 h) it would take under 28 h."""
    import json

    code, out, _ = run(["quickest", str(detour), "--units", "10", "--json"], capsys)
    data = json.loads(out)
    assert code == 0
    assert data["method"] == "layered-lp"
    assert data["lower_bound_h"] == pytest.approx(44.0)
    assert data["time_h"] == pytest.approx(47.75)
    assert data["commodity"] == "k"
    assert data["curve"][-1] == [pytest.approx(47.75), pytest.approx(10.0)]


def test_cli_delay_follows_the_via_stop(detour: Path,
                                        capsys: pytest.CaptureFixture[str]) -> None:
    """Closing A – V for two days (no repair times: the default) delays the last of 10 t
    through V by a day; the bypass A – B is never used."""
    import json

    code, out, _ = run(["interdict", str(detour), "--objective", "delay", "--horizon-days",
                        "10", "--k", "1", "--by", "link", "--units", "10", "--start",
                        "2024-01-01", "--json"], capsys)
    data = json.loads(out)
    assert code == 0
    assert data["removed"] == ["AV"]
    assert (data["intact_days"], data["completion_days"]) == (5.0, 6.0)
    assert data["status"] == "optimal"
    assert data["commodity"] == "k: A → V → B"


def _walk_time(c: Any, o: str, v: str, d: str) -> float:
    """Brute force: the cheapest simple o→v path plus the cheapest simple v→d path (hours)."""
    iv = c.node_index
    live = c.capacity > 0
    tail, head = np.where(live, c.tail, -1), np.where(live, c.head, -1)
    p1 = _paths(tail, head, iv[o], iv[v])
    p2 = _paths(tail, head, iv[v], iv[d])
    return min((float(c.time_h[a].sum() + c.time_h[b].sum()) for a in p1 for b in p2),
               default=math.inf)


@settings(max_examples=30, deadline=None)
@given(EDGES, st.integers(1, 2))
def test_path_interdiction_through_via_equals_brute_force(edges: list[tuple[int, int, int]],
                                                          k: int) -> None:
    """The layered Israeli–Wood MIP's worst plan equals enumeration of every plan of k
    links, each valued by the cheapest pair of simple paths N0→N2, N2→N4."""
    c = _toy(edges)
    if c is None:
        return
    d = dem("N0", "N4", ("N2",))
    r = commodity_path_interdiction(c, d, k=k, kind="link", time_limit=30)
    links = [str(x) for x in c.link_ids]
    worst = max(_walk_time(_without(c, list(p)), "N0", "N2", "N4")
                for p in itertools.combinations(links, min(k, len(links))))
    assert r.status in ("optimal", "disconnected")
    assert r.value == pytest.approx(worst)
    assert r.value == pytest.approx(_walk_time(_without(c, r.removed), "N0", "N2", "N4"))
    assert r.intact_value == pytest.approx(_walk_time(c, "N0", "N2", "N4"))


@settings(max_examples=12, deadline=None)
@given(EDGES, st.sampled_from(["flow", "time"]))
def test_hardening_through_via_equals_brute_force(edges: list[tuple[int, int, int]],
                                                  objective: str) -> None:
    """Protect 1 link against 1: the decomposition on the layered attacker equals the best
    over every protected link of the worst over every other link (recomputed)."""
    c = _toy(edges)
    if c is None:
        return
    d = dem("N0", "N4", ("N2",))
    links = [str(x) for x in c.link_ids]
    flow = objective == "flow"

    def value(cut: list[str]) -> float:
        g = _without(c, cut)
        return (_brute_via(g, "N0", "N2", "N4") if flow
                else _walk_time(g, "N0", "N2", "N4"))

    worst = [min if flow else max][0]
    best = [max if flow else min][0]
    want = best(worst([value([a]) for a in links if a != p] or [value([])]) for p in links)
    r = harden(c, ["N0"], ["N4"], protect=1, k=1, objective=objective, demand=d,
               time_limit=60)
    assert r.status == "optimal"
    assert r.value == pytest.approx(want, abs=1e-6)
    assert r.value == pytest.approx(worst([value([a]) for a in links
                                           if a not in r.protected] or [value([])]),
                                    abs=1e-6)


def test_shipment_names_its_via_stops_in_words() -> None:
    """One origin–destination everywhere: the plain-words name carries the same stops as the
    id label (rajin → dunai → tikhoretsk_depot)."""
    from chokepoint.data import load_builtin
    from chokepoint.workflows.shipment import shipment

    s = load_builtin("corridor")
    sh = shipment(s)
    words = sh.names(s).split(": ", 1)[1].split(" → ")
    assert words == [s.network.node_name(x) for x in sh.commodity.stops]  # type: ignore[union-attr]
    assert len(words) == len(sh.label.split(" → "))


def test_campaign_bound_follows_an_unforced_stop() -> None:
    """The campaign's exact lower bound goes by sea P → Q and rail Q → D (30 h at least), not
    by the 5-h rail bypass P → D its route rules still allow; no simulated container beats
    it."""
    from chokepoint.workflows.brief import campaign
    from test_simulate import _rail, _scenario

    s = _scenario(
        [{"id": "sea", "from": "P", "to": "Q", "mode": "sea", "time_h": 10.0,
          "direction": "forward"}, _rail("r", "Q", "D", 20.0), _rail("bypass", "P", "D", 5.0)],
        origin="P", dest="D", containers=100, ships=1, ship_teu=100.0, train_max_wait_h=48.0,
        ports={"P": {"handling_teu_per_h": 50.0}, "Q": {"handling_teu_per_h": 50.0}})
    s = dataclasses.replace(s, commodities=[dataclasses.replace(s.commodities[0],
                                                                via=("Q",))])
    assert not via_implied(s.network.compiled, s.commodities[0])
    cb = campaign(s, seed=0)
    bound = cb.data["quickest"]
    assert bound["status"] == "ok"
    assert bound["time_h"] >= 30.0
    assert cb.curve.method == "layered-lp"
    delivered = np.sort(cb.result.baseline.containers["delivered_h"].dropna().to_numpy())
    per = s.units.quantity_factor("container")
    for k, t_h in enumerate(delivered, start=1):  # the k-th container no earlier than the bound
        assert cb.curve.at(t_h) >= k * per - 1e-6
