"""The columnar readers read the same networks (and refuse with the same messages) as the
line-by-line readers they replaced.

The expectations were recorded from those readers (``tests/data/readers_expected.json``:
a SHA-256 digest of each fixture's network — every table column with its dtype, the
terminals and the compiled arrays — and each bad file's message), after the new readers had
passed an equality test against them on every fixture; ``RECORD=1`` rewrites the file from
the current readers. Fixtures: every DIMACS and CSV file of the shared data that is a link
list or an instance, the world railway edge list, and generated files that exercise the
syntax corners (extra whitespace, comments between arcs, tokens outside the scanner's fast
path) and the errors. Every DIMACS reading path is checked against the same expectations.
"""

from __future__ import annotations

import gzip
import hashlib
import json
import os
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from chokepoint.errors import InputError
from chokepoint.io import dimacs
from chokepoint.io._dimacs_plain import arc_block, plain_arcs
from chokepoint.io.csv import read_link_csv, read_table_csv
from chokepoint.io.dimacs import read_dimacs
from chokepoint.scenario import Scenario
from conftest import SHARED_DIR

RAW = SHARED_DIR / "data" / "raw"
COMPILED = ("tail", "head", "capacity", "cost", "arc_link", "arc_node", "partner",
            "link_group", "node_group", "group_ids", "link_ids", "node_ids", "out_vertex")


EXPECTED_FILE = Path(__file__).parent / "data" / "readers_expected.json"
RECORD = os.environ.get("RECORD") == "1"
EXPECTED: dict[str, str] = json.loads(EXPECTED_FILE.read_text()) if EXPECTED_FILE.exists() \
    else {}


def _digest_frame(frame: pd.DataFrame, h: hashlib._Hash | None = None) -> str:
    """SHA-256 over a table's column names, dtypes and values (as text, NaN and None
    spelled), in order."""
    h = h or hashlib.sha256()
    for col in frame.columns:
        values = frame[col]
        h.update(f"\x1e{col}:{values.dtype}\x1e".encode())
        h.update("\x1f".join(map(str, values.to_numpy(dtype=object).tolist())).encode())
    return h.hexdigest()


def _digest(s: Scenario) -> str:
    """SHA-256 of a network as read: both tables, the terminals and the compiled arrays."""
    h = hashlib.sha256()
    _digest_frame(s.network.links, h)
    _digest_frame(s.network.nodes, h)
    h.update(json.dumps([s.sources, s.sinks, s.supplies]).encode())
    c = s.network.compiled
    for k in COMPILED:
        x = np.asarray(getattr(c, k))
        h.update(k.encode())
        if x.dtype.kind in "iub":
            h.update(x.astype(np.int64).tobytes())
        elif x.dtype.kind == "f":
            h.update(x.astype(np.float64).tobytes())
        else:
            h.update("\x1f".join(map(str, x.tolist())).encode())
    return h.hexdigest()


def _expect(key: str, value: str) -> None:
    """``value`` is the recorded expectation of ``key`` (or, with ``RECORD=1``, becomes it)."""
    if RECORD:
        EXPECTED[key] = value
        EXPECTED_FILE.parent.mkdir(exist_ok=True)
        EXPECTED_FILE.write_text(json.dumps(EXPECTED, indent=1, sort_keys=True) + "\n")
        return
    assert key in EXPECTED, f"no recorded expectation for {key} (run with RECORD=1)"
    assert value == EXPECTED[key], key


def _same_network(a: Scenario, b: Scenario) -> None:
    pd.testing.assert_frame_equal(a.network.links, b.network.links)
    pd.testing.assert_frame_equal(a.network.nodes, b.network.nodes)
    assert (a.sources, a.sinks, a.supplies) == (b.sources, b.sinks, b.supplies)
    ca, cb = a.network.compiled, b.network.compiled
    for k in COMPILED:
        x, y = np.asarray(getattr(ca, k)), np.asarray(getattr(cb, k))
        assert np.array_equal(x, y, equal_nan=x.dtype.kind == "f"), k


def _shared(*parts: str) -> Path:
    p = RAW.joinpath(*parts)
    if not p.exists():
        pytest.skip(f"shared fixture not found: {p}")
    return p


DIMACS_FILES = ["gl1.max", "gw1.max", "wlm3.max", "netgen-2.min"]


def _use(path: str, monkeypatch: pytest.MonkeyPatch) -> None:
    """Read DIMACS files by one path: ``compiled`` (the numba scanner for every file),
    ``plain`` (numpy for plain files, else the scanner: what large files get) or ``small``
    (line by line in Python, what files up to 1 MiB get)."""
    monkeypatch.setattr(dimacs, "SMALL_FILE_BYTES", 1 << 40 if path == "small" else -1)
    monkeypatch.setattr(dimacs, "arc_block",
                        (lambda raw: -1) if path == "compiled" else arc_block)


@pytest.fixture(params=["compiled", "plain", "small"])
def scanner(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> str:
    """Every DIMACS path (see :func:`_use`)."""
    _use(str(request.param), monkeypatch)
    return str(request.param)


@pytest.mark.usefixtures("scanner")
@pytest.mark.parametrize("name", DIMACS_FILES)
def test_dimacs_shared_fixtures(name: str) -> None:
    p = _shared("flow_benchmarks", "dimacs", name)
    _expect(f"dimacs/{name}", _digest(read_dimacs(p)))


GOOD_DIMACS = {
    "plain.max": "c x\np max 4 5\nn 1 s\nn 4 t\na 1 2 3\na 1 3 2\na 2 3 1\na 2 4 2\na 3 4 3\n",
    "spaces.max": "  c lead\np\tmax 3  2\n n 1 s\nn 3 t\n\n a  1\t2   5 \r\nc mid\na 2 3 7\r\n",
    "slow.max": "p max 3 3\nn 1 s\nn 3 t\na 1 2 1e3\na +2 3 1_000\na 1 3 0.1234567890123456789\n",
    "floats.max": "p max 3 3\nn 1 s\nn 3 t\na 1 2 .5\na 2 3 2.\na 1 3 1.5E+2\n",
    "inf.max": "p max 3 2\nn 1 s\nn 3 t\na 1 2 inf\na 2 3 4\n",
    "noeol.max": "p max 2 1\nn 1 s\nn 2 t\na 1 2 4",
    "cost.min": "p min 3 2\nn 1 5\nn 3 -5\na 1 2 0 10 2.5\na 2 3 0 10 1\n",
}


@pytest.mark.usefixtures("scanner")
@pytest.mark.parametrize("name", sorted(GOOD_DIMACS))
def test_dimacs_syntax_corners(name: str, tmp_path: Path) -> None:
    p = tmp_path / name
    p.write_text(GOOD_DIMACS[name])
    _expect(f"dimacs_corner/{name}", _digest(read_dimacs(p)))


BAD_DIMACS = {
    "no_problem": "c only\n",
    "arc_first": "a 1 2 3\np max 2 1\n",
    "node_first": "n 1 s\np max 2 1\n",
    "two_p": "p max 2 1\na 1 2 3\np max 2 1\n",
    "few_fields": "p max 3 2\na 1 2 3\na 2 3\n",
    "bad_cap": "p max 3 2\na 1 2 3\na 2 3 lots\n",
    "long_token": "p max 3 2\na 1 2 3\na 2 3 " + "x" * 5000 + "\n",
    "bad_node": "p max 3 2\na 1 2 3\na 2 x 1\n",
    "out_of_range": "p max 3 2\na 1 2 3\na 2 4 1\n",
    "zero_node": "p max 3 1\na 0 2 3\n",
    "lower_bound": "p min 3 1\na 1 2 1 5 1\n",
    "unknown_line": "p max 3 1\nx 1 2\na 1 2 3\n",
    "bad_node_line": "p max 3 1\nn 1 q\na 1 2 3\n",
    "range_before_bad_line": "p max 3 2\na 1 5 3\nz\n",
    "bad_after_range": "p max 3 2\nz\na 1 5 3\n",
    "bad_problem": "p max x 2\n",
    "loop": "p max 3 1\nn 1 s\nn 3 t\na 2 2 1\n",
    "negative": "p max 3 1\nn 1 s\nn 3 t\na 1 2 -1\n",
    "no_arcs": "p max 3 0\nn 1 s\nn 3 t\n",
}


@pytest.mark.usefixtures("scanner")
@pytest.mark.parametrize("name", sorted(BAD_DIMACS))
def test_dimacs_errors_match(name: str, tmp_path: Path) -> None:
    p = tmp_path / f"{name}.max"
    p.write_text(BAD_DIMACS[name])
    with pytest.raises(InputError) as new:
        read_dimacs(p)
    # the message names the file: record it relative to the folder
    _expect(f"dimacs_error/{name}", str(new.value).replace(str(tmp_path), "TMP"))


def test_dimacs_small_path_equals_compiled_scanner(monkeypatch: pytest.MonkeyPatch) -> None:
    """The small-file path, the numpy path and the compiled scanner read every shared
    instance identically, and the small path never imports numba."""
    from chokepoint.io._dimacs_scan import ERR_FIELDS

    assert dimacs._ERR_FIELDS == ERR_FIELDS
    for name in DIMACS_FILES:
        p = _shared("flow_benchmarks", "dimacs", name)
        _use("compiled", monkeypatch)
        compiled = read_dimacs(p)
        for path in ("plain", "small"):
            _use(path, monkeypatch)
            _same_network(compiled, read_dimacs(p))


def test_small_dimacs_does_not_load_numba(tmp_path: Path) -> None:
    import json
    import os
    import subprocess
    import sys

    p = tmp_path / "plain.max"
    p.write_text(GOOD_DIMACS["plain.max"])
    code = ("import sys, json\nfrom chokepoint.io.dimacs import read_dimacs\n"
            f"s = read_dimacs({str(p)!r})\n"
            "print(json.dumps([len(s.network.links), 'numba' in sys.modules]))")
    src = str(Path(__file__).resolve().parents[1] / "src")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True, env={**os.environ, "PYTHONPATH": src}, timeout=120)
    assert json.loads(out.stdout) == [5, False]


_TOKENS = st.sampled_from(["1", "2", "3", "4", "0", "5", "+2", "1_0", "2.5", "-1", "1e3", "x",
                            "inf", "nan", ".5", "3.", "0.1234567890123456789", "1e400"])
_SPACE = st.sampled_from([" ", "  ", "\t", " \r", "\x0b", "\x0c "])


@st.composite
def _dimacs_text(draw: st.DrawFn) -> str:
    """A small DIMACS-like file: mostly valid lines, some broken ones, odd whitespace."""
    kind = draw(st.sampled_from(["max", "min"]))
    lines = [f"p {kind} 4 {draw(st.integers(0, 6))}"]
    if kind == "max":
        lines += ["n 1 s", "n 4 t"]
    else:
        lines += ["n 1 5", "n 4 -5"]
    width = 3 if kind == "max" else 5
    for _ in range(draw(st.integers(0, 8))):
        what = draw(st.sampled_from(["arc", "arc", "arc", "comment", "blank", "junk"]))
        if what == "arc":
            n = draw(st.sampled_from([width, width, width, width - 1, width + 1]))
            toks = ["a", *draw(st.lists(_TOKENS, min_size=n, max_size=n))]
            lines.append(draw(_SPACE).join(toks) if draw(st.booleans()) else " ".join(toks))
        elif what == "comment":
            lines.append("c " + draw(_TOKENS))
        elif what == "blank":
            lines.append(draw(_SPACE))
        else:
            lines.append(draw(st.sampled_from(["z", "n 9 s", "p max 2 2", "a"])))
    return "\n".join(lines) + draw(st.sampled_from(["", "\n"]))


def _read_either(p: Path) -> tuple[str, Scenario | None]:
    try:
        return "", read_dimacs(p)
    except InputError as e:
        return str(e), None


@settings(max_examples=150, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(text=_dimacs_text())
def test_dimacs_paths_agree_on_random_files(text: str, tmp_path: Path,
                                            monkeypatch: pytest.MonkeyPatch) -> None:
    """Small-file path vs compiled scanner: the same network or the same first error."""
    p = tmp_path / "random.max"
    p.write_text(text)
    _use("compiled", monkeypatch)
    err_a, a = _read_either(p)
    for path in ("plain", "small"):
        _use(path, monkeypatch)
        err_b, b = _read_either(p)
        assert err_a == err_b
        if a is not None and b is not None:
            _same_network(a, b)


_PLAIN_TOKENS = st.sampled_from(["1", "2", "3", "4", "7", "10", "0", "007", "999999999999999",
                                 "1000000000000000", "99999999999999999999", "2.5"])


@st.composite
def _plain_text(draw: st.DrawFn) -> str:
    """A DIMACS file that is plain (numpy path) or one small step from it: leading zeros,
    values of 15/16/20 digits, a decimal, a field too many or too few, a double or trailing
    space, a comment or node line among the arcs, a blank line, no final newline."""
    kind = draw(st.sampled_from(["max", "max", "min"]))
    head = [f"c plain {kind}", f"p {kind} 4 9"] + (
        ["n 1 s", "n 4 t"] if kind == "max" else ["n 1 5", "n 4 -5"])
    arcs = []
    for _ in range(draw(st.integers(1, 8))):
        ends = [str(draw(st.integers(1, 4))) for _ in range(2)]
        if kind == "min":
            vals = ["0", draw(_PLAIN_TOKENS), draw(st.sampled_from(["1", "3", "12"]))]
        else:
            vals = [draw(_PLAIN_TOKENS)]
        arcs.append(" ".join(["a", *ends, *vals]))
    if draw(st.booleans()):
        i = draw(st.integers(0, len(arcs) - 1))
        arcs[i] = draw(st.sampled_from([
            arcs[i] + " 1", arcs[i].rsplit(" ", 1)[0], arcs[i].replace(" ", "  ", 1),
            arcs[i] + " ", "c among arcs", "n 2 s", "", "a", " " + arcs[i]]))
    tail = draw(st.sampled_from(["\n", "", "\n\n"]))
    return "\n".join(head + arcs) + tail


@settings(max_examples=200, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(text=_plain_text())
def test_dimacs_numpy_path_agrees_near_plain_files(text: str, tmp_path: Path,
                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    """Numpy path vs compiled scanner on plain files and on files one step from plain
    (which the numpy path must hand to the scanner): the same network or the same error."""
    p = tmp_path / "near.max"
    p.write_text(text)
    _use("compiled", monkeypatch)
    err_a, a = _read_either(p)
    _use("plain", monkeypatch)
    err_b, b = _read_either(p)
    assert err_a == err_b
    if a is not None and b is not None:
        _same_network(a, b)


@pytest.mark.parametrize(("text", "plain"), [
    ("a 1 2 3\na 2 3 4\n", True),
    ("a 1 2 3\na 2 3 4", True),
    ("a 1 2 3 4 5\na 2 3 4 5 6\n", True),
    ("a 1 2 3\na 2 3 4 5\n", False),  # field counts differ
    ("a 1 2 3 4\na 2 3\n", False),  # the same total, misaligned
    ("a 1 2 03\n", False),  # leading zero
    ("a 1 2 1000000000000000\n", False),  # 16 digits: not exact as float64 in general
    ("a 1 2 3 \n", False),
    ("a 1  2 3\n", False),
    ("a 1 2 3\nc x\n", False),
    ("a 1 2 3\n\n", False),
    ("a 1 2 -3\n", False),
    ("a 1 2 3\ta\n", False),
])
def test_plain_arcs_accepts_only_plain_blocks(text: str, plain: bool) -> None:
    raw = text.encode()
    got = plain_arcs(raw, arc_block(raw))
    assert (got is not None) == plain
    if got is not None:
        rows = [line.split()[1:] for line in text.splitlines()]
        assert got[0].tolist() == [int(r[0]) for r in rows]
        assert got[1].tolist() == [int(r[1]) for r in rows]
        assert got[2].tolist() == [[float(x) for x in r[2:]] for r in rows]


CSV_TABLES = [
    ("flow_benchmarks", "pyomo_interdiction", "max_flow", "sample_arcs_data.csv"),
    ("flow_benchmarks", "pyomo_interdiction", "min_cost_flow", "sample_arcs_data.csv"),
    ("flow_benchmarks", "pyomo_interdiction", "shortest_path", "sample_arcs_data.csv"),
    ("flow_benchmarks", "pyomo_interdiction", "multi_commodity_flow", "sample_arcs_data.csv"),
    ("flow_benchmarks", "known_values.csv"),
    ("corridor_facts", "facts.csv"),
    ("nga_world_port_index", "UpdatedPub150.csv"),
]


@pytest.mark.parametrize("parts", CSV_TABLES, ids=lambda t: "/".join(t[-2:]))
def test_csv_tables_shared(parts: tuple[str, ...]) -> None:
    p = _shared(*parts)
    _expect("csv_table/" + "/".join(parts), _digest_frame(read_table_csv(p)))


def test_csv_world_railways(tmp_path: Path) -> None:
    gz = _shared("scgraph_world_railways", "world_railways_edges.csv.gz")
    p = tmp_path / "rail.csv"
    p.write_bytes(gzip.decompress(gz.read_bytes()))
    _expect("csv_links/world_railways", _digest(Scenario(network=read_link_csv(p), name="rail")))


GOOD_CSV = {
    "basic": "from,to,capacity\na,b,1\nb,c,2\n",
    "aliases": "source,target,cap,time,length\n001,002,5,1.5,3\n002,003,7,2,4\n",
    "spaces": "from, to, capacity, name\n a, b, 1, x y\nb,c ,2,\"q, r\"\n",
    "markers": "from,to,capacity,mode,name\na,b,1,rail,NA\nb,c,inf,sea,None\n",
    "extra": "from,to,capacity,direction,track,group,source\na,b,3,both,single,g1,doc\nb,c,4,,,,\n",
    "bom": "\ufefffrom,to,capacity\na,b,1\n",
    "quoted": 'from,to,capacity,name\n"a","b",1,"line\nbreak"\n',
}


@pytest.mark.parametrize("name", sorted(GOOD_CSV))
def test_csv_corners(name: str, tmp_path: Path) -> None:
    p = tmp_path / f"{name}.csv"
    p.write_text(GOOD_CSV[name], encoding="utf-8")
    _expect(f"csv_corner_table/{name}", _digest_frame(read_table_csv(p)))
    _expect(f"csv_corner_links/{name}", _digest(Scenario(network=read_link_csv(p), name=name)))


BAD_CSV = {
    "nan_capacity": "from,to,capacity\na,b,1\nb,c,\n",
    "text_capacity": "from,to,capacity\na,b,1\nb,c,lots\n",
    "text_time": "from,to,capacity,time\na,b,1,soon\n",
    "no_to": "from,dest,capacity\na,b,1\n",
    "loop": "from,to,capacity\na,a,1\n",
    "negative": "from,to,capacity\na,b,-1\n",
    "dup_id": "id,from,to,capacity\nx,a,b,1\nx,b,c,1\n",
    "bad_mode": "from,to,capacity,mode\na,b,1,plane\n",
}


@pytest.mark.parametrize("name", sorted(BAD_CSV))
def test_csv_errors_match(name: str, tmp_path: Path) -> None:
    p = tmp_path / f"{name}.csv"
    p.write_text(BAD_CSV[name])
    with pytest.raises(InputError) as new:
        read_link_csv(p)
    _expect(f"csv_error/{name}", str(new.value).replace(str(tmp_path), "TMP"))


def test_csv_empty_file(tmp_path: Path) -> None:
    p = tmp_path / "empty.csv"
    p.write_text("")
    with pytest.raises(InputError, match=r"empty\.csv"):
        read_link_csv(p)


def test_csv_drop_self_loops(tmp_path: Path) -> None:
    p = tmp_path / "ra2ce.csv"
    p.write_text("u,v,length_km\n1,2,1.5\n2,2,0\n2,3,2\n3,3,0\n")
    with pytest.raises(InputError, match="link goes from a node to itself"):
        read_link_csv(p)
    net, dropped = read_link_csv(p, drop_self_loops=True, report=True)
    assert dropped == 2
    assert list(net.links["from"]) == ["1", "2"]
    assert list(net.links["to"]) == ["2", "3"]
    assert list(net.links["id"]) == ["L0", "L1"]
