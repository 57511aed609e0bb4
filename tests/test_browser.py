"""The web map in a real browser: headless Chromium (Debian's package) driven by Selenium.

The server runs with uvicorn on 127.0.0.1 on a free port in a background thread. The tests
check, on the drawn page, that it loads with no request leaving 127.0.0.1 (Chromium's
performance log); that the corridor map has coastline and border paths; that a real click
on the Severomuysky tunnel's drawn line (at its on-screen position) closes the tunnel's
failure group and changes the served throughput, and the same for the Devil's Bridge
(through the pick-list, as the bridge lies under its bypass's ends); that the map zooms;
that at 420 px wide the map stays at least 300 px wide; and that a CSV network without
coordinates gets a schematic map. Screenshots are written to the test's tmp folder and to
``$CHOKEPOINT_TEST_LOG_DIR`` when set. Skips with the reason when Chromium, chromedriver,
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


def _serve(app: Any) -> Iterator[str]:
    port = _free_port()
    config = uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning",
                            lifespan="off")
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
def server() -> Iterator[str]:
    from chokepoint.serve import ServeSettings, create_app
    from chokepoint.workflows.closures import simulation_hook

    settings = ServeSettings(campaign=simulation_hook())  # as `chokepoint serve` runs it
    yield from _serve(create_app(settings=settings))


@pytest.fixture(scope="module")
def csv_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """The web map of the CSV network of the "bring your own network" how-to."""
    from chokepoint.io import load
    from chokepoint.serve import create_app

    path = tmp_path_factory.mktemp("csv") / "links.csv"
    path.write_text("id,from,to,capacity,time,length_km,group,direction,track\n"
                    "a,port,junction,40,6,300,,both,double\n"
                    "b,junction,depot,25,10,500,tunnel,both,single\n"
                    "c,junction,depot,10,16,800,,both,double\n", encoding="utf-8")
    yield from _serve(create_app(load(path), label="links.csv"))


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


def _shot(drv: Any, tmp_path: Path, name: str) -> Path:
    """Save a screenshot beside the test and, when set, in $CHOKEPOINT_TEST_LOG_DIR."""
    shot = tmp_path / name
    assert drv.save_screenshot(str(shot))
    log_dir = os.environ.get("CHOKEPOINT_TEST_LOG_DIR")
    if log_dir:
        Path(log_dir).mkdir(parents=True, exist_ok=True)
        shutil.copy(shot, Path(log_dir) / shot.name)
    print(f"screenshot: {shot}")
    return shot


def _updates(drv: Any) -> str | None:
    from selenium.webdriver.common.by import By

    return drv.find_element(By.TAG_NAME, "body").get_attribute("data-updates")


def _open(drv: Any, url: str) -> None:
    drv.get(url)
    assert _wait(lambda: _updates(drv)), "the page never reported results"


#: An on-screen point of a link's drawn line where it is visible: inside its frame and not
#: under an inset drawn over it; in the frame where the visible part is longest on screen,
#: the middle visible point.
_LINE_AT = """
var id = arguments[0];
var frames = Array.from(document.querySelectorAll('svg.network-map g.frame'));
var rects = frames.map(function (f) {
  return f.querySelector('rect.sea').getBoundingClientRect(); });
function inside(r, x, y) {
  return x > r.left + 2 && x < r.right - 2 && y > r.top + 2 && y < r.bottom - 2; }
var best = null;
frames.forEach(function (f, k) {
  if (getComputedStyle(f).display === 'none') return;
  var p = f.querySelector('g.link[data-id="' + id + '"] path.stroke');
  if (!p) return;
  var L = p.getTotalLength(), m = p.getScreenCTM(), seen = [];
  for (var i = 0; i <= 400; i++) {
    var q = p.getPointAtLength(L * i / 400);
    var x = m.a * q.x + m.c * q.y + m.e, y = m.b * q.x + m.d * q.y + m.f;
    if (!inside(rects[k], x, y)) continue;
    var covered = false;
    for (var j = k + 1; j < frames.length; j++) if (inside(rects[j], x, y)) covered = true;
    if (!covered) seen.push({x: x, y: y});
  }
  var px = seen.length * L * Math.hypot(m.a, m.b) / 400;  // visible length on screen
  if (seen.length && (!best || px > best.px)) {
    var mid = seen[Math.floor(seen.length / 2)];
    best = {px: px, x: mid.x, y: mid.y, frame: k};
  }
});
return best;
"""


def _click_line(drv: Any, link: str) -> dict[str, float]:
    """A real mouse click at the link's drawn line; picks it from the pick-list if shown."""
    from selenium.webdriver.common.actions.action_builder import ActionBuilder
    from selenium.webdriver.common.by import By

    at = drv.execute_script(_LINE_AT, link)
    assert at, f"{link} is not drawn"
    actions = ActionBuilder(drv)
    actions.pointer_action.move_to_location(round(at["x"]), round(at["y"])).click()
    actions.perform()
    pick = drv.find_element(By.ID, "pick")
    if pick.is_displayed():
        choice = pick.find_element(By.CSS_SELECTOR, f'button[data-id="{link}"]')
        assert choice.text.startswith("close ")
        choice.click()
    return at


def test_map_page_offline_click_closes_tunnel_and_bridge(server: str, browser: Any,
                                                         tmp_path: Path) -> None:
    from selenium.webdriver.common.by import By

    drv = browser
    drv.set_window_size(1400, 1000)
    drv.get_log("performance")
    _open(drv, server + "/")

    # the map shows the network on a basemap: every link and node, coast and borders
    svg = drv.find_element(By.CSS_SELECTOR, "svg.network-map")
    assert svg.size["width"] > 400
    assert svg.size["height"] > 150
    main = 'svg.network-map g.frame[data-frame="0"]'
    from chokepoint.data import load_builtin

    net = load_builtin().network
    assert len(drv.find_elements(By.CSS_SELECTOR, f"{main} g.link")) == len(net.links)
    assert len(drv.find_elements(By.CSS_SELECTOR, f"{main} g.node")) == len(net.nodes)
    for layer in ("land", "border", "lake", "river"):
        path = drv.find_element(By.CSS_SELECTOR, f"{main} path.{layer}")
        assert path.size["width"] > 100, layer  # drawn across the map, not an empty path
    assert drv.find_elements(By.CSS_SELECTOR, "svg.network-map g.frame.inset")  # Far East
    assert _labels_clear(drv, "svg.network-map") >= 20

    served_before = drv.find_element(By.ID, "served").text
    assert "Mt/yr" in served_before  # all traffic in the console's and report's unit
    updates = _updates(drv)

    # a real click on the tunnel's drawn line closes its failure group
    _click_line(drv, "severomuysky_tunnel")
    assert _wait(lambda: _updates(drv) != updates), "no update after the click"
    assert "group severomuysky_tunnel" in drv.find_element(By.ID, "closed-list").text
    served_after = drv.find_element(By.ID, "served").text
    assert served_after != served_before
    assert "→" in served_after  # intact → closed
    tunnel = drv.find_element(By.CSS_SELECTOR, f'{main} g.link[data-id="severomuysky_tunnel"]')
    assert "closed" in (tunnel.get_attribute("class") or "")
    title = drv.execute_script("return arguments[0].querySelector('title').textContent", tunnel)
    assert "click to reopen" in title  # the hover text follows the state
    assert drv.find_element(By.ID, "campaign-row").is_displayed()  # the campaign's delay
    assert drv.find_element(By.ID, "campaign").text
    _shot(drv, tmp_path, "web-map-tunnel-closed.png")

    # the same for the bridge (0.2 km: it lies under its bypass's ends, so a pick-list)
    updates = _updates(drv)
    _click_line(drv, "devils_bridge")
    assert _wait(lambda: _updates(drv) != updates), "no update after the bridge click"
    closed = drv.find_element(By.ID, "closed-list").text
    assert "group devils_bridge" in closed
    assert "group severomuysky_tunnel" in closed
    _shot(drv, tmp_path, "web-map-tunnel-and-bridge-closed.png")

    # nothing left the machine: every request went to this server (or was inline data)
    urls = _requested_urls(drv)
    assert urls, "the performance log recorded no requests"
    foreign = [u for u in urls if not u.startswith(("data:", "blob:"))
               and urlsplit(u).hostname != "127.0.0.1"]
    assert not foreign, f"requests to other hosts: {foreign}"
    errors = [e for e in drv.get_log("browser") if e.get("level") == "SEVERE"]
    assert not errors, f"browser console errors: {errors}"


def test_map_zooms_and_pans(server: str, browser: Any, tmp_path: Path) -> None:
    from selenium.webdriver.common.action_chains import ActionChains
    from selenium.webdriver.common.actions.wheel_input import ScrollOrigin
    from selenium.webdriver.common.by import By

    drv = browser
    drv.set_window_size(1400, 1000)
    _open(drv, server + "/")
    svg = drv.find_element(By.CSS_SELECTOR, "svg.network-map")

    def view() -> list[float]:
        return [float(v) for v in svg.get_dom_attribute("viewBox").split()]

    before = view()
    ActionChains(drv).scroll_to_element(svg).perform()
    for _ in range(4):  # the wheel zooms in around the pointer
        ActionChains(drv).scroll_from_origin(ScrollOrigin.from_element(svg, 0, 0), 0,
                                             -200).perform()
    assert _wait(lambda: float(drv.find_element(By.TAG_NAME, "body")
                               .get_attribute("data-zoom") or 1) > 1.5)
    after = view()
    assert after[2] < before[2] / 1.5
    _shot(drv, tmp_path, "web-map-zoomed.png")
    x0 = after[0]
    ActionChains(drv).drag_and_drop_by_offset(svg, -120, 0).perform()  # drag pans
    assert view()[0] > x0
    drv.find_element(By.ID, "zoom-reset").click()
    assert view() == before


def test_narrow_window_stacks_map_and_panel(server: str, browser: Any, tmp_path: Path) -> None:
    from selenium.webdriver.common.by import By
    from selenium.webdriver.common.keys import Keys

    drv = browser
    drv.set_window_size(420, 900)
    try:
        _open(drv, server + "/")
        width = drv.execute_script("return document.documentElement.clientWidth")
        assert width <= 420
        svg = drv.find_element(By.CSS_SELECTOR, "svg.network-map")
        assert svg.rect["width"] >= 300
        panel = drv.find_element(By.ID, "panel")
        assert panel.rect["y"] >= svg.rect["y"] + svg.rect["height"] - 1  # stacked below
        assert panel.rect["width"] >= 300
        # keyboard access: the element list's buttons take focus and Enter closes
        first = drv.find_element(By.CSS_SELECTOR, '#elements button[data-id="devils_bridge"]')
        updates = _updates(drv)
        first.send_keys(Keys.ENTER)
        assert _wait(lambda: _updates(drv) != updates)
        assert first.get_attribute("aria-pressed") == "true"
        _shot(drv, tmp_path, "web-map-420px.png")
    finally:
        drv.set_window_size(1400, 1000)


def test_csv_network_without_coordinates_gets_a_schematic_map(csv_server: str, browser: Any,
                                                              tmp_path: Path) -> None:
    from selenium.webdriver.common.by import By

    drv = browser
    drv.set_window_size(1400, 1000)
    drv.get(csv_server + "/")
    assert _wait(lambda: _updates(drv)), "the page never reported results"
    svg = drv.find_element(By.CSS_SELECTOR, "svg.network-map.schematic")
    links = drv.find_elements(By.CSS_SELECTOR, "svg.network-map g.link path.stroke")
    assert len(links) == 3
    assert all(max(p.size["width"], p.size["height"]) > 20 for p in links)
    assert "Schematic layout" in svg.text
    # the findings block is never an empty box: a network without demands says why
    body = drv.find_element(By.ID, "findings-body")
    assert _wait(lambda: "Nothing to state" in body.text), body.text
    _shot(drv, tmp_path, "web-map-csv-schematic.png")


#: Label boxes as the browser draws them (getBBox), per frame of the first map: overlapping
#: pairs, labels outside their frame, main-map labels under an inset, overlapping insets.
_LABEL_AUDIT = """
var svg = document.querySelector(arguments[0]), bad = {overlap: [], outside: [], covered: [],
    insets: [], count: 0};
function box(b, pad) { return {x0: b.x - pad, y0: b.y - pad, x1: b.x + b.width + pad,
                                y1: b.y + b.height + pad}; }
function meet(a, b) { return a.x0 < b.x1 - 1 && a.x1 > b.x0 + 1 && a.y0 < b.y1 - 1 &&
                             a.y1 > b.y0 + 1; }
var frames = Array.from(svg.querySelectorAll('g.frame'));
var insets = frames.slice(1).map(function (f) {
  var b = box(f.querySelector('rect.sea').getBBox(), 0); b.y0 -= 14; return b; });
frames.forEach(function (f, k) {
  var sea = box(f.querySelector('rect.sea').getBBox(), 0), labels = [];
  f.querySelectorAll('g.node-labels text, g.places text, g.structure-labels text')
    .forEach(function (t) { var b = box(t.getBBox(), 0); b.t = t.textContent; labels.push(b); });
  bad.count += labels.length;
  labels.forEach(function (a, i) {
    if (a.x0 < sea.x0 - 1 || a.x1 > sea.x1 + 1 || a.y0 < sea.y0 - 1 || a.y1 > sea.y1 + 1)
      bad.outside.push(a.t);
    if (k === 0) insets.forEach(function (r) { if (meet(a, r)) bad.covered.push(a.t); });
    labels.slice(i + 1).forEach(function (b) {
      if (meet(a, b)) bad.overlap.push(a.t + ' / ' + b.t); });
  });
});
insets.forEach(function (a, i) { insets.slice(i + 1).forEach(function (b) {
  if (meet(a, b)) bad.insets.push(i); }); });
return bad;
"""


def _labels_clear(drv: Any, css: str) -> int:
    """Assert that the map's labels, as drawn, neither overlap nor leave their frame nor hide
    under an inset, and that insets do not overlap; the number of labels checked."""
    bad = drv.execute_script(_LABEL_AUDIT, css)
    assert not bad["overlap"], bad["overlap"]
    assert not bad["outside"], bad["outside"]
    assert not bad["covered"], bad["covered"]
    assert not bad["insets"], bad["insets"]
    return int(bad["count"])


def test_report_file_opens_offline(browser: Any, tmp_path: Path) -> None:
    """The offline report, opened from disk, makes no request at all."""
    from selenium.webdriver.common.by import By

    from chokepoint.data import load_builtin
    from chokepoint.report import write_report

    write_report(load_builtin(), tmp_path, png=False, generated="2026-11-27")
    drv = browser
    drv.get_log("performance")  # drop earlier entries
    drv.get((tmp_path / "report.html").as_uri())
    assert len(drv.find_elements(By.CSS_SELECTOR, "svg.network-map g.link")) >= 60
    assert drv.find_elements(By.CSS_SELECTOR, "svg.network-map path.land")
    assert _labels_clear(drv, "svg.network-map") >= 20  # nodes, tunnel, bridge, cities
    titles = drv.execute_script("return Array.from(document.querySelectorAll("
                                "'svg.network-map .inset-decor text')).map(t => t.textContent)")
    assert any("Vladivostok" in t for t in titles), titles  # the Far-East ports' detail
    assert "detail: Devil's Bridge" in titles
    assert not any("…" in t for t in titles), titles
    urls = [u for u in _requested_urls(drv) if not u.startswith(("file:", "data:"))]
    assert not urls, f"the report requested: {urls}"
    _shot(drv, tmp_path, "report.png")
