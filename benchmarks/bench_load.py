"""File to answer: where a CLI run on a large network spends its time, before and after.

Run from the repository root::

    .venv/bin/python -m benchmarks.bench_load                     # full (several minutes)
    .venv/bin/python -m benchmarks.bench_load --quick             # 10k and 100k arcs only
    .venv/bin/python -m benchmarks.bench_load --before 72c6b0f=SRC_DIR  # also old code

``--before LABEL=SRC_DIR`` (repeatable) names a ``src`` folder of an older checkout (e.g.
``git archive 72c6b0f src | tar -x -C /tmp/old``); each measurement of part (a) then runs
the old and the new code alternately in fresh processes, so ratios come from one run on one
machine state. Every ``src`` is byte-compiled first (``compileall``), as an installed
package is, so no run pays for compiling the sources.

Parts (every measurement is a fresh Python process; times are medians of ``--reps`` runs;
peak memory is the child's ``ru_maxrss``):

(a) **stage breakdown** of ``chokepoint flow FILE.max --json`` on king's-move grids of
    about 10k, 100k and 1.6M arcs written as DIMACS files: imports, read + parse,
    tables + validate, compile, solve + name the cut, write; with a fitted growth exponent per
    stage (least squares on log time vs log arcs) and the peak memory.
(b) **end to end** on the 1.6M-arc file: ``python -m chokepoint.cli flow FILE --json``
    against ``benchmarks/plain_maxflow.py`` (numpy ``loadtxt`` + OR-Tools ``SimpleMaxFlow``),
    alternating; wall and peak memory ratios.
(c) **criticality → results file** on the world railway edge list
    (``shared/data/raw/scgraph_world_railways``, decompressed to a CSV link list): the CLI
    ``criticality FILE --measure redundancy --out r.csv`` against the same work through the
    Python API (``io.load`` → ``ranking.criticality`` → ``files.write_ranking``, the same
    plain column names) in a fresh process.
(d) **import** of the world railway graph: ``chokepoint import --kind world-rail`` stages.
(e) **the disk cache** (``chokepoint.io.cache``): ``chokepoint flow FILE --json`` on the
    1.6M-arc file with the cache off, cold (empty: parse and keep the entry) and warm (a hit),
    alternating; wall and peak memory ratios, identical answers. Parts (a)–(d) run with the
    cache off (``CHOKEPOINT_CACHE=off``): they measure a first run on a file.

Results go to ``benchmarks/results/load.json`` and ``docs/benchmarks/load.md``. A run of some
parts (``--parts``) keeps the other parts' figures from the previous ``load.json``, each with
the date and load average of the run that measured it.
"""

from __future__ import annotations

import argparse
import gzip
import json
import math
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np

from benchmarks._machine import json_default, machine

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "benchmarks" / "results"
DOC = ROOT / "docs" / "benchmarks" / "load.md"
RAIL = ROOT.parent / "shared" / "data" / "raw" / "scgraph_world_railways"
PY = sys.executable
SIZES = {"10k": (36, 35), "100k": (112, 112), "1.6M": (400, 500)}
STAGES = ("imports", "read + parse", "tables + validate", "compile", "solve + name cut",
          "write")

# The stage driver: runs in a fresh process against whichever ``src`` is first on sys.path and
# does what ``chokepoint flow FILE --json`` does (its imports, its shipment and cut naming).
DRIVER = r"""
import json, sys, time, resource
t0 = time.perf_counter()
import chokepoint.cli._app
from chokepoint.network import Network
from chokepoint.io.dimacs import read_dimacs
from chokepoint.io.write import to_jsonable
try:
    from chokepoint.workflows.shipment import shipment, throughput
except ImportError:  # older code: max flow, and the cut named as its CLI named it
    shipment = None
    from chokepoint.analyses import max_flow
t1 = time.perf_counter()
tables = [0.0]
def timed(bound):  # a bound classmethod, timed into tables[0]
    def g(*a, **k):
        s = time.perf_counter(); r = bound(*a, **k); tables[0] += time.perf_counter() - s
        return r
    return staticmethod(g)
for name in ("from_frames", "from_arrays"):
    if hasattr(Network, name):
        setattr(Network, name, timed(getattr(Network, name)))
s = read_dimacs(sys.argv[1]); t2 = time.perf_counter()
c = s.network.compiled; t3 = time.perf_counter()
if shipment is not None:
    sh = shipment(s, sources=None, sinks=None)
    blk = throughput(s, sh)
    value = blk["value"]
    data = {"value": value, "cut": [x["id"] for x in blk["cut"] if x["kind"] == "link"],
            "names": [x["name"] for x in blk["cut"]], "cut_groups": blk["cut_groups"]}
else:
    r = max_flow(c, s.sources, s.sinks)
    value = r.value
    data = {"value": value, "cut": r.cut_links, "cut_groups": r.cut_groups,
            "names": [s.network.describe(i) for i in r.cut_links]}
t4 = time.perf_counter()
text = json.dumps(to_jsonable(data), indent=2); t5 = time.perf_counter()
print(json.dumps({"imports": t1 - t0, "read + parse": t2 - t1 - tables[0],
                  "tables + validate": tables[0], "compile": t3 - t2, "solve + name cut": t4 - t3,
                  "write": t5 - t4, "value": value,
                  "peak_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}))
"""


def grid_dimacs(path: Path, w: int, h: int, *, seed: int = 0) -> int:
    """Write a w×h king's-move grid (8 arcs per inner node, capacities U[1, 100]) as
    ``p max``, source node 1 and sink node w·h; return the arc count."""
    rng = np.random.default_rng(seed)
    idx = np.arange(w * h).reshape(h, w)
    a = np.concatenate([idx[:, :-1].ravel(), idx[:-1, :].ravel(), idx[:-1, :-1].ravel(),
                        idx[:-1, 1:].ravel()])
    b = np.concatenate([idx[:, 1:].ravel(), idx[1:, :].ravel(), idx[1:, 1:].ravel(),
                        idx[1:, :-1].ravel()])
    tail, head = np.concatenate([a, b]) + 1, np.concatenate([b, a]) + 1
    cap = rng.integers(1, 101, len(tail))
    with path.open("w") as fh:
        fh.write(f"c king's-move grid {w}x{h}, seed {seed}\np max {w * h} {len(tail)}\n"
                 f"n 1 s\nn {w * h} t\n")
        np.savetxt(fh, np.column_stack([tail, head, cap]), fmt="a %d %d %d")
    return len(tail)


# Runs the command as its child and reports its wall time and peak memory on the last line of
# stderr. Measured from this small process, not from the benchmark (which holds the generated
# grids): on Linux a child's ru_maxrss starts at its parent's peak (vfork/exec), so measuring
# straight from a large parent would report the parent's size for every small child.
LAUNCH = r"""
import json, resource, subprocess, sys, time
t = time.perf_counter()
code = subprocess.call(sys.argv[1:])
wall = time.perf_counter() - t
peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
sys.stderr.write("\n" + json.dumps({"wall": wall, "peak_mb": peak, "code": code}) + "\n")
"""


def run(cmd: list[str], *, src: Path | None = None, cwd: Path | None = None,
        env_extra: dict[str, str] | None = None) -> tuple[float, float, str]:
    """Run a child through :data:`LAUNCH`; return (wall s, peak RSS MB, stdout). ``src`` goes
    first on PYTHONPATH; the disk cache of parsed files is off unless ``env_extra`` says
    otherwise."""
    env = {**os.environ, "CHOKEPOINT_CACHE": "off", **(env_extra or {})}
    if src is not None:
        env["PYTHONPATH"] = str(src)
    proc = subprocess.run([PY, "-c", LAUNCH, *cmd], capture_output=True, env=env, cwd=cwd,
                          text=True, check=False)
    report = json.loads(proc.stderr.strip().splitlines()[-1])
    if proc.returncode != 0 or report["code"] != 0:
        raise RuntimeError(f"{' '.join(cmd)} failed: {proc.stderr[-2000:]}")
    return report["wall"], report["peak_mb"], proc.stdout


def median(xs: list[float]) -> float:
    """The median."""
    return float(np.median(xs))


def exponent(sizes: list[int], times: list[float]) -> float:
    """Least-squares slope of log(time) on log(size)."""
    if len(sizes) < 2 or min(times) <= 0:
        return math.nan
    return float(np.polyfit(np.log(sizes), np.log(times), 1)[0])


def stages(files: dict[str, tuple[Path, int]], versions: dict[str, Path], reps: int, *,
           before_sizes: tuple[str, ...]) -> dict[str, Any]:
    """Part (a): per version and size, the median of each stage over ``reps`` runs."""
    out: dict[str, Any] = {v: {} for v in versions}
    warm = [p for p, _ in files.values() if p.stat().st_size > (1 << 20)][:1]
    for src in versions.values():  # unmeasured: numba compiles and caches its kernels once
        for path in warm:
            run([PY, "-c", DRIVER, str(path)], src=src)
    for label, (path, m) in files.items():
        here = {v: src for v, src in versions.items()
                if not v.startswith("before") or label in before_sizes}
        runs: dict[str, list[dict[str, float]]] = {v: [] for v in here}
        for _ in range(reps):
            for v, src in here.items():  # alternate old/new
                _, _, stdout = run([PY, "-c", DRIVER, str(path)], src=src)
                runs[v].append(json.loads(stdout.strip().splitlines()[-1]))
        for v in here:
            row = {k: median([r[k] for r in runs[v]]) for k in (*STAGES, "peak_mb")}
            row["total"] = sum(row[k] for k in STAGES)
            row["arcs"] = m
            out[v][label] = row
            print(f"  {v} {label}: " + ", ".join(f"{k} {row[k]:.2f}" for k in (*STAGES,
                                                                              "total")),
                  file=sys.stderr, flush=True)
    for v in versions:
        labels = list(out[v])
        ms = [out[v][lab]["arcs"] for lab in labels]
        out[v]["exponents"] = {k: exponent(ms, [out[v][lab][k] for lab in labels])
                               for k in (*STAGES, "total")}
    return out


def summarise(res: dict[str, list[tuple[float, float]]]) -> dict[str, Any]:
    """Per variant: the median wall, the median peak memory and every run's wall."""
    return {k: {"wall_s": median([w for w, _ in v]), "peak_mb": median([mb for _, mb in v]),
                "walls": [w for w, _ in v]} for k, v in res.items()}


def end_to_end(path: Path, reps: int) -> dict[str, Any]:
    """Part (b): CLI flow vs the plain script, alternating, wall and peak RSS."""
    cli = [PY, "-m", "chokepoint.cli", "flow", str(path), "--json"]
    plain = [PY, str(ROOT / "benchmarks" / "plain_maxflow.py"), str(path)]
    res: dict[str, list[tuple[float, float]]] = {"chokepoint": [], "plain": []}
    for _ in range(reps):
        for name, cmd in (("chokepoint", cli), ("plain", plain)):
            wall, mb, stdout = run(cmd, src=ROOT / "src")
            res[name].append((wall, mb))
            value = json.loads(stdout)["value"]
        print(f"  e2e: {res['chokepoint'][-1]} vs {res['plain'][-1]} (value {value})",
              file=sys.stderr, flush=True)
    out: dict[str, Any] = summarise(res)
    out["wall_ratio"] = out["chokepoint"]["wall_s"] / out["plain"]["wall_s"]
    out["memory_ratio"] = out["chokepoint"]["peak_mb"] / out["plain"]["peak_mb"]
    return out


API_CRIT = r"""
import sys
from chokepoint.io import load
from chokepoint.workflows.files import write_ranking
from chokepoint.workflows.ranking import criticality
s = load(sys.argv[1])
t = criticality(s, kind="link", measures=["redundancy"])
write_ranking(t, sys.argv[2], s, kind="link")
"""


def criticality_file(csv: Path, reps: int, tmp: Path) -> dict[str, Any]:
    """Part (c): CLI criticality → results file vs the same work through the API."""
    cli = [PY, "-m", "chokepoint.cli", "criticality", str(csv), "--measure", "redundancy",
           "--out", str(tmp / "cli.csv")]
    api = [PY, "-c", API_CRIT, str(csv), str(tmp / "api.csv")]
    res: dict[str, list[float]] = {"cli": [], "api": []}
    run(cli, src=ROOT / "src")  # unmeasured: numba kernels compiled and cached once
    for _ in range(reps):
        for name, cmd in (("cli", cli), ("api", api)):
            res[name].append(run(cmd, src=ROOT / "src")[0])
        print(f"  criticality: cli {res['cli'][-1]:.2f} s, api {res['api'][-1]:.2f} s",
              file=sys.stderr, flush=True)
    same = (tmp / "cli.csv").read_bytes() == (tmp / "api.csv").read_bytes()
    out = {k: {"wall_s": median(v), "walls": v} for k, v in res.items()}
    out["ratio"] = out["cli"]["wall_s"] / out["api"]["wall_s"]
    out["identical_files"] = same
    out["ra2ce_1_2_2_s"] = 4 * 60 + 48
    out["vs_ra2ce"] = out["ra2ce_1_2_2_s"] / out["cli"]["wall_s"]
    return out


IMPORT = r"""
import json, sys, time
t0 = time.perf_counter()
from chokepoint.io.world import read_world_railways
t1 = time.perf_counter()
net, rep = read_world_railways(source=sys.argv[1])
t2 = time.perf_counter()
print(json.dumps({"imports": t1 - t0, "read + topology": t2 - t1, "links": net.n_links}))
"""


def world_import(reps: int) -> dict[str, Any]:
    """Part (d): read + topology of the world railway graph, in a fresh process."""
    runs = [json.loads(run([PY, "-c", IMPORT, str(RAIL)], src=ROOT / "src")[2])
            for _ in range(reps + 1)][1:]  # the first: unmeasured (numba caches its kernels)
    return {k: median([r[k] for r in runs]) for k in ("imports", "read + topology")} | {
        "links": runs[0]["links"]}


def cache_runs(path: Path, reps: int, tmp: Path) -> dict[str, Any]:
    """Part (e): ``flow FILE --json`` with the cache off, cold (emptied first: parse, then
    keep the entry) and warm (the entry is there), alternating; walls, peak memory, the
    entry's size, and whether the three printed the same answer."""
    folder = tmp / "cache"
    cmd = [PY, "-m", "chokepoint.cli", "flow", str(path), "--json"]
    on = {"CHOKEPOINT_CACHE": "on", "CHOKEPOINT_CACHE_DIR": str(folder)}
    modes = {"off": {"CHOKEPOINT_CACHE": "off"}, "cold": on, "warm": on}
    res: dict[str, list[tuple[float, float]]] = {m: [] for m in modes}
    answers: set[str] = set()
    for _ in range(reps):
        for mode, extra in modes.items():
            if mode == "cold":
                shutil.rmtree(folder, ignore_errors=True)
            wall, mb, stdout = run(cmd, src=ROOT / "src", env_extra=extra)
            res[mode].append((wall, mb))
            answers.add(stdout)
        print("  cache: " + ", ".join(f"{m} {v[-1][0]:.2f} s" for m, v in res.items()),
              file=sys.stderr, flush=True)
    out: dict[str, Any] = summarise(res)
    out["warm_vs_off"] = out["warm"]["wall_s"] / out["off"]["wall_s"]
    out["cold_vs_off"] = out["cold"]["wall_s"] / out["off"]["wall_s"]
    out["entry_mb"] = sum(f.stat().st_size for f in folder.rglob("*.npz")) / 1e6
    out["identical_answers"] = len(answers) == 1
    return out


#: Part letter → the key of its results (a run of some parts keeps the others' figures).
PARTS = {"a": "stages", "b": "end_to_end", "c": "criticality", "d": "import", "e": "cache"}


def keep_earlier(results: dict[str, Any], ran: str) -> None:
    """Copy the parts not run now from the previous ``load.json`` into ``results``, with
    the date and load average of the run that measured them."""
    try:
        old = json.loads((RESULTS / "load.json").read_text())
    except (OSError, ValueError):
        return
    for letter, key in PARTS.items():
        if letter in ran or key not in old or (key == "cache" and "warm" not in old[key]):
            continue  # (the cache's figures before it was built were of another shape)
        results[key] = old[key]
        results.setdefault("kept_parts", []).append(letter)
        results["loadavg_by_part"][letter] = old.get("loadavg_by_part", {}).get(letter)
        for what, default in (("date", old["machine"]["date"]), ("argv", old.get("argv", "")),
                              ("note", old.get("note", ""))):
            results.setdefault(f"{what}_by_part", {})[letter] = old.get(
                f"{what}_by_part", {}).get(letter, default)


def main(argv: list[str] | None = None) -> dict[str, Any]:
    """Run the benchmark; write the JSON results and the markdown page."""
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="10k and 100k arcs only")
    ap.add_argument("--reps", type=int, default=3)
    ap.add_argument("--before", action="append", default=[], metavar="LABEL=SRC",
                    help="src folder of older code, with a label (repeatable)")
    ap.add_argument("--before-sizes", default="10k,100k,1.6M",
                    help="sizes to run the old code on (it is slow)")
    ap.add_argument("--parts", default="abcde", help="which parts to run (letters)")
    ap.add_argument("--note", default="", help="what else ran on the machine (for the page)")
    args = ap.parse_args(argv)
    info = machine("pandas", "pyarrow", "numba", "ortools")
    t_start = time.perf_counter()
    results: dict[str, Any] = {"machine": info, "reps": args.reps,
                                "argv": " ".join(argv if argv is not None else sys.argv[1:]),
                                "note": args.note}
    versions: dict[str, Path] = {}
    for spec in args.before:
        label, _, src = spec.rpartition("=")
        versions[f"before ({label or 'old'})"] = Path(src).resolve()
    versions["after"] = ROOT / "src"
    for src in versions.values():  # as installed: no run compiles the sources
        subprocess.run([PY, "-m", "compileall", "-q", str(src)], check=True,
                       stdout=subprocess.DEVNULL)
    loads: dict[str, list[float]] = {}
    results["loadavg_by_part"] = loads
    for what, value in (("date", info["date"]), ("argv", results["argv"]),
                        ("note", args.note)):
        results[f"{what}_by_part"] = dict.fromkeys(args.parts, value)
    sizes = {k: v for k, v in SIZES.items() if not (args.quick and k == "1.6M")}
    with tempfile.TemporaryDirectory(prefix="bench_load_") as d:
        tmp = Path(d)
        files = {k: (tmp / f"grid_{w}x{h}.max", 0) for k, (w, h) in sizes.items()}
        for k, (w, h) in sizes.items():
            files[k] = (files[k][0], grid_dimacs(files[k][0], w, h))
        if "a" in args.parts:
            print("(a) stages", file=sys.stderr)
            loads["a"] = [round(x, 2) for x in os.getloadavg()]
            results["stages"] = stages(files, versions, args.reps,
                                       before_sizes=tuple(args.before_sizes.split(",")))
        if "b" in args.parts:
            print("(b) end to end", file=sys.stderr)
            loads["b"] = [round(x, 2) for x in os.getloadavg()]
            results["end_to_end"] = end_to_end(files[list(files)[-1]][0], args.reps)
            results["end_to_end"]["arcs"] = files[list(files)[-1]][1]
        if "c" in args.parts and RAIL.is_dir():
            print("(c) criticality", file=sys.stderr)
            loads["c"] = [round(x, 2) for x in os.getloadavg()]
            csv = tmp / "world_railways.csv"
            csv.write_bytes(gzip.decompress((RAIL / "world_railways_edges.csv.gz").read_bytes()))
            results["criticality"] = criticality_file(csv, args.reps, tmp)
        if "d" in args.parts and RAIL.is_dir():
            print("(d) import", file=sys.stderr)
            loads["d"] = [round(x, 2) for x in os.getloadavg()]
            results["import"] = world_import(args.reps)
        if "e" in args.parts:
            print("(e) cache", file=sys.stderr)
            loads["e"] = [round(x, 2) for x in os.getloadavg()]
            results["cache"] = cache_runs(files[list(files)[-1]][0], args.reps, tmp)
            results["cache"]["arcs"] = files[list(files)[-1]][1]
    results["total_s"] = time.perf_counter() - t_start
    results["machine"]["loadavg_at_end"] = [round(x, 2) for x in os.getloadavg()]
    if not args.quick:
        keep_earlier(results, args.parts)
    RESULTS.mkdir(parents=True, exist_ok=True)
    name = "load-quick.json" if args.quick else "load.json"
    (RESULTS / name).write_text(json.dumps(results, indent=2, default=json_default) + "\n")
    if not args.quick:
        DOC.write_text(render(results))
    print(json.dumps(results, indent=2, default=json_default))
    return results


def _f(x: float, d: int = 2) -> str:
    return "—" if x is None or (isinstance(x, float) and math.isnan(x)) else f"{x:,.{d}f}"


CHANGES = """## What the user waited for, and what changed (issue 15)

The issue measured `chokepoint flow` on this file at 19.9–22.1 s against 1.5–2.0 s for the
plain script; at the start of this session (`72c6b0f`) it was 6.5–8.0 s and 1.45 GB (the lead,
load 1.4). Where those seconds went, and what replaced them:

* **Naming a 3-arc cut built the whole 1.6M-row link table** (`throughput` called `describe`,
  which converted every link's name; `link_index` was a 1.6M-entry dict; `net_link_flow` made
  1.6M id strings): about 4.5 s and 1 GB. Now the cut is named by position
  (`Network.text_at`: a DIMACS network answers from its ids without building tables) and
  numbered ids (`a1 … aM`) map to positions by parsing (`NumberedIndex`).
* **numba's start-up** (import and loading cached kernels: about 1.1 s, more than the parse
  itself) — files whose arc block is *plain* (single spaces, `\\n`, unsigned integers; what
  generators write) are parsed by numpy's C parser (`np.fromstring`) after C-speed checks of
  the bytes and one vectorised check of every line's length against its fields; anything else
  still goes to the compiled scanner, so both give the same network (Hypothesis-tested).
* **Imports**: pandas, scipy and HiGHS are imported on first use (`chokepoint._lazy`), so
  `flow FILE.max` loads only numpy and OR-Tools (and `validate FILE.max` neither).
* **The compiled form**: arrays that are constant (no time, length or cost in a DIMACS file;
  no node splitting; no single-track link) are stride-0 views, and a network read as arrays
  shares its `tail`/`head`/`capacity` with the compiled form instead of copying them; the
  max-flow instance is released once OR-Tools has its copy. Compile: 3.7–4.5 s in the issue,
  now milliseconds.
* **The disk cache** (part (e)): a run on a DIMACS file above 1 MiB keeps the arrays it
  parsed, keyed by a BLAKE2b hash of the file's bytes; the next run on the same bytes loads
  and checks them instead of parsing (`chokepoint.io.cache`; `CHOKEPOINT_CACHE=off` or
  `--no-cache` to switch it off).
* **criticality → file**: names and the link columns are taken by position in one step,
  redundancy-only tables are ranked (no alternative first, then the longest detour), and
  result CSVs are written column by column (the same bytes as pandas' `to_csv`,
  Hypothesis-tested; about 2.4× faster on the 328,750-row table).
"""


def _render_stages(r: dict[str, Any]) -> list[str]:
    lines = ["## (a) Stage breakdown of `chokepoint flow FILE.max --json`", "",
             "King's-move grids written as DIMACS (`grid_dimacs`); seconds per stage, measured "
             "in one process that does what the CLI does (`benchmarks/bench_load.py`, "
             "`DRIVER`). `before (REV)` is the code at commit REV (`git archive REV src`): "
             "`72c6b0f` is main at the start of this session.", ""]
    for v, rows in r["stages"].items():
        labels = [k for k in rows if k != "exponents"]
        lines += [f"### {v}", "", "| stage | " + " | ".join(
            f"{lab} ({rows[lab]['arcs']:,} arcs)" for lab in labels) + " | exponent |",
            "|---|" + "---|" * (len(labels) + 1)]
        for st in (*STAGES, "total"):
            lines.append(f"| {st} | " + " | ".join(_f(rows[lab][st]) for lab in labels)
                         + f" | {_f(rows['exponents'][st])} |")
        lines.append("| peak memory (MB) | " + " | ".join(
            _f(rows[lab]["peak_mb"], 0) for lab in labels) + " | |")
        lines.append("")
    return [*lines, "Exponent = least-squares slope of log(seconds) on log(arcs) over the "
            "sizes shown (1 = linear; stages that take milliseconds are dominated by noise and "
            "fixed costs).", ""]


def _render_e2e(e: dict[str, Any]) -> list[str]:
    return ["## (b) `chokepoint flow` vs a plain numpy + OR-Tools script, end to end", "",
            f"The {e['arcs']:,}-arc grid; `benchmarks/plain_maxflow.py` reads the file with "
            "`numpy.loadtxt` and calls OR-Tools `SimpleMaxFlow` (no validation, no names, no "
            "cut). Alternating runs; walls of each run: chokepoint "
            + ", ".join(_f(w) for w in e["chokepoint"]["walls"]) + " s; plain "
            + ", ".join(_f(w) for w in e["plain"]["walls"]) + " s.", "",
            "| | wall (s) | peak memory (MB) |", "|---|---|---|",
            f"| `python -m chokepoint.cli flow FILE --json` | {_f(e['chokepoint']['wall_s'])} "
            f"| {_f(e['chokepoint']['peak_mb'], 0)} |",
            f"| plain script | {_f(e['plain']['wall_s'])} | {_f(e['plain']['peak_mb'], 0)} |",
            f"| **ratio** | **{_f(e['wall_ratio'])}×** (goal ≤ 2) | "
            f"**{_f(e['memory_ratio'])}×** (goal ≤ 2.5) |", ""]


def _render_crit(c: dict[str, Any]) -> list[str]:
    return ["## (c) `chokepoint criticality --measure redundancy` → results file", "",
            "The world railway edge list (`shared/data/raw/scgraph_world_railways`, 328,750 "
            "links, decompressed to a CSV link list `u,v,length_km`). Alternating runs.", "",
            "| | wall (s) |", "|---|---|",
            f"| CLI `criticality FILE --measure redundancy --out r.csv` | "
            f"{_f(c['cli']['wall_s'])} |",
            f"| Python API in a fresh process (`load` → `criticality` → `write_ranking`) | "
            f"{_f(c['api']['wall_s'])} |",
            f"| **CLI / API** | **{_f(c['ratio'])}×** (goal ≤ 1.3) |",
            "| RA2CE 1.2.2 build + single-link redundancy: 4 min 48 s, **a figure from an "
            "earlier run on this kind of machine** (`shared/research/ra2ce.md`), not rerun "
            f"here, on its 141,391-edge simplification of the same graph / CLI | "
            f"**{_f(c['vs_ra2ce'], 0)}×** (goal ≥ 30, i.e. CLI ≤ 9.6 s) |", "",
            f"Results files identical: {c['identical_files']}. In the issue the same CLI run "
            "took 28 min 56 s (one `describe` per element, each converting the whole name "
            "column).", ""]


def _render_import(i: dict[str, Any]) -> list[str]:
    return ["## (d) `chokepoint import --kind world-rail` (read + topology)", "",
            "| imports | read + topology | links |", "|---|---|---|",
            f"| {_f(i['imports'])} s | **{_f(i['read + topology'])} s** (goal ≤ 3: not met) | "
            f"{i['links']:,} |", "",
            "Not worked on this session. The graph comes as node ids with coordinates, but "
            "the import builds 328,750 line geometries and derives the topology from them "
            "again (snapping every end within 1 m through an STR-tree, attaching ends to "
            "other lines' interiors, merging degree-2 chains, geodesic lengths): that "
            "generic GIS path is where the time goes. A direct path from the node ids must "
            "give the same network as that one (T-junctions included), which is the work "
            "left.", ""]


def _render_cache(r: dict[str, Any]) -> list[str]:
    k = r["cache"]
    saved = k["off"]["wall_s"] - k["warm"]["wall_s"]
    return ["## (e) The disk cache of parsed files: cold and warm runs", "",
            f"`chokepoint flow FILE --json` on the {k['arcs']:,}-arc grid, alternating: with "
            "the cache off (`CHOKEPOINT_CACHE=off`, as in parts (a)–(d)), cold (the cache "
            "emptied first: the run parses the file and keeps the entry) and warm (the "
            "entry is there: hash the file's bytes with BLAKE2b, load and check the arrays). "
            "Walls of each run: " + "; ".join(
                f"{m} " + ", ".join(_f(w) for w in k[m]["walls"]) + " s"
                for m in ("off", "cold", "warm")) + ".", "",
            "| | wall (s) | peak memory (MB) | vs off |", "|---|---|---|---|",
            *(f"| {m} | {_f(k[m]['wall_s'])} | {_f(k[m]['peak_mb'], 0)} | "
              f"{_f(k[m]['wall_s'] / k['off']['wall_s'])}× |" for m in ("off", "cold", "warm")),
            "", f"A warm run saves {_f(saved)} s ({_f(100 * saved / k['off']['wall_s'], 0)} % "
            f"of the wall) for {_f(k['entry_mb'], 0)} MB of disk; a cold run pays for writing "
            f"the entry once. The three printed the same answer: {k['identical_answers']}. "
            "The policy (where, which files, the key, eviction, switching it off) is in "
            "[bring your own network](../howto-own-network.md#repeated-runs-on-a-large-file-"
            "the-cache).", ""]


def _render_kept(r: dict[str, Any]) -> list[str]:
    """A line per earlier run that parts of the page are kept from: its command, date and
    note."""
    runs: dict[tuple[str, str, str], list[str]] = {}
    for k in r.get("kept_parts", []):
        runs.setdefault((r["argv_by_part"][k], r["date_by_part"][k],
                         r["note_by_part"].get(k) or ""), []).append(f"({k})")
    return [f"* Parts {', '.join(parts)} are kept from an earlier run: `python -m "
            f"benchmarks.bench_load {argv}` on {date}" + (f". {note}" if note else ".")
            for (argv, date, note), parts in runs.items()]


def render(r: dict[str, Any]) -> str:
    """The markdown page for ``docs/benchmarks/load.md``."""
    m = r["machine"]
    lines = [
        "# Benchmark: loading large networks (file → answer)", "",
        "Generated by `" + " ".join(["python -m benchmarks.bench_load", r.get("argv", "")]).strip()
        + f"` on {m['date']} (total {r['total_s']:.0f} s). Raw numbers: "
        "`benchmarks/results/load.json`.", "",
        f"* Machine: {m['cpu']}, `nproc` {m['nproc']}, {m['memory']} RAM, a VM shared with "
        f"other jobs: load average (1, 5, 15 min) {m['loadavg_at_start']} at start, "
        f"{m.get('loadavg_at_end')} at end (on 2 cores); at the start of each part: "
        + ", ".join(f"({k}) {v}" for k, v in sorted(r.get("loadavg_by_part", {}).items()))
        + ". " + (r["note"] + " " if r.get("note") else "")
        + "Ratios are measured side by side (alternating runs) within each run.",
        *_render_kept(r),
        f"* Versions: Python {m['python']}, numpy {m['numpy']}, pandas {m['pandas']}, "
        f"pyarrow {m['pyarrow']}, numba {m['numba']}, ortools {m['ortools']}.",
        f"* Every figure is the median of {r['reps']} fresh processes (numba's kernels "
        "compiled and cached by an unmeasured run first; every `src` byte-compiled).", "",
        CHANGES]
    parts = (("stages", _render_stages), ("end_to_end", _render_e2e),
             ("criticality", _render_crit), ("import", _render_import))
    for key, fn in parts:
        if key in r:
            lines += fn(r) if key == "stages" else fn(r[key])
    if "cache" in r:
        lines += _render_cache(r)
    return "\n".join(lines) + "\n"

if __name__ == "__main__":
    main()
