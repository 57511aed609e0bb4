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

__all__ = ["read_network_file", "read_table"]


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
    return Network.from_geodataframes(nodes, links, name=p.stem, source=p)
