"""Criticality of every element: served demand lost and detours, and the combined ranking.

Throughput loss (max flow without the element) lives in
:mod:`chokepoint.analyses.criticality_flow`; RA2CE-style single-link redundancy in
:mod:`chokepoint.analyses.redundancy`. This module adds the corridor-wide view — how much
priority-weighted served demand the multi-commodity LP loses without each element — and the
detour view for the scenario's origin–destination pairs, and joins them into one table.

Both use the same exactness argument as the throughput analysis: an element that carries
nothing in one optimal solution cannot make the optimum worse (that solution stays feasible),
and an element off every fastest route cannot lengthen any of them (the route survives). Only
the remaining elements are recomputed, on the one compiled network.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd
from scipy.sparse.csgraph import dijkstra

from chokepoint.analyses.criticality_flow import element_arcs as _element_arcs_csr
from chokepoint.analyses.routes import fastest_route
from chokepoint.analyses.served import served_amounts, served_demand
from chokepoint.compiled import CompiledNetwork
from chokepoint.progress import Progress
from chokepoint.scenario import Demand

__all__ = ["detour_criticality", "element_arcs", "served_criticality"]



def element_arcs(c: CompiledNetwork, kind: str, elements: Sequence[str] | None = None
                 ) -> tuple[list[str], list[np.ndarray]]:
    """Element ids of ``kind`` (link|node|group) and the arcs each one takes down, as a list
    (a view of :func:`~chokepoint.analyses.criticality_flow.element_arcs`)."""
    ids, ptr, arcs = _element_arcs_csr(c, kind, elements)
    return list(ids), [arcs[ptr[i]:ptr[i + 1]] for i in range(len(ids))]


def served_criticality(
    c: CompiledNetwork,
    demands: list[Demand],
    *,
    kind: str = "link",
    elements: Sequence[str] | None = None,
    progress: Progress | None = None,
) -> pd.DataFrame:
    """Priority-weighted served demand lost when each element fails.

    Solves the served-demand LP (:func:`~chokepoint.analyses.served_demand`) once; every
    element that carries no flow in that optimum loses nothing (the optimum stays feasible);
    the others are re-solved with the element removed. Cost: one LP per loaded element.

    Returns
    -------
    pandas.DataFrame
        ``element``, ``kind``, ``served`` (total served without it), ``served_loss``,
        ``objective_loss`` (priority-weighted), ``served_loss_rel``, and ``loss_<demand id>``
        per demand (unique: the LP rations equal priorities max-min fairly, and each demand
        keeps its route rules), sorted by objective loss.
    """
    ids, arcs = element_arcs(c, kind, elements)
    base = served_demand(c, demands, fastest=False)
    load = base.arc_load
    served0 = base.demands["served"].to_numpy()
    prio = np.array([d.priority for d in demands])
    rows = []
    for i, (e, a) in enumerate(zip(ids, arcs, strict=True)):
        if progress is not None and i % 16 == 0:
            progress(i, len(ids))
        if len(a) == 0 or np.all(load[a] <= 1e-9):
            served = served0
        else:
            served = served_amounts(c, demands, removed=a)
        loss = np.maximum(served0 - served, 0.0)
        row: dict[str, object] = {
            "element": e, "kind": kind, "served": float(served.sum()),
            "served_loss": float(served0.sum() - served.sum()),
            "objective_loss": float(prio @ (served0 - served)),
        }
        row.update({f"loss_{d.id}": float(x) for d, x in zip(demands, loss, strict=True)})
        rows.append(row)
    if progress is not None:
        progress(len(ids), len(ids))
    df = pd.DataFrame(rows)
    total = float(served0.sum())
    df["served_loss_rel"] = df["served_loss"] / total if total > 0 else 0.0
    return df.sort_values(["objective_loss", "element"], ascending=[False, True],
                          kind="stable").reset_index(drop=True)


def detour_criticality(
    c: CompiledNetwork,
    pairs: Sequence[tuple[str, str]],
    *,
    kind: str = "link",
    elements: Sequence[str] | None = None,
    weight: str = "time_h",
    progress: Progress | None = None,
    forbidden: Sequence[np.ndarray] | None = None,
) -> pd.DataFrame:
    """Fastest-route increase for each origin–destination pair when each element fails.

    Only elements on a pair's current fastest route can lengthen it; for those, one Dijkstra
    from the origin with the element removed answers every destination of that origin (with
    the same forbidden arcs) at once (scipy.sparse.csgraph, O((n + m) log n) each).
    ``forbidden`` gives, per pair, the arcs its route rules forbid
    (:attr:`~chokepoint.route_rules.CommodityRoute.removed_arcs`): its routes and detours
    avoid them.

    Returns
    -------
    pandas.DataFrame
        ``element``, ``kind``, ``pairs_affected``, ``pairs_cut`` (count), ``cut_pairs``
        (``"o>d"`` joined by ``;``), ``max_increase`` and ``total_increase`` (over pairs
        still connected, in the weight's unit), sorted by cut pairs then max increase.
    """
    ids, arcs = element_arcs(c, kind, elements)
    w = c.weights(weight)
    empty = np.zeros(0, dtype=np.int64)
    given = list(forbidden) if forbidden is not None else [empty] * len(pairs)
    forb = {(str(o), str(d)): np.asarray(f, dtype=np.int64)
            for (o, d), f in zip(pairs, given, strict=True)}
    pairs = list(forb)
    routes = {p: fastest_route(c, p[0], p[1], weight=weight, removed=forb[p]) for p in pairs}
    on_route = np.zeros((len(pairs), c.n_arcs), dtype=bool)
    for j, p in enumerate(pairs):
        on_route[j, routes[p].arcs] = True
    by_origin: dict[tuple[str, bytes], list[int]] = {}
    for j, p in enumerate(pairs):
        by_origin.setdefault((p[0], forb[p].tobytes()), []).append(j)
    rows = []
    for i, (e, a) in enumerate(zip(ids, arcs, strict=True)):
        if progress is not None and i % 64 == 0:
            progress(i, len(ids))
        hit = set((np.flatnonzero(on_route[:, a].any(axis=1)) if len(a) else empty).tolist())
        cut: list[str] = []
        incs: list[float] = []
        for (o, _), group in by_origin.items():
            js = [j for j in group if j in hit]
            if not js:
                continue
            graph = c.csr(w, removed=np.union1d(a, forb[pairs[js[0]]]))
            dist = dijkstra(graph, directed=True, indices=int(c.vertices([o], side="in")[0]))
            for j in js:
                d = pairs[j][1]
                new = float(dist[int(c.vertices([d], side="out")[0])])
                if np.isfinite(new):
                    incs.append(new - routes[pairs[j]].cost)
                else:
                    cut.append(f"{o}>{d}")
        rows.append({"element": e, "kind": kind, "pairs_affected": len(hit),
                     "pairs_cut": len(cut), "cut_pairs": ";".join(cut),
                     "max_increase": max(incs, default=0.0),
                     "total_increase": float(sum(incs))})
    if progress is not None:
        progress(len(ids), len(ids))
    df = pd.DataFrame(rows)
    return df.sort_values(["pairs_cut", "max_increase", "element"],
                          ascending=[False, False, True], kind="stable").reset_index(drop=True)
