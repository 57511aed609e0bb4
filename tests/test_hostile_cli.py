"""The CLI under hostile input: every case ends within seconds with one clear line and exit 2.

Each case generates its file(s) in ``tmp_path`` and runs the command in-process under an alarm
(no case may hang). A refusal must be exactly one line on stderr naming the file or option and
the problem, no traceback, and leave no output under its final name.
"""

from __future__ import annotations

import os
import signal
import sys
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from chokepoint.cli import main
from chokepoint.data import builtin_path

CORRIDOR = builtin_path().read_text(encoding="utf-8")


#: Seconds a case may run; cases that build the whole report (twice) get more: a report of
#: the corridor takes about 20 s alone, far longer on a busy shared machine. So do the cases
#: whose file goes through the compiled DIMACS scanner (files over 1 MiB): the first run in a
#: fresh checkout compiles it with numba, which took over 60 s at a load of 6 on 2 cores.
BOUND_S = 60
LONG_BOUND_S = 240
LONG_CASES = ("report", "token.max")


@pytest.fixture(autouse=True)
def _bounded(request: pytest.FixtureRequest) -> Iterator[None]:
    """Fail (not hang) a case that runs longer than its bound."""
    if sys.platform == "win32":  # pragma: no cover
        yield
        return
    bound = LONG_BOUND_S if any(w in request.node.name for w in LONG_CASES) else BOUND_S

    def boom(*_: object) -> None:
        raise TimeoutError(f"the command did not end within {bound} s")

    old = signal.signal(signal.SIGALRM, boom)
    signal.alarm(bound)
    try:
        yield
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, old)


def run(argv: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    with pytest.raises(SystemExit) as info:
        main(argv)
    out = capsys.readouterr()
    code = info.value.code
    return (code if isinstance(code, int) else 1), out.out, out.err


def refused(argv: list[str], capsys: pytest.CaptureFixture[str], *words: str) -> str:
    code, _, err = run(argv, capsys)
    assert code == 2, err
    assert "Traceback" not in err
    lines = err.strip().splitlines()
    assert len(lines) == 1, err
    assert lines[0].startswith("error: ")
    assert len(lines[0]) < 400
    for w in words:
        assert w in lines[0], lines[0]
    return lines[0]


def _corridor(old: str, new: str) -> str:
    assert old in CORRIDOR
    return CORRIDOR.replace(old, new, 1)


# -- files that each hold one defect: (file name, content, command, words in the message) -----
H_CSV = "from,to,capacity\na,b,1e308\nb,c,1.7e308\n"
CASES: list[tuple[str, str | bytes, list[str], tuple[str, ...]]] = [
    ("h.csv", H_CSV, ["flow", "{f}", "--source", "a", "--sink", "c"], ("capacity", "inf")),
    ("h.csv", H_CSV, ["criticality", "{f}", "--source", "a", "--sink", "c"], ("capacity",)),
    ("h.csv", H_CSV, ["quickest", "{f}", "--source", "a", "--sink", "c", "-n", "5"],
     ("capacity",)),
    ("neg.csv", "from,to,capacity\na,b,-1\n", ["validate", "{f}"], ("capacity", ">= 0")),
    ("nan.csv", "from,to,capacity\na,b,nan\n", ["validate", "{f}"], ("capacity",)),
    ("huge.max", "p max 2000000000 1\nn 1 s\nn 2 t\na 1 2 1\n", ["validate", "{f}"],
     ("huge.max", "line 1", "exceeds the limit", "CHOKEPOINT_MAX_ELEMENTS")),
    ("token.max", "p max 2 1\nn 1 s\nn 2 t\na 1 2 " + "9" * 2_000_000 + "x\n",
     ["validate", "{f}"], ("token.max", "line 4", "characters")),
    ("type.max", "p max 2 1\n" + "z" * 1_000_000 + " 1\n", ["validate", "{f}"],
     ("unknown line type", "characters")),
    ("no_sink.max", "p max 3 2\nn 1 s\na 1 2 5\na 2 3 5\n", ["validate", "{f}"],
     ("no sink",)),
    ("deep.toml", "x = " + "[" * 50_000 + "]" * 50_000 + "\n", ["validate", "{f}"],
     ("deep.toml", "nested too deeply")),
    ("bogus.toml", _corridor("ships = 2 ", "bogus_key = 3\nships = 2 "), ["validate", "{f}"],
     ("simulation.bogus_key", "unknown field")),
    ("ships.toml", _corridor("ships = 2 ", "ships = -1 "), ["validate", "{f}"],
     ("simulation.ships",)),
    ("nan_cap.toml", "version = 1\n[[links]]\nid = 'x'\nfrom = 'a'\nto = 'b'\n"
     "capacity = nan\n", ["validate", "{f}"], ("capacity",)),
    ("big_cap.toml", "version = 1\n[[links]]\nid = 'x'\nfrom = 'a'\nto = 'b'\n"
     "capacity = 1e300\nunit = 't/day'\n", ["validate", "{f}"], ("link 'x'", "inf")),
    ("latin.toml", "name = 'caf\xe9'".encode("latin-1"), ["validate", "{f}"], ("latin.toml",)),
]


@pytest.mark.parametrize(("name", "content", "argv", "words"), CASES,
                         ids=[f"{c[0]}-{c[2][0]}" for c in CASES])
def test_bad_file_is_one_clear_line(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                    name: str, content: str | bytes, argv: list[str],
                                    words: tuple[str, ...]) -> None:
    f = tmp_path / name
    if isinstance(content, bytes):
        f.write_bytes(content)
    else:
        f.write_text(content, encoding="utf-8")
    refused([a.replace("{f}", str(f)) for a in argv], capsys, *words)


# -- hostile option values -------------------------------------------------------------------
OPTIONS: list[tuple[list[str], tuple[str, ...]]] = [
    (["interdict", "builtin:corridor", "--k", "1", "--budget", "nan"], ("budget",)),
    (["interdict", "builtin:corridor", "--k", "1", "--budget", "-1"], ("budget",)),
    (["quickest", "builtin:corridor", "-n", "1e30"], ("units",)),
    (["quickest", "builtin:corridor", "-n", "nan"], ("units",)),
    (["quickest", "builtin:corridor", "-n", "10", "--step-h", "0.0001"],
     ("CHOKEPOINT_MAX_CELLS", "longer step")),
    (["quickest", "builtin:corridor", "-n", "10", "--step-h", "0"], ("step-h",)),
    (["simulate", "builtin:corridor", "--seed", "-1"], ("seed",)),
]


@pytest.mark.parametrize(("argv", "words"), OPTIONS, ids=[" ".join(o[0][2:]) for o in OPTIONS])
def test_bad_option_is_one_clear_line(capsys: pytest.CaptureFixture[str], argv: list[str],
                                      words: tuple[str, ...]) -> None:
    refused(argv, capsys, *words)


def test_unlimited_budget_means_no_budget_limit(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run(["interdict", "builtin:corridor", "--k", "1", "--budget", "inf",
                          "--json"], capsys)
    assert code == 0, err
    assert '"removed"' in out or '"links"' in out or "remove" in out


def test_inf_capacity_is_one_rule(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """``inf`` means unlimited in CSV and in TOML alike."""
    csv = tmp_path / "inf.csv"
    csv.write_text("from,to,capacity\na,b,inf\nb,c,5\n")
    toml = tmp_path / "inf.toml"
    toml.write_text("version = 1\n[flow]\nsources = ['a']\nsinks = ['c']\n"
                    "[[links]]\nid = 'ab'\nfrom = 'a'\nto = 'b'\ncapacity = inf\nunit = 't/day'\n"
                    "[[links]]\nid = 'bc'\nfrom = 'b'\nto = 'c'\ncapacity = 5\nunit = 't/day'\n")
    for f in (csv, toml):
        code, out, err = run(["flow", str(f), "--source", "a", "--sink", "c", "--json"], capsys)
        assert code == 0, err
        assert '"value": 5' in out.replace(".0", "")


def test_aware_and_naive_times_compare(tmp_path: Path,
                                       capsys: pytest.CaptureFixture[str]) -> None:
    f = tmp_path / "tz.toml"
    f.write_text(_corridor("start = 2023-11-29T14:18:00", "start = 2023-11-29T22:18:00+08:00"))
    code, _out, err = run(["validate", str(f)], capsys)
    assert code == 0, err


def test_toml_with_bom_is_accepted(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    f = tmp_path / "bom.toml"
    f.write_bytes(b"\xef\xbb\xbf" + CORRIDOR.encode())
    code, _, err = run(["validate", str(f)], capsys)
    assert code == 0, err


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="no named pipes on this platform")
def test_named_pipe_is_refused_not_read(tmp_path: Path,
                                        capsys: pytest.CaptureFixture[str]) -> None:
    fifo = tmp_path / "pipe.csv"
    os.mkfifo(fifo)
    refused(["validate", str(fifo)], capsys, "not a regular file")


def test_unwritable_out_is_one_line(capsys: pytest.CaptureFixture[str]) -> None:
    pytest.importorskip("simpy", reason="the simulation extra is not installed")
    refused(["simulate", "builtin:corridor", "--out", "/proc/x.csv"], capsys,
            "/proc/x.csv", "cannot create")


def test_unreachable_scheduler_fails_fast(tmp_path: Path,
                                          capsys: pytest.CaptureFixture[str]) -> None:
    pytest.importorskip("distributed", reason="the sweep extra is not installed")
    refused(["sweep", "criticality", "builtin:corridor", "--out", str(tmp_path / "s"),
             "--scheduler", "tcp://127.0.0.1:1"], capsys, "no Dask scheduler")
    assert not (tmp_path / "s").exists()  # nothing under the final name, not even a manifest


# -- geometry ---------------------------------------------------------------------------------
def _layer(tmp_path: Path, geom: Callable[[int], object], *, crs: str | None,
           name: str = "l.gpkg") -> Path:
    gpd = pytest.importorskip("geopandas", reason="the geo extra is not installed")
    g = gpd.GeoDataFrame({"id": ["x", "y"], "from": ["a", "b"], "to": ["b", "c"],
                          "capacity": [1.0, 2.0]}, geometry=[geom(0), geom(1)], crs=crs)
    p = tmp_path / name
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)  # "crs was not provided": on purpose
        g.to_file(p, layer="links", driver="GPKG")
    return p


@pytest.mark.parametrize(("case", "words"), [
    ("point", ("link 'x'", "LineString", "Point")),
    ("polygon", ("link 'x'", "Polygon")),
    ("projected_no_crs", ("no CRS",)),
])
def test_bad_geometry_is_refused(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                 case: str, words: tuple[str, ...]) -> None:
    shapely = pytest.importorskip("shapely")
    geom = {"point": lambda i: shapely.Point(i, i),
            "polygon": lambda i: shapely.box(i, i, i + 1, i + 1),
            "projected_no_crs": lambda i: shapely.LineString([(5e5 * i, 6e6), (5e5 * i + 1e4,
                                                                                6e6)])}[case]
    p = _layer(tmp_path, geom, crs="EPSG:4326" if case != "projected_no_crs" else None)
    refused(["validate", str(p)], capsys, *words)


def test_lengths_come_from_geometry(tmp_path: Path) -> None:
    shapely = pytest.importorskip("shapely")
    from chokepoint.io import load

    p = _layer(tmp_path, lambda i: shapely.LineString([(i, 0), (i + 1, 0)]), crs="EPSG:4326")
    lengths = load(p).network.links["length_km"].to_numpy()
    assert lengths == pytest.approx([111.32, 111.32], rel=1e-3)



def test_layers_in_different_crs_are_each_reprojected(tmp_path: Path) -> None:
    """A GeoPackage whose nodes are in EPSG:4326 and whose links are in EPSG:3857 loads with
    both layers in longitude/latitude and finite geodesic lengths (never NaN)."""
    gpd = pytest.importorskip("geopandas", reason="the geo extra is not installed")
    shapely = pytest.importorskip("shapely")
    from chokepoint.io import load

    p = _layer(tmp_path, lambda i: shapely.LineString([(i, 0), (i + 1, 0)]), crs="EPSG:4326")
    links = gpd.read_file(p, layer="links", engine="pyogrio").to_crs("EPSG:3857")
    links.to_file(p, layer="links", driver="GPKG", engine="pyogrio")  # replaces the layer
    nodes = gpd.GeoDataFrame({"id": ["a", "b", "c"]},
                             geometry=[shapely.Point(i, 0) for i in range(3)], crs="EPSG:4326")
    nodes.to_file(p, layer="nodes", driver="GPKG", engine="pyogrio")
    net = load(p).network
    assert net.links["length_km"].to_numpy() == pytest.approx([111.32, 111.32], rel=1e-3)
    lon = net.nodes.set_index("id").loc[["a", "b", "c"], "lon"].to_numpy()
    assert lon == pytest.approx([0.0, 1.0, 2.0], abs=1e-9)

# -- terminal output ---------------------------------------------------------------------------
def test_ids_are_printed_literally(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    f = tmp_path / "ids.csv"
    f.write_text("from,to,capacity,id\na,b,1,\x1b[31mred\x1b[0m\nb,c,2,:x: [bold]b[/bold]\n")
    code, out, err = run(["criticality", str(f), "--source", "a", "--sink", "c",
                          "--measure", "throughput"], capsys)
    assert code == 0, err
    assert "\x1b" not in out
    assert "\\x1b" in out
    assert ":x:" in out
    assert "\u274c" not in out  # no emoji


# -- report folder as a unit -------------------------------------------------------------------
def test_report_folder_is_swapped_in_whole(tmp_path: Path,
                                           capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "r"
    code, _, err = run(["report", "builtin:corridor", "--out", str(out), "--no-png",
                        "--no-campaign", "--ranking", "none"], capsys)
    assert code == 0, err
    (out / "stale.csv").write_text("from an older run")
    (tmp_path / ".r.part-dead").mkdir()  # a killed run's leftovers
    code, _, err = run(["report", "builtin:corridor", "--out", str(out), "--no-png",
                        "--no-campaign", "--ranking", "none"], capsys)
    assert code == 0, err
    assert (out / "report.html").exists()
    assert not (out / "stale.csv").exists()
    assert [p.name for p in tmp_path.iterdir()] == ["r"]


def test_report_refuses_a_folder_it_did_not_write(tmp_path: Path,
                                                  capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "notes.txt").write_text("mine")
    refused(["report", "builtin:corridor", "--out", str(tmp_path), "--no-png",
             "--no-campaign", "--ranking", "none"], capsys, "did not write")
    assert (tmp_path / "notes.txt").read_text() == "mine"


def test_failed_report_leaves_the_old_one(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                          monkeypatch: pytest.MonkeyPatch) -> None:
    out = tmp_path / "r"
    run(["report", "builtin:corridor", "--out", str(out), "--no-png", "--no-campaign",
         "--ranking", "none"], capsys)
    before = sorted(p.name for p in out.rglob("*"))
    import chokepoint.report.build as build

    def broken(*_: object, **__: object) -> list[Path]:
        from chokepoint.errors import InputError

        raise InputError("simulated failure while writing tables")

    monkeypatch.setattr(build, "_write_tables", broken)
    refused(["report", "builtin:corridor", "--out", str(out), "--no-png", "--no-campaign",
             "--ranking", "none"], capsys, "simulated failure")
    assert sorted(p.name for p in out.rglob("*")) == before
    assert [p.name for p in tmp_path.iterdir()] == ["r"]


def test_ids_are_escaped_in_the_html_report(tmp_path: Path,
                                            capsys: pytest.CaptureFixture[str]) -> None:
    f = tmp_path / "x.csv"
    f.write_text('from,to,capacity,id\na,b,1,<script>alert(1)</script>\n'
                 'b,c,2,"<img src=x onerror=alert(2)>"\n')
    code, _, err = run(["report", str(f), "--out", str(tmp_path / "r"), "--no-png",
                        "--no-campaign"], capsys)
    assert code == 0, err
    page = (tmp_path / "r" / "report.html").read_text()
    assert "<script>alert" not in page
    assert "<img src=x" not in page
    assert "&lt;script&gt;alert" in page
