"""The criticality ranking of a scenario: every element's cost of failure, in one table.

Joins the per-element analyses — throughput loss between the scenario's terminals
(:mod:`~chokepoint.analyses.criticality_flow`), served demand lost with all traffic competing
(:func:`~chokepoint.analyses.criticality.served_criticality`), detours of the scenario's
origin–destination pairs (:func:`~chokepoint.analyses.criticality.detour_criticality`) and,
for links, RA2CE-style redundancy (:mod:`~chokepoint.analyses.redundancy`) — and ranks them.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence

import numpy as np
import pandas as pd

from chokepoint.scenario import Scenario

__all__ = ["MEASURES", "criticality", "unit_column"]

MEASURES = ("throughput", "served", "detour", "redundancy")


def unit_column(prefix: str, unit: str) -> str:
    """A column name for a value in ``unit``: ``throughput_loss_TEU_per_day``."""
    return f"{prefix}_" + re.sub(r"\W+", "_", unit.replace("/", "_per_")).strip("_")


def criticality(
    s: Scenario,
    *,
    kind: str = "link",
    sources: Sequence[str] | None = None,
    sinks: Sequence[str] | None = None,
    measures: Sequence[str] = MEASURES,
    progress: Callable[[str, int, int], None] | None = None,
) -> pd.DataFrame:
    """Rank every link, node or failure group of a scenario by what its failure costs.

    Parameters
    ----------
    s
        The scenario (its network is compiled once and reused).
    kind
        ``link``, ``node`` or ``group``.
    sources, sinks
        Terminals for the throughput loss (default: ``[flow]``, else the first commodity).
    measures
        Which of :data:`MEASURES` to compute (those without the data they need are skipped:
        no terminals, no demands, no transit times).
    progress
        Optional ``callback(measure, done, total)``.

    Returns
    -------
    pandas.DataFrame
        One row per element with ``element``, ``kind``, ``name`` and the measures' columns
        (throughput in the base unit and in each report unit), ranked: ``rank`` 1 is the most
        critical (largest priority-weighted served-demand loss — the corridor-wide view — then
        throughput loss, then pairs cut, then the longest detour).
    """
    net = s.network
    c = net.compiled
    sources, sinks = s.terminals(sources, sinks)

    def cb(name: str) -> Callable[[int, int], None] | None:
        return None if progress is None else (lambda d, t: progress(name, d, t))

    from chokepoint.analyses.criticality import element_arcs

    ids, _ = element_arcs(c, kind)
    table = pd.DataFrame({"element": ids, "kind": kind})
    table["name"] = net.names(ids)  # one vectorised lookup, not one describe per element
    if kind == "link":
        extra = net.links.set_index("id").loc[ids, ["from", "to", "mode", "structure", "group",
                                                    "length_km", "time_h"]]
        table = pd.concat([table, extra.reset_index(drop=True)], axis=1)
    sort_cols: list[str] = []  # filled as measures are computed; ordered below
    if "throughput" in measures and sources and sinks:
        from chokepoint.analyses.criticality_flow import throughput_criticality

        tc = throughput_criticality(c, sources, sinks, kind=kind, progress=cb("throughput"))
        tc = tc.rename(columns={"intact": "throughput", "without": "throughput_without",
                                "loss": "throughput_loss", "loss_rel": "throughput_loss_rel",
                                "flow": "throughput_flow", "method": "throughput_method"})
        table = table.merge(tc.drop(columns=["kind"]), on="element", how="left")
        if s.units.base != "unit":
            for u in s.units.report_units:
                table[unit_column("throughput_loss", u)] = (
                    table["throughput_loss"].to_numpy(dtype=float) / s.units.rate_factor(u))
        sort_cols.append("throughput_loss")
    if "served" in measures and s.demands:
        from chokepoint.analyses.criticality import served_criticality

        sc = served_criticality(c, s.demands, kind=kind, progress=cb("served"))
        table = table.merge(sc.drop(columns=["kind"]), on="element", how="left")
        if s.units.base != "unit":
            table["served_loss_Mt_per_yr"] = (table["served_loss"].to_numpy(dtype=float)
                                              / s.units.rate_factor("Mt/yr"))
        sort_cols.append("objective_loss")
    timed = not np.isnan(c.time_h).any()
    pairs = [(d.origin, d.destination) for d in s.demands]
    if "detour" in measures and pairs and timed:
        from chokepoint.analyses.criticality import detour_criticality

        dc = detour_criticality(c, pairs, kind=kind, progress=cb("detour"))
        dc = dc.rename(columns={"max_increase": "detour_max_increase_h",
                                "total_increase": "detour_total_increase_h"})
        table = table.merge(dc.drop(columns=["kind"]), on="element", how="left")
        sort_cols += ["pairs_cut", "detour_max_increase_h"]
    if "redundancy" in measures and kind == "link":
        weight = "time_h" if timed else ("length_km" if not np.isnan(c.length_km).any()
                                         else "hops")
        from chokepoint.analyses.redundancy import link_redundancy

        rd = link_redundancy(c, weight=weight, progress=cb("redundancy"))
        keep = rd[["link", "alt_weight", "diff", "detour"]].rename(columns={
            "link": "element", "alt_weight": f"alt_{weight}", "diff": f"alt_diff_{weight}",
            "detour": "has_alternative"})
        table = table.merge(keep, on="element", how="left")
    order = ["objective_loss", "throughput_loss", "pairs_cut", "detour_max_increase_h"]
    sort_cols = [col for col in order if col in sort_cols]
    if sort_cols:
        table = table.sort_values([*sort_cols, "element"],
                                  ascending=[*([False] * len(sort_cols)), True], kind="stable")
    table = table.reset_index(drop=True)
    table.insert(0, "rank", np.arange(1, len(table) + 1))
    return table
