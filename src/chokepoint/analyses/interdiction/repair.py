"""How long an attacked element stays closed: its repair time in days.

An element's ``repair_days`` (a column of ``Network.links`` / ``Network.nodes`` when the
scenario gives it) wins. Elements without a figure use a default per structure kind, a
**labelled assumption** (documented in ``docs/algorithms/interdiction.md``): a plain line
section 2 days (track relaid after a blast), a tunnel 3 days (the order of the Severomuysky
tunnel's reopening after the 2023 blast, used here as a planning figure, not as a fact about
other tunnels), a bridge or viaduct 30 days, a port 60 days, anything else (and every node)
7 days. A failure group takes the longest repair time of its members (it reopens when all of
them have).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from chokepoint.network import Network

__all__ = ["DEFAULT_REPAIR_DAYS_BY_STRUCTURE", "NODE_REPAIR_DAYS", "repair_days"]

#: Assumed repair days per link ``structure`` when the scenario gives none (see module doc).
DEFAULT_REPAIR_DAYS_BY_STRUCTURE: dict[str, float] = {
    "none": 2.0, "tunnel": 3.0, "bridge": 30.0, "viaduct": 30.0, "port": 60.0, "other": 7.0}
#: Assumed repair days of a node (a station, yard or port node) without a figure.
NODE_REPAIR_DAYS = 7.0


def _column(frame: pd.DataFrame, default: np.ndarray) -> np.ndarray:
    if "repair_days" not in frame.columns:
        return default
    given = pd.to_numeric(frame["repair_days"], errors="coerce").to_numpy(dtype=float)
    return np.where(np.isnan(given), default, given)


def repair_days(network: Network, kind: str) -> dict[str, float]:
    """Repair days per element id of ``kind`` (link, node or group); O(elements)."""
    lk, nd = network.links, network.nodes
    by_structure = lk["structure"].map(DEFAULT_REPAIR_DAYS_BY_STRUCTURE).fillna(
        DEFAULT_REPAIR_DAYS_BY_STRUCTURE["other"]).to_numpy(dtype=float)
    link_days = _column(lk, by_structure)
    node_days = _column(nd, np.full(len(nd), NODE_REPAIR_DAYS))
    if kind == "link":
        return dict(zip(map(str, lk["id"]), link_days.tolist(), strict=True))
    if kind == "node":
        return dict(zip(map(str, nd["id"]), node_days.tolist(), strict=True))
    members = pd.concat([pd.DataFrame({"group": lk["group"], "days": link_days}),
                         pd.DataFrame({"group": nd["group"], "days": node_days})])
    members = members[members["group"] != ""]
    agg = members.groupby("group", sort=False)["days"].max()
    return {str(g): float(v) for g, v in agg.items()}
