"""Campaign simulation (SimPy): ships, ports and trains over a disrupted network.

``simulate(scenario, seed=...)`` is a pure function of (network, scenario, settings, seed);
``write_outputs(result, out_dir)`` writes its tables (CSV, Parquet) and plots (PNG). See
``docs/algorithms/simulation.md``.
"""

from chokepoint.simulate._settings import PortSettings, SimulationSettings, load_settings
from chokepoint.simulate.campaign import Campaign, CampaignResult, RunResult, simulate
from chokepoint.simulate.outputs import write_outputs

__all__ = [
    "Campaign",
    "CampaignResult",
    "PortSettings",
    "RunResult",
    "SimulationSettings",
    "load_settings",
    "simulate",
    "write_outputs",
]
