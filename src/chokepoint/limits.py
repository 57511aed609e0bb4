"""Size limits checked before anything large is allocated: one place, one message.

Every reader and every analysis that allocates in proportion to a number taken from its input
(a DIMACS header's node and arc counts, an upload's feature count, a time-expanded network's
periods × arcs) asks :func:`check_size` first. The limits are generous for a laptop and can be
raised per process with environment variables (or per server with ``serve`` options); the error
names the limit and how to change it.

=========================  ====================================  ====================
limit                      what it bounds                        default
=========================  ====================================  ====================
``CHOKEPOINT_MAX_ELEMENTS``  nodes + links of one network file     20,000,000
``CHOKEPOINT_MAX_CELLS``     cells of one working array            200,000,000
=========================  ====================================  ====================
"""

from __future__ import annotations

import math
import os
from pathlib import Path

from chokepoint.errors import InputError

__all__ = ["MAX_CAPACITY", "MAX_CELLS", "MAX_ELEMENTS", "check_seed", "check_size", "limit"]

#: The one rule for capacities, in every format (TOML, CSV, GIS, DIMACS): a number >= 0;
#: ``inf`` (or a missing value) means unlimited; a finite capacity above this, in the base
#: unit per day, is refused (it is a typo, and sums of such values overflow exact solvers).
MAX_CAPACITY = 1e15

#: Default upper bound on the nodes + links of one network read from a file.
MAX_ELEMENTS = 20_000_000
#: Default upper bound on the cells (entries) of one working array an analysis allocates.
MAX_CELLS = 200_000_000

_ENV = {"elements": ("CHOKEPOINT_MAX_ELEMENTS", MAX_ELEMENTS),
        "cells": ("CHOKEPOINT_MAX_CELLS", MAX_CELLS)}


def limit(name: str) -> int:
    """The limit ``name`` (``"elements"`` or ``"cells"``): its environment variable, else the
    default. A malformed variable is an :class:`InputError`, not a silent default."""
    env, default = _ENV[name]
    raw = os.environ.get(env)
    if raw is None or not raw.strip():
        return default
    try:
        value = int(raw.strip().replace("_", ""))
    except ValueError:
        raise InputError(f"{env} must be a whole number, not {raw[:40]!r}") from None
    if value < 1:
        raise InputError(f"{env} must be at least 1, not {value}")
    return value


def check_size(what: str, n: float, *, name: str = "elements", maximum: int | None = None,
               source: str | Path | None = None, element: str | None = None,
               hint: str = "") -> None:
    """Refuse ``n`` (a count or an estimate) above the limit, before anything is allocated.

    Parameters
    ----------
    what
        What is counted, in words (``"arcs in the problem line"``).
    n
        The count or estimate; NaN or infinity is refused too.
    name
        Which limit (``"elements"`` or ``"cells"``), used when ``maximum`` is None.
    maximum
        An explicit limit (a server's upload limit, say) instead of the process-wide one.
    source, element
        Where the number came from (for the message).
    hint
        How to stay under the limit (appended to the message).

    Raises
    ------
    InputError
        Naming the count, the limit and how to raise it.
    """
    top = limit(name) if maximum is None else maximum
    if isinstance(n, float) and not math.isfinite(n):
        raise InputError(f"{what} is not finite ({n})", source=source, element=element)
    if n > top:
        how = (f"raise it with the environment variable {_ENV[name][0]}" if maximum is None
               else "the limit is a setting of whoever runs this")
        tail = f"; {hint}" if hint else ""
        raise InputError(f"{what} ({_count(n)}) exceeds the limit of {top:,} ({how}){tail}",
                         source=source, element=element)


def _count(n: float) -> str:
    if isinstance(n, float) and not n.is_integer():
        return f"{n:,.3g}"
    return f"{int(n):,}" if abs(n) < 1e18 else f"{n:.3g}"


def check_seed(seed: object, *, what: str = "seed") -> int:
    """A random seed as an int in ``0 .. 2**64 - 1`` (what numpy's generators accept), or an
    :class:`InputError` saying so (a negative, fractional or huge seed is refused here, not by
    a numpy traceback)."""
    if isinstance(seed, bool) or not isinstance(seed, int | float) or (
            isinstance(seed, float) and not seed.is_integer()):
        raise InputError(f"{what} must be a whole number from 0 to 2**64 - 1, not {seed!r}")
    value = int(seed)
    if not 0 <= value < 2**64:
        raise InputError(f"{what} must be a whole number from 0 to 2**64 - 1, not {value}")
    return value
