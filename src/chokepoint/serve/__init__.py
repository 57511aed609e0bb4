"""The web map: a FastAPI app (JSON API + one page) over a loaded scenario.

Needs the ``web`` extra (fastapi, uvicorn, python-multipart). :func:`create_app` builds the
app; :func:`serve` runs it with uvicorn on 127.0.0.1 unless told otherwise. The closure
analysis itself (:func:`chokepoint.workflows.closures.close_elements`) has no web dependency.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from chokepoint.serve.app import ServeSettings, create_app, serve

__all__ = ["ServeSettings", "create_app", "serve"]


def __getattr__(name: str) -> Any:
    if name in __all__:
        from chokepoint.errors import require

        require("fastapi", "web")
        from chokepoint.serve import app

        return getattr(app, name)
    raise AttributeError(name)
