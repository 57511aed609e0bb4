"""The 2023 attack against the exact worst timed attack of the same size, on the corridor."""

from __future__ import annotations

import dataclasses
import json

import pytest

from chokepoint.analyses.interdiction import timed_interdiction
from chokepoint.analyses.interdiction.repair import repair_days
from chokepoint.analyses.interdiction.timed import timed_plan_cost
from chokepoint.cli import main
from chokepoint.data import load_builtin
from chokepoint.workflows.attack import BACKLOG_DAYS, attack_2023, attack_statement, plan_of


@pytest.fixture(scope="module")
def answer() -> object:
    return attack_2023(load_builtin(), ks=(1, 2, 3))


def test_plan_is_the_scenarios_closures_with_their_dates_and_repair_times() -> None:
    day0, kind, plan = plan_of(load_builtin())
    assert day0.isoformat() == "2023-11-29"
    assert kind == "group"
    by = {p["element"]: p for p in plan}
    assert by["severomuysky_tunnel"]["attack_day"] == 0
    assert by["severomuysky_tunnel"]["repair_days"] == pytest.approx(3.0)
    assert by["devils_bridge"]["attack_day"] == 1
    # the bridge's repair time is the corridor's own figure, as the attacker's options use
    rep = repair_days(load_builtin().network, "group")
    assert by["devils_bridge"]["repair_days"] == pytest.approx(rep["devils_bridge"])
    assert rep["severomuysky_tunnel"] == pytest.approx(3.0)
    # every element the attacker may choose has the corridor's own repair time (no default)
    s = load_builtin()
    _, locked = s.network.attack_terms("group")
    links = s.network.links
    unset = set(links.loc[links["repair_days"].isna(), "id"])
    assert unset <= set(locked)


def test_worst_attacks_are_exact_and_grow_with_k(answer: object) -> None:
    a = answer
    s = load_builtin()
    assert a.budget == pytest.approx(5.0)                 # tunnel 3 + bridge 2
    assert [r["k"] for r in a.by_k] == [1, 2, 3]
    values = [r["lost_t"] for r in a.by_k]
    assert values == sorted(values)                       # budget 2.5 per element: nested
    for r in [a.worst, *a.by_k]:
        assert r["status"] == "optimal"
        assert r["lower_bound_t"] == pytest.approx(r["upper_bound_t"])
        assert len(r["removed"]) <= r["k"]
    assert a.by_k[1]["lost_t"] == pytest.approx(a.worst["lost_t"])
    # the same answer from a solve of its own (no shared operator, no carried cuts)
    cost, locked = s.network.attack_terms("group")
    own = timed_interdiction(s.network.compiled, s.demands, k=2, horizon_days=90,
                             repair_days=repair_days(s.network, "group"), kind="group",
                             budget=5.0, cost=cost, protected=locked, attack_day=0,
                             backlog_days=BACKLOG_DAYS, unit="t")
    assert own.value == pytest.approx(a.worst["lost_t"], rel=1e-7)
    lost, _, _ = timed_plan_cost(s.network.compiled, s.demands,
                                 [(x["element"], x["attack_day"], x["repair_days"])
                                  for x in a.plan], horizon_days=90,
                                 backlog_days=BACKLOG_DAYS)
    assert a.actual_t == pytest.approx(lost)
    assert 0 < a.actual_t < a.worst["lost_t"]


def test_statement_is_computed_from_the_answer(answer: object) -> None:
    a = answer
    text = attack_statement(a, shipment="dprk_munitions")
    assert f"{a.actual_t:,.0f} t" in text
    assert f"{a.worst['lost_t']:,.0f} t" in text
    assert f"{a.ratio:.1f} times" in text
    assert " / ".join(f"{r['lost_t']:,.0f}" for r in a.by_k) + " t." in text
    # the k-list says its budget (attack cost), so it never reads as the count-budget k = 2
    budgets = " / ".join(f"{r['budget']:g}" for r in a.by_k)
    assert f"elements of attack cost ≤ {budgets}" in text
    json.dumps(a.to_dict())
    assert "daily grid" not in text  # one figure of the attack when no other is given


def test_statement_names_the_cost_at_reported_hours(answer: object) -> None:
    """Two costs of one attack (daily grid vs the blasts' hours) are never left unexplained."""
    a = answer
    other = a.actual_t + 61.0
    text = attack_statement(a, shipment="dprk_munitions", at_hours_t=other)
    assert f"{a.actual_t:,.0f} t" in text
    assert f"{other:,.0f} t" in text
    assert "daily grid" in text
    assert "reported hours" in text
    same = attack_statement(a, shipment="dprk_munitions", at_hours_t=a.actual_t)
    assert "daily grid" not in same


def test_cli_attack_json(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as info:
        main(["attack", "builtin:corridor", "--k", "1", "--no-defend", "--json"])
    assert info.value.code == 0
    data = json.loads(capsys.readouterr().out)
    assert data["unit"] == "t"
    assert data["horizon_days"] == 90
    assert [p["element"] for p in data["plan"]] == ["severomuysky_tunnel", "devils_bridge"]
    assert data["worst"]["status"] == "optimal"
    assert [r["k"] for r in data["by_k"]] == [1]


def test_delay_objective_follows_via_stops_the_link_rules_do_not_force() -> None:
    """Without its forbidden links the munitions' stop at Dunai is not forced: the delay
    objective then runs on the layered expansion (one copy per leg) instead of refusing;
    exactness is tested against brute force in tests/test_via_analyses.py."""
    from chokepoint.analyses.interdiction.delay import delay_interdiction

    s = load_builtin()
    d = s.commodities[0]
    free = dataclasses.replace(d, forbidden_links=(), excluded_links=())
    r, f = (delay_interdiction(s.network.compiled, x, units=100.0, k=1, horizon_days=10,
                               repair_days={}, kind="group") for x in (free, d))
    assert r.status == "optimal"
    assert r.solver["expanded_arcs"] > f.solver["expanded_arcs"]
