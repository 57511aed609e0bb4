"""The work of a sweep, as pure functions of a payload and a chunk.

A :class:`Payload` holds what every task needs — the compiled network, terminals, demands
and, for campaign simulations, the scenario. It is shipped to each worker **once** (scattered)
and every task receives it with the bounds of its chunk. Tasks call the analyses exactly as a
single process would (the analyses know nothing of Dask), so a chunk's rows do not depend on
where, when or how often it ran.

Monte Carlo runs
----------------
Run ``i`` of a sweep with base seed ``S`` uses the seed :func:`run_seed` ``(S, i)`` — the
``i``-th child of ``numpy.random.SeedSequence(S)`` (``SeedSequence(S, spawn_key=(i,))``,
the same as ``SeedSequence(S).spawn(i + 1)[i]``) — so any run can be recomputed alone
(:func:`montecarlo_run`). A run samples a failure timeline
(:func:`chokepoint.timeline.sample_timeline`) over ``horizon_days``; for every interval on
which the per-arc capacity factors are constant it takes the maximum flow between the
scenario's terminals and the priority-weighted served demand of the multi-commodity LP, and
integrates them over the horizon:

* ``throughput_loss = ∫ (F₀ − F(t)) dt`` (base unit × days, e.g. t/day × day = t) and
  ``throughput_loss_rel = throughput_loss / (F₀ · horizon)``;
* ``unserved = ∫ (S₀ − S(t)) dt`` (served demand not carried; the backlog a corridor that
  cannot catch up would build) and ``served_loss_rel``;
* with ``simulate=True`` also the SimPy campaign (:func:`chokepoint.simulate.simulate`) with
  the sampled failures as its disruptions: mean and max container delay, undelivered
  containers, delay of the last delivery and the peak container backlog.

Exactness shortcuts (the same results as solving every interval): when the intact optimum
still fits under the reduced capacities it stays optimal (capacities only went down), and a
state of the network seen before in the same task is not solved again (the solvers are
deterministic).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from chokepoint.compiled import CompiledNetwork
from chokepoint.errors import InputError
from chokepoint.kinds import check_kind
from chokepoint.limits import check_seed
from chokepoint.scenario import Demand, Disruption
from chokepoint.workflows import ranking

if TYPE_CHECKING:
    from chokepoint.scenario import Scenario
    from chokepoint.timeline import StochasticFailure

__all__ = ["MonteCarloParams", "Payload", "criticality_chunk", "default_failures",
           "empty_task", "montecarlo_chunk", "montecarlo_run", "run_seed"]

#: Measures of a Monte Carlo run (``simulate`` adds the campaign's).
MC_MEASURES = ("throughput", "served")


@dataclass(eq=False)
class Payload:
    """Everything a task needs, shipped to each worker once.

    Attributes
    ----------
    c
        The compiled network.
    sources, sinks
        Terminals of the throughput measures (may be empty: throughput is skipped).
    demands
        Commodities and background flows (may be empty: served demand is skipped).
    unit
        The network's base unit (for labels).
    scenario
        The scenario, only when campaign simulations run (it is larger than the arrays).
    epoch
        Hour 0 of Monte Carlo timelines (the campaign start when known).
    route
        The commodity whose throughput is measured (over the arcs its route rules allow),
        None for plain terminals on the whole network.
    """

    c: CompiledNetwork
    sources: list[str] = field(default_factory=list)
    sinks: list[str] = field(default_factory=list)
    demands: list[Demand] = field(default_factory=list)
    unit: str = "unit"
    scenario: Scenario | None = None
    epoch: dt.datetime | None = None
    route: Demand | None = None

    @property
    def flow_network(self) -> CompiledNetwork:
        """The network the throughput is measured on (the commodity's view of :attr:`c`)."""
        if self.route is None:
            return self.c
        from chokepoint.analyses.routing import commodity_network

        return commodity_network(self.c, self.route)

    @property
    def pairs(self) -> list[tuple[str, str]]:
        """Origin–destination pairs of the demands."""
        return [(d.origin, d.destination) for d in self.demands]

    @property
    def timed(self) -> bool:
        """Whether every arc has a transit time (detours need it)."""
        return not bool(np.isnan(self.c.time_h).any())

    def fingerprint(self) -> str:
        """A hash of the network arrays, terminals and demands (for the manifest)."""
        from chokepoint.sweep.store import digest

        c = self.c
        sim = None
        if self.scenario is not None:
            sim = [self.scenario.simulation, [dataclasses.asdict(d) for d in
                                              self.scenario.disruptions]]
        return digest(c.node_ids, c.link_ids, c.tail, c.head, c.capacity, c.time_h,
                      c.length_km, c.cost, c.arc_link, c.arc_node, c.partner, c.arc_group,
                      c.group_ids, self.sources, self.sinks,
                      [dataclasses.asdict(d) for d in self.demands], self.unit, sim,
                      self.epoch, self.route.id if self.route is not None else None)


def element_ids(c: CompiledNetwork, kind: str) -> list[str]:
    """Every element id of ``kind`` (link|node|group), in network order."""
    table = {"link": c.link_ids, "node": c.node_ids, "group": c.group_ids}[check_kind(kind)]
    return [str(x) for x in table]


# -- criticality ------------------------------------------------------------------------------
def applicable_measures(p: Payload, kind: str, measures: Sequence[str]) -> list[str]:
    """The requested measures that have the data they need (terminals, demands, times); see
    :func:`chokepoint.workflows.ranking.applicable_measures`."""
    return ranking.applicable_measures(measures, kind=kind, terminals=bool(p.sources and
                                                                          p.sinks),
                                       demands=bool(p.demands), timed=p.timed)


def criticality_chunk(p: Payload, kind: str, measures: Sequence[str], start: int, stop: int,
                      budget: int | None = None) -> pd.DataFrame:
    """Criticality of the elements ``start:stop`` (network order) under each measure: the
    rows of :func:`chokepoint.workflows.ranking.criticality_table` for those elements, each
    task in one thread (the sweep runs one task per core)."""
    ids = element_ids(p.c, kind)[start:stop]
    if not ids:
        return pd.DataFrame({"element": pd.Series(ids, dtype=object), "kind": kind})
    return ranking.criticality_table(p.c, kind=kind, measures=measures, sources=p.sources,
                                     sinks=p.sinks, demands=p.demands, elements=ids,
                                     budget=budget, route=p.route, workers=1)


def empty_task(p: Payload, start: int, stop: int) -> pd.DataFrame:
    """A task that does nothing (measures the per-task overhead of the runner)."""
    return pd.DataFrame({"i": np.arange(start, stop, dtype=np.int64)})


# -- Monte Carlo ------------------------------------------------------------------------------
@dataclass(frozen=True)
class MonteCarloParams:
    """Parameters of a Monte Carlo sweep (JSON-able through :meth:`to_json`).

    Attributes
    ----------
    seed
        Base seed; run ``i`` uses :func:`run_seed` ``(seed, i)``.
    horizon_days
        Length of each run's study period.
    failures
        The stochastic failures (:class:`~chokepoint.timeline.StochasticFailure`).
    measures
        Among ``throughput`` and ``served`` (those without data are skipped).
    simulate
        Also run the SimPy campaign with each run's failures (slow: ~0.5 s per run on the
        built-in scenario).
    settings
        Overrides of the scenario's ``[simulation]`` table for the campaign.
    """

    seed: int
    horizon_days: float
    failures: tuple[StochasticFailure, ...]
    measures: tuple[str, ...] = MC_MEASURES
    simulate: bool = False
    settings: dict[str, Any] | None = None

    def to_json(self) -> dict[str, Any]:
        """The parameters as plain JSON values (for the manifest)."""
        return {"seed": self.seed, "horizon_days": self.horizon_days,
                "failures": [dataclasses.asdict(f) for f in self.failures],
                "measures": list(self.measures), "simulate": self.simulate,
                "settings": self.settings}


def run_seed(base_seed: int, run: int) -> int:
    """The seed of run ``run``: the ``run``-th child of ``SeedSequence(base_seed)``, as a
    64-bit integer (independent streams for every run, reproducible one at a time)."""
    base_seed = check_seed(base_seed)
    if run < 0:
        raise InputError("run numbers must be >= 0")
    ss = np.random.SeedSequence(base_seed, spawn_key=(run,))
    return int(ss.generate_state(1, dtype=np.uint64)[0])


def default_failures(c: CompiledNetwork, *, kind: str = "group", probability_per_day: float =
                     0.001, repair_days_mean: float = 7.0, repair_distribution: str =
                     "exponential", capacity_factor: float = 0.0, period_days: float = 1.0
                     ) -> tuple[StochasticFailure, ...]:
    """The documented default failure model: every element of ``kind`` (failure groups by
    default: each link is its own group unless the network groups it) fails independently
    with ``probability_per_day`` in each period of ``period_days`` in which it is up, keeps
    ``capacity_factor`` of its capacity, and is repaired after a random time (exponential
    with mean ``repair_days_mean`` by default)."""
    from chokepoint.timeline import StochasticFailure

    out = []
    for e in element_ids(c, kind):
        f = StochasticFailure(element=e, probability_per_day=probability_per_day,
                              repair_days_mean=repair_days_mean,
                              repair_distribution=repair_distribution,  # type: ignore[arg-type]
                              capacity_factor=capacity_factor, period_days=period_days, id=e)
        f.check()
        out.append(f)
    return tuple(out)


def _sample(c: CompiledNetwork, failures: Sequence[StochasticFailure], horizon_days: float,
            seed: int) -> tuple[np.ndarray, np.ndarray, list[tuple[str, str, float, float,
                                                                   float]]]:
    """Adapter over :func:`chokepoint.timeline.sample_timeline`: change times (h), factor rows
    and the events ``(id, element, start_h, end_h, factor)``."""
    from chokepoint.timeline import sample_timeline

    tl = sample_timeline(c, list(failures), horizon_days=horizon_days, seed=seed)
    events = [(e.id, e.element, float(e.start_h), float(e.end_h), float(e.factor))
              for e in tl.events]
    return np.asarray(tl.times_h, dtype=float), np.asarray(tl.factors, dtype=float), events


class _Evaluator:
    """Max flow and served demand under capacity factors, with the exact shortcuts."""

    def __init__(self, p: Payload, measures: Sequence[str]) -> None:
        self.p = p
        c = p.c
        self.do_flow = "throughput" in measures and bool(p.sources and p.sinks)
        self.do_served = "served" in measures and bool(p.demands)
        self.memo: dict[bytes, tuple[float, float]] = {}
        self.f0 = self.s0 = math.nan
        self.legs: Demand | None = None  # via stops its link rules do not force
        if self.do_flow:
            from chokepoint.analyses.maxflow import max_flow
            from chokepoint.analyses.routing import via_implied

            if p.route is not None and not via_implied(c, p.route):
                self.legs = p.route
            base = max_flow(p.flow_network, p.sources, p.sinks)
            self.f0 = base.value if self.legs is None else self._legs_value(None)
            self.flow0 = base.arc_flow
        if self.do_served:
            from chokepoint.analyses.served import capacity_rows, served_demand

            sd = served_demand(c, p.demands, fastest=False)
            self.s0 = sd.total_served
            self.row_of, _ = capacity_rows(c)
            self.row_load = sd.resources["load"].to_numpy(dtype=float)
            self.row_cap = sd.resources["capacity"].to_numpy(dtype=float)

    def __call__(self, factor: np.ndarray) -> tuple[float, float]:
        """(max flow, served demand) with per-arc ``factor``."""
        if np.all(factor == 1.0):
            return self.f0, self.s0
        key = factor.tobytes()
        hit = self.memo.get(key)
        if hit is not None:
            return hit
        c, p = self.p.c, self.p
        f = s = math.nan
        if self.do_flow and self.legs is not None:
            f = self._legs_value(factor)
        elif self.do_flow:
            cap = p.flow_network.capacity * factor
            if np.all(self.flow0 <= cap):
                f = self.f0  # the intact maximum flow still fits
            else:
                from chokepoint.analyses.maxflow import max_flow

                f = max_flow(p.flow_network, p.sources, p.sinks, factor=factor).value
        if self.do_served:
            row_cap = np.full(len(self.row_cap), np.inf)
            np.minimum.at(row_cap, self.row_of, c.capacity * factor)
            cut = row_cap < self.row_cap
            tol = 1e-9 * np.maximum(1.0, self.row_cap[cut])
            if np.all(self.row_load[cut] <= row_cap[cut] + tol):
                s = self.s0  # the intact optimum stays feasible, hence optimal
            else:
                from chokepoint.analyses.served import served_demand

                s = served_demand(c, p.demands, factor=factor, fastest=False).total_served
        self.memo[key] = (f, s)
        return f, s

    def _legs_value(self, factor: np.ndarray | None) -> float:
        """The commodity's exact multi-leg throughput through its via stops."""
        from chokepoint.analyses.routing import commodity_max_flow

        assert self.legs is not None
        return commodity_max_flow(self.p.c, self.legs, factor=factor).value


def _campaign_epoch(s: Scenario, settings: dict[str, Any] | None) -> dt.datetime | None:
    """Hour 0 of the campaign (``[simulation].start`` or its commodity's start), if any."""
    from chokepoint.simulate import load_settings

    st = load_settings(s.simulation, settings, source=s.path)
    start: dt.date | dt.datetime | None = st.start
    if start is None and s.commodities:
        com = next((d for d in s.commodities if d.id == st.commodity), s.commodities[0])
        start = com.start
    if start is None:
        return None
    if isinstance(start, dt.datetime):
        return start.replace(tzinfo=None)
    return dt.datetime(start.year, start.month, start.day)


def _simulate(p: Payload, params: MonteCarloParams, seed: int,
              events: list[tuple[str, str, float, float, float]]) -> dict[str, float]:
    from chokepoint.simulate import simulate
    from chokepoint.workflows.brief import peak_yard_backlog

    s, t0 = p.scenario, p.epoch
    if s is None or t0 is None:
        raise InputError("campaign simulation needs a scenario with a campaign start")
    dis = [Disruption(id=i, element=el, start=t0 + dt.timedelta(hours=a),
                      end=None if b == math.inf else t0 + dt.timedelta(hours=b),
                      capacity_factor=f) for i, el, a, b, f in events]
    res = simulate(dataclasses.replace(s, disruptions=dis), seed=seed % 2**32,
                   disruptions=True, settings=params.settings)
    d = res.delays["delay_h"]
    fin = d.dropna()

    comp = (res.run.completion, res.baseline.completion)
    return {
        "delay_mean_h": float(fin.mean()) if len(fin) else math.nan,
        "delay_max_h": float(fin.max()) if len(fin) else math.nan,
        "delayed_containers": float((fin > 1e-9).sum()),
        "undelivered": float(d.isna().sum()),
        "completion_delay_h": (comp[0] - comp[1]).total_seconds() / 3600.0
        if comp[0] is not None and comp[1] is not None else math.nan,
        "peak_backlog": peak_yard_backlog(res.run),  # containers, the largest single yard
        "peak_backlog_excess": peak_yard_backlog(res.run) - peak_yard_backlog(res.baseline),
    }


def _one_run(p: Payload, params: MonteCarloParams, i: int, ev: _Evaluator) -> dict[str, Any]:
    seed = run_seed(params.seed, i)
    H = 24.0 * params.horizon_days
    times, factors, events = _sample(p.c, params.failures, params.horizon_days, seed)
    ends = np.append(times[1:], np.inf)
    flow_int = served_int = 0.0
    f_min, s_min = ev.f0, ev.s0
    degraded = 0.0
    for k in range(len(times)):
        a, b = max(times[k], 0.0), min(ends[k], H)
        if b <= a:
            continue
        f, s = ev(factors[k])
        dur = (b - a) / 24.0
        flow_int += (ev.f0 - f) * dur if ev.do_flow else 0.0
        served_int += (ev.s0 - s) * dur if ev.do_served else 0.0
        if ev.do_flow:
            f_min = min(f_min, f)
            degraded += dur if f < ev.f0 else 0.0
        if ev.do_served:
            s_min = min(s_min, s)
    down = sum(max(0.0, min(b, H) - max(a, 0.0)) for _, _, a, b, _ in events) / 24.0
    row: dict[str, Any] = {
        "run": i, "seed": np.uint64(seed), "failures": len(events), "down_days": down,
        "events": ";".join(f"{el}@{a:.1f}-{'inf' if b == math.inf else f'{b:.1f}'}h"
                           + ("" if f == 0.0 else f"x{f:g}") for _, el, a, b, f in events),
    }
    if ev.do_flow:
        span = ev.f0 * params.horizon_days
        row.update(throughput_intact=ev.f0, throughput_min=f_min,
                   throughput_mean=ev.f0 - flow_int / params.horizon_days,
                   throughput_loss=flow_int,
                   throughput_loss_rel=flow_int / span if span > 0 else 0.0,
                   degraded_days=degraded)
    if ev.do_served:
        span = ev.s0 * params.horizon_days
        row.update(served_intact=ev.s0, served_min=s_min,
                   served_mean=ev.s0 - served_int / params.horizon_days,
                   unserved=served_int, served_loss_rel=served_int / span if span > 0 else 0.0)
    if params.simulate:
        row.update(_simulate(p, params, seed, events))
    return row


def montecarlo_chunk(p: Payload, params: MonteCarloParams, start: int, stop: int
                     ) -> pd.DataFrame:
    """Runs ``start:stop`` of a Monte Carlo sweep, one row each (see the module docstring)."""
    ev = _Evaluator(p, params.measures)
    rows = [_one_run(p, params, i, ev) for i in range(start, stop)]
    df = pd.DataFrame(rows)
    if len(df):
        df["seed"] = df["seed"].astype(np.uint64)
        df["events"] = df["events"].astype(object)  # as a Parquet round trip gives back
    return df


def montecarlo_run(p: Payload, params: MonteCarloParams, run: int) -> pd.DataFrame:
    """Run ``run`` alone: the same row as in the whole sweep."""
    return montecarlo_chunk(p, params, run, run + 1)

