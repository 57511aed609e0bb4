"""Reading a file from someone you do not trust (a web upload): the declared format only.

:func:`read_untrusted` takes the file's bytes and its declared suffix and parses them with a
reader restricted to that format, after sniffing the content:

* ``.toml`` — :mod:`tomllib`; a UTF-8 BOM is accepted; ``[network]`` file references are
  refused (an upload must be self-contained); deep nesting is refused, not a crash.
* ``.json`` / ``.geojson`` — a pure-Python GeoJSON reader (:mod:`json` + shapely); GDAL never
  sees the bytes, so an OGR VRT (XML), a ``/vsi…`` path or any other file-referencing GDAL
  dataset cannot be opened through it.
* ``.gpkg`` — must be an SQLite file with the GeoPackage application id. The schema is read
  with :mod:`sqlite3` (read-only, nothing executed) first: views, virtual tables other than
  the R-tree index, triggers other than GeoPackage's own, and any SQL naming ``ATTACH``,
  ``load_extension`` or a ``/vsi`` path are refused. GDAL then opens it with the GeoPackage
  driver named explicitly (``GPKG:file:layer``).
* ``.parquet`` — GeoParquet through pyarrow (no GDAL); the row count is read from the footer
  before a single row is materialised.
* ``.csv`` and ``.max`` / ``.min`` — the plain-text readers, after counting rows (the DIMACS
  problem line's counts are checked before anything is allocated).

Every size is checked against ``max_elements`` (nodes + links) before the network is built.
Error messages name the upload (``display``), never a server path, and never pass on a
library's message that could reveal whether a path exists on the server.
"""

from __future__ import annotations

import io
import json
import re
import sqlite3
import tempfile
import tomllib
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pandas as pd

from chokepoint.errors import ChokepointError, InputError, require
from chokepoint.limits import check_size
from chokepoint.scenario import Scenario

__all__ = ["UPLOAD_SUFFIXES", "read_untrusted"]

#: Suffixes an upload may declare.
UPLOAD_SUFFIXES = (".toml", ".csv", ".geojson", ".json", ".gpkg", ".parquet", ".max", ".min")

_SQLITE_MAGIC = b"SQLite format 3\x00"
_GPKG_APP_ID = 0x47504B47  # "GPKG"
_GPKG_OLD_APP_ID = 0x47503130  # "GP10", GeoPackage 1.0
_VSI = re.compile(rb"/vsi[a-z0-9_]*/", re.IGNORECASE)
_XML = re.compile(rb"^\s*<", re.DOTALL)
_TRIGGER_OK = re.compile(r"^(gpkg_|rtree_|trigger_(insert|delete)_feature_count_)",
                         re.IGNORECASE)
_SQL_BAD = re.compile(r"\battach\b|load_extension|/vsi|virtualtext|virtualshape|"
                      r"virtualxl|virtualdbf|virtualfdo|virtualelementary|fts3_tokenizer",
                      re.IGNORECASE)


def _refuse(message: str, display: str, element: str | None = None) -> InputError:
    return InputError(message, source=display, element=element)


def _sniff(data: bytes, suffix: str, display: str) -> None:
    """Refuse content that is not what the suffix declares (XML/VRT, /vsi paths...)."""
    head = data[:65536].removeprefix(b"\xef\xbb\xbf")
    if b"<OGRVRTDataSource" in head or b"<VRTDataset" in head or (
            suffix != ".gpkg" and _XML.match(head)):
        raise _refuse("XML content (such as a GDAL/OGR VRT file) is not accepted; upload "
                      f"the {suffix} file itself", display)
    if suffix in (".gpkg", ".parquet"):
        return
    if _VSI.search(data):
        raise _refuse("GDAL virtual file paths (/vsi…) are not accepted in uploads", display)


def read_untrusted(data: bytes, suffix: str, *, display: str,
                   max_elements: int) -> Scenario:
    """Parse an uploaded file restricted to its declared format.

    Parameters
    ----------
    data
        The file's bytes.
    suffix
        The declared suffix (one of :data:`UPLOAD_SUFFIXES`, lower case).
    display
        The name used in messages (the client's file name, sanitised).
    max_elements
        Most nodes + links (rows, features) the file may hold; checked before building.

    Raises
    ------
    InputError
        One line naming the upload, the element and the problem.
    """
    suffix = suffix.lower()
    if suffix not in UPLOAD_SUFFIXES:
        raise _refuse(f"unsupported file kind {suffix or '(none)'!r}; upload one of "
                      + ", ".join(UPLOAD_SUFFIXES), display)
    _sniff(data, suffix, display)
    readers: dict[str, Callable[[bytes, str, int], Scenario]] = {
        ".toml": _toml, ".json": _geojson, ".geojson": _geojson, ".gpkg": _gpkg,
        ".parquet": _parquet, ".csv": _csv, ".max": _dimacs, ".min": _dimacs}
    try:
        s = readers[suffix](data, display, max_elements)
    except RecursionError:
        raise _refuse("nested too deeply to read", display) from None
    s.path = None
    return s


def _text(data: bytes, display: str) -> str:
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as e:
        raise _refuse(f"not UTF-8 text (byte {e.start})", display) from None


def _count(n: int, display: str, limit: int, what: str = "nodes + links") -> None:
    check_size(what, n, maximum=limit, source=display,
               hint="split the network or ask whoever runs the server to raise "
                    "--max-elements")


# -- TOML --------------------------------------------------------------------------------------
def _toml(data: bytes, display: str, limit: int) -> Scenario:
    from chokepoint.scenario import scenario_from_dict

    try:
        parsed = tomllib.loads(_text(data, display))
    except tomllib.TOMLDecodeError as e:
        raise _refuse(f"not valid TOML: {e}", display) from None
    net = parsed.get("network")
    if isinstance(net, dict) and (net.get("nodes") or net.get("links")):
        raise _refuse("uploaded scenarios must be self-contained: [network] file references "
                      "are not accepted; put nodes and links inline", display)
    n = sum(len(v) for k in ("nodes", "links") if isinstance(v := parsed.get(k), list))
    _count(n, display, limit)

    def no_files(name: str) -> pd.DataFrame:
        raise _refuse("uploaded scenarios may not name other files", display)

    return _rename(lambda: scenario_from_dict(parsed, source=display, load_table=no_files),
                   display)


def _rename(build: Callable[[], Any], display: str, path: Path | None = None) -> Any:
    """Run a reader; its errors name ``display``, never the server's temporary path."""
    try:
        return build()
    except ChokepointError as e:
        msg = str(e)
        if path is not None:
            msg = msg.replace(str(path), display).replace(str(path.parent), "")
        raise InputError(msg.splitlines()[0][:500] if msg else "invalid file") from None
    except (MemoryError, RecursionError):
        raise
    except Exception as e:  # a library's own error on malformed data: no paths, no detail
        raise _refuse(f"cannot read the file ({type(e).__name__})", display) from None


# -- GeoJSON, pure Python ----------------------------------------------------------------------
_LINES = {"LineString", "MultiLineString"}


def _geojson(data: bytes, display: str, limit: int) -> Scenario:
    try:
        doc = json.loads(_text(data, display))
    except json.JSONDecodeError as e:
        raise _refuse(f"not valid JSON: {e.msg} (line {e.lineno}, column {e.colno})",
                      display) from None
    if not isinstance(doc, dict) or doc.get("type") not in ("FeatureCollection", "Feature"):
        raise _refuse("not a GeoJSON FeatureCollection", display)
    feats = doc.get("features") if doc["type"] == "FeatureCollection" else [doc]
    if not isinstance(feats, list) or not feats:
        raise _refuse("the FeatureCollection has no features", display)
    _count(len(feats), display, limit, "features")
    for i, f in enumerate(feats):
        geom = f.get("geometry") if isinstance(f, dict) else None
        kind = geom.get("type") if isinstance(geom, dict) else None
        if kind not in _LINES:
            raise _refuse(f"geometry must be a LineString or MultiLineString, not {kind!r}"
                          if kind else "feature without a geometry", display,
                          f"feature {i}")
    crs = _geojson_crs(doc, display)
    gpd: Any = require("geopandas", "geo")
    gdf = _rename(lambda: gpd.GeoDataFrame.from_features(feats, crs=crs), display)
    return _network(gdf, None, display, limit)


def _geojson_crs(doc: dict[str, Any], display: str) -> str:
    """RFC 7946 GeoJSON is WGS 84; the 2008 ``crs`` member may name an EPSG code only."""
    crs = doc.get("crs")
    if crs is None:
        return "EPSG:4326"
    name = crs.get("properties", {}).get("name") if isinstance(crs, dict) else None
    m = re.fullmatch(r"(?:urn:ogc:def:crs:)?(EPSG|OGC)(?::[0-9.]*)?::?(\w+)", str(name or ""),
                     re.IGNORECASE)
    if not m:
        raise _refuse("the 'crs' member must name an EPSG code "
                      "(urn:ogc:def:crs:EPSG::NNNN) or be left out (WGS 84)", display)
    return "EPSG:4326" if m.group(2).upper() == "CRS84" else f"EPSG:{m.group(2)}"


def _network(links: Any, nodes: Any, display: str, limit: int) -> Scenario:
    from chokepoint.network import Network

    if "from" in links.columns and "to" in links.columns:
        net = _rename(lambda: Network.from_geodataframes(nodes, links, name="upload",
                                                         source=display), display)
    else:
        from chokepoint.io.topology import lines_to_network

        net = _rename(lambda: lines_to_network(links, nodes=nodes, layer="links",
                                               source=display, name="upload")[0], display)
    _count(len(net.nodes) + len(net.links), display, limit)
    return Scenario(network=net, name=Path(display).stem or "upload")


# -- GeoPackage --------------------------------------------------------------------------------
def _gpkg(data: bytes, display: str, limit: int) -> Scenario:
    if not data.startswith(_SQLITE_MAGIC):
        raise _refuse("not a GeoPackage (an SQLite file)", display)
    with tempfile.TemporaryDirectory(prefix="chokepoint-upload-") as tmp:
        path = Path(tmp) / "upload.gpkg"
        path.write_bytes(data)
        layers = _gpkg_check(path, display, limit)
        pyogrio: Any = require("pyogrio", "geo")
        gpd: Any = require("geopandas", "geo")

        def read(layer: str) -> Any:
            return gpd.GeoDataFrame(pyogrio.read_dataframe(f"GPKG:{path}:{layer}"))

        names = [n for n, _ in layers]
        link_layer = "links" if "links" in names else next(
            (n for n, t in layers if "line" in t.lower()), names[0])
        links = _rename(lambda: read(link_layer), display, path)
        nodes = _rename(lambda: read("nodes"), display, path) if "nodes" in names else None
        crs = {str(g.crs) for g in (links, nodes) if g is not None}
        if len(crs) > 1:
            raise _refuse(f"the layers use different CRSs ({', '.join(sorted(crs))})", display)
        return _network(links, nodes, display, limit)


def _gpkg_check(path: Path, display: str, limit: int) -> list[tuple[str, str]]:
    """The feature layers ``(name, geometry type)``; refuses anything but plain tables."""
    try:
        con = sqlite3.connect(f"file:{path}?mode=ro&immutable=1", uri=True)
    except sqlite3.Error:
        raise _refuse("not a readable GeoPackage", display) from None
    try:
        con.execute("PRAGMA writable_schema = ON")  # read the schema text even if malformed
        app = con.execute("PRAGMA application_id").fetchone()[0]
        if app not in (_GPKG_APP_ID, _GPKG_OLD_APP_ID):
            raise _refuse("not a GeoPackage (wrong SQLite application id)", display)
        for kind, name, sql in con.execute("SELECT type, name, sql FROM sqlite_master"):
            _gpkg_object(str(kind), str(name), str(sql or ""), display)
        con.execute("PRAGMA writable_schema = OFF")
        rows = con.execute("SELECT c.table_name, g.geometry_type_name FROM gpkg_contents c "
                           "JOIN gpkg_geometry_columns g ON g.table_name = c.table_name "
                           "WHERE c.data_type = 'features'").fetchall()
        tables = {str(r[0]) for r in con.execute(
            "SELECT name FROM sqlite_master WHERE type = 'table'")}
        layers = [(str(n), str(t)) for n, t in rows]
        if not layers:
            raise _refuse("the GeoPackage has no feature layers", display)
        total = 0
        for name, _ in layers:
            if name not in tables:
                raise _refuse("a layer is not a table of this file", display,
                              f"layer {name[:80]!r}")
            quoted = '"' + name.replace('"', '""') + '"'
            total += int(con.execute(f"SELECT count(*) FROM {quoted}").fetchone()[0])
        _count(total, display, limit, "features")
        return layers
    except sqlite3.Error as e:
        raise _refuse(f"not a readable GeoPackage ({type(e).__name__})", display) from None
    finally:
        con.close()


def _gpkg_object(kind: str, name: str, sql: str, display: str) -> None:
    el = f"{kind} {name[:80]!r}"
    if _SQL_BAD.search(sql):
        raise _refuse("SQL that attaches databases, loads extensions or names files is not "
                      "accepted", display, el)
    if kind == "view":
        raise _refuse("views are not accepted in uploaded GeoPackages", display, el)
    if kind == "trigger" and not _TRIGGER_OK.match(name):
        raise _refuse("triggers other than GeoPackage's own are not accepted", display, el)
    if kind == "table" and sql.lstrip().upper().startswith("CREATE VIRTUAL") and \
            not re.search(r"\busing\s+rtree\s*\(", sql, re.IGNORECASE):
        raise _refuse("virtual tables other than the spatial index are not accepted",
                      display, el)


# -- GeoParquet --------------------------------------------------------------------------------
def _parquet(data: bytes, display: str, limit: int) -> Scenario:
    if not (data.startswith(b"PAR1") and data.endswith(b"PAR1")):
        raise _refuse("not a Parquet file", display)
    pq: Any = require("pyarrow.parquet", "geo")
    try:
        meta = pq.ParquetFile(io.BytesIO(data)).metadata
    except Exception as e:  # pyarrow's ArrowInvalid and friends
        raise _refuse(f"not a readable Parquet file ({type(e).__name__})", display) from None
    _count(int(meta.num_rows), display, limit, "rows")
    geo = (meta.metadata or {}).get(b"geo")
    if geo is None:
        raise _refuse("a Parquet file without GeoParquet 'geo' metadata", display)
    try:
        info = json.loads(geo)
        cols = info["columns"]
        for c in cols.values():
            crs = c.get("crs")
            if crs is not None and not isinstance(crs, dict):
                raise _refuse("the GeoParquet CRS must be PROJJSON", display)
    except (ValueError, KeyError, TypeError, AttributeError):
        raise _refuse("malformed GeoParquet 'geo' metadata", display) from None
    gpd: Any = require("geopandas", "geo")
    links = _rename(lambda: gpd.read_parquet(io.BytesIO(data)), display)
    return _network(links, None, display, limit)


# -- plain text: CSV and DIMACS ----------------------------------------------------------------
def _csv(data: bytes, display: str, limit: int) -> Scenario:
    _count(data.count(b"\n"), display, limit, "rows")
    from chokepoint.io.csv import read_link_csv

    return _via_file(data, ".csv", display, lambda p: Scenario(
        network=read_link_csv(p), name=Path(display).stem or "upload"))


_P_LINE = re.compile(rb"^[ \t]*p[ \t]+(\S+)[ \t]+(\S+)[ \t]+(\S+)", re.MULTILINE)


def _dimacs(data: bytes, display: str, limit: int) -> Scenario:
    m = _P_LINE.search(data)
    if m is None:
        raise _refuse("no problem line ('p max N M' or 'p min N M')", display)
    try:
        n, arcs = int(m.group(2)), int(m.group(3))
    except ValueError:
        raise _refuse("the problem line's counts are not whole numbers", display) from None
    _count(n + arcs, display, limit, "nodes + arcs in the problem line")
    from chokepoint.io.dimacs import read_dimacs

    return _via_file(data, ".max", display, read_dimacs)


def _via_file(data: bytes, suffix: str, display: str,
              read: Callable[[Path], Scenario]) -> Scenario:
    with tempfile.TemporaryDirectory(prefix="chokepoint-upload-") as tmp:
        path = Path(tmp) / f"upload{suffix}"
        path.write_bytes(data)
        s: Scenario = _rename(lambda: read(path), display, path)
        s.name = Path(display).stem or "upload"
        return s
