"""Apply a scenario's disruptions to a compiled network as per-arc capacity factors."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable

import numpy as np

from chokepoint.compiled import CompiledNetwork
from chokepoint.scenario import Disruption

__all__ = ["capacity_factor"]


def capacity_factor(
    c: CompiledNetwork, disruptions: Iterable[Disruption], *, at: dt.datetime | None = None
) -> np.ndarray:
    """Per-arc capacity multipliers from the disruptions active at ``at``.

    With ``at=None`` every disruption is applied (the state once all have struck). Where
    several disruptions hit one arc, the smallest factor wins (the documented rule for
    overlapping events).
    """
    f = np.ones(c.n_arcs)
    for d in disruptions:
        if at is not None and not (d.start <= at and (d.end is None or at < d.end)):
            continue
        kind, eid = c.resolve(d.element)
        arcs = c.arcs_of(kind, [eid])
        f[arcs] = np.minimum(f[arcs], d.capacity_factor)
    return f
