"""The weak-point answer: exact flip values against bisection and by-hand values.

The route's flip under a speed assumption is where two routes' time lines (affine in 1/speed)
cross; the shipment's flip under a capacity assumption is where an arc's capacity equals the
shipment's rate. Both are checked against the bisection search they replaced (kept as
``bisect_flip``), against values worked out by hand, and (Hypothesis) on random small
networks against the answers evaluated on both sides of every flip and between them.
"""

from __future__ import annotations

import itertools
import tomllib
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import chokepoint
from _toys import TWO_ROUTES
from chokepoint.data import builtin_path, load_builtin
from chokepoint.workflows._thresholds import Points, dependence, route_flips
from chokepoint.workflows.findings import findings
from chokepoint.workflows.ranking import criticality
from chokepoint.workflows.sensitivity import Study
from chokepoint.workflows.weak_point import bisect_flip, weak_point, weak_point_statements

TOY = TWO_ROUTES + """
[[assumptions]]
id = "detour_capacity"
paths = ["links.detour_1.capacity"]
low = 0.0
high = 4.0
unit = "trains/day"
reasoning = "a toy range"
"""


def _toy(text: str = TOY) -> Study:
    study = Study(tomllib.loads(text))
    study.focus = tuple(dict.fromkeys(d.element for d in study.scenario().disruptions))
    return study


def test_route_flip_is_the_hand_value_exactly() -> None:
    ans = weak_point(_toy(), corridor=False)
    f = ans.route["flip"]
    # 100 km at v km/h beats the 3 h detour iff v > 100 / 3
    assert f["value"] == pytest.approx(100 / 3, rel=1e-12)
    assert (f["below"], f["above"]) == (False, True)
    assert ans.route["via_focus"] is False           # the scenario's 30 km/h
    ref = bisect_flip(_toy(), "line_speed", "route_via_focus", fixed={}, tol=1e-6)
    assert ref["bracket"][0] <= f["value"] <= ref["bracket"][1]


def test_capacity_flip_is_where_the_detour_stops_carrying_the_rate() -> None:
    ans = weak_point(_toy(), corridor=False)
    assert ans.shipment["assumed"] == {"line_speed": 50.0}   # the end where it uses the line
    flips = {x["answer"]: x for x in ans.shipment["flips"]}
    # the detour (3 h) is usable while detour_1 carries the rate, 1 train/day
    f = flips["focus_delay_h"]
    assert f["value"] == pytest.approx(1.0, rel=1e-12)
    assert f["below"] == float("inf")
    assert f["above"] == pytest.approx(3.0 - 2.0)


def _chain(lengths: list[float], times: list[float], focus: int) -> str:
    """Parallel a→b lines: line i is lengths[i] km at the assumed speed then a fixed time;
    one more line takes a fixed time."""
    out = ["version = 1", "[units]", "tonnes_per_train = 1000",
           '[[nodes]]\nid = "a"', '[[nodes]]\nid = "b"']
    lines = []
    for i, km in enumerate(lengths):
        out.append(f'[[nodes]]\nid = "s{i}"')
        out.append(f'[[links]]\nid = "fast_{i}"\nfrom = "a"\nto = "s{i}"\nlength_km = '
                   f'{km}\nspeed_kmh = 30\ncapacity = 10\nunit = "trains/day"')
        out.append(f'[[links]]\nid = "tail_{i}"\nfrom = "s{i}"\nto = "b"\ntime_h = '
                   f'{times[i]}\ncapacity = 10\nunit = "trains/day"')
        lines.append(f'"links.fast_{i}.speed_kmh"')
    out.append(f'[[links]]\nid = "fixed"\nfrom = "a"\nto = "b"\ntime_h = {times[-1]}\n'
               'capacity = 10\nunit = "trains/day"')
    out.append('[[commodities]]\nid = "g"\norigin = "a"\ndestination = "b"\nrate = 1\n'
               'unit = "trains/day"')
    out.append(f'[[disruptions]]\nelement = "fast_{focus}"\nstart = 2024-01-01\n'
               'repair_days = 1')
    out.append(f'[[assumptions]]\nid = "v"\npaths = [{", ".join(lines)}]\nlow = 10.0\n'
               'high = 100.0\nunit = "km/h"\nreasoning = "test"')
    return "\n".join(out)


@settings(max_examples=20, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.integers(1, 4).flatmap(lambda n: st.tuples(
    st.lists(st.sampled_from([50.0, 100.0, 200.0, 400.0, 800.0]), min_size=n, max_size=n),
    st.lists(st.floats(0.0, 20.0).map(lambda x: round(x, 2)), min_size=n + 1,
             max_size=n + 1),
    st.integers(0, n - 1))))
def test_route_flips_match_the_answers_around_them(case: tuple[list[float], list[float],
                                                               int]) -> None:
    lengths, times, focus = case
    study = _toy(_chain(lengths, times, focus))
    s = study.scenario()
    a = s.assumptions[0]
    points = Points(study.scenario, {a.id: a.value})
    dep = dependence(points, a.id, a.low, a.high, {}, value=a.value)
    assert dep.kind == "time"
    assert dep.transform == "inverse"
    flips = route_flips(points, a.id, a.low, a.high, dep, study.focus, {})

    def via(x: float) -> bool:
        return bool(study.answers({a.id: x}, ("route",))["route_via_focus"])

    edges = [a.low, *(f.value for f in flips), a.high]
    assert edges == sorted(edges)
    for f in flips:
        eps = 1e-6 * f.value
        assert (via(f.value - eps), via(f.value + eps)) == (f.below, f.above)
    for lo, hi in itertools.pairwise(edges):  # constant between flips
        grid = [lo + (hi - lo) * q for q in (0.01, 0.25, 0.5, 0.75, 0.99)]
        assert len({via(x) for x in grid}) == 1


def test_corridor_thresholds_match_bisection_and_the_hand_value() -> None:
    study = Study.from_path(builtin_path())
    study.focus = ("severomuysky_tunnel", "devils_bridge")
    ans = weak_point(study, corridor=False)
    route = ans.route["flip"]
    assert ans.route["via_focus"] is False           # at the assumed 30 km/h: the Trans-Sib
    assert route["assumption"] == "bam_speed"
    ref = bisect_flip(study, "bam_speed", "route_via_focus", fixed={}, tol=1e-5)
    assert ref["bracket"][0] <= route["value"] <= ref["bracket"][1]
    assert ans.shipment["via_focus"] is True          # at 40 km/h the route uses the tunnel
    bypass = ans.shipment["flip"]
    assert bypass["assumption"] == "bypass_capacity"
    ref = bisect_flip(study, "bypass_capacity", "focus_detour_via_bypass",
                      fixed={"bam_speed": 40.0}, tol=1e-5)
    assert ref["bracket"][0] <= bypass["value"] <= ref["bracket"][1]
    s = load_builtin()
    rate = s.commodities[0].rate                      # t/day the shipment needs
    by_hand = rate / (2 * s.units.tonnes_per_train)   # pairs/day of shared single track
    assert bypass["value"] == pytest.approx(by_hand, rel=1e-9)
    assert set(ans.shipment["single_points"]) >= {"dunai_smolyaninovo", "tikhoretsk_depot_spur"}


def test_statements_and_the_finding_carry_the_computed_thresholds() -> None:
    s = load_builtin()
    ranking = criticality(s, kind="group", measures=("served",))
    study = Study.from_path(builtin_path())
    study.focus = ("severomuysky_tunnel", "devils_bridge")
    ans = weak_point(study, ranking=ranking)
    assert ans.corridor["weakest"] == weak_point(study).corridor["weakest"]  # own ranking
    lines = weak_point_statements(s, ranking=ranking)
    assert lines == ans.statements
    assert len(lines) == 3
    assert f"{ans.route['flip']['value']:.2f} km/h" in lines[1]
    assert f"{ans.shipment['flip']['value']:.3f} train pairs/day" in lines[2]
    c = ans.corridor
    assert c["focus_is_weakest_anywhere"] is False
    assert c["section_loss_Mt_per_yr"] < c["weakest_loss_Mt_per_yr"]
    assert f"{c['weakest_loss_Mt_per_yr']:.1f} Mt/yr" in lines[0]
    found = {f.key: f for f in findings(s, ranking=ranking)}
    assert found["weak_point"].text == " ".join(lines)
    assert found["weak_point"].figures["route"]["flip"]["value"] == ans.route["flip"]["value"]


def test_no_weak_point_without_assumptions(tmp_path: Path) -> None:
    p = tmp_path / "plain.toml"
    p.write_text(TOY.split("\n[[assumptions]]")[0], encoding="utf-8")
    assert weak_point_statements(chokepoint.load(p)) == []
