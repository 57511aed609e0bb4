"""Workflows: the one place that combines analyses into answers.

The console (CLI), the report, the web map and the sweeps render what these modules return
and compute nothing themselves.

=================================  ===========================================================
module                             answers
=================================  ===========================================================
:mod:`~chokepoint.workflows.brief`     the briefing on a scenario (throughput, served demand,
                                       routes, worst failures, ranking, campaign)
:mod:`~chokepoint.workflows.ranking`   the criticality table (shared with the sweeps)
:mod:`~chokepoint.workflows.closures`  what closing elements costs (the web map)
:mod:`~chokepoint.workflows.files`     writing a briefing's files
:mod:`~chokepoint.workflows.sensitivity`  where the headline answers flip (assumption ranges)
:mod:`~chokepoint.workflows.weak_point`   is the Severomuysky section the weak point?
=================================  ===========================================================
"""
