"""The disk cache of parsed networks (chokepoint.io.cache): a hit gives the network a parse
gives, a changed file misses, a bad entry is rebuilt, eviction keeps the cap, it switches off."""

from __future__ import annotations

import json
import os
from pathlib import Path

import numpy as np
import pytest

from chokepoint.cli import main
from chokepoint.errors import InputError
from chokepoint.io import cache as disk
from chokepoint.io import dimacs, load
from chokepoint.scenario import Scenario
from chokepoint.workflows.shipment import shipment, throughput


@pytest.fixture
def cache_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """The cache on, in a temporary folder (the suite runs with it off)."""
    monkeypatch.setenv("CHOKEPOINT_CACHE", "on")
    monkeypatch.setenv("CHOKEPOINT_CACHE_DIR", str(tmp_path / "cache"))
    monkeypatch.delenv("CHOKEPOINT_CACHE_MAX_MB", raising=False)
    return tmp_path / "cache" / "networks"


def _grid(path: Path, *, kind: str = "max", side: int = 140, seed: int = 0) -> Path:
    """A side×side grid with arcs both ways (77,840 arcs: over 1 MiB), as DIMACS."""
    rng = np.random.default_rng(seed)
    idx = np.arange(side * side).reshape(side, side) + 1
    a = np.concatenate([idx[:, :-1].ravel(), idx[:-1, :].ravel()])
    b = np.concatenate([idx[:, 1:].ravel(), idx[1:, :].ravel()])
    tail, head = np.concatenate([a, b]), np.concatenate([b, a])
    cap = rng.integers(1, 100, len(tail))
    n = side * side
    with path.open("w") as fh:
        if kind == "max":
            fh.write(f"c grid\np max {n} {len(tail)}\nn 1 s\nn {n} t\n")
            np.savetxt(fh, np.column_stack([tail, head, cap]), fmt="a %d %d %d")
        else:
            fh.write(f"c grid\np min {n} {len(tail)}\nn 1 25.5\nn {n} -25.5\n")
            cost = rng.integers(1, 9, len(tail))
            np.savetxt(fh, np.column_stack([tail, head, 0 * cap, cap, cost]),
                       fmt="a %d %d %d %d %d")
    assert path.stat().st_size > disk.MIN_BYTES
    return path


def _same(a: Scenario, b: Scenario) -> None:
    """The two scenarios hold the same network and terminals, and answer the same."""
    x, y = a.network.link_arrays(), b.network.link_arrays()
    for name in ("tail", "head", "capacity", "time_h", "length_km", "cost", "handling",
                 "dwell"):
        np.testing.assert_array_equal(getattr(x, name), getattr(y, name), err_msg=name)
    np.testing.assert_array_equal(x.node_ids, y.node_ids)
    assert list(a.network.element_ids("link")) == list(b.network.element_ids("link"))
    assert (a.sources, a.sinks, a.supplies, a.name, a.path) == (
        b.sources, b.sinks, b.supplies, b.name, b.path)
    if a.sources and a.sinks:
        ra, rb = (throughput(s, shipment(s, sources=None, sinks=None)) for s in (a, b))
        assert ra.keys() == rb.keys()
        for k in ra:
            if isinstance(ra[k], np.ndarray):
                np.testing.assert_array_equal(ra[k], rb[k], err_msg=k)
            else:
                assert ra[k] == rb[k], k


@pytest.mark.parametrize("kind", ["max", "min"])
def test_a_hit_gives_the_network_a_parse_gives(kind: str, cache_dir: Path, tmp_path: Path,
                                               monkeypatch: pytest.MonkeyPatch) -> None:
    f = _grid(tmp_path / f"g.{kind}", kind=kind)
    plain = dimacs.read_dimacs(f, cache=False)
    assert not cache_dir.exists()
    first = dimacs.read_dimacs(f)  # a miss: parses and keeps
    assert len(list(cache_dir.glob("*.npz"))) == 1

    def no_parse(raw: bytes, p: Path) -> None:
        raise AssertionError("parsed although the entry was there")

    monkeypatch.setattr(dimacs, "_parse", no_parse)
    hit = load(f)
    _same(plain, first)
    _same(plain, hit)


def test_a_changed_file_misses(cache_dir: Path, tmp_path: Path) -> None:
    f = _grid(tmp_path / "g.max")
    before = dimacs.read_dimacs(f)
    raw = f.read_bytes()
    at = raw.rindex(b"\na ") + 1
    line = raw[at:].split(b"\n")[0]
    f.write_bytes(raw[:at] + line.rsplit(b" ", 1)[0] + b" 7777" + raw[at + len(line):])
    after = dimacs.read_dimacs(f)
    assert after.network.link_arrays().capacity[-1] == 7777
    assert before.network.link_arrays().capacity[-1] != 7777
    assert len(list(cache_dir.glob("*.npz"))) == 2
    _same(after, dimacs.read_dimacs(f, cache=False))


def _bad_entries(good: Path) -> dict[str, bytes | None]:
    """Ways an entry can be wrong: as file bytes (None: written with numpy below)."""
    raw = good.read_bytes()
    return {"truncated": raw[: len(raw) // 2], "empty": b"", "not an archive": b"x" * 4096,
            "tail out of range": None, "wrong dtype": None, "too few arcs": None,
            "pickled objects": None, "another key": None, "a .npy file": None}


def _write_bad(path: Path, how: str, key: str) -> None:
    meta, arrays = disk.load_entry(key) or ({}, {})
    meta = {**meta}
    if how == "tail out of range":
        arrays["tail"] = arrays["tail"].copy()
        arrays["tail"][5] = meta["n_nodes"]
    elif how == "wrong dtype":
        arrays["head"] = arrays["head"].astype(np.int32)
    elif how == "too few arcs":
        arrays = {k: v[:-1] for k, v in arrays.items()}
    elif how == "another key":
        meta["key"] = "0" * 64
    if how == "a .npy file":
        with path.open("wb") as fh:
            np.save(fh, arrays["tail"])
        return
    body = np.frombuffer(json.dumps(meta).encode(), dtype=np.uint8)
    extra = {"objects": np.array([{"a": 1}], dtype=object)} if how == "pickled objects" else {}
    with path.open("wb") as fh:
        np.savez(fh, __meta__=body, **arrays, **extra)


def test_a_bad_entry_is_rebuilt_never_an_error(cache_dir: Path, tmp_path: Path) -> None:
    f = _grid(tmp_path / "g.max")
    good_net = dimacs.read_dimacs(f, cache=False)
    dimacs.read_dimacs(f)
    (entry,) = cache_dir.glob("*.npz")
    key = entry.stem
    good = tmp_path / "good.npz"
    good.write_bytes(entry.read_bytes())
    for how, content in _bad_entries(good).items():
        entry.write_bytes(good.read_bytes())
        if content is None:
            _write_bad(entry, how, key)
        else:
            entry.write_bytes(content)
        assert disk.load_entry(key) is None or dimacs._from_entry(*disk.load_entry(key)) is None
        _same(good_net, dimacs.read_dimacs(f))  # ignored, parsed again, kept again
        entry_now = disk.load_entry(key)
        assert entry_now is not None, how
        assert dimacs._from_entry(*entry_now) is not None, how


def test_eviction_keeps_the_cap_and_the_recently_used(cache_dir: Path,
                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CHOKEPOINT_CACHE_MAX_MB", "1")
    block = {"x": np.zeros(50_000)}  # 400 kB each: two fit in 1 MiB, three do not
    disk.store_entry("a", {}, block)
    disk.store_entry("b", {}, block)
    os.utime(cache_dir / "a.npz", (1e9, 1e9))
    os.utime(cache_dir / "b.npz", (1e9 + 10, 1e9 + 10))
    assert disk.load_entry("a") is not None  # a hit makes "a" the most recently used
    disk.store_entry("c", {}, block)
    assert sorted(p.stem for p in cache_dir.glob("*.npz")) == ["a", "c"]
    assert disk.cache_info().bytes <= disk.max_bytes()
    disk.store_entry("big", {}, {"x": np.zeros(200_000)})  # larger than the cap: not kept
    assert not (cache_dir / "big.npz").exists()
    assert disk.load_entry("b") is None


def test_the_off_switches(cache_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                          capsys: pytest.CaptureFixture[str]) -> None:
    f = _grid(tmp_path / "g.max")
    dimacs.read_dimacs(f, cache=False)
    for value in ("off", "0", "no", "FALSE"):
        monkeypatch.setenv("CHOKEPOINT_CACHE", value)
        assert not disk.cache_enabled()
        dimacs.read_dimacs(f)
    assert not cache_dir.exists()
    monkeypatch.setenv("CHOKEPOINT_CACHE", "on")
    for argv in (["flow", str(f), "--json", "--no-cache"], ["validate", str(f), "--no-cache"],
                 ["criticality", str(f), "--measure", "redundancy", "--top", "1",
                  "--no-cache", "--json"]):
        with pytest.raises(SystemExit) as info:
            main(argv)
        assert info.value.code == 0, argv
        assert not cache_dir.exists(), argv
    with pytest.raises(SystemExit) as info:
        main(["flow", str(f), "--json"])
    assert info.value.code == 0
    assert len(list(cache_dir.glob("*.npz"))) == 1
    monkeypatch.setenv("CHOKEPOINT_CACHE", "maybe")
    with pytest.raises(InputError, match="CHOKEPOINT_CACHE must be on or off"):
        dimacs.read_dimacs(f)
    capsys.readouterr()


def test_small_files_and_unwritable_folders(cache_dir: Path, tmp_path: Path,
                                            monkeypatch: pytest.MonkeyPatch) -> None:
    small = _grid(tmp_path / "big.max").read_bytes()
    tiny = tmp_path / "tiny.max"
    tiny.write_text("p max 2 1\nn 1 s\nn 2 t\na 1 2 5\n")
    dimacs.read_dimacs(tiny)
    assert not cache_dir.exists()  # below the threshold: parsed every time
    blocker = tmp_path / "a file"
    blocker.write_text("in the way")
    monkeypatch.setenv("CHOKEPOINT_CACHE_DIR", str(blocker))
    f = tmp_path / "g.max"
    f.write_bytes(small)
    assert dimacs.read_dimacs(f).network.n_links > 0  # nothing kept, no error
    assert disk.cache_info().entries == 0


def test_where_the_cache_lives(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.delenv("CHOKEPOINT_CACHE_DIR", raising=False)
    monkeypatch.delenv("XDG_CACHE_HOME", raising=False)
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    assert disk.cache_folder() == tmp_path / "home" / ".cache" / "chokepoint" / "networks"
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    assert disk.cache_folder() == tmp_path / "xdg" / "chokepoint" / "networks"
    monkeypatch.setenv("CHOKEPOINT_CACHE_DIR", str(tmp_path / "own"))
    assert disk.cache_folder() == tmp_path / "own" / "networks"
    monkeypatch.setenv("CHOKEPOINT_CACHE_MAX_MB", "lots")
    with pytest.raises(InputError, match="CHOKEPOINT_CACHE_MAX_MB"):
        disk.max_bytes()
    monkeypatch.setenv("CHOKEPOINT_CACHE_MAX_MB", "512")
    assert disk.max_bytes() == 512 << 20


def test_cache_info_and_clear(cache_dir: Path, tmp_path: Path,
                              capsys: pytest.CaptureFixture[str]) -> None:
    dimacs.read_dimacs(_grid(tmp_path / "g.max"))
    (cache_dir / "notes.txt").write_text("not an entry")
    with pytest.raises(SystemExit):
        main(["cache", "info", "--json"])
    data = json.loads(capsys.readouterr().out)
    assert data["entries"] == 1
    assert data["enabled"] is True
    assert data["folder"] == str(cache_dir)
    assert data["bytes"] == sum(p.stat().st_size for p in cache_dir.glob("*.npz"))
    assert data["max_bytes"] == disk.DEFAULT_MAX_MB << 20
    with pytest.raises(SystemExit):
        main(["cache", "clear"])
    assert "removed 1 cached networks" in capsys.readouterr().out
    assert not list(cache_dir.glob("*.npz"))
    assert (cache_dir / "notes.txt").exists()
