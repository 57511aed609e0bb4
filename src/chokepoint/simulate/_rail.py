"""Rail: trains formed at a yard, run section by section over train paths.

A *section* is a link in one direction, or both directions of a single-track link (one shared
resource). Its capacity is its paths per day ``P`` (the link capacity in trains/day, times the
disruption factor). A campaign train takes a path by holding the section's entry block for
one headway ``24 / P_c`` hours, where ``P_c`` is ``P`` less the background trains/day of equal
or higher priority (strict priority); it then runs the section's ``time_h``. Trains queue for
the block first come, first served. See ``docs/algorithms/simulation.md``.
"""

from __future__ import annotations

from collections.abc import Generator
from typing import TYPE_CHECKING, Any

import numpy as np
import simpy

if TYPE_CHECKING:
    from chokepoint.simulate.campaign import Campaign, Leg

__all__ = ["formation_process"]


def formation_process(cp: Campaign, leg: Leg) -> Generator[simpy.Event, Any, None]:
    """Form trains at ``leg``'s yard: a train leaves when ``teu_per_train`` is waiting, the
    oldest box has waited ``train_max_wait_h``, or the last box has come (or, with
    ``train_timetable_h``, at every timetable slot with boxes waiting)."""
    s, yard = cp.settings, leg.yard
    n = 0
    while True:
        if s.train_timetable_h is not None:
            ok = yield from yard.wait_slot(s.train_timetable_h)
        else:
            ok = yield from yard.wait_batch(cp.teu_per_train, s.train_max_wait_h)
        if not ok:
            return
        batch = yard.take(cp.teu_per_train)
        n += 1
        name = f"T{leg.index}-{n}"
        cp.trains[name] = batch
        cp.log_many(batch, "on_train", [cp.env.now] * len(batch), name)
        cp.env.process(train_process(cp, leg, name, batch))


def train_process(cp: Campaign, leg: Leg, name: str, batch: list[int]
                  ) -> Generator[simpy.Event, Any, None]:
    """Load, then run the leg section by section, rerouting or waiting at closures."""
    env, s, tl, c = cp.env, cp.settings, cp.timeline, cp.c
    yield env.timeout(s.train_load_h)
    cp.log_many(batch, "departed", [env.now] * len(batch), leg.start)
    node = leg.start
    route = list(leg.arcs)
    i = 0
    rerouted = False
    while i < len(route):
        arc = route[i]
        ahead = route[i:]
        if any(tl.factor(a, env.now) <= 0.0 for a in ahead):
            if s.on_closure == "reroute":
                new = cp.reroute(node, leg.end, env.now)
                if new is not None and new != ahead:
                    route, i, arc, rerouted = new, 0, new[0], True
                    cp.reroutes.append((name, node, env.now))
            if tl.factor(arc, env.now) <= 0.0:
                yield from cp.wait_until_change()
                continue
        if s.junction_dwell and node != leg.start and cp.dwell[node] > 0:
            yield env.timeout(cp.dwell[node])
        res = cp.section(arc)
        t_req = env.now
        req = res.request() if res is not None else None
        if req is not None:
            yield req
        paths = tl.campaign_paths(arc, env.now, cp.priority)
        if paths <= 0.0:
            if req is not None:
                res.release(req)  # type: ignore[union-attr]
            yield from cp.wait_until_change()
            continue
        t_in = env.now
        if req is not None and np.isfinite(paths):
            # hold the entry block for one headway, without delaying this train
            ev = env.timeout(24.0 / paths)
            ev.callbacks.append(lambda _e, r=res, q=req: r.release(q))  # type: ignore[misc]
        elif req is not None:
            res.release(req)  # type: ignore[union-attr]
        t_out = tl.exit_time(arc, t_in, float(c.time_h[arc]),
                             hold=s.inside_closure == "hold")
        nxt = cp.arc_head_node(arc)
        cp.passages.append((name, leg.index, arc, node, nxt, t_req, t_in, t_out, paths,
                            rerouted))
        if not np.isfinite(t_out):
            yield env.event()  # stuck in a section that never reopens: stays in transit
        yield env.timeout(t_out - env.now)
        node = nxt
        i += 1
    del cp.trains[name]
    cp.hand_on(leg, batch)
