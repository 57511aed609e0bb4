"""Derive the built-in corridor's track geometry from the OSM world railway graph.

Writes ``src/chokepoint/data/corridor_geometry.geojson``: one LineString per link of
``corridor.toml`` that could be matched, with its provenance. Run it again whenever the
corridor's nodes or links change::

    python scripts/derive_corridor_geometry.py            # scgraph_data package (world extra)
    python scripts/derive_corridor_geometry.py --source /work/shared/data/raw/scgraph_world_railways

Method
------
* Rail links: both end nodes are snapped to the nearest railway-graph node (great-circle,
  k-d tree on unit vectors) that lies in the same connected component as the other end's
  candidates; the course is the shortest path between them by length (Dijkstra, SciPy),
  prefixed and suffixed with the scenario's own node positions so lines meet the nodes.
  A match is kept only when its length is within ``[1/TOLERANCE, TOLERANCE]`` times the
  scenario's ``length_km`` (the graph lacks some lines, e.g. the Severomuysky bypass, where
  the shortest path would be the tunnel); otherwise the link keeps a straight chord and
  the renderers flag it.
* Sea links: the ``searoute`` package's maritime network (Eurostat MARNET lineage,
  Apache-2.0), checked against the same tolerance.
* Parallel structures between the same two nodes (the Amur bridge and tunnel at Khabarovsk)
  would get the same shortest path, so ``VIA`` routes them through waypoints: ``"rail"``
  legs follow the graph's shortest path, ``"straight"`` legs a chord (a tunnel bored
  straight between its portals, where the graph has one simplified edge).
* Lines are simplified (Douglas–Peucker, 0.005°, ~0.5 km; not the few ``VIA`` courses, whose
  waypoints are the point) and rounded to 4 decimals.

Data: world railway graph of the ``scgraph_data`` package, derived from OpenStreetMap —
© OpenStreetMap contributors, available under the Open Database License (ODbL 1.0),
https://www.openstreetmap.org/copyright. The derived file carries this attribution.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))

from chokepoint.io.scenario_file import read_scenario  # noqa: E402
from chokepoint.io.world import _package_dir, _parse_scgraph, _read_csv_graph  # noqa: E402

OUT = ROOT / "src" / "chokepoint" / "data" / "corridor_geometry.geojson"
TOLERANCE = 1.35
SIMPLIFY_DEG = 0.005
EARTH_KM = 6371.0088
#: Waypoints (leg kind, (lon, lat)) of links whose course is not the shortest path between
#: their ends: each leg ends at its waypoint, the last leg at the link's ``to`` node (rail).
VIA: dict[str, list[tuple[str, tuple[float, float]]]] = {
    # the bridge line: the graph's vertices on it (its shortest path would take the tunnel
    # line's first edge and a connector), across the bridge (KHABAROVSK_BRIDGE 48.5361 N 135.0 E)
    "amur_bridge": [("straight", (134.955, 48.528)), ("straight", (134.965, 48.530)),
                    ("straight", (135.013, 48.538)), ("straight", (135.026, 48.535))],
    # the tunnel line: the graph's vertex at the tunnel's west end, then straight to the
    # coordinates given for the tunnel (AMUR_TUNNEL 48.5259 N 135.0312 E, right bank)
    "amur_tunnel": [("straight", (134.931, 48.526)), ("straight", (135.0312, 48.5259))],
}
ATTRIBUTION = ("Rail courses derived from the world railway graph of the scgraph_data package "
               "(OpenStreetMap data © OpenStreetMap contributors, ODbL 1.0, "
               "https://www.openstreetmap.org/copyright); sea course from the searoute "
               "package (Eurostat MARNET, Apache-2.0).")


def _unit(lon: np.ndarray, lat: np.ndarray) -> np.ndarray:
    lo, la = np.radians(lon), np.radians(lat)
    return np.column_stack([np.cos(la) * np.cos(lo), np.cos(la) * np.sin(lo), np.sin(la)])


def _km(lon: np.ndarray, lat: np.ndarray) -> float:
    p = _unit(lon, lat)
    dots = np.clip(np.einsum("ij,ij->i", p[:-1], p[1:]), -1, 1)
    return float(EARTH_KM * np.arccos(dots).sum())


class RailGraph:
    """The railway graph as a sparse, length-weighted, undirected matrix."""

    def __init__(self, source: Path | None) -> None:
        from scipy.sparse import coo_matrix
        from scipy.sparse.csgraph import connected_components
        from scipy.spatial import cKDTree

        if source is None:
            lon, lat, u, v = _parse_scgraph(_package_dir("scgraph_data", "world")
                                            / "world_railways.py")
        else:
            lon, lat, u, v = _read_csv_graph(source)
        self.lon, self.lat = lon, lat
        pu, pv = _unit(lon[u], lat[u]), _unit(lon[v], lat[v])
        w = EARTH_KM * np.arccos(np.clip(np.einsum("ij,ij->i", pu, pv), -1, 1))
        w = np.maximum(w, 1e-6)
        n = len(lon)
        self.m = coo_matrix((np.concatenate([w, w]), (np.concatenate([u, v]),
                                                      np.concatenate([v, u]))),
                            shape=(n, n)).tocsr()
        _, self.comp = connected_components(self.m, directed=False)
        self.tree = cKDTree(_unit(lon, lat))

    def snap(self, lon: float, lat: float, k: int = 50) -> tuple[np.ndarray, np.ndarray]:
        """The ``k`` nearest graph nodes and their distances (km)."""
        d, i = self.tree.query(_unit(np.array([lon]), np.array([lat])), k=k)
        return i[0], d[0] * EARTH_KM

    def path(self, a: tuple[float, float], b: tuple[float, float]) -> np.ndarray | None:
        """Shortest path (lon/lat rows) between the graph nodes nearest ``a`` and ``b``."""
        from scipy.sparse.csgraph import dijkstra

        ia, da = self.snap(*a)
        ib, db = self.snap(*b)
        best = None
        for x, dx in zip(ia, da, strict=True):  # nearest pair sharing a component
            same = self.comp[ib] == self.comp[x]
            if same.any():
                y = ib[np.argmax(same)]
                cost = dx + db[np.argmax(same)]
                if best is None or cost < best[2] - 1e-9:
                    best = (x, y, cost)
                break
        if best is None or best[2] > 40:
            return None
        s, t = int(best[0]), int(best[1])
        dist, pred = dijkstra(self.m, indices=s, return_predecessors=True, min_only=False,
                              limit=np.inf)
        if not np.isfinite(dist[t]):
            return None
        seq = [t]
        while seq[-1] != s:
            seq.append(int(pred[seq[-1]]))
        seq.reverse()
        idx = np.array(seq)
        return np.vstack([[a], np.column_stack([self.lon[idx], self.lat[idx]]), [b]])


def _course(graph: RailGraph, lid: str, a: tuple[float, float], b: tuple[float, float]
            ) -> np.ndarray | None:
    """The course of rail link ``lid`` from ``a`` to ``b``: the shortest path, or the legs
    through its ``VIA`` waypoints."""
    legs = [*VIA.get(lid, []), ("rail", b)]
    out, here = [np.array([a])], a
    for kind, there in legs:
        if kind == "straight":
            out.append(np.array([there]))
        else:
            xy = graph.path(here, there)
            if xy is None:
                return None
            out.append(xy[1:])
        here = there
    return np.vstack(out)


def _rounded(xy: np.ndarray) -> list[list[float]]:
    """``xy`` rounded to 4 decimals, without repeated consecutive points."""
    r = np.round(xy, 4)
    keep = np.r_[True, np.any(r[1:] != r[:-1], axis=1)]
    return r[keep].tolist()  # type: ignore[no-any-return]


def _simplify(xy: np.ndarray) -> list[list[float]]:
    import shapely

    line = shapely.simplify(shapely.linestrings(xy), SIMPLIFY_DEG, preserve_topology=False)
    return np.round(shapely.get_coordinates(line), 4).tolist()


def _sea(a: tuple[float, float], b: tuple[float, float]) -> np.ndarray | None:
    try:
        import searoute
    except ImportError:
        return None
    feat = searoute.searoute(list(a), list(b), units="km", append_orig_dest=True)
    return np.asarray(feat["geometry"]["coordinates"], dtype=float)


def derive(source: Path | None) -> dict[str, object]:
    s = read_scenario(ROOT / "src" / "chokepoint" / "data" / "corridor.toml")
    nodes = s.network.nodes.set_index("id")
    graph = RailGraph(source)
    feats, skipped = [], []
    for rec in s.network.links.to_dict("records"):
        a = (float(nodes.at[rec["from"], "lon"]), float(nodes.at[rec["from"], "lat"]))
        b = (float(nodes.at[rec["to"], "lon"]), float(nodes.at[rec["to"], "lat"]))
        mode = str(rec["mode"])
        xy = (_sea(a, b) if mode == "sea" else _course(graph, str(rec["id"]), a, b)
              if mode == "rail" else None)
        want = float(rec["length_km"])
        if xy is None:
            skipped.append((rec["id"], "no match"))
            continue
        got = _km(xy[:, 0], xy[:, 1])
        ratio = got / want if want > 0 else np.inf
        if not (1 / TOLERANCE <= ratio <= TOLERANCE):
            skipped.append((rec["id"], f"path {got:.1f} km vs {want:.1f} km"))
            continue
        feats.append({"type": "Feature",
                      "properties": {"id": rec["id"], "from": rec["from"], "to": rec["to"],
                                     "source": "searoute" if mode == "sea"
                                     else "osm_world_railways",
                                     "path_km": round(got, 1), "scenario_km": want,
                                     "ratio": round(ratio, 3)},
                      "geometry": {"type": "LineString",
                                   "coordinates": _rounded(xy) if rec["id"] in VIA
                                   else _simplify(xy)}})
    for lid, why in skipped:
        print(f"straight line kept for {lid}: {why}")
    return {"type": "FeatureCollection", "name": "corridor_geometry",
            "attribution": ATTRIBUTION, "license": "ODbL-1.0 (rail courses)",
            "tolerance": TOLERANCE, "generator": "scripts/derive_corridor_geometry.py",
            "straight": [lid for lid, _ in skipped], "features": feats}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--source", type=Path, default=None,
                    help="folder with world_railways_{nodes,edges}.csv.gz (default: the "
                         "scgraph_data package)")
    ap.add_argument("--out", type=Path, default=OUT)
    args = ap.parse_args()
    data = derive(args.source)
    args.out.write_text(json.dumps(data, separators=(",", ":")) + "\n", encoding="utf-8")
    print(f"{len(data['features'])} links with geometry -> {args.out} "  # type: ignore[arg-type]
          f"({args.out.stat().st_size:,} bytes)")


if __name__ == "__main__":
    main()
