"""OpenStreetMap ``.osm.pbf`` import with pyosmium.

:func:`read_osm` reads railway lines (``railway=rail`` by default; add ``subway``, ``tram``,
``light_rail``, ``narrow_gauge`` with ``railway=``) with their ``usage``, ``service``,
``tunnel``, ``bridge``, ``tracks``, ``electrified``, ``gauge``, ``maxspeed``, ``name`` and
``layer`` tags; stations, halts and yards as nodes; ports and harbours as nodes; and
optionally roads. The topology comes from :func:`chokepoint.io.topology.lines_to_network`:
ways join where they share a vertex, and a tunnel or bridge never joins a line passing over
or under it. The tracks of one tunnel or bridge (parallel ways, or consecutive pieces) form
one failure group, so they fail together.

Needs the ``osm`` extra (``pip install osmium``).
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from chokepoint.errors import InputError, require
from chokepoint.io.topology import ImportReport, Progress, lines_to_network
from chokepoint.network import Network

__all__ = ["RAIL_TAGS", "ROAD_CLASSES", "read_osm"]

#: Way tags kept as link attributes.
RAIL_TAGS = ("name", "usage", "service", "tunnel", "bridge", "tracks", "electrified", "gauge",
             "maxspeed", "layer", "tunnel:name", "bridge:name", "railway", "highway", "ref",
             "oneway")
#: ``highway`` values imported with ``roads=True``.
ROAD_CLASSES = ("motorway", "trunk", "primary", "secondary", "motorway_link", "trunk_link",
                "primary_link", "secondary_link")
_STATION = {"station": "station", "halt": "station", "yard": "yard"}


def read_osm(
    path: str | Path,
    *,
    bbox: Sequence[float] | None = None,
    roads: bool = False,
    progress: Progress | None = None,
    railway: Sequence[str] = ("rail",),
    tolerance_m: float = 0.5,
    station_tolerance_m: float = 300.0,
    attribute_table: Any = None,
    strict: bool = False,
    merge: bool = True,
) -> tuple[Network, ImportReport]:
    """Import an ``.osm.pbf`` (or ``.osm``) file as a network.

    Parameters
    ----------
    path
        The OSM file.
    bbox
        ``(minlon, minlat, maxlon, maxlat)``: keep ways that touch this box.
    roads
        Also import roads of :data:`ROAD_CLASSES`.
    progress
        ``callback(step, done, total)``.
    railway
        ``railway=*`` values to import as rail.
    tolerance_m
        Snapping tolerance (OSM ways join on shared nodes, so this can be small).
    station_tolerance_m
        How far a station, yard or port node may be from a track to be put on it.
    attribute_table, strict, merge
        See :func:`~chokepoint.io.topology.lines_to_network`. OSM tags are messy, so the
        default is lenient: unreadable tags are reported, not fatal.

    Returns
    -------
    (Network, ImportReport)
        ``report.counts`` adds ``osm_ways``, ``osm_tunnel_ways``, ``osm_bridge_ways`` and
        ``osm_nodes`` (stations, yards, ports); ``report.structures`` maps each tunnel or
        bridge group to its links.
    """
    p = Path(path)
    if not p.exists():
        raise InputError("no such file", source=p)
    osmium: Any = require("osmium", "osm")
    shapely: Any = require("shapely", "geo")
    gpd: Any = require("geopandas", "geo")
    rail_set = set(railway)
    road_set = set(ROAD_CLASSES) if roads else set()
    keys = ["railway", "harbour", "landuse", "industrial", "seamark:type"]
    if roads:
        keys.append("highway")
    way_ids: list[int] = []
    way_coords: list[list[tuple[float, float]]] = []
    way_tags: list[dict[str, str]] = []
    pt_rows: list[dict[str, Any]] = []
    port_ways: list[tuple[int, str, list[tuple[float, float]]]] = []
    n_obj = 0
    short: list[str] = []
    try:
        fp = osmium.FileProcessor(str(p)).with_locations().with_filter(
            osmium.filter.KeyFilter(*keys))
        for obj in fp:
            n_obj += 1
            if progress is not None and n_obj % 20000 == 0:
                progress("osm: reading", n_obj, n_obj)
            tags = obj.tags
            if obj.is_way():
                rw = tags.get("railway")
                hw = tags.get("highway")
                is_port = _is_port(tags)
                if rw not in rail_set and hw not in road_set and not is_port:
                    continue
                try:
                    coords = [(nd.lon, nd.lat) for nd in obj.nodes]
                except osmium.InvalidLocationError:
                    coords = [(nd.lon, nd.lat) for nd in obj.nodes if nd.location.valid()]
                if is_port and rw not in rail_set and hw not in road_set:
                    port_ways.append((obj.id, tags.get("name", ""), coords))
                    continue
                if len(coords) < 2:
                    short.append(f"way/{obj.id}")
                    continue
                way_ids.append(obj.id)
                way_coords.append(coords)
                way_tags.append({k: tags[k] for k in RAIL_TAGS if k in tags})
            elif obj.is_node():
                rw = tags.get("railway")
                kind = _STATION.get(rw or "") or ("port" if _is_port(tags) else None)
                if kind is None or not obj.location.valid():
                    continue
                pt_rows.append({"id": f"node/{obj.id}", "name": tags.get("name", ""),
                                "kind": kind, "lon": obj.location.lon,
                                "lat": obj.location.lat})
    except (RuntimeError, ValueError, OSError) as e:  # libosmium I/O and format errors
        raise InputError(f"cannot read OSM data: {e}", source=p) from None
    for wid, name, coords in port_ways:
        if coords:
            c = np.asarray(coords, dtype=float)
            pt_rows.append({"id": f"way/{wid}", "name": name, "kind": "port",
                            "lon": float(c[:, 0].mean()), "lat": float(c[:, 1].mean())})
    if not way_ids:
        want = ", ".join(sorted(rail_set | road_set))
        raise InputError(f"no ways with railway={want} in the file"
                         + (" (inside the bbox)" if bbox else ""), source=p)
    counts = np.fromiter((len(c) for c in way_coords), dtype=np.int64, count=len(way_coords))
    flat = np.fromiter((v for c in way_coords for xy in c for v in xy), dtype=float,
                       count=int(counts.sum()) * 2).reshape(-1, 2)
    geoms = shapely.linestrings(flat, indices=np.repeat(np.arange(len(counts)), counts))
    frame = pd.DataFrame(way_tags, columns=list(RAIL_TAGS))
    frame.insert(0, "osm_id", [f"way/{w}" for w in way_ids])
    frame["mode"] = np.where(frame["railway"].isin(list(rail_set)), "rail", "road")
    frame["direction"] = np.where((frame["mode"] == "road") &
                                  frame["oneway"].isin(["yes", "1", "true"]), "forward", "both")
    gdf = gpd.GeoDataFrame(frame, geometry=geoms, crs="EPSG:4326")
    pts = gpd.GeoDataFrame(pd.DataFrame(pt_rows, columns=["id", "name", "kind", "lon", "lat"]),
                           geometry=shapely.points(
                               np.array([r["lon"] for r in pt_rows], dtype=float),
                               np.array([r["lat"] for r in pt_rows], dtype=float)),
                           crs="EPSG:4326") if pt_rows else None
    if bbox is not None:
        box = shapely.box(*bbox)
        gdf = gdf.loc[shapely.intersects(gdf.geometry.to_numpy(), box)]
        if pts is not None:
            pts = pts.loc[shapely.intersects(pts.geometry.to_numpy(), box)]
            pts = pts if len(pts) else None
        if len(gdf) == 0:
            raise InputError("no railway ways inside the bbox", source=p)
    if pts is not None:
        pts = pts.drop(columns=["lon", "lat"]).reset_index(drop=True)
    gdf = gdf.reset_index(drop=True)
    gdf.index = gdf["osm_id"].to_numpy()
    tunnel = gdf["tunnel"].notna() & gdf["tunnel"].ne("no")
    bridge = gdf["bridge"].notna() & gdf["bridge"].ne("no")
    net, report = lines_to_network(
        gdf, nodes=pts, tolerance_m=tolerance_m, node_tolerance_m=station_tolerance_m,
        attribute_table=attribute_table, strict=strict, merge=merge, layer="ways",
        nodes_layer="nodes", source=p, name=p.name.split(".")[0], id_column="osm_id",
        progress=progress)
    report.add_many(short, "fewer than 2 nodes with a location (clipped extract?)",
                    "dropped", layer="ways")
    report.counts["osm_ways_without_geometry"] = len(short)
    report.counts["osm_ways"] = len(gdf)
    report.counts["osm_rail_ways"] = int((gdf["mode"] == "rail").sum())
    report.counts["osm_tunnel_ways"] = int(tunnel.sum())
    report.counts["osm_bridge_ways"] = int(bridge.sum())
    report.counts["osm_nodes"] = 0 if pts is None else len(pts)
    return net, report


def _is_port(tags: Any) -> bool:
    return bool(tags.get("harbour") in ("yes", "port") or tags.get("landuse") == "port"
                or tags.get("industrial") == "port" or tags.get("seamark:type") == "harbour")
