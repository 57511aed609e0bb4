"""The criticality ranking of a scenario: every element's cost of failure, in one table.

Joins the per-element analyses — throughput loss between the scenario's terminals
(:mod:`~chokepoint.analyses.criticality_flow`), served demand lost with all traffic competing
(:func:`~chokepoint.analyses.criticality.served_criticality`), detours of the scenario's
origin–destination pairs (:func:`~chokepoint.analyses.criticality.detour_criticality`) and,
for links, RA2CE-style redundancy (:mod:`~chokepoint.analyses.redundancy`) — and ranks them.

This is the ONE criticality-table builder: :func:`criticality` runs it on all elements in
process, and the sweeps (:func:`chokepoint.sweep.sweep_criticality`) run
:func:`criticality_table` on chunks of elements and finish with :func:`finish`.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd

from chokepoint.compiled import CompiledNetwork
from chokepoint.errors import InputError
from chokepoint.progress import Progress, StagedProgress, stage
from chokepoint.scenario import Demand, Scenario

__all__ = ["MEASURES", "applicable_measures", "criticality", "criticality_table", "finish",
           "redundancy_weight", "unit_column"]

#: The criticality measures, in the order their columns appear.
MEASURES = ("throughput", "served", "detour", "redundancy")
#: The ranking's order: the first of these a table has, descending, then the element id.
RANK_ORDER = ("objective_loss", "throughput_loss", "pairs_cut", "detour_max_increase_h")


def unit_column(prefix: str, unit: str) -> str:
    """A column name for a value in ``unit``: ``throughput_loss_TEU_per_day``."""
    return f"{prefix}_" + re.sub(r"\W+", "_", unit.replace("/", "_per_")).strip("_")


def applicable_measures(measures: Sequence[str], *, kind: str, terminals: bool,
                        demands: bool, timed: bool) -> list[str]:
    """The requested ``measures`` that have the data they need, in :data:`MEASURES` order.

    Throughput needs terminals, served demand needs demands, detours need demands and transit
    times on every arc, redundancy needs links.

    Raises
    ------
    InputError
        If a measure is not one of :data:`MEASURES`.
    """
    bad = [m for m in measures if m not in MEASURES]
    if bad:
        raise InputError(f"unknown measure {bad[0]!r} (have: {', '.join(MEASURES)})")
    ok = {"throughput": terminals, "served": demands, "detour": demands and timed,
          "redundancy": kind == "link"}
    return [m for m in MEASURES if m in measures and ok[m]]


def redundancy_weight(c: CompiledNetwork) -> str:
    """The weight of the redundancy measure: time, else length, else hops."""
    if not np.isnan(c.time_h).any():
        return "time_h"
    return "length_km" if not np.isnan(c.length_km).any() else "hops"


def criticality_table(
    c: CompiledNetwork,
    *,
    kind: str,
    measures: Sequence[str],
    sources: Sequence[str],
    sinks: Sequence[str],
    demands: Sequence[Demand],
    elements: Sequence[str] | None = None,
    budget: int | None = None,
    progress: StagedProgress | None = None,
    route: Demand | None = None,
    workers: int | None = None,
) -> pd.DataFrame:
    """Every measure of every element of ``kind`` (or of ``elements``), unranked.

    With ``route`` (a commodity), the throughput is that commodity's between ``sources`` and
    ``sinks`` (its origin and destination) over the arcs its route rules allow
    (:func:`~chokepoint.analyses.routing.commodity_network`), through its via stops
    (:func:`~chokepoint.analyses.routing.commodity_throughput_criticality` where its link
    rules do not force them). Detours always honour each
    demand's own route rules; link redundancy is a property of the network, not of a demand.

    Columns: ``element``, ``kind``, then ``throughput``, ``throughput_without``,
    ``throughput_loss``, ... (throughput criticality between ``sources`` and ``sinks``),
    ``served``, ``served_loss``, ``objective_loss``, ``loss_<demand>``, ``served_loss_rel``
    (served demand), ``pairs_affected``, ``pairs_cut``, ``cut_pairs``,
    ``detour_max_increase_h``, ``detour_total_increase_h`` (detours), ``alt_<w>``,
    ``alt_diff_<w>``, ``has_alternative`` (link redundancy). Rows in network order. The
    ``measures`` are computed as asked: filter them first with :func:`applicable_measures`.
    ``workers`` threads share the throughput repairs (default: every CPU this process may use;
    a sweep that already runs one task per core passes 1).
    """
    from chokepoint.analyses.criticality import element_arcs

    ids, _ = element_arcs(c, kind, elements)
    table = pd.DataFrame({"element": pd.Series(ids, dtype=object), "kind": kind})
    if not ids:
        return table

    def cb(name: str) -> Progress | None:
        return stage(progress, name)

    sel = None if elements is None else ids
    parts: list[pd.DataFrame] = []
    if "throughput" in measures:
        from chokepoint.analyses.criticality_flow import throughput_criticality
        from chokepoint.analyses.routing import commodity_throughput_criticality, via_implied

        if route is not None and not via_implied(c, route):  # exact, leg by leg
            tc = commodity_throughput_criticality(c, route, kind=kind, elements=sel,
                                                  budget=budget)
        else:
            from chokepoint.analyses.routing import commodity_network

            tnet = commodity_network(c, route) if route is not None else c
            tc = throughput_criticality(tnet, list(sources), list(sinks), kind=kind,
                                        elements=sel, budget=budget,
                                        progress=cb("throughput"), workers=workers)
        parts.append(tc.drop(columns=["kind"]).rename(columns={
            "intact": "throughput", "without": "throughput_without",
            "loss": "throughput_loss", "loss_rel": "throughput_loss_rel",
            "flow": "throughput_flow", "method": "throughput_method"}))
    if "served" in measures:
        from chokepoint.analyses.criticality import served_criticality

        parts.append(served_criticality(c, list(demands), kind=kind, elements=sel,
                                        progress=cb("served")).drop(columns=["kind"]))
    if "detour" in measures:
        from chokepoint.analyses.criticality import detour_criticality
        from chokepoint.route_rules import commodity_route

        pairs = [(d.origin, d.destination) for d in demands]
        forbidden = [commodity_route(c, d).removed_arcs for d in demands]
        parts.append(detour_criticality(c, pairs, kind=kind, elements=sel, forbidden=forbidden,
                                        progress=cb("detour")).drop(columns=["kind"]).rename(
            columns={"max_increase": "detour_max_increase_h",
                     "total_increase": "detour_total_increase_h"}))
    if "redundancy" in measures and kind == "link":
        from chokepoint.analyses.redundancy import link_redundancy

        w = redundancy_weight(c)
        rd = link_redundancy(c, weight=w, links=sel, progress=cb("redundancy"))
        parts.append(rd[["link", "alt_weight", "diff", "detour"]].rename(columns={
            "link": "element", "alt_weight": f"alt_{w}", "diff": f"alt_diff_{w}",
            "detour": "has_alternative"}))
    for part in parts:
        table = table.merge(part, on="element", how="left", sort=False)
    return table


def _positions(s: Scenario, kind: str, ids: np.ndarray) -> np.ndarray:
    """Row of each link or node id in its table (one hash lookup over the whole column)."""
    c = s.network.compiled
    pos = c.link_positions(ids) if kind == "link" else c.node_position.get_indexer(
        pd.Index(ids))
    if (pos < 0).any():
        raise InputError(f"unknown {kind} id {ids[np.flatnonzero(pos < 0)[0]]!r}")
    return pos


def _names(s: Scenario, kind: str, ids: np.ndarray) -> Any:
    """Display names of ``ids`` (the id itself where an element has no name), as an array
    for a table column; vectorised (one take from the name column)."""
    net = s.network
    if kind in ("link", "node"):
        frame = net.links if kind == "link" else net.nodes
        names = frame["name"].array.take(_positions(s, kind, ids))
        empty = np.asarray(names == "", dtype=bool)  # a table's names default to the ids
        if not empty.any():
            return names
        out = names.to_numpy(dtype=object)
    else:  # a group of one link is named after it
        links = net.links
        one = links.groupby("group")["name"].agg(lambda x: x.iloc[0] if len(x) == 1 else "")
        out = one.reindex(pd.Index(ids)).fillna("").to_numpy(dtype=object)
        empty = out == ""
    out[empty] = ids[empty]
    return out


def finish(s: Scenario, table: pd.DataFrame, kind: str, *, unit: str | None = None
           ) -> pd.DataFrame:
    """Name, describe, express in the report units and rank a :func:`criticality_table`.

    Adds ``name`` (and, for links, ``from``, ``to``, ``mode``, ``structure``, ``group``,
    ``length_km``, ``time_h``), the losses in each report unit (and in ``unit``, the
    shipment's display unit), and ``rank`` (1 is the most
    critical: the largest priority-weighted served-demand loss — the corridor-wide view — then
    throughput loss, then pairs cut, then the longest detour; a table of link redundancy
    alone ranks links without an alternative route first, then by the alternative's extra
    weight; ties by element id).
    """
    table = table.copy()
    ids = table["element"].astype(str).to_numpy(dtype=object)
    table.insert(2, "name", _names(s, kind, ids))
    if kind == "link" and len(table):
        rows = _positions(s, kind, ids)
        links = s.network.links
        at = 3  # after rank-less "element", "kind", "name"
        for j, col in enumerate(("from", "to", "mode", "structure", "group", "length_km",
                                 "time_h")):
            table.insert(at + j, col, links[col].array.take(rows))
    if s.units.base != "unit":
        if "throughput_loss" in table:
            for u in dict.fromkeys([*s.units.report_units, *([unit] if unit else [])]):
                table[unit_column("throughput_loss", u)] = (
                    table["throughput_loss"].to_numpy(dtype=float) / s.units.rate_factor(u))
        if "served_loss" in table:
            table["served_loss_Mt_per_yr"] = (table["served_loss"].to_numpy(dtype=float)
                                              / s.units.rate_factor("Mt/yr"))
        from chokepoint.workflows.shipment import display_unit

        for d in s.demands:  # each demand's own loss in its own display unit
            if f"loss_{d.id}" in table:
                u = display_unit(s, d)
                table[unit_column(f"loss_{d.id}", u)] = (
                    table[f"loss_{d.id}"].to_numpy(dtype=float) / s.units.rate_factor(u))
    cols = [col for col in RANK_ORDER if col in table]
    if not cols:  # redundancy alone: no alternative route first, then the longest detour
        cols = [col for col in table.columns if str(col).startswith("alt_diff_")]
    if cols:
        table = table.sort_values([*cols, "element"], ascending=[*([False] * len(cols)), True],
                                  kind="stable")
    table = table.reset_index(drop=True)
    table.insert(0, "rank", np.arange(1, len(table) + 1))
    return table


def criticality(
    s: Scenario,
    *,
    kind: str = "link",
    sources: Sequence[str] | None = None,
    sinks: Sequence[str] | None = None,
    measures: Sequence[str] = MEASURES,
    progress: StagedProgress | None = None,
    commodity: str | None = None,
) -> pd.DataFrame:
    """Rank every link, node or failure group of a scenario by what its failure costs.

    Parameters
    ----------
    s
        The scenario (its network is compiled once and reused).
    kind
        ``link``, ``node`` or ``group``.
    sources, sinks
        Terminals for the throughput loss on the whole network (default: the shipment, see
        :mod:`chokepoint.workflows.shipment`: the first commodity along its route rules, else
        ``[flow]``).
    measures
        Which of :data:`MEASURES` to compute (those without the data they need are skipped:
        no terminals, no demands, no transit times).
    progress
        Optional ``callback(measure, done, total)``.
    commodity
        The commodity whose throughput is measured (default: the first).

    Returns
    -------
    pandas.DataFrame
        One row per element with ``rank``, ``element``, ``kind``, ``name`` and the measures'
        columns (throughput in the base unit, in each report unit and in the shipment's
        display unit), ranked as :func:`finish` ranks. ``table.attrs["throughput"]`` says
        what the throughput columns measure (commodity, label, unit, column).
    """
    from chokepoint.workflows.shipment import shipment

    c = s.network.compiled
    sh = shipment(s, commodity=commodity, sources=sources, sinks=sinks)
    ms = applicable_measures(measures, kind=kind, terminals=bool(sh.sources and sh.sinks),
                             demands=bool(s.demands), timed=not np.isnan(c.time_h).any())
    table = criticality_table(c, kind=kind, measures=ms, sources=sh.sources, sinks=sh.sinks,
                              demands=list(s.demands), progress=progress, route=sh.commodity)
    out = finish(s, table, kind, unit=sh.unit)
    if "throughput" in ms:
        col = (unit_column("throughput_loss", sh.unit) if s.units.base != "unit"
               else "throughput_loss")
        out.attrs["throughput"] = {"commodity": sh.commodity.id if sh.commodity else None,
                                   "label": sh.label, "unit": sh.unit, "column": col,
                                   "sources": sh.sources, "sinks": sh.sinks}
    return out
