"""Private helpers shared by the analyses: effective capacities and integer scaling."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from chokepoint.compiled import CompiledNetwork
from chokepoint.errors import InputError

INT_LIMIT = 2**62


def effective_capacity(c: CompiledNetwork, *, removed: np.ndarray | None = None,
                       factor: np.ndarray | None = None) -> np.ndarray:
    """Arc capacities after removals (capacity 0) and capacity factors (per arc)."""
    cap = c.capacity.copy()
    if factor is not None:
        cap = cap * factor
    if removed is not None and len(removed):
        cap[removed] = 0.0
    return cap


def integer_scale(values: np.ndarray) -> float:
    """1 if every finite value is an integer, else 1000 (resolution 0.001 of the unit).

    OR-Tools' flow solvers are exact on int64 data; chokepoint's answers are exact for the
    capacities rounded to this resolution.
    """
    finite = values[np.isfinite(values)]
    if finite.size == 0 or np.all(finite == np.round(finite)):
        return 1.0
    return 1000.0


def to_int(values: np.ndarray, scale: float, *, big: int) -> np.ndarray:
    """Scale and round to int64; ``inf`` becomes ``big``."""
    out = np.where(np.isfinite(values), np.rint(values * scale), big)
    if np.any(out > INT_LIMIT):
        raise InputError("capacities too large for the exact integer solver")
    return out.astype(np.int64)


def terminals(c: CompiledNetwork, sources: list[str] | tuple[str, ...],
              sinks: list[str] | tuple[str, ...]) -> tuple[np.ndarray, np.ndarray]:
    """Vertices where flow enters (sources' in-vertices) and leaves (sinks' out-vertices)."""
    if not sources:
        raise InputError("no source given (sources= is empty)")
    if not sinks:
        raise InputError("no sink given (sinks= is empty)")
    both = set(map(str, sources)) & set(map(str, sinks))
    if both:
        raise InputError(f"node {sorted(both)[0]!r} is both a source and a sink")
    return c.vertices(list(sources), side="in"), c.vertices(list(sinks), side="out")


def net_link_flow(c: CompiledNetwork, arc_values: np.ndarray) -> np.ndarray:
    """Per-link net value of a per-arc quantity: stored direction minus reverse direction."""
    n_links = c.n_links
    m = c.n_arcs
    rev = np.arange(n_links, m)
    rev = rev[c.arc_link[rev] >= 0]
    out = arc_values[:n_links].astype(float).copy()
    out -= np.bincount(c.arc_link[rev], weights=arc_values[rev], minlength=n_links)
    return out


@dataclass
class IntegerFlowNetwork:
    """A max-flow instance in int64 with a super-source ``S`` and super-sink ``T``.

    Arcs ``0..m-1`` are the network's arcs, then one unlimited arc per source and per sink.
    ``capacity`` is the effective capacity in the base unit; ``scale`` and ``big`` say how it
    was turned into integers (see :func:`integer_scale`).
    """

    tail: np.ndarray
    head: np.ndarray
    cap: np.ndarray
    capacity: np.ndarray
    S: int
    T: int
    scale: float
    big: int


def integer_flow_network(c: CompiledNetwork, sources: list[str] | tuple[str, ...],
                         sinks: list[str] | tuple[str, ...], *,
                         removed: np.ndarray | None = None,
                         factor: np.ndarray | None = None) -> IntegerFlowNetwork:
    """Build the integer max-flow instance shared by every max-flow based analysis."""
    s_v, t_v = terminals(c, sources, sinks)
    cap = effective_capacity(c, removed=removed, factor=factor)
    scale = integer_scale(cap)
    finite = cap[np.isfinite(cap)]
    total = float(finite.sum()) * scale if finite.size else 0.0
    if not total < INT_LIMIT:
        raise InputError(f"the finite capacities sum to {total / scale:.3g}, more than the "
                         "exact integer solver can hold; write inf for unlimited links")
    big = int(np.rint(total)) + 1
    icap = to_int(cap, scale, big=big)
    S, T = c.n_vertices, c.n_vertices + 1
    tail = np.concatenate([c.tail, np.full(len(s_v), S), t_v]).astype(np.int64, copy=False)
    head = np.concatenate([c.head, s_v, np.full(len(t_v), T)]).astype(np.int64, copy=False)
    caps = np.concatenate([icap, np.full(len(s_v) + len(t_v), big, dtype=np.int64)])
    return IntegerFlowNetwork(tail=tail, head=head, cap=caps, capacity=cap, S=S, T=T,
                              scale=scale, big=big)
