"""What the web map computes when elements are closed: plain, synchronous functions.

:func:`close_elements` answers "what if these links, nodes or failure groups close (from
``start`` to ``end``)?" with the corridor's maximum throughput between the flow terminals,
the new bottleneck (minimum cut), served demand with all traffic competing, the fastest
detour, and — for a date range — the volume lost over the period. The server runs it in a
worker thread with a time limit; it has no web dependencies and is tested directly.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import itertools
import logging
import math
import queue
import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from chokepoint import cancel
from chokepoint.analyses.routes import Route
from chokepoint.analyses.served import ServedDemandModel, ServedSolution
from chokepoint.errors import ChokepointError, InputError
from chokepoint.kinds import check_kind
from chokepoint.scenario import Scenario
from chokepoint.workflows.shipment import (
    Shipment,
    shipment,
    shipment_route,
    throughput,
    traffic_unit,
)

__all__ = ["Baseline", "CampaignHook", "Closure", "ClosureEngine", "ServedAnswer", "baseline",
           "campaign_answer", "close_elements", "closure_period", "links_table", "resolve_elements",
           "simulation_hook"]

log = logging.getLogger("chokepoint.serve")


@dataclass(frozen=True)
class Closure:
    """Resolved elements to close: ``(kind, id)`` pairs, sorted (a cache key)."""

    elements: tuple[tuple[str, str], ...]
    start: dt.date | None = None
    end: dt.date | None = None

    @property
    def days(self) -> int | None:
        """Days closed, both ends included (None without dates)."""
        if self.start is None or self.end is None:
            return None
        return (self.end - self.start).days + 1


#: ``hook(scenario, closure, removed_arcs) -> dict | None``: the campaign's delay (SimPy
#: simulation) for a closure; its dict is passed through as ``"campaign"`` in the answer.
CampaignHook = Callable[[Scenario, Closure, np.ndarray], dict[str, Any] | None]


def simulation_hook(*, seed: int = 0) -> CampaignHook:
    """A :data:`CampaignHook` running the scenario's campaign (:mod:`chokepoint.simulate`)
    with the closure as its only disruptions (from ``start`` to the end of ``end``; without
    dates, for the whole campaign), against the undisrupted run with the same ``seed``."""

    def hook(s: Scenario, closure: Closure, arcs: np.ndarray) -> dict[str, Any] | None:
        if not s.commodities or not closure.elements:
            return None
        from chokepoint.scenario import Disruption
        from chokepoint.simulate import simulate

        start = (dt.datetime.combine(closure.start, dt.time()) if closure.start
                 else dt.datetime(1900, 1, 1))
        end = (dt.datetime.combine(closure.end + dt.timedelta(days=1), dt.time())
               if closure.end else None)
        dis = [Disruption(id=f"closure_{i}", element=e, start=start, end=end)
               for i, (_, e) in enumerate(closure.elements)]
        res = simulate(dataclasses.replace(s, disruptions=dis), seed=seed)
        summ = res.summary()
        d = summ["delay"]
        return {"seed": seed, "containers": summ["run"]["containers"],
                "delivered": summ["run"]["delivered"],
                "completion_undisrupted": summ["baseline"]["completion"],
                "completion": summ["run"]["completion"],
                "mean_delay_h": d["mean_h"], "max_delay_h": d["max_h"],
                "delayed_containers": d["delayed_containers"],
                "undelivered": d["undelivered"]}

    return hook


def resolve_elements(s: Scenario, refs: Sequence[str | tuple[str | None, str]]) -> tuple[
        tuple[str, str], ...]:
    """``(kind, id)`` for each reference: a bare id (link, then node, then failure group) or
    ``(kind, id)`` with kind ``link``/``node``/``group`` (None: as a bare id)."""
    c = s.network.compiled
    out: set[tuple[str, str]] = set()
    for ref in refs:
        kind, eid = (None, ref) if isinstance(ref, str) else ref
        if kind is None:
            try:
                out.add(c.resolve(eid))
            except (KeyError, InputError, ValueError):
                raise InputError(f"no link, node or failure group {eid!r}") from None
            continue
        index = {"link": c.link_index, "node": c.node_index,
                 "group": c.group_index}[check_kind(kind)]
        if eid not in index:
            raise InputError(f"no {kind} {eid!r}")
        out.add((kind, eid))
    return tuple(sorted(out))


def removed_arcs(s: Scenario, elements: Sequence[tuple[str, str]]) -> np.ndarray:
    """Arc indices taken down by closing ``elements``."""
    c = s.network.compiled
    arcs = [c.arcs_of(k, [e]) for k, e in elements]
    return np.unique(np.concatenate(arcs)) if arcs else np.zeros(0, dtype=np.int64)


def _route(names: dict[str, str], r: Route) -> dict[str, Any]:
    return {"found": r.found, "time_h": r.time_h if r.found else None,
            "time_days": r.time_h / 24 if r.found else None,
            "length_km": r.length_km if r.found else None,
            "via": [names.get(n, n) for n in r.nodes], "links": r.links}


@dataclass(frozen=True)
class ServedAnswer:
    """Served demand with some arcs closed, as the web map shows it.

    Attributes
    ----------
    served
        Served rate summed over demands (base unit).
    arc_load
        Total flow per arc in the optimum found (used to reuse the answer for supersets).
    link_util
        Highest utilisation of each link's capacity resources, in link order (NaN: the
        link has none); :attr:`utilisation` as a dict.
    binding
        Links and nodes whose capacity binds (id, kind, name).
    link_ids
        The network's link ids (shared, not copied).
    by_demand, objective, binding_rows
        Served rate per demand, the priority-weighted optimum and the binding capacity
        resources (used to find the answers of supersets with one LP).
    """

    served: float
    arc_load: np.ndarray
    link_util: np.ndarray
    binding: tuple[dict[str, str], ...]
    link_ids: np.ndarray
    by_demand: np.ndarray
    objective: float
    binding_rows: np.ndarray

    @property
    def utilisation(self) -> dict[str, float]:
        """``{link id: utilisation}`` for links with a capacity resource."""
        u = self.link_util
        return {str(self.link_ids[i]): float(u[i]) for i in np.flatnonzero(~np.isnan(u))}


#: Flow (base unit per day) below which an arc counts as carrying nothing: HiGHS' primal
#: feasibility tolerance.
IDLE = 1e-7
#: Served-demand models with at most this many columns (commodity legs × arcs; the
#: corridor: 762) are :attr:`ClosureEngine.quick`: one feasibility LP takes about a
#: millisecond, so the server may run it in the request itself instead of on its pool.
QUICK_COLUMNS = 5000


class ClosureEngine:
    """What every closure of one scenario shares: names, the served-demand LP, answers.

    * The served-demand LP is built once (:class:`~chokepoint.analyses.served.
      ServedDemandModel`, one per worker thread) and re-solved warm for each new set of
      closed arcs.
    * Answers are memoised per set of closed arcs (least recently used dropped past
      ``memo_size``); different elements closing the same arcs share one answer.
    * No LP is solved when a known answer stays optimal: the closed arcs carry no flow in
      the intact optimum, or in the answer for a subset of the closed elements. The optimum
      of the larger problem is then feasible for the smaller one, which can serve no more,
      so it is optimal; the max-min fair served amounts are unique, so it is *the* answer.
    * Otherwise, by the same argument, when the served amounts of a subset's answer (or the
      intact one) can still be met with all the arcs closed, one feasibility LP finds flows
      for them and they are the answer; only when that fails do the rationing stages run.

    Thread-safe. Costs O(n + m) to build plus one served-demand solve.
    """

    def __init__(self, s: Scenario, *, memo_size: int = 4096) -> None:
        self.scenario, self.c = s, s.network.compiled
        nodes = s.network.nodes
        self.names = {str(i): str(n) for i, n in zip(nodes["id"], nodes["name"], strict=True)}
        self._describe: dict[tuple[str, str], dict[str, str]] = {}
        self._models: queue.SimpleQueue[ServedDemandModel] = queue.SimpleQueue()
        self._memo: OrderedDict[bytes, ServedAnswer] = OrderedDict()
        self._lock = threading.Lock()
        self.memo_size = memo_size
        self.solves = self.reused = self.kept = self.checks = 0
        self.intact: ServedAnswer | None = None
        self._unchecked: OrderedDict[bytes, None] = OrderedDict()
        self.quick = False
        if s.demands:
            self.intact = self._solve(np.zeros(0, dtype=np.int64))
            model = self._model()
            self.quick = model.lex.n <= QUICK_COLUMNS
            self._models.put(model)

    def describe(self, kind: str, eid: str) -> dict[str, str]:
        """``{"id", "kind", "name"}`` of an element (memoised)."""
        key = (kind, eid)
        got = self._describe.get(key)
        if got is None:
            name = self.names.get(eid, eid) if kind == "node" else \
                self.scenario.network.describe(eid)
            got = self._describe[key] = {"id": eid, "kind": kind, "name": name}
        return dict(got)

    def _model(self) -> ServedDemandModel:
        try:
            return self._models.get_nowait()
        except queue.Empty:
            return ServedDemandModel(self.c, self.scenario.demands, warm=True)

    def _answer(self, model: ServedDemandModel, sol: ServedSolution) -> ServedAnswer:
        return ServedAnswer(served=sol.total_served, arc_load=sol.arc_load,
                            link_util=self._utilisation(model, sol),
                            binding=self._binding(model, sol), link_ids=self.c.link_ids,
                            by_demand=sol.served, objective=sol.objective,
                            binding_rows=sol.binding)

    def _solve(self, arcs: np.ndarray) -> ServedAnswer:
        """The full (lexicographic) solve with ``arcs`` closed, on a model of the pool."""
        model = self._model()
        try:
            return self._answer(model, model.solve(arcs, fastest=False))
        finally:
            self._models.put(model)

    def _check(self, arcs: np.ndarray, subsets: Sequence[ServedAnswer]
               ) -> ServedAnswer | None:
        """The answer with ``arcs`` closed if a subset's served amounts stay feasible: one
        LP for each of the ``subsets``' answers that could still be optimal
        (:meth:`~chokepoint.analyses.served.ServedDemandModel.solve_keeping`)."""
        candidates = _candidates(subsets)
        if not candidates:
            return None
        model = self._model()
        try:
            for sub in candidates:
                sol = model.solve_keeping(arcs, sub.by_demand, sub.binding_rows)
                with self._lock:
                    self.checks += 1
                if sol is not None:
                    return self._answer(model, sol)
            return None
        finally:
            self._models.put(model)

    def _utilisation(self, model: ServedDemandModel, sol: ServedSolution) -> np.ndarray:
        c, cap = self.c, sol.capacity
        finite = np.isfinite(cap) & (cap > 0)
        util = np.divide(sol.load, cap, out=np.zeros(len(cap)), where=finite)
        link = c.arc_link[model.first_arc]
        has = link >= 0
        best = np.full(len(c.link_ids), -np.inf)
        np.maximum.at(best, link[has], util[has])
        best[~np.isfinite(best)] = np.nan
        return best

    def _binding(self, model: ServedDemandModel, sol: ServedSolution
                 ) -> tuple[dict[str, str], ...]:
        c = self.c
        first = model.first_arc[sol.binding]
        links = dict.fromkeys(str(c.link_ids[c.arc_link[a]]) for a in first
                              if c.arc_link[a] >= 0)
        nodes = dict.fromkeys(str(c.node_ids[c.arc_node[a]]) for a in first
                              if c.arc_node[a] >= 0)
        return tuple([self.describe("link", i) for i in links]
                     + [self.describe("node", i) for i in nodes])

    def served(self, parts: Sequence[np.ndarray]) -> ServedAnswer:
        """Served demand with the arcs of every element in ``parts`` closed."""
        if self.intact is None:
            raise InputError("no demands: add [[commodities]] or [[background]] to the "
                             "scenario")
        got = self.checked(parts)
        if got is None:
            cancel.check()
            arcs = _union(parts)
            got = self._solve(arcs)
            with self._lock:
                self.solves += 1
                self._remember(arcs.tobytes(), got)
        return got

    def checked(self, parts: Sequence[np.ndarray]) -> ServedAnswer | None:
        """The answer for closing ``parts`` if it needs no full solve: :meth:`lookup`, else
        one feasibility LP per candidate subset answer (:meth:`_check`; tried once per set
        of closed arcs), else None."""
        got = self.lookup(parts)
        if got is not None or self.intact is None:
            return got
        arcs = _union(parts)
        key = arcs.tobytes()
        with self._lock:
            tried = key in self._unchecked
        if tried:
            return None
        cancel.check()
        got = self._check(arcs, self._subsets(parts))
        with self._lock:
            if got is None:
                self._unchecked[key] = None
                while len(self._unchecked) > self.memo_size:
                    self._unchecked.popitem(last=False)
            else:
                self.kept += 1
                self._remember(key, got)
        return got

    def lookup(self, parts: Sequence[np.ndarray]) -> ServedAnswer | None:
        """The answer for closing ``parts`` if it is known without a solve (memoised, or a
        known answer that stays optimal), else None. About a microsecond per element."""
        if self.intact is None:
            return None
        arcs = _union(parts)
        key = arcs.tobytes()
        with self._lock:
            hit = self._memo.get(key)
            if hit is not None:
                self._memo.move_to_end(key)
                return hit
        got = self._known(parts, arcs)
        if got is not None:
            with self._lock:
                self.reused += 1
                self._remember(key, got)
        return got

    def _remember(self, key: bytes, answer: ServedAnswer) -> None:
        self._memo[key] = answer
        while len(self._memo) > self.memo_size:
            self._memo.popitem(last=False)

    def parts(self, closure: Closure) -> list[np.ndarray]:
        """The arcs of each element of ``closure``."""
        return [self.c.arcs_of(k, [e]) for k, e in closure.elements]

    def answers_now(self, closure: Closure) -> bool:
        """Whether :func:`close_elements` needs no full LP solve for ``closure``: its served
        demand is known (:meth:`lookup`), or — on a small model (:attr:`quick`) — one
        feasibility LP finds it (:meth:`checked`, about a millisecond on the corridor), or
        the scenario has no demands. A few milliseconds then."""
        if self.intact is None:
            return True
        parts = self.parts(closure)
        got = self.checked(parts) if self.quick else self.lookup(parts)
        return got is not None

    def elements(self) -> list[tuple[str, str]]:
        """Every link, node and failure group as ``(kind, id)``."""
        c = self.c
        return ([("link", str(x)) for x in c.link_ids] + [("node", str(x)) for x in c.node_ids]
                + [("group", str(g)) for g in c.group_index if g])

    def prewarm(self, elements: Sequence[tuple[str, str]] | None = None) -> int:
        """Solve the closure of each single element ahead of requests (so that closures of
        several elements are often answered by :meth:`lookup`); stops when cancelled.
        Returns the number of LP solves."""
        before = self.solves
        for kind, eid in (self.elements() if elements is None else elements):
            cancel.check()
            self.served([self.c.arcs_of(kind, [eid])])
        return self.solves - before

    def _subsets(self, parts: Sequence[np.ndarray]) -> list[ServedAnswer]:
        """Known answers for subsets of ``parts`` (memoised; for 2-4 elements), largest
        subsets first, then the intact answer."""
        assert self.intact is not None
        k, out = len(parts), []
        if 2 <= k <= 4:
            for r in range(k - 1, 0, -1):
                for keep in itertools.combinations(range(k), r):
                    with self._lock:
                        sub = self._memo.get(_union([parts[i] for i in keep]).tobytes())
                    if sub is not None:
                        out.append(sub)
        return [*out, self.intact]

    def _known(self, parts: Sequence[np.ndarray], arcs: np.ndarray) -> ServedAnswer | None:
        """A known answer that stays optimal with ``arcs`` closed, if any (see the class)."""
        assert self.intact is not None
        if not bool(np.any(self.intact.arc_load[arcs] > IDLE)):
            return self.intact
        for sub in self._subsets(parts)[:-1]:
            if not bool(np.any(sub.arc_load[arcs] > IDLE)):
                return sub
        return None

    def stats(self) -> dict[str, int]:
        """Full LP solves, answers found by one feasibility LP (``kept``) and the LPs tried
        for that (``checks``), answers reused without a solve, answers memoised."""
        return {"solves": self.solves, "kept": self.kept, "checks": self.checks,
                "reused": self.reused, "memoised": len(self._memo)}


def _candidates(subsets: Sequence[ServedAnswer]) -> list[ServedAnswer]:
    """The subsets' answers whose served amounts may be the superset's: closing more serves
    no more priority-weighted demand, so only those at the least weighted optimum (to
    HiGHS' tolerance), each served vector once."""
    if not subsets:
        return []
    low = min(a.objective for a in subsets)
    out: list[ServedAnswer] = []
    for a in subsets:
        if a.objective <= low + 1e-7 * max(1.0, abs(low)) and not any(
                np.allclose(a.by_demand, b.by_demand, rtol=1e-9, atol=1e-9) for b in out):
            out.append(a)
    return out


def _union(parts: Sequence[np.ndarray]) -> np.ndarray:
    if not parts:
        return np.zeros(0, dtype=np.int64)
    return np.unique(np.concatenate([np.asarray(p, dtype=np.int64) for p in parts]))


@dataclass
class Baseline:
    """The intact network's figures for one shipment (its terminals and, for a commodity,
    its route rules), and the scenario's :class:`ClosureEngine`."""

    sources: list[str]
    sinks: list[str]
    throughput: float
    cut: list[dict[str, str]]
    served: float | None
    demand: float | None
    utilisation: dict[str, float]
    route: dict[str, Any] | None
    link_flow: np.ndarray
    engine: ClosureEngine
    shipment: Shipment
    route_arcs: np.ndarray

    @property
    def served_arc_load(self) -> np.ndarray | None:
        """Flow per arc in the intact served-demand optimum (None without demands)."""
        return None if self.engine.intact is None else self.engine.intact.arc_load

    @property
    def served_binding(self) -> list[dict[str, str]] | None:
        """Binding links and nodes of the intact served-demand optimum."""
        i = self.engine.intact
        return None if i is None else [dict(x) for x in i.binding]



def _timed(s: Scenario) -> bool:
    return not bool(np.isnan(s.network.compiled.time_h).any())


def _flow_utilisation(s: Scenario, flow: np.ndarray) -> dict[str, float]:
    cap = s.network.links["capacity"].to_numpy(dtype=float)
    with np.errstate(divide="ignore", invalid="ignore"):
        u = np.where(np.isfinite(cap) & (cap > 0), np.abs(flow) / cap, np.nan)
    return {str(i): float(v) for i, v in zip(s.network.links["id"], u, strict=True)}


def _cut(block: dict[str, Any]) -> list[dict[str, str]]:
    return [{"id": x["id"], "kind": x["kind"], "name": x["name"]} for x in block["cut"]]


def baseline(s: Scenario, sources: Sequence[str] | None = None,
             sinks: Sequence[str] | None = None, *, commodity: str | None = None,
             engine: ClosureEngine | None = None) -> Baseline:
    """Figures for the intact network for the shipment (:func:`~chokepoint.workflows.
    shipment.shipment`: the first commodity along its route rules by default, or
    ``commodity``, or explicit ``sources`` and ``sinks`` on the whole network); ``engine`` is
    shared by every baseline of one scenario (built here when None)."""
    e = engine if engine is not None else ClosureEngine(s)
    c = s.network.compiled
    sh = shipment(s, commodity=commodity, sources=sources, sinks=sinks)
    src, snk = list(sh.sources), list(sh.sinks)
    thr, cut, flow = math.nan, [], np.zeros(len(c.link_ids))
    if src and snk:
        block = throughput(s, sh)
        thr, cut, flow = block["value"], _cut(block), block["link_flow"]
    served = demand = None
    util: dict[str, float] = {}
    if e.intact is not None:
        served = e.intact.served
        demand = float(sum(d.rate for d in s.demands))
        util = e.intact.utilisation
    elif src and snk:
        util = _flow_utilisation(s, flow)
    route, route_arcs = None, np.zeros(0, dtype=np.int64)
    if src and snk and _timed(s):
        r = shipment_route(s, sh)
        route, route_arcs = _route(e.names, r), np.asarray(r.arcs, dtype=np.int64)
    return Baseline(sources=src, sinks=snk, throughput=thr, cut=cut, served=served,
                    demand=demand, utilisation=util, route=route, link_flow=flow, engine=e,
                    shipment=sh, route_arcs=route_arcs)


def _in_units(s: Scenario, value: float | None) -> dict[str, float | None]:
    if value is None or not math.isfinite(value):
        return {u: (None if value is None or math.isnan(value) else value)
                for u in s.units.report_units}
    return {u: s.units.from_base(value, u) for u in s.units.report_units}


def _quantity(s: Scenario, tonnes_or_units: float) -> dict[str, float]:
    """A base-unit quantity (rate × days) in each report unit's quantity (TEU, trains...)."""
    out = {s.units.base.removesuffix("/day"): tonnes_or_units}
    for u in s.units.report_units:
        if not u.endswith("/day"):
            continue
        q = u.removesuffix("/day")
        try:
            out[q] = s.units.from_base(tonnes_or_units, u)
        except (InputError, ValueError, KeyError):
            continue
    return out


def _throughput(s: Scenario, base: Baseline, arcs: np.ndarray, out: dict[str, Any]
                ) -> tuple[float, np.ndarray]:
    """Max flow with ``arcs`` closed into ``out``; returns it and the per-link flow."""
    c, e = s.network.compiled, base.engine
    if not (base.sources and base.sinks):
        out["throughput"] = out["bottleneck"] = None
        return math.nan, np.zeros(len(c.link_ids))
    sh = base.shipment
    block = throughput(s, sh, removed=arcs)
    value = float(block["value"])
    out["throughput"] = {
        "sources": base.sources, "sinks": base.sinks,
        "source_names": [e.names.get(x, x) for x in base.sources],
        "sink_names": [e.names.get(x, x) for x in base.sinks],
        "commodity": block["commodity"], "label": sh.label, "display_unit": sh.unit,
        "intact": _in_units(s, base.throughput), "closed": _in_units(s, value),
        "intact_base": base.throughput, "closed_base": value,
    }
    out["bottleneck"] = {"intact": base.cut, "closed": _cut(block)}
    return value, np.asarray(block["link_flow"], dtype=float)


def _served(s: Scenario, base: Baseline, parts: Sequence[np.ndarray], flow: np.ndarray,
            out: dict[str, Any]) -> float | None:
    """Served demand with the closure into ``out`` (with the utilisation); returns it."""
    if base.engine.intact is None or base.served is None:
        out["served"] = None
        util = _flow_utilisation(s, flow) if base.sources and base.sinks else \
            base.utilisation
        out["utilisation"] = {k: (v if math.isfinite(v) else None) for k, v in util.items()}
        return None
    ans = base.engine.served(parts)
    unit = traffic_unit(s)  # all traffic in one unit, as the console and report state it

    def units(v: float | None) -> dict[str, float | None]:
        if v is None or not math.isfinite(v):
            return _in_units(s, v) | {unit: None if v is None or math.isnan(v) else v}
        return _in_units(s, v) | {unit: s.units.from_base(v, unit)}

    out["served"] = {"unit": unit, "intact": units(base.served), "closed": units(ans.served),
                     "demand": units(base.demand), "intact_base": base.served,
                     "closed_base": ans.served, "binding": [dict(x) for x in ans.binding]}
    out["utilisation"] = {k: (v if math.isfinite(v) else None)
                          for k, v in ans.utilisation.items()}
    return ans.served


def _detour(s: Scenario, base: Baseline, arcs: np.ndarray) -> dict[str, Any] | None:
    if base.route is None:
        return None
    names = base.engine.names
    o, d = base.sources[0], base.sinks[0]
    if base.route["found"] and not bool(np.isin(base.route_arcs, arcs).any()):
        r = base.route  # still open, and closing arcs makes no other route faster
    else:
        r = _route(names, shipment_route(s, base.shipment, removed=arcs))
    extra = (r["time_h"] - base.route["time_h"]) if r["found"] else None
    return {"origin": o, "destination": d, "origin_name": names.get(o, o),
            "destination_name": names.get(d, d), "intact": base.route, "closed": r,
            "extra_h": extra}


def closure_period(s: Scenario, closure: Closure, answer: dict[str, Any]
                   ) -> dict[str, Any] | None:
    """The ``period`` block of a closure's answer (:func:`close_elements`): the volume lost
    from ``closure.start`` to ``closure.end`` (None without dates), from the answer's
    base-unit throughput and served demand, so that the same closure over other dates
    needs no other computation."""
    days = closure.days
    if days is None:
        return None
    lost: dict[str, Any] = {"days": days}
    thr, served = answer.get("throughput"), answer.get("served")
    if thr is not None:
        a, b = thr["intact_base"], thr["closed_base"]
        if a is not None and b is not None and math.isfinite(a) and math.isfinite(b):
            lost["throughput"] = _quantity(s, (a - b) * days)
    if served is not None and served["closed_base"] is not None \
            and served["intact_base"] is not None:
        lost["served"] = _quantity(s, (served["intact_base"] - served["closed_base"]) * days)
    return lost


def campaign_answer(s: Scenario, closure: Closure, hook: CampaignHook, *,
                    arcs: np.ndarray | None = None) -> dict[str, Any] | None:
    """The campaign ``hook``'s answer for ``closure``; its failures become ``{"error":
    message}`` (the closure's other figures still stand). A SimPy run: about half a second
    on the corridor, so the web map asks for it separately from the closure."""
    if arcs is None:
        arcs = removed_arcs(s, closure.elements)
    try:
        return hook(s, closure, arcs)
    except cancel.CancelledError:
        raise
    except ChokepointError as e:  # e.g. a campaign that cannot be routed any more
        return {"error": str(e)}
    except Exception as e:  # the closure's other figures still stand
        log.error("campaign hook failed: %r", e, exc_info=e)
        return {"error": "the campaign simulation failed (see the server log)"}


def close_elements(s: Scenario, base: Baseline, closure: Closure, *,
                   campaign: CampaignHook | None = None) -> dict[str, Any]:
    """The corridor's figures with ``closure`` applied, next to the intact ``base``.

    Max flow and the fastest detour are recomputed (each well under a millisecond on the
    corridor); served demand comes from ``base.engine`` (:class:`ClosureEngine`: memoised,
    reused without a solve where it stays optimal, else one warm-started LP solve). The
    optional ``campaign`` hook (a SimPy run, about half a second) is the slow part: the web
    map asks for it separately. Cancellable between stages (:mod:`chokepoint.cancel`).
    """
    t0 = time.perf_counter()
    parts = base.engine.parts(closure)
    arcs = _union(parts)
    out: dict[str, Any] = {
        "scenario": s.name, "unit": s.units.report_units[0], "base_unit": s.units.base,
        "closed": [base.engine.describe(k, e) for k, e in closure.elements],
        "start": closure.start.isoformat() if closure.start else None,
        "end": closure.end.isoformat() if closure.end else None,
    }
    _, flow = _throughput(s, base, arcs, out)
    cancel.check()
    _served(s, base, parts, flow, out)
    cancel.check()
    out["detour"] = _detour(s, base, arcs)
    out["period"] = closure_period(s, closure, out)
    out["campaign"] = (campaign_answer(s, closure, campaign, arcs=arcs)
                       if campaign is not None else None)
    out["elapsed_ms"] = round(1000 * (time.perf_counter() - t0), 2)
    return out


def links_table(s: Scenario, base: Baseline, result: dict[str, Any] | None) -> pd.DataFrame:
    """The links with their intact max-flow flow and utilisation, and (with ``result`` of
    :func:`close_elements`) the utilisation with the closure; capacities in report units."""
    net = s.network
    t = net.links[["id", "name", "from", "to", "mode", "structure", "group", "length_km",
                   "time_h", "capacity"]].copy()
    for u in s.units.report_units:
        t[f"capacity_{u}"] = [s.units.from_base(v, u) for v in t["capacity"]]
    t["flow_intact"] = base.link_flow
    t["utilisation_intact"] = [base.utilisation.get(str(i), math.nan) for i in t["id"]]
    if result is not None:
        closed = {c["id"] for c in result["closed"] if c["kind"] == "link"}
        groups = {c["id"] for c in result["closed"] if c["kind"] == "group"}
        t["closed"] = [str(i) in closed or str(g) in groups for i, g in
                       zip(t["id"], t["group"], strict=True)]
        util = result["utilisation"]
        t["utilisation_closed"] = [util.get(str(i)) if util.get(str(i)) is not None
                                   else math.nan for i in t["id"]]
    return t
