"""Settings of a campaign simulation: the scenario's ``[simulation]`` table over defaults.

Every field is documented in ``docs/algorithms/simulation.md``; ``extra="forbid"`` makes a
misspelt key an error rather than a silent default.
"""

from __future__ import annotations

import datetime as dt
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from chokepoint.errors import InputError

__all__ = ["PortSettings", "SimulationSettings", "load_settings"]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class PortSettings(_Strict):
    """``[simulation.ports.<node id>]``: one port's berths, handling rate and storage."""

    berths: int | None = Field(None, ge=1)
    handling_teu_per_h: float | None = Field(None, gt=0)
    storage_teu: float | None = Field(None, gt=0)


class SimulationSettings(_Strict):
    """``[simulation]``: how the campaign runs (all optional; defaults in brackets)."""

    # --- the campaign -------------------------------------------------------------------------
    commodity: str | None = None
    containers: int | None = Field(None, ge=1)
    start: dt.datetime | dt.date | None = None
    release_days: float | None = Field(None, ge=0)
    continue_until: dt.datetime | dt.date | None = None
    via: list[str] = Field(default_factory=list)  # overrides the commodity's via (what-if)
    priority: float | None = Field(None, gt=0)
    horizon_days: float = Field(365.0, gt=0)
    # --- ships and ports ----------------------------------------------------------------------
    ships: int = Field(2, ge=1)
    ship_teu: float = Field(250.0, gt=0)
    ship_speed_kn: float | None = Field(None, gt=0)
    sea_time_cv: float = Field(0.1, ge=0, le=1)
    ship_max_wait_h: float = Field(72.0, ge=0)
    berths: int = Field(1, ge=1)
    handling_teu_per_h: float = Field(20.0, gt=0)
    ports: dict[str, PortSettings] = Field(default_factory=dict)
    transfer_h: float = Field(4.0, ge=0)
    # --- rail ---------------------------------------------------------------------------------
    teu_per_train: float | None = Field(None, gt=0)
    train_max_wait_h: float = Field(48.0, ge=0)
    train_timetable_h: float | None = Field(None, gt=0)
    train_load_h: float = Field(2.0, ge=0)
    junction_dwell: bool = True
    background: bool = True
    on_closure: Literal["reroute", "wait"] = "reroute"
    inside_closure: Literal["complete", "hold"] = "complete"
    # --- outputs ------------------------------------------------------------------------------
    sample_h: float = Field(6.0, gt=0)


def load_settings(base: dict[str, Any] | None, override: dict[str, Any] | None = None,
                  *, source: str | None = None) -> SimulationSettings:
    """Validate ``override`` merged over ``base`` (the scenario's ``[simulation]`` table).

    Raises :class:`InputError` naming the field.
    """
    data = {**(base or {}), **(override or {})}
    try:
        return SimulationSettings.model_validate(data)
    except ValidationError as exc:
        e = exc.errors()[0]
        where = "simulation." + ".".join(str(x) for x in e["loc"])
        msg = e["msg"].removeprefix("Value error, ")
        if e["type"] == "extra_forbidden":
            msg = "unknown field (see docs/algorithms/simulation.md for the [simulation] keys)"
        raise InputError(msg, source=source, element=where) from None
