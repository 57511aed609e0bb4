"""Tables and plots of a campaign simulation, and writing them (CSV, Parquet, PNG).

:func:`build_run_result` turns one run's logs into tables; :func:`write_outputs` writes both
runs of a :class:`~chokepoint.simulate.campaign.CampaignResult` atomically (each file goes to a
temporary name in the target folder and is renamed when complete).
"""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from chokepoint.io.write import atomic_path, ensure_dir, to_jsonable

if TYPE_CHECKING:
    from chokepoint.simulate.campaign import Campaign, CampaignResult, RunResult

__all__ = ["build_run_result", "write_outputs"]


def _dt(epoch: dt.datetime, h: np.ndarray | pd.Series) -> pd.Series:
    return pd.Series(pd.Timestamp(epoch) + pd.to_timedelta(np.asarray(h, dtype=float), unit="h"))


def build_run_result(cp: Campaign, *, n_events: int, wall_s: float, end_h: float) -> RunResult:
    """Tables of one finished run."""
    from chokepoint.simulate.campaign import EVENTS, RunResult

    c, tl, epoch = cp.c, cp.timeline, cp.epoch
    events = pd.DataFrame({"container": np.asarray(cp.ev_cid, dtype=np.int64),
                           "event": pd.Categorical(cp.ev_name, categories=list(EVENTS)),
                           "t_h": np.asarray(cp.ev_t, dtype=float),
                           "where": np.asarray(cp.ev_where, dtype=object)})
    events = events.sort_values(["container", "t_h", "event"], kind="stable",
                                ignore_index=True)
    events["time"] = _dt(epoch, events["t_h"].to_numpy())
    # wide table: first occurrence of each event per container
    first = events.drop_duplicates(["container", "event"], keep="first")
    wide = first.pivot(index="container", columns="event", values="t_h")
    wide = wide.reindex(index=np.arange(cp.n), columns=list(EVENTS))
    wide.columns = [f"{e}_h" for e in EVENTS]
    who = first[first["event"].isin(["loaded", "on_train"])].pivot(
        index="container", columns="event", values="where").reindex(np.arange(cp.n))
    containers = wide.reset_index(names="container")
    containers.insert(1, "ship", who["loaded"].to_numpy() if "loaded" in who else None)
    containers.insert(2, "train", who["on_train"].to_numpy() if "on_train" in who else None)
    containers["transit_h"] = containers["delivered_h"] - containers["released_h"]

    cols = ["train", "leg", "arc", "from", "to", "request_h", "enter_h", "exit_h",
            "paths_per_day", "rerouted"]
    passages = pd.DataFrame(cp.passages, columns=cols)
    passages.insert(3, "link", [str(c.link_ids[c.arc_link[a]]) for a in passages["arc"]])
    passages["wait_h"] = passages["enter_h"] - passages["request_h"]
    voyages = pd.DataFrame(cp.voyages, columns=["ship", "voyage", "from", "to", "containers",
                                                "berth_h", "sailed_h", "arrived_h"])
    reroutes = pd.DataFrame(cp.reroutes, columns=["train", "at_node", "t_h"])

    t_del = np.sort(np.asarray(cp.deliveries, dtype=float))
    arrivals = pd.DataFrame({"t_h": t_del, "delivered": np.arange(1, len(t_del) + 1)})
    arrivals["time"] = _dt(epoch, t_del)

    samples = np.arange(0.0, end_h + cp.settings.sample_h, cp.settings.sample_h)
    util = _utilisation(cp, passages, end_h)
    sec_bl = _section_backlog(cp, passages, samples)
    node_bl = _node_backlog(cp, samples, tl)
    return RunResult(label=cp.label, disrupted=cp.disrupted, epoch=epoch, n_containers=cp.n,
                     containers=containers, events=events, passages=passages, voyages=voyages,
                     reroutes=reroutes, arrivals=arrivals, utilisation=util,
                     section_backlog=sec_bl, node_backlog=node_bl, n_events=n_events,
                     wall_s=wall_s, end_h=end_h)


def _section_name(cp: Campaign, r: int) -> tuple[str, str]:
    c = cp.c
    link = str(c.link_ids[c.arc_link[r]])
    direction = "both" if c.partner[r] >= 0 else (
        "forward" if r < len(c.link_ids) else "reverse")
    return link, direction


def _utilisation(cp: Campaign, passages: pd.DataFrame, end_h: float) -> pd.DataFrame:
    """Per section and day: paths, background and campaign trains, utilisation."""
    c, tl = cp.c, cp.timeline
    res = cp.res_of
    link_arc = (c.arc_link >= 0) & np.isfinite(c.capacity)
    used = set(int(res[a]) for a in passages["arc"]) if len(passages) else set()
    bg_any = np.zeros(c.n_arcs, dtype=bool)
    for ph in tl.bg:
        for load in ph.values():
            bg_any |= load > 1e-9
    rows = sorted({int(r) for r in np.flatnonzero(link_arc & bg_any)} | used)
    rows = [r for r in rows if res[r] == r or int(res[r]) in used]
    rows = sorted({int(res[r]) for r in rows})
    n_days = max(int(np.ceil(end_h / 24.0)), 1)
    starts = np.asarray([*tl.times, np.inf])
    day0 = np.arange(n_days) * 24.0
    ov = np.clip(np.minimum(starts[1:, None], day0[None, :] + 24.0)
                 - np.maximum(starts[:-1, None], day0[None, :]), 0.0, None)  # phases x days
    if not rows:
        return pd.DataFrame(columns=["link", "direction", "day", "date", "paths_per_day",
                                     "background_trains", "campaign_trains", "utilisation"])
    ridx = np.asarray(rows)
    paths = np.stack([p[ridx] for p in tl.paths])  # phases x rows
    bg = np.stack([sum((v[ridx] for v in ph.values()), np.zeros(len(ridx))) for ph in tl.bg])
    p_day = ov.T @ np.where(np.isfinite(paths), paths, 0.0) / 24.0  # days x rows
    b_day = ov.T @ bg / 24.0
    camp = np.zeros((n_days, len(ridx)))
    if len(passages):
        pos = {r: i for i, r in enumerate(rows)}
        d = np.clip((passages["enter_h"].to_numpy() // 24).astype(np.int64), 0, n_days - 1)
        col = np.array([pos[int(res[a])] for a in passages["arc"]])
        np.add.at(camp, (d, col), 1.0)
    with np.errstate(divide="ignore", invalid="ignore"):
        u = np.where(p_day > 0, (b_day + camp) / p_day, np.nan)
    names = [_section_name(cp, r) for r in rows]
    out = pd.DataFrame({
        "link": np.tile([n[0] for n in names], n_days),
        "direction": np.tile([n[1] for n in names], n_days),
        "day": np.repeat(np.arange(n_days), len(rows)),
        "paths_per_day": p_day.ravel(), "background_trains": b_day.ravel(),
        "campaign_trains": camp.ravel(), "utilisation": u.ravel()})
    out.insert(3, "date", (pd.Timestamp(cp.epoch) + pd.to_timedelta(out["day"], unit="D")))
    return out


def _section_backlog(cp: Campaign, passages: pd.DataFrame, samples: np.ndarray
                     ) -> pd.DataFrame:
    """Campaign trains queued at each section (waiting for a path) at the sample times."""
    frames = []
    if len(passages):
        p = passages.assign(res=cp.res_of[passages["arc"].to_numpy()])
        for r, g in p.groupby("res", sort=True):
            r = int(r)  # type: ignore[arg-type]
            req = np.sort(g["request_h"].to_numpy())
            ent = np.sort(g["enter_h"].to_numpy())
            q = (np.searchsorted(req, samples, side="right")
                 - np.searchsorted(ent, samples, side="right"))
            link, direction = _section_name(cp, r)
            frames.append(pd.DataFrame({"link": link, "direction": direction, "t_h": samples,
                                        "trains_waiting": q}))
    out = (pd.concat(frames, ignore_index=True) if frames else
           pd.DataFrame(columns=["link", "direction", "t_h", "trains_waiting"]))
    out["time"] = _dt(cp.epoch, out["t_h"].to_numpy())
    return out


def _node_backlog(cp: Campaign, samples: np.ndarray, tl: Any) -> pd.DataFrame:
    """Containers waiting in each yard, and unserved background trains accumulated at each
    background origin, at the sample times."""
    frames = []
    for leg in cp.legs:
        y = leg.yard
        t_in = np.asarray(y.log_in + [t for _, t in y.queue], dtype=float)
        t_out = np.asarray(y.log_out + [np.inf] * len(y.queue), dtype=float)
        q = (np.searchsorted(np.sort(t_in), samples, side="right")
             - np.searchsorted(np.sort(t_out), samples, side="right"))
        frames.append(pd.DataFrame({"node": y.node, "kind": "campaign_containers",
                                    "t_h": samples, "backlog": q.astype(float)}))
    if tl.bg_ids:
        starts = np.asarray([*tl.times, np.inf])
        dur = np.clip(np.minimum(starts[1:, None], samples[None, :]) - starts[:-1, None],
                      0.0, None)  # phases x samples: hours of each phase before each sample
        unmet = np.stack(tl.unmet)  # phases x demands (trains/day)
        acc = dur.T @ unmet / 24.0  # samples x demands
        by_node: dict[str, np.ndarray] = {}
        for k, o in enumerate(tl.bg_origins):
            by_node[o] = by_node.get(o, 0.0) + acc[:, k]
        for o, v in by_node.items():
            frames.append(pd.DataFrame({"node": o, "kind": "background_unserved_trains",
                                        "t_h": samples, "backlog": v}))
    out = pd.concat(frames, ignore_index=True)
    out["time"] = _dt(cp.epoch, out["t_h"].to_numpy())
    return out


# -- writing -------------------------------------------------------------------------------------
TABLES = ("containers", "events", "passages", "voyages", "reroutes", "arrivals", "utilisation",
          "section_backlog", "node_backlog")


def write_outputs(result: CampaignResult, out_dir: str | Path, *,
                  formats: tuple[str, ...] = ("csv", "parquet"), plots: bool = True
                  ) -> list[Path]:
    """Write every table of both runs (CSV and Parquet), the delays, a summary JSON and PNG
    plots into ``out_dir``; return the paths written. Each file is written atomically."""
    out = ensure_dir(out_dir)
    written: list[Path] = []
    runs = [result.baseline] if result.run is result.baseline else [result.baseline,
                                                                    result.run]
    for r in runs:
        for name in TABLES:
            frame: pd.DataFrame = getattr(r, name)
            written += _write_table(frame, out / f"{r.label}_{name}", formats)
    written += _write_table(result.delays, out / "delays", formats)
    with atomic_path(out / "summary.json") as tmp:
        tmp.write_text(json.dumps(to_jsonable(result.summary()), indent=2) + "\n",
                       encoding="utf-8")
    written.append(out / "summary.json")
    if plots:
        written += write_plots(result, out)
    return written


def _write_table(frame: pd.DataFrame, stem: Path, formats: tuple[str, ...]) -> list[Path]:
    paths = []
    for fmt in formats:
        p = stem.with_suffix(f".{fmt}")
        with atomic_path(p) as tmp:
            if fmt == "csv":
                frame.to_csv(tmp, index=False)
            elif fmt == "parquet":
                f = frame.copy()
                for col in f.columns:
                    if f[col].dtype == object:
                        f[col] = f[col].astype("string")
                f.to_parquet(tmp, index=False)
            else:
                raise ValueError(f"unknown table format {fmt!r} (csv, parquet)")
        paths.append(p)
    return paths


def write_plots(result: CampaignResult, out: Path) -> list[Path]:
    """PNG plots: cumulative arrivals (both runs), delay per container, yard backlog and the
    utilisation of the busiest sections. Matplotlib's Agg backend; no display is needed."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    runs = [result.baseline] if result.run is result.baseline else [result.baseline,
                                                                    result.run]
    written = []

    def save(fig: Figure, name: str) -> None:
        FigureCanvasAgg(fig)
        p = out / f"{name}.png"
        with atomic_path(p) as tmp:
            fig.savefig(tmp, format="png", dpi=110, bbox_inches="tight")
        written.append(p)

    fig = Figure(figsize=(8, 4.5))
    ax = fig.add_subplot()
    for r in runs:
        ax.step(r.arrivals["time"], r.arrivals["delivered"], where="post", label=r.label)
    ax.set_ylabel("containers delivered")
    ax.set_title("Cumulative arrivals")
    ax.legend()
    fig.autofmt_xdate()
    save(fig, "arrivals")

    fig = Figure(figsize=(8, 4.5))
    ax = fig.add_subplot()
    d = result.delays
    ax.plot(d["container"], d["delay_h"], ".", ms=2)
    ax.set_xlabel("container")
    ax.set_ylabel("delay against the undisrupted run (h)")
    ax.set_title("Delay per container")
    save(fig, "delays")

    fig = Figure(figsize=(8, 4.5))
    ax = fig.add_subplot()
    for r in runs:
        nb = r.node_backlog[r.node_backlog["kind"] == "campaign_containers"]
        for node, g in nb.groupby("node", sort=True):
            ax.plot(g["time"], g["backlog"], label=f"{r.label}: {node}")
    ax.set_ylabel("containers waiting")
    ax.set_title("Backlog in the yards")
    ax.legend(fontsize=7)
    fig.autofmt_xdate()
    save(fig, "backlog")

    fig = Figure(figsize=(8, 4.5))
    ax = fig.add_subplot()
    r = runs[-1]
    u = r.utilisation.dropna(subset=["utilisation"])
    if len(u):
        top = (u.groupby(["link", "direction"])["utilisation"].max()
               .sort_values(ascending=False).head(8))
        for key in top.index:
            link, direction = str(key[0]), str(key[1])
            g = u[(u["link"] == link) & (u["direction"] == direction)]
            ax.plot(g["date"], g["utilisation"], label=f"{link} ({direction})")
        ax.legend(fontsize=7)
    ax.set_ylabel("utilisation (trains / paths)")
    ax.set_title(f"Busiest sections ({r.label})")
    fig.autofmt_xdate()
    save(fig, "utilisation")
    return written
