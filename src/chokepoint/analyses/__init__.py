"""Analyses: plain functions of a compiled network (and a scenario's demands).

Each takes a :class:`~chokepoint.compiled.CompiledNetwork` (``network.compiled``), never
rebuilds it, and returns a small result object with arrays indexed like the network's arcs or
links. None of them prints, draws or knows about the CLI.

The names below load on first use (PEP 562): importing one analysis module (for example
``chokepoint.analyses.multiperiod``) does not import every other analysis and its solver.
"""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # the names for type checkers; at run time they load on first use
    from chokepoint.analyses.maxflow import MaxFlowResult, max_flow
    from chokepoint.analyses.mincost import MinCostFlowResult, min_cost_flow
    from chokepoint.analyses.routes import Route, fastest_route, od_matrix
    from chokepoint.analyses.routing import (
        CommodityFlowResult,
        commodity_max_flow,
        commodity_route,
    )
    from chokepoint.analyses.served import ServedDemandResult, served_demand

#: Public name → the module defining it.
_LAZY = {
    "CommodityFlowResult": "chokepoint.analyses.routing",
    "MaxFlowResult": "chokepoint.analyses.maxflow",
    "MinCostFlowResult": "chokepoint.analyses.mincost",
    "Route": "chokepoint.analyses.routes",
    "ServedDemandResult": "chokepoint.analyses.served",
    "commodity_max_flow": "chokepoint.analyses.routing",
    "commodity_route": "chokepoint.analyses.routing",
    "fastest_route": "chokepoint.analyses.routes",
    "max_flow": "chokepoint.analyses.maxflow",
    "min_cost_flow": "chokepoint.analyses.mincost",
    "od_matrix": "chokepoint.analyses.routes",
    "served_demand": "chokepoint.analyses.served",
}

__all__ = [
    "CommodityFlowResult",
    "MaxFlowResult",
    "MinCostFlowResult",
    "Route",
    "ServedDemandResult",
    "commodity_max_flow",
    "commodity_route",
    "fastest_route",
    "max_flow",
    "min_cost_flow",
    "od_matrix",
    "served_demand",
]


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        value = getattr(import_module(_LAZY[name]), name)
        globals()[name] = value
        return value
    raise AttributeError(f"module 'chokepoint.analyses' has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(_LAZY))
