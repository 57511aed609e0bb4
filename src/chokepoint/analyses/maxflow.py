"""Maximum flow and minimum cut between sets of sources and sinks.

Solved with OR-Tools ``SimpleMaxFlow`` (push-relabel with global relabelling and gap
heuristics; Goldberg & Tarjan, *J. ACM* 35(4), 1988; Cherkassky & Goldberg, *Algorithmica*
19, 1997), measured the fastest exact solver available here (``shared/research``).
Several sources and sinks are joined through a super-source and super-sink with unlimited
arcs; node handling capacities enter through node splitting (see
:mod:`chokepoint.compiled`). The minimum cut is the set of arcs leaving the vertices the
super-source can still reach in the residual graph (Ford & Fulkerson, *Can. J. Math.* 8, 1956).

Complexity: O(n² √m) worst case for highest-label push-relabel; near-linear in practice.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
from ortools.graph.python import max_flow as ort_max_flow

from chokepoint.analyses._arcs import integer_flow_network, net_link_flow
from chokepoint.compiled import CompiledNetwork
from chokepoint.errors import SolverError

__all__ = ["MaxFlowResult", "max_flow"]


@dataclass
class MaxFlowResult:
    """A maximum flow and a minimum cut.

    Attributes
    ----------
    value
        The maximum flow, in the network's base unit (``inf`` if unbounded).
    arc_flow
        Flow on each arc.
    link_flow
        Net flow on each link (positive in the stored from→to direction).
    node_flow
        Flow through each split node's handling arc (0 for unsplit nodes).
    source_side
        For each vertex, whether it is on the source side of the minimum cut.
    cut_arcs
        Arcs from the source side to the sink side: a minimum cut.
    cut_links, cut_nodes, cut_groups
        The cut as link ids, node ids (handling capacities) and failure groups.
    """

    value: float
    arc_flow: np.ndarray
    link_flow: np.ndarray
    node_flow: np.ndarray
    source_side: np.ndarray
    cut_arcs: np.ndarray
    cut_links: list[str] = field(default_factory=list)
    cut_nodes: list[str] = field(default_factory=list)
    cut_groups: list[str] = field(default_factory=list)
    sources: list[str] = field(default_factory=list)
    sinks: list[str] = field(default_factory=list)
    scale: float = 1.0

    @property
    def cut_capacity(self) -> float:
        """Capacity of the cut (equals :attr:`value`, by max-flow min-cut)."""
        return float(self._cap[self.cut_arcs].sum()) if len(self.cut_arcs) else 0.0

    _cap: np.ndarray = field(default_factory=lambda: np.zeros(0), repr=False)


def max_flow(
    c: CompiledNetwork,
    sources: list[str] | tuple[str, ...],
    sinks: list[str] | tuple[str, ...],
    *,
    removed: np.ndarray | None = None,
    factor: np.ndarray | None = None,
) -> MaxFlowResult:
    """Maximum flow from ``sources`` to ``sinks`` and a minimum cut.

    Parameters
    ----------
    c
        The compiled network (``network.compiled``).
    sources, sinks
        Node ids. Flow enters a source through its handling capacity and leaves a sink
        through its handling capacity.
    removed
        Arc indices to treat as failed (capacity 0).
    factor
        Per-arc capacity multipliers (disruptions that reduce rather than close).

    Returns
    -------
    MaxFlowResult

    Notes
    -----
    Capacities are scaled to int64 (see :func:`~chokepoint.analyses._arcs.integer_scale`), so
    the value is exact for integer capacities and to 0.001 of the base unit otherwise.
    """
    inst = integer_flow_network(c, sources, sinks, removed=removed, factor=factor)
    cap, scale, big, S, T = inst.capacity, inst.scale, inst.big, inst.S, inst.T
    solver = ort_max_flow.SimpleMaxFlow()
    solver.add_arcs_with_capacity(inst.tail, inst.head, inst.cap)
    del inst  # the solver holds its own copy of the arcs
    status = solver.solve(S, T)
    if status != solver.OPTIMAL:
        raise SolverError(f"OR-Tools max flow returned status {status}")
    raw = solver.optimal_flow()
    m = c.n_arcs
    flows = solver.flows(np.arange(m)).astype(float)
    if scale != 1.0:
        flows /= scale
    unbounded = raw >= big
    side = np.zeros(c.n_vertices + 2, dtype=bool)
    side[np.asarray(solver.get_source_side_min_cut(), dtype=np.int64)] = True
    src_side = side[: c.n_vertices]
    cut = np.flatnonzero(src_side[c.tail] & ~src_side[c.head] & (cap > 0))
    link_flow = net_link_flow(c, flows)
    node_flow = np.zeros(c.n_nodes)
    is_node = c.arc_node >= 0
    node_flow[c.arc_node[is_node]] = flows[is_node]
    cl, cn, cg = c.arc_link[cut], c.arc_node[cut], c.groups_of(cut)
    cut_links = list(dict.fromkeys(str(x) for x in c.link_ids_at(cl[cl >= 0])))
    cut_nodes = list(dict.fromkeys(str(x) for x in c.node_ids[cn[cn >= 0]]))
    cut_groups = list(dict.fromkeys(str(x) for x in c.group_ids_at(cg[cg >= 0])))
    return MaxFlowResult(
        value=float("inf") if unbounded else raw / scale,
        arc_flow=flows, link_flow=link_flow, node_flow=node_flow, source_side=src_side,
        cut_arcs=cut, cut_links=cut_links, cut_nodes=cut_nodes, cut_groups=cut_groups,
        sources=[str(s) for s in sources], sinks=[str(t) for t in sinks], scale=scale,
        _cap=cap,
    )
