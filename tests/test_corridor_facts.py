"""The built-in corridor states each cited fact exactly, and every figure is cited.

Reads the project's facts table ``../shared/data/raw/corridor_facts/facts.csv`` (skipped when
absent). For every figure whose provenance is ``fact: Fxx <number> <unit>``: the fact exists,
states that number in that unit, and the figure equals it after unit conversion. Every fact id
named in an element's ``source`` text is accounted for by one of its provenance entries, so no
fact is cited for a quantity it does not state.
"""

from __future__ import annotations

import csv
import re
import tomllib
from pathlib import Path
from typing import Any

import pytest

from chokepoint.data import builtin_path, load_builtin
from chokepoint.provenance import parse_entry

_FACT = re.compile(r"^(F\d\d)\s+([0-9][0-9,]*(?:\.[0-9]+)?)\s+(\S+)")
_LENGTH = {"m": 0.001, "km": 1.0}
_TIME = {"min": 1 / 60, "h": 1.0}
_TABLES = ("nodes", "links", "commodities", "background", "disruptions")


@pytest.fixture(scope="module")
def facts(shared_dir: Path) -> dict[str, dict[str, str]]:
    path = shared_dir / "data" / "raw" / "corridor_facts" / "facts.csv"
    if not path.is_file():
        pytest.skip(f"corridor facts table not found at {path}")
    with path.open(encoding="utf-8") as fh:
        return {row["id"]: row for row in csv.DictReader(fh)}


@pytest.fixture(scope="module")
def raw() -> dict[str, Any]:
    return tomllib.loads(builtin_path().read_text(encoding="utf-8"))


def _numbers(text: str) -> set[float]:
    return {float(x.replace(",", "")) for x in re.findall(r"\d[\d,]*(?:\.\d+)?", text)}


def _field_unit(el: dict[str, Any], field: str) -> str:
    if field == "length_km":
        return "km"
    if field == "time_h":
        return "h"
    if field == "handling_capacity":
        return str(el["handling_unit"])
    return str(el["unit"])


def _convert(value: float, unit: str, to: str) -> float:
    """``value`` in ``unit`` expressed in ``to`` (lengths, times, rates or quantities)."""
    for table in (_LENGTH, _TIME):
        if unit in table and to in table:
            return value * table[unit] / table[to]
    units = load_builtin().units
    if "/" in unit:
        return value * units.rate_factor(unit) / units.rate_factor(to)
    return value * units.quantity_factor(unit) / units.quantity_factor(to)


def _fact_entries(raw: dict[str, Any]) -> list[tuple[str, dict[str, Any], str, str]]:
    out = []
    for table in _TABLES:
        for el in raw.get(table, []):
            for field, text in el.get("provenance", {}).items():
                kind, rest = parse_entry(text)
                if kind == "fact":
                    out.append((f"{table}.{el['id']}.{field}", el, field, rest))
    return out


def test_every_fact_citation_states_exactly_the_figure(facts: dict[str, dict[str, str]],
                                                      raw: dict[str, Any]) -> None:
    entries = _fact_entries(raw)
    assert len(entries) >= 10
    for path, el, field, rest in entries:
        m = _FACT.match(rest)
        assert m, f"{path}: a fact entry reads 'Fxx <number> <unit>', got {rest!r}"
        fid, num, unit = m.group(1), float(m.group(2).replace(",", "")), m.group(3)
        assert fid in facts, f"{path}: no fact {fid}"
        fact = facts[fid]
        assert num in _numbers(fact["value"]), f"{path}: {fid} does not state {num}"
        said = (fact["value"] + " " + fact["unit"]).replace(" ", "_").lower()
        assert unit.lower().rstrip("s") in said, f"{path}: {fid} does not give {unit!r}"
        got = float(el[field])
        want = _convert(num, unit, _field_unit(el, field))
        assert got == pytest.approx(want, rel=1e-9), f"{path}: {got} != {fid} {num} {unit}"


def test_fact_ids_in_sources_are_accounted_for(facts: dict[str, dict[str, str]],
                                               raw: dict[str, Any]) -> None:
    for table in _TABLES:
        for el in raw.get(table, []):
            named = set(re.findall(r"\bF\d\d\b", el.get("source", "")))
            entries = " ".join(el.get("provenance", {}).values())
            for fid in sorted(named):
                assert fid in facts, f"{table}.{el['id']}: unknown fact {fid}"
                assert fid in entries, (f"{table}.{el['id']}: source cites {fid} but no "
                                        f"provenance entry says what it gives")


def test_derived_figures_state_a_formula(raw: dict[str, Any]) -> None:
    for table in _TABLES:
        for el in raw.get(table, []):
            for field, text in el.get("provenance", {}).items():
                kind, rest = parse_entry(text)
                if kind == "derived":
                    where = f"{table}.{el['id']}.{field}: derived without a formula: {rest!r}"
                    assert re.search(r"\d", rest), where
                    assert re.search(r"(->|[-+x*/=])", rest), where
                if kind == "assumption":
                    assert len(rest.split()) >= 3, f"{table}.{el['id']}.{field}: no reasoning"


def test_builtin_has_no_uncited_figure() -> None:
    s = load_builtin()
    summary = s.citations.summary()
    assert summary["uncited"] == []
    assert summary["source_only"] == 0
    assert summary["cited"] == summary["figures"] > 300


def test_assumption_ranges_bracket_the_values() -> None:
    s = load_builtin()
    ids = {a.id for a in s.assumptions}
    assert {"bypass_capacity", "bam_speed", "dunai_handling", "campaign_size"} <= ids
    for a in s.assumptions:
        assert a.low <= a.value <= a.high, a.id
        for p in a.paths:
            assert s.citations.values[p] == a.value, (a.id, p)
