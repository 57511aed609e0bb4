"""Sweeps on Dask: identical to the in-process reference, resumable, seeded per run, and
unchanged when a worker process is killed mid-way.

One two-worker LocalCluster serves the whole module (started once: ~2 s). Every sweep runs
on the built-in corridor (60 links), so each one takes well under a second of work.
"""

from __future__ import annotations

import json
import os
import signal
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest

from chokepoint.data import load_builtin
from chokepoint.errors import InputError
from chokepoint.scenario import Scenario
from chokepoint.sweep import (
    montecarlo_run,
    run_seed,
    sweep_criticality,
    sweep_montecarlo,
)
from chokepoint.sweep.runner import run_chunks
from chokepoint.sweep.store import MANIFEST, SweepStore
from chokepoint.sweep.tasks import Payload, empty_task

distributed = pytest.importorskip("distributed")


class StopError(Exception):
    """Raised from a progress callback to interrupt a sweep."""


@pytest.fixture(scope="module")
def scenario() -> Scenario:
    return load_builtin()


@pytest.fixture(scope="module")
def client() -> Iterator[Any]:
    """One two-worker cluster for the module; closed by its context managers."""
    with distributed.LocalCluster(
            n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None,
            scheduler_kwargs={"dashboard_address": "127.0.0.1:0"}) as cluster, \
            distributed.Client(cluster) as c:
        yield c


@pytest.fixture(scope="module")
def mc_reference(scenario: Scenario) -> pd.DataFrame:
    """120 Monte Carlo runs in-process (the reference of the distributed runs)."""
    return sweep_montecarlo(scenario, runs=120, seed=7, scheduler="sync").table


# -- criticality ------------------------------------------------------------------------------
def test_sync_criticality_equals_the_ranking(scenario: Scenario) -> None:
    from chokepoint.workflows.ranking import criticality

    res = sweep_criticality(scenario, scheduler="sync", chunk_size=5)
    ref = criticality(scenario)
    common = [col for col in ref.columns if col in res.table.columns]
    assert len(common) > 20
    pd.testing.assert_frame_equal(res.table[common], ref[common])
    assert res.info.mode == "sync"
    assert res.info.chunks_run == -(-len(scenario.network.links) // 5)


@pytest.mark.parametrize("kind", ["node", "group"])
def test_dask_criticality_equals_sync(scenario: Scenario, client: Any, kind: str) -> None:
    ref = sweep_criticality(scenario, kind=kind, scheduler="sync", chunk_size=8)
    res = sweep_criticality(scenario, kind=kind, client=client, chunk_size=8)
    pd.testing.assert_frame_equal(res.table, ref.table)
    assert res.info.mode == "client"


def test_scheduler_address_runs_the_same_sweep(scenario: Scenario, client: Any,
                                               tmp_path: Path) -> None:
    """``--scheduler tcp://...``: the same sweep on an existing cluster, no code change."""
    address = client.scheduler.address
    ref = sweep_criticality(scenario, measures=["throughput", "redundancy"], scheduler="sync")
    res = sweep_criticality(scenario, measures=["throughput", "redundancy"],
                            scheduler=address, out=tmp_path / "out")
    assert res.info.mode == "remote"
    assert res.info.workers == 2
    pd.testing.assert_frame_equal(res.table, ref.table)
    pd.testing.assert_frame_equal(pd.read_parquet(tmp_path / "out" / "results.parquet"),
                                  ref.table, check_dtype=False)


def test_measures_are_checked(scenario: Scenario) -> None:
    with pytest.raises(InputError, match="unknown measure"):
        sweep_criticality(scenario, measures=["speed"], scheduler="sync")
    with pytest.raises(InputError, match="no measure applies"):
        sweep_criticality(scenario, kind="node", measures=["redundancy"], scheduler="sync")


# -- Monte Carlo ------------------------------------------------------------------------------
def test_montecarlo_seeded_per_run(scenario: Scenario, mc_reference: pd.DataFrame) -> None:
    ref = mc_reference
    assert list(ref["run"]) == list(range(120))
    assert ref["seed"].tolist() == [run_seed(7, i) for i in range(120)]
    # the seed is the run-th child of SeedSequence(7)
    child = np.random.SeedSequence(7).spawn(4)[3]
    assert run_seed(7, 3) == int(child.generate_state(1, dtype=np.uint64)[0])
    # chunking does not change any run
    other = sweep_montecarlo(scenario, runs=120, seed=7, scheduler="sync", chunk_size=7).table
    pd.testing.assert_frame_equal(other, ref)
    # any run alone gives its row
    for i in (0, 57, 119):
        one = sweep_montecarlo(scenario, runs=120, seed=7, only_run=i).table
        pd.testing.assert_frame_equal(one, ref.iloc[[i]].reset_index(drop=True))
    # different runs draw different failures
    assert ref["events"].nunique() > 100
    assert (ref["throughput_loss"] >= 0).all()
    assert (ref["unserved"] >= -1e-6).all()
    assert ((ref["failures"] == 0) == (ref["down_days"] == 0)).all()


def test_montecarlo_summary(scenario: Scenario, mc_reference: pd.DataFrame) -> None:
    from chokepoint.sweep import montecarlo_params, summarize_montecarlo

    params = montecarlo_params(scenario, seed=7)
    summ = summarize_montecarlo(mc_reference, params, unit="t/day", worst=5)
    st = summ["stats"]["throughput_loss"]
    assert st["p5"] <= st["p50"] <= st["p95"] <= st["max"]
    assert st["p50"] == pytest.approx(float(np.median(mc_reference["throughput_loss"])))
    worst = [r["throughput_loss"] for r in summ["worst_runs"]]
    assert len(worst) == 5
    assert worst == sorted(worst, reverse=True)
    assert worst[0] == mc_reference["throughput_loss"].max()
    json.dumps(summ, default=str)


def test_montecarlo_on_dask_equals_sync(scenario: Scenario, client: Any,
                                        mc_reference: pd.DataFrame, tmp_path: Path) -> None:
    res = sweep_montecarlo(scenario, runs=120, seed=7, client=client, chunk_size=15,
                           out=tmp_path / "mc")
    pd.testing.assert_frame_equal(res.table, mc_reference)
    assert len(list((tmp_path / "mc" / "chunks").glob("chunk-*.parquet"))) == 8
    assert not list((tmp_path / "mc").rglob("*.tmp"))
    summary = json.loads((tmp_path / "mc" / "summary.json").read_text())
    assert summary["runs"] == 120
    assert summary["mode"] == "client"


def test_montecarlo_with_campaign_simulation(scenario: Scenario) -> None:
    res = sweep_montecarlo(scenario, runs=1, seed=3, simulate=True, scheduler="sync",
                           probability_per_day=0.02)
    for col in ("delay_mean_h", "delay_max_h", "undelivered", "peak_backlog"):
        assert col in res.table
    assert (res.table["undelivered"] >= 0).all()


def test_default_failure_model_parameters(scenario: Scenario) -> None:
    never = sweep_montecarlo(scenario, runs=5, seed=1, probability_per_day=0.0,
                             scheduler="sync").table
    assert (never["failures"] == 0).all()
    assert (never["throughput_loss"] == 0).all()
    assert (never["unserved"] == 0).all()
    often = sweep_montecarlo(scenario, runs=2, seed=1, probability_per_day=0.05,
                             repair_days_mean=2.0, horizon_days=20, scheduler="sync").table
    assert often["failures"].mean() > 20
    with pytest.raises(InputError, match="probability_per_day"):
        sweep_montecarlo(scenario, runs=1, probability_per_day=2.0, scheduler="sync")


# -- streaming, resume ------------------------------------------------------------------------
def _interrupt_after(k: int) -> Any:
    calls = {"n": 0}

    def cb(done: int, total: int) -> None:
        calls["n"] += 1
        if calls["n"] > k:  # the first call reports 0 done
            raise StopError

    return cb


@pytest.mark.parametrize("where", ["sync", "dask"])
def test_resume_gives_the_uninterrupted_results(scenario: Scenario, client: Any,
                                                mc_reference: pd.DataFrame, tmp_path: Path,
                                                where: str) -> None:
    out = tmp_path / "mc"
    run: dict[str, Any] = {"scheduler": "sync"} if where == "sync" else {"client": client}
    with pytest.raises(StopError):
        sweep_montecarlo(scenario, runs=120, seed=7, chunk_size=10, out=out,
                         progress=_interrupt_after(3), **run)
    done = sorted(p.name for p in (out / "chunks").glob("chunk-*.parquet"))
    assert 1 <= len(done) < 12
    assert not (out / "results.parquet").exists()
    with pytest.raises(InputError, match="already holds a sweep"):
        sweep_montecarlo(scenario, runs=120, seed=7, chunk_size=10, out=out, **run)
    res = sweep_montecarlo(scenario, runs=120, seed=7, chunk_size=10, out=out, resume=True,
                           **run)
    assert res.info.chunks_skipped >= len(done) - 1
    assert res.info.chunks_run >= 1
    assert res.info.chunks_skipped + res.info.chunks_run == 12
    pd.testing.assert_frame_equal(res.table, mc_reference)
    pd.testing.assert_frame_equal(pd.read_parquet(out / "results.parquet"), mc_reference,
                                  check_dtype=False)


def test_resume_refuses_another_sweep(scenario: Scenario, tmp_path: Path) -> None:
    out = tmp_path / "mc"
    sweep_montecarlo(scenario, runs=20, seed=1, chunk_size=10, out=out, scheduler="sync")
    with pytest.raises(InputError, match=r"differs in 'params\.seed'"):
        sweep_montecarlo(scenario, runs=20, seed=2, chunk_size=10, out=out, resume=True,
                         scheduler="sync")
    with pytest.raises(InputError, match="differs in 'chunks'"):
        sweep_montecarlo(scenario, runs=30, seed=1, chunk_size=10, out=out, resume=True,
                         scheduler="sync")
    with pytest.raises(InputError, match="resume= needs out="):
        sweep_montecarlo(scenario, runs=20, resume=True, scheduler="sync")
    # a resume of a finished sweep runs nothing and gives the same table
    again = sweep_montecarlo(scenario, runs=20, seed=1, chunk_size=10, out=out, resume=True,
                             scheduler="sync")
    assert again.info.chunks_run == 0
    assert again.info.chunks_skipped == 2


def test_unreachable_scheduler_leaves_no_output(scenario: Scenario, tmp_path: Path) -> None:
    """The manifest is written with the first finished chunk, after the scheduler answered:
    a sweep that cannot connect leaves nothing under ``out`` (issue 14)."""
    out = tmp_path / "never"
    with pytest.raises(InputError, match=r"no Dask scheduler answers at tcp://127\.0\.0\.1:1"):
        sweep_criticality(scenario, measures=["throughput"], out=out,
                          scheduler="tcp://127.0.0.1:1")
    assert not out.exists()
    # the store alone writes nothing; its first chunk brings the manifest
    store = SweepStore(out, {"chunks": [[0, 1]]})
    assert not out.exists()
    store.write_chunk(0, pd.DataFrame({"x": [1]}))
    assert json.loads((out / MANIFEST).read_text())["chunks"] == [[0, 1]]


def test_store_rewrites_an_unreadable_chunk(tmp_path: Path) -> None:
    store = SweepStore(tmp_path, {"chunks": [[0, 1], [1, 2]]})
    store.write_chunk(0, pd.DataFrame({"x": [1]}))
    store.write_chunk(1, pd.DataFrame({"x": [2]}))
    store.chunk_path(1).write_bytes(b"not parquet")
    (tmp_path / "chunks" / ".chunk-000002.parquet.abc.tmp").write_bytes(b"half")
    again = SweepStore(tmp_path, {"chunks": [[0, 1], [1, 2]]}, resume=True)
    assert again.done(range(2)) == {0}
    assert not list((tmp_path / "chunks").glob("*.tmp"))
    assert json.loads((tmp_path / MANIFEST).read_text())["format"] == "chokepoint-sweep"


# -- fault tolerance --------------------------------------------------------------------------
def test_worker_killed_mid_sweep(scenario: Scenario, client: Any, mc_reference: pd.DataFrame,
                                 tmp_path: Path) -> None:
    """SIGKILL one worker process while it computes: the sweep completes, same results."""
    killed: dict[str, Any] = {}

    def kill_one(done: int, total: int) -> None:
        if killed or done == 0:
            return
        busy = {w: ts for w, ts in client.processing().items() if ts}
        if not busy:  # nothing in flight right now: try at the next finished chunk
            return
        addr = next(iter(busy))
        killed["addr"] = addr
        killed["pid"] = client.run(os.getpid, workers=[addr])[addr]
        killed["tasks"] = len(busy[addr])
        os.kill(killed["pid"], signal.SIGKILL)

    res = sweep_montecarlo(scenario, runs=120, seed=7, client=client, chunk_size=6,
                           out=tmp_path / "mc", progress=kill_one)
    assert killed
    assert killed["tasks"] >= 1
    pd.testing.assert_frame_equal(res.table, mc_reference)
    client.wait_for_workers(2, timeout=60)  # the nanny restarts it, under a new address
    assert killed["addr"] not in client.scheduler_info()["workers"]


# -- runner -----------------------------------------------------------------------------------
def test_runner_empty_tasks_and_progress(scenario: Scenario, client: Any) -> None:
    p = Payload(c=scenario.network.compiled)
    seen: list[tuple[int, int]] = []
    frames, _info = run_chunks(empty_task, p, [(0, 3), (3, 5), (5, 9)], sizes=[3, 2, 4],
                              client=client, progress=lambda d, t: seen.append((d, t)))
    assert [len(f) for f in frames] == [3, 2, 4]
    assert seen[0] == (0, 9)
    assert seen[-1] == (9, 9)
    assert len(seen) == 4
    frames0, info0 = run_chunks(empty_task, p, [(0, 3), (3, 5)], workers=0)
    assert info0.mode == "sync"
    assert [len(f) for f in frames0] == [3, 2]
    with pytest.raises(InputError, match="workers"):
        run_chunks(empty_task, p, [(0, 1)], workers=-1)


def test_montecarlo_run_function(scenario: Scenario, mc_reference: pd.DataFrame) -> None:
    from chokepoint.sweep import montecarlo_params, montecarlo_payload

    params = montecarlo_params(scenario, seed=7)
    row = montecarlo_run(montecarlo_payload(scenario, params), params, 42)
    pd.testing.assert_frame_equal(row, mc_reference.iloc[[42]].reset_index(drop=True))


# -- the command line (once the sweep sub-app is registered in chokepoint.cli) ---------------
def _cli() -> Any:
    from chokepoint import cli

    names = [g.name for g in cli.app.registered_groups]
    if "sweep" not in names:
        pytest.skip("the `chokepoint sweep` sub-app is not registered in chokepoint.cli yet")
    return cli.main


def test_cli_sweeps(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    main = _cli()
    out = tmp_path / "mc"
    args = ["sweep", "montecarlo", "builtin:corridor", "--runs", "30", "--seed", "5",
            "--workers", "0", "--out", str(out), "--json"]
    with pytest.raises(SystemExit) as e:
        main(args)
    assert e.value.code == 0
    data = json.loads(capsys.readouterr().out)
    assert data["runs"] == 30
    assert (out / "results.parquet").exists()
    with pytest.raises(SystemExit) as e:
        main([*args[:-3], "--only-run", "12", "--json"])
    assert e.value.code == 0
    one = json.loads(capsys.readouterr().out)
    table = pd.read_parquet(out / "results.parquet")
    assert one["worst_runs"][0]["throughput_loss"] == pytest.approx(
        table.loc[12, "throughput_loss"])
    with pytest.raises(SystemExit) as e:
        main(["sweep", "criticality", "builtin:corridor", "--by", "group", "--measure",
              "throughput", "--workers", "0", "--json"])
    assert e.value.code == 0
    crit = json.loads(capsys.readouterr().out)
    assert crit["elements"] == len(load_builtin().network.groups())
    assert crit["top"][0]["rank"] == 1


def test_scenario_stochastic_failures_are_used(scenario: Scenario) -> None:
    import dataclasses

    from chokepoint.timeline import StochasticFailure

    tunnel = StochasticFailure(element="severomuysky_tunnel", probability_per_day=0.05,
                               repair_days_mean=3.0, id="tunnel")
    s = dataclasses.replace(scenario, stochastic_failures=[tunnel])
    res = sweep_montecarlo(s, runs=20, seed=2, scheduler="sync")
    assert res.summary["failure_model"]["from"] == "scenario"
    assert res.summary["failure_model"]["elements"] == 1
    hit = res.table[res.table["failures"] > 0]
    assert len(hit) > 0
    assert hit["events"].str.startswith("severomuysky_tunnel@").all()
