"""The joint sample of ``chokepoint sensitivity`` on Dask (local cluster, scheduler or sync).

Each task evaluates a slice of the sample points (:func:`chokepoint.workflows.sensitivity.
evaluate`); the study (the raw scenario) is shipped to every worker once. The rows come back
in point order, so the result equals the in-process run's.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import pandas as pd

from chokepoint.sweep.runner import run_chunks
from chokepoint.workflows.sensitivity import Study, evaluate

__all__ = ["dask_runner", "sensitivity_chunk"]


def sensitivity_chunk(payload: tuple[Study, list[dict[str, float]], tuple[str, ...], int],
                      start: int, stop: int) -> pd.DataFrame:
    """Answers at points ``start:stop`` as a one-row-per-point table (list answers as text)."""
    study, points, measures, seed = payload
    rows = evaluate(study, points[start:stop], measures, seed)
    for r in rows:
        for k, v in list(r.items()):
            if isinstance(v, list):
                r[k] = ", ".join(map(str, v))
    return pd.DataFrame(rows)


def dask_runner(*, workers: int | None = None, scheduler: str | None = None,
                chunk: int = 2) -> Callable[..., list[dict[str, Any]]]:
    """A ``runner`` for :func:`~chokepoint.workflows.sensitivity.sensitivity` that evaluates
    the joint sample in chunks of ``chunk`` points on Dask (``workers=0``: in this process)."""
    def run(study: Study, points: Sequence[dict[str, float]], measures: Sequence[str],
            seed: int) -> list[dict[str, Any]]:
        pts = list(points)
        plan = [(i, min(i + chunk, len(pts))) for i in range(0, len(pts), chunk)]
        frames, _ = run_chunks(sensitivity_chunk, (study, pts, tuple(measures), seed), plan,
                               sizes=[b - a for a, b in plan], scheduler=scheduler,
                               workers=workers)
        table = pd.concat(frames, ignore_index=True) if frames else pd.DataFrame()
        return [{str(k): (v.item() if hasattr(v, "item") else v) for k, v in row.items()}
                for row in table.to_dict(orient="records")]

    return run
