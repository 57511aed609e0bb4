"""Scenarios: a network plus what moves over it, what breaks, and how results are reported.

The on-disk format (TOML, ``version = 1``) is documented in ``docs/scenario-format.md``; this
module holds its schema (pydantic, ``extra="forbid"`` so a typo is an error, not a silent
default) and the validated :class:`Scenario` object. Reading files lives in
:mod:`chokepoint.io`; the model knows no file format.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

import numpy as np
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from chokepoint._lazy import LazyModule
from chokepoint.errors import InputError
from chokepoint.network import Network
from chokepoint.provenance import CitationReport, cite_figures
from chokepoint.route_rules import commodity_route, excluded_links
from chokepoint.timeline import StochasticFailure
from chokepoint.units import BASE_RATE, Units

if TYPE_CHECKING:
    import pandas as pd
else:
    pd = LazyModule("pandas")

__all__ = ["SCENARIO_VERSION", "Assumption", "Demand", "Disruption", "Scenario",
           "scenario_from_dict"]

SCENARIO_VERSION = 1


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", populate_by_name=True)


class UnitsModel(_Strict):
    """``[units]``: conversion factors, the default capacity unit and the report units."""

    tonnes_per_train: float | None = Field(None, gt=0)
    teu_per_train: float | None = Field(None, gt=0)
    tonnes_per_teu: float | None = Field(None, gt=0)
    teu_per_container: float = Field(1.0, gt=0)
    days_per_year: float = Field(365.0, gt=0)
    capacity_unit: str | None = None
    report: list[str] = Field(default_factory=list)
    sources: dict[str, str] = Field(default_factory=dict)


class NodeModel(_Strict):
    """One ``[[nodes]]`` entry."""

    id: str = Field(min_length=1)
    name: str = ""
    kind: str = "node"
    lon: float | None = Field(None, ge=-180, le=180)
    lat: float | None = Field(None, ge=-90, le=90)
    handling_capacity: float | None = Field(None, ge=0)
    handling_unit: str | None = None
    dwell_h: float = Field(0.0, ge=0)
    group: str = ""
    attack_cost: float | None = Field(None, ge=0)
    attackable: bool = True
    repair_days: float | None = Field(None, ge=0)
    source: str = ""
    note: str = ""
    provenance: dict[str, str] = Field(default_factory=dict)


class LinkModel(_Strict):
    """One ``[[links]]`` entry. Give ``time_h`` or ``speed_kmh`` (with ``length_km``)."""

    id: str = Field(min_length=1)
    from_: str = Field(alias="from", min_length=1)
    to: str = Field(min_length=1)
    name: str = ""
    mode: Literal["rail", "sea", "road", "transfer", "river", "other"] = "rail"
    length_km: float | None = Field(None, ge=0)
    capacity: float | None = Field(None, ge=0)
    unit: str | None = None
    time_h: float | None = Field(None, ge=0)
    speed_kmh: float | None = Field(None, gt=0)
    cost: float | None = Field(None, ge=0)
    direction: Literal["forward", "both"] = "both"
    track: Literal["single", "double"] = "double"
    structure: Literal["none", "tunnel", "bridge", "viaduct", "port", "other"] = "none"
    group: str = ""
    attack_cost: float | None = Field(None, ge=0)
    attackable: bool = True
    repair_days: float | None = Field(None, ge=0)
    source: str = ""
    note: str = ""
    provenance: dict[str, str] = Field(default_factory=dict)

    @field_validator("length_km", "time_h", "speed_kmh", "cost", "attack_cost", "repair_days")
    @classmethod
    def _finite(cls, v: float | None) -> float | None:
        if v is not None and not math.isfinite(v):
            raise ValueError("must be a finite number")
        return v

    @field_validator("capacity")
    @classmethod
    def _capacity(cls, v: float | None) -> float | None:
        if v is not None and (math.isnan(v) or v < 0):
            raise ValueError("capacity must be a number >= 0 (inf or left out: unlimited)")
        return v


class DemandModel(_Strict):
    """One ``[[commodities]]`` or ``[[background]]`` entry.

    Either ``rate`` (with a rate ``unit`` such as ``"Mt/yr"``) or ``quantity`` (with a
    quantity ``unit`` such as ``"TEU"``) over ``start``..``end``.
    """

    id: str = Field(min_length=1)
    origin: str = Field(min_length=1)
    destination: str = Field(min_length=1)
    rate: float | None = Field(None, ge=0)
    quantity: float | None = Field(None, ge=0)
    unit: str
    start: dt.date | None = None
    end: dt.date | None = None
    priority: float = Field(1.0, gt=0)
    returns_empty: bool = False
    via: list[str] = Field(default_factory=list)
    allowed_modes: list[Literal["rail", "sea", "road", "transfer", "river", "other"]] = Field(
        default_factory=list)
    allowed_links: list[str] = Field(default_factory=list)
    forbidden_links: list[str] = Field(default_factory=list)
    display_unit: str = ""
    name: str = ""
    source: str = ""
    note: str = ""
    provenance: dict[str, str] = Field(default_factory=dict)


class DisruptionModel(_Strict):
    """One ``[[disruptions]]`` entry: an element or failure group loses capacity."""

    id: str = ""
    element: str = Field(min_length=1)
    start: dt.datetime | dt.date
    end: dt.datetime | dt.date | None = None
    capacity_factor: float = Field(0.0, ge=0, le=1)
    repair_days: float | None = Field(None, ge=0)
    source: str = ""
    note: str = ""
    provenance: dict[str, str] = Field(default_factory=dict)


class StochasticFailureModel(_Strict):
    """One ``[[stochastic_failures]]`` entry: a random failure process for Monte Carlo runs."""

    id: str = ""
    element: str = Field(min_length=1)
    probability_per_day: float = Field(ge=0, le=1)
    repair_days_mean: float = Field(ge=0)
    repair_distribution: Literal["exponential", "lognormal", "fixed"] = "exponential"
    repair_days_sigma: float = Field(0.5, ge=0)
    capacity_factor: float = Field(0.0, ge=0, le=1)
    period_days: float = Field(1.0, gt=0)
    source: str = ""
    note: str = ""
    provenance: dict[str, str] = Field(default_factory=dict)


class AssumptionModel(_Strict):
    """One ``[[assumptions]]`` entry: an uncertain figure (or several tied together) and the
    range it may take, for ``chokepoint sensitivity``."""

    id: str = Field(min_length=1)
    paths: list[str] = Field(min_length=1)
    low: float
    high: float
    unit: str = ""
    name: str = ""
    reasoning: str = Field(min_length=1)
    source: str = ""

    @field_validator("low", "high")
    @classmethod
    def _finite(cls, v: float) -> float:
        if not math.isfinite(v):
            raise ValueError("must be a finite number")
        return v


class FlowModel(_Strict):
    """``[flow]``: throughput terminals of a network without commodities (a scenario with
    commodities ships its first commodity instead, see :mod:`chokepoint.workflows.shipment`)."""

    sources: list[str] = Field(default_factory=list)
    sinks: list[str] = Field(default_factory=list)


class NetworkFilesModel(_Strict):
    """``[network]``: optional node and link files, relative to the scenario file."""

    nodes: str | None = None
    links: str | None = None


class ScenarioModel(_Strict):
    """The whole scenario file."""

    format: Literal["chokepoint-scenario"] = "chokepoint-scenario"
    version: int
    name: str = "scenario"
    description: str = ""
    units: UnitsModel = Field(default_factory=lambda: UnitsModel())
    network: NetworkFilesModel = Field(default_factory=lambda: NetworkFilesModel())
    nodes: list[NodeModel] = Field(default_factory=list)
    links: list[LinkModel] = Field(default_factory=list)
    commodities: list[DemandModel] = Field(default_factory=list)
    background: list[DemandModel] = Field(default_factory=list)
    disruptions: list[DisruptionModel] = Field(default_factory=list)
    stochastic_failures: list[StochasticFailureModel] = Field(default_factory=list)
    flow: FlowModel = Field(default_factory=lambda: FlowModel())
    simulation: dict[str, Any] = Field(default_factory=dict)
    references: dict[str, str] = Field(default_factory=dict)
    assumptions: list[AssumptionModel] = Field(default_factory=list)
    provenance: dict[str, str] = Field(default_factory=dict)

    @field_validator("version")
    @classmethod
    def _version(cls, v: int) -> int:
        if v != SCENARIO_VERSION:
            raise ValueError(f"this chokepoint reads scenario version {SCENARIO_VERSION}, not {v}")
        return v


@dataclass(frozen=True)
class Demand:
    """A flow to serve: a commodity of the scenario or background traffic.

    ``rate`` is in the network's base unit (t/day for scenarios).
    """

    id: str
    origin: str
    destination: str
    rate: float
    priority: float = 1.0
    kind: Literal["commodity", "background"] = "commodity"
    returns_empty: bool = False
    name: str = ""
    quantity: float | None = None
    quantity_unit: str | None = None
    start: dt.date | None = None
    end: dt.date | None = None
    source: str = ""
    via: tuple[str, ...] = ()
    allowed_modes: tuple[str, ...] = ()
    allowed_links: tuple[str, ...] = ()
    forbidden_links: tuple[str, ...] = ()
    excluded_links: tuple[str, ...] = ()
    display_unit: str = ""

    @property
    def stops(self) -> list[str]:
        """Origin, the ``via`` nodes in order, destination."""
        return [self.origin, *self.via, self.destination]

    @property
    def label(self) -> str:
        """``id: origin → via … → destination``, for every output that names the commodity."""
        return f"{self.id}: " + " → ".join(self.stops)


@dataclass(frozen=True)
class Disruption:
    """An element or failure group whose capacity is scaled from ``start`` to ``end``."""

    id: str
    element: str
    start: dt.datetime
    end: dt.datetime | None
    capacity_factor: float = 0.0
    repair_days: float | None = None
    source: str = ""


@dataclass(frozen=True)
class Assumption:
    """An uncertain figure of the scenario and its range (``[[assumptions]]``).

    ``paths`` name figures (``links.<id>.capacity``, ``simulation.ship_teu`` …) that take the
    same value; ``value`` is the value the scenario uses (that of the first path).
    """

    id: str
    paths: tuple[str, ...]
    value: float
    low: float
    high: float
    unit: str = ""
    name: str = ""
    reasoning: str = ""
    source: str = ""


@dataclass
class Scenario:
    """A validated scenario: the network, demands, disruptions and settings.

    A bare network file loads as a scenario with no demands; ``sources``/``sinks`` are the
    default terminals of max-flow questions (from ``[flow]`` or a DIMACS file's ``n s/t``).
    """

    network: Network
    name: str = "scenario"
    description: str = ""
    commodities: list[Demand] = field(default_factory=list)
    background: list[Demand] = field(default_factory=list)
    disruptions: list[Disruption] = field(default_factory=list)
    stochastic_failures: list[StochasticFailure] = field(default_factory=list)
    sources: list[str] = field(default_factory=list)
    sinks: list[str] = field(default_factory=list)
    simulation: dict[str, Any] = field(default_factory=dict)
    references: dict[str, str] = field(default_factory=dict)
    path: str | None = None
    supplies: dict[str, float] = field(default_factory=dict)
    assumptions: list[Assumption] = field(default_factory=list)
    citations: CitationReport = field(default_factory=CitationReport)

    @property
    def units(self) -> Units:
        """The network's units."""
        return self.network.units

    def terminals(self, sources: Sequence[str] | None = None,
                  sinks: Sequence[str] | None = None) -> tuple[list[str], list[str]]:
        """Sources and sinks for throughput questions: those given, else ``[flow]``, else the
        first commodity's origin and destination (empty lists when there is none)."""
        first = self.commodities[0] if self.commodities else None
        src = list(sources or self.sources or ([first.origin] if first else []))
        snk = list(sinks or self.sinks or ([first.destination] if first else []))
        return [str(x) for x in src], [str(x) for x in snk]

    @property
    def demands(self) -> list[Demand]:
        """Commodities then background traffic."""
        return [*self.commodities, *self.background]


_SINGULAR = {"nodes": "node", "links": "link", "commodities": "commodity",
             "background": "background", "disruptions": "disruption",
             "stochastic_failures": "stochastic failure"}


def _fmt_loc(data: dict[str, Any], loc: tuple[Any, ...]) -> str:
    """Turn a pydantic error location into words, with the element's id if it has one."""
    parts: list[str] = []
    cur: Any = data
    for i, key in enumerate(loc):
        if isinstance(key, int) and isinstance(cur, list) and key < len(cur):
            item = cur[key]
            name = item.get("id") if isinstance(item, dict) else None
            table = str(loc[i - 1]) if i else "entry"
            single = _SINGULAR.get(table, table)
            parts[-1:] = [f"{single} {name!r}" if name else f"{table}[{key}]"]
            cur = item
        else:
            parts.append(str(key))
            cur = cur.get(key) if isinstance(cur, dict) else None
    return ".".join(parts) if parts else "scenario"


def as_utc(x: dt.date | dt.datetime) -> dt.datetime:
    """The one rule for times in a scenario: a time without an offset is UTC; a time with an
    offset (``2023-11-29T22:18:00+08:00``) is converted to UTC; a date is its midnight UTC.
    Returned naive, so aware and naive inputs compare."""
    if isinstance(x, dt.datetime):
        if x.tzinfo is not None:
            return x.astimezone(dt.UTC).replace(tzinfo=None)
        return x
    return dt.datetime(x.year, x.month, x.day)


def scenario_from_dict(
    data: dict[str, Any],
    *,
    source: str | Path | None = None,
    load_table: Callable[[str], pd.DataFrame] | None = None,
) -> Scenario:
    """Validate a scenario mapping (as read from TOML) and build the :class:`Scenario`.

    Parameters
    ----------
    data
        The parsed file.
    source
        The file name, for error messages.
    load_table
        Reads a node or link file named in ``[network]`` (supplied by :mod:`chokepoint.io`).

    Raises
    ------
    InputError
        Naming the file, the element and what is wrong.
    """
    try:
        model = ScenarioModel.model_validate(data)
    except ValidationError as exc:
        err = exc.errors()[0]
        where = _fmt_loc(data, tuple(err["loc"]))
        msg = err["msg"].removeprefix("Value error, ")
        if err["type"] == "extra_forbidden":
            msg = "unknown field (check the spelling against docs/scenario-format.md)"
        raise InputError(msg, source=source, element=where) from None

    u = model.units
    units = Units(tonnes_per_train=u.tonnes_per_train, teu_per_train=u.teu_per_train,
                  tonnes_per_teu=u.tonnes_per_teu, teu_per_container=u.teu_per_container,
                  days_per_year=u.days_per_year, base=BASE_RATE, report=tuple(u.report),
                  sources=dict(u.sources))
    for r in units.report:
        if (problem := units.check(r)) is not None:
            raise InputError(problem, source=source, element=f"units.report {r!r}")

    def rate(value: float | None, unit: str | None, element: str, *, combined: bool = False,
             default: float = np.inf) -> float:
        if value is None:
            return default
        unit = unit or u.capacity_unit
        if unit is None:
            raise InputError("capacity has no unit (give 'unit' or [units].capacity_unit)",
                             source=source, element=element)
        try:
            return units.to_base(value, unit, combined=combined)
        except ValueError as exc:
            raise InputError(str(exc), source=source, element=element) from None

    node_rows = []
    for nd in model.nodes:
        el = f"node {nd.id!r}"
        hc = rate(nd.handling_capacity, nd.handling_unit, el) if nd.handling_capacity is not None \
            else np.inf
        node_rows.append({"id": nd.id, "name": nd.name, "kind": nd.kind,
                          "lon": np.nan if nd.lon is None else nd.lon,
                          "lat": np.nan if nd.lat is None else nd.lat,
                          "handling_capacity": hc, "dwell_h": nd.dwell_h, "group": nd.group,
                          "attack_cost": nd.attack_cost, "attackable": nd.attackable,
                          "repair_days": nd.repair_days, "source": nd.source})
    link_rows = []
    for lk in model.links:
        el = f"link {lk.id!r}"
        combined = lk.direction == "both" and lk.track == "single"
        time_h = lk.time_h
        if time_h is None and lk.speed_kmh is not None:
            if lk.length_km is None:
                raise InputError("speed_kmh needs length_km", source=source, element=el)
            time_h = lk.length_km / lk.speed_kmh
        link_rows.append({"id": lk.id, "from": lk.from_, "to": lk.to, "name": lk.name,
                          "mode": lk.mode, "length_km": lk.length_km,
                          "capacity": rate(lk.capacity, lk.unit, el, combined=combined),
                          "time_h": time_h, "cost": lk.cost, "direction": lk.direction,
                          "track": lk.track, "structure": lk.structure, "group": lk.group,
                          "attack_cost": lk.attack_cost, "attackable": lk.attackable,
                          "repair_days": lk.repair_days, "source": lk.source})
    nodes = pd.DataFrame(node_rows) if node_rows else None
    links = pd.DataFrame(link_rows) if link_rows else None
    if model.network.nodes or model.network.links:
        if load_table is None:
            raise InputError("[network] names files but no file loader was given", source=source)
        if model.network.nodes:
            extra = _file_nodes(load_table(model.network.nodes), rate)
            nodes = extra if nodes is None else pd.concat([nodes, extra], ignore_index=True)
        if model.network.links:
            extra = _file_links(load_table(model.network.links), rate, model.network.links)
            links = extra if links is None else pd.concat([links, extra], ignore_index=True)
    if links is None:
        raise InputError("the scenario has no links (add [[links]] or [network].links)",
                         source=source)
    net = Network.from_frames(nodes, links, units=units, name=model.name, source=source)

    known = net.compiled.node_index

    def demand(d: DemandModel, kind: Literal["commodity", "background"]) -> Demand:
        table = "commodity" if kind == "commodity" else "background"
        el = f"{table} {d.id!r}"
        for end in ("origin", "destination"):
            if getattr(d, end) not in known:
                raise InputError(f"{end} names unknown node {getattr(d, end)!r}", source=source,
                                 element=el)
        if d.origin == d.destination:
            raise InputError("origin and destination are the same node", source=source,
                             element=el)
        if (d.rate is None) == (d.quantity is None):
            raise InputError("give exactly one of 'rate' or 'quantity'", source=source,
                             element=el)
        if d.start and d.end and d.end < d.start:
            raise InputError("end is before start", source=source, element=el)
        try:
            if d.rate is not None:
                r = units.to_base(d.rate, d.unit)
            else:
                if not (d.start and d.end):
                    raise InputError("'quantity' needs 'start' and 'end' (its time window)",
                                     source=source, element=el)
                days = max((d.end - d.start).days, 1)
                r = units.quantity_factor(d.unit) * float(d.quantity or 0.0) / days
        except ValueError as exc:
            raise InputError(str(exc), source=source, element=el) from None
        _check_route(d, known, net.compiled.link_index, source, el)
        excl = excluded_links(net.links["id"].to_numpy(dtype=object),
                              net.links["mode"].to_numpy(dtype=object),
                              allowed_modes=tuple(d.allowed_modes),
                              allowed_links=tuple(d.allowed_links),
                              forbidden_links=tuple(d.forbidden_links))
        return Demand(id=d.id, origin=d.origin, destination=d.destination, rate=r,
                      priority=d.priority, kind=kind, returns_empty=d.returns_empty,
                      name=d.name or d.id, quantity=d.quantity,
                      quantity_unit=d.unit if d.quantity is not None else None, start=d.start,
                      end=d.end, source=d.source, via=tuple(d.via),
                      allowed_modes=tuple(d.allowed_modes),
                      allowed_links=tuple(d.allowed_links),
                      forbidden_links=tuple(d.forbidden_links), excluded_links=excl,
                      display_unit=_display_unit(d, kind, units, source, el))

    commodities = [demand(d, "commodity") for d in model.commodities]
    background = [demand(d, "background") for d in model.background]
    ids = [d.id for d in [*commodities, *background]]
    dup = {i for i in ids if ids.count(i) > 1}
    if dup:
        raise InputError("duplicate demand id", source=source, element=f"demand {min(dup)!r}")
    _check_connected(net, [*commodities, *background], source)

    def as_dt(x: dt.date | dt.datetime) -> dt.datetime:
        return as_utc(x)

    disruptions = []
    c = net.compiled
    for k, ds in enumerate(model.disruptions):
        did = ds.id or f"disruption-{k + 1}"
        el = f"disruption {did!r}"
        if not (ds.element in c.link_index or ds.element in c.node_index
                or ds.element in c.group_index):
            raise InputError(f"element {ds.element!r} is not a link, node or failure group",
                             source=source, element=el)
        start = as_dt(ds.start)
        end = as_dt(ds.end) if ds.end is not None else None
        if end is not None and end <= start:
            raise InputError("end is not after start", source=source, element=el)
        disruptions.append(Disruption(id=did, element=ds.element, start=start, end=end,
                                      capacity_factor=ds.capacity_factor,
                                      repair_days=ds.repair_days, source=ds.source))
    failures = []
    for k, sf in enumerate(model.stochastic_failures):
        fid = sf.id or f"stochastic-failure-{k + 1}"
        if not (sf.element in c.link_index or sf.element in c.node_index
                or sf.element in c.group_index):
            raise InputError(f"element {sf.element!r} is not a link, node or failure group",
                             source=source, element=f"stochastic failure {fid!r}")
        failures.append(StochasticFailure(
            element=sf.element, probability_per_day=sf.probability_per_day,
            repair_days_mean=sf.repair_days_mean, repair_distribution=sf.repair_distribution,
            repair_days_sigma=sf.repair_days_sigma, capacity_factor=sf.capacity_factor,
            period_days=sf.period_days, id=fid))
    for side in ("sources", "sinks"):
        for v in getattr(model.flow, side):
            if v not in known:
                raise InputError(f"names unknown node {v!r}", source=source,
                                 element=f"flow.{side}")
    if commodities and (model.flow.sources or model.flow.sinks):
        raise InputError("[flow] gives throughput terminals to a network without commodities; "
                         "this scenario ships commodities, and the first one's origin, "
                         "destination and route rules are the shipment's terminals: remove "
                         "[flow]", source=source, element="flow")
    citations, assumptions = _provenance(model, source)
    return Scenario(network=net, name=model.name, description=model.description,
                    commodities=commodities, background=background, disruptions=disruptions,
                    stochastic_failures=failures,
                    sources=list(model.flow.sources), sinks=list(model.flow.sinks),
                    simulation=dict(model.simulation), references=dict(model.references),
                    path=str(source) if source is not None else None,
                    assumptions=assumptions, citations=citations)


def _display_unit(d: DemandModel, kind: str, units: Units, source: str | Path | None,
                  element: str) -> str:
    """The rate unit a demand's figures are shown in: ``display_unit`` if given (checked),
    else its own rate unit, a quantity's per day (``TEU`` -> ``TEU/day``), ``Mt/yr`` for
    background traffic, else the first report unit (the base unit for unitless networks)."""
    if units.base == "unit":
        return units.base
    if d.display_unit:
        try:
            units.from_base(1.0, d.display_unit)
        except ValueError as exc:
            raise InputError(f"display_unit {d.display_unit!r}: {exc}", source=source,
                             element=element) from None
        return d.display_unit
    own = d.unit if "/" in d.unit else f"{d.unit}/day"
    for unit in (own, *(("Mt/yr",) if kind == "background" else ())):
        try:
            units.from_base(1.0, unit)
        except ValueError:
            continue
        return unit
    return units.report_units[0]


def _provenance(model: ScenarioModel, source: str | Path | None
                ) -> tuple[CitationReport, list[Assumption]]:
    """Classify every figure's citation and resolve ``[[assumptions]]`` against them."""
    try:
        rep = cite_figures(model)
    except ValueError as exc:
        where, _, msg = str(exc).partition(": ")
        raise InputError(msg, source=source, element=where) from None
    out: list[Assumption] = []
    ids = [a.id for a in model.assumptions]
    for a in model.assumptions:
        el = f"assumption {a.id!r}"
        if ids.count(a.id) > 1:
            raise InputError("duplicate assumption id", source=source, element=el)
        missing = [p for p in a.paths if p not in rep.values]
        if missing:
            raise InputError(f"path {missing[0]!r} is not a numeric figure of the scenario",
                             source=source, element=el)
        if a.low > a.high:
            raise InputError("low is above high", source=source, element=el)
        out.append(Assumption(id=a.id, paths=tuple(a.paths), value=rep.values[a.paths[0]],
                              low=a.low, high=a.high, unit=a.unit, name=a.name or a.id,
                              reasoning=a.reasoning, source=a.source))
    return rep, out


def _file_nodes(table: pd.DataFrame, rate: Callable[..., float]) -> pd.DataFrame:
    """Nodes from a file named in ``[network]``: handling capacities converted from their
    ``handling_unit`` column or ``[units].capacity_unit``."""
    t = table.copy()
    if "handling_capacity" in t.columns:
        units = t["handling_unit"] if "handling_unit" in t.columns else pd.Series(
            None, index=t.index)
        caps = pd.to_numeric(t["handling_capacity"], errors="coerce")
        ids = t["id"] if "id" in t.columns else pd.Series(range(len(t)), index=t.index)
        t["handling_capacity"] = [
            np.inf if c != c else rate(float(c), un if isinstance(un, str) and un else None,
                                       f"node {i!r}")
            for c, un, i in zip(caps, units, ids, strict=True)]
    return t.drop(columns=[c for c in ("handling_unit",) if c in t.columns])


def _file_links(table: pd.DataFrame, rate: Callable[..., float], name: str) -> pd.DataFrame:
    """Links from a file named in ``[network]``: scenario defaults (two-way, double track)
    and capacities converted from their ``unit`` column or ``[units].capacity_unit``."""
    t = table.copy()
    for col, default in (("direction", "both"), ("track", "double")):
        if col not in t.columns:
            t[col] = default
        t[col] = t[col].astype(object).where(t[col].notna() & (t[col] != ""), default)
    if "id" not in t.columns:
        t["id"] = [f"{name}:{i + 1}" for i in range(len(t))]
    if "capacity" in t.columns:
        units = t["unit"] if "unit" in t.columns else pd.Series(None, index=t.index)
        caps = pd.to_numeric(t["capacity"], errors="coerce")
        t["capacity"] = [
            np.inf if (c != c and (raw is None or raw != raw or str(raw).strip() == ""))
            else rate(float(c), un if isinstance(un, str) and un else None, f"link {i!r}",
                      combined=(d == "both" and tr == "single"))
            for c, raw, un, i, d, tr in zip(caps, t["capacity"], units, t["id"],
                                            t["direction"], t["track"], strict=True)
        ]
    return t.drop(columns=[c for c in ("unit",) if c in t.columns])


def _check_route(d: DemandModel, known: Mapping[str, int], links: Mapping[str, int],
                 source: str | Path | None, el: str) -> None:
    """Route fields name known nodes and links; via nodes are distinct from the ends."""
    for v in d.via:
        if v not in known:
            raise InputError(f"via names unknown node {v!r}", source=source, element=el)
    stops = [d.origin, *d.via, d.destination]
    if len(set(stops)) != len(stops):
        raise InputError("via repeats a node or names the origin or destination",
                         source=source, element=el)
    for field_name in ("allowed_links", "forbidden_links"):
        for lid in getattr(d, field_name):
            if lid not in links:
                raise InputError(f"{field_name} names unknown link {lid!r}", source=source,
                                 element=el)


def _check_connected(net: Network, demands: list[Demand], source: str | Path | None) -> None:
    """Every leg of every demand's route is reachable over the arcs its route allows
    (ignoring capacity)."""
    if not demands:
        return
    c = net.compiled
    reach: dict[tuple[int, bytes], np.ndarray] = {}
    for d in demands:
        r = commodity_route(c, d)
        key_mask = r.arc_mask.tobytes()
        for (a, b), (va, vb) in zip(r.legs, r.leg_vertices, strict=True):
            key = (va, key_mask)
            if key not in reach:  # a numpy BFS: validating needs no scipy
                reach[key] = c.reachable(va, arc_mask=r.arc_mask)
            if not reach[key][vb]:
                table = "commodity" if d.kind == "commodity" else "background"
                what = "destination" if b == d.destination else "via node"
                frm = "origin" if a == d.origin else "via node"
                raise InputError(f"{what} {b!r} cannot be reached from {frm} {a!r}"
                                 + (" over the links its route allows" if r.constrained
                                    else ""), source=source, element=f"{table} {d.id!r}")

