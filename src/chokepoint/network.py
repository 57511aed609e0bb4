"""The network model: nodes and links in two tables, with units, validated once.

A :class:`Network` holds a node table and a link table (pandas DataFrames, one row per
element) so that continental networks stay vectorised. It compiles once to arrays
(:class:`~chokepoint.compiled.CompiledNetwork`) that every analysis reuses, and converts to
and from GeoDataFrames and NetworkX graphs.

Link semantics
--------------
``direction = "forward"``
    One-way from ``from`` to ``to`` with ``capacity``.
``direction = "both"``, ``track = "double"``
    Two-way; each direction has its own ``capacity``.
``direction = "both"``, ``track = "single"``
    Two-way on one track: the two directions **share** ``capacity`` (flow one way plus flow
    the other way is at most ``capacity``). Single-commodity max flow never needs both
    directions at once, so there the shared capacity is offered to each direction; the
    multi-commodity model adds the joint constraint explicitly.

Node handling capacity (``handling_capacity``, a rate) and ``dwell_h`` are modelled by node
splitting: the node becomes an in-vertex and an out-vertex joined by one arc with that
capacity and time.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from chokepoint._lazy import LazyModule
from chokepoint.errors import InputError
from chokepoint.kinds import check_kind
from chokepoint.limits import MAX_CAPACITY
from chokepoint.units import Units

if TYPE_CHECKING:
    import geopandas as gpd
    import networkx as nx
    import pandas as pd

    from chokepoint.compiled import CompiledNetwork
else:
    pd = LazyModule("pandas")

__all__ = ["DEFAULT_REPAIR_DAYS", "LINK_COLUMNS", "MODES", "NODE_COLUMNS", "STRUCTURES",
           "LinkArrays", "Network",
           "NumberedIds", "NumberedIndex", "all_ids", "ids_at"]

NODE_COLUMNS: dict[str, Any] = {
    "id": "",
    "name": "",
    "kind": "node",
    "lon": np.nan,
    "lat": np.nan,
    "handling_capacity": np.inf,
    "dwell_h": 0.0,
    "group": "",
    "attack_cost": np.nan,
    "attackable": True,
    "repair_days": np.nan,
    "source": "",
}
LINK_COLUMNS: dict[str, Any] = {
    "id": "",
    "from": "",
    "to": "",
    "name": "",
    "mode": "rail",
    "length_km": np.nan,
    "capacity": np.inf,
    "time_h": np.nan,
    "cost": np.nan,
    "direction": "forward",
    "track": "double",
    "structure": "none",
    "group": "",
    "attack_cost": np.nan,
    "attackable": True,
    "repair_days": np.nan,
    "source": "",
}
#: Repair time (days) assumed for an element whose ``repair_days`` is not given.
DEFAULT_REPAIR_DAYS = 1.0
MODES = ("rail", "sea", "road", "transfer", "river", "other")
STRUCTURES = ("none", "tunnel", "bridge", "viaduct", "port", "other")
_TEXT_NODE = ("id", "name", "kind", "group", "source")
_TEXT_LINK = ("id", "from", "to", "name", "mode", "direction", "track", "structure", "group",
              "source")


def _as_text(s: pd.Series) -> pd.Series:
    """Text with missing values as ``""`` (no copy when it already is)."""
    if isinstance(s.dtype, pd.StringDtype):
        return s.fillna("") if s.hasnans else s
    return s.astype(object).where(s.notna(), "").astype(str)


_FALSE = {"false", "0", "no", "n", "f"}


def _as_bool(s: pd.Series) -> pd.Series:
    """True unless the value says false (text such as "false"/"no"/"0", or a false value).

    Vectorised: one pass over the distinct values, then a lookup.
    """
    codes, uniques = pd.factorize(s.astype(object), use_na_sentinel=True)

    def one(v: object) -> bool:
        if v is None or (isinstance(v, float) and np.isnan(v)):
            return True
        if isinstance(v, str):
            return v.strip().lower() not in _FALSE
        return bool(v)

    table = np.array([one(v) for v in uniques] + [True], dtype=bool)  # -1 (missing) -> True
    return pd.Series(table[codes], index=s.index, dtype=bool)


@dataclass(frozen=True)
class NumberedIds:
    """Ids ``f"{prefix}{start + i}"`` for ``i < n``, made only when asked for.

    Readers whose ids follow a rule (DIMACS arcs are ``a1 .. aM``) keep this instead of M
    Python strings; :meth:`at` names a few, :meth:`materialise` makes them all.
    """

    prefix: str
    start: int
    n: int

    def __len__(self) -> int:
        return self.n

    def at(self, idx: np.ndarray) -> np.ndarray:
        """The ids at the given positions (object array)."""
        return np.array([f"{self.prefix}{self.start + int(i)}" for i in np.asarray(idx)],
                        dtype=object)

    def materialise(self) -> np.ndarray:
        """Every id, as an object array (O(n))."""
        return self.at(np.arange(self.n))

    def position(self, key: object) -> int:
        """The position of id ``key``, or -1 when the rule does not make it (O(1))."""
        if not isinstance(key, str) or not key.startswith(self.prefix):
            return -1
        digits = key[len(self.prefix):]
        if not (digits.isascii() and digits.isdigit()) or str(int(digits)) != digits:
            return -1
        i = int(digits) - self.start
        return i if 0 <= i < self.n else -1

    def index(self) -> NumberedIndex:
        """Id -> position as a read-only mapping, without making the ids."""
        return NumberedIndex(self)


@dataclass(frozen=True)
class NumberedIndex(Mapping[str, int]):
    """Id -> position of :class:`NumberedIds` (what ``dict(zip(ids, range(n)))`` would be,
    without its n entries): lookups parse the id, O(1)."""

    ids: NumberedIds

    def __getitem__(self, key: str) -> int:
        i = self.ids.position(key)
        if i < 0:
            raise KeyError(key)
        return i

    def __contains__(self, key: object) -> bool:
        return self.ids.position(key) >= 0

    def __iter__(self) -> Iterator[str]:
        p, s = self.ids.prefix, self.ids.start
        return (f"{p}{s + i}" for i in range(self.ids.n))

    def __len__(self) -> int:
        return self.ids.n


def ids_at(ids: np.ndarray | NumberedIds, idx: np.ndarray) -> np.ndarray:
    """``ids[idx]`` for an id array or a :class:`NumberedIds` rule."""
    return ids.at(idx) if isinstance(ids, NumberedIds) else np.asarray(ids)[idx]


def all_ids(ids: np.ndarray | NumberedIds) -> np.ndarray:
    """Every id of an id array or a :class:`NumberedIds` rule, as an array."""
    return ids.materialise() if isinstance(ids, NumberedIds) else ids


@dataclass(eq=False)
class LinkArrays:
    """The integer form of a network's links and nodes, from which it compiles.

    ``tail``/``head`` are node codes (positions in ``node_ids``); everything else is per link
    or per node, in table order. Built once per network (by validation or by a columnar
    reader) so that compiling never looks up a string again.
    """

    node_ids: np.ndarray
    link_ids: np.ndarray | NumberedIds
    tail: np.ndarray
    head: np.ndarray
    capacity: np.ndarray
    time_h: np.ndarray
    length_km: np.ndarray
    cost: np.ndarray
    both: np.ndarray
    single: np.ndarray
    handling: np.ndarray
    dwell: np.ndarray
    link_group: np.ndarray | None = None  # None = each link its own group (id = link id)
    group_ids: np.ndarray | None = None
    node_group: np.ndarray | None = None


_ENUMS: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("direction", ("forward", "both")), ("track", ("single", "double")), ("mode", MODES),
    ("structure", STRUCTURES))


def _first_id(mask: np.ndarray, frame: pd.DataFrame) -> str:
    return str(frame["id"].to_numpy()[np.flatnonzero(np.asarray(mask))[0]])


def _check_nonneg(v: np.ndarray, col: str, link_ids: np.ndarray | NumberedIds,
                  src: str | None) -> None:
    bad = (v < 0) | np.isinf(v)
    if bad.any():
        i = int(np.flatnonzero(bad)[0])
        raise InputError(f"{col} must be finite and >= 0, got {v[i]}", source=src,
                         element=f"link {str(ids_at(link_ids, np.array([i]))[0])!r}")


def _fill_text(frame: pd.DataFrame, col: str, default: str | pd.Series) -> None:
    """Replace empty text in ``col`` by ``default`` (skipped when nothing is empty)."""
    empty = (frame[col] == "").to_numpy()
    if empty.any():
        frame.loc[empty, col] = default if isinstance(default, str) else default[empty]


def _normalise(nodes: pd.DataFrame | None, links: pd.DataFrame, source: str | Path | None
               ) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Defaults, text and number columns of the node and link tables (not yet validated)."""
    links = links.copy()
    for col, default in LINK_COLUMNS.items():
        if col not in links.columns:
            links[col] = default
    if len(links) == 0:
        raise InputError("the network has no links", source=source)
    for col in _TEXT_LINK:
        links[col] = _as_text(links[col])
    missing_id = links["id"] == ""
    if missing_id.any():
        links.loc[missing_id, "id"] = [f"L{i}" for i in np.flatnonzero(missing_id.to_numpy())]
    for col in ("length_km", "capacity", "time_h", "cost", "attack_cost", "repair_days"):
        links[col] = pd.to_numeric(links[col], errors="coerce").astype(float)
    links["attackable"] = _as_bool(links["attackable"])
    _fill_text(links, "group", links["id"])
    _fill_text(links, "direction", "forward")
    _fill_text(links, "track", "double")
    _fill_text(links, "structure", "none")
    _fill_text(links, "mode", "rail")
    if nodes is None:
        ids = pd.unique(pd.concat([links["from"], links["to"]], ignore_index=True))
        nodes = pd.DataFrame({"id": ids})
    nodes = nodes.copy()
    for col, default in NODE_COLUMNS.items():
        if col not in nodes.columns:
            nodes[col] = default
    for col in _TEXT_NODE:
        nodes[col] = _as_text(nodes[col])
    for col in ("lon", "lat", "handling_capacity", "dwell_h", "attack_cost", "repair_days"):
        nodes[col] = pd.to_numeric(nodes[col], errors="coerce").astype(float)
    nodes["attackable"] = _as_bool(nodes["attackable"])
    nodes["handling_capacity"] = nodes["handling_capacity"].fillna(np.inf)
    nodes["dwell_h"] = nodes["dwell_h"].fillna(0.0)
    _fill_text(nodes, "name", nodes["id"])
    _fill_text(links, "name", links["id"])
    return nodes.reset_index(drop=True), links.reset_index(drop=True)


class Network:
    """A transport network: nodes and links with capacities, times and failure groups.

    Build one with :meth:`from_frames` (validates) or with a loader from :mod:`chokepoint.io`.
    Capacities are stored in ``units.base`` (tonnes/day for scenarios).

    Parameters
    ----------
    nodes, links
        Tables with the columns of :data:`NODE_COLUMNS` and :data:`LINK_COLUMNS`; a link table
        may carry a ``geometry`` column of shapely lines.
    units
        The conversion factors and base unit.
    name
        A label for reports.
    source
        The file the network came from (used in error messages).
    """

    def __init__(
        self,
        nodes: pd.DataFrame,
        links: pd.DataFrame,
        *,
        units: Units | None = None,
        name: str = "network",
        source: str | Path | None = None,
    ) -> None:
        self._nodes: pd.DataFrame | None = nodes
        self._links: pd.DataFrame | None = links
        self._tables: Callable[[], tuple[pd.DataFrame, pd.DataFrame]] | None = None
        self._arrays: LinkArrays | None = None
        self.units = units or Units.unitless()
        self.name = name
        self.source = str(source) if source is not None else None

    @property
    def nodes(self) -> pd.DataFrame:
        """The node table (built on first use for networks read as arrays)."""
        if self._nodes is None:
            self._materialise()
        assert self._nodes is not None
        return self._nodes

    @nodes.setter
    def nodes(self, value: pd.DataFrame) -> None:
        self._nodes = value
        self._arrays = None

    @property
    def links(self) -> pd.DataFrame:
        """The link table (built on first use for networks read as arrays)."""
        if self._links is None:
            self._materialise()
        assert self._links is not None
        return self._links

    @links.setter
    def links(self, value: pd.DataFrame) -> None:
        self._links = value
        self._arrays = None

    def _materialise(self) -> None:
        assert self._tables is not None
        self._nodes, self._links = self._tables()
        self._tables = None

    # -- construction -------------------------------------------------------------------------
    @classmethod
    def from_frames(
        cls,
        nodes: pd.DataFrame | None,
        links: pd.DataFrame,
        *,
        units: Units | None = None,
        name: str = "network",
        source: str | Path | None = None,
    ) -> Network:
        """Validate and normalise node and link tables into a network.

        Missing columns take their defaults; a missing node table is derived from the link
        endpoints. Raises :class:`~chokepoint.errors.InputError` naming the file and the element
        for: duplicate ids, links to unknown nodes, links to themselves, negative or NaN
        capacities, negative times or lengths, unknown direction, track, mode or structure.
        """
        nodes, links = _normalise(nodes, links, source)
        net = cls(nodes, links, units=units, name=name, source=source)
        net.validate()
        return net

    @classmethod
    def from_arrays(
        cls,
        node_ids: np.ndarray,
        tail: np.ndarray,
        head: np.ndarray,
        *,
        link_ids: np.ndarray | NumberedIds,
        columns: Mapping[str, np.ndarray],
        units: Units | None = None,
        name: str = "network",
        source: str | Path | None = None,
    ) -> Network:
        """A network of one-way links given as integer arrays (columnar readers use this).

        ``tail``/``head`` are positions in ``node_ids``; ``columns`` holds numeric link
        columns (``capacity``, ``cost``, ``time_h``, ``length_km``); every other column takes
        its default. Validated like :meth:`from_frames` (same messages), vectorised over the
        arrays; the tables are only built if something reads :attr:`nodes` or :attr:`links`.
        O(n + m).
        """
        m = len(tail)
        if m == 0:
            raise InputError("the network has no links", source=source)
        missing = {"capacity": np.inf, "time_h": np.nan, "length_km": np.nan, "cost": np.nan}
        num = {c: np.ascontiguousarray(columns[c], dtype=float) if c in columns else
               np.broadcast_to(np.float64(v), (m,)) for c, v in missing.items()}
        n = len(node_ids)
        net = cls(None, None, units=units, name=name, source=source)  # type: ignore[arg-type]
        net._arrays = LinkArrays(
            node_ids=np.asarray(node_ids, dtype=object),
            link_ids=link_ids if isinstance(link_ids, NumberedIds) else np.asarray(
                link_ids, dtype=object),
            tail=np.asarray(tail, dtype=np.int64), head=np.asarray(head, dtype=np.int64),
            both=np.zeros(m, dtype=bool), single=np.zeros(m, dtype=bool),
            handling=np.full(n, np.inf), dwell=np.zeros(n), **num)

        def tables() -> tuple[pd.DataFrame, pd.DataFrame]:
            arr = net._arrays if net._arrays is not None else held
            lk = pd.DataFrame({"from": arr.node_ids[arr.tail], "to": arr.node_ids[arr.head],
                               **{c: np.asarray(columns[c], dtype=float) for c in columns},
                               "id": all_ids(arr.link_ids)})
            return _normalise(pd.DataFrame({"id": arr.node_ids}), lk, source)

        held = net._arrays
        net._tables = tables
        net._validate_arrays(net._arrays)
        return net

    def validate(self) -> None:
        """Check the tables; raise :class:`InputError` on the first problem found.

        Vectorised: ids are hashed once into integer codes (kept for compiling), and every
        other check runs on integer and float arrays.
        """
        n, lk, src = self.nodes, self.links, self.source

        def first(mask: pd.Series | np.ndarray, frame: pd.DataFrame) -> str:
            return str(frame["id"].to_numpy()[np.flatnonzero(np.asarray(mask))[0]])

        if (n["id"] == "").any():
            raise InputError("a node has an empty id", source=src)
        node_pos = pd.Index(n["id"].to_numpy(dtype=object))
        if not node_pos.is_unique:
            raise InputError("duplicate node id", source=src,
                             element=f"node {first(node_pos.duplicated(), n)!r}")
        link_ids = lk["id"].to_numpy(dtype=object)
        link_pos = pd.Index(link_ids)
        if not link_pos.is_unique:
            raise InputError("duplicate link id", source=src,
                             element=f"link {first(link_pos.duplicated(), lk)!r}")
        codes = {}
        for end in ("from", "to"):
            codes[end] = node_pos.get_indexer(lk[end].to_numpy(dtype=object)).astype(np.int64)
            bad = codes[end] < 0
            if bad.any():
                i = np.flatnonzero(bad)[0]
                raise InputError(
                    f"'{end}' names unknown node {lk[end].iloc[i]!r}",
                    source=src, element=f"link {lk['id'].iloc[i]!r}",
                )
        enum_error: tuple[str, tuple[str, ...], int] | None = None
        for col, allowed in _ENUMS:
            bad = ~lk[col].isin(allowed).to_numpy()
            if bad.any():
                enum_error = (col, allowed, int(np.flatnonzero(bad)[0]))
                break
        both = (lk["direction"] == "both").to_numpy()
        arr = LinkArrays(
            node_ids=node_pos.to_numpy(dtype=object), link_ids=link_ids,
            tail=codes["from"], head=codes["to"],
            capacity=lk["capacity"].to_numpy(dtype=float),
            time_h=lk["time_h"].to_numpy(dtype=float),
            length_km=lk["length_km"].to_numpy(dtype=float), cost=lk["cost"].to_numpy(dtype=float),
            both=both, single=both & (lk["track"] == "single").to_numpy(),
            handling=n["handling_capacity"].to_numpy(dtype=float),
            dwell=n["dwell_h"].to_numpy(dtype=float))
        self._validate_arrays(arr, nodes=n, links=lk, enum_error=enum_error)
        lg = lk["group"].to_numpy(dtype=object)
        ng = n["group"].to_numpy(dtype=object)
        if not (ng != "").any() and bool((lk["group"] == lk["id"]).all()):
            arr.link_group = None  # each link its own group: no second factorisation
        else:
            has_ng = ng != ""
            gcodes, gids = pd.factorize(np.concatenate([lg, ng[has_ng]]))
            arr.link_group = gcodes[: len(lg)].astype(np.int64)
            arr.group_ids = np.asarray(gids, dtype=object)
            arr.node_group = np.full(len(ng), -1, dtype=np.int64)
            arr.node_group[has_ng] = gcodes[len(lg):]
        self._arrays = arr

    def _validate_arrays(self, arr: LinkArrays, *, nodes: pd.DataFrame | None = None,
                         links: pd.DataFrame | None = None,
                         enum_error: tuple[str, tuple[str, ...], int] | None = None) -> None:
        """The checks on numbers and codes (shared by tables and arrays); O(n + m)."""
        src = self.source

        def link(i: int) -> str:
            return f"link {str(ids_at(arr.link_ids, np.array([i]))[0])!r}"

        loop = arr.tail == arr.head
        if loop.any():
            raise InputError("link goes from a node to itself", source=src,
                             element=link(int(np.flatnonzero(loop)[0])))
        cap = arr.capacity
        bad = np.isnan(cap) | (cap < 0)
        if bad.any():
            i = int(np.flatnonzero(bad)[0])
            raise InputError(f"capacity must be a number >= 0, got {cap[i]}", source=src,
                             element=link(i))
        bad = np.isfinite(cap) & (cap > MAX_CAPACITY)
        if bad.any():
            i = int(np.flatnonzero(bad)[0])
            raise InputError(f"capacity {cap[i]:.3g} is above the largest finite capacity "
                             f"{MAX_CAPACITY:.0e}; write inf (or leave it out) for unlimited",
                             source=src, element=link(i))
        if nodes is None or links is None:
            for col in ("time_h", "length_km", "cost"):
                _check_nonneg(getattr(arr, col), col, arr.link_ids, src)
            return
        for frame, what in ((links, "link"), (nodes, "node")):
            for col in ("attack_cost", "repair_days"):
                v = frame[col].to_numpy()
                bad = (v < 0) | np.isinf(v)
                if bad.any():
                    raise InputError(f"{col} must be finite and >= 0", source=src,
                                     element=f"{what} {_first_id(bad, frame)!r}")
        for col in ("time_h", "length_km", "cost"):
            _check_nonneg(getattr(arr, col), col, arr.link_ids, src)
        n = nodes
        hc = arr.handling
        bad = np.isnan(hc) | (hc < 0) | (np.isfinite(hc) & (hc > MAX_CAPACITY))
        if bad.any():
            raise InputError(f"handling_capacity must be >= 0 and at most {MAX_CAPACITY:.0e} "
                             "(inf or left out: unlimited)", source=src,
                             element=f"node {_first_id(bad, n)!r}")
        bad = (arr.dwell < 0) | ~np.isfinite(arr.dwell)
        if bad.any():
            raise InputError("dwell_h must be finite and >= 0", source=src,
                             element=f"node {_first_id(bad, n)!r}")
        if enum_error is not None:
            col, allowed, i = enum_error
            raise InputError(f"{col} must be one of {', '.join(allowed)}; got "
                             f"{links[col].iloc[i]!r}", source=src, element=link(i))
        for col, lo, hi in (("lon", -180, 180), ("lat", -90, 90)):
            v = n[col].to_numpy()
            out_of_range = (v < lo) | (v > hi)
            if out_of_range.any():
                raise InputError(f"{col} out of range [{lo}, {hi}]", source=src,
                                 element=f"node {_first_id(out_of_range, n)!r}")

    # -- views ---------------------------------------------------------------------------------
    @cached_property
    def compiled(self) -> CompiledNetwork:
        """The array form every analysis uses, built once and cached."""
        from chokepoint.compiled import CompiledNetwork

        return CompiledNetwork.build(self)

    @property
    def array_born(self) -> bool:
        """Whether the network was read as arrays and its tables were never built (so no
        table shares memory with :meth:`link_arrays`)."""
        return self._tables is not None

    def link_arrays(self) -> LinkArrays:
        """The integer form of the tables (computed by validation, kept; O(n + m) once)."""
        if self._arrays is None:
            self.validate()
        assert self._arrays is not None
        return self._arrays

    @property
    def n_nodes(self) -> int:
        """Number of nodes."""
        return len(self._arrays.node_ids) if self._nodes is None and self._arrays else \
            len(self.nodes)

    @property
    def n_links(self) -> int:
        """Number of links."""
        return len(self._arrays.link_ids) if self._links is None and self._arrays else \
            len(self.links)

    def node_name(self, node_id: str) -> str:
        """Display name of a node."""
        return str(self.nodes["name"].to_numpy()[self.compiled.node_index[node_id]])

    def groups(self) -> dict[str, list[str]]:
        """Failure groups: group id -> ids of the links and nodes that fail together."""
        out: dict[str, list[str]] = {}
        for g, i in zip(self.links["group"], self.links["id"], strict=True):
            out.setdefault(g, []).append(i)
        for g, i in zip(self.nodes["group"], self.nodes["id"], strict=True):
            if g:
                out.setdefault(g, []).append(i)
        return out

    def summary(self) -> dict[str, Any]:
        """Counts by kind, mode and structure, and total length."""
        if self.array_born and self._arrays is not None:  # every text column at its default
            arr = self._arrays
            n, m = len(arr.node_ids), len(arr.link_ids)
            return {"name": self.name, "nodes": n, "links": m, "failure_groups": m,
                    "node_kinds": {"node": n} if n else {}, "link_modes": {"rail": m},
                    "structures": {}, "length_km": float(np.nansum(arr.length_km)),
                    "capacity_unit": self.units.base}
        lk = self.links
        return {
            "name": self.name,
            "nodes": self.n_nodes,
            "links": self.n_links,
            "failure_groups": int(lk["group"].nunique()
                                  + self.nodes.loc[self.nodes["group"] != "", "group"].nunique()),
            "node_kinds": {str(k): int(v) for k, v in self.nodes["kind"].value_counts().items()},
            "link_modes": {str(k): int(v) for k, v in lk["mode"].value_counts().items()},
            "structures": {str(k): int(v) for k, v in lk["structure"].value_counts().items()
                           if k != "none"},
            "length_km": float(np.nansum(lk["length_km"].to_numpy())),
            "capacity_unit": self.units.base,
        }

    def with_links(self, links: pd.DataFrame) -> Network:
        """A copy with another link table (same nodes and units), validated."""
        return Network.from_frames(self.nodes, links, units=self.units, name=self.name,
                                   source=self.source)

    # -- interoperation -------------------------------------------------------------------------
    def to_geodataframes(self) -> tuple[gpd.GeoDataFrame, gpd.GeoDataFrame]:
        """Nodes (points) and links (lines, straight where no geometry is stored), EPSG:4326."""
        from chokepoint.errors import require

        gpd_mod: Any = require("geopandas", "geo")
        shp: Any = require("shapely", "geo")
        nodes = self.nodes
        lon, lat = nodes["lon"].to_numpy(), nodes["lat"].to_numpy()
        located = np.isfinite(lon) & np.isfinite(lat)
        pts = np.full(len(nodes), None, dtype=object)
        pts[located] = shp.points(lon[located], lat[located])
        gnodes = gpd_mod.GeoDataFrame(nodes.copy(), geometry=list(pts), crs="EPSG:4326")
        links = self.links.copy()
        idx = self.compiled.node_index
        fi = links["from"].map(idx).to_numpy()
        ti = links["to"].map(idx).to_numpy()
        ok = located[fi] & located[ti]
        coords = np.stack([np.stack([lon[fi], lat[fi]], axis=1),
                           np.stack([lon[ti], lat[ti]], axis=1)], axis=1)
        straight = np.full(len(links), None, dtype=object)
        straight[ok] = shp.linestrings(coords[ok])
        if "geometry" in links.columns:
            geom = np.array(links.pop("geometry").to_numpy(dtype=object), dtype=object)
            missing = np.array([g is None for g in geom], dtype=bool)
            geom[missing] = straight[missing]
        else:
            geom = straight
        glinks = gpd_mod.GeoDataFrame(links, geometry=list(geom), crs="EPSG:4326")
        return gnodes, glinks

    @classmethod
    def from_geodataframes(
        cls,
        nodes: Any,
        links: Any,
        *,
        units: Units | None = None,
        name: str = "network",
        source: str | Path | None = None,
    ) -> Network:
        """Build from GeoDataFrames with the model's columns (reprojected to EPSG:4326)."""
        nd = None
        if nodes is not None:
            nd = pd.DataFrame(nodes)
            if "geometry" in nd.columns:
                g = nodes.to_crs("EPSG:4326").geometry if getattr(nodes, "crs", None) else \
                    nodes.geometry
                nd["lon"], nd["lat"] = g.x.to_numpy(), g.y.to_numpy()
                nd = nd.drop(columns="geometry")
        lk = links
        if getattr(links, "crs", None) is not None:
            lk = links.to_crs("EPSG:4326")
        lk = pd.DataFrame(lk)
        if "geometry" in lk.columns:
            lk["geometry"] = lk["geometry"].astype(object)
        return cls.from_frames(nd, lk, units=units, name=name, source=source)

    def to_networkx(self) -> nx.MultiDiGraph:
        """A MultiDiGraph with every node and link attribute; edge key = link id.

        Two-way links appear once, as stored (``direction`` says they are two-way), so the
        conversion round-trips without loss.
        """
        import networkx as nx

        g: nx.MultiDiGraph = nx.MultiDiGraph(name=self.name, units=self.units,
                                             link_order=[str(i) for i in self.links["id"]])
        for rec in self.nodes.to_dict("records"):
            g.add_node(rec["id"], **{str(k): v for k, v in rec.items() if k != "id"})
        for rec in self.links.to_dict("records"):
            g.add_edge(rec["from"], rec["to"], key=rec["id"],
                       **{str(k): v for k, v in rec.items() if k not in ("from", "to")})
        return g

    @classmethod
    def from_networkx(cls, g: Any, *, units: Units | None = None,
                      capacity: str = "capacity", name: str | None = None) -> Network:
        """Build from any NetworkX graph; undirected graphs give two-way links.

        Edge attribute ``capacity`` (or the name given) becomes the capacity; missing capacity
        means unlimited.
        """
        directed = g.is_directed()
        node_rows = [{"id": str(n), **dict(d)} for n, d in g.nodes(data=True)]
        rows = []
        edges: Iterable[tuple[Any, ...]] = (
            g.edges(keys=True, data=True) if g.is_multigraph() else g.edges(data=True)
        )
        for i, e in enumerate(edges):
            u, v, d = e[0], e[1], e[-1]
            row: dict[str, Any] = {k: val for k, val in dict(d).items()}
            row.setdefault("id", str(e[2]) if g.is_multigraph() and len(e) == 4 else f"L{i}")
            row["id"] = str(row["id"])
            row["from"], row["to"] = str(u), str(v)
            if capacity != "capacity" and capacity in row:
                row["capacity"] = row.pop(capacity)
            row.setdefault("capacity", np.inf)
            if not directed:
                row.setdefault("direction", "both")
            rows.append(row)
        links = pd.DataFrame(rows)
        order = g.graph.get("link_order")
        if order is not None and len(order) == len(links) and set(order) == set(links["id"]):
            links = links.set_index("id").loc[list(order)].reset_index()  # stored order back
        nodes = pd.DataFrame(node_rows) if node_rows else None
        gu = units or (g.graph.get("units") if isinstance(g.graph.get("units"), Units) else None)
        return cls.from_frames(nodes, links, units=gu,
                               name=name or str(g.graph.get("name", "network")))

    def attack_terms(self, kind: str) -> tuple[dict[str, float], list[str]]:
        """Attack cost per element (default 1) and the elements that cannot be attacked.

        For a failure group the cost is the largest of its members' costs, and the group is
        protected when any member is marked ``attackable = false``.
        """
        def table(frame: pd.DataFrame) -> tuple[dict[str, float], list[str]]:
            cost = frame["attack_cost"].fillna(1.0).to_numpy(dtype=float)
            ids = [str(x) for x in frame["id"]]
            return dict(zip(ids, cost.tolist(), strict=True)), [
                i for i, a in zip(ids, frame["attackable"], strict=True) if not a]

        if kind == "link":
            return table(self.links)
        if kind == "node":
            return table(self.nodes)
        check_kind(kind)
        members = pd.concat([self.links[["group", "attack_cost", "attackable"]],
                             self.nodes.loc[self.nodes["group"] != "",
                                            ["group", "attack_cost", "attackable"]]])
        members = members.assign(attack_cost=members["attack_cost"].fillna(1.0))
        agg = members.groupby("group", sort=False).agg(cost=("attack_cost", "max"),
                                                       ok=("attackable", "all"))
        return ({str(g): float(v) for g, v in agg["cost"].items()},
                [str(g) for g, ok in agg["ok"].items() if not ok])

    def repair_terms(self, kind: str) -> dict[str, float]:
        """Repair time in days per link, node or failure group (``repair_days``).

        Elements without a figure get :data:`DEFAULT_REPAIR_DAYS`; a failure group stays
        closed until its slowest member is repaired, so its time is its members' largest.
        """
        def one(frame: pd.DataFrame) -> dict[str, float]:
            days = frame["repair_days"].fillna(DEFAULT_REPAIR_DAYS).to_numpy(dtype=float)
            return dict(zip((str(x) for x in frame["id"]), days.tolist(), strict=True))

        if kind == "link":
            return one(self.links)
        if kind == "node":
            return one(self.nodes)
        if kind != "group":
            raise ValueError(f"kind must be link, node or group, not {kind!r}")
        members = pd.concat([self.links[["group", "repair_days"]],
                             self.nodes.loc[self.nodes["group"] != "", ["group", "repair_days"]]])
        days = members["repair_days"].fillna(DEFAULT_REPAIR_DAYS)
        agg = days.groupby(members["group"], sort=False).max()
        return {str(g): float(v) for g, v in agg.items()}

    def element_ids(self, kind: str) -> list[str]:
        """Ids of links, nodes or failure groups (``kind`` = link|node|group)."""
        if kind == "link":
            return list(self.links["id"])
        if kind == "node":
            return list(self.nodes["id"])
        check_kind(kind)
        return list(self.groups())

    @cached_property
    def _name_arrays(self) -> tuple[np.ndarray, np.ndarray]:
        """Link and node display names as object arrays (converted once)."""
        return (self.links["name"].to_numpy(dtype=object),
                self.nodes["name"].to_numpy(dtype=object))

    def text_at(self, kind: str, column: str, idx: np.ndarray) -> np.ndarray:
        """One text column (``name`` or ``source``) of the links or nodes at positions ``idx``.

        A network read as arrays whose tables were never built answers from its ids without
        building them (a name defaults to the id, a citation to ``""``), O(len(idx));
        otherwise one column of the table, converted once for names.
        """
        if column not in ("name", "source"):
            raise ValueError(f"column must be name or source, not {column!r}")
        idx = np.asarray(idx, dtype=np.int64)
        lazy = self._links is None if kind == "link" else self._nodes is None
        if lazy and self._arrays is not None and self._tables is not None:
            if column == "source":
                return np.full(len(idx), "", dtype=object)
            ids = self._arrays.link_ids if kind == "link" else self._arrays.node_ids
            return ids_at(ids, idx)
        if column == "name":
            return self._name_arrays[0 if kind == "link" else 1][idx]
        frame = self.links if kind == "link" else self.nodes
        return frame[column].to_numpy(dtype=object)[idx]

    def describe(self, element: str) -> str:
        """A readable name for a link, node or group id (O(1) after the first call)."""
        c = self.compiled
        for kind, index in (("link", c.link_index), ("node", c.node_index)):
            i = index.get(element)
            if i is not None:
                return str(self.text_at(kind, "name", np.array([i]))[0])
        return element

    def names(self, elements: Iterable[str]) -> np.ndarray:
        """Readable names of many link, node or group ids at once (one vectorised lookup).

        Links win over nodes, as in :meth:`describe`; an id that is neither is its own name.
        O(k) hash lookups for k ids after the id indexes exist.
        """
        ids = np.asarray(list(elements), dtype=object)
        c = self.compiled
        li = c.link_positions(ids)
        ni = c.node_position.get_indexer(pd.Index(ids))
        out = ids.copy()
        is_node = (li < 0) & (ni >= 0)
        out[is_node] = self.text_at("node", "name", ni[is_node])
        out[li >= 0] = self.text_at("link", "name", li[li >= 0])
        return out


def records_to_frame(records: Iterable[Mapping[str, Any]]) -> pd.DataFrame:
    """A DataFrame from dict records (used by loaders)."""
    return pd.DataFrame(list(records))
