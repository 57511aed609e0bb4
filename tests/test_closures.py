"""The closure engine (web map answers): memoised, incremental and warm-started served demand
must equal a fresh served-demand solve; cancellation stops it between solver calls."""

from __future__ import annotations

import datetime as dt
import itertools
import threading

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from chokepoint.analyses.served import ServedDemandModel, served_demand
from chokepoint.cancel import CancelledError, CancelToken, cancel_scope, check
from chokepoint.data import load_builtin
from chokepoint.scenario import Scenario
from chokepoint.workflows.closures import (
    Closure,
    ClosureEngine,
    baseline,
    close_elements,
    removed_arcs,
)

CORRIDOR = load_builtin()
C = CORRIDOR.network.compiled
ELEMENTS = sorted([("link", x) for x in C.link_ids] + [("node", x) for x in C.node_index]
                  + [("group", g) for g in C.group_index if g])


def _fresh(s: Scenario, elements: tuple[tuple[str, str], ...]) -> float:
    return served_demand(s.network.compiled, s.demands, removed=removed_arcs(s, elements),
                         fastest=False).total_served


@settings(max_examples=40, deadline=None, derandomize=True)
@given(st.lists(st.lists(st.sampled_from(ELEMENTS), min_size=1, max_size=3, unique=True),
                min_size=1, max_size=6))
def test_engine_equals_a_fresh_solve(closures: list[list[tuple[str, str]]]) -> None:
    """Whatever was asked before (memo, subset reuse, warm basis), every answer equals a
    fresh served-demand LP on the closed network."""
    base = baseline(CORRIDOR)
    for els in closures:
        closure = Closure(tuple(sorted(els)))
        got = close_elements(CORRIDOR, base, closure)["served"]["closed_base"]
        assert got == pytest.approx(_fresh(CORRIDOR, closure.elements), rel=1e-7, abs=1e-5)


def test_model_resolves_like_served_demand() -> None:
    """One warm model, re-solved for every single element in turn and back to intact."""
    model = ServedDemandModel(C, CORRIDOR.demands, warm=True)
    intact = model.solve(None).total_served
    for el in ELEMENTS[::3]:
        arcs = removed_arcs(CORRIDOR, [el])
        assert model.solve(arcs).total_served == pytest.approx(
            _fresh(CORRIDOR, (el,)), rel=1e-7, abs=1e-5)
    assert model.solve(None).total_served == pytest.approx(intact, rel=1e-9)
    # the rows added by the rationing stages are gone after each solve
    assert model.lex.h.getNumRow() == model.rows


def _reusable_pair(engine: ClosureEngine) -> tuple[tuple[str, str], tuple[str, str]]:
    assert engine.intact is not None
    loaded = [el for el in ELEMENTS
              if (engine.intact.arc_load[removed_arcs(CORRIDOR, [el])] > 1e-7).any()]
    for first in loaded:
        arcs = removed_arcs(CORRIDOR, [first])
        answer = ClosureEngine(CORRIDOR).served([arcs])
        for el in loaded:
            other = removed_arcs(CORRIDOR, [el])
            if not set(other) <= set(arcs) and not (answer.arc_load[other] > 1e-7).any():
                return first, el
    raise AssertionError("no reusable pair on the corridor")


def test_same_arcs_are_solved_once_and_subsets_are_reused() -> None:
    engine = ClosureEngine(CORRIDOR)
    base = baseline(CORRIDOR, engine=engine)
    tunnel = ("link", "severomuysky_tunnel")
    close_elements(CORRIDOR, base, Closure((tunnel,)))
    solves = engine.stats()["solves"]
    # the same closure again, with dates: no new solve
    close_elements(CORRIDOR, base, Closure((tunnel,), dt.date(2023, 11, 29),
                                           dt.date(2023, 12, 5)))
    assert engine.stats()["solves"] == solves
    # a pair whose second element carries flow intact but nothing once the first is shut
    first, idle = _reusable_pair(engine)
    engine.served([removed_arcs(CORRIDOR, [first])])
    before = engine.stats()
    pair = close_elements(CORRIDOR, base, Closure(tuple(sorted((first, idle)))))
    after = engine.stats()
    assert after["solves"] == before["solves"]
    assert after["reused"] == before["reused"] + 1
    assert pair["served"]["closed_base"] == pytest.approx(
        _fresh(CORRIDOR, tuple(sorted((first, idle)))), rel=1e-7, abs=1e-5)


def test_engine_is_thread_safe() -> None:
    """Four threads closing pairs at once get the serial answers."""
    pairs = list(itertools.combinations(ELEMENTS[::4], 2))[:40]
    serial = ClosureEngine(CORRIDOR)
    want = [serial.served([removed_arcs(CORRIDOR, [a]), removed_arcs(CORRIDOR, [b])]).served
            for a, b in pairs]
    shared = ClosureEngine(CORRIDOR)
    got: dict[int, float] = {}

    def work(offset: int) -> None:
        for i in range(offset, len(pairs), 4):
            a, b = pairs[i]
            got[i] = shared.served([removed_arcs(CORRIDOR, [a]),
                                    removed_arcs(CORRIDOR, [b])]).served

    threads = [threading.Thread(target=work, args=(k,)) for k in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert [got[i] for i in range(len(pairs))] == pytest.approx(want, rel=1e-7, abs=1e-5)


def test_a_cancelled_closure_stops_before_its_solve() -> None:
    base = baseline(CORRIDOR)
    token = CancelToken()
    token.cancel("past the time limit")
    busy = next(el for el in ELEMENTS if base.engine.intact is not None
                and (base.engine.intact.arc_load[removed_arcs(CORRIDOR, [el])] > 1e-7).any())
    with cancel_scope(token), pytest.raises(CancelledError, match="time limit"):
        close_elements(CORRIDOR, base, Closure((busy,)))
    assert base.engine.stats()["solves"] == 0
    check()  # outside the scope nothing is cancelled
    # the engine still works after a cancellation
    r = close_elements(CORRIDOR, base, Closure((busy,)))
    assert r["served"]["closed_base"] == pytest.approx(_fresh(CORRIDOR, (busy,)), rel=1e-7,
                                                       abs=1e-5)


def test_detour_equals_a_fresh_fastest_route() -> None:
    """The intact route is kept when no closed arc lies on it; every detour's time equals a
    fresh fastest route on the shipment's network."""
    from chokepoint.analyses import fastest_route

    base = baseline(CORRIDOR)
    assert base.route is not None
    o, d = base.sources[0], base.sinks[0]
    kept = 0
    for el in ELEMENTS:
        r = close_elements(CORRIDOR, base, Closure((el,)))["detour"]["closed"]
        fresh = fastest_route(base.shipment.network, o, d,
                              removed=removed_arcs(CORRIDOR, [el]))
        assert r["found"] == fresh.found
        if fresh.found:
            assert r["time_h"] == pytest.approx(fresh.time_h, rel=1e-12)
        kept += r is base.route
    assert 0 < kept < len(ELEMENTS)


def test_one_lp_answers_equal_fresh_solves() -> None:
    """Pairs answered by one feasibility LP (a single's served amounts still met with both
    closed) serve exactly what a fresh full solve serves, demand by demand."""
    engine = ClosureEngine(CORRIDOR)
    engine.prewarm()
    kept = 0
    for a, b in itertools.islice(itertools.combinations(ELEMENTS[::2], 2), 0, None, 7):
        parts = [removed_arcs(CORRIDOR, [a]), removed_arcs(CORRIDOR, [b])]
        if engine.lookup(parts) is not None:
            continue
        before = engine.stats()["kept"]
        got = engine.served(parts)
        if engine.stats()["kept"] == before:
            continue
        kept += 1
        fresh = served_demand(C, CORRIDOR.demands, removed=removed_arcs(CORRIDOR, [a, b]),
                              fastest=False)
        assert got.by_demand == pytest.approx(fresh.demands["served"].to_numpy(), rel=1e-7,
                                              abs=1e-5)
        assert got.served == pytest.approx(fresh.total_served, rel=1e-7, abs=1e-5)
        # the closed arcs carry nothing in the flows found
        assert not (got.arc_load[removed_arcs(CORRIDOR, [a, b])] > 1e-6).any()
        if kept >= 25:
            break
    assert kept >= 10


def test_rationing_by_columns_is_the_sparse_path_bit_for_bit() -> None:
    """The numpy path of the max-min fair rationing (one column per demand) hands HiGHS the
    same rows as the sparse path: identical solutions, shadow prices and binding sets."""
    import numpy as np
    import scipy.sparse as sp

    fast, slow = ServedDemandModel(C, CORRIDOR.demands), ServedDemandModel(C, CORRIDOR.demands)
    sparse_leximin = slow.lex.leximin

    def by_matrix(cols: np.ndarray, denom: np.ndarray, *, rel: float = 1e-7) -> None:
        E = sp.csr_matrix((np.ones(len(cols)), (np.arange(len(cols)), cols)),
                          shape=(len(cols), slow.lex.n))
        sparse_leximin(E, denom, rel=rel)

    slow.lex.leximin = by_matrix  # type: ignore[method-assign]
    for els in itertools.islice(itertools.combinations(ELEMENTS[::5], 2), 0, 60):
        arcs = removed_arcs(CORRIDOR, list(els))
        a, b = fast.solve(arcs), slow.solve(arcs)
        assert np.array_equal(a.x, b.x)
        assert np.array_equal(a.shadow, b.shadow)
        assert np.array_equal(a.binding, b.binding)
