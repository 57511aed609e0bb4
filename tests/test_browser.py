"""The web map in a real browser: headless Chromium (Debian's package) driven by Selenium.

The server runs with uvicorn on 127.0.0.1 on a free port in a background thread. The test
checks that the page loads with no request leaving 127.0.0.1 (Chromium's performance log),
that the map shows the network, and that a click on the Severomuysky tunnel changes the
corridor's served throughput; a screenshot is written to the test's tmp folder (and to
``$CHOKEPOINT_TEST_LOG_DIR`` when set). Skips with the reason when Chromium, chromedriver,
Selenium or the web extra are missing (CI installs them: see .ci/run).
"""

from __future__ import annotations

import json
import os
import shutil
import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest

pytest.importorskip("fastapi", reason="the web extra (fastapi, uvicorn) is not installed")
uvicorn = pytest.importorskip("uvicorn", reason="uvicorn (web extra) is not installed")
webdriver = pytest.importorskip("selenium.webdriver",
                                reason="selenium is not installed (dev extra)")

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
CHROMEDRIVER = shutil.which("chromedriver") or "/usr/bin/chromedriver"
FLAGS = ["--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
         "--disable-background-networking", "--disable-component-update", "--disable-sync",
         "--no-first-run", "--no-default-browser-check", "--disable-extensions",
         "--disable-default-apps", "--disable-domain-reliability", "--metrics-recording-only",
         "--window-size=1400,1000"]


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture(scope="module")
def server() -> Iterator[str]:
    from chokepoint.serve import ServeSettings, create_app
    from chokepoint.serve.analysis import simulation_hook

    port = _free_port()
    settings = ServeSettings(campaign=simulation_hook())  # as `chokepoint serve` runs it
    config = uvicorn.Config(create_app(settings=settings), host="127.0.0.1", port=port,
                            log_level="warning", lifespan="off")
    srv = uvicorn.Server(config)
    thread = threading.Thread(target=srv.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not srv.started:
        if time.monotonic() > deadline or not thread.is_alive():
            pytest.fail("uvicorn did not start")
        time.sleep(0.05)
    yield f"http://127.0.0.1:{port}"
    srv.should_exit = True
    thread.join(10)


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    if not (Path(CHROMIUM).exists() and Path(CHROMEDRIVER).exists()):
        pytest.skip(f"headless Chromium not found ({CHROMIUM}, {CHROMEDRIVER}): "
                    "apt-get install chromium chromium-driver")
    from selenium.webdriver.chrome.service import Service

    opts = webdriver.ChromeOptions()
    opts.binary_location = CHROMIUM
    for f in FLAGS:
        opts.add_argument(f)
    opts.set_capability("goog:loggingPrefs", {"performance": "ALL", "browser": "ALL"})
    try:
        drv = webdriver.Chrome(service=Service(executable_path=CHROMEDRIVER), options=opts)
    except Exception as e:  # a broken local browser install: say so rather than error
        pytest.skip(f"cannot start headless Chromium: {type(e).__name__}: {e}")
    drv.set_page_load_timeout(30)
    yield drv
    drv.quit()


def _requested_urls(drv: Any) -> list[str]:
    urls = []
    for entry in drv.get_log("performance"):
        msg = json.loads(entry["message"])["message"]
        if msg.get("method") == "Network.requestWillBeSent":
            urls.append(msg["params"]["request"]["url"])
    return urls


def _wait(predicate: Any, timeout: float = 15.0) -> Any:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.1)
    return predicate()


def test_map_page_offline_click_closes_tunnel(server: str, browser: Any,
                                              tmp_path: Path) -> None:
    from selenium.webdriver.common.by import By

    drv = browser
    drv.get(server + "/")
    # the page finished its first update from /api/close
    assert _wait(lambda: drv.find_element(By.TAG_NAME, "body").get_attribute("data-updates")), \
        "the page never reported results"

    # the map shows the network: every link and node is drawn, at a visible size
    svg = drv.find_element(By.CSS_SELECTOR, "svg.network-map")
    assert svg.size["width"] > 400
    assert svg.size["height"] > 150
    assert len(drv.find_elements(By.CSS_SELECTOR, "svg.network-map .links g.link")) == 42
    assert len(drv.find_elements(By.CSS_SELECTOR, "svg.network-map g.node")) == 39

    served_before = drv.find_element(By.ID, "served").text
    assert "TEU/day" in served_before
    updates = drv.find_element(By.TAG_NAME, "body").get_attribute("data-updates")

    # a real click on the tunnel's badge
    drv.find_element(By.CSS_SELECTOR, "#badge-severomuysky_tunnel rect.badge-box").click()
    assert _wait(lambda: drv.find_element(By.TAG_NAME, "body").get_attribute("data-updates")
                 != updates), "no update after the click"
    served_after = drv.find_element(By.ID, "served").text
    assert served_after != served_before
    assert "→" in served_after  # intact → closed
    assert "closed" in (drv.find_element(By.ID, "badge-severomuysky_tunnel")
                        .get_attribute("class") or "")
    assert "severomuysky_tunnel" in drv.find_element(By.ID, "closed-list").text
    assert drv.find_element(By.ID, "campaign-row").is_displayed()  # the campaign's delay
    assert drv.find_element(By.ID, "campaign").text

    shot = tmp_path / "web-map-tunnel-closed.png"
    assert drv.save_screenshot(str(shot))
    log_dir = os.environ.get("CHOKEPOINT_TEST_LOG_DIR")
    if log_dir:
        Path(log_dir).mkdir(parents=True, exist_ok=True)
        shutil.copy(shot, Path(log_dir) / shot.name)
    print(f"screenshot: {shot}")

    # nothing left the machine: every request went to this server (or was inline data)
    urls = _requested_urls(drv)
    assert urls, "the performance log recorded no requests"
    foreign = [u for u in urls if not u.startswith(("data:", "blob:"))
               and urlsplit(u).hostname != "127.0.0.1"]
    assert not foreign, f"requests to other hosts: {foreign}"
    errors = [e for e in drv.get_log("browser") if e.get("level") == "SEVERE"]
    assert not errors, f"browser console errors: {errors}"


def test_report_file_opens_offline(browser: Any, tmp_path: Path) -> None:
    """The offline report, opened from disk, makes no request at all."""
    from selenium.webdriver.common.by import By

    from chokepoint.data import load_builtin
    from chokepoint.report import write_report

    write_report(load_builtin(), tmp_path, png=False, generated="2026-11-27")
    drv = browser
    drv.get_log("performance")  # drop earlier entries
    drv.get((tmp_path / "report.html").as_uri())
    assert len(drv.find_elements(By.CSS_SELECTOR, "svg.network-map g.link")) >= 42
    urls = [u for u in _requested_urls(drv) if not u.startswith(("file:", "data:"))]
    assert not urls, f"the report requested: {urls}"
    drv.save_screenshot(str(tmp_path / "report.png"))
