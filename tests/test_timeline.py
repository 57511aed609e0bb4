"""Disruption timelines: construction from a scenario, overlap rule, validation, sampling."""

from __future__ import annotations

import datetime as dt
import math

import numpy as np
import pytest

from chokepoint.compiled import CompiledNetwork
from chokepoint.disruptions import capacity_factor
from chokepoint.errors import InputError
from chokepoint.scenario import Disruption
from chokepoint.timeline import StochasticFailure, Timeline, TimelineEvent, sample_timeline
from conftest import make_network

T0 = dt.datetime(2024, 1, 1)


def _net() -> CompiledNetwork:
    return make_network(
        [("ab", "a", "b", 10, {"time_h": 1.0, "group": "g"}),
         ("bc", "b", "c", 10, {"time_h": 1.0, "group": "g"}),
         ("ac", "a", "c", 5, {"time_h": 3.0})],
        direction="forward",
    ).compiled


def _d(element: str, start_h: float, end_h: float | None = None, factor: float = 0.0,
       repair_days: float | None = None, did: str = "") -> Disruption:
    return Disruption(id=did, element=element, start=T0 + dt.timedelta(hours=start_h),
                      end=None if end_h is None else T0 + dt.timedelta(hours=end_h),
                      capacity_factor=factor, repair_days=repair_days)


def test_step_function_and_breakpoints() -> None:
    c = _net()
    tl = Timeline.from_scenario(c, [_d("ab", 5, 10, 0.5)], start=T0)
    ab = c.link_index["ab"]
    assert list(tl.breakpoints) == [5.0, 10.0]
    assert tl.factor_at(0)[ab] == 1.0
    assert tl.factor_at(5)[ab] == 0.5  # start inclusive
    assert tl.factor_at(9.99)[ab] == 0.5
    assert tl.factor_at(10)[ab] == 1.0  # end exclusive
    assert tl.factor_at(-1).min() == 1.0
    assert not tl.is_constant


def test_overlap_smallest_factor_wins() -> None:
    c = _net()
    tl = Timeline.from_scenario(c, [_d("ab", 0, 10, 0.6), _d("ab", 5, 20, 0.3),
                                    _d("g", 8, 9, 0.9)], start=T0)
    ab, bc = c.link_index["ab"], c.link_index["bc"]
    assert tl.factor_at(2)[ab] == 0.6
    assert tl.factor_at(6)[ab] == 0.3  # overlap: min, not product
    assert tl.factor_at(8.5)[ab] == 0.3
    assert tl.factor_at(8.5)[bc] == 0.9  # group event hits every arc of the group
    assert tl.factor_at(15)[ab] == 0.3
    assert tl.factor_at(20)[ab] == 1.0


def test_agrees_with_static_disruptions_at_instants() -> None:
    c = _net()
    ds = [_d("ab", 0, 10, 0.6), _d("ac", 5, None, 0.2), _d("b", 3, 7, 0.0)]
    tl = Timeline.from_scenario(c, ds, start=T0)
    for h in (0.0, 4.0, 6.5, 9.0, 100.0):
        at = T0 + dt.timedelta(hours=h)
        np.testing.assert_array_equal(tl.factor_at(h), capacity_factor(c, ds, at=at))


def test_repair_days_and_open_ended() -> None:
    c = _net()
    ab = c.link_index["ab"]
    tl = Timeline.from_scenario(c, [_d("ab", 0, None, 0.0, repair_days=2.0)], start=T0)
    assert tl.factor_at(47.9)[ab] == 0.0
    assert tl.factor_at(48.0)[ab] == 1.0  # reopens repair_days after the start
    forever = Timeline.from_scenario(c, [_d("ab", 1, None, 0.0)], start=T0)
    assert forever.factor_at(1e9)[ab] == 0.0
    both = Timeline.from_scenario(c, [_d("ab", 0, 5, 0.0, repair_days=10.0)], start=T0)
    assert both.factor_at(6)[ab] == 1.0  # an explicit end wins over repair_days


def test_events_before_start() -> None:
    c = _net()
    ab = c.link_index["ab"]
    tl = Timeline.from_scenario(c, [_d("ab", -10, 5, 0.0), _d("ac", -10, -5, 0.0)],
                                start=T0)
    assert tl.factor_at(0)[ab] == 0.0
    assert tl.factor_at(5)[ab] == 1.0
    assert tl.factor_at(0)[c.link_index["ac"]] == 1.0


@pytest.mark.parametrize(
    ("dis", "match"),
    [(_d("nope", 0, 5), "unknown element"),
     (Disruption(id="x", element="ab", start=T0, end=T0), "end is not after start"),
     (_d("ab", 0, 5, 1.5), r"not in \[0, 1\]"),
     (_d("ab", 0, None, 0.0, repair_days=-1.0), "repair_days")],
)
def test_validation(dis: Disruption, match: str) -> None:
    with pytest.raises(InputError, match=match):
        Timeline.from_scenario(_net(), [dis], start=T0)


def test_validation_names_the_disruption() -> None:
    with pytest.raises(InputError, match="disruption 'bad'"):
        Timeline.from_scenario(_net(), [_d("zz", 0, 1, did="bad")], start=T0)


def test_step_factors_take_the_minimum_over_each_step() -> None:
    c = _net()
    ab = c.link_index["ab"]
    tl = Timeline.from_events(c, [TimelineEvent("e", "ab", 7.0, 13.0, 0.25)])
    f = tl.step_factors(6.0, 4)[:, ab]
    np.testing.assert_array_equal(f, [1.0, 0.25, 0.25, 1.0])
    g = tl.step_factors(6.0, 4)[:, c.link_index["ac"]]
    np.testing.assert_array_equal(g, 1.0)


def test_minimum_combines_and_constant() -> None:
    c = _net()
    a = Timeline.from_events(c, [TimelineEvent("a", "ab", 0, 10, 0.5)])
    b = Timeline.from_events(c, [TimelineEvent("b", "ab", 5, 15, 0.2)])
    m = a.minimum(b)
    ab = c.link_index["ab"]
    assert [m.factor_at(t)[ab] for t in (1, 6, 12, 16)] == [0.5, 0.2, 0.2, 1.0]
    assert Timeline.constant(c).is_constant
    assert Timeline.constant(c, 0.5).factor_at(3).max() == 0.5


FAILS = [StochasticFailure("ab", 0.2, 2.0, "exponential", id="ab"),
         StochasticFailure("g", 0.1, 3.0, "lognormal", repair_days_sigma=0.8),
         StochasticFailure("ac", 0.3, 1.0, "fixed", capacity_factor=0.5)]


def test_sample_reproducible_by_seed() -> None:
    c = _net()
    one = sample_timeline(c, FAILS, horizon_days=60, seed=7)
    two = sample_timeline(c, FAILS, horizon_days=60, seed=7)
    other = sample_timeline(c, FAILS, horizon_days=60, seed=8)
    assert one.to_records() == two.to_records()
    np.testing.assert_array_equal(one.factors, two.factors)
    assert one.to_records() != other.to_records()
    assert len(one.events) > 0
    for e in one.events:
        assert 0 <= e.start_h < 60 * 24
        assert e.end_h > e.start_h
        assert e.start_h % 24 == 0  # failures strike at the start of a period


def test_sample_fixed_repair_is_periodic() -> None:
    c = _net()
    tl = sample_timeline(c, [StochasticFailure("ab", 1.0, 2.0, "fixed")], horizon_days=10,
                         seed=0)
    starts = [e.start_h / 24 for e in tl.events]
    assert starts == [0.0, 2.0, 4.0, 6.0, 8.0]
    assert all(math.isclose(e.end_h - e.start_h, 48.0) for e in tl.events)
    assert tl.factor_at(100)[c.link_index["ab"]] == 0.0
    none = sample_timeline(c, [StochasticFailure("ab", 0.0, 2.0)], horizon_days=10, seed=0)
    assert none.is_constant
    assert not none.events


def test_sample_mean_repair_roughly_right() -> None:
    c = _net()
    tl = sample_timeline(c, [StochasticFailure("ab", 0.5, 3.0, "lognormal")],
                         horizon_days=20000, seed=1)
    mean = np.mean([e.end_h - e.start_h for e in tl.events]) / 24
    assert 2.7 < mean < 3.3


@pytest.mark.parametrize(
    ("failure", "match"),
    [(StochasticFailure("zz", 0.1, 1.0), "unknown element"),
     (StochasticFailure("ab", 1.5, 1.0), "probability"),
     (StochasticFailure("ab", 0.1, -1.0), "repair_days_mean"),
     (StochasticFailure("ab", 0.1, 1.0, "weibull"), "repair_distribution"),  # type: ignore[arg-type]
     (StochasticFailure("ab", 0.1, 1.0, capacity_factor=2.0), "capacity_factor")],
)
def test_sample_validation(failure: StochasticFailure, match: str) -> None:
    with pytest.raises(InputError, match=match):
        sample_timeline(_net(), [failure], horizon_days=10, seed=0)
