"""Shared fixtures and small builders for the chokepoint test suite."""

from __future__ import annotations

import os
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest

from chokepoint.network import Network
from chokepoint.units import Units

# The readers' tests must read: the disk cache of parsed files (chokepoint.io.cache) is off
# for the whole suite and the CLIs it starts; tests/test_cache.py turns it on in a tmp folder.
os.environ["CHOKEPOINT_CACHE"] = "off"

#: The shared data folder: ``../shared`` relative to the repository root (a sibling checkout
#: in CI, ``/work/shared`` locally). Tests never copy anything out of it into the repo.
SHARED_DIR = Path(__file__).resolve().parents[1].parent / "shared"


@pytest.fixture(scope="session")
def shared_dir() -> Path:
    """The shared data folder; tests that need it are skipped when it is absent."""
    if not (SHARED_DIR / "data" / "raw").is_dir():
        pytest.skip(f"shared data not found at {SHARED_DIR} (expected ../shared next to the repo)")
    return SHARED_DIR


@pytest.fixture(scope="session")
def flow_benchmarks(shared_dir: Path) -> Path:
    """``shared/data/raw/flow_benchmarks`` (skips when missing)."""
    d = shared_dir / "data" / "raw" / "flow_benchmarks"
    if not d.is_dir():
        pytest.skip(f"flow benchmarks not found at {d}")
    return d


def make_network(
    links: Sequence[tuple[Any, ...]] | pd.DataFrame,
    nodes: Sequence[dict[str, Any]] | pd.DataFrame | None = None,
    *,
    units: Units | None = None,
    **defaults: Any,
) -> Network:
    """A validated network from compact link tuples.

    ``links`` items are ``(id, from, to, capacity)`` or ``(id, from, to, capacity, extra)``
    with ``extra`` a dict of further link columns (``direction``, ``track``, ``time_h``...).
    ``defaults`` fill columns for every link that does not set them.
    """
    if isinstance(links, pd.DataFrame):
        frame = links
    else:
        rows = []
        for item in links:
            lid, u, v, cap, *rest = item
            row: dict[str, Any] = {"id": lid, "from": u, "to": v, "capacity": float(cap)}
            row.update(defaults)
            if rest:
                row.update(rest[0])
            rows.append(row)
        frame = pd.DataFrame(rows)
    nd = None
    if nodes is not None:
        nd = nodes if isinstance(nodes, pd.DataFrame) else pd.DataFrame(list(nodes))
    return Network.from_frames(nd, frame, units=units or Units.unitless())


@pytest.fixture
def tiny_network() -> Callable[..., Network]:
    """Builder fixture: ``tiny_network(links, nodes=None, **defaults)`` (see ``make_network``)."""
    return make_network


def incidence_balance(tail: np.ndarray, head: np.ndarray, flow: np.ndarray, n: int) -> np.ndarray:
    """Out-flow minus in-flow at each of ``n`` vertices."""
    bal = np.zeros(n)
    np.add.at(bal, tail, flow)
    np.add.at(bal, head, -flow)
    return bal
