"""Build a network from bare GIS lines: snapping, splitting, merging, attributes.

:func:`lines_to_network` turns a line layer (any CRS) and an optional point layer of nodes
(stations, ports, depots) into a :class:`~chokepoint.network.Network` and an
:class:`ImportReport`. :func:`read_lines` reads the layers from GeoJSON, GeoPackage,
Shapefile or GeoParquet first.

The steps, all vectorised (shapely 2, a k-d tree, numpy, one small numba walk):

1. **Check** each feature: empty layer, missing CRS, non-line or empty geometries,
   non-finite coordinates, attributes of the wrong type. With ``strict=True`` the first
   problem raises :class:`~chokepoint.errors.InputError` naming the layer, the feature and
   the problem; with ``strict=False`` the feature (or value) is dropped and reported.
2. **Reproject** to EPSG:4326. Distances are measured in metres on the Earth whatever the
   input CRS (chords on a sphere for snapping, WGS84 geodesics for lengths).
3. **Split where lines really join**: at a vertex shared (within ``tolerance_m``) by two
   lines, and where a line's end touches another line's interior (T-junction). A tunnel or
   bridge never joins a line of another kind in its interior, so a track passing over or
   under another one is not cut there. Lines that merely cross without a shared vertex are
   never split. Closed lines are cut in the middle so no link runs from a node to itself.
4. **Snap** line ends within ``tolerance_m`` of each other (and node points within
   ``node_tolerance_m`` of a line) into one node.
5. **Clean**: drop (and report) zero-length links and duplicates (same ends, attributes and
   length).
6. **Merge** chains of links through nodes of degree 2, only where the two links' attributes
   agree and the node is not a named node of the point layer.
7. **Attributes to capacities and speeds** with :data:`DEFAULT_ATTRIBUTE_TABLE`
   (overridable, see :func:`apply_attribute_table`); links that got a mode-wide default are
   listed in the report.
8. **Failure groups**: tunnels and bridges that run alongside each other (the tracks of one
   structure) or continue one another become one group.
9. **Components**: the report counts connected components and their sizes.
"""

from __future__ import annotations

import warnings
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from chokepoint.errors import InputError, require
from chokepoint.io import _snap
from chokepoint.network import STRUCTURES, Network
from chokepoint.progress import StagedProgress as Progress
from chokepoint.units import Units

__all__ = [
    "DEFAULT_ATTRIBUTE_TABLE",
    "ImportReport",
    "apply_attribute_table",
    "edges_to_network",
    "lines_to_network",
    "read_lines",
    "structure_groups",
    "write_network",
]


#: How link attributes become capacity (t/day, per direction for double track, shared for
#: single track), speed (km/h) and track. The first rule whose match columns all agree wins;
#: a match value may list alternatives with ``|`` and be negated with a leading ``!``; a
#: missing, empty or ``*`` value matches anything. Rules marked ``fallback`` are mode-wide
#: defaults: links that end up there are reported. User rules are tried before these.
DEFAULT_ATTRIBUTE_TABLE: list[dict[str, Any]] = [
    {"mode": "rail", "service": "yard|siding|spur|crossover", "capacity": 20_000.0,
     "speed_kmh": 25.0, "track": "single"},
    {"mode": "rail", "usage": "main", "tracks": "2|3|4|5|6|7|8",
     "electrified": "!no", "capacity": 160_000.0, "speed_kmh": 120.0, "track": "double"},
    {"mode": "rail", "usage": "main", "tracks": "2|3|4|5|6|7|8", "capacity": 140_000.0,
     "speed_kmh": 100.0, "track": "double"},
    {"mode": "rail", "usage": "main", "tracks": "1", "capacity": 50_000.0,
     "speed_kmh": 80.0, "track": "single"},
    {"mode": "rail", "usage": "main", "electrified": "!no", "capacity": 120_000.0,
     "speed_kmh": 100.0, "track": "double"},
    {"mode": "rail", "usage": "main", "capacity": 100_000.0, "speed_kmh": 90.0,
     "track": "double"},
    {"mode": "rail", "usage": "branch|industrial|military|tourism|freight",
     "capacity": 30_000.0, "speed_kmh": 60.0, "track": "single"},
    {"mode": "rail", "tracks": "2|3|4|5|6|7|8", "capacity": 120_000.0, "speed_kmh": 90.0,
     "track": "double"},
    {"mode": "rail", "tracks": "1", "capacity": 40_000.0, "speed_kmh": 70.0,
     "track": "single"},
    {"mode": "rail", "capacity": 60_000.0, "speed_kmh": 80.0, "track": "double",
     "fallback": True},
    {"mode": "road", "highway": "motorway|trunk|motorway_link|trunk_link",
     "capacity": 60_000.0, "speed_kmh": 90.0, "track": "double"},
    {"mode": "road", "highway": "primary|secondary|primary_link|secondary_link",
     "capacity": 20_000.0, "speed_kmh": 60.0, "track": "double"},
    {"mode": "road", "capacity": 10_000.0, "speed_kmh": 50.0, "track": "double",
     "fallback": True},
    {"mode": "sea", "capacity": np.inf, "speed_kmh": 26.0, "track": "double",
     "fallback": True},
    {"mode": "river", "capacity": 30_000.0, "speed_kmh": 15.0, "track": "double",
     "fallback": True},
    {"mode": "transfer", "capacity": 50_000.0, "speed_kmh": 5.0, "track": "double",
     "fallback": True},
    {"capacity": 10_000.0, "speed_kmh": 50.0, "track": "double", "fallback": True},
]
_OUTPUTS = ("capacity", "speed_kmh", "track", "direction", "fallback", "note")
_NUMERIC = ("tracks", "maxspeed", "capacity", "speed_kmh", "time_h", "cost")
_TRUTHY_NO = {"", "no", "none", "false", "0", "nan"}
_MERGE_SKIP = {"id", "geometry", "length_km", "time_h", "cost", "from", "to", "_line",
               "_feature"}


@dataclass
class ImportReport:
    """What an import did and what it found wrong.

    ``issues`` rows have ``layer``, ``feature``, ``problem`` and ``action`` (``"dropped"``,
    ``"default used"``, ``"ignored"``...). ``fallback_links`` lists links whose capacity or
    speed came from a mode-wide default row of the attribute table.
    """

    source: str | None = None
    layer: str | None = None
    counts: dict[str, int] = field(default_factory=dict)
    issues: list[dict[str, Any]] = field(default_factory=list)
    fallback_links: list[str] = field(default_factory=list)
    component_sizes: list[int] = field(default_factory=list)
    structures: dict[str, list[str]] = field(default_factory=dict)

    def add(self, feature: Any, problem: str, action: str, *, layer: str | None = None) -> None:
        """Record one problem."""
        self.issues.append({"layer": layer or self.layer or "", "feature": str(feature),
                            "problem": problem, "action": action})

    def add_many(self, features: Sequence[Any], problem: str, action: str, *,
                 layer: str | None = None) -> None:
        """Record the same problem for several features."""
        lay = layer or self.layer or ""
        self.issues.extend({"layer": lay, "feature": str(f), "problem": problem,
                            "action": action} for f in features)

    def issues_frame(self) -> pd.DataFrame:
        """The issues as a table (``layer, feature, problem, action``)."""
        return pd.DataFrame(self.issues, columns=["layer", "feature", "problem", "action"])

    @property
    def n_components(self) -> int:
        """Number of connected components of the imported network."""
        return len(self.component_sizes)

    def summary(self) -> dict[str, Any]:
        """Counts, components, structure groups, fallbacks and issue counts by problem."""
        by_problem: dict[str, int] = {}
        for i in self.issues:
            by_problem[i["problem"]] = by_problem.get(i["problem"], 0) + 1
        return {
            "source": self.source,
            "counts": dict(self.counts),
            "components": self.n_components,
            "largest_components": self.component_sizes[:5],
            "structure_groups": len(self.structures),
            "fallback_links": len(self.fallback_links),
            "issues": by_problem,
        }


# -- small helpers --------------------------------------------------------------------------
def _where(layer: str | None, feature: Any) -> str:
    return f"layer {layer!r}, feature {feature}" if layer else f"feature {feature}"


def _text(s: pd.Series) -> pd.Series:
    """Normalised text: lower case, stripped, integral floats without '.0', NaN -> ''."""
    out = s.astype(object).where(s.notna(), "").astype(str).str.strip().str.lower()
    return out.str.replace(r"^(-?\d+)\.0+$", r"\1", regex=True)


def _truthy(s: pd.Series) -> np.ndarray:
    return ~_text(s).isin(_TRUTHY_NO).to_numpy()


def parse_speed(s: pd.Series) -> tuple[pd.Series, np.ndarray]:
    """Speeds like ``80``, ``"80 km/h"``, ``"50 mph"``, ``"80;60"`` (the first) in km/h; the
    second value flags non-empty values that could not be read."""
    t = _text(s)
    num = pd.to_numeric(t.str.extract(r"^\s*([0-9]+(?:\.[0-9]+)?)")[0], errors="coerce")
    mph = t.str.contains("mph", regex=False).to_numpy()
    v = num.to_numpy(dtype=float)
    v = np.where(mph, v * 1.609344, v)
    bad = (t != "").to_numpy() & ~np.isfinite(v)
    return pd.Series(v, index=s.index), bad


def _numeric(s: pd.Series) -> tuple[pd.Series, np.ndarray]:
    if s.name == "maxspeed":
        return parse_speed(s)
    if pd.api.types.is_numeric_dtype(s):
        return s.astype(float), np.zeros(len(s), dtype=bool)
    t = _text(s)
    v = pd.to_numeric(t.replace({"inf": "inf", "": None}), errors="coerce")
    bad = (t != "").to_numpy() & ~np.isfinite(v.to_numpy(dtype=float)) & ~(t == "inf").to_numpy()
    return v.astype(float), bad


def _rules(table: Any) -> list[dict[str, Any]]:
    if table is None:
        return []
    if isinstance(table, str | Path):
        p = Path(table)
        if not p.exists():
            raise InputError("attribute table not found", source=p)
        table = pd.read_csv(p, dtype=str, keep_default_na=False)
    if isinstance(table, pd.DataFrame):
        table = table.to_dict("records")
    if isinstance(table, Mapping):
        table = [table]
    rules = []
    for i, r in enumerate(table):
        if not isinstance(r, Mapping):
            raise InputError(f"attribute table row {i} is not a mapping")
        rules.append(dict(r))
    return rules


def apply_attribute_table(links: pd.DataFrame, table: Any = None) -> tuple[pd.DataFrame,
                                                                           np.ndarray]:
    """Fill ``capacity``, ``time_h`` and ``track`` from link attributes.

    ``table`` (list of dicts, DataFrame or CSV path) holds rules tried before
    :data:`DEFAULT_ATTRIBUTE_TABLE`. Values already in the ``capacity``, ``time_h`` or
    ``track`` columns are kept; ``speed_kmh`` or ``maxspeed`` columns set the speed where
    present. Returns the table and a mask of links that fell back to a mode-wide default.
    """
    rules = _rules(table) + DEFAULT_ATTRIBUTE_TABLE
    n = len(links)
    out = links.copy()
    cap = np.full(n, np.nan)
    speed = np.full(n, np.nan)
    track = np.full(n, "", dtype=object)
    fallback = np.zeros(n, dtype=bool)
    todo = np.ones(n, dtype=bool)
    cache: dict[str, np.ndarray] = {}
    for rule in rules:
        if not todo.any():
            break
        m = todo.copy()
        for col, val in rule.items():
            if col in _OUTPUTS or val is None or (isinstance(val, float) and np.isnan(val)):
                continue
            sval = str(val).strip().lower()
            if sval.endswith(".0") and sval[:-2].lstrip("-").isdigit():
                sval = sval[:-2]
            if sval in ("", "*"):
                continue
            if col not in links.columns:
                m[:] = False
                break
            if col not in cache:
                cache[col] = _text(links[col]).to_numpy(dtype=object)
            neg = sval.startswith("!")
            alts = sval.lstrip("!").split("|")
            hit = np.isin(cache[col], alts)
            m &= ~hit if neg else hit
        if not m.any():
            continue
        cap[m] = float(rule.get("capacity", np.inf))
        speed[m] = float(rule.get("speed_kmh", np.nan))
        track[m] = str(rule.get("track", "") or "")
        fb = rule.get("fallback", False)
        fallback[m] = str(fb).strip().lower() in ("true", "1", "yes")
        todo &= ~m
    for col in ("capacity", "time_h", "speed_kmh", "maxspeed"):
        if col in out.columns:
            out[col] = pd.to_numeric(out[col], errors="coerce")
    given_cap = out["capacity"].to_numpy(dtype=float) if "capacity" in out else np.full(n, np.nan)
    cap_final = np.where(np.isnan(given_cap), cap, given_cap)
    sp = speed
    for col in ("maxspeed", "speed_kmh"):
        if col in out.columns:
            v = out[col].to_numpy(dtype=float)
            ok = np.isfinite(v) & (v > 0)
            sp = np.where(ok, v, sp)
    length = out["length_km"].to_numpy(dtype=float)
    t = length / sp
    if "time_h" in out.columns:
        given_t = out["time_h"].to_numpy(dtype=float)
        t = np.where(np.isnan(given_t), t, given_t)
    given_track = _text(out["track"]).to_numpy(dtype=object) if "track" in out else \
        np.full(n, "", dtype=object)
    track_final = np.where(np.isin(given_track, ["single", "double"]), given_track, track)
    out["capacity"] = cap_final
    out["time_h"] = t
    out["track"] = track_final
    fb_final = fallback & np.isnan(given_cap)
    return out, fb_final


# -- reading and checking --------------------------------------------------------------------
def read_lines(path: str | Path, *, layer: str | None = None, nodes: Any = None,
               nodes_layer: str | None = None, bbox: Sequence[float] | None = None,
               **kwargs: Any) -> tuple[Network, ImportReport]:
    """Read a line layer (GeoJSON, GeoPackage, Shapefile, GeoParquet) and build a network.

    ``nodes`` may be a GeoDataFrame or a path; in a GeoPackage a point layer named ``nodes``
    (or ``nodes_layer``) is used automatically. ``bbox`` is ``(minlon, minlat, maxlon,
    maxlat)`` in EPSG:4326. Other keywords go to :func:`lines_to_network`.
    """
    p = Path(path)
    if not p.exists():
        raise InputError("no such file", source=p)
    gpd: Any = require("geopandas", "geo")
    pyogrio: Any = require("pyogrio", "geo")
    suffix = p.suffix.lower()
    try:
        layers = ([] if suffix in (".parquet", ".geoparquet")
                  else [(str(a), str(b)) for a, b in pyogrio.list_layers(p)])
    except Exception as e:  # pyogrio raises several error types for unreadable data
        raise InputError(f"cannot read: {e}", source=p) from None
    if layer is None and layers:
        lines = [a for a, b in layers if "line" in b.lower() or b == "Unknown"]
        layer = "links" if "links" in dict(layers) else (lines[0] if lines else layers[0][0])
    if nodes is None and suffix == ".gpkg":
        want = nodes_layer or "nodes"
        if want in dict(layers):
            nodes_layer = want
            nodes = p
    try:
        if suffix in (".parquet", ".geoparquet"):
            gdf = gpd.read_parquet(p)
            if bbox is not None:
                gdf = gdf.cx[bbox[0]:bbox[2], bbox[1]:bbox[3]]
        else:
            gdf = gpd.read_file(p, layer=layer, engine="pyogrio", bbox=_bbox_in(p, layer, bbox))
    except Exception as e:  # pyogrio and pyarrow raise many error types
        raise InputError(f"cannot read: {e}", source=p,
                         element=f"layer {layer!r}" if layer else None) from None
    if isinstance(nodes, str | Path):
        try:
            nodes = gpd.read_file(nodes, layer=nodes_layer, engine="pyogrio")
        except Exception as e:  # pyogrio errors
            raise InputError(f"cannot read nodes: {e}", source=nodes,
                             element=f"layer {nodes_layer!r}" if nodes_layer else None) from None
    kwargs.setdefault("name", p.stem)
    return lines_to_network(gdf, nodes=nodes, layer=layer or p.stem, source=p, **kwargs)


def _bbox_in(p: Path, layer: str | None, bbox: Sequence[float] | None) -> Any:
    if bbox is None:
        return None
    pyogrio: Any = require("pyogrio", "geo")
    info = pyogrio.read_info(p, layer=layer)
    crs = info.get("crs")
    if crs is None or crs.upper() in ("EPSG:4326", "OGC:CRS84"):
        return tuple(bbox)
    from pyproj import Transformer

    tr = Transformer.from_crs("EPSG:4326", crs, always_xy=True)
    x0, y0, x1, y1 = (float(v) for v in bbox)
    return tuple(tr.transform_bounds(x0, y0, x1, y1))


def _prepare(gdf: Any, *, what: str, layer: str | None, source: Any, strict: bool,
             report: ImportReport, want: str, default_crs: Any = None,
             id_column: str | None = None) -> Any:
    """Check CRS and geometries; return a GeoDataFrame in EPSG:4326 with a ``_feature``
    column naming each feature, exploded to single parts."""
    gpd: Any = require("geopandas", "geo")
    shapely: Any = require("shapely", "geo")
    if not isinstance(gdf, gpd.GeoDataFrame):
        raise InputError(f"the {what} layer is not a GeoDataFrame", source=source,
                         element=f"layer {layer!r}" if layer else None)
    if len(gdf) == 0:
        raise InputError(f"the {what} layer is empty", source=source,
                         element=f"layer {layer!r}" if layer else None)
    gdf = gdf.copy()
    label = [str(x) for x in gdf.index]
    if id_column is not None and id_column in gdf.columns:
        ids = _text_keep(gdf[id_column]).to_numpy(dtype=object)
        label = [i if i else lab for i, lab in zip(ids, label, strict=True)]
    gdf["_feature"] = label
    gdf = gdf.reset_index(drop=True)
    geom = gdf.geometry.to_numpy()
    if gdf.crs is None:
        b = shapely.total_bounds(geom)
        plausible = bool(np.all(np.isfinite(b))) and b[0] >= -180 and b[2] <= 360 and \
            b[1] >= -90 and b[3] <= 90
        if default_crs is not None:
            gdf = gdf.set_crs(default_crs)
            report.add("*", f"no CRS; assumed that of the line layer ({default_crs})",
                       "assumed", layer=layer)
        elif strict or not plausible:
            raise InputError(f"the {what} layer has no CRS; set one (e.g. EPSG:4326)",
                             source=source, element=f"layer {layer!r}" if layer else None)
        else:
            gdf = gdf.set_crs("EPSG:4326")
            report.add("*", "no CRS; coordinates look like lon/lat, assumed EPSG:4326",
                       "assumed", layer=layer)
    tid = shapely.get_type_id(geom)
    empty = shapely.is_empty(geom) | (tid < 0)
    ok_types = (1, 2, 5) if want == "line" else (0, 4)
    wrong = ~empty & ~np.isin(tid, ok_types)
    coords, idx = shapely.get_coordinates(geom, return_index=True)
    nonfinite = np.zeros(len(geom), dtype=bool)
    bad_xy = ~np.isfinite(coords).all(axis=1)
    nonfinite[idx[bad_xy]] = True
    problems = [(empty, "empty or missing geometry"),
                (wrong, f"not a {want} geometry"),
                (nonfinite & ~wrong & ~empty, "invalid geometry (non-finite coordinates)")]
    drop = np.zeros(len(geom), dtype=bool)
    for mask, msg in problems:
        if mask.any():
            feats = gdf["_feature"].to_numpy()[mask]
            if strict:
                i = np.flatnonzero(mask)[0]
                kind = shapely.get_type_id(geom[i])
                detail = f" ({shapely.GeometryType(kind).name})" if kind >= 0 else ""
                raise InputError(msg + detail, source=source, element=_where(layer, feats[0]))
            report.add_many(list(feats), msg, "dropped", layer=layer)
            drop |= mask
    gdf = gdf.loc[~drop]
    if len(gdf) == 0:
        raise InputError(f"the {what} layer has no usable {want} geometries", source=source,
                         element=f"layer {layer!r}" if layer else None)
    try:
        gdf = gdf.to_crs("EPSG:4326")
    except Exception as e:  # pyproj errors
        raise InputError(f"cannot reproject from {gdf.crs} to EPSG:4326: {e}", source=source,
                         element=f"layer {layer!r}" if layer else None) from None
    gdf = gdf.explode(index_parts=False).reset_index(drop=True)
    g = gdf.geometry.to_numpy()
    c = shapely.get_coordinates(g)
    if len(c) and (np.abs(c[:, 1]).max() > 90 or np.abs(c[:, 0]).max() > 540):
        raise InputError("coordinates out of range for longitude/latitude — is the CRS right?",
                         source=source, element=f"layer {layer!r}" if layer else None)
    if len(c) and (np.abs(c[:, 0]) > 180).any():
        c[:, 0] = (c[:, 0] + 180.0) % 360.0 - 180.0
        gdf = gdf.set_geometry(shapely.set_coordinates(g.copy(), c), crs="EPSG:4326")
    return gdf


def _check_attributes(gdf: pd.DataFrame, *, layer: str | None, source: Any, strict: bool,
                      report: ImportReport) -> pd.DataFrame:
    for col in _NUMERIC:
        if col not in gdf.columns:
            continue
        v, bad = _numeric(gdf[col])
        if bad.any():
            feats = gdf["_feature"].to_numpy()[bad]
            vals = gdf[col].to_numpy()[bad]
            msg = f"column {col!r} must be a number, got {vals[0]!r}"
            if strict and col != "maxspeed":
                raise InputError(msg, source=source, element=_where(layer, feats[0]))
            report.add_many(list(feats), f"column {col!r} is not a number", "default used",
                            layer=layer)
        gdf[col] = v.to_numpy(dtype=float)
    return gdf


def _structure(gdf: pd.DataFrame) -> np.ndarray:
    n = len(gdf)
    if "structure" in gdf.columns:
        s = _text(gdf["structure"]).to_numpy(dtype=object)
        s = np.where(s == "", "none", s)
        return np.where(np.isin(s, STRUCTURES), s, "other").astype(object)
    out = np.full(n, "none", dtype=object)
    if "bridge" in gdf.columns:
        b = _text(gdf["bridge"]).to_numpy(dtype=object)
        out = np.where(_truthy(gdf["bridge"]), np.where(b == "viaduct", "viaduct", "bridge"),
                       out)
    if "tunnel" in gdf.columns:
        out = np.where(_truthy(gdf["tunnel"]), "tunnel", out)
    return out.astype(object)


# -- the builder -----------------------------------------------------------------------------
def lines_to_network(
    gdf: Any,
    *,
    nodes: Any = None,
    tolerance_m: float = 1.0,
    node_tolerance_m: float | None = None,
    attribute_table: Any = None,
    strict: bool = True,
    mode: str = "rail",
    merge: bool = True,
    structure_gap_m: float = 30.0,
    layer: str | None = None,
    nodes_layer: str | None = "nodes",
    source: str | Path | None = None,
    name: str = "network",
    id_column: str | None = None,
    node_id_column: str | None = None,
    progress: Progress | None = None,
) -> tuple[Network, ImportReport]:
    """Build a network from a GeoDataFrame of lines (see the module docstring for the steps).

    Parameters
    ----------
    gdf
        Line layer (LineString / MultiLineString), any CRS. Columns such as ``name``,
        ``mode``, ``usage``, ``service``, ``tracks``, ``electrified``, ``maxspeed``,
        ``tunnel``, ``bridge``, ``structure``, ``capacity``, ``time_h``, ``direction``,
        ``group`` are used; all others are carried to the links.
    nodes
        Optional point layer (stations, ports, depots). Each point within
        ``node_tolerance_m`` of a line becomes a node on it (the line is split there); its
        ``id``, ``name``, ``kind`` and other columns are kept. Points farther away stay as
        isolated nodes and are reported.
    tolerance_m
        Snapping distance in metres, whatever the CRS.
    node_tolerance_m
        How far a node point may lie from its line (default ``tolerance_m``).
    attribute_table
        Rules tried before :data:`DEFAULT_ATTRIBUTE_TABLE` (list of dicts, DataFrame or CSV).
    strict
        Raise on the first bad feature (True) or drop it and report it (False).
    mode
        Mode of links without a ``mode`` column.
    merge
        Merge chains of degree-2 links whose attributes agree.
    structure_gap_m
        Tunnels or bridges whose lines run within this distance of each other form one
        failure group.
    layer, nodes_layer, source
        Names used in messages and in the report.
    id_column, node_id_column
        Columns holding feature ids (default ``id`` when present).
    progress
        ``callback(step, done, total)``.
    """
    shapely: Any = require("shapely", "geo")
    report = ImportReport(source=str(source) if source is not None else None, layer=layer)
    node_tol = float(tolerance_m if node_tolerance_m is None else node_tolerance_m)
    tol = float(tolerance_m)
    if not np.isfinite(tol) or tol < 0 or not np.isfinite(node_tol) or node_tol < 0:
        raise InputError("tolerances must be finite and >= 0", source=source)
    steps = 7

    def tick(i: int, label: str) -> None:
        if progress is not None:
            progress(f"topology: {label}", i, steps)

    tick(0, "checking")
    idcol = id_column or ("id" if "id" in getattr(gdf, "columns", ()) else None)
    lines = _prepare(gdf, what="line", layer=layer, source=source, strict=strict,
                     report=report, want="line", id_column=idcol)
    report.counts["features"] = len(gdf)
    lines = _check_attributes(lines, layer=layer, source=source, strict=strict, report=report)
    for col in ("from", "to", "length_km"):
        if col in lines.columns:
            lines = lines.drop(columns=col)
    if "mode" not in lines.columns:
        lines["mode"] = mode
    lines["mode"] = _text(lines["mode"]).replace("", mode)
    lines["structure"] = _structure(lines)
    pts = None
    if nodes is not None:
        pts = _prepare(nodes, what="node", layer=nodes_layer, source=source, strict=strict,
                       report=report, want="point", default_crs=getattr(gdf, "crs", None),
                       id_column=node_id_column or "id")
    geoms = lines.geometry.to_numpy()
    n_lines = len(geoms)
    struct = lines["structure"].to_numpy(dtype=object)

    # -- vertices and break points ---------------------------------------------------------
    tick(1, "finding junctions")
    xy, vline = shapely.get_coordinates(geoms, return_index=True)
    nv = len(xy)
    starts = _snap.group_runs(vline)[:-1]
    ends = np.r_[starts[1:], nv] - 1
    first = np.zeros(nv, dtype=bool)
    last = np.zeros(nv, dtype=bool)
    first[starts] = True
    last[ends] = True
    is_end = first | last
    brk = np.zeros(nv, dtype=bool)
    pairs = _snap.close_pairs(xy[:, 0], xy[:, 1], tol)
    if len(pairs):
        a, b = pairs[:, 0], pairs[:, 1]
        la, lb = vline[a], vline[b]
        diff = la != lb
        same_kind = struct[la] == struct[lb]
        # split b at a when a is an end (T-junction) or both interiors join (shared vertex)
        ok_b = diff & (same_kind | (is_end[a] & (struct[lb] == "none")))
        ok_a = diff & (same_kind | (is_end[b] & (struct[la] == "none")))
        brk[b[ok_b]] = True
        brk[a[ok_a]] = True
    # lines crossing the antimeridian are planar nonsense there: they join only at vertices
    dlon = np.abs(np.diff(xy[:, 0])) > 180.0
    wraps = np.zeros(n_lines, dtype=bool)
    wraps[vline[1:][dlon & (vline[1:] == vline[:-1])]] = True
    # segment positions for insertion
    seg = np.hypot(np.diff(xy[:, 0]), np.diff(xy[:, 1]))
    seg[vline[1:] != vline[:-1]] = 0.0
    cum = np.r_[0.0, np.cumsum(seg)]
    cum = cum - cum[starts][vline]
    big = float(cum.max()) + 1.0 if nv else 1.0
    gkey = vline * big + cum

    ins_line: list[np.ndarray] = []
    ins_pos: list[np.ndarray] = []
    ins_xy: list[np.ndarray] = []

    def attach(qx: np.ndarray, qy: np.ndarray, qline: np.ndarray, qtol: float,
               nearest_only: bool) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Attach query points to nearby line interiors: mark or insert break vertices.
        Returns, per query point, whether attached and the attachment coordinates."""
        nq = len(qx)
        hit = np.zeros(nq, dtype=bool)
        hx, hy = qx.copy(), qy.copy()
        if nq == 0 or qtol <= 0:
            return hit, hx, hy
        tree = shapely.STRtree(geoms)
        qp = shapely.points(qx, qy)
        pad = _snap.degree_padding(qtol, np.r_[qy, xy[:, 1]])
        qi, li = tree.query(qp, predicate="dwithin", distance=pad)
        keep = (li != qline[qi]) & ~wraps[li]
        if not nearest_only:
            # an end touching a structure of another kind from outside does not join it
            keep &= (struct[li] == struct[np.maximum(qline[qi], 0)]) | (struct[li] == "none")
        qi, li = qi[keep], li[keep]
        if len(qi) == 0:
            return hit, hx, hy
        loc = shapely.line_locate_point(geoms[li], qp[qi])
        near = shapely.get_coordinates(shapely.line_interpolate_point(geoms[li], loc))
        d = _snap.distance_m(qx[qi], qy[qi], near[:, 0], near[:, 1])
        ok = d <= qtol
        qi, li, loc, near, d = qi[ok], li[ok], loc[ok], near[ok], d[ok]
        if nearest_only and len(qi):
            o = np.lexsort((d, qi))
            qi, li, loc, near, d = qi[o], li[o], loc[o], near[o], d[o]
            u = np.r_[True, qi[1:] != qi[:-1]]
            qi, li, loc, near, d = qi[u], li[u], loc[u], near[u], d[u]
        if len(qi) == 0:
            return hit, hx, hy
        k = np.searchsorted(gkey, li * big + loc, side="right")
        k = np.clip(k, starts[li] + 1, ends[li])
        v0, v1 = k - 1, k
        d0 = _snap.distance_m(near[:, 0], near[:, 1], xy[v0, 0], xy[v0, 1])
        d1 = _snap.distance_m(near[:, 0], near[:, 1], xy[v1, 0], xy[v1, 1])
        use0 = d0 <= tol
        use1 = ~use0 & (d1 <= tol)
        new = ~use0 & ~use1
        vsel = np.where(use0, v0, v1)
        at_vertex = use0 | use1
        # a query near a line end is an end-to-end join, handled by snapping
        end_join = at_vertex & is_end[vsel]
        mark = at_vertex & ~end_join
        brk[vsel[mark]] = True
        hit[qi[mark | new]] = True
        hx[qi[mark]], hy[qi[mark]] = xy[vsel[mark], 0], xy[vsel[mark], 1]
        hx[qi[new]], hy[qi[new]] = near[new, 0], near[new, 1]
        if nearest_only:
            hit[qi[end_join]] = True
            hx[qi[end_join]], hy[qi[end_join]] = xy[vsel[end_join], 0], xy[vsel[end_join], 1]
        ins_line.append(li[new])
        ins_pos.append(loc[new])
        ins_xy.append(near[new])
        return hit, hx, hy

    attach(xy[is_end, 0], xy[is_end, 1], vline[is_end], tol, nearest_only=False)
    node_xy = np.zeros((0, 2))
    node_hit = np.zeros(0, dtype=bool)
    if pts is not None:
        pxy = shapely.get_coordinates(pts.geometry.to_numpy())
        node_hit, hx, hy = attach(pxy[:, 0], pxy[:, 1], np.full(len(pxy), -1), node_tol,
                                  nearest_only=True)
        node_xy = np.column_stack([hx, hy])
        if (~node_hit).any():
            report.add_many(list(pts["_feature"].to_numpy()[~node_hit]),
                            f"node farther than {node_tol:g} m from any line", "kept isolated",
                            layer=nodes_layer)
    # closed lines: cut in the middle
    closed_d = _snap.distance_m(xy[starts, 0], xy[starts, 1], xy[ends, 0], xy[ends, 1])
    nverts = ends - starts + 1
    closed = (closed_d <= tol) & (nverts >= 3)
    brk[(starts + nverts // 2)[closed]] = True
    brk &= ~is_end

    # -- pieces ---------------------------------------------------------------------------
    tick(2, "splitting")
    il = np.concatenate(ins_line) if ins_line else np.zeros(0, dtype=np.int64)
    ip = np.concatenate(ins_pos) if ins_pos else np.zeros(0)
    ixy = np.concatenate(ins_xy) if ins_xy else np.zeros((0, 2))
    all_line = np.r_[vline, il]
    all_pos = np.r_[cum, ip]
    all_xy = np.vstack([xy, ixy])
    all_brk = np.r_[brk, np.ones(len(il), dtype=bool)]
    o = np.lexsort((np.r_[np.zeros(nv), np.ones(len(il))], all_pos, all_line))
    all_line, all_xy, all_brk = all_line[o], all_xy[o], all_brk[o]
    rep = 1 + all_brk.astype(np.int64)
    r_line = np.repeat(all_line, rep)
    r_xy = np.repeat(all_xy, rep, axis=0)
    second = np.zeros(len(r_line), dtype=bool)
    pos_first = np.cumsum(rep) - rep
    second[pos_first[all_brk] + 1] = True
    piece = np.cumsum(second | np.r_[True, r_line[1:] != r_line[:-1]]) - 1
    n_pieces = int(piece[-1]) + 1 if len(piece) else 0
    pstarts = _snap.group_runs(piece)
    p_first, p_last = pstarts[:-1], pstarts[1:] - 1
    p_line = r_line[p_first]
    # drop consecutive duplicate vertices inside a piece later via shapely; keep counts
    report.counts["lines"] = n_lines
    report.counts["pieces"] = n_pieces

    # -- snapping ends into nodes -------------------------------------------------------------
    tick(3, "snapping")
    ex = np.r_[r_xy[p_first, 0], r_xy[p_last, 0]]
    ey = np.r_[r_xy[p_first, 1], r_xy[p_last, 1]]
    n_np = len(node_xy)
    cx = np.r_[node_xy[:, 0], ex]
    cy = np.r_[node_xy[:, 1], ey]
    member_ok = np.r_[node_hit, np.ones(len(ex), dtype=bool)]
    cp = _snap.close_pairs(cx, cy, tol)
    if len(cp):
        cp = cp[member_ok[cp[:, 0]] & member_ok[cp[:, 1]]]
    lab = _snap.components(len(cx), cp)
    # representative: the first member (node points come first)
    order = np.argsort(lab, kind="stable")
    gst = _snap.group_runs(lab[order])
    rep_idx = order[gst[:-1]]
    n_nodes = len(rep_idx)
    cl_of = np.empty(len(cx), dtype=np.int64)
    cl_of[order] = np.repeat(np.arange(n_nodes), np.diff(gst))
    if n_np:
        first_node = np.full(n_nodes, -1, dtype=np.int64)
        is_pt = order < n_np
        grp = np.repeat(np.arange(n_nodes), np.diff(gst))
        # count node points per cluster
        cnt = np.bincount(grp[is_pt], minlength=n_nodes)
        first_node[grp[is_pt][::-1]] = order[is_pt][::-1]
        dup = (cnt > 1)
        if dup.any():
            merged = [i for i in range(n_np) if cnt[cl_of[i]] > 1 and first_node[cl_of[i]] != i]
            report.add_many([pts["_feature"].iloc[i] for i in merged] if pts is not None else [],
                            f"node within {tol:g} m of another node", "merged",
                            layer=nodes_layer)
    nxy = np.column_stack([cx[rep_idx], cy[rep_idx]])
    from_node = cl_of[n_np:n_np + n_pieces]
    to_node = cl_of[n_np + n_pieces:]
    r_xy[p_first] = nxy[from_node]
    r_xy[p_last] = nxy[to_node]

    points = (_Points(pts=pts, hit=node_hit, cluster=cl_of[:n_np], first=first_node)
              if n_np and pts is not None else None)
    snapped = _snap.Snapped(xy=r_xy, piece=piece, line=p_line, frm=from_node, to=to_node,
                       node_xy=nxy)
    attrs = pd.DataFrame(lines.drop(columns=lines.geometry.name))
    net = _assemble(attrs, snapped, points, idcol=idcol, tol=tol, merge=merge,
                    attribute_table=attribute_table, structure_gap_m=structure_gap_m,
                    node_id_column=node_id_column, source=source, name=name, report=report,
                    tick=tick)
    return net, report


def edges_to_network(
    lon: np.ndarray,
    lat: np.ndarray,
    pair: np.ndarray,
    *,
    tolerance_m: float = 1.0,
    mode: str = "rail",
    merge: bool = True,
    attribute_table: Any = None,
    layer: str | None = None,
    source: str | Path | None = None,
    name: str = "network",
    progress: Progress | None = None,
) -> tuple[Network, ImportReport]:
    """Build a network from edges between located nodes, without line geometries.

    Gives the same network and report as :func:`lines_to_network` (``strict=False``) on a
    layer of two-point lines, one per edge, with only a ``mode`` column: the same T-junction
    splits, snapping, dropped zero-length and duplicate links, merged chains, lengths, ids
    and components (see :mod:`chokepoint.io._nodegraph` for how).

    Parameters
    ----------
    lon, lat
        Coordinates of every node in degrees (EPSG:4326); finite, ``|lon| <= 180``,
        ``|lat| <= 90``.
    pair
        One row per edge (line): the positions of its first and last node.
    tolerance_m
        Snapping distance in metres (> 0).
    mode, merge, attribute_table, layer, source, name, progress
        As for :func:`lines_to_network`.

    Returns
    -------
    tuple
        The network and the import report. O(m log m) in the number of edges.
    """
    from chokepoint.io import _nodegraph

    tol = float(tolerance_m)
    if not (np.isfinite(tol) and tol > 0):
        raise InputError("the node-id path needs a tolerance > 0", source=source)
    report = ImportReport(source=str(source) if source is not None else None, layer=layer)

    def tick(i: int, label: str) -> None:
        if progress is not None:
            progress(f"topology: {label}", i, 7)

    tick(1, "finding junctions")
    n_lines = len(pair)
    sn = _nodegraph.snap_edges(np.asarray(lon, dtype=float), np.asarray(lat, dtype=float),
                               np.asarray(pair, dtype=np.int64), tol=tol)
    report.counts["features"] = n_lines
    report.counts["lines"] = n_lines
    report.counts["pieces"] = len(sn.line)
    attrs = pd.DataFrame({"mode": _text(pd.Series(np.full(n_lines, mode, dtype=object)))
                          .replace("", mode)})
    attrs["_feature"] = np.arange(n_lines).astype(str).astype(object)
    attrs["structure"] = np.full(n_lines, "none", dtype=object)
    net = _assemble(attrs, sn, None, idcol=None, tol=tol, merge=merge,
                    attribute_table=attribute_table, structure_gap_m=30.0,
                    node_id_column=None, source=source, name=name, report=report, tick=tick)
    return net, report


@dataclass
class _Points:
    """Node points attached to the lines: the layer, whether each point is on a line, its
    node, and for each node the first point on it (-1: none)."""

    pts: Any
    hit: np.ndarray
    cluster: np.ndarray
    first: np.ndarray


def _assemble(attrs: pd.DataFrame, sn: _snap.Snapped, points: _Points | None, *,
              idcol: str | None, tol: float, merge: bool, attribute_table: Any,
              structure_gap_m: float, node_id_column: str | None, source: Any, name: str,
              report: ImportReport, tick: Any) -> Network:
    """Links, nodes, attributes, groups and components from snapped pieces.

    ``attrs`` is the line table without geometry (one row per line, with ``_feature``).
    Drops zero-length and duplicate pieces, merges degree-2 chains (``merge``), fills
    attributes, names links and nodes, and counts components into ``report``. O(p log p)
    in the number of pieces.
    """
    tick(4, "cleaning")
    links, v_xy, v_piece, akey, n_kept = _clean(attrs, sn, idcol=idcol, tol=tol,
                                                report=report)
    tick(5, "merging")
    n_nodes = len(sn.node_xy)
    protected = np.zeros(n_nodes, dtype=bool)
    if points is not None:
        protected[points.cluster[points.hit]] = True
    if merge and len(links):
        links, v_xy, v_piece = _merge_chains(links, v_xy, v_piece, akey, protected)
    report.counts["merged_away"] = int(n_kept - len(links))
    used = np.zeros(n_nodes, dtype=bool)
    used[links["from"].to_numpy()] = True
    used[links["to"].to_numpy()] = True
    node_table, node_ids = _node_table(sn.node_xy, used | protected, points,
                                       node_id_column=node_id_column, source=source)
    fi, ti = links["from"].to_numpy(), links["to"].to_numpy()
    links["from"] = node_ids[fi]
    links["to"] = node_ids[ti]
    tick(6, "attributes")
    links = _link_attributes(links, v_xy, v_piece, idcol=idcol,
                             attribute_table=attribute_table,
                             structure_gap_m=structure_gap_m, source=source, report=report)
    # components, over node positions in the table
    row = np.cumsum(used | protected) - 1
    lab2 = _snap.components(len(node_table), np.column_stack([row[fi], row[ti]]))
    report.component_sizes = sorted(np.bincount(lab2).tolist(), reverse=True)
    report.counts["links"] = len(links)
    report.counts["nodes"] = len(node_table)
    report.counts["fallback_links"] = len(report.fallback_links)
    tick(7, "done")
    return Network.from_frames(node_table, links, units=Units(), name=name, source=source)


def _clean(attrs: pd.DataFrame, sn: _snap.Snapped, *, idcol: str | None, tol: float,
           report: ImportReport) -> tuple[pd.DataFrame, np.ndarray, np.ndarray, np.ndarray,
                                           int]:
    """Drop zero-length pieces and duplicates (same ends, attributes and length, lying on
    each other); return the link table, kept vertices, their piece, attribute keys and the
    number of links kept."""
    shapely: Any = require("shapely", "geo")
    r_xy, piece, from_node, to_node = sn.xy, sn.piece, sn.frm, sn.to
    n_pieces = len(sn.line)
    length = _snap.path_lengths_km(r_xy[:, 0], r_xy[:, 1], piece, n_pieces)
    attrs = attrs.iloc[sn.line].reset_index(drop=True)
    attrs["_line"] = sn.line
    attrs["length_km"] = length
    attrs["from"] = from_node
    attrs["to"] = to_node
    feat = attrs["_feature"].to_numpy()
    loop = from_node == to_node
    if loop.any():
        report.add_many(list(feat[loop]), "zero-length link (ends snap to one node)", "dropped")
    keep_piece = ~loop
    akey = _attr_hash(attrs, skip={idcol} if idcol else set())
    umin = np.minimum(from_node, to_node)
    umax = np.maximum(from_node, to_node)
    o = np.lexsort((length, akey, umax, umin))
    o = o[keep_piece[o]]
    same = (umin[o][1:] == umin[o][:-1]) & (umax[o][1:] == umax[o][:-1]) & \
        (akey[o][1:] == akey[o][:-1]) & \
        (np.abs(np.diff(length[o])) <= tol / 1000.0 + 0.001 * length[o][1:])
    cand = np.flatnonzero(same)
    if len(cand):  # same ends and length: duplicates only if they also lie on each other
        pa, pb = o[cand], o[cand + 1]
        sel = np.unique(np.r_[pa, pb])
        mid = np.full((n_pieces, 2), np.nan)
        sub = np.isin(piece, sel)
        g_sel = shapely.linestrings(r_xy[sub], indices=np.searchsorted(sel, piece[sub]))
        mid[sel] = shapely.get_coordinates(
            shapely.line_interpolate_point(g_sel, 0.5, normalized=True))
        near = _snap.distance_m(mid[pa, 0], mid[pa, 1], mid[pb, 0], mid[pb, 1]) <= max(tol, 0.01)
        same[cand[~near]] = False
    dup_idx = o[1:][same]
    if len(dup_idx):
        report.add_many(list(feat[dup_idx]), "duplicate link (same ends, attributes, length)",
                        "dropped")
        keep_piece[dup_idx] = False
    report.counts["zero_length_dropped"] = int(loop.sum())
    report.counts["duplicates_dropped"] = len(dup_idx)
    kp = np.flatnonzero(keep_piece)
    vkeep = keep_piece[piece]
    v_piece = np.searchsorted(kp, piece[vkeep])
    return attrs.iloc[kp].reset_index(drop=True), r_xy[vkeep], v_piece, akey[kp], len(kp)


def _node_table(node_xy: np.ndarray, keep_node: np.ndarray, points: _Points | None, *,
                node_id_column: str | None, source: Any) -> tuple[pd.DataFrame, np.ndarray]:
    """The node table (kept nodes, then isolated node points) and every node's id."""
    shapely: Any = require("shapely", "geo")
    n_nodes = len(node_xy)
    node_rows = pd.DataFrame({"lon": node_xy[:, 0], "lat": node_xy[:, 1]})
    node_ids = np.array([f"n{i}" for i in range(n_nodes)], dtype=object)
    node_rows["kind"] = "node"
    extra = None
    if points is not None:
        pts, first_node = points.pts, points.first
        pcols = pd.DataFrame(pts.drop(columns=[pts.geometry.name, "_feature"]))
        nid_col = node_id_column or ("id" if "id" in pcols.columns else None)
        has = first_node >= 0
        src = first_node[has]
        for col in pcols.columns:
            if col in ("lon", "lat"):
                continue
            vals = np.full(n_nodes, None, dtype=object)
            vals[has] = pcols[col].to_numpy(dtype=object)[src]
            if col == "kind":
                vals = np.where(has & pd.notna(vals), vals, "node")
            node_rows[col] = vals
        if nid_col is not None:
            ids = _text_keep(pcols[nid_col]).to_numpy(dtype=object)[src]
            node_ids[has] = np.where(ids == "", node_ids[has], ids)
        else:
            node_ids[has] = [f"p{i}" for i in src]
        if "kind" not in pcols.columns:
            node_rows.loc[has, "kind"] = "station"
        # isolated node points (not attached) are nodes of their own
        iso = np.flatnonzero(~points.hit)
        if len(iso):
            extra = pd.DataFrame(pts.drop(columns=[pts.geometry.name, "_feature"])).iloc[iso]
            extra = extra.reset_index(drop=True)
            pxy_all = shapely.get_coordinates(pts.geometry.to_numpy())
            extra["lon"], extra["lat"] = pxy_all[iso, 0], pxy_all[iso, 1]
            if "kind" not in extra.columns:
                extra["kind"] = "station"
            eid = (_text_keep(extra[nid_col]).to_numpy(dtype=object) if nid_col
                   else np.array([f"p{i}" for i in iso], dtype=object))
            extra["id"] = eid
    if len(pd.unique(node_ids)) != len(node_ids):
        dupl = pd.Series(node_ids).duplicated(keep="first").to_numpy()
        node_ids[dupl] = [f"{x}~{i}" for i, x in zip(np.flatnonzero(dupl), node_ids[dupl],
                                                    strict=True)]
    node_rows["id"] = node_ids
    node_rows["source"] = str(source) if source is not None else ""
    node_table = node_rows.loc[keep_node].reset_index(drop=True)
    if extra is not None:
        node_table = pd.concat([node_table, extra], ignore_index=True)
    return node_table, node_ids


def _link_attributes(links: pd.DataFrame, v_xy: np.ndarray, v_piece: np.ndarray, *,
                     idcol: str | None, attribute_table: Any, structure_gap_m: float,
                     source: Any, report: ImportReport) -> pd.DataFrame:
    """Geometry, attributes (capacity, time, track), ids, direction, failure groups and
    names of the links; fallback links and structures go into ``report``."""
    shapely: Any = require("shapely", "geo")
    links["geometry"] = list(shapely.linestrings(v_xy, indices=v_piece))
    links, fb = apply_attribute_table(links, attribute_table)
    base_id = (_text_keep(links[idcol]).to_numpy(dtype=object) if idcol
               else np.array([f"L{i}" for i in links["_line"]], dtype=object))
    base_id = np.where(base_id == "", [f"L{i}" for i in links["_line"]], base_id)
    s = pd.Series(base_id)
    k = s.groupby(s).cumcount().to_numpy()
    multi = s.map(s.value_counts()).to_numpy() > 1
    links["id"] = np.where(multi, [f"{b}-{j}" for b, j in zip(base_id, k, strict=True)],
                           base_id)
    if idcol and idcol != "id":
        links = links.drop(columns=idcol)
    report.fallback_links = list(links["id"].to_numpy()[fb])
    if "direction" not in links.columns:
        links["direction"] = "both"
    links["direction"] = _text(links["direction"]).replace("", "both")
    name_col = links["name"] if "name" in links.columns else pd.Series([""] * len(links))
    sname = _structure_name(links)
    gid = structure_groups(links, name=sname, gap_m=structure_gap_m)
    given = _text_keep(links["group"]) if "group" in links.columns else \
        pd.Series([""] * len(links))
    links["group"] = np.where(given.to_numpy(dtype=object) != "", given.to_numpy(dtype=object),
                              gid)
    links["name"] = _text_keep(name_col).to_numpy(dtype=object)
    links["source"] = str(source) if source is not None else ""
    members = links.loc[links["structure"] != "none"].groupby("group")["id"].agg(list)
    report.structures = {str(g): list(v) for g, v in members.items()}
    return links.drop(columns=["_line", "_feature"], errors="ignore")


def _text_keep(s: pd.Series) -> pd.Series:
    """Text without case folding (ids, names); integral floats lose '.0'."""
    out = s.astype(object).where(s.notna(), "").astype(str).str.strip()
    return out.str.replace(r"^(-?\d+)\.0+$", r"\1", regex=True)


def _attr_hash(attrs: pd.DataFrame, skip: set[str]) -> np.ndarray:
    cols = [c for c in attrs.columns if c not in _MERGE_SKIP and c not in skip]
    if not cols:
        return np.zeros(len(attrs), dtype=np.uint64)
    frame = attrs[cols].astype(object).where(attrs[cols].notna(), None).astype(str)
    return pd.util.hash_pandas_object(frame, index=False).to_numpy()


def _structure_name(links: pd.DataFrame) -> np.ndarray:
    out = np.full(len(links), "", dtype=object)
    for col in ("structure_name", "bridge:name", "tunnel:name", "bridge_name", "tunnel_name"):
        if col in links.columns:
            v = _text_keep(links[col]).to_numpy(dtype=object)
            out = np.where(out == "", v, out)
    return out


def structure_groups(links: pd.DataFrame, *, name: np.ndarray | None = None,
                     gap_m: float = 30.0) -> np.ndarray:
    """Failure group of each link: one group per tunnel or bridge, else the link id.

    Two structure links (``structure`` not ``none``) of the same kind belong to one structure
    when they share an end node, or when they run alongside each other: at least two of three
    points along the shorter one lie within ``gap_m`` metres of the other. Different
    structure names (``name``) keep them apart. Needs ``geometry`` in EPSG:4326.
    """
    shapely: Any = require("shapely", "geo")
    n = len(links)
    ids = (links["id"].to_numpy(dtype=object) if "id" in links.columns
           else np.array([f"L{i}" for i in range(n)], dtype=object))
    out = ids.copy()
    struct = links["structure"].to_numpy(dtype=object)
    sidx = np.flatnonzero(struct != "none")
    if len(sidx) == 0:
        return out
    nm = name if name is not None else np.full(n, "", dtype=object)
    geoms = links["geometry"].to_numpy()[sidx]
    st = struct[sidx]
    nms = nm[sidx]
    frm = links["from"].to_numpy()[sidx]
    to = links["to"].to_numpy()[sidx]
    pairs: list[np.ndarray] = []
    # shared ends
    ends = pd.DataFrame({"node": np.r_[frm, to], "i": np.r_[np.arange(len(sidx)),
                                                            np.arange(len(sidx))]})
    m = ends.merge(ends, on="node")
    m = m[m["i_x"] < m["i_y"]]
    pairs.append(m[["i_x", "i_y"]].to_numpy(dtype=np.int64))
    # alongside
    tree = shapely.STRtree(geoms)
    c = shapely.get_coordinates(geoms)
    pad = _snap.degree_padding(gap_m, c[:, 1])
    a, b = tree.query(geoms, predicate="dwithin", distance=pad)
    k = a < b
    a, b = a[k], b[k]
    if len(a):
        la = _geod_len(geoms[a])
        lb = _geod_len(geoms[b])
        short = np.where(la <= lb, a, b)
        long_ = np.where(la <= lb, b, a)
        hits = np.zeros(len(a), dtype=np.int64)
        for f in (0.25, 0.5, 0.75):
            p = shapely.line_interpolate_point(geoms[short], f, normalized=True)
            q = shapely.line_interpolate_point(geoms[long_],
                                               shapely.line_locate_point(geoms[long_], p))
            pc, qc = shapely.get_coordinates(p), shapely.get_coordinates(q)
            hits += _snap.distance_m(pc[:, 0], pc[:, 1], qc[:, 0], qc[:, 1]) <= gap_m
        pairs.append(np.column_stack([a, b])[hits >= 2])
    pr = np.vstack(pairs) if pairs else np.zeros((0, 2), dtype=np.int64)
    if len(pr):
        ok = (st[pr[:, 0]] == st[pr[:, 1]]) & ((nms[pr[:, 0]] == nms[pr[:, 1]]) |
                                                (nms[pr[:, 0]] == "") | (nms[pr[:, 1]] == ""))
        pr = pr[ok]
    lab = _snap.components(len(sidx), pr)
    first = pd.Series(np.arange(len(sidx))).groupby(lab).transform("min").to_numpy()
    label = np.array([f"{s}:{i}" for s, i in zip(st[first], ids[sidx][first], strict=True)],
                     dtype=object)
    out[sidx] = label
    return out


def _geod_len(geoms: np.ndarray) -> np.ndarray:
    shapely: Any = require("shapely", "geo")
    c, i = shapely.get_coordinates(geoms, return_index=True)
    return _snap.path_lengths_km(c[:, 0], c[:, 1], i, len(geoms))


def _merge_chains(links: pd.DataFrame, v_xy: np.ndarray, v_piece: np.ndarray,
                  akey: np.ndarray, protected: np.ndarray) -> tuple[pd.DataFrame, np.ndarray,
                                                                  np.ndarray]:
    """Merge links joined at nodes of degree 2 whose attributes agree."""
    n = len(links)
    frm = links["from"].to_numpy(dtype=np.int64)
    to = links["to"].to_numpy(dtype=np.int64)
    fwd = (_text(links["direction"]).to_numpy(dtype=object) == "forward"
           if "direction" in links.columns else np.zeros(n, dtype=bool))
    end_node = np.r_[frm, to]
    end_link = np.r_[np.arange(n), np.arange(n)]
    end_side = np.r_[np.zeros(n, dtype=np.int64), np.ones(n, dtype=np.int64)]
    o = np.argsort(end_node, kind="stable")
    en, el, es = end_node[o], end_link[o], end_side[o]
    run = _snap.group_runs(en)
    deg = np.diff(run)
    two = np.flatnonzero(deg == 2)
    i0 = run[:-1][two]
    i1 = i0 + 1
    node = en[i0]
    la, lb = el[i0], el[i1]
    sa, sb = es[i0], es[i1]
    ok = (la != lb) & ~protected[node] & (akey[la] == akey[lb])
    # one-way links only merge head to tail
    ok &= ~(fwd[la] | fwd[lb]) | (sa != sb)
    nbr0 = np.full(n, -1, dtype=np.int64)
    nbr1 = np.full(n, -1, dtype=np.int64)
    for lk, side, other in ((la, sa, lb), (lb, sb, la)):
        s0 = ok & (side == 0)
        s1 = ok & (side == 1)
        nbr0[lk[s0]] = other[s0]
        nbr1[lk[s1]] = other[s1]
    if not ok.any():
        return links, v_xy, v_piece
    order, chain, rev = _snap.walk_chains(frm, to, nbr0, nbr1)
    # one-way chains walked backwards: reverse them
    cst = _snap.group_runs(chain)
    n_ch = len(cst) - 1
    first_rev = rev[cst[:-1]] & fwd[order[cst[:-1]]]
    flip = np.repeat(first_rev, np.diff(cst))
    if flip.any():
        pos = np.arange(len(order))
        cstart = np.repeat(cst[:-1], np.diff(cst))
        cend = np.repeat(cst[1:], np.diff(cst)) - 1
        newpos = np.where(flip, cstart + cend - pos, pos)
        inv = np.empty_like(newpos)
        inv[newpos] = pos
        order, rev = order[inv], np.where(flip, ~rev, rev)[inv]
    # ends of each chain
    f_end = np.where(rev, to[order], frm[order])
    t_end = np.where(rev, frm[order], to[order])
    c_from = f_end[cst[:-1]]
    c_to = t_end[cst[1:] - 1]
    # a chain returning to its start would be a loop: cut it in two halves
    loopc = (c_from == c_to) & (np.diff(cst) >= 2)
    if loopc.any():
        size = np.diff(cst)
        posin = np.arange(len(order)) - np.repeat(cst[:-1], size)
        half = np.repeat(size // 2, size)
        second = np.repeat(loopc, size) & (posin >= half)
        chain = np.cumsum(np.r_[True, (chain[1:] != chain[:-1]) | (second[1:] & ~second[:-1])])
        chain = chain - 1
        cst = _snap.group_runs(chain)
        n_ch = len(cst) - 1
        c_from = f_end[cst[:-1]]
        c_to = t_end[cst[1:] - 1]
    # geometry: gather vertex blocks in walk order
    vst = _snap.group_runs(v_piece)
    cnt = np.diff(vst)
    bcnt = cnt[order]
    boff = np.repeat(np.cumsum(bcnt) - bcnt, bcnt)
    k = np.arange(int(bcnt.sum())) - boff
    bstart = np.repeat(vst[:-1][order], bcnt)
    brev = np.repeat(rev, bcnt)
    src = np.where(brev, bstart + np.repeat(bcnt, bcnt) - 1 - k, bstart + k)
    vchain = np.repeat(chain, bcnt)
    # drop the first vertex of every block that is not the first of its chain
    is_first_block = np.r_[True, chain[1:] != chain[:-1]]
    drop = (k == 0) & ~np.repeat(is_first_block, bcnt)
    new_xy = v_xy[src[~drop]]
    new_piece = vchain[~drop]
    head = order[cst[:-1]]
    merged = links.iloc[head].reset_index(drop=True)
    merged["length_km"] = np.bincount(chain, weights=links["length_km"].to_numpy()[order],
                                      minlength=n_ch)
    for col in ("time_h", "cost"):
        if col in links.columns:
            v = links[col].to_numpy(dtype=float)[order]
            merged[col] = np.bincount(chain, weights=v, minlength=n_ch)
    merged["from"] = c_from
    merged["to"] = c_to
    return merged, new_xy, new_piece


# -- writing ----------------------------------------------------------------------------------
def write_network(net: Network, path: str | Path, *, report: ImportReport | None = None) -> Path:
    """Write a network atomically: ``.gpkg`` (layers ``nodes``, ``links`` and, with a report,
    ``issues``), ``.parquet`` (GeoParquet links; nodes beside it as ``*.nodes.parquet``),
    ``.geojson`` (links and nodes in one collection) or ``.csv`` (link table)."""
    from chokepoint.io.write import atomic_path, write_csv

    p = Path(path)
    suffix = p.suffix.lower()
    if suffix == ".csv":
        return write_csv(p, net.links.drop(columns="geometry", errors="ignore"))
    if suffix not in (".gpkg", ".parquet", ".geoparquet", ".geojson", ".json"):
        raise InputError(f"unknown output kind {suffix!r} (use .gpkg, .parquet, .geojson or "
                         ".csv)", source=p)
    gnodes, glinks = net.to_geodataframes()
    gnodes = _writable(gnodes)
    glinks = _writable(glinks)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # GDAL notes on long field names
        if suffix in (".parquet", ".geoparquet"):
            side = p.with_name(p.stem + ".nodes" + p.suffix)
            with atomic_path(side) as tmp_n, atomic_path(p) as tmp:
                gnodes.to_parquet(tmp_n)
                glinks.to_parquet(tmp)
            return p
        with atomic_path(p) as tmp:
            tmp.unlink()
            if suffix == ".gpkg":
                glinks.to_file(tmp, layer="links", driver="GPKG", engine="pyogrio")
                gnodes.to_file(tmp, layer="nodes", driver="GPKG", engine="pyogrio")
                if report is not None and report.issues:
                    pyogrio: Any = require("pyogrio", "geo")
                    pyogrio.write_dataframe(report.issues_frame(), tmp, layer="issues",
                                            driver="GPKG")
            else:
                gpd: Any = require("geopandas", "geo")
                both = gpd.GeoDataFrame(
                    pd.concat([glinks.assign(layer="link"), gnodes.assign(layer="node")],
                              ignore_index=True), geometry="geometry", crs="EPSG:4326")
                both.to_file(tmp, driver="GeoJSON", engine="pyogrio")
    return p


def _writable(gdf: Any) -> Any:
    """Columns GDAL can store: infinities become NaN only in float columns it cannot hold
    (GeoPackage keeps inf), objects become text."""
    gdf = gdf.copy()
    for col in gdf.columns:
        if col == gdf.geometry.name:
            continue
        s = gdf[col]
        if s.dtype == object:
            gdf[col] = s.where(s.notna(), None).map(lambda v: v if v is None else str(v))
    return gdf
