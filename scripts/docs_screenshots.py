"""Screenshots for the how-to pages: the web map and the report's maps, as a user sees them.

Runs the web map on 127.0.0.1 (a free port, in a thread) and headless Chromium (Debian's
``chromium``), writes the offline report of the built-in corridor (with its campaign) and
of a CSV network, and saves small palette PNGs under ``docs/img/``: the web map at 1400 and
420 px, the schematic web map, the report's PNG maps and its arrivals and served charts::

    python scripts/docs_screenshots.py            # needs the web and report extras

Nothing leaves the machine: the pages make no request but to the local server.
"""

from __future__ import annotations

import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))
OUT = ROOT / "docs" / "img"
CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
FLAGS = ["--headless=new", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
         "--disable-component-update", "--no-first-run", "--hide-scrollbars",
         "--virtual-time-budget=15000"]
CSV = ("id,from,to,capacity,time,length_km,group,direction,track\n"
       "a,port,junction,40,6,300,,both,double\n"
       "b,junction,depot,25,10,500,tunnel,both,single\n"
       "c,junction,depot,10,16,800,,both,double\n")


def _shoot(url: str, path: Path, width: int, height: int, colours: int = 96) -> None:
    from PIL import Image

    raw = path.with_suffix(".raw.png")
    subprocess.run([CHROMIUM, *FLAGS, f"--window-size={width},{height}",
                    f"--screenshot={raw}", url], check=True, capture_output=True, timeout=120)
    with Image.open(raw) as im:
        im.convert("RGB").quantize(colors=colours, method=Image.Quantize.MEDIANCUT).save(
            path, optimize=True)
    raw.unlink()
    print(f"{path.relative_to(ROOT)}: {path.stat().st_size:,} bytes")


def _serve(app: object) -> tuple[str, object]:
    import uvicorn

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    srv = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning",
                                        lifespan="off"))
    threading.Thread(target=srv.run, daemon=True).start()
    while not srv.started:
        time.sleep(0.05)
    return f"http://127.0.0.1:{port}/", srv


def _shrink_png(src: Path, dst: Path, width: int = 1000, colours: int = 96) -> None:
    from PIL import Image

    with Image.open(src) as im:
        h = round(im.height * width / im.width)
        im.convert("RGB").resize((width, h), Image.Resampling.LANCZOS).quantize(
            colors=colours, method=Image.Quantize.MEDIANCUT).save(dst, optimize=True)
    print(f"{dst.relative_to(ROOT)}: {dst.stat().st_size:,} bytes")


def main() -> None:
    from chokepoint.data import load_builtin
    from chokepoint.io import load
    from chokepoint.report import write_report
    from chokepoint.serve import create_app

    OUT.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp:
        t = Path(tmp)
        url, srv = _serve(create_app())
        _shoot(url, OUT / "web-map.png", 1400, 900)
        _shoot(url, OUT / "web-map-narrow.png", 420, 900)
        srv.should_exit = True  # type: ignore[attr-defined]
        (t / "links.csv").write_text(CSV, encoding="utf-8")
        s = load(t / "links.csv")
        s.sources, s.sinks = ["port"], ["depot"]
        url, srv = _serve(create_app(s, label="links.csv"))
        _shoot(url, OUT / "web-map-schematic.png", 1400, 800)
        srv.should_exit = True  # type: ignore[attr-defined]
        write_report(s, t / "own-report", ranking=False, campaign=False, sources=["port"],
                     sinks=["depot"], generated="2026-12-03")
        _shrink_png(t / "own-report" / "figures" / "map_utilisation.png",
                    OUT / "report-map-schematic.png", width=800)
        write_report(load_builtin(), t / "report", ranking=False, campaign=True,
                     generated="2026-12-03")
        _shrink_png(t / "report" / "figures" / "map_utilisation.png", OUT / "report-map.png")
        for chart in ("arrivals", "served"):
            _shrink_png(t / "report" / "figures" / f"{chart}.png",
                        OUT / f"report-{chart}.png", width=900)


if __name__ == "__main__":
    main()
