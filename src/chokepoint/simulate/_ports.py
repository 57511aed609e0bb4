"""Ships and ports: a fleet shuttles between two ports, loading and unloading at berths."""

from __future__ import annotations

from collections import deque
from collections.abc import Generator
from typing import TYPE_CHECKING, Any

import numpy as np
import simpy

if TYPE_CHECKING:
    from chokepoint.simulate.campaign import Campaign, Leg

__all__ = ["ship_process"]


def ship_process(cp: Campaign, leg: Leg, k: int) -> Generator[simpy.Event, Any, None]:
    """Ship ``k`` of ``leg``'s fleet: wait for a load at the home port, berth and load, sail,
    berth and unload box by box (each box waits for storage room at the far port), sail back
    empty; repeat until the home yard will receive nothing more.

    Voyage-time multipliers come from a generator seeded by (seed, leg, ship), so they do not
    depend on the order of events (common random numbers across disrupted and baseline runs).
    """
    env, s = cp.env, cp.settings
    name = f"S{leg.index}-{k + 1}"
    rng = np.random.default_rng([cp.seed, leg.index, k, 1])
    cv = s.sea_time_cv
    sigma = float(np.sqrt(np.log1p(cv * cv)))
    home, away = leg.start, leg.end
    yard = leg.yard
    voyage = 0
    while True:
        turn = yard.turn.request()
        yield turn
        ok = yield from yard.wait_batch(s.ship_teu, s.ship_max_wait_h)
        if not ok:
            yard.turn.release(turn)
            return
        req = cp.berth(home).request()
        yield req
        yield from cp.wait_node_open(home)
        batch = yard.take(s.ship_teu)
        yard.turn.release(turn)
        if not batch:
            cp.berth(home).release(req)
            continue
        hold: deque[int] = deque(batch)
        cp.holds[name] = hold
        voyage += 1
        rate = cp.handling_rate(home)
        t0 = env.now
        yield env.timeout(len(batch) / rate)
        cp.berth(home).release(req)
        cp.log_many(batch, "loaded", [t0 + (i + 1) / rate for i in range(len(batch))], name)
        yield from cp.wait_arcs_open(leg.arcs)
        m_out, m_back = (rng.lognormal(-sigma * sigma / 2, sigma, 2) if cv > 0
                         else (1.0, 1.0))
        cp.log_many(batch, "sailed", [env.now] * len(batch), name)
        t_sail = env.now
        yield env.timeout(leg.time_h * float(m_out))
        cp.log_many(batch, "arrived_port", [env.now] * len(batch), away)
        cp.voyages.append((name, voyage, home, away, len(batch), t0, t_sail, env.now))
        req = cp.berth(away).request()
        yield req
        nxt = cp.next_yard(leg)
        while hold:
            if nxt is not None:
                yield from nxt.reserve()
            yield from cp.wait_node_open(away)
            yield env.timeout(1.0 / cp.handling_rate(away))
            cid = hold.popleft()
            cp.log(cid, "unloaded", env.now, away)
            cp.hand_on(leg, [cid])
        cp.berth(away).release(req)
        del cp.holds[name]
        yield env.timeout(leg.time_h * float(m_back))
