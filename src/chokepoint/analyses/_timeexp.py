"""Private builders for flows over time: the time-expanded network and the static network of
temporally repeated flows, both as int64 arc arrays for OR-Tools (vectorised with numpy; no
Python loop over arcs or time steps).

Discrete model (see ``docs/algorithms/flows-over-time.md``): time steps ``0 .. T-1`` of
``step_h`` hours; an arc with transit ``τ`` steps (``ceil(time_h / step_h)``) carries, in
each step ``θ`` with ``θ + τ <= T - 1``, up to ``capacity × step_h / 24 × factor(θ)`` from
``(tail, θ)`` to ``(head, θ + τ)``; a holdover arc ``(v, θ) -> (v, θ + 1)`` stores goods.
Flow reaching a sink in step ``θ`` is delivered by time ``(θ + 1) · step_h``.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Protocol

import numpy as np

from chokepoint.analyses._arcs import INT_LIMIT
from chokepoint.compiled import CompiledNetwork
from chokepoint.errors import InputError

_TOL = 1e-6


class ArcGraph(Protocol):
    """What :func:`build_expanded` reads of a network: vertices and arc ends (a
    :class:`~chokepoint.compiled.CompiledNetwork`, or a commodity's layered network of
    :mod:`chokepoint.analyses._layered`)."""

    @property
    def n_vertices(self) -> int: ...

    @property
    def n_arcs(self) -> int: ...

    @property
    def tail(self) -> np.ndarray: ...

    @property
    def head(self) -> np.ndarray: ...


def transit_steps(time_h: np.ndarray, step_h: float) -> np.ndarray:
    """Transit times in whole steps, rounded **up** (never faster than reality).

    A relative tolerance of 1e-9 keeps exact multiples (6 h at 6-h steps is 1 step).
    Missing times (NaN) count as 0. An infinite time (an arc that can never be traversed,
    e.g. one a commodity's route rules forbid) also gives 0: callers give such arcs no
    capacity (:func:`never_traversed`).
    """
    t = np.nan_to_num(np.asarray(time_h, dtype=float), nan=0.0, posinf=0.0)
    return np.ceil(t / step_h - 1e-9).clip(min=0).astype(np.int64)


def never_traversed(time_h: np.ndarray) -> np.ndarray:
    """Arcs whose transit time is infinite: no flow can ever cross them."""
    return np.isposinf(np.asarray(time_h, dtype=float))


def pick_scale(*arrays: np.ndarray) -> float:
    """1 when every finite value is an integer, else 1000 (0.001 of the base unit)."""
    for a in arrays:
        f = np.asarray(a, dtype=float)
        f = f[np.isfinite(f)]
        if f.size and not np.all(np.abs(f - np.round(f)) < 1e-12):
            return 1000.0
    return 1.0


def floor_int(values: np.ndarray, scale: float, unlimited: int) -> np.ndarray:
    """Scale and round **down** to int64 (capacities are never rounded up); ``inf`` ->
    ``unlimited``."""
    v = np.asarray(values, dtype=float)
    fin = np.isfinite(v)
    out = np.full(v.shape, unlimited, dtype=np.int64)
    scaled = np.floor(v[fin] * scale + _TOL)
    if scaled.size and scaled.max() >= INT_LIMIT:
        raise InputError("capacities too large for the exact integer solver")
    out[fin] = scaled.astype(np.int64)
    return out


@dataclass
class Expanded:
    """A time-expanded network in int64 arrays.

    Vertex ``(v, θ)`` is ``θ · n_v + v``; then one collector per source (``A_i``), one per
    sink (``K_j``), the super-source ``S`` and super-sink ``Z``. ``sink_arcs`` are the arcs
    ``(sink_j, θ) -> K_j``, ordered ``θ``-major, ``sink_step`` their step.
    """

    tail: np.ndarray
    head: np.ndarray
    cap: np.ndarray
    cost: np.ndarray
    n_nodes: int
    S: int
    Z: int
    sink_arcs: np.ndarray
    sink_step: np.ndarray
    n_steps: int
    scale: float
    unlimited: int
    #: step and network arc of each movement arc (the first ``len(move_arc)`` arcs)
    move_step: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=np.int64))
    move_arc: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=np.int64))


def build_expanded(
    c: ArcGraph,
    src_v: np.ndarray,
    snk_v: np.ndarray,
    *,
    n_steps: int,
    tau: np.ndarray,
    cap_step: np.ndarray,
    factors: np.ndarray | None,
    scale: float,
    unlimited: int,
    storage: bool | Mapping[int, float] = True,
    supply: np.ndarray | None = None,
    demand: np.ndarray | None = None,
) -> Expanded:
    """Build the time-expanded network with ``n_steps`` steps (vectorised).

    ``cap_step`` is the per-step capacity of each arc (base unit, ``inf`` = unlimited),
    ``factors`` the per-step factors ``(n_steps, m)`` or None. ``storage``: True (unlimited
    holdover at every vertex), False (none, except that origins always hold their goods), or
    ``{vertex: quantity}`` limits (other vertices unlimited). ``supply``/``demand``: per source
    / sink quantity limits (base unit; None = unlimited).
    """
    T = int(n_steps)
    nV = c.n_vertices
    m = c.n_arcs
    theta = np.arange(T, dtype=np.int64)
    # movement arcs: (θ, a) for θ + τ_a <= T - 1 and positive capacity
    base_cap = floor_int(cap_step, scale, unlimited)
    if factors is None:
        capmat = np.broadcast_to(base_cap[None, :], (T, m))
    else:
        with np.errstate(invalid="ignore"):
            prod = np.where(factors > 0, np.asarray(cap_step)[None, :] * factors, 0.0)
        capmat = floor_int(prod, scale, unlimited)
    valid = (theta[:, None] + tau[None, :] <= T - 1) & (capmat > 0)
    tt, aa = np.nonzero(valid)
    mv_tail = tt * nV + c.tail[aa]
    mv_head = (tt + tau[aa]) * nV + c.head[aa]
    mv_cap = capmat[tt, aa]
    # holdover arcs (v, θ) -> (v, θ + 1)
    if storage is True or isinstance(storage, Mapping):
        hold_cap = np.full(nV, unlimited, dtype=np.int64)
        if isinstance(storage, Mapping) and storage:
            vs = np.fromiter(storage.keys(), dtype=np.int64, count=len(storage))
            qs = np.fromiter(storage.values(), dtype=float, count=len(storage))
            hold_cap[vs] = floor_int(qs, scale, unlimited)
        keep_v = np.flatnonzero(hold_cap > 0)
    else:
        keep_v = np.zeros(0, dtype=np.int64)
        hold_cap = np.zeros(nV, dtype=np.int64)
    th = theta[:-1]
    ho_tail = (th[:, None] * nV + keep_v[None, :]).ravel()
    ho_head = ho_tail + nV
    ho_cap = np.broadcast_to(hold_cap[keep_v][None, :], (len(th), len(keep_v))).ravel()
    # terminals: S -> A_i -> (s_i, θ) for every θ;  (k_j, θ) -> K_j -> Z
    ns, nk = len(src_v), len(snk_v)
    A0 = T * nV
    K0 = A0 + ns
    S = K0 + nk
    Z = S + 1
    s_cap = (np.full(ns, unlimited, dtype=np.int64) if supply is None
             else floor_int(supply, scale, unlimited))
    k_cap = (np.full(nk, unlimited, dtype=np.int64) if demand is None
             else floor_int(demand, scale, unlimited))
    src_tail = np.repeat(A0 + np.arange(ns), T)
    src_head = (np.tile(theta, ns) * nV + np.repeat(src_v, T))
    snk_tail = (theta[:, None] * nV + snk_v[None, :]).ravel()
    snk_head = np.tile(K0 + np.arange(nk), T)
    snk_step = np.repeat(theta, nk)
    parts_tail = [mv_tail, ho_tail, np.full(ns, S), src_tail, snk_tail, K0 + np.arange(nk)]
    parts_head = [mv_head, ho_head, A0 + np.arange(ns), src_head, snk_head, np.full(nk, Z)]
    parts_cap = [mv_cap, ho_cap, s_cap, np.full(ns * T, unlimited), np.full(nk * T, unlimited),
                 k_cap]
    first_sink = len(mv_tail) + len(ho_tail) + ns + ns * T
    tail = np.concatenate(parts_tail).astype(np.int64)
    head = np.concatenate(parts_head).astype(np.int64)
    cap = np.concatenate(parts_cap).astype(np.int64)
    cost = np.zeros(len(tail), dtype=np.int64)
    sink_arcs = first_sink + np.arange(nk * T, dtype=np.int64)
    cost[sink_arcs] = snk_step
    return Expanded(tail=tail, head=head, cap=cap, cost=cost, n_nodes=Z + 1, S=S, Z=Z,
                    sink_arcs=sink_arcs, sink_step=snk_step, n_steps=T, scale=scale,
                    unlimited=unlimited, move_step=tt, move_arc=aa)


@dataclass
class Static:
    """The static network of temporally repeated flows, per-step capacities in int64.

    Arcs ``0..m-1`` are the network's arcs (cost: transit steps), then ``S -> source`` and
    ``sink -> Z`` arcs (cost 0).
    """

    tail: np.ndarray
    head: np.ndarray
    cap: np.ndarray
    cost: np.ndarray
    n_nodes: int
    S: int
    Z: int
    scale: float
    unlimited: int


def build_static(c: CompiledNetwork, src_v: np.ndarray, snk_v: np.ndarray, *,
                 tau: np.ndarray, cap_step: np.ndarray, scale: float,
                 unlimited: int) -> Static:
    """The static network with per-step capacities and transit-step costs."""
    S, Z = c.n_vertices, c.n_vertices + 1
    ns, nk = len(src_v), len(snk_v)
    tail = np.concatenate([c.tail, np.full(ns, S), snk_v]).astype(np.int64)
    head = np.concatenate([c.head, src_v, np.full(nk, Z)]).astype(np.int64)
    cap = np.concatenate([floor_int(cap_step, scale, unlimited),
                          np.full(ns + nk, unlimited, dtype=np.int64)])
    cost = np.concatenate([tau, np.zeros(ns + nk, dtype=np.int64)]).astype(np.int64)
    return Static(tail=tail, head=head, cap=cap, cost=cost, n_nodes=Z + 1, S=S, Z=Z,
                  scale=scale, unlimited=unlimited)


def ceil_div(a: int, b: int) -> int:
    """Ceiling of ``a / b`` for integers (``b > 0``)."""
    return -((-a) // b)


def safe_total(*parts: float) -> int:
    """Sum as an int, refusing values the int64 solvers cannot hold."""
    total = math.fsum(parts)
    if total >= INT_LIMIT / 4:
        raise InputError("capacities too large for the exact integer solver over this horizon")
    return int(total)
