"""Built-in scenarios shipped with the package."""

from __future__ import annotations

import importlib.util
import json
from importlib import resources
from pathlib import Path

import pandas as pd

from chokepoint.scenario import Scenario

__all__ = ["BUILTIN", "builtin_geometry", "builtin_path", "load_builtin"]

BUILTIN = {"corridor": "corridor.toml"}
#: Track geometry of a built-in scenario's links, derived by
#: ``scripts/derive_corridor_geometry.py`` (rail: © OpenStreetMap contributors, ODbL 1.0).
GEOMETRY = {"corridor": "corridor_geometry.geojson"}


def builtin_path(name: str = "corridor") -> Path:
    """Path of a built-in scenario file (``corridor``: Rajin → Dunai → Tikhoretsk)."""
    ref = resources.files(__name__) / BUILTIN[name]
    return Path(str(ref))


def builtin_geometry(name: str = "corridor") -> dict[str, list[list[float]]]:
    """Link id → track course (``[[lon, lat], ...]``) of a built-in scenario, as derived
    from the OSM world railway graph (links without a match are absent)."""
    file = GEOMETRY.get(name)
    if file is None:
        return {}
    data = json.loads((resources.files(__name__) / file).read_text(encoding="utf-8"))
    return {str(f["properties"]["id"]): f["geometry"]["coordinates"] for f in data["features"]}


def load_builtin(name: str = "corridor") -> Scenario:
    """Load a built-in scenario; with shapely installed (the ``geo`` extra) its links carry
    their track geometry (:func:`builtin_geometry`) in a ``geometry`` column."""
    from chokepoint.io.scenario_file import read_scenario

    s = read_scenario(builtin_path(name))
    courses = builtin_geometry(name)
    if courses and importlib.util.find_spec("shapely") is not None:
        import shapely

        links = s.network.links
        ends = dict(zip(links["id"].astype(str), zip(links["from"].astype(str),
                                                      links["to"].astype(str), strict=True),
                        strict=True))
        want = dict(zip(links["id"].astype(str), links["length_km"].to_numpy(dtype=float),
                        strict=True))
        geom = [shapely.linestrings(courses[i]) if i in courses and _same_ends(
            courses[i], ends[i], s) and _close_length(courses[i], want[i]) else None
            for i in links["id"].astype(str)]
        s.network.links = links.assign(geometry=pd.Series(geom, index=links.index,
                                                          dtype=object))
    return s


#: A stored course is used only when its length is within this factor of the link's
#: ``length_km`` (either way) — the tolerance the derivation script matched with.
TOLERANCE = 1.35


def _close_length(course: list[list[float]], length_km: float) -> bool:
    import numpy as np

    xy = np.radians(np.asarray(course, dtype=float))
    lon, lat = xy[:, 0], xy[:, 1]
    a = (np.sin(np.diff(lat) / 2) ** 2
         + np.cos(lat[:-1]) * np.cos(lat[1:]) * np.sin(np.diff(lon) / 2) ** 2)
    km = float(2 * 6371.0088 * np.arcsin(np.sqrt(np.clip(a, 0, 1))).sum())
    return bool(length_km > 0 and 1 / TOLERANCE <= km / length_km <= TOLERANCE)


def _same_ends(course: list[list[float]], ends: tuple[str, str], s: Scenario) -> bool:
    """Whether a stored course still starts and ends at the link's nodes (within ~1 km), so
    a stale geometry file never draws a link somewhere else."""
    nodes = s.network.nodes
    pos = dict(zip(nodes["id"].astype(str), zip(nodes["lon"].to_numpy(dtype=float),
                                                 nodes["lat"].to_numpy(dtype=float),
                                                 strict=True), strict=True))
    a, b = ends
    if a not in pos or b not in pos:
        return False
    tol = 0.01
    return (abs(course[0][0] - pos[a][0]) < tol and abs(course[0][1] - pos[a][1]) < tol
            and abs(course[-1][0] - pos[b][0]) < tol and abs(course[-1][1] - pos[b][1]) < tol)
