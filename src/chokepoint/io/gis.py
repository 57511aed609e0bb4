"""GIS link and node layers (GeoJSON, GeoPackage, Shapefile, GeoParquet) via pyogrio.

Needs the ``geo`` extra. A link layer carries ``from`` and ``to`` node ids (and any other
column of the link model); an optional point layer named ``nodes`` in the same GeoPackage
gives node positions and attributes. Building topology from bare lines is a separate step.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pandas as pd

from chokepoint.errors import InputError, require
from chokepoint.network import Network

__all__ = ["check_link_layer", "read_network_file", "read_table"]


def read_table(path: str | Path, *, layer: str | None = None) -> pd.DataFrame:
    """Read a layer as a (Geo)DataFrame; errors name the file and layer."""
    p = Path(path)
    gpd: Any = require("geopandas", "geo")
    try:
        if p.suffix.lower() in (".parquet", ".geoparquet"):
            return gpd.read_parquet(p)
        return gpd.read_file(p, layer=layer, engine="pyogrio")
    except Exception as e:  # pyogrio raises several error types for unreadable data
        where = f"layer {layer!r}" if layer else None
        raise InputError(f"cannot read: {e}", source=p, element=where) from None


def read_network_file(path: str | Path) -> Network:
    """Read a link layer (and a ``nodes`` layer where the file has one) into a network."""
    p = Path(path)
    nodes = None
    layer = None
    if p.suffix.lower() == ".gpkg":
        pyogrio: Any = require("pyogrio", "geo")
        try:
            names = [str(x[0]) for x in pyogrio.list_layers(p)]
        except Exception as e:  # pyogrio's DataSourceError and friends
            raise InputError(f"cannot read: {e}", source=p) from None
        if not names:
            raise InputError("the GeoPackage has no layers", source=p)
        if "nodes" in names:
            nodes = read_table(p, layer="nodes")
        layer = "links" if "links" in names else names[0]
    links = read_table(p, layer=layer)
    if "from" not in links.columns or "to" not in links.columns:
        # bare lines: build the topology (snap, split, merge) as `chokepoint import` does
        from chokepoint.io.topology import read_lines

        return read_lines(p, layer=layer)[0]
    links = check_link_layer(links, source=p, layer=layer)
    if nodes is not None:
        nodes = _check_crs(nodes, source=p, layer="nodes")
    return Network.from_geodataframes(nodes, links, name=p.stem, source=p)


_LINE_TYPES = ("LineString", "MultiLineString")


def _check_crs(gdf: Any, *, source: Any, layer: str | None) -> Any:
    """A layer without a CRS is taken as longitude/latitude (EPSG:4326) only if its
    coordinates fit; projected coordinates without a CRS are refused."""
    if gdf.crs is not None or not len(gdf):
        return gdf
    x0, y0, x1, y1 = (float(v) for v in gdf.total_bounds)
    if not (-180.0 <= x0 <= x1 <= 180.0 and -90.0 <= y0 <= y1 <= 90.0):
        raise InputError("coordinates are not longitude/latitude and the layer has no CRS; "
                         "set the layer's CRS (e.g. EPSG:3857)", source=source,
                         element=f"layer {layer!r}" if layer else None)
    return gdf.set_crs("EPSG:4326")


def check_link_layer(links: Any, *, source: Any, layer: str | None = None) -> Any:
    """Links must be lines (or have no geometry) with a usable CRS; ``length_km`` is filled
    with the WGS84 geodesic length where the layer gives none."""
    if "geometry" not in getattr(links, "columns", ()) or not hasattr(links, "geom_type"):
        return links
    types = links.geom_type
    bad = types.notna() & ~types.isin(_LINE_TYPES)
    if bad.any():
        i = int(bad.to_numpy().nonzero()[0][0])
        ident = links["id"].iloc[i] if "id" in links.columns else f"feature {i}"
        raise InputError(f"link geometry must be a LineString or MultiLineString, not "
                         f"{types.iloc[i]}", source=source, element=f"link {ident!r}")
    links = _check_crs(links, source=source, layer=layer)
    missing = links["length_km"].isna() if "length_km" in links.columns else None
    if missing is None or missing.any():
        import numpy as np
        import shapely

        from chokepoint.io import _snap

        geo = links.to_crs("EPSG:4326").geometry.to_numpy()
        parts, owner = shapely.get_parts(geo, return_index=True)  # MultiLineString pieces
        c, i = shapely.get_coordinates(parts, return_index=True)
        per_part = _snap.path_lengths_km(c[:, 0], c[:, 1], i, len(parts))
        km = np.bincount(owner, weights=per_part, minlength=len(geo))
        km[shapely.is_missing(geo) | shapely.is_empty(geo)] = np.nan
        links = links.copy()
        links["length_km"] = km if missing is None else links["length_km"].where(~missing, km)
    return links
