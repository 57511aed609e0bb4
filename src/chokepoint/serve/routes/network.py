"""The loaded network and scenario: health, the network as JSON, the map, reset."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends
from fastapi.responses import Response

from chokepoint.io.write import to_jsonable
from chokepoint.report.svgmap import RAMP
from chokepoint.serve.routes import server_state
from chokepoint.serve.routes.page import render_map
from chokepoint.serve.state import Loaded, ServerState, dumps

__all__ = ["network_json", "router"]

router = APIRouter()
State = Annotated[ServerState, Depends(server_state)]


@router.get("/api/health", summary="Liveness and the loaded scenario")
async def health(state: State) -> dict[str, Any]:
    """Status, scenario, cached and computed answers, the pool's and engine's counters."""
    return state.health()


@router.get("/api/network", summary="The loaded network, its terminals and intact figures",
            response_class=Response, responses={200: {"content": {"application/json": {}}}})
async def network(state: State) -> Response:
    """Nodes, links, failure groups, terminals and intact figures (encoded once)."""
    cur = state.current
    campaign = state.settings.campaign is not None
    body = cur.once("network", lambda: dumps(to_jsonable(network_json(cur, campaign=campaign))))
    return Response(body, media_type="application/json")


@router.get("/api/map.svg", summary="The network map (SVG)",
            response_class=Response, responses={200: {"content": {"image/svg+xml": {}}}})
async def map_svg(state: State) -> Response:
    """The map the page embeds, as a file."""
    cur = state.current
    return Response(cur.once("map", lambda: render_map(cur)), media_type="image/svg+xml")


@router.post("/api/reset", summary="Restore the scenario the server started with")
async def reset(state: State) -> dict[str, Any]:
    """Drop the uploaded scenario."""
    state.current = state.initial
    return {"scenario": state.initial.scenario.name}


def network_json(cur: Loaded, *, campaign: bool = False) -> dict[str, Any]:
    """The loaded network as the page reads it (capacities in the first report unit)."""
    s, b = cur.scenario, cur.base
    net, units = s.network, s.units
    u0 = units.report_units[0]
    links = [{"id": r["id"], "name": r["name"], "from": r["from"], "to": r["to"],
              "mode": r["mode"], "structure": r["structure"], "group": r["group"],
              "capacity": units.from_base(r["capacity"], u0),
              "utilisation": b.utilisation.get(str(r["id"]))}
             for r in net.links.to_dict("records")]
    nodes = [{"id": r["id"], "name": r["name"], "kind": r["kind"], "lon": r["lon"],
              "lat": r["lat"], "group": r["group"]} for r in net.nodes.to_dict("records")]
    structure = dict(zip(net.links["id"], net.links["structure"].ne("none"), strict=True))
    groups = [{"id": g, "members": m, "names": [net.describe(x) for x in m],
               "structure": any(bool(structure.get(x, False)) for x in m)}
              for g, m in sorted(net.groups().items()) if g]
    return {"scenario": s.name, "label": cur.label, "description": s.description,
            "unit": u0, "units": list(units.report_units), "base_unit": units.base,
            "sources": b.sources, "sinks": b.sinks,
            "source_names": [b.engine.names.get(x, x) for x in b.sources],
            "sink_names": [b.engine.names.get(x, x) for x in b.sinks],
            "intact": {"throughput": units.from_base(b.throughput, u0)
                       if b.throughput == b.throughput else None,
                       "served": units.from_base(b.served, u0) if b.served is not None else None,
                       "demand": units.from_base(b.demand, u0) if b.demand is not None else None,
                       "cut": b.cut, "route": b.route},
            "campaign": campaign,
            "ramp": [list(x) for x in RAMP],
            "nodes": nodes, "links": links, "groups": groups}
