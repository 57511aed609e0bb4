"""The workflow layer: one study, its findings, the one formatter and the flat API."""

from __future__ import annotations

import math

import pytest

import chokepoint
from chokepoint.errors import InputError
from chokepoint.formatting import fmt, fmt_date, rate_unit
from chokepoint.workflows.study import Study, study


@pytest.fixture(scope="module")
def corridor_study() -> Study:
    return study(chokepoint.load("builtin:corridor"), with_campaign=False)


def test_formatter_numbers_infinity_missing() -> None:
    assert fmt(12615.23, "TEU/day") == "12,615.2 TEU/day"
    assert fmt(math.inf, "t/day") == "∞ t/day"
    assert fmt(-math.inf) == "-∞"
    assert fmt(None, "t") == "—"
    assert fmt(math.nan, "t") == "—"
    assert fmt(3) == "3"
    assert fmt(-0.01, "h") == "0.0 h"
    assert fmt(528881.4, "t", digits=0) == "528,881 t"
    assert fmt(True) == "yes"
    assert fmt_date(None) == "—"
    assert rate_unit("TEU") == "TEU/day"
    assert rate_unit("Mt/yr") == "Mt/yr"


def test_flat_api_loads_and_exports_lazily() -> None:
    s = chokepoint.load("builtin:corridor")
    assert s.commodities
    assert callable(chokepoint.study)
    assert chokepoint.criticality.__module__ == "chokepoint.workflows.ranking"
    assert {"study", "brief", "criticality", "close_elements", "load"} <= set(dir(chokepoint))
    with pytest.raises(InputError, match="no built-in scenario 'nowhere'"):
        chokepoint.load("builtin:nowhere")
    with pytest.raises(AttributeError):
        _ = chokepoint.no_such_thing  # type: ignore[attr-defined]


def test_findings_are_computed_from_the_results(corridor_study: Study) -> None:
    st = corridor_study
    keys = [f.key for f in st.findings]
    assert keys == ["shipment", "attack_cost", "spof_shipment", "spof_corridor", "weakest",
                    "weak_point", "attack_2023"]
    by = {f.key: f for f in st.findings}
    ship = by["shipment"]
    # the munitions go by sea to Dunai, away from the tunnel: the attack does not touch them
    assert "not affected" in ship.text
    assert "rajin → dunai" in ship.text
    assert ship.figures["capacity_disrupted"] == pytest.approx(ship.figures["capacity_intact"])
    assert ship.figures["unit"] == "TEU/day"
    # route capacity is not the whole story: the time-aware cost's own figure for the
    # shipment (deferred while other traffic uses the shared lines) is stated with it
    assert st.cost is not None
    row = st.cost.summary.set_index("commodity").loc["dprk_munitions"]
    assert ship.figures["deferred_peak_t"] == pytest.approx(row["backlog_peak_t"])
    assert ("Its timing is affected all the same" in ship.text) == (row["backlog_peak_t"] > 0.5)
    cost = by["attack_cost"].figures
    assert st.cost is not None
    assert cost["loss_t"] == pytest.approx(st.cost.total_loss_t)
    assert 0 < cost["loss_t"] <= cost["worst_case_loss_t"]
    assert "Worst case (all disruptions at once, for ever" in by["attack_cost"].text
    hurt = [c for c in cost["per_commodity"] if c["loss_t"] > 1e-6]
    if len(hurt) == 1:  # one commodity bears the whole loss: said so, not "mostly"
        assert f", all of it {hurt[0]['commodity']};" in by["attack_cost"].text
    spof = by["spof_shipment"].figures["elements"]
    r = st.ranking
    assert r is not None
    assert set(spof) == set(r.loc[r["throughput_loss_rel"] >= 1 - 1e-9, "element"])
    weakest = by["weakest"].figures
    assert weakest["weakest"] == r["element"].iloc[0]
    assert all(h["rank"] > 1 for h in weakest["hit"])   # the attack did not hit the weakest
    assert st.data["findings"][0]["key"] == "shipment"
    assert st.data["disruption_cost"]["worst_case_label"].startswith("all disruptions")


def test_library_errors_name_parameters_and_the_cli_adds_flags() -> None:
    from chokepoint.cli import cli_words
    from chokepoint.sweep import sweep_criticality

    with pytest.raises(InputError) as info:
        sweep_criticality(chokepoint.load("builtin:corridor"), resume=True, scheduler="sync")
    assert "--" not in str(info.value)
    assert cli_words(str(info.value)).startswith("--resume needs --out")


_TOY = """
version = 1
[units]
tonnes_per_train = 1000
teu_per_train = 50
[[nodes]]
id = "a"
[[nodes]]
id = "b"
[[links]]
id = "ab"
from = "a"
to = "b"
capacity = 10
unit = "trains/day"
[[commodities]]
id = "boxes"
origin = "a"
destination = "b"
rate = 5
unit = "TEU/day"
{extra}
"""


def test_display_unit_is_a_scenario_field() -> None:
    from chokepoint.io.scenario_file import read_scenario_text
    from chokepoint.workflows.shipment import display_unit, shipment

    s = read_scenario_text(_TOY.format(extra='display_unit = "trains/day"'))
    assert display_unit(s, s.commodities[0]) == "trains/day"
    assert shipment(s).unit == "trains/day"
    plain = read_scenario_text(_TOY.format(extra=""))
    assert display_unit(plain, plain.commodities[0]) == "TEU/day"   # its own rate unit
    with pytest.raises(InputError, match="display_unit 'furlongs/day'"):
        read_scenario_text(_TOY.format(extra='display_unit = "furlongs/day"'))


def test_flow_table_is_refused_beside_commodities() -> None:
    from chokepoint.io.scenario_file import read_scenario_text

    text = _TOY.format(extra="") + '[flow]\nsources = ["a"]\nsinks = ["b"]\n'
    with pytest.raises(InputError, match=r"remove \[flow\]"):
        read_scenario_text(text)


def test_each_demand_in_its_own_unit(corridor_study: Study) -> None:
    dem = corridor_study.brief.demands.set_index("id")
    assert dem.loc["dprk_munitions", "unit"] == "TEU/day"
    assert dem.loc["bg_export_nakhodka", "unit"] == "Mt/yr"
    assert dem.loc["bg_export_nakhodka", "demand_in_unit"] == pytest.approx(125.0)
    assert dem.loc["dprk_munitions", "demand_in_unit"] == pytest.approx(1000 / 24)
    r = corridor_study.ranking
    assert r is not None
    assert r.attrs["throughput"]["label"] == "dprk_munitions: rajin → dunai → tikhoretsk_depot"
    assert "loss_dprk_munitions_TEU_per_day" in r.columns
    assert "loss_bg_export_vanino_Mt_per_yr" in r.columns
