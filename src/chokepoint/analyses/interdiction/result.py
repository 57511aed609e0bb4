"""The answer of every interdiction in this package: a plan, its value and its proof."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

__all__ = ["InterdictionResult"]


@dataclass(kw_only=True)
class InterdictionResult:
    """The best attack found, its verified value and the proof status.

    Attributes
    ----------
    value
        Max flow (``max_flow_interdiction``) or fastest travel time
        (``shortest_path_interdiction``; ``inf`` when disconnected) after the attack,
        recomputed with the flow or route engine.
    removed
        Ids of the attacked elements (of ``kind``).
    status
        ``"optimal"`` (proved), ``"time_limit"`` (the MIP stopped; ``lower_bound`` and
        ``upper_bound`` bracket the optimum), ``"heuristic"`` (method ``"bounds"`` without a
        proof) or ``"disconnected"`` (shortest path: the attack cuts every route; optimal).
    lower_bound, upper_bound
        Bounds on the optimum: for flow, ``upper_bound == value`` (the plan is feasible);
        for travel time, ``lower_bound == value``.
    gap
        ``upper_bound - lower_bound`` (0 when proved optimal).
    intact_value
        The value with no attack.
    method
        ``"bounds"``, ``"mip"``, ``"min-cut"`` (disconnection) or ``"trivial"``.
    removed_arcs
        The arcs taken out by the plan.
    solver
        Diagnostics: solver name, MIP status, node count, max flows solved, time.
    """

    value: float
    removed: list[str]
    status: str
    lower_bound: float
    upper_bound: float
    gap: float
    intact_value: float
    method: str
    kind: str = "link"
    k: int | None = None
    budget: float = 0.0
    removed_arcs: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=np.int64))
    solver: dict[str, Any] = field(default_factory=dict)

    @property
    def proved(self) -> bool:
        """Whether the value is proved optimal."""
        return self.status in ("optimal", "disconnected")
