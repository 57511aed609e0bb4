"""Built-in scenarios shipped with the package."""

from __future__ import annotations

from importlib import resources
from pathlib import Path

from chokepoint.scenario import Scenario

__all__ = ["BUILTIN", "builtin_path", "load_builtin"]

BUILTIN = {"corridor": "corridor.toml"}


def builtin_path(name: str = "corridor") -> Path:
    """Path of a built-in scenario file (``corridor``: Rajin → Dunai → Tikhoretsk)."""
    ref = resources.files(__name__) / BUILTIN[name]
    return Path(str(ref))


def load_builtin(name: str = "corridor") -> Scenario:
    """Load a built-in scenario."""
    from chokepoint.io.scenario_file import read_scenario

    return read_scenario(builtin_path(name))
