"""The rationing rule: equal-priority demand shares short capacity max-min fairly, uniquely."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from chokepoint.analyses import served_demand
from chokepoint.analyses.served import ServedDemandResult
from chokepoint.scenario import Demand
from conftest import make_network


def dem(i: str, o: str, d: str, rate: float, priority: float = 1.0, **kw: Any) -> Demand:
    return Demand(id=i, origin=o, destination=d, rate=rate, priority=priority, **kw)


def served(res: ServedDemandResult) -> dict[str, float]:
    return {str(k): float(v) for k, v in zip(res.demands["id"], res.demands["served"],
                                             strict=True)}


def test_shared_bottleneck_gives_equal_fractions() -> None:
    """10 units for demands of 10 and 30: both get a quarter (2.5 and 7.5), not 10 and 0."""
    net = make_network([("XM", "X", "M", 100), ("YM", "Y", "M", 100), ("MT", "M", "T", 10)],
                       direction="forward")
    res = served_demand(net.compiled, [dem("x", "X", "T", 10), dem("y", "Y", "T", 30)])
    assert served(res) == pytest.approx({"x": 2.5, "y": 7.5}, abs=1e-6)


def test_a_demand_capped_elsewhere_frees_capacity_for_the_rest() -> None:
    """x is limited to 1 by its own feeder; y gets the remaining 9 (max-min, not 5/5)."""
    net = make_network([("XM", "X", "M", 1), ("YM", "Y", "M", 100), ("MT", "M", "T", 10)],
                       direction="forward")
    res = served_demand(net.compiled, [dem("x", "X", "T", 10), dem("y", "Y", "T", 10)])
    assert served(res) == pytest.approx({"x": 1.0, "y": 9.0}, abs=1e-6)


def test_priority_still_comes_first() -> None:
    net = make_network([("XM", "X", "M", 100), ("YM", "Y", "M", 100), ("MT", "M", "T", 10)],
                       direction="forward")
    res = served_demand(net.compiled, [dem("x", "X", "T", 10, priority=5),
                                       dem("y", "Y", "T", 30)])
    assert served(res) == pytest.approx({"x": 10.0, "y": 0.0}, abs=1e-6)


def _star(n: int, caps: list[float], rates: list[float]) -> tuple[Any, list[Demand]]:
    """n origins share one bottleneck; each feeder has its own capacity: many optimal
    vertices of the first LP (any split of the bottleneck is optimal)."""
    links = [(f"F{i}", f"O{i}", "M", caps[i]) for i in range(n)] + [("MT", "M", "T", 7)]
    net = make_network(links, direction="forward")
    return net, [dem(f"d{i}", f"O{i}", "T", rates[i]) for i in range(n)]


@settings(max_examples=30, deadline=None)
@given(st.integers(2, 5).flatmap(lambda n: st.tuples(
    st.just(n), st.lists(st.integers(1, 6), min_size=n, max_size=n),
    st.lists(st.integers(1, 9), min_size=n, max_size=n), st.permutations(range(n)))))
def test_unique_under_permuted_input(args: tuple[int, list[int], list[int], list[int]]) -> None:
    """Many optimal vertices; the max-min fair answer is the same in any input order and equals
    progressive filling computed by hand."""
    n, caps, rates, perm = args
    net, demands = _star(n, [float(x) for x in caps], [float(x) for x in rates])
    a = served(served_demand(net.compiled, demands))
    b = served(served_demand(net.compiled, [demands[i] for i in perm]))
    assert a == pytest.approx(b, abs=1e-6)
    # progressive filling by hand: one bottleneck, each demand capped by min(feeder, rate):
    # raise a common fraction f until the bottleneck (7) or every cap is reached (bisection)
    limit = np.minimum(caps, rates).astype(float)
    r = np.asarray(rates, dtype=float)
    target = min(7.0, float(limit.sum()))
    lo, hi = 0.0, 1.0
    for _ in range(200):
        mid = (lo + hi) / 2
        lo, hi = (mid, hi) if np.minimum(mid * r, limit).sum() < target else (lo, mid)
    fair = np.minimum(hi * r, limit)
    assert [a[f"d{i}"] for i in range(n)] == pytest.approx(list(fair), abs=1e-5)


def test_corridor_loss_is_shared_not_dumped_on_one_port() -> None:
    """With the 2023 disruptions the export loss no longer lands on Nakhodka alone."""
    from chokepoint.data import load_builtin
    from chokepoint.disruptions import capacity_factor

    s = load_builtin("corridor")
    c = s.network.compiled
    base = served(served_demand(c, s.demands, fastest=False))
    hit = served(served_demand(c, s.demands, factor=capacity_factor(c, s.disruptions),
                               fastest=False))
    lost = {k: base[k] - hit[k] for k in base}
    assert lost["bg_export_vanino"] > 0, "Vanino keeps all its traffic: rationing not fair"
    assert lost["bg_export_nakhodka"] > 0
    again = [*s.demands][::-1]
    hit2 = served(served_demand(c, again, factor=capacity_factor(c, s.disruptions),
                                fastest=False))
    assert hit2 == pytest.approx(hit, rel=1e-6)  # HiGHS' feasibility tolerance is 1e-7
