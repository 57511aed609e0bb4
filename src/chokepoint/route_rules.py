"""Commodity route rules: which arcs a commodity may use and which stops it must make.

A commodity of a scenario may carry route constraints (``docs/scenario-format.md``):

* ``via``: nodes it must pass, in order. The route is then a chain of *legs*
  ``origin → via₁ → … → destination``; every leg carries the commodity's whole flow, and the
  legs share arc capacity (a leg's flow enters the via node's handling once: leg ``i`` ends at
  the via node's out-vertex and leg ``i + 1`` starts there).
* ``allowed_modes`` / ``allowed_links``: if given, only links of those modes / only those links;
* ``forbidden_links``: links it may never use.

Node handling arcs are always allowed (a node is forbidden by forbidding its links). This module
belongs to the model layer so that loading a scenario can check that every leg is reachable;
every analysis takes the mask and the legs from :func:`commodity_route`. Cost: O(m) per call.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    from chokepoint.compiled import CompiledNetwork
    from chokepoint.scenario import Demand

__all__ = ["CommodityRoute", "commodity_route", "excluded_links"]


@dataclass(frozen=True)
class CommodityRoute:
    """The route rules of one commodity resolved on a compiled network.

    Attributes
    ----------
    demand_id
        The commodity (or background flow).
    arc_mask
        ``bool`` per arc: the arcs the commodity may use.
    stops
        Origin, via nodes, destination.
    legs
        ``(from, to)`` node ids of each leg.
    leg_vertices
        ``(start vertex, end vertex)`` of each leg in the compiled network.
    """

    demand_id: str
    arc_mask: np.ndarray
    stops: tuple[str, ...]
    legs: tuple[tuple[str, str], ...]
    leg_vertices: tuple[tuple[int, int], ...]

    @property
    def constrained(self) -> bool:
        """True when the route is anything other than free routing origin → destination."""
        return len(self.legs) > 1 or not bool(self.arc_mask.all())

    @property
    def removed_arcs(self) -> np.ndarray:
        """Indices of the arcs the commodity may not use."""
        return np.flatnonzero(~self.arc_mask)

    @property
    def label(self) -> str:
        """``id: origin → via … → destination``."""
        return f"{self.demand_id}: " + " → ".join(self.stops)


def excluded_links(link_ids: np.ndarray, link_modes: np.ndarray, *,
                   allowed_modes: tuple[str, ...] | list[str] = (),
                   allowed_links: tuple[str, ...] | list[str] = (),
                   forbidden_links: tuple[str, ...] | list[str] = ()) -> tuple[str, ...]:
    """Link ids a commodity may not use under its mode and link rules (vectorised, O(m))."""
    ids = np.asarray(link_ids, dtype=object)
    bad = np.zeros(len(ids), dtype=bool)
    if allowed_modes:
        bad |= ~np.isin(np.asarray(link_modes, dtype=object).astype(str), list(allowed_modes))
    if allowed_links:
        bad |= ~np.isin(ids.astype(str), list(allowed_links))
    if forbidden_links:
        bad |= np.isin(ids.astype(str), list(forbidden_links))
    return tuple(str(x) for x in ids[bad])


def commodity_route(c: CompiledNetwork, demand: Demand) -> CommodityRoute:
    """Resolve a commodity's route rules into an arc mask and legs.

    Parameters
    ----------
    c
        The compiled network.
    demand
        A :class:`~chokepoint.scenario.Demand`; its ``excluded_links`` (filled when a scenario is
        loaded, from ``allowed_modes``) and its ``allowed_links`` / ``forbidden_links`` are
        applied.

    Returns
    -------
    CommodityRoute
    """
    n_links = len(c.link_ids)
    bad = np.zeros(n_links, dtype=bool)
    idx = c.link_index
    for lid in (*demand.excluded_links, *demand.forbidden_links):
        if lid in idx:
            bad[idx[lid]] = True
    if demand.allowed_links:
        keep = np.zeros(n_links, dtype=bool)
        keep[[idx[x] for x in demand.allowed_links if x in idx]] = True
        bad |= ~keep
    mask = np.ones(c.n_arcs, dtype=bool)
    link_arc = c.arc_link >= 0
    mask[link_arc] = ~bad[c.arc_link[link_arc]]
    stops = (demand.origin, *demand.via, demand.destination)
    legs = tuple(itertools.pairwise(stops))
    starts = [int(c.vertices([demand.origin], side="in")[0]),
              *(int(v) for v in c.vertices(list(demand.via), side="out"))] if demand.via else [
        int(c.vertices([demand.origin], side="in")[0])]
    ends = [*(int(v) for v in c.vertices(list(demand.via), side="out")),
            int(c.vertices([demand.destination], side="out")[0])]
    return CommodityRoute(demand_id=demand.id, arc_mask=mask, stops=stops, legs=legs,
                          leg_vertices=tuple(zip(starts, ends, strict=True)))
