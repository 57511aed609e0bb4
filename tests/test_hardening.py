"""Hardening (defender–attacker) against brute force over protection and attack sets."""

from __future__ import annotations

import itertools
import math
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from chokepoint.analyses.hardening import harden
from chokepoint.analyses.interdiction import attack_model
from chokepoint.analyses.maxflow import max_flow
from chokepoint.analyses.routes import fastest_route
from chokepoint.errors import InputError
from test_interdiction import Case, _removed, cases

SETTINGS = settings(max_examples=60, deadline=None, derandomize=True)


def _attacks(case: Case, hardened: tuple[str, ...]) -> list[tuple[str, ...]]:
    model = attack_model(case.c, kind=case.kind, k=case.k, protected=[*case.protected,
                                                                       *hardened])
    elems = [model.ids[i] for i in model.attackable.nonzero()[0]]
    return [p for r in range(case.k + 1) for p in itertools.combinations(elems, r)]


def _candidates(case: Case) -> list[str]:
    model = attack_model(case.c, kind=case.kind, k=max(case.k, 1), protected=case.protected)
    return [model.ids[i] for i in model.attackable.nonzero()[0]]


def _brute(case: Case, protect: int, objective: str) -> float:
    cand = _candidates(case)
    best = -math.inf if objective == "flow" else math.inf
    for r in range(min(protect, len(cand)) + 1):
        for hard in itertools.combinations(cand, r):
            if objective == "flow":
                worst = min(max_flow(case.c, case.sources, case.sinks,
                                     removed=_removed(case, p)).value
                            for p in _attacks(case, hard))
                best = max(best, worst)
            else:
                worst = max(fastest_route(case.c, case.sources[0], case.sinks[0],
                                          removed=_removed(case, p)).cost
                            for p in _attacks(case, hard))
                best = min(best, worst)
    return best


@SETTINGS
@given(cases(costs=False), st.integers(0, 2))
def test_flow_hardening_matches_brute_force(case: Case, protect: int) -> None:
    if case.k > 2:
        case.k = 2
    opt = _brute(case, protect, "flow")
    r = harden(case.c, case.sources, case.sinks, protect=protect, k=case.k, kind=case.kind,
               protected=case.protected)
    assert r.status == "optimal"
    assert r.value == pytest.approx(opt, abs=1e-6)
    assert len(r.protected) <= protect
    assert not set(r.attack) & set(r.protected)
    assert r.value >= r.value_unprotected - 1e-9
    again = max_flow(case.c, case.sources, case.sinks, removed=_removed(case, r.attack))
    assert r.value == again.value


@SETTINGS
@given(cases(costs=False, multi=False, fractional=False), st.integers(0, 2))
def test_time_hardening_matches_brute_force(case: Case, protect: int) -> None:
    if case.k > 2:
        case.k = 2
    opt = _brute(case, protect, "time")
    r = harden(case.c, case.sources, case.sinks, protect=protect, k=case.k, kind=case.kind,
               protected=case.protected, objective="time")
    assert r.status == "optimal"
    if math.isinf(opt):
        assert math.isinf(r.value)
    else:
        assert r.value == pytest.approx(opt, abs=1e-6)
    assert r.value <= r.value_unprotected


def test_hardening_small_example(tiny_network: Any) -> None:
    net = tiny_network([("a", "s", "t", 10), ("c", "s", "y", 6), ("d", "y", "t", 6),
                        ("e", "s", "t", 1)])
    r = harden(net.compiled, ["s"], ["t"], protect=1, k=1)
    assert r.value_unprotected == 7.0
    assert r.protected == ["a"]
    assert r.value == 11.0
    assert r.attack in (["c"], ["d"])
    assert r.status == "optimal"
    with pytest.raises(InputError):
        harden(net.compiled, ["s"], ["t"], protect=1, k=1, objective="cost")
