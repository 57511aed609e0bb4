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

from collections.abc import Iterable, Mapping
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from chokepoint.errors import InputError
from chokepoint.limits import MAX_CAPACITY
from chokepoint.units import Units

if TYPE_CHECKING:
    import geopandas as gpd
    import networkx as nx

    from chokepoint.compiled import CompiledNetwork

__all__ = ["LINK_COLUMNS", "MODES", "NODE_COLUMNS", "STRUCTURES", "Network"]

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
    "source": "",
}
MODES = ("rail", "sea", "road", "transfer", "river", "other")
STRUCTURES = ("none", "tunnel", "bridge", "viaduct", "port", "other")
_TEXT_NODE = ("id", "name", "kind", "group", "source")
_TEXT_LINK = ("id", "from", "to", "name", "mode", "direction", "track", "structure", "group",
              "source")


def _as_text(s: pd.Series) -> pd.Series:
    return s.astype(object).where(s.notna(), "").astype(str)


_FALSE = {"false", "0", "no", "n", "f"}


def _as_bool(s: pd.Series) -> pd.Series:
    """True unless the value says false (text such as "false"/"no"/"0", or a false value)."""
    def one(v: object) -> bool:
        if v is None or (isinstance(v, float) and np.isnan(v)):
            return True
        if isinstance(v, str):
            return v.strip().lower() not in _FALSE
        return bool(v)

    return pd.Series([one(v) for v in s], index=s.index, dtype=bool)


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
        self.nodes = nodes
        self.links = links
        self.units = units or Units.unitless()
        self.name = name
        self.source = str(source) if source is not None else None

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
        for col in ("length_km", "capacity", "time_h", "cost", "attack_cost"):
            links[col] = pd.to_numeric(links[col], errors="coerce").astype(float)
        links["attackable"] = _as_bool(links["attackable"])
        links.loc[links["group"] == "", "group"] = links["id"]
        links.loc[links["direction"] == "", "direction"] = "forward"
        links.loc[links["track"] == "", "track"] = "double"
        links.loc[links["structure"] == "", "structure"] = "none"
        links.loc[links["mode"] == "", "mode"] = "rail"

        if nodes is None:
            ids = pd.unique(pd.concat([links["from"], links["to"]], ignore_index=True))
            nodes = pd.DataFrame({"id": ids})
        nodes = nodes.copy()
        for col, default in NODE_COLUMNS.items():
            if col not in nodes.columns:
                nodes[col] = default
        for col in _TEXT_NODE:
            nodes[col] = _as_text(nodes[col])
        for col in ("lon", "lat", "handling_capacity", "dwell_h", "attack_cost"):
            nodes[col] = pd.to_numeric(nodes[col], errors="coerce").astype(float)
        nodes["attackable"] = _as_bool(nodes["attackable"])
        nodes["handling_capacity"] = nodes["handling_capacity"].fillna(np.inf)
        nodes["dwell_h"] = nodes["dwell_h"].fillna(0.0)
        nodes.loc[nodes["name"] == "", "name"] = nodes["id"]
        links.loc[links["name"] == "", "name"] = links["id"]

        net = cls(nodes.reset_index(drop=True), links.reset_index(drop=True), units=units,
                  name=name, source=source)
        net.validate()
        return net

    def validate(self) -> None:
        """Check the tables; raise :class:`InputError` on the first problem found."""
        n, lk, src = self.nodes, self.links, self.source

        def first(mask: pd.Series | np.ndarray, frame: pd.DataFrame) -> str:
            return str(frame["id"].to_numpy()[np.flatnonzero(np.asarray(mask))[0]])

        if (n["id"] == "").any():
            raise InputError("a node has an empty id", source=src)
        dup = n["id"].duplicated()
        if dup.any():
            raise InputError("duplicate node id", source=src, element=f"node {first(dup, n)!r}")
        dup = lk["id"].duplicated()
        if dup.any():
            raise InputError("duplicate link id", source=src, element=f"link {first(dup, lk)!r}")
        known = set(n["id"])
        for end in ("from", "to"):
            bad = ~lk[end].isin(known)
            if bad.any():
                i = np.flatnonzero(bad.to_numpy())[0]
                raise InputError(
                    f"'{end}' names unknown node {lk[end].iloc[i]!r}",
                    source=src, element=f"link {lk['id'].iloc[i]!r}",
                )
        loop = lk["from"] == lk["to"]
        if loop.any():
            raise InputError("link goes from a node to itself", source=src,
                             element=f"link {first(loop, lk)!r}")
        cap = lk["capacity"].to_numpy()
        bad = np.isnan(cap) | (cap < 0)
        if bad.any():
            i = np.flatnonzero(bad)[0]
            raise InputError(f"capacity must be a number >= 0, got {cap[i]}", source=src,
                             element=f"link {lk['id'].iloc[i]!r}")
        bad = np.isfinite(cap) & (cap > MAX_CAPACITY)
        if bad.any():
            i = np.flatnonzero(bad)[0]
            raise InputError(f"capacity {cap[i]:.3g} is above the largest finite capacity "
                             f"{MAX_CAPACITY:.0e}; write inf (or leave it out) for unlimited",
                             source=src, element=f"link {lk['id'].iloc[i]!r}")
        for frame, what in ((lk, "link"), (n, "node")):
            v = frame["attack_cost"].to_numpy()
            bad = (v < 0) | np.isinf(v)
            if bad.any():
                raise InputError("attack_cost must be finite and >= 0", source=src,
                                 element=f"{what} {first(bad, frame)!r}")
        for col in ("time_h", "length_km", "cost"):
            v = lk[col].to_numpy()
            bad = (v < 0) | np.isinf(v)
            if bad.any():
                i = np.flatnonzero(bad)[0]
                raise InputError(f"{col} must be finite and >= 0, got {v[i]}", source=src,
                                 element=f"link {lk['id'].iloc[i]!r}")
        hc = n["handling_capacity"].to_numpy()
        bad = np.isnan(hc) | (hc < 0) | (np.isfinite(hc) & (hc > MAX_CAPACITY))
        if bad.any():
            raise InputError(f"handling_capacity must be >= 0 and at most {MAX_CAPACITY:.0e} "
                             "(inf or left out: unlimited)", source=src,
                             element=f"node {first(bad, n)!r}")
        bad = (n["dwell_h"].to_numpy() < 0) | ~np.isfinite(n["dwell_h"].to_numpy())
        if bad.any():
            raise InputError("dwell_h must be finite and >= 0", source=src,
                             element=f"node {first(bad, n)!r}")
        for col, allowed in (("direction", ("forward", "both")), ("track", ("single", "double")),
                             ("mode", MODES), ("structure", STRUCTURES)):
            bad = ~lk[col].isin(allowed)
            if bad.any():
                i = np.flatnonzero(bad.to_numpy())[0]
                raise InputError(f"{col} must be one of {', '.join(allowed)}; got "
                                 f"{lk[col].iloc[i]!r}", source=src,
                                 element=f"link {lk['id'].iloc[i]!r}")
        for col, lo, hi in (("lon", -180, 180), ("lat", -90, 90)):
            v = n[col].to_numpy()
            out_of_range = (v < lo) | (v > hi)
            if out_of_range.any():
                raise InputError(f"{col} out of range [{lo}, {hi}]", source=src,
                                 element=f"node {first(out_of_range, n)!r}")

    # -- views ---------------------------------------------------------------------------------
    @cached_property
    def compiled(self) -> CompiledNetwork:
        """The array form every analysis uses, built once and cached."""
        from chokepoint.compiled import CompiledNetwork

        return CompiledNetwork.build(self)

    @property
    def n_nodes(self) -> int:
        """Number of nodes."""
        return len(self.nodes)

    @property
    def n_links(self) -> int:
        """Number of links."""
        return len(self.links)

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
        if kind != "group":
            raise ValueError(f"kind must be link, node or group, not {kind!r}")
        members = pd.concat([self.links[["group", "attack_cost", "attackable"]],
                             self.nodes.loc[self.nodes["group"] != "",
                                            ["group", "attack_cost", "attackable"]]])
        members = members.assign(attack_cost=members["attack_cost"].fillna(1.0))
        agg = members.groupby("group", sort=False).agg(cost=("attack_cost", "max"),
                                                       ok=("attackable", "all"))
        return ({str(g): float(v) for g, v in agg["cost"].items()},
                [str(g) for g, ok in agg["ok"].items() if not ok])

    def element_ids(self, kind: str) -> list[str]:
        """Ids of links, nodes or failure groups (``kind`` = link|node|group)."""
        if kind == "link":
            return list(self.links["id"])
        if kind == "node":
            return list(self.nodes["id"])
        if kind == "group":
            return list(self.groups())
        raise ValueError(f"kind must be link, node or group, not {kind!r}")

    def describe(self, element: str) -> str:
        """A readable name for a link, node or group id."""
        c = self.compiled
        if element in c.link_index:
            return str(self.links["name"].to_numpy()[c.link_index[element]])
        if element in c.node_index:
            return str(self.nodes["name"].to_numpy()[c.node_index[element]])
        return element


def records_to_frame(records: Iterable[Mapping[str, Any]]) -> pd.DataFrame:
    """A DataFrame from dict records (used by loaders)."""
    return pd.DataFrame(list(records))
