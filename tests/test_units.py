"""Units: rate conversions, train pairs, TEU, report round trips, and unit errors."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from chokepoint.errors import InputError
from chokepoint.io import load
from chokepoint.io.scenario_file import read_scenario_text
from chokepoint.units import BASE_RATE, UNITLESS, Units

U = Units(tonnes_per_train=1000.0, teu_per_train=80.0)


# -- rates -------------------------------------------------------------------------------------
@pytest.mark.parametrize(("unit", "factor"), [
    ("t/day", 1.0),
    ("t/d", 1.0),
    ("tonnes/day", 1.0),
    ("t/h", 24.0),
    ("t/week", 1 / 7),
    ("kt/day", 1e3),
    ("Mt/yr", 1e6 / 365),
    ("Mt/year", 1e6 / 365),
    ("mt/a", 1e6 / 365),
    ("t/month", 12 / 365),
    ("trains/day", 1000.0),
    ("train/week", 1000 / 7),
    ("TEU/day", 12.5),
    ("FEU/day", 25.0),
    ("containers/day", 12.5),
])
def test_rate_factor(unit: str, factor: float) -> None:
    assert U.rate_factor(unit) == pytest.approx(factor)


def test_mt_per_year_to_t_per_day() -> None:
    assert U.to_base(36.5, "Mt/yr") == pytest.approx(100_000.0)
    assert U.from_base(100_000.0, "Mt/yr") == pytest.approx(36.5)
    assert Units(days_per_year=350).to_base(3.5, "Mt/yr") == pytest.approx(10_000.0)


def test_train_pairs_per_direction_vs_combined() -> None:
    # a train pair is one train each way: per direction, one train
    assert U.rate_factor("train_pairs/day") == 1000.0
    assert U.rate_factor("train_pairs/day", combined=False) == 1000.0
    # as the combined capacity of a single track: two trains
    assert U.rate_factor("train_pairs/day", combined=True) == 2000.0
    # trains are trains either way
    assert U.rate_factor("trains/day", combined=True) == 1000.0
    assert U.to_base(10, "train_pairs/day", combined=True) == 20_000.0


def test_teu_default_is_capacity_equivalent() -> None:
    assert U.tonnes_per_teu_effective == pytest.approx(1000 / 80)
    # one full container train takes exactly one train path
    assert U.to_base(80, "TEU/day") == pytest.approx(U.to_base(1, "trains/day"))
    explicit = Units(tonnes_per_train=1000.0, teu_per_train=80.0, tonnes_per_teu=10.0)
    assert explicit.tonnes_per_teu_effective == 10.0
    assert explicit.rate_factor("TEU/day") == 10.0
    only_teu = Units(tonnes_per_teu=14.0)
    assert only_teu.rate_factor("TEU/day") == 14.0
    assert Units().tonnes_per_teu_effective is None
    assert Units(tonnes_per_train=1000.0).tonnes_per_teu_effective is None


def test_containers_use_teu_per_container() -> None:
    u = Units(tonnes_per_teu=10.0, teu_per_container=2.0)
    assert u.rate_factor("containers/day") == 20.0
    assert u.rate_factor("container/day") == 20.0
    assert u.quantity_factor("FEU") == 20.0
    assert u.quantity_factor("TEU") == 10.0
    assert u.quantity_factor("Mt") == 1e6


@settings(max_examples=60, deadline=None, derandomize=True)
@given(value=st.floats(0, 1e9), unit=st.sampled_from(
    ["t/day", "t/h", "kt/week", "Mt/yr", "trains/day", "train_pairs/day", "TEU/day", "FEU/day",
     "containers/month"]))
def test_report_conversion_round_trip(value: float, unit: str) -> None:
    base = U.to_base(value, unit)
    assert U.from_base(base, unit) == pytest.approx(value, rel=1e-12)
    # via another unit and back
    assert U.to_base(U.from_base(base, "Mt/yr"), "Mt/yr") == pytest.approx(base, rel=1e-12)


def test_report_units() -> None:
    assert Units().report_units == (BASE_RATE,)
    assert Units(report=("Mt/yr", "trains/day")).report_units == ("Mt/yr", "trains/day")
    assert Units.unitless().report_units == (UNITLESS,)


def test_unitless_networks() -> None:
    u = Units.unitless()
    assert u.base == UNITLESS
    assert u.rate_factor("unit") == 1.0
    assert u.rate_factor("units") == 1.0
    with pytest.raises(ValueError, match="unitless"):
        u.rate_factor("t/day")


# -- errors ------------------------------------------------------------------------------------
@pytest.mark.parametrize(("units", "unit", "match"), [
    (U, "furlongs/day", "unknown quantity unit 'furlongs'"),
    (U, "t/fortnight", "unknown time unit 'fortnight'"),
    (U, "tonnes", "QUANTITY/TIME"),
    (Units(), "trains/day", "tonnes_per_train"),
    (Units(), "train_pairs/day", "tonnes_per_train"),
    (Units(), "TEU/day", "tonnes_per_teu"),
    (Units(tonnes_per_train=1000.0), "TEU/day", "teu_per_train"),
    (U, "units/day", "dimensionless"),
])
def test_unit_errors(units: Units, unit: str, match: str) -> None:
    with pytest.raises(ValueError, match=match):
        units.rate_factor(unit)
    problem = units.check(unit)
    assert problem is not None
    assert match.split("'")[0] in problem


def test_check_accepts_known_units() -> None:
    assert U.check("Mt/yr") is None
    assert U.check("train_pairs/day") is None


# -- in scenarios ------------------------------------------------------------------------------
SCEN = """
version = 1
[units]
tonnes_per_train = 1000
teu_per_train = 80
[[links]]
id = "single"
from = "A"
to = "B"
capacity = 10
unit = "train_pairs/day"
track = "single"
[[links]]
id = "double"
from = "B"
to = "C"
capacity = 10
unit = "train_pairs/day"
track = "double"
[[links]]
id = "oneway"
from = "C"
to = "D"
capacity = 10
unit = "train_pairs/day"
direction = "forward"
track = "single"
[[links]]
id = "bulk"
from = "D"
to = "E"
capacity = 36.5
unit = "Mt/yr"
direction = "forward"
[[commodities]]
id = "boxes"
origin = "A"
destination = "E"
rate = 800
unit = "TEU/day"
[[background]]
id = "ore"
origin = "A"
destination = "D"
quantity = 1000
unit = "trains"
start = 2024-01-01
end = 2024-01-11
"""


def test_scenario_capacities_in_tonnes_per_day() -> None:
    sc = read_scenario_text(SCEN, source="units.toml")
    assert sc.units.base == BASE_RATE
    cap = dict(zip(sc.network.links["id"], sc.network.links["capacity"], strict=True))
    # scenario links are two-way by default
    assert list(sc.network.links["direction"]) == ["both", "both", "forward", "forward"]
    assert cap["single"] == 20_000.0   # combined capacity of one track: 2 trains per pair
    assert cap["double"] == 10_000.0   # per direction: 1 train per pair
    assert cap["oneway"] == 10_000.0   # one direction only: 1 train per pair
    assert cap["bulk"] == pytest.approx(100_000.0)
    boxes, = sc.commodities
    assert boxes.rate == pytest.approx(800 * 12.5)   # 800 TEU = 10 trains
    ore, = sc.background
    assert ore.rate == pytest.approx(1000 * 1000 / 10)
    assert ore.kind == "background"
    assert ore.quantity == 1000
    assert ore.quantity_unit == "trains"


def test_capacity_unit_default_and_handling_unit() -> None:
    text = ('version = 1\n[units]\ncapacity_unit = "Mt/yr"\n'
            '[[nodes]]\nid = "A"\nhandling_capacity = 2\nhandling_unit = "kt/day"\n'
            '[[nodes]]\nid = "B"\n'
            '[[links]]\nid = "ab"\nfrom = "A"\nto = "B"\ncapacity = 3.65\n')
    sc = read_scenario_text(text, source="cu.toml")
    assert sc.network.links["capacity"].iloc[0] == pytest.approx(10_000.0)
    assert sc.network.nodes["handling_capacity"].iloc[0] == pytest.approx(2_000.0)
    assert sc.network.nodes["handling_capacity"].iloc[1] == float("inf")


def test_link_without_capacity_is_unlimited() -> None:
    sc = read_scenario_text('version = 1\n[[links]]\nid = "ab"\nfrom = "A"\nto = "B"\n',
                            source="x.toml")
    assert sc.network.links["capacity"].iloc[0] == float("inf")


def test_speed_gives_time() -> None:
    sc = read_scenario_text('version = 1\n[[links]]\nid = "ab"\nfrom = "A"\nto = "B"\n'
                            "length_km = 120\nspeed_kmh = 60\n", source="x.toml")
    assert sc.network.links["time_h"].iloc[0] == pytest.approx(2.0)
    with pytest.raises(InputError, match="length_km"):
        read_scenario_text('version = 1\n[[links]]\nid = "ab"\nfrom = "A"\nto = "B"\n'
                           "speed_kmh = 60\n", source="x.toml")


# -- link tables referenced from a scenario ----------------------------------------------------
def _scenario_with_csv(tmp_path: Path, units: str, csv: str) -> Path:
    (tmp_path / "links.csv").write_text(csv)
    p = tmp_path / "scenario.toml"
    p.write_text(f'version = 1\n[units]\ntonnes_per_train = 1000\n{units}\n'
                 '[network]\nlinks = "links.csv"\n')
    return p


def test_link_file_with_unit_column(tmp_path: Path) -> None:
    p = _scenario_with_csv(tmp_path, "", "id,from,to,capacity,unit,direction,track\n"
                           "x,a,b,10,train_pairs/day,both,single\n"
                           "y,b,c,10,train_pairs/day,both,double\n"
                           "z,c,d,36.5,Mt/yr,forward,double\n")
    links = load(p).network.links.set_index("id")
    assert links.at["x", "capacity"] == 20_000.0
    assert links.at["y", "capacity"] == 10_000.0
    assert links.at["z", "capacity"] == pytest.approx(100_000.0)


def test_link_file_uses_capacity_unit(tmp_path: Path) -> None:
    """[units].capacity_unit is the unit of every capacity without its own unit, including
    those of a [network].links table (a CSV capacity of 36.5 with capacity_unit = "Mt/yr" is
    100 000 t/day, not 36.5 t/day)."""
    p = _scenario_with_csv(tmp_path, 'capacity_unit = "Mt/yr"', "id,from,to,capacity\nx,a,b,36.5\n")
    cap = float(load(p).network.links["capacity"].iloc[0])
    assert cap == pytest.approx(100_000.0), f"capacity_unit ignored: capacity {cap} t/day"


def test_link_file_capacity_without_any_unit_is_an_error(tmp_path: Path) -> None:
    """Like [[links]], a link-file capacity with no unit and no capacity_unit is an error."""
    p = _scenario_with_csv(tmp_path, "", "id,from,to,capacity\nx,a,b,10\n")
    with pytest.raises(InputError) as info:
        load(p)
    assert "scenario.toml" in str(info.value)
    assert "'x'" in str(info.value)


def test_link_file_single_track_conversion_matches_direction(tmp_path: Path) -> None:
    """The unit conversion and the network must agree on a link's direction: a train-pair
    capacity counts double only on a two-way single-track link."""
    p = _scenario_with_csv(tmp_path, "", "id,from,to,capacity,unit,track\n"
                           "x,a,b,10,train_pairs/day,single\n")
    link = load(p).network.links.iloc[0]
    want = 20_000.0 if link["direction"] == "both" else 10_000.0
    assert link["capacity"] == want, (
        f"a {link['direction']} single-track link got capacity {link['capacity']} "
        f"(expected {want})")


def test_link_file_with_unit_but_no_id_column(tmp_path: Path) -> None:
    """Link ids are optional in link tables (from_frames numbers them); a unit column must not
    make them compulsory (KeyError 'id')."""
    p = _scenario_with_csv(tmp_path, "", "from,to,capacity,unit\na,b,10,trains/day\n")
    try:
        sc = load(p)
    except InputError:
        return  # a clear InputError would also be acceptable
    except KeyError as e:
        pytest.fail(f"KeyError {e} instead of loading or an InputError")
    assert sc.network.links["capacity"].iloc[0] == 10_000.0


def test_link_file_bad_unit_names_file_and_link(tmp_path: Path) -> None:
    p = _scenario_with_csv(tmp_path, "", "id,from,to,capacity,unit\nx,a,b,10,bogus/day\n")
    with pytest.raises(InputError) as info:
        load(p)
    assert "scenario.toml" in str(info.value)
    assert "link 'x'" in str(info.value)


def test_node_file_handling_units_are_converted(tmp_path: Path) -> None:
    from chokepoint.analyses import max_flow
    from chokepoint.io import load

    (tmp_path / "nodes.csv").write_text("id,handling_capacity,handling_unit\na,10,Mt/yr\nb,,\n")
    (tmp_path / "links.csv").write_text("id,from,to,capacity,unit\nx,a,b,100,Mt/yr\n")
    (tmp_path / "s.toml").write_text('version = 1\n[network]\nnodes = "nodes.csv"\n'
                                     'links = "links.csv"\n')
    s = load(tmp_path / "s.toml")
    got = max_flow(s.network.compiled, ["a"], ["b"]).value
    assert got == pytest.approx(10e6 / 365, abs=1e-3)       # the node's 10 Mt/yr binds
