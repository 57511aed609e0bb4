"""Bounded load test of the web map's API on loopback.

Run from the repository root (needs the ``web`` extra)::

    .venv/bin/python -m benchmarks.bench_serve                      # 50 and 10 clients, 2 × 60 s
    .venv/bin/python -m benchmarks.bench_serve --clients 10 --seconds 5 --no-write

For each ``--clients`` value it starts ``chokepoint.serve`` with uvicorn in a **separate
process** on 127.0.0.1 (a free port; the built-in corridor, default ``ServeSettings``),
waits for ``/api/health`` to report the closure warm-up done (``prewarmed``; its time is
reported), then runs that many concurrent clients for ``--seconds``, ``--rounds`` times
against the same server (the server's RSS and threads are read from /proc and the load
average from ``os.getloadavg`` before and after each round; bounded: at most 200 clients
and 300 s; each request has a 30 s timeout). Each client loops over a seeded mix:

* 70 % ``POST /api/close`` with one or two random elements (links, nodes or failure groups of
  the corridor; a third of them with a date range);
* 20 % ``GET /api/network``;
* 10 % ``GET /api/health``.

Each client is one keep-alive HTTP/1.1 connection (as a browser tab) driven by a minimal
asyncio client (:class:`Conn`: request line, headers, ``Content-Length`` body): with one
``httpx.AsyncClient`` for 50 concurrent requests the load generator itself caps the rate
and adds its own queueing (``--client httpx`` runs it that way; the page shows both on
``/api/health``). Any status other than 200, or any exception, counts as an error. Latency
percentiles (per endpoint and overall), throughput and errors are printed as markdown and,
unless ``--no-write``, written to ``docs/benchmarks/serve.md``.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import platform
import random
import socket
import subprocess
import sys
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
DOC = ROOT / "docs" / "benchmarks" / "serve.md"
MAX_CLIENTS, MAX_SECONDS = 200, 300.0
RUN_DATE = date.today().isoformat()
KEYS = ("POST /api/close", "GET /api/network", "GET /api/health")


@dataclass
class Sample:
    """Latencies (s) and errors of one endpoint."""

    latencies: list[float] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)


class Conn:
    """One keep-alive HTTP/1.1 connection to ``127.0.0.1:port`` (reopened after a close)."""

    def __init__(self, port: int, timeout: float = 30.0) -> None:
        self.port, self.timeout = port, timeout
        self.reader: asyncio.StreamReader | None = None
        self.writer: asyncio.StreamWriter | None = None

    async def _exchange(self, data: bytes) -> tuple[int, bytes, bool]:
        if self.writer is None:
            self.reader, self.writer = await asyncio.open_connection("127.0.0.1", self.port)
        assert self.reader is not None
        self.writer.write(data)
        head = (await self.reader.readuntil(b"\r\n\r\n")).decode("latin-1").split("\r\n")
        status = int(head[0].split()[1])
        fields = {k.strip().lower(): v.strip() for k, _, v in
                  (line.partition(":") for line in head[1:] if line)}
        body = await self.reader.readexactly(int(fields.get("content-length", "0")))
        return status, body, fields.get("connection", "").lower() == "close"

    async def request(self, method: str, path: str, body: bytes | None = None
                      ) -> tuple[int, bytes]:
        """``(status, body)`` of one request."""
        head = f"{method} {path} HTTP/1.1\r\nHost: 127.0.0.1:{self.port}\r\n"
        if body is not None:
            head += f"Content-Type: application/json\r\nContent-Length: {len(body)}\r\n"
        data = head.encode() + b"\r\n" + (body or b"")
        try:
            status, out, close = await asyncio.wait_for(self._exchange(data), self.timeout)
        except (ConnectionError, asyncio.IncompleteReadError):
            self.close()  # the server closed an idle keep-alive connection: once more
            status, out, close = await asyncio.wait_for(self._exchange(data), self.timeout)
        if close:
            self.close()
        return status, out

    def close(self) -> None:
        """Drop the connection."""
        if self.writer is not None:
            self.writer.close()
        self.reader = self.writer = None


Send = Callable[[str, str, bytes | None], Awaitable[tuple[int, bytes]]]


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _start_server(port: int) -> subprocess.Popen[bytes]:
    code = ("from chokepoint.serve import serve; "
            f"serve(host='127.0.0.1', port={port}, log_level='warning')")
    return subprocess.Popen([sys.executable, "-c", code], cwd=ROOT)


async def _wait_ready(port: int, timeout: float = 120.0) -> float:
    """Wait until ``/api/health`` answers and reports the closure warm-up done; seconds
    waited for the warm-up after the first answer."""
    deadline = time.monotonic() + timeout
    conn, first = Conn(port, timeout=5.0), None
    try:
        while time.monotonic() < deadline:
            try:
                status, body = await conn.request("GET", "/api/health")
                if status == 200:
                    first = time.monotonic() if first is None else first
                    if json.loads(body).get("prewarmed", True):
                        return time.monotonic() - first
            except (OSError, asyncio.IncompleteReadError, TimeoutError):
                conn.close()
            await asyncio.sleep(0.1)
    finally:
        conn.close()
    raise RuntimeError("the server did not come up (or did not finish its warm-up)")


def _request(rng: random.Random, elements: list[dict[str, str]]
             ) -> tuple[str, str, str, bytes | None]:
    """The next request of the seeded mix: (key, method, path, body)."""
    roll = rng.random()
    if roll < 0.7:
        body: dict[str, Any] = {"elements": rng.sample(elements, rng.choice((1, 2)))}
        if rng.random() < 1 / 3:
            start = date(2023, 11, 1 + rng.randrange(20))
            body["start"] = start.isoformat()
            body["end"] = date(2023, 11, start.day + rng.randrange(1, 10)).isoformat()
        return KEYS[0], "POST", "/api/close", json.dumps(body).encode()
    if roll < 0.9:
        return KEYS[1], "GET", "/api/network", None
    return KEYS[2], "GET", "/api/health", None


async def _worker(i: int, send: Send, elements: list[dict[str, str]], stop: float,
                  out: dict[str, Sample]) -> None:
    rng = random.Random(1000 + i)
    while time.monotonic() < stop:
        key, method, path, body = _request(rng, elements)
        t0 = time.perf_counter()
        try:
            status, text = await send(method, path, body)
            dt_ = time.perf_counter() - t0
            if status != 200:
                out[key].errors.append(f"{status}: {text[:200]!r}")
        except Exception as e:  # timeouts, resets: all errors
            dt_ = time.perf_counter() - t0
            out[key].errors.append(f"{type(e).__name__}: {e}")
        out[key].latencies.append(dt_)


def _senders(kind: str, port: int, clients: int) -> tuple[list[Send], Callable[[], Any]]:
    """One send function per client (``raw``: a :class:`Conn` each; ``httpx``: one shared
    ``httpx.AsyncClient``) and a closer."""
    if kind == "raw":
        conns = [Conn(port) for _ in range(clients)]

        async def done_raw() -> None:
            for c in conns:
                c.close()

        return [c.request for c in conns], done_raw
    import httpx

    limits = httpx.Limits(max_connections=clients, max_keepalive_connections=clients)
    client = httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}", timeout=30.0,
                               limits=limits)

    async def send(method: str, path: str, body: bytes | None) -> tuple[int, bytes]:
        headers = {"content-type": "application/json"} if body is not None else None
        r = await client.request(method, path, content=body, headers=headers)
        return r.status_code, r.content

    return [send] * clients, client.aclose


def _pct(lat: list[float]) -> dict[str, float]:
    a = np.asarray(lat) * 1000
    if not len(a):
        return {}
    return {"n": float(len(a)), "p50": float(np.percentile(a, 50)),
            "p90": float(np.percentile(a, 90)), "p95": float(np.percentile(a, 95)),
            "p99": float(np.percentile(a, 99)), "max": float(a.max()), "mean": float(a.mean())}


def _proc_status(pid: int) -> dict[str, float]:
    """The server's resident memory (MB) and thread count, from /proc."""
    out = {"rss_mb": float("nan"), "threads": float("nan")}
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                out["rss_mb"] = int(line.split()[1]) / 1024
            elif line.startswith("Threads:"):
                out["threads"] = float(line.split()[1])
    except OSError:
        pass
    return out


async def _round(port: int, client: str, elements: list[dict[str, str]], clients: int,
                 seconds: float) -> tuple[dict[str, Sample], float]:
    out = {k: Sample() for k in KEYS}
    sends, close = _senders(client, port, clients)
    t0 = time.monotonic()
    stop = t0 + seconds
    try:
        await asyncio.gather(*(_worker(i, sends[i], elements, stop, out)
                               for i in range(clients)))
    finally:
        await close()
    return out, time.monotonic() - t0


async def _health(port: int) -> dict[str, Any]:
    conn = Conn(port)
    try:
        return json.loads((await conn.request("GET", "/api/health"))[1])  # type: ignore[no-any-return]
    finally:
        conn.close()


async def _measure_round(k: int, proc: subprocess.Popen[bytes], port: int, client: str,
                         elements: list[dict[str, str]], clients: int, seconds: float
                         ) -> dict[str, Any]:
    before, load0 = _proc_status(proc.pid), os.getloadavg()[0]
    h0 = await _health(port)
    out, wall = await _round(port, client, elements, clients, seconds)
    after, load1 = _proc_status(proc.pid), os.getloadavg()[0]
    h1 = await _health(port)
    alllat = [x for smp in out.values() for x in smp.latencies]
    return {
        "round": k + 1, "wall_s": wall, "requests": len(alllat), "rps": len(alllat) / wall,
        "errors": sum(len(smp.errors) for smp in out.values()),
        "error_examples": [e for smp in out.values() for e in smp.errors[:3]],
        "closures_computed": h1["computed_results"] - h0["computed_results"],
        "lp_solves": h1["engine"]["solves"] - h0["engine"]["solves"],
        "kept": h1["engine"].get("kept", 0) - h0["engine"].get("kept", 0),
        "overall": _pct(alllat), "endpoints": {n: _pct(smp.latencies) for n, smp in out.items()},
        "endpoint_errors": {n: len(smp.errors) for n, smp in out.items()},
        "rss_mb_before": before["rss_mb"], "rss_mb_after": after["rss_mb"],
        "threads_before": before["threads"], "threads_after": after["threads"],
        "load_before": load0, "load_after": load1}


async def run(clients: int, seconds: float, rounds: int = 2, client: str = "raw"
              ) -> dict[str, Any]:
    """Start the server, load it for ``rounds`` identical rounds (same seeds), stop it;
    returns the measurements of every round (the last one is the headline)."""
    clients = max(1, min(clients, MAX_CLIENTS))
    seconds = max(1.0, min(seconds, MAX_SECONDS))
    port = _free_port()
    proc = _start_server(port)
    results: list[dict[str, Any]] = []
    try:
        warm = await _wait_ready(port)
        conn = Conn(port)
        net = json.loads((await conn.request("GET", "/api/network"))[1])
        conn.close()
        elements = ([{"id": x["id"], "kind": "link"} for x in net["links"]]
                    + [{"id": x["id"], "kind": "node"} for x in net["nodes"]]
                    + [{"id": g["id"], "kind": "group"} for g in net["groups"]])
        for k in range(max(1, rounds)):
            results.append(await _measure_round(k, proc, port, client, elements, clients,
                                                seconds))
        # the load generator's own limit: /api/health only, both clients, side by side
        probe: dict[str, dict[str, float]] = {}
        for kind in ("raw", "httpx"):
            lat, wall = await _probe(port, kind, clients, min(10.0, seconds))
            probe[kind] = {"rps": len(lat) / wall, **_pct(lat)}
    finally:
        proc.terminate()
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            proc.kill()
    last = results[-1]
    growth = (results[-1]["rss_mb_after"] - results[0]["rss_mb_after"]
              if len(results) > 1 else float("nan"))
    return {**last, "clients": clients, "seconds": seconds, "elements": len(elements),
            "rounds": results, "rss_growth_mb": growth, "warmup_s": warm, "client": client,
            "probe": probe, "errors": sum(r["errors"] for r in results)}


async def _probe(port: int, kind: str, clients: int, seconds: float
                 ) -> tuple[list[float], float]:
    """Latencies of ``GET /api/health`` with ``clients`` concurrent clients of ``kind``."""
    sends, close = _senders(kind, port, clients)
    lat: list[float] = []
    stop = time.monotonic() + seconds

    async def loop(send: Send) -> None:
        while time.monotonic() < stop:
            t0 = time.perf_counter()
            await send("GET", "/api/health", None)
            lat.append(time.perf_counter() - t0)

    t0 = time.monotonic()
    try:
        await asyncio.gather(*(loop(s) for s in sends))
    finally:
        await close()
    return lat, time.monotonic() - t0


def _versions() -> str:
    import importlib.metadata as md

    parts = [f"Python {platform.python_version()}"]
    for pkg in ("fastapi", "starlette", "uvicorn", "anyio", "httpx", "numpy", "scipy",
                "ortools", "highspy"):
        try:
            parts.append(f"{pkg} {md.version(pkg)}")
        except md.PackageNotFoundError:
            continue
    return ", ".join(parts)


def _machine() -> str:
    cpu = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    mem = ""
    try:
        kb = int(Path("/proc/meminfo").read_text().split()[1])
        mem = f", {kb / 1024 ** 2:.1f} GiB RAM"
    except (OSError, ValueError, IndexError):
        pass
    return f"{cpu}, `nproc` {os.cpu_count()}{mem}"


def _round_rows(r: dict[str, Any]) -> list[str]:
    rows = [f"| {r['clients']} | {rd['round']} | {rd['requests']:,} | {rd['rps']:.0f} | "
            f"{rd['errors']} | {rd['closures_computed']:,} / {rd['kept']:,} / "
            f"{rd['lp_solves']:,} | "
            f"{rd['endpoints'][KEYS[0]].get('p50', float('nan')):.1f} | "
            f"{rd['endpoints'][KEYS[0]].get('p99', float('nan')):.1f} | "
            f"{rd['rss_mb_before']:.0f} → {rd['rss_mb_after']:.0f} | "
            f"{rd['threads_before']:.0f} → {rd['threads_after']:.0f} | "
            f"{rd['load_before']:.2f} → {rd['load_after']:.2f} |" for rd in r["rounds"]]
    return rows


def _endpoint_rows(r: dict[str, Any]) -> list[str]:
    out = []
    for name, p in [*r["endpoints"].items(), ("all", r["overall"])]:
        if not p:
            continue
        err = r["endpoint_errors"].get(name, r["errors"])
        out.append(f"| {r['clients']} | {name} | {int(p['n']):,} | {p['p50']:.1f} | "
                   f"{p['p90']:.1f} | {p['p95']:.1f} | {p['p99']:.1f} | {p['max']:.1f} | "
                   f"{err} |")
    return out


def markdown(runs: list[dict[str, Any]]) -> str:
    """The results of every run (one per client count) as docs/benchmarks/serve.md."""
    r0 = runs[0]
    lines = [
        "# Benchmark: web map API under load", "",
        f"Generated by `python -m benchmarks.bench_serve --clients "
        f"{','.join(str(r['clients']) for r in runs)} --seconds {r0['seconds']:.0f} "
        f"--rounds {len(r0['rounds'])}` on {RUN_DATE}.", "",
        f"* Machine: {_machine()}: a VM **shared with other jobs** (the load average of each "
        "round is in the table: above 2 the two cores were oversubscribed). Server and load "
        "generator share the machine.",
        f"* Versions: {_versions()}.",
        "* Set-up: `chokepoint.serve` with uvicorn in its own process (default `ServeSettings`: "
        "analysis threads = min(4, cores), 30 s time limit) on 127.0.0.1, built-in corridor. "
        f"Its closure warm-up (every single-element closure solved in the background) took "
        f"{r0['warmup_s']:.1f} s after start; the rounds start after it.",
        f"* Load: each client is one keep-alive connection looping with no think time over "
        "70 % `POST /api/close` (1–2 random elements of "
        f"{r0['elements']} links, nodes and failure groups; a third with dates), 20 % "
        "`GET /api/network`, 10 % `GET /api/health`; seeded, so rounds are identical.", "",
        "How a closure is answered: the served-demand LP is built once per scenario and "
        "re-solved warm; answers are memoised per set of closed arcs and reused without a "
        "solve where they stay optimal (the closed elements carry nothing in a known "
        "optimum); otherwise, when a known answer's served amounts can still be met, one "
        "feasibility LP (about a millisecond, in the request itself) finds the flows; only "
        "the rest need the full rationing solve on the analysis pool. Max flow and the "
        "detour are recomputed (well under a millisecond). \"computed / one LP / full LP\" "
        "counts closure answers the server built in the round, how many took one "
        "feasibility LP and how many a full solve; the rest came from its caches.", "",
        "| clients | round | requests | per s | errors | computed / one LP / full LP | "
        "closure p50 ms | "
        "closure p99 ms | RSS MB | threads | load average |",
        "|---|---|---|---|---|---|---|---|---|---|---|"]
    for r in runs:
        lines += _round_rows(r)
    lines += ["", "Server RSS growth between the ends of round 1 and the last round: "
              + "; ".join(f"{r['clients']} clients **{r['rss_growth_mb']:.1f} MB**"
                          for r in runs) + " (goal < 50 MB).", "",
              "Last round by endpoint:", "",
              "| clients | endpoint | requests | p50 ms | p90 ms | p95 ms | p99 ms | max ms | "
              "errors |", "|---|---|---|---|---|---|---|---|---|"]
    for r in runs:
        lines += _endpoint_rows(r)
    lines += ["", "The load generator's own limit, `GET /api/health` only, same server, "
              "side by side (the minimal asyncio client used above vs one shared "
              "`httpx.AsyncClient`):", "",
              "| clients | client | requests per s | p50 ms | p99 ms | ratio of rates |",
              "|---|---|---|---|---|---|"]
    for r in runs:
        raw, hx = r["probe"]["raw"], r["probe"]["httpx"]
        for name, p in (("asyncio (this benchmark)", raw), ("httpx.AsyncClient", hx)):
            lines.append(f"| {r['clients']} | {name} | {p['rps']:.0f} | "
                         f"{p.get('p50', float('nan')):.1f} | {p.get('p99', float('nan')):.1f} | "
                         f"{p['rps'] / hx['rps']:.2f} |")
    examples = [e for r in runs for e in r["error_examples"]]
    if examples:
        lines += ["", "Errors (examples):", *[f"* `{e}`" for e in examples]]
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    ap.add_argument("--clients", default="50,10",
                    help="comma-separated client counts, one server per count")
    ap.add_argument("--seconds", type=float, default=60.0)
    ap.add_argument("--rounds", type=int, default=2, help="identical rounds (memory growth)")
    ap.add_argument("--client", choices=("raw", "httpx"), default="raw",
                    help="load generator: one asyncio connection per client, or httpx")
    ap.add_argument("--no-write", action="store_true", help="do not write docs/benchmarks/serve.md")
    ap.add_argument("--json", type=Path, help="also write the raw numbers here")
    args = ap.parse_args(argv)
    counts = [int(x) for x in str(args.clients).split(",") if x.strip()]
    runs = [asyncio.run(run(n, args.seconds, args.rounds, args.client)) for n in counts]
    md = markdown(runs)
    print(md)
    if not args.no_write:
        DOC.write_text(md, encoding="utf-8")
    if args.json:
        args.json.write_text(json.dumps(runs, indent=2) + "\n", encoding="utf-8")
    return 1 if any(r["errors"] for r in runs) else 0


if __name__ == "__main__":
    sys.exit(main())
