"""CompiledNetwork.reachable (the numpy breadth-first search scenario validation uses)
against scipy's breadth_first_order on random networks and arc masks."""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy.sparse import csr_matrix
from scipy.sparse.csgraph import breadth_first_order

from chokepoint.network import Network, NumberedIds


@settings(max_examples=80, deadline=None)
@given(n=st.integers(2, 12), seed=st.integers(0, 2**32 - 1), share=st.floats(0.0, 1.0))
def test_reachable_equals_scipy_bfs(n: int, seed: int, share: float) -> None:
    rng = np.random.default_rng(seed)
    m = int(rng.integers(1, 3 * n))
    tail = rng.integers(0, n, m)
    head = (tail + rng.integers(1, n, m)) % n  # no self-loops; parallel arcs allowed
    net = Network.from_arrays(np.array([f"v{i}" for i in range(n)], dtype=object), tail, head,
                              link_ids=NumberedIds("a", 1, m), columns={})
    c = net.compiled
    mask = rng.random(c.n_arcs) < share
    start = int(rng.integers(0, n))
    got = c.reachable(start, arc_mask=mask)
    keep = np.flatnonzero(mask)
    adj = csr_matrix((np.ones(len(keep)), (c.tail[keep], c.head[keep])),
                     shape=(c.n_vertices, c.n_vertices))
    want = np.zeros(c.n_vertices, dtype=bool)
    want[breadth_first_order(adj, start, directed=True, return_predecessors=False)] = True
    np.testing.assert_array_equal(got, want)
    full = c.reachable(start)
    assert full[got].all()  # more arcs reach at least as far
