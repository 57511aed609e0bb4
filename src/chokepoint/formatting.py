"""The one formatter for figures shown to people: numbers, units, infinity, missing values.

The console, the report, the web page and the files' text all call :func:`fmt`, so a figure
reads the same everywhere: thousands separators, a fixed number of decimals, ``∞`` for an
unlimited value, ``—`` for a missing one, and its unit after a space.
"""

from __future__ import annotations

import datetime as dt
import math
from typing import Any

__all__ = ["MISSING", "UNLIMITED", "fmt", "fmt_date", "rate_unit"]

MISSING = "—"
UNLIMITED = "∞"


def fmt(value: Any, unit: str = "", *, digits: int = 1) -> str:
    """``value`` as text with ``digits`` decimals and its ``unit``.

    ``None`` and NaN give :data:`MISSING` (no unit); ±infinity gives :data:`UNLIMITED`
    (``-∞``); integers print without decimals; booleans as ``yes``/``no``.

    Examples
    --------
    >>> fmt(12615.23, "TEU/day")
    '12,615.2 TEU/day'
    >>> fmt(float("inf"), "t/day"), fmt(None, "t"), fmt(3)
    ('∞ t/day', '—', '3')
    """
    if value is None:
        return MISSING
    if isinstance(value, bool):
        return "yes" if value else "no"
    try:
        v = float(value)
    except (TypeError, ValueError):
        return str(value)
    if math.isnan(v):
        return MISSING
    if math.isinf(v):
        text = UNLIMITED if v > 0 else f"-{UNLIMITED}"
    elif isinstance(value, int) or (float(v).is_integer() and digits == 0):
        text = f"{int(v):,}"
    else:
        text = f"{v:,.{digits}f}"
        if text.lstrip("-").strip("0.,") == "":
            text = text.lstrip("-")  # no "-0.0"
    return f"{text} {unit}" if unit else text


def fmt_date(value: dt.date | dt.datetime | None) -> str:
    """A date as ``2023-12-02`` (with ``HH:MM`` when it has a time of day); missing: ``—``."""
    if value is None:
        return MISSING
    if isinstance(value, dt.datetime) and (value.hour or value.minute):
        return f"{value:%Y-%m-%d %H:%M}"
    return f"{value:%Y-%m-%d}"


def rate_unit(unit: str) -> str:
    """The rate unit a commodity declared in ``unit`` is shown in: a rate stays as it is
    (``Mt/yr``, ``train pairs/day``), a quantity becomes per day (``TEU`` → ``TEU/day``)."""
    return unit if "/" in unit else f"{unit}/day"
