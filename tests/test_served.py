"""Served demand: the multi-commodity LP on small networks with known answers."""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from chokepoint.analyses import max_flow, served_demand
from chokepoint.analyses.served import ServedDemandResult
from chokepoint.compiled import CompiledNetwork
from chokepoint.network import Network
from chokepoint.scenario import Demand
from conftest import incidence_balance, make_network
from test_properties import Case, cases

# Served amounts are compared to 1e-4 of a unit: see test_fastest_routing_keeps_served_exact for
# the (separate) check that the second, fastest-routing LP does not shave served demand.
TOL = 1e-4


def approx(x: Any) -> Any:
    return pytest.approx(x, abs=TOL)


def dem(i: str, o: str, d: str, rate: float, priority: float = 1.0, **kw: Any) -> Demand:
    return Demand(id=i, origin=o, destination=d, rate=rate, priority=priority, **kw)


def served(res: ServedDemandResult) -> dict[str, float]:
    return {str(k): float(v) for k, v in zip(res.demands["id"], res.demands["served"], strict=True)}


def assert_consistent(c: CompiledNetwork, demands: list[Demand], res: ServedDemandResult) -> None:
    """Served within demand, per-commodity conservation, capacity rows respected."""
    s = res.demands["served"].to_numpy()
    rate = np.array([d.rate for d in demands])
    assert np.all(s >= -1e-7)
    assert np.all(s <= rate + 1e-7), "served exceeds demand"
    assert res.total_served == approx(s.sum())
    assert res.total_demand == approx(rate.sum())
    assert res.total_unmet == approx(rate.sum() - s.sum())
    assert res.flows.shape == (len(demands), c.n_arcs)
    assert np.all(res.flows >= -1e-7)
    for k, d in enumerate(demands):
        bal = incidence_balance(c.tail, c.head, res.flows[k], c.n_vertices)
        want = np.zeros(c.n_vertices)
        o = c.vertices([d.origin])[0]
        t = c.vertices([d.destination], side="out")[0]
        want[o] += s[k]
        want[t] -= s[k]
        np.testing.assert_allclose(bal, want, atol=1e-6,
                                   err_msg=f"commodity {d.id} does not conserve flow")
    # capacity: each direction on its own, both directions together on single track
    load = res.arc_load.copy()
    for k, d in enumerate(demands):
        if d.returns_empty:
            for a in range(c.n_arcs):
                r = _reverse(c, a)
                if r >= 0:
                    load[r] += res.flows[k, a]
    shared = c.partner >= 0
    total = load.copy()
    total[shared] = load[shared] + load[c.partner[shared]]
    fin = np.isfinite(c.capacity)
    assert np.all(total[fin] <= c.capacity[fin] + 1e-6), "a capacity is exceeded"


def _reverse(c: CompiledNetwork, a: int) -> int:
    """The opposite arc of a two-way link's arc, or -1."""
    link = int(c.arc_link[a])
    if link < 0:
        return -1
    arcs = np.flatnonzero(c.arc_link == link)
    others = [int(x) for x in arcs if x != a]
    return others[0] if others else -1


# -- competition for one link ------------------------------------------------------------------
def test_priority_decides_who_gets_the_bottleneck() -> None:
    net = make_network([("AB", "A", "B", 10, {"time_h": 1.0})])
    demands = [dem("hi", "A", "B", 8, priority=10), dem("lo", "A", "B", 6, priority=1)]
    res = served_demand(net.compiled, demands)
    got = served(res)
    assert got["hi"] == approx(8)
    assert got["lo"] == approx(2)
    assert res.total_served == approx(10)
    assert res.total_unmet == approx(4)
    assert res.binding_links == ["AB"]
    row = res.resources.set_index("link").loc["AB"]
    assert bool(row["binding"])
    assert row["load"] == approx(10)
    assert row["utilisation"] == approx(1.0)
    # one more unit of capacity would serve one more unit of the priority-1 commodity
    assert row["shadow_price"] == approx(1.0)
    assert res.objective == approx(8 * 10 + 2 * 1)
    assert_consistent(net.compiled, demands, res)


def test_no_binding_link_when_everything_is_served() -> None:
    net = make_network([("AB", "A", "B", 100)])
    demands = [dem("x", "A", "B", 8), dem("y", "A", "B", 6)]
    res = served_demand(net.compiled, demands)
    assert served(res) == approx({"x": 8, "y": 6})
    assert res.binding_links == []
    assert res.total_unmet == approx(0)


# -- single versus double track ----------------------------------------------------------------
@pytest.mark.parametrize(("track", "total"), [("single", 10.0), ("double", 14.0)])
def test_single_track_shares_capacity_between_directions(track: str, total: float) -> None:
    net = make_network([("AB", "A", "B", 10, {"direction": "both", "track": track})])
    demands = [dem("east", "A", "B", 8), dem("west", "B", "A", 6)]
    res = served_demand(net.compiled, demands)
    assert res.total_served == approx(total)
    if track == "double":
        assert served(res) == approx({"east": 8, "west": 6})
        assert res.binding_links == []
    else:
        assert res.binding_links == ["AB"]
        assert bool(res.resources["shared"].iloc[0])
    assert_consistent(net.compiled, demands, res)


def test_single_track_priority_split() -> None:
    net = make_network([("AB", "A", "B", 10, {"direction": "both", "track": "single"})])
    demands = [dem("east", "A", "B", 8, priority=2), dem("west", "B", "A", 6, priority=1)]
    assert served(served_demand(net.compiled, demands)) == approx({"east": 8, "west": 2})


@pytest.mark.parametrize(("track", "returns", "want"), [
    ("single", False, 10.0),
    ("single", True, 5.0),   # the empty return uses the same track
    ("double", False, 10.0),
    ("double", True, 10.0),  # the empty return has its own track
])
def test_returns_empty(track: str, returns: bool, want: float) -> None:
    net = make_network([("AB", "A", "B", 10, {"direction": "both", "track": track})])
    demands = [dem("ore", "A", "B", 20, returns_empty=returns)]
    res = served_demand(net.compiled, demands)
    assert res.total_served == approx(want)
    assert_consistent(net.compiled, demands, res)


def test_returns_empty_competes_with_opposite_traffic_on_double_track() -> None:
    net = make_network([("AB", "A", "B", 10, {"direction": "both", "track": "double"})])
    demands = [dem("ore", "A", "B", 8, priority=1, returns_empty=True),
               dem("back", "B", "A", 6, priority=1)]
    res = served_demand(net.compiled, demands)
    # B->A carries the empty returns of 'ore' plus 'back': at most 10 together
    assert res.total_served == approx(10)
    assert_consistent(net.compiled, demands, res)


def test_returns_empty_ignored_on_one_way_links() -> None:
    net = make_network([("AB", "A", "B", 10)])
    res = served_demand(net.compiled, [dem("ore", "A", "B", 20, returns_empty=True)])
    assert res.total_served == approx(10)


# -- removals, node capacities, routing --------------------------------------------------------
def _two_routes() -> Network:
    return make_network([
        ("A1", "A", "M1", 5, {"time_h": 1.0}), ("1B", "M1", "B", 5, {"time_h": 1.0}),
        ("A2", "A", "M2", 7, {"time_h": 3.0}), ("2B", "M2", "B", 7, {"time_h": 3.0}),
    ])


def test_removed_arcs_reduce_served() -> None:
    net = _two_routes()
    c = net.compiled
    demands = [dem("x", "A", "B", 10)]
    assert served_demand(c, demands).total_served == approx(10)
    res = served_demand(c, demands, removed=c.arcs_of("link", ["A2"]))
    assert res.total_served == approx(5)
    assert np.all(res.flows[:, c.arcs_of("link", ["A2", "2B"])] == approx(0))
    res = served_demand(c, demands, removed=c.arcs_of("node", ["M1"]))
    assert res.total_served == approx(7)
    res = served_demand(c, demands, removed=c.arcs_of("link", ["A2", "1B"]))
    assert res.total_served == approx(0)
    assert res.total_unmet == approx(10)


def test_capacity_factor_scales_served() -> None:
    net = _two_routes()
    c = net.compiled
    factor = np.ones(c.n_arcs)
    factor[c.arcs_of("link", ["2B"])] = 0.5
    res = served_demand(c, [dem("x", "A", "B", 100)], factor=factor)
    assert res.total_served == approx(5 + 3.5)


def test_second_lp_prefers_the_fastest_routing() -> None:
    net = _two_routes()
    c = net.compiled
    res = served_demand(c, [dem("x", "A", "B", 4)])
    assert res.total_served == approx(4)
    flow = res.flows[0]
    assert flow[c.link_index["A1"]] == approx(4)
    assert flow[c.link_index["A2"]] == approx(0)


def test_node_handling_capacity_limits_served() -> None:
    net = make_network([("AM", "A", "M", 10), ("MB", "M", "B", 10), ("AB", "A", "B", 1)],
                       nodes=[{"id": "A"}, {"id": "M", "handling_capacity": 3.0}, {"id": "B"}])
    res = served_demand(net.compiled, [dem("x", "A", "B", 10)])
    assert res.total_served == approx(4)
    assert res.binding_nodes == ["M"]
    assert set(res.binding_links) == {"AB"}


def test_fastest_routing_keeps_served_exact() -> None:
    """The second LP picks the fastest routing *among the optimal ones*: served amounts must be
    those of the first LP, not shaved by its tolerance (flow costs time, so serving a little less
    is "faster")."""
    net = make_network([("AB", "A", "B", 10, {"time_h": 1.0})])
    demands = [dem("hi", "A", "B", 8, priority=10), dem("lo", "A", "B", 6, priority=1)]
    plain = served_demand(net.compiled, demands, fastest=False)
    fast = served_demand(net.compiled, demands, fastest=True)
    assert served(plain) == pytest.approx({"hi": 8, "lo": 2}, rel=1e-9)
    assert served(fast) == pytest.approx(served(plain), rel=1e-9), (
        f"fastest routing changed served demand: {served(fast)} vs {served(plain)}")
    full = served_demand(make_network([("AB", "A", "B", 100, {"time_h": 1.0})]).compiled,
                         [dem("x", "A", "B", 8), dem("y", "A", "B", 6)])
    assert full.total_unmet == pytest.approx(0, abs=1e-9), (
        f"everything fits, yet {full.total_unmet} is reported unmet")


def test_unlimited_capacity_gives_no_warning() -> None:
    """Links without a capacity (inf) and dwell-only nodes are ordinary inputs; served_demand
    must not emit RuntimeWarnings (inf - inf) on them."""
    import warnings

    net = make_network([("AM", "A", "M", math.inf), ("MB", "M", "B", 5)],
                       nodes=[{"id": "A"}, {"id": "M", "dwell_h": 2.0}, {"id": "B"}])
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        res = served_demand(net.compiled, [dem("x", "A", "B", 10)])
    assert res.total_served == approx(5)
    assert res.binding_links == ["MB"]


def test_no_demands_is_an_error() -> None:
    from chokepoint.errors import InputError

    with pytest.raises(InputError, match="no demands"):
        served_demand(make_network([("AB", "A", "B", 1)]).compiled, [])


# -- properties --------------------------------------------------------------------------------
@settings(max_examples=40, deadline=None, derandomize=True)
@given(cases(node_caps=True, dwell=False))
def test_one_commodity_with_huge_demand_serves_the_max_flow(case: Case) -> None:
    c = case.net.compiled
    s, t = case.sources[0], case.sinks[0]
    mf = max_flow(c, [s], [t]).value
    res = served_demand(c, [dem("all", s, t, 1e6)], fastest=False)
    assert res.total_served == pytest.approx(mf, abs=1e-6)


@settings(max_examples=40, deadline=None, derandomize=True)
@given(cases(node_caps=True, dwell=False), st.data())
def test_served_is_consistent_on_random_networks(case: Case, data: st.DataObject) -> None:
    c = case.net.compiled
    k = data.draw(st.integers(1, 3))
    demands = []
    for i in range(k):
        o = data.draw(st.sampled_from(case.nodes))
        d = data.draw(st.sampled_from([v for v in case.nodes if v != o]))
        demands.append(dem(f"k{i}", o, d, float(data.draw(st.integers(0, 30))),
                           priority=float(data.draw(st.integers(1, 5))),
                           returns_empty=data.draw(st.booleans())))
    res = served_demand(c, demands)
    assert_consistent(c, demands, res)
    # no commodity is served beyond its own max flow
    for d, s in zip(demands, res.demands["served"], strict=True):
        assert s <= max_flow(c, [d.origin], [d.destination]).value + 1e-6
    assert math.isfinite(res.objective)


def test_served_amounts_are_served_demands_figures_bit_for_bit() -> None:
    """``served_amounts`` solves the same LPs as ``served_demand(fastest=False)`` and skips
    only the tables: the criticality ranking's figures do not move by a bit."""
    from chokepoint.analyses.served import served_amounts
    from chokepoint.data import load_builtin

    s = load_builtin("corridor")
    c = s.network.compiled
    for removed in (None, c.arcs_of("link", ["khabarovsk_ussuriysk"]),
                    c.arcs_of("link", ["tayshet_irkutsk", "amur_bridge"])):
        for fair in (True, False):
            want = served_demand(c, s.demands, removed=removed, fastest=False, fair=fair)
            got = served_amounts(c, s.demands, removed=removed, fair=fair)
            np.testing.assert_array_equal(got, want.demands["served"].to_numpy())
            assert float(got.sum()) == want.total_served
