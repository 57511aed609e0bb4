"""Link lengths of the built-in corridor are consistent with its node positions.

Every link is at least as long as the great circle between its end nodes, and at most a
detour factor longer: 1.6 for a line (``docs/corridor-sources.md``, *Geometry*), or the
documented factor of the few links that wind far more than that.
"""

from __future__ import annotations

import math

import numpy as np

from chokepoint.data import load_builtin

#: Default largest length / great-circle ratio of a link.
MAX_DETOUR = 1.6
#: Documented exceptions (see docs/corridor-sources.md, Geometry).
EXCEPTIONS = {
    "irkutsk_ulan_ude": 2.0,         # round the southern tip of Lake Baikal
    "sev_bypass_west": 4.0,          # mountain bypass climbing in loops (F14: 20 per mille)
    "novy_urgal_komsomolsk": 1.7,    # F27's 521 km along the Amgun and Gorin valleys
    "devils_bridge": math.pi / 2 * 1.05,  # a semicircular viaduct (F15) on its chord
}
#: Links whose end has no surveyed position (drawn at a stand-in): only the lower bound holds.
NO_POSITION = {"tikhoretsk_depot_spur"}  # the depot is drawn at Tikhoretsk (docs)
#: Node coordinates are given to ~1e-4 degrees (~10 m).
SLACK_KM = 0.02


def _great_circle_km(lat1: np.ndarray, lon1: np.ndarray, lat2: np.ndarray,
                     lon2: np.ndarray) -> np.ndarray:
    p1, p2, dl = np.radians(lat1), np.radians(lat2), np.radians(lon2 - lon1)
    h = np.sin((p2 - p1) / 2) ** 2 + np.cos(p1) * np.cos(p2) * np.sin(dl / 2) ** 2
    return 2 * 6371.0088 * np.arcsin(np.sqrt(h))


def test_links_are_at_least_their_great_circle_and_within_the_detour_factor() -> None:
    s = load_builtin()
    nodes = s.network.nodes.set_index("id")
    links = s.network.links
    a, b = nodes.loc[links["from"]], nodes.loc[links["to"]]
    gc = _great_circle_km(a["lat"].to_numpy(), a["lon"].to_numpy(), b["lat"].to_numpy(),
                          b["lon"].to_numpy())
    length = links["length_km"].to_numpy(dtype=float)
    assert np.isfinite(gc).all()
    assert np.isfinite(length).all()
    for lid, g, L in zip(links["id"], gc, length, strict=True):
        assert g - SLACK_KM <= L, f"{lid}: {L} km is shorter than the great circle {g:.1f} km"
        if lid in NO_POSITION:
            continue
        limit = EXCEPTIONS.get(lid, MAX_DETOUR)
        assert g * limit + SLACK_KM >= L, f"{lid}: {L} km vs great circle {g:.1f} km"


def test_exceptions_are_still_needed() -> None:
    """An exception that no longer needs its factor is removed from the list."""
    s = load_builtin()
    nodes = s.network.nodes.set_index("id")
    links = s.network.links.set_index("id")
    for lid in EXCEPTIONS:
        r = links.loc[lid]
        a, b = nodes.loc[r["from"]], nodes.loc[r["to"]]
        g = float(_great_circle_km(a["lat"], a["lon"], b["lat"], b["lon"]))
        assert r["length_km"] > g * MAX_DETOUR * 0.99 or lid == "devils_bridge", lid


def test_the_bypass_leaves_and_rejoins_at_the_tunnel_portals() -> None:
    s = load_builtin()
    links = s.network.links.set_index("id")
    chain = ["sev_bypass_west", "devils_bridge", "sev_bypass_east"]
    assert links.loc[chain[0], "from"] == links.loc["severomuysky_tunnel", "from"]
    assert links.loc[chain[-1], "to"] == links.loc["severomuysky_tunnel", "to"]
    total = float(links.loc[chain, "length_km"].sum())
    assert total == 54.0  # F14: ~54 km
