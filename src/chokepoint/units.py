"""Units of capacity and quantity, with conversions declared by the scenario.

Internally every capacity and demand rate is in **tonnes per day** (``t/day``) for scenarios,
or in the file's own dimensionless unit for plain link lists and DIMACS files. Conversions
between tonnes, containers (TEU) and trains are declared in the scenario's ``[units]`` table;
a unit that needs a missing factor is an error that names the factor.

Rate units are written ``QUANTITY/TIME``, e.g. ``Mt/yr``, ``TEU/day``, ``trains/day``,
``train_pairs/day``. A *train pair* is one train each way: as a per-direction capacity it is
one train per day in each direction, as the combined capacity of a single-track line it is
two trains per day (see :func:`rate_factor`).
"""

from __future__ import annotations

from dataclasses import dataclass, field

__all__ = ["BASE_RATE", "UNITLESS", "Units"]

BASE_RATE = "t/day"
UNITLESS = "unit"

_TIME_DAYS: dict[str, float] = {
    "h": 1.0 / 24.0,
    "hour": 1.0 / 24.0,
    "day": 1.0,
    "d": 1.0,
    "week": 7.0,
    "month": 365.0 / 12.0,
}
_YEAR_ALIASES = ("yr", "year", "a")

_QTY_ALIASES: dict[str, str] = {
    "t": "t",
    "tonne": "t",
    "tonnes": "t",
    "kt": "kt",
    "mt": "Mt",
    "teu": "TEU",
    "feu": "FEU",
    "container": "container",
    "containers": "container",
    "train": "train",
    "trains": "train",
    "train_pair": "train_pair",
    "train_pairs": "train_pair",
    "unit": "unit",
    "units": "unit",
}


@dataclass(frozen=True)
class Units:
    """Conversion factors of a scenario.

    Parameters
    ----------
    tonnes_per_train
        Net payload of one freight train, in tonnes.
    teu_per_train
        Containers (TEU) carried by one container train.
    tonnes_per_teu
        Tonnes per TEU. Leave it unset to use ``tonnes_per_train / teu_per_train``
        (capacity-equivalent: one container train = one train path).
    teu_per_container
        TEU per "container" as counted in the scenario (1 for 20-ft boxes, 2 for 40-ft).
    days_per_year
        Operating days per year used for Mt/yr.
    base
        The internal rate unit: ``"t/day"`` for scenarios, ``"unit"`` for unitless files.
    report
        The units results are reported in, first one preferred.
    sources
        Where each factor comes from (fact id or citation), by factor name.
    """

    tonnes_per_train: float | None = None
    teu_per_train: float | None = None
    tonnes_per_teu: float | None = None
    teu_per_container: float = 1.0
    days_per_year: float = 365.0
    base: str = BASE_RATE
    report: tuple[str, ...] = ()
    sources: dict[str, str] = field(default_factory=dict)

    @classmethod
    def unitless(cls) -> Units:
        """Units of a dimensionless network (CSV link list, DIMACS)."""
        return cls(base=UNITLESS, report=(UNITLESS,))

    # -- parsing -----------------------------------------------------------------------------
    def _quantity_tonnes(self, qty: str, *, combined: bool) -> float:
        """Tonnes in one ``qty`` (``combined``: a train pair counts as two trains)."""
        q = _QTY_ALIASES.get(qty.strip().lower())
        if q is None:
            raise ValueError(f"unknown quantity unit {qty!r} (known: t, kt, Mt, TEU, FEU, "
                             "container, train, train_pair)")
        if q == "t":
            return 1.0
        if q == "kt":
            return 1e3
        if q == "Mt":
            return 1e6
        if q in ("TEU", "FEU", "container"):
            teu = {"TEU": 1.0, "FEU": 2.0, "container": self.teu_per_container}[q]
            tpt = self.tonnes_per_teu_effective
            if tpt is None:
                raise ValueError(f"unit {qty!r} needs [units].tonnes_per_teu, or "
                                 "tonnes_per_train and teu_per_train")
            return teu * tpt
        if q in ("train", "train_pair"):
            if self.tonnes_per_train is None:
                raise ValueError(f"unit {qty!r} needs [units].tonnes_per_train")
            return self.tonnes_per_train * (2.0 if (q == "train_pair" and combined) else 1.0)
        raise ValueError(f"unit {qty!r} is dimensionless and cannot convert to tonnes")

    def _time_days(self, t: str) -> float:
        key = t.strip().lower()
        if key in _YEAR_ALIASES:
            return self.days_per_year
        if key not in _TIME_DAYS:
            raise ValueError(f"unknown time unit {t!r} (known: h, day, week, month, yr)")
        return _TIME_DAYS[key]

    def rate_factor(self, unit: str, *, combined: bool = False) -> float:
        """Factor that turns a rate in ``unit`` into the base unit.

        Parameters
        ----------
        unit
            A rate such as ``"Mt/yr"`` or ``"train_pairs/day"``.
        combined
            True when the value is the combined capacity of both directions of a single-track
            line: a train pair then counts as two trains.

        Raises
        ------
        ValueError
            For an unknown unit or a missing conversion factor.
        """
        if self.base == UNITLESS:
            if unit.strip().lower() in ("unit", "units", ""):
                return 1.0
            raise ValueError(f"this network is unitless; unit {unit!r} cannot be used")
        if "/" not in unit:
            raise ValueError(f"rate unit {unit!r} must look like QUANTITY/TIME, e.g. 'Mt/yr'")
        qty, time = unit.split("/", 1)
        return self._quantity_tonnes(qty, combined=combined) / self._time_days(time)

    def quantity_factor(self, unit: str) -> float:
        """Tonnes in one ``unit`` of quantity (``"TEU"``, ``"t"``, ``"trains"``...)."""
        if self.base == UNITLESS:
            return 1.0
        return self._quantity_tonnes(unit, combined=False)

    def to_base(self, value: float, unit: str, *, combined: bool = False) -> float:
        """Convert a rate to the base unit."""
        return value * self.rate_factor(unit, combined=combined)

    def from_base(self, value: float, unit: str) -> float:
        """Convert a base-unit rate to ``unit``."""
        return value / self.rate_factor(unit)

    def check(self, unit: str) -> str | None:
        """Return an error message if ``unit`` cannot be converted, else None."""
        try:
            self.rate_factor(unit)
        except ValueError as exc:
            return str(exc)
        return None

    @property
    def tonnes_per_teu_effective(self) -> float | None:
        """Tonnes per TEU; by default ``tonnes_per_train / teu_per_train``.

        The default is *capacity-equivalent*: one full container train then takes exactly one
        train path, like one full bulk train, which is what rail capacity is made of.
        """
        if self.tonnes_per_teu is not None:
            return self.tonnes_per_teu
        if self.tonnes_per_train is not None and self.teu_per_train is not None:
            return self.tonnes_per_train / self.teu_per_train
        return None

    @property
    def report_units(self) -> tuple[str, ...]:
        """Units to report in (the base unit when none were declared)."""
        return self.report or (self.base,)
