"""Writing results: GeoJSON of a network and per-element tables (CSV, GeoPackage, GeoJSON,
Shapefile, GeoParquet).

Every file is written atomically (temporary file, then rename). What a workflow writes (a
briefing's files) lives in :mod:`chokepoint.workflows.files`.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from chokepoint.io.write import atomic_path, to_jsonable, write_csv
from chokepoint.network import Network

__all__ = ["element_geodataframe", "geojson_links", "geojson_nodes", "write_table"]


def geojson_nodes(net: Network) -> dict[str, Any]:
    """Nodes as a GeoJSON FeatureCollection (EPSG:4326); nodes without coordinates skipped."""
    feats = []
    for rec in net.nodes.to_dict("records"):
        if not (np.isfinite(rec["lon"]) and np.isfinite(rec["lat"])):
            continue
        props = {k: v for k, v in rec.items() if k not in ("lon", "lat")}
        feats.append({"type": "Feature", "properties": to_jsonable(props),
                      "geometry": {"type": "Point", "coordinates": [rec["lon"], rec["lat"]]}})
    return {"type": "FeatureCollection", "features": feats}


def geojson_links(net: Network, table: pd.DataFrame) -> dict[str, Any]:
    """Links as LineStrings with the columns of ``table`` (joined on ``id``): the link's
    stored track geometry where it has one (GIS imports, the built-in corridor), else the
    straight line between its end nodes."""
    nodes = net.nodes.set_index("id")
    stored: dict[str, Any] = {}
    if "geometry" in net.links.columns:
        stored = {str(i): g for i, g in zip(net.links["id"], net.links["geometry"], strict=True)
                  if g is not None and hasattr(g, "coords")}
    feats = []
    for rec in table.to_dict("records"):
        g = stored.get(str(rec["id"]))
        if g is not None:
            coords = [[float(x), float(y)] for x, y, *_ in g.coords]
        else:
            a = nodes.loc[rec["from"]]
            b = nodes.loc[rec["to"]]
            coords = [[a["lon"], a["lat"]], [b["lon"], b["lat"]]]
        if not all(np.isfinite(x) for p in coords for x in p):
            continue
        feats.append({"type": "Feature", "properties": to_jsonable(rec),
                      "geometry": {"type": "LineString", "coordinates": coords}})
    return {"type": "FeatureCollection", "features": feats}


def element_geodataframe(table: pd.DataFrame, net: Network, *, kind: str) -> Any:
    """``table`` (with an ``element`` column of ``kind`` ids) as a GeoDataFrame in EPSG:4326.

    Links get their lines, nodes their points, failure groups the union of their members.
    """
    from chokepoint.errors import require

    gpd: Any = require("geopandas", "geo")
    shapely: Any = require("shapely", "geo")
    gnodes, glinks = net.to_geodataframes()
    if kind == "link":
        geom = glinks.set_index("id").geometry
    elif kind == "node":
        geom = gnodes.set_index("id").geometry
    else:
        members = pd.concat([glinks[["group", "geometry"]],
                             gnodes.loc[gnodes["group"] != "", ["group", "geometry"]]])
        members = members[members.geometry.notna()]
        geom = members.groupby("group")["geometry"].agg(
            lambda g: shapely.union_all(list(g)))
    values = [geom.get(e) for e in table["element"]]
    return gpd.GeoDataFrame(table.reset_index(drop=True), geometry=values, crs="EPSG:4326")


_DRIVERS = {".gpkg": "GPKG", ".geojson": "GeoJSON", ".json": "GeoJSON",
            ".shp": "ESRI Shapefile"}


def write_table(table: pd.DataFrame, path: str | Path, net: Network, *, kind: str,
                layer: str = "results", links: pd.DataFrame | None = None,
                columns: Callable[[str], str] | None = None) -> Path:
    """Write a per-element result table by suffix: ``.csv``; ``.gpkg``/``.geojson``/``.shp``
    (with geometry; a GeoPackage also gets ``nodes`` and ``links`` layers, links with their
    track geometry and, given ``links`` — a per-link result table with an ``id`` column
    such as a briefing's — its result columns); ``.parquet`` (GeoParquet). ``columns``
    renames the ``nodes`` and ``links`` layers' columns (as the caller names them in its
    other files). Written to a temporary file, then renamed."""
    from chokepoint.errors import InputError

    p = Path(path)
    suffix = p.suffix.lower()
    if suffix == ".csv":
        return write_csv(p, table)
    if suffix not in (*_DRIVERS, ".parquet"):
        raise InputError(f"unknown output kind {suffix!r} (use .csv, .gpkg, .geojson, .shp "
                         "or .parquet)", source=p)
    gdf = element_geodataframe(table, net, kind=kind)
    if suffix == ".parquet":
        with atomic_path(p) as tmp:
            gdf.to_parquet(tmp)
        return p
    if suffix == ".shp":  # several files: write them in a temporary folder, then move each
        import os
        import tempfile

        p.parent.mkdir(parents=True, exist_ok=True)
        with tempfile.TemporaryDirectory(dir=p.parent, prefix=f".{p.stem}.") as tmpdir:
            gdf.to_file(Path(tmpdir) / p.name, driver=_DRIVERS[suffix], engine="pyogrio")
            for part in Path(tmpdir).iterdir():
                os.replace(part, p.parent / part.name)
        return p
    with atomic_path(p) as tmp:
        tmp.unlink()
        gdf.to_file(tmp, layer=layer, driver=_DRIVERS[suffix], engine="pyogrio")
        if suffix == ".gpkg":
            gnodes, glinks = net.to_geodataframes()
            if links is not None and "id" in links.columns:
                extra = [c for c in links.columns if c not in glinks.columns]
                glinks = glinks.merge(links[["id", *extra]], on="id", how="left")
            if columns is not None:
                glinks, gnodes = (g.rename(columns={c: columns(str(c)) for c in g.columns
                                                    if c != g.geometry.name})
                                  for g in (glinks, gnodes))
            glinks.to_file(tmp, layer="links", driver="GPKG", engine="pyogrio")
            gnodes.to_file(tmp, layer="nodes", driver="GPKG", engine="pyogrio")
    return p
