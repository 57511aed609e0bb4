"""Analyses: closures, the campaign's delay, and downloads (results, ranking, report).

Every analysis runs on the server's bounded pool (:meth:`ServerState.run`: 503 when full,
504 past the time limit, after which the analysis is cancelled)."""

from __future__ import annotations

import datetime as dt
import io
import json
from typing import Annotated, Any, Literal

import pandas as pd
from fastapi import APIRouter, Depends, Query
from fastapi.responses import Response

from chokepoint import cancel
from chokepoint.serve.requests import CloseRequest, close_query
from chokepoint.serve.routes import attachment, server_state
from chokepoint.serve.state import ServerState
from chokepoint.workflows.closures import links_table

__all__ = ["router"]

router = APIRouter()
State = Annotated[ServerState, Depends(server_state)]
CloseIds = Annotated[str, Query(max_length=4000)]
JSON: dict[str, Any] = {"content": {"application/json": {}}}


@router.post("/api/close", summary="Close elements: throughput, bottleneck, served, detour",
             response_class=Response,
             responses={200: {**JSON, "description": "throughput, bottleneck, served, "
                                                     "detour, period, utilisation"}})
async def close(req: CloseRequest, state: State) -> Response:
    """The corridor's figures with the elements closed (milliseconds; cached)."""
    _, encoded = await state.closure_answer(req)
    return Response(encoded, media_type="application/json")


@router.get("/api/findings", summary="What this means: the scenario's computed findings",
            response_class=Response,
            responses={200: {**JSON, "description": "{scenario, findings: [{key, title, "
                                                    "text, figures}]}"}})
async def findings(state: State) -> Response:
    """The study's findings for the loaded scenario (computed once per scenario)."""
    return Response(await state.findings(), media_type="application/json")


@router.post("/api/campaign", summary="The campaign's delay with the elements closed",
             response_class=Response,
             responses={200: {**JSON, "description": "{campaign: null | {...}}"}})
async def campaign(req: CloseRequest, state: State) -> Response:
    """The SimPy campaign with the closure (null when the server runs no campaign)."""
    return Response(await state.campaign_answer(req), media_type="application/json")


@router.get("/api/results.json", summary="Download the closure's results as JSON")
async def results_json(state: State, close: CloseIds = "", start: dt.date | None = None,
                       end: dt.date | None = None) -> Response:
    """The closure's answer as a file."""
    _, encoded = await state.closure_answer(close_query(close, start, end))
    return Response(encoded, media_type="application/json",
                    headers=attachment("chokepoint-closure.json"))


@router.get("/api/results.csv",
            summary="Download the links table (intact and with the closure) as CSV")
async def results_csv(state: State, close: CloseIds = "", start: dt.date | None = None,
                      end: dt.date | None = None) -> Response:
    """Every link with its intact and closed flow and utilisation."""
    req = close_query(close, start, end)
    cur, encoded = await state.closure_answer(req)
    result = json.loads(encoded) if req.elements else None
    table = links_table(cur.scenario, cur.base, result)
    return _csv(table, "chokepoint-links.csv")


@router.get("/api/ranking.csv", summary="Download the criticality ranking as CSV")
async def ranking_csv(state: State,
                      kind: Literal["link", "node", "group"] = "link") -> Response:
    """The criticality ranking (computed once per scenario and kind; cancellable)."""
    cur = state.current
    key = (cur.token, kind)
    table = state.rankings.get(key)
    if table is None:
        from chokepoint.workflows.ranking import criticality

        def rank() -> pd.DataFrame:
            return criticality(cur.scenario, kind=kind,
                               progress=lambda *_: cancel.check())

        table = await state.shared(("ranking", key), lambda: state.run(rank))
        state.rankings = {k: v for k, v in state.rankings.items() if k[0] == cur.token}
        state.rankings[key] = table
    assert isinstance(table, pd.DataFrame)
    return _csv(table, f"chokepoint-ranking-{kind}.csv")


@router.get("/api/report.html", summary="Download the offline HTML report of the scenario")
async def report_html(state: State) -> Response:
    """The offline report of the loaded scenario (cancellable between solver calls)."""
    cur = state.current

    def build() -> str:
        from chokepoint.report.build import build_report_data, render_report

        return render_report(build_report_data(cur.scenario, ranking=True))

    text = await state.shared(("report", cur.token), lambda: state.run(build))
    return Response(text, media_type="text/html", headers=attachment("chokepoint-report.html"))


def _csv(table: pd.DataFrame, name: str) -> Response:
    buf = io.StringIO()
    table.to_csv(buf, index=False)
    return Response(buf.getvalue(), media_type="text/csv", headers=attachment(name))
