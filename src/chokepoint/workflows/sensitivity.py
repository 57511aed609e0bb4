"""Sensitivity of a study's headline answers to the scenario's declared assumptions.

A scenario's ``[[assumptions]]`` give each uncertain figure a range (``low`` .. ``high``). This
module varies them **one at a time** (a grid of ``grid`` values over each range, the others at
their scenario values) and **jointly** (a seeded uniform sample of the whole box), recomputes the
headline answers (:mod:`chokepoint.workflows._headline`: the shipment's route, its weakest
element, the corridor's weakest element, the attack's integrated cost, the campaign's last
delivery) and reports, for each answer, where it changes: the *flip value* of each assumption,
found by bisection between two grid values whose answers differ (to ``tol`` of the range), and
the low/high swing of each numeric answer (the tornado chart's bars).

:func:`seed_question` answers the built-in corridor's question — is the Severomuysky section
the weak point of the corridor and of the shipment's route, and under which assumptions —
from the same machinery.

Cost: one evaluation per grid point and per bisection step; each evaluation rebuilds the
scenario (ms) and runs the chosen measures (see ``_headline.headline``).
"""

from __future__ import annotations

import copy
import itertools
import math
import tomllib
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from chokepoint.errors import InputError
from chokepoint.scenario import Assumption, Scenario, scenario_from_dict
from chokepoint.workflows._headline import MEASURES, headline

__all__ = ["MEASURES", "Flip", "SensitivityResult", "Study", "evaluate", "sample_points",
           "sensitivity", "set_figure"]

#: Categorical answers whose flips are located by bisection.
CATEGORICAL = ("route_via_focus", "shipment_weakest", "corridor_weakest")
#: Numeric answers whose swings make the tornado chart.
NUMERIC = ("route_time_h", "shipment_weakest_delay_h", "focus_delay_h",
           "corridor_weakest_loss_Mt_per_yr", "section_loss_Mt_per_yr", "attack_lost_t",
           "attack_lost_no_backlog_t", "campaign_last_delivery_h")
UNITS = {"route_time_h": "h", "shipment_weakest_delay_h": "h", "focus_delay_h": "h",
         "corridor_weakest_loss_Mt_per_yr": "Mt/yr", "section_loss_Mt_per_yr": "Mt/yr",
         "attack_lost_t": "t", "attack_lost_no_backlog_t": "t", "campaign_last_delivery_h": "h"}
Progress = Callable[[int, int], None] | None


def set_figure(data: dict[str, Any], path: str, value: float) -> None:
    """Set the figure at ``path`` (``links.<id>.<field>``, ``simulation.<key>`` …) in a raw
    scenario mapping, in place."""
    table, _, rest = path.partition(".")
    if table in ("simulation", "units"):
        node = data.setdefault(table, {})
        *keys, last = rest.split(".")
        for k in keys:
            node = node.setdefault(k, {})
        node[last] = value
        return
    eid, _, fname = rest.rpartition(".")
    for el in data.get(table, []):
        if el.get("id") == eid:
            el[fname] = value
            return
    raise InputError(f"no element {eid!r} in [[{table}]]", element=path)


@dataclass
class Study:
    """A scenario kept as its raw mapping, so figures can be set and the scenario rebuilt."""

    data: dict[str, Any]
    source: str = "<scenario>"
    focus: tuple[str, ...] = ()
    candidates: tuple[str, ...] = ()

    @classmethod
    def from_path(cls, path: str | Path, *, focus: Sequence[str] = (),
                  candidates: Sequence[str] = ()) -> Study:
        """Read a scenario TOML file (``builtin:corridor`` is resolved by the caller)."""
        p = Path(path)
        try:
            data = tomllib.loads(p.read_text(encoding="utf-8"))
        except (OSError, tomllib.TOMLDecodeError) as exc:
            raise InputError(f"cannot read the scenario: {exc}", source=p) from None
        return cls(data, str(p), tuple(focus), tuple(candidates))

    @classmethod
    def of(cls, path: str | Path, *, measures: Sequence[str] = MEASURES,
           n_candidates: int = 6) -> Study:
        """A study of the scenario at ``path`` whose focus is the elements its
        ``[[disruptions]]`` hit and whose corridor candidates are the ``n_candidates`` groups
        with the largest served-demand loss at the scenario's values (computed only when
        ``corridor`` is among ``measures``: one LP per loaded group)."""
        study = cls.from_path(path)
        s = study.scenario()
        study.focus = tuple(dict.fromkeys(d.element for d in s.disruptions))
        if "corridor" in measures and s.demands:
            from chokepoint.analyses.criticality import served_criticality

            crit = served_criticality(s.network.compiled, s.demands, kind="group")
            top = crit.sort_values("served_loss", ascending=False, kind="stable")["element"]
            study.candidates = tuple(str(x) for x in top[:n_candidates])
        return study

    def scenario(self, values: dict[str, float] | None = None) -> Scenario:
        """The scenario with the assumptions in ``values`` (id → value) set."""
        data = copy.deepcopy(self.data)
        by_id = {a["id"]: a for a in data.get("assumptions", [])}
        for aid, v in (values or {}).items():
            for p in by_id[aid]["paths"]:
                set_figure(data, p, float(v))
        return scenario_from_dict(data, source=self.source)

    def answers(self, values: dict[str, float] | None, measures: Sequence[str],
                seed: int = 0) -> dict[str, Any]:
        """The headline answers at ``values``."""
        return headline(self.scenario(values), measures=measures, focus=self.focus,
                        candidates=self.candidates, seed=seed)


@dataclass(frozen=True)
class Flip:
    """An answer that changes as one assumption crosses ``value`` (bisection bracket)."""

    assumption: str
    answer: str
    value: float
    below: Any
    above: Any
    bracket: tuple[float, float]
    unit: str = ""
    method: str = "bisection"


@dataclass
class SensitivityResult:
    """One-at-a-time and joint sensitivity of the headline answers."""

    base: dict[str, Any]
    assumptions: list[Assumption]
    one_at_a_time: list[dict[str, Any]] = field(default_factory=list)
    flips: list[Flip] = field(default_factory=list)
    tornado: list[dict[str, Any]] = field(default_factory=list)
    joint: list[dict[str, Any]] = field(default_factory=list)
    joint_agreement: dict[str, float] = field(default_factory=dict)
    measures: tuple[str, ...] = MEASURES

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form (``chokepoint sensitivity --json``)."""
        return {"measures": list(self.measures), "base": _clean(self.base),
                "assumptions": [{"id": a.id, "name": a.name, "value": a.value, "low": a.low,
                                 "high": a.high, "unit": a.unit, "paths": list(a.paths)}
                                for a in self.assumptions],
                "flips": [_flip(f) for f in self.flips],
                "answers": self.by_answer(),
                "tornado": self.tornado, "one_at_a_time": [_clean(r) for r in self.one_at_a_time],
                "joint": [_clean(r) for r in self.joint],
                "joint_agreement": self.joint_agreement}


    def by_answer(self) -> list[dict[str, Any]]:
        """Per headline answer: the assumption values at which it flips (categorical
        answers) and the assumptions that move it, with their swings (numeric answers);
        ``stable`` when nothing within the ranges changes it."""
        out = []
        for key in (*CATEGORICAL, *NUMERIC):
            if key not in self.base:
                continue
            flips = [_flip(f) for f in self.flips if f.answer == key]
            moves = [{k: b[k] for k in ("assumption", "at_low", "at_high", "min", "max",
                                        "swing")}
                     for b in self.tornado if b["answer"] == key and b["swing"] > 0]
            base = self.base[key]
            out.append({"answer": key, "unit": UNITS.get(key, ""),
                        "base": None if isinstance(base, float) and not math.isfinite(base)
                        else base, "flips": flips,
                        "moves_with": sorted(moves, key=lambda m: -m["swing"]),
                        "stable": not flips and not moves})
        return out


def _flip(f: Flip) -> dict[str, Any]:
    return {"assumption": f.assumption, "answer": f.answer, "value": f.value, "unit": f.unit,
            "below": f.below, "above": f.above, "bracket": list(f.bracket),
            "method": f.method}


def _clean(row: dict[str, Any]) -> dict[str, Any]:
    return {k: (None if isinstance(v, float) and not math.isfinite(v) else v)
            for k, v in row.items() if k not in ("route_groups",)}


def _bisect(study: Study, a: Assumption, key: str, lo: float, hi: float, v_lo: Any,
            measures: Sequence[str], tol: float) -> Flip:
    """Shrink [lo, hi] (answers ``v_lo`` at lo, different at hi) to ``tol``: O(log(range/tol))
    evaluations."""
    v_hi = study.answers({a.id: hi}, measures)[key]
    while hi - lo > tol:
        mid = 0.5 * (lo + hi)
        v = study.answers({a.id: mid}, measures)[key]
        if v == v_lo:
            lo = mid
        else:
            hi, v_hi = mid, v
    return Flip(a.id, key, 0.5 * (lo + hi), v_lo, v_hi, (lo, hi), a.unit)


def _scan(study: Study, a: Assumption, measures: Sequence[str], grid: int, tol: float,
          base: dict[str, Any]) -> tuple[list[dict[str, Any]], list[Flip]]:
    xs = sorted({*np.linspace(a.low, a.high, max(grid, 2)).tolist(), a.value})
    rows = []
    for x in xs:
        ans = base if x == a.value else study.answers({a.id: x}, measures)
        rows.append({"assumption": a.id, "value": x, **ans})
    flips = []
    for key in CATEGORICAL:
        if key not in base:
            continue
        for r0, r1 in itertools.pairwise(rows):
            if r0[key] != r1[key]:
                flips.append(_bisect(study, a, key, r0["value"], r1["value"], r0[key],
                                     measures, tol * (a.high - a.low)))
    return rows, flips


def _tornado(rows: list[dict[str, Any]], assumptions: list[Assumption],
             base: dict[str, Any]) -> list[dict[str, Any]]:
    bars = []
    for key in NUMERIC:
        if key not in base:
            continue
        for a in assumptions:
            vals = [r[key] for r in rows if r["assumption"] == a.id and r[key] is not None]
            if not vals:
                continue
            lo_row = next(r for r in rows if r["assumption"] == a.id and r["value"] == a.low)
            hi_row = next(r for r in rows if r["assumption"] == a.id and r["value"] == a.high)
            bars.append({"answer": key, "unit": UNITS[key], "assumption": a.id,
                         "base": base[key], "at_low": lo_row[key], "at_high": hi_row[key],
                         "min": float(np.nanmin(vals)), "max": float(np.nanmax(vals)),
                         "swing": float(np.nanmax(vals) - np.nanmin(vals))})
    bars.sort(key=lambda b: (b["answer"], -b["swing"]))
    return bars


def _exact(study: Study, assumptions: list[Assumption], flips: list[Flip],
           measures: Sequence[str]) -> list[Flip]:
    """Replace bisected flips of the route and shipment answers by exact ones where the
    assumption moves times or capacities affinely (:mod:`chokepoint.workflows._thresholds`):
    every flip within the range, including any the grid stepped over."""
    from chokepoint.workflows import _thresholds as th

    if not study.focus or not {"route", "shipment"} & set(measures):
        return flips
    keys = ["route_via_focus", *(["shipment_weakest"] if "shipment" in measures else [])]
    points = th.Points.of(study.scenario)
    out = []
    for a in assumptions:
        mine = [f for f in flips if f.assumption == a.id]
        kind = th.effect(a.paths) if a.high > a.low else "none"
        exact: list[th.ExactFlip] = []
        covered: set[str] = set()
        if kind in ("time", "capacity"):
            dep = th.dependence(points, a.id, a.low, a.high, {}, value=a.value)
            if dep.kind == "time":  # exact for the route; the shipment's weakest is bisected
                exact = th.route_flips(points, a.id, a.low, a.high, dep, study.focus, {})
                covered = {"route_via_focus"}
            elif dep.kind == "capacity":
                exact = th.capacity_flips(points, a.id, a.low, a.high, dep, keys, lambda s:
                                          headline(s, measures=("route", "shipment"),
                                                   focus=study.focus), {})
                covered = set(keys)
        out += [f for f in mine if f.answer not in covered]
        out += [Flip(a.id, x.answer, x.value, x.below, x.above, (x.value, x.value), a.unit,
                     "exact") for x in exact if x.answer in covered]
    return out


def sample_points(assumptions: Sequence[Assumption], samples: int, seed: int
                  ) -> list[dict[str, float]]:
    """``samples`` points drawn uniformly from the assumptions' box (seeded)."""
    rng = np.random.default_rng(seed)
    return [{a.id: float(rng.uniform(a.low, a.high)) for a in assumptions}
            for _ in range(samples)]


def evaluate(study: Study, points: Sequence[dict[str, float]], measures: Sequence[str],
             seed: int = 0) -> list[dict[str, Any]]:
    """The answers at each point, one after the other (the default joint runner)."""
    return [{**p, **study.answers(p, measures, seed)} for p in points]


Runner = Callable[[Study, Sequence[dict[str, float]], Sequence[str], int],
                  list[dict[str, Any]]]


def _joint(study: Study, assumptions: list[Assumption], measures: Sequence[str],
           samples: int, seed: int, base: dict[str, Any], runner: Runner
           ) -> tuple[list[dict[str, Any]], dict[str, float]]:
    rows = runner(study, sample_points(assumptions, samples, seed), measures, seed)
    agree = {k: float(np.mean([r[k] == base[k] for r in rows])) for k in CATEGORICAL
             if k in base and rows}
    return rows, agree


def sensitivity(study: Study, *, only: Sequence[str] = (), measures: Sequence[str] = MEASURES,
                grid: int = 3, samples: int = 0, seed: int = 0, tol: float = 1e-3,
                runner: Runner | None = None, progress: Progress = None) -> SensitivityResult:
    """Vary the scenario's assumptions one at a time (and jointly) and locate answer flips.

    Parameters
    ----------
    study
        The scenario as a :class:`Study` (its ``focus`` groups are the structure the question
        is about, e.g. the Severomuysky tunnel and the Devil's Bridge).
    only
        Assumption ids to vary (default: all).
    measures
        Headline answers to compute (``route``, ``shipment``, ``corridor``, ``attack``,
        ``campaign``).
    grid
        Values per assumption, evenly spaced from ``low`` to ``high`` (plus the scenario's).
    samples
        Joint random points (seeded uniform over the box; 0 = none).
    tol
        Bisection tolerance as a share of each range.
    runner
        Evaluates the joint sample (default :func:`evaluate`, in this process;
        :func:`chokepoint.sweep.sensitivity.dask_runner` spreads it over Dask workers).

    Returns
    -------
    SensitivityResult
    """
    bad = [m for m in measures if m not in MEASURES]
    if bad:
        raise InputError(f"unknown measure {bad[0]!r} (have: {', '.join(MEASURES)})")
    s = study.scenario()
    chosen = [a for a in s.assumptions if not only or a.id in only]
    missing = sorted(set(only) - {a.id for a in s.assumptions})
    if missing:
        raise InputError(f"no assumption {missing[0]!r} in the scenario", source=study.source)
    base = study.answers(None, measures, seed)
    res = SensitivityResult(base=base, assumptions=chosen, measures=tuple(measures))
    for i, a in enumerate(chosen):
        rows, flips = _scan(study, a, measures, grid, tol, base)
        res.one_at_a_time += rows
        res.flips += flips
        if progress is not None:
            progress(i + 1, len(chosen))
    res.flips = _exact(study, chosen, res.flips, measures)
    res.tornado = _tornado(res.one_at_a_time, chosen, base)
    if samples:
        res.joint, res.joint_agreement = _joint(study, chosen, measures, samples, seed, base,
                                                runner or evaluate)
    return res
