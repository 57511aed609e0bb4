"""Every validation error is an InputError that names the file and the element."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from chokepoint.errors import ChokepointError, InputError
from chokepoint.io import load
from chokepoint.io.scenario_file import read_scenario_text
from chokepoint.network import Network

SRC = "corridor.toml"

BASE = """
version = 1
name = "test corridor"

[units]
tonnes_per_train = 1000
capacity_unit = "t/day"

[[nodes]]
id = "A"

[[nodes]]
id = "B"

[[nodes]]
id = "C"

[[links]]
id = "ab"
from = "A"
to = "B"
capacity = 10

[[links]]
id = "bc"
from = "B"
to = "C"
capacity = 10
direction = "forward"

[[commodities]]
id = "c1"
origin = "A"
destination = "C"
rate = 5
unit = "t/day"
"""


def edit(old: str, new: str, text: str = BASE) -> str:
    assert old in text, f"test bug: {old!r} not in the base scenario"
    return text.replace(old, new, 1)


def scenario_error(text: str) -> InputError:
    with pytest.raises(InputError) as info:
        read_scenario_text(text, source=SRC)
    return info.value


def assert_names(err: InputError, source: str, *parts: str) -> None:
    s = str(err)
    assert source in s, f"error does not name the file {source!r}: {s}"
    for p in parts:
        assert p in s, f"error does not name {p!r}: {s}"


def test_base_scenario_is_valid() -> None:
    sc = read_scenario_text(BASE, source=SRC)
    assert sc.network.n_links == 2
    assert [d.id for d in sc.commodities] == ["c1"]
    assert sc.path == SRC


def test_input_error_fields() -> None:
    err = scenario_error(edit('to = "C"', 'to = "Q"'))
    assert err.source == SRC
    assert err.element == "link 'bc'"
    assert "'Q'" in err.message
    assert str(err) == f"{SRC}: link 'bc': {err.message}"
    assert isinstance(err, ChokepointError)
    assert err.exit_code == 2


# -- network elements --------------------------------------------------------------------------
@pytest.mark.parametrize(("label", "old", "new", "element"), [
    ("unknown node in link", 'to = "C"', 'to = "Q"', "link 'bc'"),
    ("duplicate node id", 'id = "C"', 'id = "B"', "node 'B'"),
    ("duplicate link id", 'id = "bc"', 'id = "ab"', "link 'ab'"),
    ("link to itself", 'from = "B"\nto = "C"', 'from = "C"\nto = "C"', "link 'bc'"),
    ("negative capacity", "capacity = 10\n\n[[links]]", "capacity = -1\n\n[[links]]",
     "link 'ab'"),
    ("NaN capacity", "capacity = 10\n\n[[links]]", "capacity = nan\n\n[[links]]", "link 'ab'"),
    ("too large capacity", "capacity = 10\n\n[[links]]", "capacity = 1e300\n\n[[links]]",
     "link 'ab'"),
    ("bad direction", 'direction = "forward"', 'direction = "sideways"', "link 'bc'"),
    ("bad latitude", 'id = "A"', 'id = "A"\nlat = 95', "node 'A'"),
])
def test_network_errors(label: str, old: str, new: str, element: str) -> None:
    assert_names(scenario_error(edit(old, new)), SRC, element)


def test_unknown_node_message_names_the_node() -> None:
    assert_names(scenario_error(edit('to = "C"', 'to = "Q"')), SRC, "link 'bc'", "'Q'")


@pytest.mark.parametrize(("links", "nodes", "element"), [
    ([("x", "a", "b", 1.0), ("y", "b", "zz", 1.0)], ["a", "b"], "link 'y'"),
    ([("x", "a", "b", 1.0), ("x", "b", "a", 1.0)], None, "link 'x'"),
    ([("x", "a", "a", 1.0)], None, "link 'x'"),
    ([("x", "a", "b", -2.0)], None, "link 'x'"),
    ([("x", "a", "b", np.nan)], None, "link 'x'"),
    ([("x", "a", "b", 1.0)], ["a", "b", "a"], "node 'a'"),
])
def test_from_frames_errors(links: list[tuple[str, str, str, float]], nodes: list[str] | None,
                            element: str) -> None:
    frame = pd.DataFrame(links, columns=["id", "from", "to", "capacity"])
    nd = pd.DataFrame({"id": nodes}) if nodes is not None else None
    with pytest.raises(InputError) as info:
        Network.from_frames(nd, frame, source="net.csv")
    assert_names(info.value, "net.csv", element)


def test_group_id_clashing_with_node_id() -> None:
    frame = pd.DataFrame({"id": ["x"], "from": ["a"], "to": ["b"], "capacity": [1.0]})
    nodes = pd.DataFrame({"id": ["a", "b"], "group": ["b", ""]})
    net = Network.from_frames(nodes, frame, source="net.csv")
    with pytest.raises(InputError) as info:
        _ = net.compiled
    assert_names(info.value, "net.csv", "group 'b'")


# -- units -------------------------------------------------------------------------------------
def test_missing_unit() -> None:
    err = scenario_error(edit('capacity_unit = "t/day"\n', ""))
    assert_names(err, SRC, "link 'ab'", "unit")


def test_unknown_unit() -> None:
    err = scenario_error(edit("capacity = 10\n\n[[links]]",
                              'capacity = 10\nunit = "furlongs/day"\n\n[[links]]'))
    assert_names(err, SRC, "link 'ab'", "furlongs")


def test_unknown_time_unit() -> None:
    err = scenario_error(edit("capacity = 10\n\n[[links]]",
                              'capacity = 10\nunit = "t/fortnight"\n\n[[links]]'))
    assert_names(err, SRC, "link 'ab'", "fortnight")


def test_unit_needing_a_missing_factor() -> None:
    text = edit("tonnes_per_train = 1000\n", "")
    text = edit("capacity = 10\n\n[[links]]", 'capacity = 10\nunit = "trains/day"\n\n[[links]]',
                text)
    err = scenario_error(text)
    assert_names(err, SRC, "link 'ab'", "tonnes_per_train")


def test_teu_needing_a_missing_factor() -> None:
    text = edit('rate = 5\nunit = "t/day"', 'rate = 5\nunit = "TEU/day"')
    err = scenario_error(text)
    assert_names(err, SRC, "commodity 'c1'", "tonnes_per_teu")


def test_handling_capacity_unit_is_checked() -> None:
    err = scenario_error(edit('id = "B"', 'id = "B"\nhandling_capacity = 5\n'
                              'handling_unit = "bogus/day"'))
    assert_names(err, SRC, "node 'B'", "bogus")


def test_unknown_report_unit() -> None:
    err = scenario_error(edit('capacity_unit = "t/day"',
                              'capacity_unit = "t/day"\nreport = ["bogus/day"]'))
    assert_names(err, SRC, "units.report", "bogus")


# -- schema ------------------------------------------------------------------------------------
def test_unknown_field_in_link() -> None:
    err = scenario_error(edit("capacity = 10\n\n[[links]]", "capactiy = 10\n\n[[links]]"))
    assert_names(err, SRC, "link 'ab'", "capactiy", "unknown field")


def test_unknown_top_level_field() -> None:
    assert_names(scenario_error(edit('name = "test corridor"', 'nmae = "x"')), SRC, "nmae",
                 "unknown field")


def test_unknown_field_in_units() -> None:
    err = scenario_error(edit("tonnes_per_train", "tonnes_per_trian"))
    assert_names(err, SRC, "units", "tonnes_per_trian", "unknown field")


def test_unknown_field_in_commodity_names_the_commodity() -> None:
    """Schema errors inside [[commodities]] must name "commodity 'c1'" like every other
    commodity error (not a mangled plural such as "commoditie 'c1'")."""
    err = scenario_error(edit("rate = 5", "rate = 5\nprioirty = 2"))
    assert_names(err, SRC, "commodity 'c1'", "prioirty")


def test_out_of_range_field_in_commodity_names_the_commodity() -> None:
    err = scenario_error(edit("rate = 5", "rate = 5\npriority = 0"))
    assert_names(err, SRC, "commodity 'c1'", "priority")


def test_wrong_version() -> None:
    err = scenario_error(edit("version = 1", "version = 2"))
    assert_names(err, SRC, "version", "2")


def test_missing_version() -> None:
    assert_names(scenario_error(edit("version = 1", "")), SRC, "version")


def test_wrong_format_name() -> None:
    err = scenario_error('format = "something-else"\n' + BASE)
    assert_names(err, SRC, "format")


def test_no_links() -> None:
    assert_names(scenario_error("version = 1\n"), SRC, "no links")


# -- demands -----------------------------------------------------------------------------------
def test_demand_with_unknown_origin() -> None:
    err = scenario_error(edit('origin = "A"', 'origin = "Z"'))
    assert_names(err, SRC, "commodity 'c1'", "'Z'")


def test_demand_with_unknown_destination() -> None:
    err = scenario_error(edit('destination = "C"', 'destination = "Z"'))
    assert_names(err, SRC, "commodity 'c1'", "'Z'")


def test_disconnected_origin_destination() -> None:
    # bc is one-way B -> C, so C cannot reach A
    err = scenario_error(edit('origin = "A"\ndestination = "C"', 'origin = "C"\ndestination = "A"'))
    assert_names(err, SRC, "commodity 'c1'", "'A'", "'C'")


def test_background_disconnected_names_background() -> None:
    text = BASE + ('\n[[background]]\nid = "bg"\norigin = "C"\ndestination = "B"\n'
                   'rate = 1\nunit = "t/day"\n')
    assert_names(scenario_error(text), SRC, "background 'bg'")


def test_demand_same_origin_and_destination() -> None:
    err = scenario_error(edit('destination = "C"', 'destination = "A"'))
    assert_names(err, SRC, "commodity 'c1'")


def test_demand_end_before_start() -> None:
    err = scenario_error(edit("rate = 5", "rate = 5\nstart = 2024-02-01\nend = 2024-01-01"))
    assert_names(err, SRC, "commodity 'c1'", "before")


def test_demand_rate_and_quantity() -> None:
    err = scenario_error(edit("rate = 5", "rate = 5\nquantity = 3"))
    assert_names(err, SRC, "commodity 'c1'", "rate", "quantity")


def test_quantity_needs_window() -> None:
    err = scenario_error(edit("rate = 5", "quantity = 5"))
    assert_names(err, SRC, "commodity 'c1'", "start")


def test_duplicate_demand_id() -> None:
    text = BASE + ('\n[[background]]\nid = "c1"\norigin = "A"\ndestination = "B"\n'
                   'rate = 1\nunit = "t/day"\n')
    assert_names(scenario_error(text), SRC, "'c1'", "duplicate")


# -- disruptions and flow ----------------------------------------------------------------------
def test_disruption_unknown_element() -> None:
    text = BASE + '\n[[disruptions]]\nid = "d1"\nelement = "nope"\nstart = 2024-01-01\n'
    assert_names(scenario_error(text), SRC, "disruption 'd1'", "'nope'")


def test_disruption_end_before_start() -> None:
    text = BASE + ('\n[[disruptions]]\nid = "d1"\nelement = "ab"\nstart = 2024-02-01\n'
                   "end = 2024-01-01\n")
    assert_names(scenario_error(text), SRC, "disruption 'd1'", "start")


def test_disruption_capacity_factor_out_of_range() -> None:
    text = BASE + ('\n[[disruptions]]\nid = "d1"\nelement = "ab"\nstart = 2024-02-01\n'
                   "capacity_factor = 2\n")
    assert_names(scenario_error(text), SRC, "disruption 'd1'", "capacity_factor")


def test_disruption_without_id_gets_a_numbered_name() -> None:
    text = BASE + '\n[[disruptions]]\nelement = "nope"\nstart = 2024-01-01\n'
    assert_names(scenario_error(text), SRC, "disruption-1", "'nope'")


def test_valid_disruption_by_group_and_node() -> None:
    text = edit('capacity = 10\ndirection = "forward"',
                'capacity = 10\ndirection = "forward"\ngroup = "bridge"')
    text += ('\n[[disruptions]]\nid = "d1"\nelement = "bridge"\nstart = 2024-01-01\n'
             "end = 2024-01-05\ncapacity_factor = 0.5\n"
             '\n[[disruptions]]\nid = "d2"\nelement = "B"\nstart = 2024-01-01T06:00:00\n')
    sc = read_scenario_text(text, source=SRC)
    assert [d.element for d in sc.disruptions] == ["bridge", "B"]
    assert sc.disruptions[0].capacity_factor == 0.5
    assert sc.disruptions[1].end is None
    assert sc.disruptions[1].start.hour == 6


def test_flow_unknown_source() -> None:
    text = BASE + '\n[flow]\nsources = ["Z"]\nsinks = ["C"]\n'
    assert_names(scenario_error(text), SRC, "flow.sources", "'Z'")


# -- files -------------------------------------------------------------------------------------
def test_bad_toml(tmp_path: Path) -> None:
    p = tmp_path / "broken.toml"
    p.write_text(BASE + "\nthis is not toml\n")
    with pytest.raises(InputError) as info:
        load(p)
    assert_names(info.value, "broken.toml", "TOML")


def test_scenario_file_errors_name_the_file(tmp_path: Path) -> None:
    p = tmp_path / "typo.toml"
    p.write_text(edit("capacity = 10\n\n[[links]]", "capactiy = 10\n\n[[links]]"))
    with pytest.raises(InputError) as info:
        load(p)
    assert_names(info.value, "typo.toml", "link 'ab'", "capactiy")


def test_nonexistent_file(tmp_path: Path) -> None:
    p = tmp_path / "missing.toml"
    with pytest.raises(InputError) as info:
        load(p)
    assert_names(info.value, "missing.toml", "no such file")


def test_directory_is_not_a_file(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="directory"):
        load(tmp_path)


def test_unknown_suffix(tmp_path: Path) -> None:
    p = tmp_path / "net.xyz"
    p.write_text("x")
    with pytest.raises(InputError) as info:
        load(p)
    assert_names(info.value, "net.xyz", ".xyz")


def test_network_file_missing(tmp_path: Path) -> None:
    p = tmp_path / "s.toml"
    p.write_text('version = 1\n[network]\nlinks = "nowhere.csv"\n')
    with pytest.raises(InputError) as info:
        load(p)
    assert_names(info.value, "s.toml", "nowhere.csv")


# -- CSV ---------------------------------------------------------------------------------------
def _csv(tmp_path: Path, name: str, text: str) -> InputError:
    p = tmp_path / name
    p.write_text(text)
    with pytest.raises(InputError) as info:
        load(p)
    return info.value


def test_csv_nan_capacity(tmp_path: Path) -> None:
    err = _csv(tmp_path, "links.csv", "from,to,capacity\na,b,1\nb,c,\n")
    assert_names(err, "links.csv", "row 3", "capacity")


def test_csv_non_numeric_capacity(tmp_path: Path) -> None:
    err = _csv(tmp_path, "links.csv", "from,to,capacity\na,b,1\nb,c,lots\n")
    assert_names(err, "links.csv", "row 3", "'lots'")


def test_csv_non_numeric_time(tmp_path: Path) -> None:
    err = _csv(tmp_path, "links.csv", "from,to,capacity,time\na,b,1,soon\n")
    assert_names(err, "links.csv", "row 2", "time_h")


def test_csv_missing_to_column(tmp_path: Path) -> None:
    err = _csv(tmp_path, "links.csv", "from,dest,capacity\na,b,1\n")
    assert_names(err, "links.csv", "'to'")


@pytest.mark.parametrize(("body", "element"), [
    ("id,from,to,capacity\nx,a,b,1\nx,b,c,2\n", "link 'x'"),
    ("id,from,to,capacity\nx,a,a,1\n", "link 'x'"),
    ("id,from,to,capacity\nx,a,b,-1\n", "link 'x'"),
    ("id,from,to,capacity,direction\nx,a,b,1,up\n", "link 'x'"),
])
def test_csv_link_errors(tmp_path: Path, body: str, element: str) -> None:
    assert_names(_csv(tmp_path, "links.csv", body), "links.csv", element)


def test_csv_empty_file(tmp_path: Path) -> None:
    assert_names(_csv(tmp_path, "empty.csv", ""), "empty.csv")


# -- DIMACS ------------------------------------------------------------------------------------
@pytest.mark.parametrize(("suffix", "body", "element"), [
    (".max", "p maxx 2 1\n", "line 1"),
    (".max", "c comment\np max 2 1\nn 1 s\nn 2 t\na 1 2\n", "line 5"),
    (".max", "p max 2 1\nn 1 q\nn 2 t\na 1 2 3\n", "line 2"),
    (".max", "p max 2 1\nz\n", "line 2"),
    (".max", "n 1 s\np max 2 1\n", "line 1"),
    (".max", "p max 2 1\nn 1 s\nn 2 t\na 1 3 5\n", "line 4: node 3"),
    (".min", "p min 2 1\nn 1 5\nn 2 -5\na 1 2 1 9 3\n", "line 4"),
    (".min", "p min 2 1\nn 1 5 7\n", "line 2"),
])
def test_dimacs_malformed(tmp_path: Path, suffix: str, body: str, element: str) -> None:
    err = _csv(tmp_path, f"bad{suffix}", body)
    assert_names(err, f"bad{suffix}", element)


def test_dimacs_no_problem_line(tmp_path: Path) -> None:
    assert_names(_csv(tmp_path, "bad.max", "c only a comment\n"), "bad.max", "problem line")


@pytest.mark.parametrize(("suffix", "body", "element"), [
    (".max", "p max two 1\n", "line 1"),                            # N is not a number
    (".max", "p max 2 1\nn 1 s\nn 2 t\na 1 2 lots\n", "line 4"),    # capacity not a number
    (".min", "p min 2 1\nn 1 five\nn 2 -5\na 1 2 0 9 3\n", "line 2"),  # supply not a number
    (".max", "p max 3 2\nn 9 s\nn 3 t\na 1 2 5\na 2 3 4\n", "9"),  # terminal not in 1..N
])
def test_dimacs_bad_numbers_are_input_errors_naming_the_line(
        tmp_path: Path, suffix: str, body: str, element: str) -> None:
    """Malformed numbers must give InputError (not ValueError), naming the file and line."""
    p = tmp_path / f"bad{suffix}"
    p.write_text(body)
    assert_names(_load_error(p), f"bad{suffix}", element)


def _load_error(p: Path) -> InputError:
    """The InputError of loading ``p``; any other exception type fails the test."""
    try:
        load(p)
    except InputError as err:
        return err
    except Exception as err:  # the point: which exception type escapes
        pytest.fail(f"load({p.name}) raised {type(err).__name__}: {err} instead of InputError")
    pytest.fail(f"load({p.name}) accepted a malformed file")
