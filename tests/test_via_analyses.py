"""Every single-flow analysis honours a commodity's ``via`` stops when its link rules do not
force them: exactly (fastest route, max flow, worst-k interdiction, throughput criticality)
or by refusing with a typed error naming commodity, stop and analysis (earliest-arrival bound,
delay objective)."""

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
from chokepoint.errors import RouteConstraintError
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


def test_time_expanded_analyses_refuse_with_a_typed_error() -> None:
    c = _bypassed()
    d = dem("A", "B", ("V",))
    with pytest.raises(RouteConstraintError) as info:
        commodity_quickest(c, d, 10.0)
    e = info.value
    assert (e.commodity, e.via, e.analysis) == ("k", ("V",), "the earliest-arrival bound")
    assert "'k'" in str(e)
    assert "V" in str(e)
    assert "earliest-arrival bound" in str(e)
    with pytest.raises(RouteConstraintError, match="delay objective"):
        delay_interdiction(c, d, units=10.0, k=1, horizon_days=5, repair_days={},
                           default_repair_days=2.0)


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


def test_cli_quickest_refuses_in_one_line(scen: Path,
                                          capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run(["quickest", str(scen), "--units", "10"], capsys)
    assert code == 2
    lines = [x for x in (out + err).splitlines() if x.strip()]
    assert len(lines) == 1
    assert "'k'" in lines[0]
    assert "V" in lines[0]
    assert "earliest-arrival" in lines[0]


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
