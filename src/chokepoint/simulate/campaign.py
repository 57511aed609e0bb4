"""Campaign simulation: containers by ship and train over a disrupted network (SimPy).

``simulate(scenario, seed=...)`` runs one campaign — every container from the commodity's
origin to its destination, by the legs of its route (consecutive sea links are one ship leg,
consecutive other links one rail leg) — while the scenario's disruptions strike on schedule,
and, for the delays, the same campaign with no disruptions. A run is a pure function of
(network, scenario, settings, seed): all state lives in one :class:`Campaign` holding one
``simpy.Environment``; random numbers come from generators seeded by the seed and a fixed
purpose key, never from a global generator, so runs parallelise.

The model, every rule and its approximations: ``docs/algorithms/simulation.md``.
"""

from __future__ import annotations

import datetime as dt
import itertools
import math
import time
from collections import deque
from collections.abc import Callable, Generator
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
import simpy

from chokepoint import cancel
from chokepoint.analyses.routes import fastest_route
from chokepoint.compiled import CompiledNetwork
from chokepoint.errors import InputError
from chokepoint.limits import check_seed
from chokepoint.progress import StagedProgress as Progress
from chokepoint.route_rules import commodity_route
from chokepoint.scenario import Demand, Scenario
from chokepoint.simulate._ports import ship_process
from chokepoint.simulate._rail import formation_process
from chokepoint.simulate._settings import SimulationSettings, load_settings
from chokepoint.simulate._timeline import Timeline, build_timeline, resource_of_arc
from chokepoint.simulate._yard import Yard
from chokepoint.units import UNITLESS

__all__ = ["Campaign", "CampaignResult", "Leg", "RunResult", "simulate"]

Observer = Callable[["Campaign"], None]

#: Per-container events, in the order a box meets them.
EVENTS = ("released", "loaded", "sailed", "arrived_port", "unloaded", "in_yard", "on_train",
          "departed", "delivered")


@dataclass
class Leg:
    """One leg of the campaign route: ``sea`` (ships) or ``rail`` (trains)."""

    index: int
    mode: str
    start: str
    end: str
    arcs: list[int]
    time_h: float
    yard: Yard
    final: bool


@dataclass
class RunResult:
    """One simulated run (disrupted or not): tables indexed by container, train and section.

    Times are hours since ``epoch`` (``t_h`` columns) and UTC-naive datetimes (``time``).
    """

    label: str
    disrupted: bool
    epoch: dt.datetime
    n_containers: int
    containers: pd.DataFrame
    events: pd.DataFrame
    passages: pd.DataFrame
    voyages: pd.DataFrame
    reroutes: pd.DataFrame
    arrivals: pd.DataFrame
    utilisation: pd.DataFrame
    section_backlog: pd.DataFrame
    node_backlog: pd.DataFrame
    n_events: int
    wall_s: float
    end_h: float

    @property
    def delivered(self) -> int:
        """Containers delivered by the end of the run."""
        return int(self.containers["delivered_h"].notna().sum())

    @property
    def completed(self) -> bool:
        """Every container was delivered."""
        return self.delivered == self.n_containers

    @property
    def completion(self) -> dt.datetime | None:
        """When the last container was delivered (None if some never were)."""
        if not self.completed:
            return None
        return self.epoch + dt.timedelta(hours=float(self.containers["delivered_h"].max()))

    def summary(self, *, timings: bool = False) -> dict[str, Any]:
        """Headline numbers: a pure function of (network, scenario, seed).

        Parameters
        ----------
        timings
            Also give ``wall_s``, the run's wall time in seconds (not part of the answer:
            it differs from run to run, so it is left out unless asked for).
        """
        d = self.containers["delivered_h"] - self.containers["released_h"]
        out: dict[str, Any] = {
            "label": self.label, "disrupted": self.disrupted,
            "containers": self.n_containers, "delivered": self.delivered,
            "completion": self.completion.isoformat() if self.completion else None,
            "mean_transit_h": float(d.mean()) if d.notna().any() else None,
            "max_transit_h": float(d.max()) if d.notna().any() else None,
            "trains": int(self.passages["train"].nunique()) if len(self.passages) else 0,
            "reroutes": len(self.reroutes), "events": self.n_events}
        return {**out, "wall_s": self.wall_s} if timings else out


@dataclass
class CampaignResult:
    """The disrupted run beside the undisrupted baseline, and per-container delays.

    With ``disruptions=False`` (or no disruptions in the scenario) ``run is baseline``.
    """

    run: RunResult
    baseline: RunResult
    seed: int
    settings: SimulationSettings
    delays: pd.DataFrame = field(default_factory=pd.DataFrame)

    def summary(self) -> dict[str, Any]:
        """Both runs side by side and the delay statistics."""
        d = self.delays["delay_h"]
        out: dict[str, Any] = {"seed": self.seed, "baseline": self.baseline.summary(),
                               "run": self.run.summary()}
        fin = d.dropna()
        out["delay"] = {"mean_h": float(fin.mean()) if len(fin) else None,
                        "max_h": float(fin.max()) if len(fin) else None,
                        "delayed_containers": int((fin > 1e-9).sum()),
                        "undelivered": int(d.isna().sum())}
        return out


class Campaign:
    """All state of one run: the environment, the legs, yards, ships, trains and the logs.

    Build it, then :meth:`run`. ``observer(campaign)`` (tests, debugging) is called after every
    processed event; :meth:`counts` gives delivered / in transit / waiting at that moment.
    """

    def __init__(self, scenario: Scenario, settings: SimulationSettings, *, seed: int,
                 disrupted: bool, label: str, progress: Progress | None = None) -> None:
        self.scenario, self.settings, self.seed = scenario, settings, int(seed)
        self.disrupted, self.label, self.progress = disrupted, label, progress
        net = scenario.network
        self.c: CompiledNetwork = net.compiled
        self.units = net.units
        src = scenario.path
        self.commodity = _commodity(scenario, settings, src)
        self.priority = float(settings.priority or self.commodity.priority)
        self.epoch = _epoch(self.commodity, settings, src)
        self.ready = _release_times(scenario, self.commodity, settings, self.epoch, src)
        self.n = len(self.ready)
        tpc = self.units.teu_per_container
        tpt = settings.teu_per_train or self.units.teu_per_train
        if tpt is None:
            raise InputError("trains need a size: set [units].teu_per_train or "
                             "[simulation].teu_per_train", source=src)
        self.teu_per_train = float(tpt)
        self.env = simpy.Environment()
        c = self.c
        self.res_of = resource_of_arc(c)
        self.is_sea = np.zeros(c.n_arcs, dtype=bool)
        modes = net.links["mode"].to_numpy(dtype=object)
        la = c.arc_link >= 0
        self.is_sea[la] = modes[c.arc_link[la]] == "sea"
        self.dwell = dict(zip(net.nodes["id"], net.nodes["dwell_h"].astype(float), strict=True))
        self.timeline: Timeline = build_timeline(
            c, self.units, list(scenario.disruptions) if disrupted else [],
            list(scenario.background) if settings.background else [], self.epoch)
        self._node_factor: dict[tuple[str, int], float] = {}
        self._berth_teu_h: dict[str, float] = {}
        self.route_closed = commodity_route(self.c, self.commodity).removed_arcs
        self.legs = self._legs(tpc)
        # run state
        self.released = 0
        self.delivered = 0
        self.in_transfer = 0
        self.holds: dict[str, deque[int]] = {}
        self.trains: dict[str, list[int]] = {}
        self._berths: dict[str, simpy.Resource] = {}
        self._sections: dict[int, simpy.Resource] = {}
        self._routes: dict[tuple[str, str, int], list[int] | None] = {}
        self.all_done = self.env.event()
        # logs
        self.ev_cid: list[int] = []
        self.ev_name: list[str] = []
        self.ev_t: list[float] = []
        self.ev_where: list[str] = []
        self.passages: list[tuple[Any, ...]] = []
        self.voyages: list[tuple[Any, ...]] = []
        self.reroutes: list[tuple[str, str, float]] = []
        self.deliveries: list[float] = []

    # -- set-up ---------------------------------------------------------------------------------
    def _legs(self, tpc: float) -> list[Leg]:
        c, s, src = self.c, self.settings, self.scenario.path
        # the commodity's route (its via nodes and link rules); [simulation] via, when given,
        # overrides the via nodes (older files, or a what-if) but not the link rules
        stops = self.commodity.stops
        if s.via:
            stops = [self.commodity.origin, *s.via, self.commodity.destination]
        closed = self.route_closed
        arcs: list[int] = []
        for a, b in itertools.pairwise(stops):
            if a not in c.node_index or b not in c.node_index:
                raise InputError(f"unknown node {a if a not in c.node_index else b!r}",
                                 source=src, element="simulation.via")
            r = fastest_route(c, a, b, removed=closed)
            if not r.found:
                raise InputError(f"no route from {a!r} to {b!r}", source=src,
                                 element="simulation.via")
            arcs.extend(int(x) for x in r.arcs if c.arc_link[x] >= 0)
        legs: list[Leg] = []
        groups: list[tuple[bool, list[int]]] = []
        for arc in arcs:
            sea = bool(self.is_sea[arc])
            if groups and groups[-1][0] == sea:
                groups[-1][1].append(arc)
            else:
                groups.append((sea, [arc]))
        for k, (sea, g) in enumerate(groups):
            start = self.arc_tail_node(g[0])
            end = self.arc_head_node(g[-1])
            if sea:
                t = (sum(float(c.length_km[a]) for a in g) / (s.ship_speed_kn * 1.852)
                     if s.ship_speed_kn else sum(float(c.time_h[a]) for a in g))
            else:
                t = sum(float(c.time_h[a]) for a in g)
            if not math.isfinite(t):
                raise InputError("a link on the campaign route has no time_h", source=src)
            port = s.ports.get(start)
            storage = (port.storage_teu if port and port.storage_teu else float("inf"))
            yard = Yard(self.env, start, k, self.n, tpc, storage if k > 0 else float("inf"))
            legs.append(Leg(k, "sea" if sea else "rail", start, end, g, t, yard,
                            final=k == len(groups) - 1))
        return legs

    def arc_tail_node(self, a: int) -> str:
        """Node id an arc leaves."""
        return str(self.c.node_ids[self.c.vertex_node[self.c.tail[a]]])

    def arc_head_node(self, a: int) -> str:
        """Node id an arc enters."""
        return str(self.c.node_ids[self.c.vertex_node[self.c.head[a]]])

    # -- resources ------------------------------------------------------------------------------
    def berth(self, node: str) -> simpy.Resource:
        """The berths of a port (created on first use)."""
        if node not in self._berths:
            p = self.settings.ports.get(node)
            n = p.berths if p and p.berths else self.settings.berths
            self._berths[node] = simpy.Resource(self.env, capacity=n)
        return self._berths[node]

    def section(self, arc: int) -> simpy.Resource | None:
        """The entry block of an arc's section (None when its capacity is unlimited)."""
        if not np.isfinite(self.c.capacity[arc]):
            return None
        r = int(self.res_of[arc])
        if r not in self._sections:
            self._sections[r] = simpy.Resource(self.env, capacity=1)
        return self._sections[r]

    def node_factor(self, node: str, t: float) -> float:
        """Capacity factor of a node at time ``t``: the smallest over its arcs."""
        p = self.timeline.phase(t)
        key = (node, p)
        if key not in self._node_factor:
            c = self.c
            mask = c.arcs_mask_of_node(c.node_index[node])
            split = c.arc_node == c.node_index[node]
            f = self.timeline.factors[p]
            self._node_factor[key] = float(f[split].min()) if split.any() else (
                float(f[mask].max()) if mask.any() else 1.0)
        return self._node_factor[key]

    def berth_teu_h(self, node: str) -> float:
        """TEU per hour one berth moves at ``node`` without disruptions (computed once per
        node: the settings and the node's capacity do not change during a run)."""
        if node in self._berth_teu_h:
            return self._berth_teu_h[node]
        s = self.settings
        p = s.ports.get(node)
        if p and p.handling_teu_per_h:
            teu_h = p.handling_teu_per_h
        else:
            hc = float(self.c.capacity[self.c.arc_node == self.c.node_index[node]].min()) \
                if (self.c.arc_node == self.c.node_index[node]).any() else math.inf
            if math.isfinite(hc) and hc > 0:
                per_day = hc if self.units.base == UNITLESS else self.units.from_base(
                    hc, "TEU/day")
                n_b = p.berths if p and p.berths else s.berths
                teu_h = per_day / 24.0 / n_b
            else:
                teu_h = s.handling_teu_per_h
        self._berth_teu_h[node] = teu_h
        return teu_h

    def handling_rate(self, node: str) -> float:
        """Containers per hour one berth moves at ``node`` now (after disruptions)."""
        return self.berth_teu_h(node) / self.units.teu_per_container * max(
            self.node_factor(node, self.env.now), 1e-12)

    # -- waiting on the timeline ------------------------------------------------------------------
    def wait_until_change(self) -> Generator[simpy.Event, Any, None]:
        """Wait for the next change of the disruption timeline (forever if none comes)."""
        nxt = self.timeline.next_change(self.env.now)
        if math.isfinite(nxt):
            yield self.env.timeout(nxt - self.env.now)
        else:
            yield self.env.event()

    def wait_arcs_open(self, arcs: list[int]) -> Generator[simpy.Event, Any, None]:
        """Wait until none of ``arcs`` is closed."""
        while any(self.timeline.factor(a, self.env.now) <= 0.0 for a in arcs):
            yield from self.wait_until_change()

    def wait_node_open(self, node: str) -> Generator[simpy.Event, Any, None]:
        """Wait until the node is not closed."""
        while self.node_factor(node, self.env.now) <= 0.0:
            yield from self.wait_until_change()

    def reroute(self, node: str, end: str, t: float) -> list[int] | None:
        """Fastest rail route from ``node`` to ``end`` avoiding arcs closed at ``t`` (cached
        per phase); None if there is none."""
        p = self.timeline.phase(t)
        key = (node, end, p)
        if key not in self._routes:
            f = self.timeline.factors[p]
            removed = np.union1d(np.flatnonzero((f <= 0.0) | self.is_sea
                                                | (self.c.capacity <= 0.0)), self.route_closed)
            r = fastest_route(self.c, node, end, removed=removed)
            self._routes[key] = ([int(a) for a in r.arcs if self.c.arc_link[a] >= 0]
                                 if r.found else None)
        return self._routes[key]

    # -- moving containers ----------------------------------------------------------------------
    def log(self, cid: int, event: str, t: float, where: str) -> None:
        """Record one container event."""
        self.ev_cid.append(cid)
        self.ev_name.append(event)
        self.ev_t.append(t)
        self.ev_where.append(where)

    def log_many(self, cids: list[int], event: str, ts: list[float], where: str) -> None:
        """Record one event for many containers."""
        self.ev_cid.extend(cids)
        self.ev_name.extend([event] * len(cids))
        self.ev_t.extend(ts)
        self.ev_where.extend([where] * len(cids))

    def next_yard(self, leg: Leg) -> Yard | None:
        """The yard of the following leg (None after the last)."""
        return None if leg.final else self.legs[leg.index + 1].yard

    def hand_on(self, leg: Leg, cids: list[int]) -> None:
        """Boxes at the end of ``leg``: delivered, or transferred to the next leg's yard."""
        env = self.env
        if leg.final:
            self.delivered += len(cids)
            self.log_many(cids, "delivered", [env.now] * len(cids), leg.end)
            self.deliveries.extend([env.now] * len(cids))
            if self.progress is not None:
                self.progress(self.label, self.delivered, self.n)
            if self.delivered >= self.n and not self.all_done.triggered:
                self.all_done.succeed()
            return
        nxt = self.legs[leg.index + 1].yard
        if leg.mode == "rail":
            nxt.held += len(cids)  # ship unloading reserved its room already
        self.in_transfer += len(cids)

        def arrive(_ev: simpy.Event, ids: list[int] = cids) -> None:
            self.in_transfer -= len(ids)
            for cid in ids:
                self.log(cid, "in_yard", env.now, nxt.node)
                nxt.put(cid)

        env.timeout(self.settings.transfer_h).callbacks.append(arrive)

    def _release(self) -> Generator[simpy.Event, Any, None]:
        yard = self.legs[0].yard
        env = self.env
        ready = self.ready
        i = 0
        while i < self.n:
            t = float(ready[i])
            if t > env.now:
                yield env.timeout(t - env.now)
            j = int(np.searchsorted(ready, env.now, side="right"))
            ids = list(range(i, j))
            self.log_many(ids, "released", [env.now] * len(ids), yard.node)
            self.log_many(ids, "in_yard", [env.now] * len(ids), yard.node)
            for cid in ids:
                yard.put(cid)
            self.released = j
            i = j

    # -- invariant ------------------------------------------------------------------------------
    def counts(self) -> dict[str, int]:
        """Containers delivered, in transit (ships, trains, transfers) and waiting (not yet
        released, or in a yard), counted from where the boxes physically are."""
        waiting = (self.n - self.released) + sum(len(leg.yard.queue) for leg in self.legs)
        transit = (self.in_transfer + sum(len(h) for h in self.holds.values())
                   + sum(len(b) for b in self.trains.values()))
        return {"delivered": self.delivered, "in_transit": transit, "waiting": waiting,
                "total": self.n}

    # -- run ------------------------------------------------------------------------------------
    def run(self, observer: Observer | None = None) -> RunResult:
        """Simulate until every container is delivered or the horizon is reached (checking
        for cancellation every 1,024 events: :func:`chokepoint.cancel.check`)."""
        env, s = self.env, self.settings
        wall = time.perf_counter()
        env.process(self._release())
        for leg in self.legs:
            if leg.mode == "sea":
                for k in range(s.ships):
                    env.process(ship_process(self, leg, k))
            else:
                env.process(formation_process(self, leg))
        horizon = s.horizon_days * 24.0
        steps = 0
        step, peek = env.step, env.peek
        done = self.all_done
        while not done.processed:
            if peek() > horizon:
                break
            if not steps & 1023:  # a cancelled computation (web time limit) stops here
                cancel.check()
            step()
            steps += 1
            if observer is not None:
                observer(self)
        end_h = min(env.now, horizon)
        from chokepoint.simulate.outputs import build_run_result

        return build_run_result(self, n_events=steps, wall_s=time.perf_counter() - wall,
                                end_h=end_h)


# -- helpers ---------------------------------------------------------------------------------------
def _commodity(s: Scenario, st: SimulationSettings, src: str | None) -> Demand:
    if not s.commodities:
        raise InputError("no commodity to simulate: add a [[commodities]] entry", source=src)
    if st.commodity is None:
        return s.commodities[0]
    for d in s.commodities:
        if d.id == st.commodity:
            return d
    raise InputError(f"no commodity {st.commodity!r}", source=src, element="simulation.commodity")


def _as_dt(x: dt.date | dt.datetime) -> dt.datetime:
    return x if isinstance(x, dt.datetime) else dt.datetime(x.year, x.month, x.day)


def _epoch(d: Demand, st: SimulationSettings, src: str | None) -> dt.datetime:
    if st.start is not None:
        return _as_dt(st.start)
    if d.start is not None:
        return _as_dt(d.start)
    raise InputError("the campaign needs a start: give the commodity a 'start' or set "
                     "[simulation].start", source=src, element=f"commodity {d.id!r}")


def _release_times(s: Scenario, d: Demand, st: SimulationSettings, epoch: dt.datetime,
                   src: str | None) -> np.ndarray:
    """Times (h) at which containers are ready at the origin: evenly spread over the release
    window, continued at the same rate until ``continue_until``."""
    u = s.units
    days = float((d.end - d.start).days) if (d.start and d.end) else 0.0
    window = st.release_days if st.release_days is not None else days
    n = st.containers
    if n is None:
        per_box = u.quantity_factor("container")
        if d.quantity is not None and d.quantity_unit is not None:
            total = u.quantity_factor(d.quantity_unit) * d.quantity
        elif days > 0:
            total = d.rate * days
        else:
            raise InputError("cannot tell how many containers: set [simulation].containers",
                             source=src, element=f"commodity {d.id!r}")
        n = max(round(total / per_box), 1)
    window_h = window * 24.0
    if st.continue_until is not None:
        until_h = (_as_dt(st.continue_until) - epoch).total_seconds() / 3600.0
        if window_h <= 0:
            raise InputError("continue_until needs a release window (release_days > 0)",
                             source=src, element="simulation.continue_until")
        if until_h > window_h:
            n = round(n * until_h / window_h)
            window_h = until_h
    return np.arange(n, dtype=float) * (window_h / n)


def simulate(scenario: Scenario, *, seed: int = 0, disruptions: bool = True,
             settings: dict[str, Any] | None = None, progress: Progress | None = None,
             observer: Observer | None = None) -> CampaignResult:
    """Simulate the scenario's campaign; with ``disruptions`` also the undisrupted baseline.

    Parameters
    ----------
    scenario
        The scenario; its ``[simulation]`` table gives the settings.
    seed
        Seeds every random draw (same scenario, settings and seed → identical tables).
    disruptions
        Apply the scenario's disruptions (and run the baseline without them for the delays).
    settings
        Overrides merged over ``scenario.simulation`` (see :class:`SimulationSettings`).
    progress
        ``progress(label, delivered, total)`` after each delivery.
    observer
        Called with the :class:`Campaign` after every event (tests).

    Raises
    ------
    InputError
        For a bad ``[simulation]`` table or a campaign that cannot be routed.
    """
    seed = check_seed(seed)
    st = load_settings(scenario.simulation, settings, source=scenario.path)
    with_dis = disruptions and bool(scenario.disruptions)
    base = Campaign(scenario, st, seed=seed, disrupted=False, label="undisrupted",
                    progress=progress).run(observer)
    run = base
    if with_dis:
        run = Campaign(scenario, st, seed=seed, disrupted=True, label="disrupted",
                       progress=progress).run(observer)
    a = base.containers.set_index("container")["delivered_h"]
    b = run.containers.set_index("container")["delivered_h"]
    delays = pd.DataFrame({"container": a.index.to_numpy(), "baseline_delivered_h": a.to_numpy(),
                           "delivered_h": b.to_numpy(), "delay_h": (b - a).to_numpy()})
    return CampaignResult(run=run, baseline=base, seed=seed, settings=st, delays=delays)
