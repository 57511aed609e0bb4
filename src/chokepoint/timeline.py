"""Disruption timelines: per-arc capacity factors as step functions of time.

A :class:`Timeline` says, for every arc of a compiled network, which fraction of its capacity
is available at each moment of a study period. Time is measured in **hours from the start**
of the period (``start``, a datetime, for scenarios). It is built from

* a scenario's deterministic ``[[disruptions]]`` (:meth:`Timeline.from_scenario`): an element
  (link, node or failure group) keeps ``capacity_factor`` of its capacity from ``start`` to
  ``end``;
* sampled stochastic failures (:func:`sample_timeline`): in each period an element that is up
  fails with a given probability and stays down for a random repair time.

Rules (the documented ones, also in ``docs/algorithms/flows-over-time.md``):

* **Overlaps.** While several events overlap on one arc, the **smallest factor wins** (a
  closure beats a reduction; two reductions do not multiply). This is the rule of
  :func:`chokepoint.disruptions.capacity_factor`, so a timeline frozen at any instant agrees
  with it.
* **Elements.** An event on a link scales the arcs of the link (both directions); on a node,
  every arc into or out of the node (both vertices if split, i.e. handling included); on a
  failure group, every arc of its links and nodes.
* **End and repair.** An event lasts from ``start`` to ``end`` (exclusive). With no ``end``,
  ``repair_days`` sets it: the element reopens ``repair_days`` after ``start``. With neither,
  the event is open-ended (lasts for ever). When both ``end`` and ``repair_days`` are given,
  ``end`` wins (it is the observed reopening; ``repair_days`` is the planning figure).
* **Before the start.** Events that began before the study start apply from hour 0 if still in
  force; events over before it are ignored.

References: the time-varying capacities enter the time-expanded network of Ford & Fulkerson
(*Flows in Networks*, 1962), see :mod:`chokepoint.analyses.dynamic`.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Literal

import numpy as np

from chokepoint.errors import InputError
from chokepoint.limits import check_seed

if TYPE_CHECKING:  # the scenario module may import this one (StochasticFailure)
    from chokepoint.compiled import CompiledNetwork
    from chokepoint.scenario import Disruption

__all__ = ["REPAIR_DISTRIBUTIONS", "StochasticFailure", "Timeline", "TimelineEvent",
           "sample_timeline"]

REPAIR_DISTRIBUTIONS = ("exponential", "lognormal", "fixed")
_EPS = 1e-9


@dataclass(frozen=True)
class TimelineEvent:
    """One resolved event: ``element`` at ``factor`` from ``start_h`` to ``end_h`` (hours from
    the timeline's start; ``end_h = inf`` for open-ended events)."""

    id: str
    element: str
    start_h: float
    end_h: float
    factor: float


@dataclass
class Timeline:
    """Per-arc capacity factors as a right-continuous step function of time (hours).

    Row ``k`` of :attr:`factors` holds on ``[times_h[k], times_h[k+1])``, the last row for ever.
    ``times_h[0]`` is 0 (the start); before it every factor is 1.

    Attributes
    ----------
    n_arcs
        Arcs of the compiled network the timeline belongs to.
    times_h
        Sorted change times in hours from the start, beginning with 0.
    factors
        Array of shape ``(len(times_h), n_arcs)`` with values in [0, 1].
    events
        The events it was built from (for reports).
    start
        The calendar time of hour 0, when known.
    """

    n_arcs: int
    times_h: np.ndarray
    factors: np.ndarray
    events: list[TimelineEvent] = field(default_factory=list)
    start: dt.datetime | None = None

    # -- construction -------------------------------------------------------------------------
    @classmethod
    def constant(cls, c: CompiledNetwork, factor: np.ndarray | float = 1.0) -> Timeline:
        """A timeline that never changes (``factor`` per arc, or one value for all)."""
        f = np.broadcast_to(np.asarray(factor, dtype=float), (c.n_arcs,)).copy()
        return cls(n_arcs=c.n_arcs, times_h=np.zeros(1), factors=f[None, :])

    @classmethod
    def from_events(cls, c: CompiledNetwork, events: Iterable[TimelineEvent], *,
                    start: dt.datetime | None = None) -> Timeline:
        """Build a timeline from resolved events (validated: known element, ``end > start``,
        factor in [0, 1]); overlapping events on an arc: the smallest factor wins."""
        evs = list(events)
        arcs_of: list[np.ndarray] = []
        for e in evs:
            el = f"event {e.id!r}" if e.id else f"event on {e.element!r}"
            if not 0.0 <= e.factor <= 1.0 or math.isnan(e.factor):
                raise InputError(f"capacity factor {e.factor} is not in [0, 1]", element=el)
            if math.isnan(e.start_h) or math.isnan(e.end_h) or not e.end_h > e.start_h:
                raise InputError("end is not after start", element=el)
            try:
                kind, eid = c.resolve(e.element)
            except InputError as exc:
                raise InputError(exc.message, element=el) from None
            arcs_of.append(c.arcs_of(kind, [eid]))
        live = [(e, a) for e, a in zip(evs, arcs_of, strict=True) if e.end_h > 0.0]
        cuts = {0.0}
        for e, _ in live:
            for t in (e.start_h, e.end_h):
                if 0.0 < t < math.inf:
                    cuts.add(float(t))
        times = np.array(sorted(cuts))
        factors = np.ones((len(times), c.n_arcs))
        for e, arcs in live:
            lo = int(np.searchsorted(times, max(e.start_h, 0.0), side="left"))
            hi = len(times) if e.end_h == math.inf else int(
                np.searchsorted(times, e.end_h, side="left"))
            if hi > lo and len(arcs):
                block = factors[lo:hi, arcs]
                factors[lo:hi, arcs] = np.minimum(block, e.factor)
        return cls(n_arcs=c.n_arcs, times_h=times, factors=factors, events=evs,
                   start=start)._compact()

    @classmethod
    def from_scenario(cls, c: CompiledNetwork, disruptions: Iterable[Disruption], *,
                      start: dt.datetime | dt.date) -> Timeline:
        """The timeline of a scenario's disruptions, with hour 0 at ``start``.

        Parameters
        ----------
        c
            The compiled network.
        disruptions
            ``Scenario.disruptions`` (or any :class:`~chokepoint.scenario.Disruption`).
        start
            Calendar time of hour 0 (a date means its midnight).

        Raises
        ------
        InputError
            Unknown element, ``end`` not after ``start``, factor outside [0, 1] or negative
            ``repair_days`` -- naming the disruption.
        """
        t0 = _as_datetime(start)
        events = []
        for k, d in enumerate(disruptions):
            did = d.id or f"disruption-{k + 1}"
            el = f"disruption {did!r}"
            if d.repair_days is not None and (d.repair_days < 0 or math.isnan(d.repair_days)):
                raise InputError("repair_days is negative", element=el)
            ds = _as_datetime(d.start)
            s_h = (ds - t0).total_seconds() / 3600.0
            if d.end is not None:
                de = _as_datetime(d.end)
                if de <= ds:
                    raise InputError("end is not after start", element=el)
                e_h = (de - t0).total_seconds() / 3600.0
            elif d.repair_days is not None:
                e_h = s_h + 24.0 * d.repair_days
                if d.repair_days == 0:
                    continue  # repaired at once: no effect
            else:
                e_h = math.inf
            events.append(TimelineEvent(id=did, element=d.element, start_h=s_h, end_h=e_h,
                                        factor=float(d.capacity_factor)))
        try:
            return cls.from_events(c, events, start=t0)
        except InputError as exc:
            raise InputError(exc.message,
                             element=(exc.element or "").replace("event", "disruption")
                             ) from None

    def _compact(self) -> Timeline:
        """Drop rows equal to the one before (no change at that time)."""
        if len(self.times_h) <= 1:
            return self
        keep = np.ones(len(self.times_h), dtype=bool)
        keep[1:] = np.any(self.factors[1:] != self.factors[:-1], axis=1)
        self.times_h = self.times_h[keep]
        self.factors = self.factors[keep]
        return self

    # -- queries ------------------------------------------------------------------------------
    @property
    def breakpoints(self) -> np.ndarray:
        """Hours (> 0) at which some arc's factor changes."""
        return self.times_h[1:].copy()

    @property
    def is_constant(self) -> bool:
        """True when the factors never change after hour 0."""
        return len(self.times_h) == 1

    @property
    def final(self) -> np.ndarray:
        """The factors that hold for ever after the last breakpoint."""
        return self.factors[-1].copy()

    def factor_at(self, t_h: float) -> np.ndarray:
        """Per-arc capacity factors at ``t_h`` hours from the start (1 before the start)."""
        k = int(np.searchsorted(self.times_h, t_h, side="right")) - 1
        if k < 0:
            return np.ones(self.n_arcs)
        return self.factors[k].copy()

    def step_factors(self, step_h: float, n_steps: int) -> np.ndarray:
        """Per-step factors, shape ``(n_steps, n_arcs)``: for step ``j`` (hours
        ``[j·Δ, (j+1)·Δ)``) the **smallest** factor in force at any moment of the step.

        Taking the minimum over the step never makes the network more capable than it is
        (an event that starts or ends inside a step counts for the whole step).
        """
        out = np.ones((n_steps, self.n_arcs))
        ends = np.append(self.times_h[1:], math.inf)
        for k in range(len(self.times_h)):
            lo = max(math.floor(self.times_h[k] / step_h + _EPS), 0)
            hi = n_steps if ends[k] == math.inf else min(
                math.ceil(ends[k] / step_h - _EPS), n_steps)
            if hi > lo:
                np.minimum(out[lo:hi], self.factors[k][None, :], out=out[lo:hi])
        return out

    def minimum(self, other: Timeline) -> Timeline:
        """The combination of two timelines on one network (smallest factor wins)."""
        if other.n_arcs != self.n_arcs:
            raise InputError("timelines belong to different networks")
        times = np.union1d(self.times_h, other.times_h)
        rows = np.stack([np.minimum(self.factor_at(float(t)), other.factor_at(float(t)))
                         for t in times])
        return Timeline(n_arcs=self.n_arcs, times_h=times, factors=rows,
                        events=[*self.events, *other.events],
                        start=self.start or other.start)._compact()

    def to_records(self) -> list[dict[str, object]]:
        """The events as plain dicts (hours; ``end_h`` None when open-ended)."""
        return [{"id": e.id, "element": e.element, "start_h": e.start_h,
                 "end_h": None if e.end_h == math.inf else e.end_h, "factor": e.factor}
                for e in self.events]


def _as_datetime(x: dt.datetime | dt.date) -> dt.datetime:
    if isinstance(x, dt.datetime) and x.tzinfo is not None:  # to UTC, as scenario.as_utc
        return x.astimezone(dt.UTC).replace(tzinfo=None)
    if isinstance(x, dt.datetime):
        return x
    return dt.datetime(x.year, x.month, x.day)


# -- stochastic failures ----------------------------------------------------------------------
@dataclass(frozen=True)
class StochasticFailure:
    """A random failure process on one element, for Monte Carlo runs.

    Time is cut into periods of ``period_days``. At the start of each period in which the
    element is up, it fails with probability ``probability_per_day × period_days`` (capped at
    1) and then keeps ``capacity_factor`` of its capacity for a repair time drawn from
    ``repair_distribution`` with mean ``repair_days_mean``:

    * ``"exponential"``: exponential with that mean;
    * ``"lognormal"``: lognormal with that mean and log-space standard deviation
      ``repair_days_sigma`` (mu = ln(mean) − sigma²/2);
    * ``"fixed"``: exactly the mean.

    After the repair it is up again and may fail in any later period.
    """

    element: str
    probability_per_day: float
    repair_days_mean: float
    repair_distribution: Literal["exponential", "lognormal", "fixed"] = "exponential"
    repair_days_sigma: float = 0.5
    capacity_factor: float = 0.0
    period_days: float = 1.0
    id: str = ""

    def check(self) -> None:
        """Raise :class:`InputError` when a parameter is out of range."""
        el = f"stochastic failure {self.id or self.element!r}"
        if not 0.0 <= self.probability_per_day <= 1.0:
            raise InputError("probability_per_day is not in [0, 1]", element=el)
        if not self.repair_days_mean >= 0.0 or not math.isfinite(self.repair_days_mean):
            raise InputError("repair_days_mean must be a finite number >= 0", element=el)
        if self.repair_distribution not in REPAIR_DISTRIBUTIONS:
            raise InputError(f"repair_distribution must be one of {REPAIR_DISTRIBUTIONS}",
                             element=el)
        if not self.repair_days_sigma >= 0.0:
            raise InputError("repair_days_sigma must be >= 0", element=el)
        if not 0.0 <= self.capacity_factor <= 1.0:
            raise InputError("capacity_factor is not in [0, 1]", element=el)
        if not self.period_days > 0.0:
            raise InputError("period_days must be > 0", element=el)


def _repair_days(f: StochasticFailure, rng: np.random.Generator) -> float:
    if f.repair_distribution == "fixed" or f.repair_days_mean == 0.0:
        return f.repair_days_mean
    if f.repair_distribution == "exponential":
        return float(rng.exponential(f.repair_days_mean))
    sigma = f.repair_days_sigma
    mu = math.log(f.repair_days_mean) - 0.5 * sigma * sigma
    return float(rng.lognormal(mu, sigma))


def sample_timeline(c: CompiledNetwork, failures: Sequence[StochasticFailure], *,
                    horizon_days: float, seed: int | None,
                    start: dt.datetime | None = None) -> Timeline:
    """Draw one timeline of failures over ``horizon_days`` (a pure function of its inputs).

    Uses one ``numpy.random.default_rng(seed)`` stream, consumed failure by failure in the
    order given: for each, the number of periods until the next failure is geometric
    (``rng.geometric``), then a repair time is drawn, and so on until the horizon. The same
    ``(c, failures, horizon_days, seed)`` always gives the same timeline.

    Raises
    ------
    InputError
        Unknown element or a parameter out of range.
    """
    if not horizon_days > 0:
        raise InputError("horizon_days must be > 0")
    rng = np.random.default_rng(None if seed is None else check_seed(seed))
    events: list[TimelineEvent] = []
    for j, f in enumerate(failures):
        f.check()
        try:
            c.resolve(f.element)
        except InputError as exc:
            raise InputError(exc.message,
                             element=f"stochastic failure {f.id or f.element!r}") from None
        p = min(f.probability_per_day * f.period_days, 1.0)
        if p <= 0.0:
            continue
        base = f.id or f"{f.element}#{j + 1}"
        period = 0  # first period in which the element is up
        n_periods = math.ceil(horizon_days / f.period_days - _EPS)
        k = 0
        while True:
            fail = period + int(rng.geometric(p)) - 1
            if fail >= n_periods:
                break
            t0 = fail * f.period_days
            rep = _repair_days(f, rng)
            k += 1
            if rep > 0:
                events.append(TimelineEvent(id=f"{base}/{k}", element=f.element,
                                            start_h=24.0 * t0, end_h=24.0 * (t0 + rep),
                                            factor=f.capacity_factor))
            period = max(fail + 1, math.ceil((t0 + rep) / f.period_days - _EPS))
    return Timeline.from_events(c, events, start=start)
