"""The web map's routers, one module per concern: the page, the network and scenario, the
analyses (closures, campaign, downloads) and uploads. Each handler renders what
:class:`~chokepoint.serve.state.ServerState` and the workflows answer; none computes."""

from __future__ import annotations

from fastapi import Request

from chokepoint.serve.state import ServerState

__all__ = ["attachment", "server_state"]


async def server_state(request: Request) -> ServerState:
    """The app's :class:`ServerState` (a FastAPI dependency)."""
    state = request.app.state.chokepoint
    assert isinstance(state, ServerState)
    return state


def attachment(name: str) -> dict[str, str]:
    """Headers that make a browser save the response as ``name``."""
    return {"content-disposition": f'attachment; filename="{name}"'}
