"""The ``cost`` command: what the scenario's dated disruptions cost each commodity."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any

import typer
from rich.markup import escape

from chokepoint.cli._app import JsonOpt, PathArg, _load, _num, _print_json, app, out
from chokepoint.errors import InputError


@app.command()
def cost(
    path: PathArg,
    horizon_days: Annotated[float | None, typer.Option(
        "--horizon-days", help="Study length in days from the first disruption's day "
                               "(default: 14 days after the last reopening, at least 30).")
    ] = None,
    backlog_days: Annotated[float, typer.Option(
        "--backlog-days", help="Queue limit per commodity, in days of its demand: demand not "
                               "carried is deferred up to this, lost beyond.")] = 7.0,
    as_json: JsonOpt = False,
) -> None:
    """Time-aware cost of the disruptions: tonnes lost, backlog and recovery dates."""
    from chokepoint.analyses.multiperiod import disruption_cost

    s = _load(path)
    if not s.demands:
        raise InputError("no demands: add [[commodities]] or [[background]] to the scenario",
                         source=s.path)
    if horizon_days is not None and not (0 < horizon_days < 3660):
        raise InputError("--horizon-days must be between 0 and 3660")
    if not (0 <= backlog_days < 3660):
        raise InputError("--backlog-days must be between 0 and 3660")
    res = disruption_cost(s.network.compiled, s.demands, s.disruptions,
                          horizon_days=horizon_days, backlog_days=backlog_days)
    qty = s.units.base.removesuffix("/day") if s.units.base.endswith("/day") else s.units.base
    rows: list[dict[str, Any]] = [{str(k): v for k, v in r.items()}
                                  for r in res.summary.to_dict(orient="records")]
    if as_json:
        _print_json({"start": res.start.isoformat(), "horizon_days": res.horizon_days,
                     "backlog_days": backlog_days, "unit": qty,
                     "total_loss": res.total_loss_t, "commodities": _jsonable(rows)})
        return
    _print_cost(res, rows, qty, backlog_days)


def _date(v: Any) -> str | None:
    if v is None or v != v:  # None or NaT
        return None
    return str(v.strftime("%Y-%m-%d %H:%M")) if isinstance(v, dt.datetime) else str(v)


def _jsonable(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    dates = ("backlog_peak_date", "backlog_drained_date", "recovered_date")
    return [{k: (_date(v) if k in dates else v) for k, v in r.items()} for r in rows]


def _print_cost(res: Any, rows: list[dict[str, Any]], qty: str, backlog_days: float) -> None:
    """One stacked block per commodity (fits 80 columns), in thousands of the base quantity."""
    end = res.start + dt.timedelta(days=res.horizon_days)
    out.print(f"[bold]Time-aware cost of the disruptions[/]\n"
              f"{res.start:%d %b %Y} – {end:%d %b %Y} ({res.horizon_days:.0f} days). Demand "
              f"not carried is deferred\nup to {backlog_days:g} days of demand at its origin, "
              f"and lost beyond that.")
    for r in rows:
        out.print(f"\n[bold]{escape(r['commodity'])}[/]: {escape(r['route'])}")
        if not r["affected"]:
            out.print(f"  unaffected (worst case {_num(r['worst_case_loss_t'] / 1e3)} k{qty})")
            continue
        rec = _date(r["recovered_date"]) or "not by the end of the period"
        out.print(f"  lost {_num(r['loss_t'] / 1e3)} k{qty} "
                  f"(worst case {_num(r['worst_case_loss_t'] / 1e3)} k{qty})")
        drained = _date(r["backlog_drained_date"]) or "not by the end"
        if r["backlog_peak_t"] > 0:
            out.print(f"  extra backlog peak {_num(r['backlog_peak_t'] / 1e3)} k{qty} on "
                      f"{_date(r['backlog_peak_date'])},\n"
                      f"  cleared (delivered or dropped at the limit) {drained}")
        out.print(f"  rate back to normal: {rec}")
    worst = float(sum(r["worst_case_loss_t"] for r in rows)) / 1e3
    out.print(f"\nTotal not delivered because of the disruptions: "
              f"{_num(res.total_loss_t / 1e3)} k{qty}\n"
              f"(against the same days without them; worst case = every disruption at\n"
              f"once for the whole period: {_num(worst)} k{qty})")
