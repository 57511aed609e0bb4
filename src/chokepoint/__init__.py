"""chokepoint: where does a freight corridor break?

Exact max flow and min cut, served demand with competing traffic, fastest routes, criticality
of every element, the worst k failures and what to harden, for multimodal transport networks.

The whole study in a few lines::

    import chokepoint
    s = chokepoint.load("builtin:corridor")      # or a .toml, .csv, .geojson, .max … file
    st = chokepoint.study(s)                      # brief, time-aware cost, campaign, findings
    for f in st.findings:
        print(f.text)

:func:`load` reads any supported input; the workflow entry points (:func:`study`,
:func:`brief`, :func:`criticality`, :func:`close_elements`, :func:`findings`) are imported
lazily from :mod:`chokepoint.workflows` on first use; the analyses live in
:mod:`chokepoint.analyses`.
"""

from __future__ import annotations

from importlib import import_module
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path
from typing import TYPE_CHECKING, Any

from chokepoint.errors import ChokepointError, InfeasibleError, InputError

if TYPE_CHECKING:  # the lazy names, for type checkers
    from chokepoint.network import Network
    from chokepoint.scenario import Scenario
    from chokepoint.units import Units
    from chokepoint.workflows.brief import brief
    from chokepoint.workflows.closures import close_elements
    from chokepoint.workflows.findings import findings
    from chokepoint.workflows.ranking import criticality
    from chokepoint.workflows.study import Study, study

try:
    __version__ = version("chokepoint")
except PackageNotFoundError:  # pragma: no cover - running from a source tree
    __version__ = "0+unknown"

#: Names re-exported lazily (PEP 562): name → module. The data model imports pandas and the
#: workflows the solvers, so ``import chokepoint`` (and ``chokepoint --help``) stays light.
_LAZY = {
    "Network": "chokepoint.network",
    "Scenario": "chokepoint.scenario",
    "Units": "chokepoint.units",
    "study": "chokepoint.workflows.study",
    "Study": "chokepoint.workflows.study",
    "brief": "chokepoint.workflows.brief",
    "criticality": "chokepoint.workflows.ranking",
    "close_elements": "chokepoint.workflows.closures",
    "findings": "chokepoint.workflows.findings",
}
BUILTIN_PREFIX = "builtin:"

__all__ = [
    "BUILTIN_PREFIX",
    "ChokepointError",
    "InfeasibleError",
    "InputError",
    "Network",
    "Scenario",
    "Study",
    "Units",
    "__version__",
    "brief",
    "close_elements",
    "criticality",
    "findings",
    "load",
    "study",
]


def load(path: str | Path, *, cache: bool = True) -> Scenario:
    """Load a scenario: ``"builtin:corridor"`` or a file (scenario ``.toml``, CSV link list,
    DIMACS ``.max``/``.min``, GIS ``.geojson``/``.gpkg``/``.shp``/``.parquet``).

    Parameters
    ----------
    path
        ``"builtin:NAME"`` or a file; its suffix picks the reader.
    cache
        Let a reader that supports it (DIMACS) keep and reuse its parse of a large file in
        the disk cache (:mod:`chokepoint.io.cache`; ``$CHOKEPOINT_CACHE=off`` switches it
        off too).

    Raises
    ------
    InputError
        Unknown built-in name, missing file, unknown suffix or invalid content (the message
        names the file, the element and what is wrong).
    """
    if isinstance(path, str) and path.startswith(BUILTIN_PREFIX):
        from chokepoint.data import BUILTIN, load_builtin

        name = path.removeprefix(BUILTIN_PREFIX)
        if name not in BUILTIN:
            raise InputError(f"no built-in scenario {name!r} (have: {', '.join(BUILTIN)})")
        return load_builtin(name)
    from chokepoint.io import load as load_file

    return load_file(path, cache=cache)


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        value = getattr(import_module(_LAZY[name]), name)
        globals()[name] = value
        return value
    raise AttributeError(f"module 'chokepoint' has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(_LAZY))
