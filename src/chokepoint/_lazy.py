"""Modules imported on first use, so that a command loads only the libraries it needs.

``pd = LazyModule("pandas")`` behaves like ``import pandas as pd`` for attribute access
(``pd.DataFrame``), but imports pandas only when an attribute is first read. Modules declare
the real import under ``typing.TYPE_CHECKING`` for the type checker.
"""

from __future__ import annotations

import importlib
from types import ModuleType
from typing import Any

__all__ = ["LazyModule"]


class LazyModule:
    """A stand-in for the module ``name``, imported at the first attribute access.

    Parameters
    ----------
    name
        The module's dotted name (``"scipy.sparse.csgraph"``).
    """

    __slots__ = ("_module", "_name")

    def __init__(self, name: str) -> None:
        self._name = name
        self._module: ModuleType | None = None

    def __getattr__(self, attr: str) -> Any:
        module = self._module
        if module is None:
            module = self._module = importlib.import_module(self._name)
        return getattr(module, attr)

    def __repr__(self) -> str:
        return f"<lazy module {self._name!r}>"
