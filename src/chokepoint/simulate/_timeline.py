"""The disruption timeline and the background load, as step functions of simulated time.

Time is in hours from the run's epoch. Between two consecutive breakpoints (a disruption's
start or end) every arc has one capacity factor: the smallest factor of the disruptions active
then (1 when none is), exactly as :func:`chokepoint.disruptions.capacity_factor` defines it.
For each such phase the background demands are assigned once with the served-demand LP
(:func:`chokepoint.analyses.served.served_demand`), which routes them over the capacity left
in that phase; the result is a background load in trains/day per capacity resource and per
priority class, and an unmet rate per background demand.
"""

from __future__ import annotations

import bisect
import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from chokepoint.compiled import CompiledNetwork
from chokepoint.disruptions import capacity_factor
from chokepoint.scenario import Demand, Disruption
from chokepoint.units import UNITLESS, Units

__all__ = ["Timeline", "build_timeline", "resource_of_arc"]


def resource_of_arc(c: CompiledNetwork) -> np.ndarray:
    """Capacity resource of each arc: the arc itself, or for the two arcs of a single-track
    link the lower of the two indices (both directions share one resource)."""
    r = np.arange(c.n_arcs, dtype=np.int64)
    shared = c.partner >= 0
    r[shared] = np.minimum(r[shared], c.partner[shared])
    return r


@dataclass
class Timeline:
    """Piecewise-constant capacity factors and background load.

    Attributes
    ----------
    times
        Phase start times (hours), ``times[0] == 0``.
    factors
        Per phase, the capacity factor of every arc.
    paths
        Per phase, train paths/day of every arc's resource (after the factor; ``inf`` where
        the capacity is unlimited). Indexed by arc; the two arcs of a shared resource agree.
    bg
        Per phase, ``{priority: trains/day per resource (indexed by arc)}``.
    unmet
        Per phase, unmet background rate in trains/day per background demand.
    """

    times: list[float]
    factors: list[np.ndarray]
    paths: list[np.ndarray]
    bg: list[dict[float, np.ndarray]]
    unmet: list[np.ndarray]
    bg_ids: list[str] = field(default_factory=list)
    bg_origins: list[str] = field(default_factory=list)

    def phase(self, t: float) -> int:
        """The phase in force at time ``t``."""
        return max(bisect.bisect_right(self.times, t) - 1, 0)

    def next_change(self, t: float) -> float:
        """Start of the next phase after ``t`` (``inf`` if none)."""
        i = bisect.bisect_right(self.times, t)
        return self.times[i] if i < len(self.times) else float("inf")

    def factor(self, arc: int, t: float) -> float:
        """Capacity factor of an arc at time ``t``."""
        return float(self.factors[self.phase(t)][arc])

    def campaign_paths(self, arc: int, t: float, priority: float) -> float:
        """Paths/day left for a campaign train of ``priority`` on the arc's resource: the
        resource's paths minus the background of equal or higher priority (never < 0)."""
        p = self.phase(t)
        total = float(self.paths[p][arc])
        for prio, load in self.bg[p].items():
            if prio >= priority:
                total -= float(load[arc])
        return max(total, 0.0)

    def exit_time(self, arc: int, enter: float, duration: float, *, hold: bool) -> float:
        """When a train entering ``arc`` at ``enter`` leaves it. With ``hold`` a train stops
        while the arc is closed (factor 0) and resumes when it reopens (``inf`` if never)."""
        if not hold:
            return enter + duration
        t, left = enter, duration
        while left > 1e-12:
            nxt = self.next_change(t)
            if self.factor(arc, t) <= 0.0:
                if not np.isfinite(nxt):
                    return float("inf")
                t = nxt
                continue
            step = min(left, nxt - t)
            t += step
            left -= step
        return t


def _hours(x: dt.datetime, epoch: dt.datetime) -> float:
    return (x - epoch).total_seconds() / 3600.0


def build_timeline(c: CompiledNetwork, units: Units, disruptions: list[Disruption],
                   background: list[Demand], epoch: dt.datetime) -> Timeline:
    """Phases of the disruption timeline from ``epoch`` on, with the background per phase."""
    marks = {0.0}
    for d in disruptions:
        for x in (d.start, d.end):
            if x is not None and _hours(x, epoch) > 0:
                marks.add(_hours(x, epoch))
    times = sorted(marks)
    to_trains = _train_rate(units)
    res = resource_of_arc(c)
    link_arc = c.arc_link >= 0
    cache: dict[bytes, tuple[np.ndarray, dict[float, np.ndarray], np.ndarray]] = {}
    factors, paths, bgs, unmets = [], [], [], []
    for t in times:
        at = epoch + dt.timedelta(hours=t)
        f = capacity_factor(c, disruptions, at=at)
        key = f.tobytes()
        if key not in cache:
            p = np.where(link_arc, to_trains(c.capacity * f), np.inf)
            p = p[res]  # both arcs of a shared resource read the same value
            bg, unmet = _background(c, background, f, to_trains, res)
            cache[key] = (p, bg, unmet)
        p, bg, unmet = cache[key]
        factors.append(f)
        paths.append(p)
        bgs.append(bg)
        unmets.append(unmet)
    return Timeline(times=times, factors=factors, paths=paths, bg=bgs, unmet=unmets,
                    bg_ids=[d.id for d in background], bg_origins=[d.origin for d in background])


def _train_rate(units: Units) -> Callable[[Any], np.ndarray]:
    """Base-unit rate -> trains/day (unitless networks: capacity is already trains/day)."""
    if units.base == UNITLESS:
        return lambda x: np.asarray(x, dtype=float)
    k = units.rate_factor("trains/day")
    return lambda x: np.asarray(x, dtype=float) / k


def _background(c: CompiledNetwork, background: list[Demand], f: np.ndarray,
                to_trains: Callable[[Any], np.ndarray], res: np.ndarray
                ) -> tuple[dict[float, np.ndarray], np.ndarray]:
    """Background trains/day per resource (by priority) and unmet trains/day per demand."""
    if not background:
        return {}, np.zeros(0)
    from chokepoint.analyses.served import capacity_rows, served_demand

    r = served_demand(c, background, factor=f, fastest=True)
    _, reverse = capacity_rows(c)
    out: dict[float, np.ndarray] = {}
    has_rev = reverse >= 0
    for k, d in enumerate(background):
        load = r.flows[k].copy()
        if d.returns_empty:  # the empty train comes back over the reverse arc
            load[has_rev] += r.flows[k][reverse[has_rev]]
        per_res = np.bincount(res, weights=load, minlength=c.n_arcs)
        acc = out.setdefault(float(d.priority), np.zeros(c.n_arcs))
        acc += to_trains(per_res)[res]
    unmet = to_trains(r.demands["unmet"].to_numpy(dtype=float))
    return out, unmet
