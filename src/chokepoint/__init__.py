"""chokepoint: where does a freight corridor break?

Exact max flow and min cut, served demand with competing traffic, fastest routes, criticality
of every element, the worst k failures and what to harden, for multimodal transport networks.

Start with :func:`chokepoint.io.load` (a scenario, network file, CSV link list or DIMACS file)
or :func:`chokepoint.data.load_builtin` (the Rajin → Dunai → Tikhoretsk corridor); analyses
live in :mod:`chokepoint.analyses`.
"""

from importlib.metadata import PackageNotFoundError, version

from chokepoint.errors import ChokepointError, InfeasibleError, InputError
from chokepoint.network import Network
from chokepoint.scenario import Scenario
from chokepoint.units import Units

try:
    __version__ = version("chokepoint")
except PackageNotFoundError:  # pragma: no cover - running from a source tree
    __version__ = "0+unknown"

__all__ = [
    "ChokepointError",
    "InfeasibleError",
    "InputError",
    "Network",
    "Scenario",
    "Units",
    "__version__",
]
