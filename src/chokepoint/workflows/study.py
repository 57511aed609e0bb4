"""One study, one answer: everything the console, the report, the web page and the files show.

:func:`study` runs the briefing (:func:`~chokepoint.workflows.brief.brief`), the time-aware
cost of the scenario's disruptions (:func:`~chokepoint.analyses.multiperiod.disruption_cost`),
the campaign simulation with its exact bound (:func:`~chokepoint.workflows.brief.campaign`)
and computes the findings (:mod:`chokepoint.workflows.findings`) from them. Renderers take the
:class:`Study` and compute nothing.
"""

from __future__ import annotations

import contextvars
from collections.abc import Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any

import pandas as pd

from chokepoint.analyses.multiperiod import DisruptionCost, disruption_cost
from chokepoint.scenario import Scenario
from chokepoint.workflows.brief import Brief, CampaignBrief, brief, campaign, group_ranking
from chokepoint.workflows.findings import Finding, attack_answer, findings, records
from chokepoint.workflows.shipment import shipment

__all__ = ["Study", "study", "study_findings"]


@dataclass
class Study:
    """The answer of :func:`study`.

    Attributes
    ----------
    scenario
        The scenario studied.
    brief
        The briefing (figures in ``brief.data``, tables beside them); ``brief.data`` also
        holds ``findings`` and ``disruption_cost`` as plain data.
    cost
        The time-aware cost of the disruptions (None without disruptions or demands).
    campaign
        The campaign simulated with and without the disruptions (None without commodities or
        when not asked for).
    findings
        The "what this means" statements, in reading order.
    """

    scenario: Scenario
    brief: Brief
    cost: DisruptionCost | None = None
    campaign: CampaignBrief | None = None
    findings: list[Finding] = field(default_factory=list)

    @property
    def data(self) -> dict[str, Any]:
        """Every figure as JSON-ready data (the brief's, with findings, cost and campaign)."""
        return self.brief.data

    @property
    def ranking(self) -> pd.DataFrame | None:
        """The failure-group criticality ranking."""
        return self.brief.ranking


def _cost_block(cost: DisruptionCost) -> dict[str, Any]:
    return {"unit": "t", "start": cost.start.isoformat(), "horizon_days": cost.horizon_days,
            "loss_t": cost.total_loss_t,
            "worst_case_loss_t": float(cost.summary["worst_case_loss_t"].sum()),
            "worst_case_label": "all disruptions at once, for ever (same horizon)",
            "commodities": records(cost.summary)}


def study(s: Scenario, *, failures: int = 3, ranking: bool = True, with_campaign: bool = True,
          seed: int = 0, commodity: str | None = None, sources: Sequence[str] | None = None,
          sinks: Sequence[str] | None = None) -> Study:
    """Run the whole study of a scenario.

    Parameters
    ----------
    s
        The scenario (see :func:`chokepoint.load`).
    failures
        Worst 1..``failures`` simultaneous failures (0: none).
    ranking
        Compute the failure-group criticality ranking (needed for the single points of
        failure and the weakest element).
    with_campaign
        Simulate the first commodity's campaign (seeded by ``seed``).
    commodity, sources, sinks
        The shipment every shipment figure refers to (default: the first commodity along its
        route rules; see :func:`~chokepoint.workflows.shipment.shipment`).

    Returns
    -------
    Study
    """
    with ThreadPoolExecutor(max_workers=2) as pool:
        attack, costing = _beside(pool, s)
        b = brief(s, failures=failures, ranking=ranking, commodity=commodity,
                  sources=sources, sinks=sinks)
        cb = campaign(s, seed=seed) if with_campaign and s.commodities else None
        cost = costing.result() if costing is not None else None
        if cost is not None:
            b.data["disruption_cost"] = _cost_block(cost)
        if cb is not None:
            b.data["campaign"] = cb.data
        found = findings(s, ranking=b.ranking, cost=cost, ship=b.shipment,
                         attack=attack.result)
    b.data["findings"] = [f.to_dict() for f in found]
    return Study(scenario=s, brief=b, cost=cost, campaign=cb, findings=found)


def study_findings(s: Scenario, *, commodity: str | None = None,
                   sources: Sequence[str] | None = None,
                   sinks: Sequence[str] | None = None) -> list[Finding]:
    """Only the "what this means" findings of :func:`study`, computing only what they rest
    on — the shipment, the failure-group ranking and the time-aware cost of the disruptions
    (no other briefing figure, no campaign, no worst-k table): what the web map's page shows
    at its head, the same statements as the console and report.

    Parameters
    ----------
    s
        The scenario.
    commodity, sources, sinks
        The shipment the findings are about, as for :func:`study` (default: the first
        commodity along its route rules; explicit terminals: ``serve --source/--sink``).

    Returns
    -------
    list of Finding
    """
    with ThreadPoolExecutor(max_workers=2) as pool:  # as in study
        attack, costing = _beside(pool, s)
        sh = shipment(s, commodity=commodity, sources=sources, sinks=sinks)
        table = group_ranking(s, sh) if sh.sources and sh.sinks else None
        cost = costing.result() if costing is not None else None
        return findings(s, ranking=table, cost=cost, ship=sh, attack=attack.result)


def _beside(pool: ThreadPoolExecutor, s: Scenario
            ) -> tuple[Future[Any], Future[DisruptionCost] | None]:
    """Start the attack finding (the longest stage) and the time-aware cost (``None`` without
    disruptions or demands) in ``pool``. Both run almost entirely inside HiGHS, which releases
    the GIL, so each runs in its own thread beside the caller's stages; results are the same
    (independent stages, each with its own LPs; context variables such as the cancel scope
    copied)."""
    _ = s.network.compiled  # built once, before other threads read it
    attack = pool.submit(contextvars.copy_context().run, attack_answer, s)
    costing = (pool.submit(contextvars.copy_context().run, disruption_cost,
                           s.network.compiled, s.demands, s.disruptions)
               if s.disruptions and s.demands else None)
    return attack, costing
