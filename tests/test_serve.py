"""The web map's API: closures, uploads, downloads, limits and JSON errors."""

from __future__ import annotations

import datetime as dt
import io
import json
import re
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pytest

pytest.importorskip("fastapi", reason="the web extra (fastapi) is not installed")
pytest.importorskip("multipart", reason="the web extra (python-multipart) is not installed")
pytest.importorskip("httpx2", reason="starlette's TestClient needs httpx2 (dev extra)")

from fastapi.testclient import TestClient

from chokepoint.data import builtin_path, load_builtin
from chokepoint.scenario import Scenario
from chokepoint.serve import ServeSettings, create_app
from chokepoint.workflows.closures import (
    Closure,
    baseline,
    close_elements,
    resolve_elements,
)

BASE = "http://127.0.0.1"
TUNNEL = "severomuysky_tunnel"


@pytest.fixture(scope="module")
def corridor() -> Scenario:
    return load_builtin()


@pytest.fixture
def client() -> Iterator[TestClient]:
    with TestClient(create_app(), base_url=BASE) as c:
        yield c


def _client(settings: ServeSettings, **kw: Any) -> TestClient:
    return TestClient(create_app(settings=settings), base_url=BASE, **kw)


def _is_error(r: Any, status: int) -> dict[str, Any]:
    assert r.status_code == status, r.text
    assert r.headers["content-type"].startswith("application/json")
    body = r.json()
    assert isinstance(body["error"], str)
    assert body["error"]
    assert "Traceback" not in r.text
    return body


# -- the analysis, without the web -----------------------------------------------------------

def test_close_tunnel_changes_served_not_the_shipments_throughput(corridor: Scenario
                                                                   ) -> None:
    base = baseline(corridor)
    closure = Closure(resolve_elements(corridor, [TUNNEL]), dt.date(2023, 11, 29),
                      dt.date(2023, 12, 5))
    r = close_elements(corridor, base, closure)
    # the shipment (dprk_munitions along its route rules) is limited by its sea leg
    # Rajin → Dunai, so its max flow does not move ...
    assert r["throughput"]["commodity"] == "dprk_munitions"
    assert r["throughput"]["sources"] == ["rajin"]
    assert r["throughput"]["closed_base"] == pytest.approx(r["throughput"]["intact_base"])
    assert r["bottleneck"]["closed"][0]["id"] == "sea_rajin_dunai"
    # ... but the corridor serves less traffic with the tunnel shut
    assert r["served"]["closed_base"] < r["served"]["intact_base"] - 1000
    assert r["period"]["days"] == 7
    lost = r["period"]["served"]
    assert lost["t"] == pytest.approx(7 * (r["served"]["intact_base"]
                                           - r["served"]["closed_base"]))
    assert lost["TEU"] > 0
    assert r["closed"] == [{"id": TUNNEL, "kind": "link", "name": "Severomuysky tunnel"}]


def test_resolve_elements_kinds(corridor: Scenario) -> None:
    assert resolve_elements(corridor, ["dunai", TUNNEL]) == (("link", TUNNEL),
                                                             ("node", "dunai"))
    assert resolve_elements(corridor, [("group", TUNNEL)]) == (("group", TUNNEL),)
    from chokepoint.errors import InputError

    with pytest.raises(InputError, match="no link, node or failure group"):
        resolve_elements(corridor, ["atlantis"])
    with pytest.raises(InputError, match="no node"):
        resolve_elements(corridor, [("node", TUNNEL)])


def test_campaign_hook_receives_the_closure(corridor: Scenario) -> None:
    seen: dict[str, Any] = {}

    def hook(s: Scenario, closure: Closure, arcs: np.ndarray) -> dict[str, Any]:
        seen.update(n=len(arcs), closure=closure)
        return {"delay_days": 3.5}

    closure = Closure(resolve_elements(corridor, [TUNNEL]))
    r = close_elements(corridor, baseline(corridor), closure, campaign=hook)
    assert r["campaign"] == {"delay_days": 3.5}
    assert seen["n"] == 2  # a two-way link: both arcs
    assert seen["closure"] is closure


def test_failing_campaign_hook_leaves_the_other_figures(corridor: Scenario) -> None:
    def broken(*_: Any) -> dict[str, Any]:
        raise RuntimeError("boom")

    r = close_elements(corridor, baseline(corridor),
                       Closure(resolve_elements(corridor, [TUNNEL])), campaign=broken)
    assert "failed" in r["campaign"]["error"]
    assert "boom" not in r["campaign"]["error"]
    assert r["served"]["closed_base"] > 0


def test_simulation_hook_reports_the_campaign_delay(corridor: Scenario) -> None:
    pytest.importorskip("simpy", reason="the simulation extra (simpy) is not installed")
    from chokepoint.workflows.closures import simulation_hook

    hook = simulation_hook(seed=0)
    base = baseline(corridor)
    none = close_elements(corridor, base, Closure(()), campaign=hook)
    assert none["campaign"] is None  # nothing closed: nothing to simulate
    port = close_elements(corridor, base, Closure(resolve_elements(corridor, ["dunai"])),
                          campaign=hook)
    c = port["campaign"]
    if "error" in c:  # the simulation refused the closure: said so, in words
        assert c["error"]
        return
    assert c["undelivered"] == c["containers"]  # no port, no delivery
    assert c["completion"] is None
    assert c["completion_undisrupted"]


# -- page and API ----------------------------------------------------------------------------

def test_page_is_local_only(client: TestClient) -> None:
    r = client.get("/")
    assert r.status_code == 200
    csp = r.headers["content-security-policy"]
    assert "default-src 'self'" in csp
    assert "script-src 'self'" in csp
    assert r.headers["x-content-type-options"] == "nosniff"
    assert '<svg xmlns="http://www.w3.org/2000/svg" id="network-map"' in r.text
    assert 'src="/static/app.js"' in r.text
    for ref in re.findall(r'(?:src|href)="([^"]+)"', r.text):
        assert ref.startswith("/"), ref
    for asset in ("/static/app.js", "/static/app.css"):
        a = client.get(asset)
        assert a.status_code == 200
        assert "http://" not in a.text
        assert "https://" not in a.text


def test_network_and_openapi(client: TestClient) -> None:
    j = client.get("/api/network").json()
    assert j["sources"] == ["rajin"]  # the shipment: the first commodity's origin
    assert j["unit"] == "TEU/day"
    net = load_builtin().network
    assert len(j["links"]) == len(net.links)
    assert len(j["nodes"]) == len(net.nodes)
    assert any(g["id"] == TUNNEL and g["structure"] for g in j["groups"])
    spec = client.get("/api/openapi.json").json()
    assert {"/api/close", "/api/upload", "/api/network", "/api/results.csv"} <= set(
        spec["paths"])
    assert client.get("/docs").status_code == 404  # the CDN-backed docs page is off
    assert client.get("/api/map.svg").headers["content-type"].startswith("image/svg+xml")


def test_close_endpoint(client: TestClient) -> None:
    intact = client.post("/api/close", json={"elements": []}).json()
    r = client.post("/api/close", json={"elements": [TUNNEL]})
    assert r.status_code == 200
    j = r.json()
    assert j["served"]["closed"]["TEU/day"] < intact["served"]["closed"]["TEU/day"]
    # all traffic in one unit, the one the console and report use (Mt/yr on the corridor)
    assert j["served"]["unit"] == "Mt/yr"
    units = load_builtin().units
    assert intact["served"]["closed"]["Mt/yr"] == pytest.approx(
        units.from_base(intact["served"]["closed_base"], "Mt/yr"))
    assert intact["served"]["closed"]["Mt/yr"] == pytest.approx(173.1, abs=0.05)  # as the demo
    assert j["utilisation"][TUNNEL] in (0.0, None)
    # the group form, the node form, terminals and dates
    g = client.post("/api/close", json={"elements": [{"id": TUNNEL, "kind": "group"}],
                                        "start": "2023-11-29", "end": "2023-11-29"}).json()
    assert g["period"]["days"] == 1
    n = client.post("/api/close", json={"elements": [{"id": "dunai", "kind": "node"}]}).json()
    assert n["throughput"]["closed"]["TEU/day"] == 0
    assert n["detour"]["closed"]["found"] is False
    t = client.post("/api/close", json={"elements": [TUNNEL, "little_bam", "tayshet_irkutsk"],
                                        "sources": ["tayshet"], "sinks": ["vanino"]}).json()
    assert t["throughput"]["closed"]["TEU/day"] < t["throughput"]["intact"]["TEU/day"]
    assert client.get("/api/health").json()["cached_results"] >= 4


def test_serve_terminals_replace_the_shipment(corridor: Scenario) -> None:
    """`serve --source/--sink` (terminals on the scenario) are the page's shipment; without
    them it is the first commodity along its route rules."""
    from chokepoint.report.build import with_terminals

    s = with_terminals(corridor, ["dunai"], ["tikhoretsk_depot"])
    with TestClient(create_app(s), base_url=BASE) as c:
        net = c.get("/api/network").json()
        intact = c.post("/api/close", json={"elements": []}).json()
    assert net["sources"] == ["dunai"]
    assert net["sinks"] == ["tikhoretsk_depot"]
    assert intact["throughput"]["commodity"] is None
    assert intact["throughput"]["sources"] == ["dunai"]
    with TestClient(create_app(corridor), base_url=BASE) as c:
        assert c.get("/api/network").json()["sources"] == ["rajin"]


@pytest.mark.parametrize(("body", "status", "words"), [
    ({"elements": ["atlantis"]}, 400, "atlantis"),
    ({"elements": [{"id": "dunai", "kind": "river"}]}, 422, "invalid request"),
    ({"elements": [], "start": "2023-11-29"}, 422, "both start and end"),
    ({"elements": [], "start": "2023-11-29", "end": "2023-11-01"}, 422, "before start"),
    ({"elements": [], "sources": ["nowhere"], "sinks": ["vanino"]}, 400, "no node"),
    ({"elements": "x" * 300}, 422, "invalid request"),
])
def test_close_errors_are_json(client: TestClient, body: dict[str, Any], status: int,
                               words: str) -> None:
    assert words in _is_error(client.post("/api/close", json=body), status)["error"]


def test_not_found_and_wrong_method_are_json(client: TestClient) -> None:
    _is_error(client.get("/api/nothing"), 404)
    _is_error(client.get("/api/close"), 405)
    _is_error(client.post("/api/close", content=b"{not json",
                          headers={"content-type": "application/json"}), 422)


def test_downloads(client: TestClient) -> None:
    r = client.get("/api/results.csv", params={"close": TUNNEL})
    assert r.status_code == 200
    assert "attachment" in r.headers["content-disposition"]
    import pandas as pd

    t = pd.read_csv(io.StringIO(r.text))
    assert bool(t.loc[t["id"] == TUNNEL, "closed"].iloc[0])
    assert "utilisation_closed" in t.columns
    js = client.get("/api/results.json", params={"close": f"{TUNNEL},dunai"}).json()
    assert {c["id"] for c in js["closed"]} == {TUNNEL, "dunai"}
    rk = client.get("/api/ranking.csv")
    assert rk.status_code == 200
    assert rk.text.startswith("rank,element")
    _is_error(client.get("/api/ranking.csv", params={"kind": "bogus"}), 422)


def test_report_download() -> None:
    # the whole study, the link ranking and the charts: ~20 s alone, more under a loaded
    # parallel test run, so a limit well above the default 30 s
    with _client(ServeSettings(analysis_timeout_s=180.0)) as client:
        r = client.get("/api/report.html")
    assert r.status_code == 200
    assert "default-src 'none'" in r.text
    assert "Criticality ranking" in r.text


def test_page_heads_with_the_studys_findings(corridor: Scenario) -> None:
    """The page's "what this means" block is the study workflow's findings, word for word,
    computed once per loaded scenario."""
    from chokepoint.workflows.study import study_findings

    with _client(ServeSettings()) as client:
        page = client.get("/")
        assert page.text.index('id="findings"') < page.text.index('id="network-map"')
        r = client.get("/api/findings")
        assert r.status_code == 200
        again = client.get("/api/findings")
    got = r.json()
    assert again.content == r.content
    assert got["scenario"] == corridor.name
    keys = [f["key"] for f in got["findings"]]
    assert keys[:2] == ["shipment", "attack_cost"]
    assert {"weak_point", "attack_2023"} <= set(keys)
    want = study_findings(corridor)
    assert [(f["key"], f["text"]) for f in got["findings"]] == [(f.key, f.text) for f in want]
    attack = next(f["text"] for f in got["findings"] if f["key"] == "attack_2023")
    assert "Protecting " in attack  # the defender's first choice (issue 12: demo and report)
    shipment = got["findings"][0]["text"]
    assert "dprk_munitions" in shipment
    assert "TEU/day" in shipment


def test_findings_follow_the_maps_terminals(tmp_path: Path) -> None:
    """With explicit terminals (`serve --source/--sink`) the page's findings describe the
    same shipment as the map, word for word the study's for those terminals."""
    import chokepoint
    from _toys import TWO_ROUTES
    from chokepoint.report.build import with_terminals
    from chokepoint.workflows.study import study, study_findings

    path = tmp_path / "toy.toml"
    path.write_text(TWO_ROUTES, encoding="utf-8")
    toy = chokepoint.load(path)
    s = with_terminals(toy, ["m"], ["b"])
    with TestClient(create_app(s), base_url=BASE) as c:
        net = c.get("/api/network").json()
        got = c.get("/api/findings").json()["findings"]
    assert (net["sources"], net["sinks"]) == (["m"], ["b"])
    texts = [(f["key"], f["text"]) for f in got]
    want = study(s, sources=["m"], sinks=["b"], with_campaign=False).findings
    assert texts == [(f.key, f.text) for f in want]
    assert texts == [(f.key, f.text) for f in study_findings(s, sources=["m"], sinks=["b"])]
    spof = next(text for key, text in texts if key == "spof_shipment")
    assert "(m → b)" in spof
    # without terminals: the first commodity's shipment, as before
    default = [(f.key, f.text) for f in study_findings(toy)]
    assert default != texts
    assert "goods: a → b" in next(text for key, text in default if key == "spof_shipment")


# -- uploads ---------------------------------------------------------------------------------

def test_upload_network_then_reset(client: TestClient) -> None:
    csv = b"from,to,capacity\na,b,10\nb,c,4\na,c,1\n"
    r = client.post("/api/upload", files={"file": ("../../etc/evil name.csv", csv, "text/csv")})
    assert r.status_code == 200, r.text
    assert r.json()["links"] == 3
    assert r.json()["file"] == "evil name.csv"  # the path part is dropped
    net = client.get("/api/network").json()
    assert len(net["links"]) == 3
    j = client.post("/api/close", json={"elements": ["b"]}).json()
    assert j["throughput"] is None  # a bare network has no terminals ...
    j = client.post("/api/close", json={"elements": [], "sources": ["a"],
                                        "sinks": ["c"]}).json()
    assert j["throughput"]["closed"]["unit"] == pytest.approx(5.0)  # ... unless asked
    assert client.get("/").status_code == 200  # the page renders a network without coords
    client.post("/api/reset")
    assert len(client.get("/api/network").json()["links"]) == len(load_builtin().network.links)


def test_upload_scenario_toml(client: TestClient) -> None:
    text = builtin_path().read_bytes()
    r = client.post("/api/upload", files={"file": ("corridor.toml", text)})
    assert r.status_code == 200, r.text
    assert r.json()["nodes"] == len(load_builtin().network.nodes)


@pytest.mark.parametrize(("name", "data", "words"), [
    ("run.py", b"print('hi')", "unsupported file kind"),
    ("noext", b"x", "unsupported file kind"),
    ("bad.toml", b"version = [", "not valid TOML"),
    ("refs.toml", b'version = 1\n[network]\nlinks = "/etc/passwd"\n', "self-contained"),
    ("bad.csv", b"a,b\n1,2\n", "missing required column"),
    ("bad.gpkg", b"not a geopackage", "not a GeoPackage"),
])
def test_upload_rejections(client: TestClient, name: str, data: bytes, words: str) -> None:
    body = _is_error(client.post("/api/upload", files={"file": (name, data)}), 400)
    assert words in body["error"]
    assert "/tmp" not in body["error"]
    assert "chokepoint-upload-" not in body["error"]


def test_upload_leaves_no_files(client: TestClient, tmp_path: Path,
                                monkeypatch: pytest.MonkeyPatch) -> None:
    import tempfile

    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    client.post("/api/upload", files={"file": ("x.csv", b"from,to,capacity\na,b,1\n")})
    assert not [p for p in tmp_path.iterdir() if p.name.startswith("chokepoint-upload-")]


# -- limits and guards -----------------------------------------------------------------------

def test_size_limits() -> None:
    with _client(ServeSettings(max_body_bytes=2000, max_upload_bytes=5000)) as c:
        big = {"elements": ["x" * 100] * 40}
        assert "limit" in _is_error(c.post("/api/close", json=big), 413)["error"]
        ok = c.post("/api/upload", files={"file": ("a.csv", b"from,to,capacity\na,b,1\n")})
        assert ok.status_code == 200
        _is_error(c.post("/api/upload", files={"file": ("a.csv", b"x" * 6000)}), 413)

        def chunks() -> Iterator[bytes]:  # no Content-Length: counted while streaming
            for _ in range(10):
                yield b" " * 1000

        _is_error(c.post("/api/close", content=chunks(),
                         headers={"content-type": "application/json"}), 413)


def test_host_and_origin_guards(client: TestClient) -> None:
    _is_error(client.get("/api/health", headers={"host": "attacker.example"}), 400)
    _is_error(client.post("/api/close", json={"elements": []},
                          headers={"origin": "http://attacker.example"}), 403)
    ok = client.post("/api/close", json={"elements": []},
                     headers={"origin": "http://127.0.0.1:8000"})
    assert ok.status_code == 200
    with TestClient(create_app(settings=ServeSettings(allowed_hosts=("*",))),
                    base_url="http://example.org") as c:
        assert c.get("/api/health").status_code == 200


def test_too_many_elements() -> None:
    with _client(ServeSettings(max_elements=2)) as c:
        r = c.post("/api/close", json={"elements": ["dunai", "rajin", "vanino"]})
        assert "at most 2" in _is_error(r, 400)["error"]


def test_internal_errors_hide_details(monkeypatch: pytest.MonkeyPatch) -> None:
    import chokepoint.serve.state as state_module

    def broken(*_: Any, **__: Any) -> dict[str, Any]:
        raise RuntimeError("secret internals /etc/shadow")

    monkeypatch.setattr(state_module, "close_elements", broken)
    with _client(ServeSettings(), raise_server_exceptions=False) as c:
        r = c.post("/api/close", json={"elements": [TUNNEL]})
        body = _is_error(r, 500)
        assert "secret" not in json.dumps(body)


def test_analysis_time_limit() -> None:
    """The 504 comes while the analysis is still running (no wall-clock bound: the analysis
    waits for the test to release it, so a busy machine cannot make this flaky)."""
    release, finished = threading.Event(), threading.Event()

    def slow(*_: Any) -> dict[str, Any]:
        release.wait(60.0)
        finished.set()
        return {}

    with _client(ServeSettings(campaign=slow, analysis_timeout_s=0.1)) as c:
        try:
            r = c.post("/api/campaign", json={"elements": [TUNNEL]})
            assert not finished.is_set()  # answered before the analysis finished
            assert "took longer" in _is_error(r, 504)["error"]
            # the event loop was never blocked: other requests are served meanwhile
            assert c.get("/api/health").status_code == 200
        finally:
            release.set()


def test_campaign_is_a_separate_request() -> None:
    """A closure never waits for the campaign: /api/close answers without it, and
    /api/campaign runs the hook once per closure (cached)."""
    calls: list[tuple[tuple[str, str], ...]] = []

    def hook(_: Scenario, closure: Closure, __: np.ndarray) -> dict[str, Any]:
        calls.append(closure.elements)
        return {"delay_days": 2.0}

    with _client(ServeSettings(campaign=hook)) as c:
        assert c.get("/api/network").json()["campaign"] is True
        r = c.post("/api/close", json={"elements": [TUNNEL]})
        assert r.status_code == 200
        assert r.json()["campaign"] is None
        assert not calls
        for _ in range(2):
            got = c.post("/api/campaign", json={"elements": [TUNNEL]})
            assert got.json() == {"campaign": {"delay_days": 2.0}}
        assert calls == [(("link", TUNNEL),)]
        assert c.post("/api/campaign", json={"elements": []}).json() == {"campaign": None}
    with TestClient(create_app(), base_url=BASE) as c:
        assert c.get("/api/network").json()["campaign"] is False
        assert c.post("/api/campaign", json={"elements": [TUNNEL]}).json() == {
            "campaign": None}


def test_timed_out_analysis_is_cancelled_and_frees_its_worker() -> None:
    """Past the time limit the request gets 504 and the analysis stops at its next
    cancellation check, so the only worker is free for the next request."""
    from chokepoint.cancel import check

    steps: list[int] = []

    def slow(*_: Any) -> dict[str, Any]:
        for i in range(200):  # 10 s if never cancelled
            check()
            steps.append(i)
            time.sleep(0.05)
        return {}

    with _client(ServeSettings(campaign=slow, analysis_timeout_s=0.3, workers=1)) as c:
        r = c.post("/api/campaign", json={"elements": [TUNNEL]})
        assert "took longer" in _is_error(r, 504)["error"]
        pool = c.app.state.pool  # type: ignore[attr-defined]
        deadline = time.monotonic() + 3
        while pool.in_flight and time.monotonic() < deadline:
            time.sleep(0.02)
        assert pool.in_flight == 0  # the worker is free again ...
        assert pool.cancelled == 1
        assert len(steps) < 20  # ... long before the analysis would have ended
        # and it serves the next analysis
        r = c.post("/api/close", json={"elements": [TUNNEL]})
        assert r.status_code == 200
        assert c.get("/api/health").json()["pool"]["cancelled"] == 1


def test_timed_out_ranking_is_cancelled() -> None:
    """A real analysis (the criticality ranking) stops between solver calls."""
    with _client(ServeSettings(analysis_timeout_s=0.05, workers=1)) as c:
        r = c.get("/api/ranking.csv?kind=link")
        assert _is_error(r, 504)
        pool = c.app.state.pool  # type: ignore[attr-defined]
        deadline = time.monotonic() + 10
        while pool.in_flight and time.monotonic() < deadline:
            time.sleep(0.02)
        assert pool.in_flight == 0
        assert pool.cancelled == 1


def test_single_closures_are_prewarmed() -> None:
    """After loading, every single-element closure is solved in the background; then a
    closure of one element needs no LP solve and is answered on the event loop."""
    with _client(ServeSettings()) as c:
        deadline = time.monotonic() + 60
        while not c.get("/api/health").json()["prewarmed"] and time.monotonic() < deadline:
            time.sleep(0.05)
        h = c.get("/api/health").json()
        assert h["prewarmed"]
        assert h["engine"]["solves"] > 0
        state = c.app.state.chokepoint  # type: ignore[attr-defined]
        closure = Closure((("link", TUNNEL),))
        assert state.current.base.engine.answers_now(closure)
        solves = h["engine"]["solves"]
        assert c.post("/api/close", json={"elements": [TUNNEL]}).status_code == 200
        assert c.get("/api/health").json()["engine"]["solves"] == solves
    with _client(ServeSettings(prewarm_elements=0)) as c:
        h = c.get("/api/health").json()
        assert h["prewarmed"]
        assert h["engine"]["solves"] == 0


def test_dates_reuse_the_cached_closure(corridor: Scenario) -> None:
    """The same closure over other dates is computed once; only its period differs, and it
    equals the period of a direct computation."""
    with _client(ServeSettings(prewarm_elements=0)) as c:
        body = {"elements": [TUNNEL]}
        plain = c.post("/api/close", json=body).json()
        computed = c.get("/api/health").json()["computed_results"]
        dated = c.post("/api/close", json={**body, "start": "2023-11-29",
                                           "end": "2023-12-05"}).json()
        assert c.get("/api/health").json()["computed_results"] == computed
    assert plain["period"] is None
    assert plain["start"] is None
    assert dated["start"] == "2023-11-29"
    assert dated["end"] == "2023-12-05"
    direct = close_elements(corridor, baseline(corridor),
                            Closure(resolve_elements(corridor, [TUNNEL]),
                                    dt.date(2023, 11, 29), dt.date(2023, 12, 5)))
    assert dated["period"]["days"] == direct["period"]["days"] == 7
    for k in ("throughput", "served"):
        assert dated["period"][k] == pytest.approx(direct["period"][k])
    assert {k: v for k, v in dated.items() if k not in ("start", "end", "period",
                                                        "elapsed_ms")} == \
        {k: v for k, v in plain.items() if k not in ("start", "end", "period", "elapsed_ms")}
