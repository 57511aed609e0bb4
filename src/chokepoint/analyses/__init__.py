"""Analyses: plain functions of a compiled network (and a scenario's demands).

Each takes a :class:`~chokepoint.compiled.CompiledNetwork` (``network.compiled``), never
rebuilds it, and returns a small result object with arrays indexed like the network's arcs or
links. None of them prints, draws or knows about the CLI.
"""

from chokepoint.analyses.maxflow import MaxFlowResult, max_flow
from chokepoint.analyses.mincost import MinCostFlowResult, min_cost_flow
from chokepoint.analyses.routes import Route, fastest_route, od_matrix
from chokepoint.analyses.routing import CommodityFlowResult, commodity_max_flow, commodity_route
from chokepoint.analyses.served import ServedDemandResult, served_demand

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
