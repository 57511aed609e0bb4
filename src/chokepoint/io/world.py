"""World-scale rail and sea networks, ports, and multimodal stitching.

* :func:`world_railways` — the OpenStreetMap-derived world railway graph shipped by the
  ``scgraph_data`` package (275k nodes, 329k links; © OpenStreetMap contributors, ODbL), or
  the same graph from a folder of ``world_railways_nodes.csv.gz`` /
  ``world_railways_edges.csv.gz``. The graph has no attributes (no tunnels, tracks or
  electrification): every link gets the rail default of the attribute table.
* :func:`sea_network` — the maritime network shipped by the ``searoute`` package (Eurostat
  MARNET lineage, Apache-2.0). Links tagged with a ``passage`` (suez, panama, malacca,
  bosporus, ...) form one failure group per passage.
* :func:`read_ports` — ports from the ``searoute`` package, the NGA World Port Index CSV
  (``UpdatedPub150.csv``) or any point layer of your own.
* :func:`stitch_ports` — joins ports to the nearest rail node and the nearest sea node by
  ``transfer`` links carrying the port's handling capacity and time.
* :func:`add_links` — the documented way to add links a dataset lacks (a missing branch
  line, a ferry), by node id or by coordinates snapped to the nearest node.

Nothing is downloaded: data come from installed packages or from files you name.
"""

from __future__ import annotations

import gzip
import importlib.util
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from chokepoint.errors import InputError, MissingDependencyError, require
from chokepoint.io import _snap
from chokepoint.io.topology import (
    ImportReport,
    Progress,
    apply_attribute_table,
    edges_to_network,
    lines_to_network,
)
from chokepoint.network import Network
from chokepoint.units import Units

__all__ = [
    "HARBOR_SIZE_CAPACITY",
    "add_links",
    "edge_pairs",
    "read_ports",
    "read_sea_network",
    "read_world_railways",
    "sea_network",
    "stitch_ports",
    "world_railway_arrays",
    "world_railways",
]

#: Port handling capacity (t/day) by WPI ``Harbor Size``; override with a ``handling_capacity``
#: column in your port layer or the ``handling_capacity`` argument of :func:`stitch_ports`.
HARBOR_SIZE_CAPACITY: dict[str, float] = {
    "very small": 2_000.0,
    "small": 10_000.0,
    "medium": 40_000.0,
    "large": 150_000.0,
    "": 10_000.0,
}


def _package_dir(module: str, extra: str) -> Path:
    spec = importlib.util.find_spec(module)
    if spec is None or not spec.submodule_search_locations:
        raise MissingDependencyError(
            f"{module} is needed for this (or pass source=); install it with: "
            f"pip install 'chokepoint[{extra}]'")
    return Path(next(iter(spec.submodule_search_locations)))


def _bbox_mask(lon: np.ndarray, lat: np.ndarray, bbox: Sequence[float] | None) -> np.ndarray:
    if bbox is None:
        return np.ones(len(lon), dtype=bool)
    if len(bbox) != 4:
        raise InputError("bbox must be minlon,minlat,maxlon,maxlat")
    x0, y0, x1, y1 = (float(v) for v in bbox)
    return (lon >= x0) & (lon <= x1) & (lat >= y0) & (lat <= y1)


# -- world railways ---------------------------------------------------------------------------
def _parse_scgraph(path: Path) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Nodes (lon, lat) and undirected edges (u, v) of an scgraph_data module, parsed as text
    (no code executed): ``graph=[{v: w, ...}, ...]`` and ``nodes=[[lat, lon], ...]``."""
    text = path.read_bytes()
    try:
        gs = text.index(b"graph=") + len(b"graph=")
        ns = text.index(b"\nnodes=")
        ne = text.index(b"\n", ns + 1)
    except ValueError:
        raise InputError("not an scgraph_data graph module", source=path) from None
    g, nd = text[gs:ns], text[ns + len(b"\nnodes="):ne]
    table = bytes.maketrans(b"{}:,[]", b"      ")
    b = np.frombuffer(g, dtype=np.uint8)
    colon = np.flatnonzero(b == ord(":"))
    close = np.flatnonzero(b == ord("}"))
    u = np.searchsorted(close, colon).astype(np.int64)
    vals = np.array(g.translate(table).split(), dtype=float)
    v = vals[0::2].astype(np.int64)
    latlon = np.array(nd.translate(table).split(), dtype=float).reshape(-1, 2)
    keep = u < v  # each undirected edge once; drops the zero-length self entries
    return latlon[:, 1], latlon[:, 0], u[keep], v[keep]


def _read_csv_graph(folder: Path) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    def find(stem: str) -> Path:
        for suf in (".csv.gz", ".csv"):
            f = folder / f"{stem}{suf}"
            if f.exists():
                return f
        raise InputError(f"no {stem}.csv(.gz) in the folder", source=folder)

    fn, fe = find("world_railways_nodes"), find("world_railways_edges")
    try:
        nodes = pd.read_csv(fn, compression="gzip" if fn.suffix == ".gz" else None)
        edges = pd.read_csv(fe, compression="gzip" if fe.suffix == ".gz" else None)
    except (OSError, ValueError, gzip.BadGzipFile) as e:
        raise InputError(f"cannot read: {e}", source=folder) from None
    for frame, cols, f in ((nodes, ("node_id", "lat", "lon"), fn), (edges, ("u", "v"), fe)):
        miss = [c for c in cols if c not in frame.columns]
        if miss:
            raise InputError(f"missing column {miss[0]!r}", source=f)
    pos = pd.Series(np.arange(len(nodes)), index=nodes["node_id"].to_numpy())
    u = pos.reindex(edges["u"].to_numpy()).to_numpy()
    v = pos.reindex(edges["v"].to_numpy()).to_numpy()
    bad = np.isnan(u) | np.isnan(v)
    if bad.any():
        i = int(np.flatnonzero(bad)[0])
        raise InputError("edge names an unknown node", source=fe, element=f"row {i + 2}")
    uu, vv = u.astype(np.int64), v.astype(np.int64)
    keep = uu != vv
    return (nodes["lon"].to_numpy(dtype=float), nodes["lat"].to_numpy(dtype=float),
            np.minimum(uu, vv)[keep], np.maximum(uu, vv)[keep])


def read_world_railways(
    *,
    source: str | Path | None = None,
    bbox: Sequence[float] | None = None,
    simplify: bool = True,
    tolerance_m: float = 1.0,
    attribute_table: Any = None,
    progress: Progress | None = None,
) -> tuple[Network, ImportReport]:
    """The world railway graph as a network, with the import report.

    Parameters
    ----------
    source
        ``None``: the ``scgraph_data`` package. Otherwise a folder holding
        ``world_railways_nodes.csv.gz`` and ``world_railways_edges.csv.gz`` (columns
        ``node_id, lat, lon`` and ``u, v[, length_km]``), or an scgraph_data ``.py`` module.
    bbox
        ``(minlon, minlat, maxlon, maxlat)``: keep links with both ends inside.
    simplify
        Merge chains of degree-2 links (the graph has no attributes, so every chain merges);
        junctions and dead ends stay.
    tolerance_m
        Nodes closer than this become one.
    attribute_table
        Rules for capacity and speed (see :data:`~chokepoint.io.topology.DEFAULT_ATTRIBUTE_TABLE`).
    """
    if source is None:
        src = _package_dir("scgraph_data", "world") / "world_railways.py"
        lon, lat, u, v = _parse_scgraph(src)
    else:
        src = Path(source)
        if not src.exists():
            raise InputError("no such file or folder", source=src)
        lon, lat, u, v = (_parse_scgraph(src) if src.is_file() and src.suffix == ".py"
                          else _read_csv_graph(src if src.is_dir() else src.parent))
    pair = edge_pairs(lon, lat, u, v, bbox=bbox)
    if len(pair) == 0:
        raise InputError("no railway links" + (" inside the bbox" if bbox else ""), source=src)
    kw: dict[str, Any] = {"merge": simplify, "attribute_table": attribute_table,
                          "layer": "world_railways", "source": src, "name": "world_railways",
                          "progress": progress}
    if _plain_coordinates(lon[pair], lat[pair]) and tolerance_m > 0:
        net, report = edges_to_network(lon, lat, pair, tolerance_m=tolerance_m, **kw)
    else:
        net, report = lines_to_network(_edge_lines(lon, lat, pair), tolerance_m=tolerance_m,
                                       strict=False, **kw)
    return _prefixed(net, "rail:"), report


def edge_pairs(lon: np.ndarray, lat: np.ndarray, u: np.ndarray, v: np.ndarray, *,
               bbox: Sequence[float] | None = None) -> np.ndarray:
    """The edges with both ends inside ``bbox``, each once, sorted by (``u``, ``v``).

    Parameters
    ----------
    lon, lat
        Node coordinates (degrees).
    u, v
        Node positions of the edges' ends.
    bbox
        ``(minlon, minlat, maxlon, maxlat)`` or ``None`` (all edges).

    Returns
    -------
    numpy.ndarray
        One row ``(u, v)`` per distinct edge (k x 2). O(m log m).
    """
    inside = _bbox_mask(lon, lat, bbox)
    keep = inside[u] & inside[v]
    n = np.int64(max(len(lon), 1))
    key = np.unique(u[keep].astype(np.int64) * n + v[keep])
    return np.column_stack([key // n, key % n])


def _plain_coordinates(lon: np.ndarray, lat: np.ndarray) -> bool:
    """Whether coordinates are finite lon/lat in range (the node-id path's condition; other
    inputs take the GIS path, which reports or wraps them)."""
    return bool(np.isfinite(lon).all() and np.isfinite(lat).all() and
                (np.abs(lon) <= 180).all() and (np.abs(lat) <= 90).all())


def _edge_lines(lon: np.ndarray, lat: np.ndarray, pair: np.ndarray) -> Any:
    """The edges as a layer of two-point lines (the GIS path's input)."""
    shapely: Any = require("shapely", "geo")
    gpd: Any = require("geopandas", "geo")
    coords = np.empty((2 * len(pair), 2))
    coords[0::2] = np.column_stack([lon[pair[:, 0]], lat[pair[:, 0]]])
    coords[1::2] = np.column_stack([lon[pair[:, 1]], lat[pair[:, 1]]])
    geoms = shapely.linestrings(coords, indices=np.repeat(np.arange(len(pair)), 2))
    return gpd.GeoDataFrame({"mode": np.full(len(pair), "rail", dtype=object)}, geometry=geoms,
                            crs="EPSG:4326")


def world_railway_arrays(source: str | Path | None = None
                         ) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """The world railway graph as arrays, without building a network (whole-graph searches).

    Parameters
    ----------
    source
        As for :func:`read_world_railways` (``None``: the ``scgraph_data`` package).

    Returns
    -------
    tuple
        ``lon``, ``lat`` of every node (degrees) and the undirected edges ``u``, ``v``
        (node positions, each edge once, ``u < v``, no self-loops).
    """
    if source is None:
        return _parse_scgraph(_package_dir("scgraph_data", "world") / "world_railways.py")
    src = Path(source)
    if not src.exists():
        raise InputError("no such file or folder", source=src)
    if src.is_file() and src.suffix == ".py":
        return _parse_scgraph(src)
    return _read_csv_graph(src if src.is_dir() else src.parent)


def world_railways(*, source: str | Path | None = None, bbox: Sequence[float] | None = None,
                   simplify: bool = True, attribute_table: Any = None) -> Network:
    """The OSM-derived world railway graph (see :func:`read_world_railways`)."""
    return read_world_railways(source=source, bbox=bbox, simplify=simplify,
                               attribute_table=attribute_table)[0]


def _prefixed(net: Network, prefix: str) -> Network:
    nodes = net.nodes.copy()
    links = net.links.copy()
    nodes["id"] = prefix + nodes["id"]
    links["id"] = prefix + links["id"]
    links["from"] = prefix + links["from"]
    links["to"] = prefix + links["to"]
    links["group"] = np.where(links["group"].str.contains(":"), links["group"],
                              prefix + links["group"])
    return Network(nodes, links, units=net.units, name=net.name, source=net.source)


# -- sea --------------------------------------------------------------------------------------
def read_sea_network(
    *,
    source: str | Path | None = None,
    bbox: Sequence[float] | None = None,
    tolerance_m: float = 10.0,
    simplify: bool = True,
    attribute_table: Any = None,
    progress: Progress | None = None,
) -> tuple[Network, ImportReport]:
    """The maritime network, with the import report.

    ``source`` ``None`` reads ``marnet_searoute.geojson`` from the ``searoute`` package;
    otherwise any line layer (a ``passage`` column is optional). Links of one passage
    (``suez``, ``panama``, ...) share the failure group ``passage:NAME``. Sea links get
    unlimited capacity and 14 kn (26 km/h) unless the attribute table says otherwise.
    """
    gpd: Any = require("geopandas", "geo")
    src = (_package_dir("searoute", "world") / "data" / "marnet_searoute.geojson"
           if source is None else Path(source))
    if not src.exists():
        raise InputError("no such file", source=src)
    try:
        gdf = gpd.read_file(src, engine="pyogrio")
    except Exception as e:  # pyogrio errors
        raise InputError(f"cannot read: {e}", source=src) from None
    gdf["mode"] = "sea"
    if bbox is not None:
        gdf = gdf.cx[bbox[0]:bbox[2], bbox[1]:bbox[3]]
        if len(gdf) == 0:
            raise InputError("no sea lanes inside the bbox", source=src)
    if "passage" in gdf.columns:
        p = gdf["passage"].astype(object).where(gdf["passage"].notna(), "").astype(str)
        gdf["group"] = np.where(p != "", "passage:" + p, "")
    net, report = lines_to_network(gdf, tolerance_m=tolerance_m, merge=simplify, mode="sea",
                                   attribute_table=attribute_table, strict=False,
                                   layer=src.stem, source=src, name="sea", progress=progress)
    return _prefixed(net, "sea:"), report


def sea_network(*, source: str | Path | None = None, bbox: Sequence[float] | None = None,
                tolerance_m: float = 10.0, simplify: bool = True) -> Network:
    """The maritime network (see :func:`read_sea_network`)."""
    return read_sea_network(source=source, bbox=bbox, tolerance_m=tolerance_m,
                            simplify=simplify)[0]


# -- ports ------------------------------------------------------------------------------------
def read_ports(source: str | Path | None = None, *,
               bbox: Sequence[float] | None = None) -> pd.DataFrame:
    """Ports as a table ``id, name, kind, lon, lat, handling_capacity[, locode, country]``.

    ``source`` ``None``: the port list of the ``searoute`` package (UN/LOCODE ids). A ``.csv``
    in the NGA World Port Index layout (``World Port Index Number``, ``Main Port Name``,
    ``Latitude``, ``Longitude``, ``Harbor Size``...) or any table with ``lon``/``lat``
    columns; any point layer (GeoJSON, GeoPackage, Shapefile, GeoParquet) with ``id`` and
    ``name`` columns. Handling capacity comes from a ``handling_capacity`` column or from
    :data:`HARBOR_SIZE_CAPACITY`.
    """
    if source is None:
        src = _package_dir("searoute", "world") / "data" / "ports.geojson"
    else:
        src = Path(source)
    if not src.exists():
        raise InputError("no such file", source=src)
    if src.suffix.lower() == ".csv":
        try:
            t = pd.read_csv(src, dtype=str, keep_default_na=False)
        except (OSError, ValueError) as e:
            raise InputError(f"cannot read: {e}", source=src) from None
        if {"Latitude", "Longitude", "Main Port Name"} <= set(t.columns):
            out = pd.DataFrame({
                "id": "wpi" + t.get("World Port Index Number", pd.Series(
                    [str(i) for i in range(len(t))])).astype(str).str.strip(),
                "name": t["Main Port Name"].str.strip(),
                "lon": pd.to_numeric(t["Longitude"], errors="coerce"),
                "lat": pd.to_numeric(t["Latitude"], errors="coerce"),
                "harbor_size": t.get("Harbor Size", pd.Series([""] * len(t))).str.strip(),
                "locode": t.get("UN/LOCODE", pd.Series([""] * len(t))).str.replace(
                    " ", "").str.strip(),
                "country": t.get("Country Code", pd.Series([""] * len(t))).str.strip(),
            })
        elif {"lon", "lat"} <= set(t.columns):
            out = t.copy()
            out["lon"] = pd.to_numeric(out["lon"], errors="coerce")
            out["lat"] = pd.to_numeric(out["lat"], errors="coerce")
        else:
            raise InputError("a port CSV needs lon/lat columns (or the World Port Index "
                             "layout)", source=src)
    else:
        gpd: Any = require("geopandas", "geo")
        try:
            g = gpd.read_file(src, engine="pyogrio") if src.suffix.lower() not in (
                ".parquet", ".geoparquet") else gpd.read_parquet(src)
        except Exception as e:  # pyogrio errors
            raise InputError(f"cannot read: {e}", source=src) from None
        if g.crs is None:
            raise InputError("the port layer has no CRS", source=src)
        g = g.to_crs("EPSG:4326")
        if not (g.geometry.geom_type == "Point").all():
            raise InputError("the port layer must hold points", source=src)
        out = pd.DataFrame(g.drop(columns=g.geometry.name))
        out["lon"], out["lat"] = g.geometry.x.to_numpy(), g.geometry.y.to_numpy()
        if "id" not in out.columns:
            out["id"] = out["port"] if "port" in out.columns else [
                f"port{i}" for i in range(len(out))]
    if "name" not in out.columns:
        out["name"] = out["id"]
    out["id"] = out["id"].astype(str)
    bad = ~(np.isfinite(out["lon"].to_numpy(dtype=float)) &
            np.isfinite(out["lat"].to_numpy(dtype=float)))
    out = out.loc[~bad]
    out = out.loc[_bbox_mask(out["lon"].to_numpy(dtype=float), out["lat"].to_numpy(dtype=float),
                             bbox)].reset_index(drop=True)
    if "handling_capacity" not in out.columns:
        size = (out["harbor_size"].astype(str).str.lower() if "harbor_size" in out.columns
                else pd.Series([""] * len(out)))
        out["handling_capacity"] = size.map(HARBOR_SIZE_CAPACITY).fillna(
            HARBOR_SIZE_CAPACITY[""]).to_numpy(dtype=float)
    out["kind"] = "port"
    return out


# -- stitching --------------------------------------------------------------------------------
def stitch_ports(
    ports: pd.DataFrame,
    *,
    rail: Network | None = None,
    sea: Network | None = None,
    max_rail_km: float = 25.0,
    max_sea_km: float = 300.0,
    handling_capacity: float | None = None,
    rail_transfer_h: float = 12.0,
    sea_transfer_h: float = 24.0,
    keep_unconnected: bool = False,
    name: str = "multimodal",
) -> tuple[Network, ImportReport]:
    """Join ports to rail and sea networks by transfer links.

    Each port becomes a node (``kind="port"``, failure group ``port:ID``) joined to the nearest
    rail node within ``max_rail_km`` and to the nearest sea node within ``max_sea_km`` by
    two-way ``transfer`` links. A transfer link carries the port's handling capacity (its
    ``handling_capacity`` column, else ``handling_capacity``) and takes ``rail_transfer_h`` or
    ``sea_transfer_h`` hours; both links of a port share the port's failure group, so closing
    a port closes both. Ports reaching neither network are reported (and dropped unless
    ``keep_unconnected``). Node and link ids of ``rail`` and ``sea`` must not collide
    (:func:`world_railways` and :func:`sea_network` prefix theirs with ``rail:`` / ``sea:``).

    Returns the combined network and a report listing ports without a rail or sea link.
    """
    report = ImportReport(source="stitch_ports", layer="ports")
    if len(ports) == 0:
        raise InputError("no ports to stitch", source="ports")
    for col in ("id", "lon", "lat"):
        if col not in ports.columns:
            raise InputError(f"the port table has no {col!r} column", source="ports")
    pid = "port:" + ports["id"].astype(str).to_numpy(dtype=object)
    plon = ports["lon"].to_numpy(dtype=float)
    plat = ports["lat"].to_numpy(dtype=float)
    cap = (ports["handling_capacity"].to_numpy(dtype=float)
           if "handling_capacity" in ports.columns else np.full(len(ports), np.nan))
    if handling_capacity is not None:
        cap = np.full(len(ports), float(handling_capacity))
    cap = np.where(np.isfinite(cap), cap, HARBOR_SIZE_CAPACITY[""])
    link_rows: list[pd.DataFrame] = []
    connected = np.zeros(len(ports), dtype=bool)
    for net, mode, limit, hours in ((rail, "rail", max_rail_km, rail_transfer_h),
                                    (sea, "sea", max_sea_km, sea_transfer_h)):
        if net is None:
            continue
        nd = net.nodes
        ok = np.isfinite(nd["lon"].to_numpy()) & np.isfinite(nd["lat"].to_numpy())
        cand = np.flatnonzero(ok & (nd["kind"].to_numpy() != "port"))
        idx, dist = _snap.nearest(nd["lon"].to_numpy()[cand], nd["lat"].to_numpy()[cand],
                                  plon, plat)
        near = dist <= limit * 1000.0
        far = ~near
        if far.any():
            report.add_many(list(ports["id"].astype(str).to_numpy()[far]),
                            f"no {mode} node within {limit:g} km", "no transfer link")
        report.counts[f"ports_linked_{mode}"] = int(near.sum())
        connected |= near
        tgt = nd["id"].to_numpy()[cand][idx[near]]
        link_rows.append(pd.DataFrame({
            "id": [f"{p}>{mode}" for p in pid[near]],
            "from": pid[near], "to": tgt, "mode": "transfer", "direction": "both",
            "track": "double", "capacity": cap[near],
            "length_km": dist[near] / 1000.0, "time_h": float(hours),
            "group": pid[near], "name": [f"{n} {mode} transfer" for n in
                                         ports["name"].astype(str).to_numpy()[near]],
            "source": "stitch_ports",
        }))
    keep = connected | keep_unconnected
    if (~connected).any():
        report.add_many(list(ports["id"].astype(str).to_numpy()[~connected]),
                        "port reaches neither network", "kept" if keep_unconnected else "dropped")
    extra_cols = [c for c in ports.columns if c not in ("id", "lon", "lat", "kind",
                                                        "handling_capacity", "geometry")]
    port_nodes = ports.loc[keep, extra_cols].copy()
    port_nodes.insert(0, "id", pid[keep])
    port_nodes["lon"], port_nodes["lat"] = plon[keep], plat[keep]
    port_nodes["kind"] = "port"
    port_nodes["handling_capacity"] = cap[keep]
    port_nodes["group"] = pid[keep]
    port_nodes["source"] = "ports"
    nodes = [port_nodes] + [n.nodes for n in (rail, sea) if n is not None]
    links = link_rows + [n.links for n in (rail, sea) if n is not None]
    all_nodes = pd.concat(nodes, ignore_index=True)
    dup = all_nodes["id"].duplicated()
    if dup.any():
        raise InputError("node id used by more than one input network; prefix the ids",
                         source="stitch_ports", element=f"node {all_nodes['id'][dup].iloc[0]!r}")
    report.counts["ports"] = int(keep.sum())
    units = next((n.units for n in (rail, sea) if n is not None), Units())
    net = Network.from_frames(all_nodes, pd.concat(links, ignore_index=True), units=units,
                              name=name, source="stitch_ports")
    report.counts["nodes"], report.counts["links"] = net.n_nodes, net.n_links
    return net, report


def add_links(net: Network, rows: pd.DataFrame | Sequence[Mapping[str, Any]], *,
              snap_km: float = 5.0, attribute_table: Any = None) -> Network:
    """Add links a dataset lacks (a missing branch line, a ferry, a new terminal spur).

    Each row names its ends either by node id (``from``, ``to``) or by coordinates
    (``from_lon, from_lat, to_lon, to_lat``). A coordinate end snaps to the nearest node within
    ``snap_km``; farther away, a new node is made (id ``from_id``/``to_id`` if given, else
    ``new:N``; name ``from_name``/``to_name``). Missing ``length_km`` is the geodesic
    distance; missing ``capacity``/``time_h``/``track`` come from the attribute table
    (``mode``, ``usage``, ``tracks``... columns may be given). Returns a new network.
    """
    shapely: Any = require("shapely", "geo")
    t = pd.DataFrame(list(rows) if not isinstance(rows, pd.DataFrame) else rows).copy()
    if len(t) == 0:
        return net
    nodes = net.nodes
    nlon, nlat = nodes["lon"].to_numpy(dtype=float), nodes["lat"].to_numpy(dtype=float)
    located = np.isfinite(nlon) & np.isfinite(nlat)
    cand = np.flatnonzero(located)
    new_nodes: list[dict[str, Any]] = []
    lonlat: dict[str, np.ndarray] = {}
    for end in ("from", "to"):
        ids = (t[end].astype(object).where(t[end].notna(), "").astype(str).to_numpy(dtype=object)
               if end in t.columns else np.full(len(t), "", dtype=object))
        nan = pd.Series(np.full(len(t), np.nan), index=t.index)
        lo_a = pd.to_numeric(t.get(f"{end}_lon", nan), errors="coerce").to_numpy(dtype=float)
        la_a = pd.to_numeric(t.get(f"{end}_lat", nan), errors="coerce").to_numpy(dtype=float)
        need = ids == ""
        has_xy = np.isfinite(lo_a) & np.isfinite(la_a)
        if (need & ~has_xy).any():
            i = int(np.flatnonzero(need & ~has_xy)[0])
            raise InputError(f"added link needs '{end}' or '{end}_lon'/'{end}_lat'",
                             source="add_links", element=f"row {i}")
        if need.any():
            idx, dist = _snap.nearest(nlon[cand], nlat[cand], lo_a[need], la_a[need])
            snapped = np.where(dist <= snap_km * 1000.0, nodes["id"].to_numpy()[cand][
                np.maximum(idx, 0)], "")
            rows_need = np.flatnonzero(need)
            for j, r in enumerate(rows_need):  # new nodes are few: one per far end
                if snapped[j] != "":
                    ids[r] = snapped[j]
                    continue
                nid = str(t.get(f"{end}_id", pd.Series([""] * len(t))).iloc[r] or
                          f"new:{len(nodes) + len(new_nodes)}")
                new_nodes.append({"id": nid, "lon": lo_a[r], "lat": la_a[r],
                                  "name": str(t.get(f"{end}_name", pd.Series([nid] * len(t)))
                                              .iloc[r] or nid), "kind": "node",
                                  "source": "add_links"})
                ids[r] = nid
        t[end] = ids
        pos = pd.Series(np.r_[nlon, [n["lon"] for n in new_nodes]],
                        index=list(nodes["id"]) + [n["id"] for n in new_nodes])
        pos_lat = pd.Series(np.r_[nlat, [n["lat"] for n in new_nodes]], index=pos.index)
        lonlat[end] = np.column_stack([pos.reindex(ids).to_numpy(dtype=float),
                                       pos_lat.reindex(ids).to_numpy(dtype=float)])
    gl = _snap.distance_m(lonlat["from"][:, 0], lonlat["from"][:, 1], lonlat["to"][:, 0],
                          lonlat["to"][:, 1]) / 1000.0
    if "length_km" not in t.columns:
        t["length_km"] = gl
    t["length_km"] = pd.to_numeric(t["length_km"], errors="coerce").fillna(
        pd.Series(gl, index=t.index))
    if "mode" not in t.columns:
        t["mode"] = "rail"
    if "direction" not in t.columns:
        t["direction"] = "both"
    if "id" not in t.columns:
        t["id"] = [f"added:{i}" for i in range(len(t))]
    t["source"] = t.get("source", pd.Series(["add_links"] * len(t)))
    t, _ = apply_attribute_table(t, attribute_table)
    ok = np.isfinite(lonlat["from"]).all(axis=1) & np.isfinite(lonlat["to"]).all(axis=1)
    geo = np.full(len(t), None, dtype=object)
    if ok.any():
        geo[ok] = list(shapely.linestrings(np.stack([lonlat["from"][ok], lonlat["to"][ok]],
                                                    axis=1)))
    t["geometry"] = geo
    t = t.drop(columns=[c for c in t.columns if c.startswith(("from_", "to_"))])
    all_nodes = pd.concat([nodes, pd.DataFrame(new_nodes)], ignore_index=True) \
        if new_nodes else nodes
    links = pd.concat([net.links, t], ignore_index=True)
    return Network.from_frames(all_nodes, links, units=net.units, name=net.name,
                               source=net.source)
