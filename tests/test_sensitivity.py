"""Sensitivity: assumption ranges, one-at-a-time scans, bisection flips and the weak-point answer.

The flip values are checked against values worked out by hand: on a two-route toy network the
fast route changes where the two transit times are equal; on the built-in corridor the bypass
stops absorbing the tunnel's loss where its capacity falls below the shipment's rate.
"""

from __future__ import annotations

import json
import tomllib
from pathlib import Path
from typing import Any

import pytest

from _toys import TWO_ROUTES
from chokepoint.cli import main
from chokepoint.errors import InputError
from chokepoint.workflows.sensitivity import Study, sensitivity, set_figure

TOY = TWO_ROUTES


def _toy(tmp_path: Path) -> Study:
    p = tmp_path / "toy.toml"
    p.write_text(TOY, encoding="utf-8")
    return Study.of(p, measures=("route", "shipment"))


def test_flip_matches_the_hand_value_exactly(tmp_path: Path) -> None:
    study = _toy(tmp_path)
    assert study.focus == ("slow_line",)
    res = sensitivity(study, measures=("route",), grid=4, tol=1e-4)
    flips = [f for f in res.flips if f.answer == "route_via_focus"]
    assert len(flips) == 1
    # 100 km at v km/h beats the 3 h detour iff v > 100 / 3: exact (the route times' lines
    # cross there), where bisection would give a bracket
    assert flips[0].method == "exact"
    assert flips[0].value == pytest.approx(100 / 3, rel=1e-12)
    assert flips[0].below is False
    assert flips[0].above is True
    v = flips[0].value
    assert study.answers({"line_speed": v * (1 - 1e-9)}, ("route",))["route_via_focus"] is False
    assert study.answers({"line_speed": v * (1 + 1e-9)}, ("route",))["route_via_focus"] is True
    rows = [r for r in res.one_at_a_time if r["assumption"] == "line_speed"]
    assert [r["value"] for r in rows] == sorted(r["value"] for r in rows)
    assert {20.0, 30.0, 50.0} <= {r["value"] for r in rows}  # the grid plus the scenario value


def test_tornado_and_joint_sample_are_seeded(tmp_path: Path) -> None:
    study = _toy(tmp_path)
    a = sensitivity(study, measures=("route",), grid=2, samples=5, seed=3)
    b = sensitivity(study, measures=("route",), grid=2, samples=5, seed=3)
    assert a.joint == b.joint
    bar = next(x for x in a.tornado if x["answer"] == "route_time_h")
    assert bar["at_low"] == pytest.approx(3.0)          # the detour at 20 km/h
    assert bar["at_high"] == pytest.approx(100 / 50)    # the line at 50 km/h
    assert 0.0 <= a.joint_agreement["route_via_focus"] <= 1.0
    json.dumps(a.to_dict())


def test_attack_cost_integrates_the_repair_time(tmp_path: Path) -> None:
    study = _toy(tmp_path)
    ans = study.answers(None, ("attack",))
    # the detour carries the whole 1 train/day: closing the line for 2 days loses nothing
    assert ans["attack_lost_t"] == pytest.approx(0.0, abs=1e-6)
    data = tomllib.loads(TOY)
    set_figure(data, "links.detour_1.capacity", 0.0)
    ans = Study(data, focus=("slow_line",)).answers(None, ("attack",))
    assert ans["attack_lost_no_backlog_t"] == pytest.approx(2 * 1000.0)  # 2 days x 1000 t
    # with backlog the 2 days' demand waits and the reopened line (10 trains/day) catches up
    assert ans["attack_lost_t"] == pytest.approx(0.0, abs=1e-6)


def test_bad_assumption_and_measure_are_errors(tmp_path: Path) -> None:
    study = _toy(tmp_path)
    with pytest.raises(InputError, match="no assumption"):
        sensitivity(study, only=("nope",), measures=("route",))
    with pytest.raises(InputError, match="unknown measure"):
        sensitivity(study, measures=("speed",))
    data: dict[str, Any] = tomllib.loads(TOY)
    data["assumptions"][0]["paths"] = ["links.slow_line.capacity_typo"]
    with pytest.raises(InputError, match="not a numeric figure"):
        Study(data).scenario()


def test_cli_sensitivity_json(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as e:
        main(["sensitivity", "builtin:corridor", "--only", "bam_speed", "--measure", "route",
              "--grid", "2", "--no-weak-point", "--json"])
    assert e.value.code == 0
    data = json.loads(capsys.readouterr().out)
    flips = {(f["assumption"], f["answer"]): f for f in data["flips"]}
    f = flips["bam_speed", "route_via_focus"]
    assert 36.0 < f["value"] < 39.5
    assert f["unit"] == "km/h"
    assert f["method"] == "exact"
    # every headline answer is named with the values at which it flips (or none)
    answers = {a["answer"]: a for a in data["answers"]}
    assert {"route_via_focus", "route_time_h"} <= set(answers)
    assert [x["value"] for x in answers["route_via_focus"]["flips"]] == [f["value"]]
    assert answers["route_via_focus"]["stable"] is False
    moves = {m["assumption"] for m in answers["route_time_h"]["moves_with"]}
    assert moves == {"bam_speed"}


def test_joint_sample_on_the_sweep_runner_equals_in_process(tmp_path: Path) -> None:
    from chokepoint.sweep.sensitivity import dask_runner

    study = _toy(tmp_path)
    here = sensitivity(study, measures=("route",), grid=2, samples=4, seed=7)
    there = sensitivity(study, measures=("route",), grid=2, samples=4, seed=7,
                        runner=dask_runner(workers=0, chunk=3))
    keys = ("line_speed", "route_via_focus", "route_time_h")
    assert [{k: r[k] for k in keys} for r in here.joint] == \
        [{k: r[k] for k in keys} for r in there.joint]
