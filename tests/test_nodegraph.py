"""The node-id path (edges_to_network) gives the same network as the GIS path
(lines_to_network on two-point lines): on bbox subsets of the world railway graph and on
small synthetic graphs with coincident nodes, duplicates, chains and T-junctions."""

from __future__ import annotations

import importlib.util
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from chokepoint.errors import InputError
from chokepoint.io.topology import ImportReport, edges_to_network, lines_to_network
from chokepoint.io.world import _edge_lines, edge_pairs, world_railway_arrays
from chokepoint.network import Network

pytest.importorskip("shapely")
pytest.importorskip("geopandas")

#: Buenos Aires (overlapping collinear edges: T-junctions), Primorye, Switzerland.
BOXES = {"buenos-aires": (-59.0, -35.0, -58.0, -34.0),
         "primorye": (127.0, 40.0, 140.0, 50.0),
         "switzerland": (5.9, 45.8, 10.5, 47.8)}


def both_paths(lon: np.ndarray, lat: np.ndarray, pair: np.ndarray, *, merge: bool,
               tol: float = 1.0) -> tuple[tuple[Network, ImportReport],
                                          tuple[Network, ImportReport]]:
    """The GIS path and the node-id path on the same edges."""
    kw: dict[str, Any] = {"merge": merge, "layer": "edges", "source": "edges", "name": "e"}
    old = lines_to_network(_edge_lines(lon, lat, pair), tolerance_m=tol, strict=False, **kw)
    new = edges_to_network(lon, lat, pair, tolerance_m=tol, **kw)
    return old, new


def assert_same(old: tuple[Network, ImportReport], new: tuple[Network, ImportReport]) -> None:
    """Same links, nodes (ids, coordinates, lengths, geometry) and report."""
    shapely = pytest.importorskip("shapely")
    (a, ra), (b, rb) = old, new
    pd.testing.assert_frame_equal(a.nodes, b.nodes, check_exact=False, rtol=1e-12)
    la, lb = a.links.drop(columns="geometry"), b.links.drop(columns="geometry")
    pd.testing.assert_frame_equal(la, lb, check_exact=False, rtol=1e-12)
    assert shapely.equals_exact(a.links["geometry"].to_numpy(),
                                b.links["geometry"].to_numpy(), 1e-12).all()
    assert ra.counts == rb.counts
    assert ra.issues == rb.issues
    assert ra.fallback_links == rb.fallback_links
    assert ra.component_sizes == rb.component_sizes
    assert ra.structures == rb.structures


@pytest.fixture(scope="module")
def world(shared_dir_or_none: Path | None) -> tuple[np.ndarray, ...]:
    if importlib.util.find_spec("scgraph_data") is not None:
        return world_railway_arrays()
    folder = (shared_dir_or_none / "data" / "raw" / "scgraph_world_railways"
              if shared_dir_or_none is not None else None)
    if folder is None or not folder.is_dir():
        pytest.skip("neither the scgraph_data package nor ../shared/data/raw/"
                    "scgraph_world_railways is present: no world railway graph to compare on")
    return world_railway_arrays(folder)


@pytest.fixture(scope="module")
def shared_dir_or_none() -> Path | None:
    shared = Path(__file__).resolve().parents[1].parent / "shared"  # as conftest.SHARED_DIR
    return shared if (shared / "data" / "raw").is_dir() else None


@pytest.mark.parametrize("box", list(BOXES))
def test_world_subsets_same_as_gis_path(world: tuple[np.ndarray, ...], box: str) -> None:
    lon, lat, u, v = world
    pair = edge_pairs(lon, lat, u, v, bbox=BOXES[box])
    old, new = both_paths(lon, lat, pair, merge=True)
    assert_same(old, new)
    assert new[0].n_links > 100
    if box == "buenos-aires":  # ends on other lines' interiors split them here
        assert new[1].counts["pieces"] > new[1].counts["lines"]
        assert new[1].counts["duplicates_dropped"] > 0


def test_world_subset_without_merging(world: tuple[np.ndarray, ...]) -> None:
    lon, lat, u, v = world
    pair = edge_pairs(lon, lat, u, v, bbox=BOXES["buenos-aires"])
    assert_same(*both_paths(lon, lat, pair, merge=False))


STEP = 0.001  # degrees: about 111 m, the world graph's coordinate grid


@st.composite
def graphs(draw: Any) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Nodes on a small grid (several ids may share a point or sit 0.3 m apart) and edges
    among them (repeated, reversed, self-loops, collinear overlaps)."""
    n = draw(st.integers(2, 10))
    gx = np.array(draw(st.lists(st.integers(0, 3), min_size=n, max_size=n)), dtype=float)
    gy = np.array(draw(st.lists(st.integers(0, 3), min_size=n, max_size=n)), dtype=float)
    jit = np.array(draw(st.lists(st.sampled_from([0.0, 0.0, 3e-6, -2e-6]), min_size=n,
                                 max_size=n)))
    lon = 30.0 + gx * STEP + jit
    lat = 50.0 + gy * STEP
    m = draw(st.integers(1, 14))
    ends = st.tuples(st.integers(0, n - 1), st.integers(0, n - 1))
    pair = np.array(draw(st.lists(ends, min_size=m, max_size=m)), dtype=np.int64)
    return lon, lat, pair


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(g=graphs(), merge=st.booleans())
def test_synthetic_graphs_same_as_gis_path(g: tuple[np.ndarray, ...], merge: bool) -> None:
    lon, lat, pair = g
    try:
        old = lines_to_network(_edge_lines(lon, lat, pair), strict=False, merge=merge)
    except InputError as e:  # every link zero-length: both refuse alike
        refused = str(e)
    else:
        assert_same(old, edges_to_network(lon, lat, pair, merge=merge))
        return
    with pytest.raises(InputError) as info:
        edges_to_network(lon, lat, pair, merge=merge)
    assert str(info.value) == refused


def test_t_junction_and_chain_by_hand() -> None:
    # A-B-C on a line, A-C over them and a spur B-D: B splits A-C; its halves duplicate
    # A-B and B-C
    lon = np.array([30.0, 30.001, 30.002, 30.001])
    lat = np.array([50.0, 50.0, 50.0, 50.001])
    pair = np.array([[0, 2], [0, 1], [1, 2], [1, 3]])
    old, new = both_paths(lon, lat, pair, merge=True)
    assert_same(old, new)
    rep = new[1]
    # A-C is split at B once per line end there (3): A-B, B-B, B-B, B-C
    assert rep.counts["pieces"] == 7
    assert rep.counts["zero_length_dropped"] == 2
    assert rep.counts["duplicates_dropped"] == 2
    assert new[0].n_links == 3
    assert new[0].n_nodes == 4
