"""Seeded synthetic networks for the benchmarks.

Two families, modelled on the test graphs of ``shared/research/algorithms.md`` §2:

* :func:`grid` — a W×H grid (graph *a* is 100×100), origins the west column, destinations the
  east column, integer capacities U[1, 100] drawn independently for each direction.
* :func:`geometric` — a random geometric graph in the unit square (graph *b*: n = 200,000,
  r = 0.00368, about 846k two-way links), links found with ``scipy.spatial.cKDTree.query_pairs``;
  origins are the nodes with x < 0.02, destinations those with x > 0.98, integer capacities
  U[1, 100] per direction.

The brief describes the capacities as "U[1,100] per direction × U[1,50]"; a product would give
max flows around 25× larger than the note reports (3,118 on *a*, 10,295 on *b*), whereas plain
U[1, 100] per direction gives 3,200 and 10,568 with seed 0, so U[1, 100] is used for both
(``cap_hi`` changes it). The values are not bit-for-bit those of the note (different random
streams), only the same kind of instance.

Modelling choices (fixed, so later benchmarks can rely on them):

* Every physical link becomes **two one-way links** (``direction="forward"``), one each way,
  each with its own capacity (the alternative ``direction="both", track="double"`` would force
  the same capacity both ways). Pass ``two_way="both"`` to get one ``both``/``double`` row per
  link instead (the reverse direction then has the same capacity).
* Node ids are ``str(i)`` for the generator's index ``i`` (grid: ``i = row * W + col``), so
  raw-array results map to chokepoint results through ``int(node_id)``.
* The network is built with ``Network.from_frames(None, links)``: unitless, integer
  capacities, ``time_h`` and ``length_km`` on every link. Nodes without any link (possible in
  the geometric graph) do not appear in the network and are dropped from the terminal lists.

Every generator also returns the **raw arc arrays** (one arc per direction, generator node
indices), so benchmarks can feed the same instance to OR-Tools, scipy or networkx directly.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

import numpy as np
import pandas as pd

from chokepoint.network import Network

__all__ = ["BenchGraph", "geometric", "grid"]

#: Graph b's radius at n = 200,000 (expected degree ≈ n π r² ≈ 8.5).
RGG_R_200K = 0.00368


@dataclass
class BenchGraph:
    """A benchmark instance: the chokepoint network plus the same graph as raw arrays.

    Attributes
    ----------
    name
        A label, e.g. ``"grid 100x100"``.
    net
        The chokepoint network (not yet compiled).
    sources, sinks
        Origin and destination node ids (strings).
    n
        Number of generator nodes (raw arrays index ``0 .. n-1``; may exceed ``net.n_nodes``
        by isolated nodes).
    tail, head
        Raw arcs (int64 generator indices), one per direction of every link.
    capacity
        Raw integer capacities per arc (int64).
    time_h
        Raw travel times per arc (float64).
    source_idx, sink_idx
        Generator indices of the sources and sinks.
    build_s
        Seconds spent in ``Network.from_frames`` (validation and normalisation).
    """

    name: str
    net: Network
    sources: list[str]
    sinks: list[str]
    n: int
    tail: np.ndarray
    head: np.ndarray
    capacity: np.ndarray
    time_h: np.ndarray
    source_idx: np.ndarray
    sink_idx: np.ndarray
    build_s: float = 0.0
    params: dict[str, object] = field(default_factory=dict)

    @property
    def n_arcs(self) -> int:
        """Number of raw arcs (both directions of every link)."""
        return len(self.tail)


def _assemble(
    name: str,
    n: int,
    u: np.ndarray,
    v: np.ndarray,
    length_km: np.ndarray,
    cap_hi: int,
    src: np.ndarray,
    snk: np.ndarray,
    rng: np.random.Generator,
    two_way: Literal["forward", "both"],
    params: dict[str, object],
) -> BenchGraph:
    import time

    m = len(u)
    speed = rng.uniform(40.0, 120.0, size=m)  # km/h, one speed per physical link
    time_link = length_km / speed
    if two_way == "forward":
        cap = rng.integers(1, cap_hi, size=2 * m, endpoint=True, dtype=np.int64)
        tail = np.concatenate([u, v])
        head = np.concatenate([v, u])
        t_arc = np.concatenate([time_link, time_link])
        len_arc = np.concatenate([length_km, length_km])
        links = pd.DataFrame({
            "from": tail.astype(str), "to": head.astype(str),
            "capacity": cap, "time_h": t_arc, "length_km": len_arc,
        })
    elif two_way == "both":
        cap_link = rng.integers(1, cap_hi, size=m, endpoint=True, dtype=np.int64)
        tail = np.concatenate([u, v])
        head = np.concatenate([v, u])
        cap = np.concatenate([cap_link, cap_link])
        t_arc = np.concatenate([time_link, time_link])
        links = pd.DataFrame({
            "from": u.astype(str), "to": v.astype(str), "capacity": cap_link,
            "time_h": time_link, "length_km": length_km,
            "direction": "both", "track": "double",
        })
    else:  # pragma: no cover - guarded by the type
        raise ValueError(f"two_way must be 'forward' or 'both', not {two_way!r}")

    deg = np.bincount(np.concatenate([u, v]), minlength=n)
    src = src[deg[src] > 0]
    snk = snk[deg[snk] > 0]
    t0 = time.perf_counter()
    net = Network.from_frames(None, links, name=name)
    build_s = time.perf_counter() - t0
    return BenchGraph(
        name=name, net=net, sources=[str(i) for i in src], sinks=[str(i) for i in snk], n=n,
        tail=tail.astype(np.int64), head=head.astype(np.int64), capacity=cap.astype(np.int64),
        time_h=t_arc.astype(np.float64), source_idx=src.astype(np.int64),
        sink_idx=snk.astype(np.int64), build_s=build_s,
        params={**params, "two_way": two_way, "links": len(links), "arcs": len(tail)},
    )


def grid(
    width: int = 100,
    height: int = 100,
    *,
    seed: int = 0,
    cap_hi: int = 100,
    spacing_km: float = 10.0,
    two_way: Literal["forward", "both"] = "forward",
) -> BenchGraph:
    """A ``width`` × ``height`` grid, origins the west column and destinations the east column.

    Node ``row * width + col``; 4-neighbour links, each direction a ``forward`` link with
    capacity U[1, ``cap_hi``]; ``time_h`` = ``spacing_km`` / U[40, 120] km/h per link.
    The default (100×100) has 10,000 nodes, 19,800 links each way (39,600 arcs); with the
    super-source and super-sink the solvers see 10,002 vertices and 39,800 arcs, like
    graph *a*.
    """
    rng = np.random.default_rng(seed)
    idx = np.arange(width * height, dtype=np.int64).reshape(height, width)
    u = np.concatenate([idx[:, :-1].ravel(), idx[:-1, :].ravel()])
    v = np.concatenate([idx[:, 1:].ravel(), idx[1:, :].ravel()])
    length = np.full(len(u), float(spacing_km))
    return _assemble(
        f"grid {width}x{height}", width * height, u, v, length, cap_hi,
        idx[:, 0].copy(), idx[:, -1].copy(), rng, two_way,
        {"kind": "grid", "width": width, "height": height, "seed": seed, "cap_hi": cap_hi},
    )


def geometric(
    n: int = 200_000,
    r: float | None = None,
    *,
    seed: int = 0,
    cap_hi: int = 100,
    side_km: float = 1000.0,
    band: float = 0.02,
    two_way: Literal["forward", "both"] = "forward",
) -> BenchGraph:
    """A random geometric graph: ``n`` uniform points in the unit square, links closer than ``r``.

    ``r`` defaults to 0.00368·√(200,000/n), keeping graph *b*'s expected degree (≈ 8.5).
    Origins: nodes with x < ``band``; destinations: x > 1 − ``band`` (isolated ones dropped).
    Each direction is a ``forward`` link with capacity U[1, ``cap_hi``]; ``length_km`` is the
    Euclidean distance × ``side_km`` and ``time_h`` = length / U[40, 120] km/h.
    """
    from scipy.spatial import cKDTree

    if r is None:
        r = RGG_R_200K * float(np.sqrt(200_000 / n))
    rng = np.random.default_rng(seed)
    pts = rng.random((n, 2))
    pairs = cKDTree(pts).query_pairs(r, output_type="ndarray").astype(np.int64)
    pairs = pairs[np.lexsort((pairs[:, 1], pairs[:, 0]))]  # deterministic order
    u, v = pairs[:, 0], pairs[:, 1]
    length = np.hypot(*(pts[u] - pts[v]).T) * side_km
    src = np.flatnonzero(pts[:, 0] < band)
    snk = np.flatnonzero(pts[:, 0] > 1.0 - band)
    return _assemble(
        f"geometric n={n}", n, u, v, length, cap_hi, src, snk, rng, two_way,
        {"kind": "geometric", "n": n, "r": r, "seed": seed, "cap_hi": cap_hi, "band": band},
    )
