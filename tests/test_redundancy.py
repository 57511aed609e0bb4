"""Single-link redundancy (``chokepoint.analyses.redundancy``) against naive per-link Dijkstra.

The reference is what RA2CE does: for every link, remove it from a NetworkX graph and run
Dijkstra from its ``from`` node to its ``to`` node. Random networks cover one-way and two-way
links, parallel and antiparallel links, subdivided links (chains), pendant trees (bridges),
rings and several components; hand-made cases pin down each structural shortcut.
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

import networkx as nx
import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from chokepoint.analyses.redundancy import bridges, link_redundancy
from chokepoint.errors import InputError
from chokepoint.network import Network
from chokepoint.units import Units

SETTINGS = settings(max_examples=100, deadline=None, derandomize=True)
FEW = settings(max_examples=50, deadline=None, derandomize=True)
WEIGHTS = st.one_of(st.just(0.0), st.integers(1, 5).map(float), st.floats(0.01, 100.0))


def net_of(rows: list[tuple[Any, ...]], **defaults: Any) -> Network:
    """Network from ``(id, from, to, length_km[, direction])`` tuples."""
    recs = []
    for r in rows:
        rec = {"id": r[0], "from": r[1], "to": r[2], "length_km": float(r[3]), "capacity": 1.0,
               "direction": r[4] if len(r) > 4 else "both"}
        rec.update(defaults)
        recs.append(rec)
    return Network.from_frames(None, pd.DataFrame(recs), units=Units.unitless())


def naive(links: pd.DataFrame, *, directed: bool = True,
          weight: str = "length_km") -> dict[str, tuple[float, int]]:
    """Per link: lightest from→to route on the network without it (NetworkX Dijkstra)."""
    g: nx.MultiDiGraph = nx.MultiDiGraph()
    for r in links.to_dict("records"):
        w = 1.0 if weight == "hops" else float(r[weight])
        g.add_edge(r["from"], r["to"], key=(r["id"], 0), w=w)
        if r.get("direction", "forward") == "both" or not directed:
            g.add_edge(r["to"], r["from"], key=(r["id"], 1), w=w)
    out: dict[str, tuple[float, int]] = {}
    for r in links.to_dict("records"):
        arcs = [(u, v, k, d) for u, v, k, d in g.edges(keys=True, data=True) if k[0] == r["id"]]
        g.remove_edges_from([(u, v, k) for u, v, k, _ in arcs])
        try:
            d, path = nx.single_source_dijkstra(g, r["from"], r["to"], weight="w")
            out[r["id"]] = (float(d), len(path) - 1)  # type: ignore[arg-type]
        except nx.NetworkXNoPath:
            out[r["id"]] = (math.inf, -1)
        for u, v, k, data in arcs:
            g.add_edge(u, v, key=k, **data)
    return out


def assert_matches(df: pd.DataFrame, ref: dict[str, tuple[float, int]]) -> None:
    """Identical alternatives (1e-9 relative) and consistent derived columns."""
    assert len(df) == len(ref)
    for r in df.to_dict("records"):
        exp, _ = ref[r["link"]]
        got = r["alt_weight"]
        if math.isinf(exp):
            assert math.isinf(got), (r, exp)
            assert not r["detour"]
            assert pd.isna(r["alt_links"])
        else:
            assert got == pytest.approx(exp, rel=1e-9, abs=1e-12), (r, exp)
            assert r["detour"]
            assert r["diff"] == pytest.approx(got - r["weight"], rel=1e-9, abs=1e-12)
            assert r["alt_links"] >= 1


@st.composite
def networks(draw: st.DrawFn) -> pd.DataFrame:
    """Random multigraph; some links subdivided into chains; pendant trees; rings."""
    n = draw(st.integers(2, 9))
    pairs = st.tuples(st.integers(0, n - 1), st.integers(0, n - 1)).filter(lambda p: p[0] != p[1])
    base = draw(st.lists(pairs, min_size=1, max_size=2 * n))
    ends: list[tuple[int, int]] = []
    for u, v in base:
        ends.append((u, v))
        k = draw(st.integers(0, 6))
        if k == 0:
            ends.append((u, v))  # parallel
        elif k == 1:
            ends.append((v, u))  # antiparallel
    mixed = draw(st.booleans())
    rows: list[dict[str, Any]] = []
    nxt = n

    def add(u: int, v: int) -> None:
        direction = draw(st.sampled_from(["forward", "both", "both"])) if mixed else "both"
        rows.append({"id": f"L{len(rows)}", "from": f"n{u}", "to": f"n{v}",
                     "length_km": draw(WEIGHTS), "capacity": 1.0, "direction": direction})

    for u, v in ends:
        pieces = draw(st.integers(1, 4)) if draw(st.integers(0, 2)) == 0 else 1
        prev = u
        for _ in range(pieces - 1):
            add(prev, nxt) if draw(st.booleans()) else add(nxt, prev)
            prev = nxt
            nxt += 1
        add(prev, v) if draw(st.booleans()) else add(v, prev)
    for _ in range(draw(st.integers(0, 3))):  # pendant paths (bridges)
        anchor = draw(st.integers(0, nxt - 1))
        add(anchor, nxt)
        nxt += 1
    for _ in range(draw(st.integers(0, 1))):  # a separate ring
        size = draw(st.integers(2, 4))
        ring = [nxt + i for i in range(size)]
        nxt += size
        for i in range(size):
            add(ring[i], ring[(i + 1) % size])
    return pd.DataFrame(rows)


@SETTINGS
@given(networks())
def test_matches_naive_dijkstra(links: pd.DataFrame) -> None:
    net = Network.from_frames(None, links, units=Units.unitless())
    assert_matches(link_redundancy(net.compiled), naive(links))


@FEW
@given(networks())
def test_undirected_mode_matches_naive(links: pd.DataFrame) -> None:
    net = Network.from_frames(None, links, units=Units.unitless())
    df = link_redundancy(net.compiled, directed=False)
    assert_matches(df, naive(links, directed=False))


@FEW
@given(networks(), st.data())
def test_subset_and_hops_weight(links: pd.DataFrame, data: st.DataObject) -> None:
    net = Network.from_frames(None, links, units=Units.unitless())
    ids = data.draw(st.lists(st.sampled_from(list(links["id"])), min_size=1, unique=True))
    df = link_redundancy(net.compiled, weight="hops", links=ids)
    assert list(df["link"]) == ids
    ref = naive(links, weight="hops")
    assert_matches(df, {k: ref[k] for k in ids})


@FEW
@given(networks())
def test_bridges_match_networkx(links: pd.DataFrame) -> None:
    net = Network.from_frames(None, links, units=Units.unitless())
    g: nx.MultiGraph = nx.MultiGraph()
    for r in links.to_dict("records"):
        g.add_edge(r["from"], r["to"], key=r["id"])
    expected = set()
    for r in links.to_dict("records"):  # a bridge disconnects its own ends
        g.remove_edge(r["from"], r["to"], key=r["id"])
        if not nx.has_path(g, r["from"], r["to"]):
            expected.add(r["id"])
        g.add_edge(r["from"], r["to"], key=r["id"])
    got = set(links["id"][bridges(net.compiled)])
    assert got == expected


# -- hand-made cases ---------------------------------------------------------------------------
def test_bridge_has_no_detour() -> None:
    net = net_of([("a", "1", "2", 1), ("b", "2", "3", 1), ("c", "3", "1", 1),
                  ("bridge", "3", "4", 5), ("d", "4", "5", 1)])
    df = link_redundancy(net.compiled).set_index("link")
    assert not df.loc["bridge", "detour"]
    assert df.loc["bridge", "bridge"]
    assert math.isinf(float(df.loc["bridge", "alt_weight"]))  # type: ignore[arg-type]
    assert df.loc["d", "bridge"]
    assert df.loc["a", "alt_weight"] == 2.0
    assert df.attrs["redundancy"]["bridges"] == 2


def test_chain_inside_cycle() -> None:
    # junctions A and B joined by a 4-link chain and by a 2-link route, plus a spur at A
    net = net_of([("c1", "A", "x1", 1), ("c2", "x1", "x2", 2), ("c3", "x3", "x2", 3),
                  ("c4", "x3", "B", 4), ("s1", "A", "y", 5), ("s2", "y", "B", 6),
                  ("t1", "A", "z", 1), ("t2", "z", "B", 1)])
    df = link_redundancy(net.compiled).set_index("link")
    # c2 from x1 to x2: back to A (1), A -> B (2 via z), B -> x2 (4 + 3)
    assert df.loc["c2", "alt_weight"] == 1 + 2 + 7
    # c3 is stored x3 -> x2: x3 -> B (4), B -> A (2), A -> x2 (1 + 2)
    assert df.loc["c3", "alt_weight"] == 4 + 2 + 3
    assert df.loc["c3", "alt_links"] == 5
    # t1 (A -> z): A -> B by the chain (10, lighter than 11 via y), then B -> z (1)
    assert df.loc["t1", "alt_weight"] == 10 + 1
    assert df.attrs["redundancy"]["searches"] >= 1
    assert_matches(link_redundancy(net.compiled), naive(net.links))


def test_parallel_links_are_alternatives() -> None:
    net = net_of([("p", "1", "2", 3), ("q", "1", "2", 5), ("r", "2", "3", 1)])
    df = link_redundancy(net.compiled).set_index("link")
    assert df.loc["p", "alt_weight"] == 5
    assert df.loc["q", "alt_weight"] == 3
    assert df.loc["q", "diff"] == -2
    assert not df.loc["r", "detour"]
    assert not df.loc["p", "bridge"]


def test_one_way_links() -> None:
    # one-way ring 1 -> 2 -> 3 -> 1, plus a two-way chord 1 - 3
    net = net_of([("a", "1", "2", 1, "forward"), ("b", "2", "3", 1, "forward"),
                  ("c", "3", "1", 1, "forward"), ("d", "1", "3", 5, "both")])
    df = link_redundancy(net.compiled).set_index("link")
    assert not df.loc["a", "detour"]  # nothing else enters node 2
    assert not df.loc["a", "bridge"]
    assert df.loc["c", "alt_weight"] == 5  # 3 -> 1 on the chord
    assert df.loc["d", "alt_weight"] == 2  # 1 -> 2 -> 3 on the ring
    assert_matches(link_redundancy(net.compiled), naive(net.links))
    und = link_redundancy(net.compiled, directed=False).set_index("link")
    assert und.loc["a", "alt_weight"] == 2  # 1 - 3 - 2 ignoring directions


def test_one_way_ring_has_no_detour() -> None:
    net = net_of([("a", "1", "2", 1, "forward"), ("b", "2", "3", 1, "forward"),
                  ("c", "3", "1", 1, "forward")])
    df = link_redundancy(net.compiled)
    assert not df["detour"].any()
    assert not df["bridge"].any()
    und = link_redundancy(net.compiled, directed=False)
    assert list(und["alt_weight"]) == [2.0, 2.0, 2.0]


def test_progress_and_errors() -> None:
    net = net_of([("a", "1", "2", 1), ("b", "2", "3", 1), ("c", "3", "4", 1), ("d", "4", "1", 1),
                  ("e", "1", "3", 1), ("f", "3", "5", 1)])
    calls: list[tuple[int, int]] = []
    link_redundancy(net.compiled, progress=lambda d, t: calls.append((d, t)))
    assert calls[-1] == (6, 6)
    assert all(t == 6 for _, t in calls)
    assert [d for d, _ in calls] == sorted(d for d, _ in calls)
    with pytest.raises(InputError, match="unknown link"):
        link_redundancy(net.compiled, links=["zz"])
    with pytest.raises(InputError, match="time_h"):
        link_redundancy(net.compiled, weight="time_h")


# -- RA2CE's committed Beira reference ---------------------------------------------------------
def beira_reference(shared: Path) -> pd.DataFrame:
    """RA2CE's tutorial output with each edge's end nodes (merged edges resolved)."""
    ref = pd.read_csv(shared / "ra2ce_data" / "beira" /
                      "reference_tutorial_single_link_redundancy.csv")
    from benchmarks.bench_redundancy import beira_links

    ref["u"], ref["v"] = beira_links(ref)   # merged degree-2 chains resolved to their ends
    return ref


def test_beira_matches_ra2ce_reference(shared_dir: Path) -> None:
    path = shared_dir / "ra2ce_data" / "beira" / "reference_tutorial_single_link_redundancy.csv"
    if not path.is_file():
        pytest.skip(f"RA2CE reference output not found at {path}")
    ref = beira_reference(shared_dir)
    ref = ref[ref["u"] != ref["v"]].reset_index(drop=True)  # one self-loop (alt 0)
    links = pd.DataFrame({"id": [f"r{x}" for x in ref["rfid"]], "from": ref["u"],
                          "to": ref["v"], "length_km": ref["length"], "direction": "both"})
    net = Network.from_frames(None, links, units=Units.unitless())
    df = link_redundancy(net.compiled)
    exp = ref["alt_length"].to_numpy(dtype=float)
    got = df["alt_weight"].to_numpy()
    assert np.array_equal(df["detour"].to_numpy(), ref["detour"].to_numpy() == 1)
    ok = np.isfinite(exp)
    np.testing.assert_allclose(got[ok], exp[ok], rtol=0, atol=1e-9)
    np.testing.assert_allclose(df["diff"].to_numpy()[ok],
                               ref["diff_length"].to_numpy(dtype=float)[ok], atol=0.051)


# -- caching, frame ownership and the search kernel ----------------------------------------------
@FEW
@given(networks())
def test_cached_structure_gives_identical_results(links: pd.DataFrame) -> None:
    # the bridge / chain structure is cached on the compiled network; later calls with other
    # weights and modes must equal calls on a fresh network (nothing cached)
    net = Network.from_frames(None, links, units=Units.unitless())
    c = net.compiled
    first = link_redundancy(c)
    assert "redundancy:structure" in c._cache
    for kw in ({"weight": "hops"}, {"directed": False}, {}):
        fresh = Network.from_frames(None, links, units=Units.unitless()).compiled
        pd.testing.assert_frame_equal(link_redundancy(c, **kw), link_redundancy(fresh, **kw),
                                      check_exact=True)
    pd.testing.assert_frame_equal(link_redundancy(c), first, check_exact=True)


def test_result_frame_does_not_share_network_arrays() -> None:
    net = net_of([("a", "1", "2", 1), ("b", "2", "3", 1), ("c", "3", "1", 1)])
    c = net.compiled
    df = link_redundancy(c)
    assert df["link"].dtype == object
    assert df["from"].dtype == object
    assert str(df["alt_links"].dtype) == "Int64"
    ids, nodes = c.link_ids.copy(), c.node_ids.copy()
    df.loc[0, "link"] = "changed"
    df.loc[0, "from"] = "changed"
    assert list(c.link_ids) == list(ids)
    assert list(c.node_ids) == list(nodes)
    assert list(link_redundancy(c)["link"]) == ["a", "b", "c"]


def test_bidirectional_batch_against_networkx() -> None:
    from chokepoint.analyses._dijkstra import bidirectional_batch

    rng = np.random.default_rng(3)
    n = 40
    tail = rng.integers(0, n, 150)
    head = rng.integers(0, n, 150)
    w = rng.choice([0.0, 1.0, 2.5, 4.0], 150)
    grp = np.arange(150) // 2  # two arcs per group
    hops = rng.integers(1, 4, 150)
    qs = rng.integers(0, n, 200)
    qt = rng.integers(0, n, 200)
    qg = rng.integers(0, 75, 200)
    dist, hop = bidirectional_batch(qs, qt, qg, n=n, tail=tail, head=head, weight=w,
                                    arc_group=grp, arc_hops=hops)
    for i in range(200):
        g: nx.MultiDiGraph = nx.MultiDiGraph()
        g.add_nodes_from(range(n))
        for a in range(150):
            if grp[a] != qg[i]:
                g.add_edge(int(tail[a]), int(head[a]), key=a, w=float(w[a]))
        try:
            exp = float(nx.dijkstra_path_length(g, int(qs[i]), int(qt[i]), weight="w"))
        except nx.NetworkXNoPath:
            exp = math.inf
        assert dist[i] == exp
        assert (hop[i] == -1) == math.isinf(exp)
    with pytest.raises(ValueError, match="more than two arcs"):
        bidirectional_batch(qs, qt, qg, n=n, tail=tail, head=head, weight=w,
                            arc_group=np.zeros(150, dtype=np.int64), arc_hops=hops)
