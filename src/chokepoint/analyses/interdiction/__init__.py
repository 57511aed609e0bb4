"""Network interdiction: the worst k-element attack on throughput or on travel time.

An *attacker* removes up to ``k`` elements (links, nodes or failure groups; removing an
element removes every arc of it, as :meth:`~chokepoint.compiled.CompiledNetwork.arcs_of`)
within an attack budget, to minimise the maximum flow (:func:`max_flow_interdiction`) or to
maximise the fastest travel time (:func:`shortest_path_interdiction`).

Modules: :mod:`.attack` (the attacker's choice set and its budget rows), :mod:`.result`,
:mod:`.maxflow` (Wood 1993; Royset & Wood 2007), :mod:`.shortest_path` (Israeli & Wood
2002), :mod:`.timed` (closures with repair times against the multi-period served-demand LP;
Brown, Carlyle, Salmerón & Wood 2006); the HiGHS wrapper is
:mod:`chokepoint.analyses._highs`. The models are written out in
``docs/algorithms/interdiction.md``.
"""

from chokepoint.analyses.interdiction.attack import KINDS, AttackModel, attack_model
from chokepoint.analyses.interdiction.maxflow import max_flow_interdiction
from chokepoint.analyses.interdiction.result import InterdictionResult
from chokepoint.analyses.interdiction.shortest_path import shortest_path_interdiction
from chokepoint.analyses.interdiction.timed import (
    TimedInterdictionResult,
    timed_interdiction,
    timed_interdictions,
)

__all__ = [
    "KINDS",
    "AttackModel",
    "InterdictionResult",
    "TimedInterdictionResult",
    "attack_model",
    "max_flow_interdiction",
    "shortest_path_interdiction",
    "timed_interdiction",
    "timed_interdictions",
]
