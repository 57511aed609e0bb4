"""The web map under hostile uploads and headers: every trick refused, one clear message.

Files are generated here (VRT pointing at /etc/passwd, /vsi paths, GeoPackages with views,
foreign triggers, virtual tables or ATTACH in their schema, a small GeoParquet that expands to
a million rows, deep TOML...). Each case must be refused with a JSON 400/403/413 that names the
problem and never reveals a server path or whether it exists.
"""

from __future__ import annotations

import io
import json
import sqlite3
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

pytest.importorskip("fastapi", reason="the web extra (fastapi) is not installed")
pytest.importorskip("multipart", reason="the web extra (python-multipart) is not installed")
pytest.importorskip("httpx2", reason="starlette's TestClient needs httpx2 (dev extra)")

from fastapi.testclient import TestClient

from chokepoint.serve import ServeSettings, create_app
from chokepoint.serve.app import public_settings
from chokepoint.serve.security import parse_host, parse_origin

BASE = "http://127.0.0.1"


@pytest.fixture(scope="module")
def client() -> Iterator[TestClient]:
    with TestClient(create_app(), base_url=BASE) as c:
        yield c


def _refused(r: Any, status: int = 400) -> str:
    assert r.status_code == status, r.text
    body = r.json()
    msg = body["error"]
    assert isinstance(msg, str)
    assert msg
    assert "\n" not in msg
    assert "Traceback" not in r.text
    assert "/tmp" not in msg
    assert "chokepoint-upload-" not in msg
    assert "root:" not in r.text  # nothing of /etc/passwd
    return str(msg)


def _upload(c: TestClient, name: str, data: bytes, **kw: Any) -> Any:
    return c.post("/api/upload", files={"file": (name, data)}, **kw)


def _vrt(path: str) -> bytes:
    return (f'<OGRVRTDataSource><OGRVRTLayer name="links"><SrcDataSource>{path}'
            '</SrcDataSource><SrcLayer>passwd</SrcLayer></OGRVRTLayer></OGRVRTDataSource>'
            ).encode()


# -- file-referencing formats ----------------------------------------------------------------
@pytest.mark.parametrize("name", ["net.geojson", "net.json", "net.gpkg", "net.csv",
                                  "net.toml", "net.parquet", "net.max"])
def test_vrt_reading_etc_passwd_is_refused(client: TestClient, name: str) -> None:
    msg = _refused(_upload(client, name, _vrt("CSV:/etc/passwd")))
    assert "net" in msg
    # the same upload naming a path that does not exist gives the same answer
    assert _refused(_upload(client, name, _vrt("CSV:/nonexistent/x"))) == msg
    assert client.get("/api/network").json()["scenario"] != "net"


@pytest.mark.parametrize(("name", "data"), [
    ("a.geojson", b'{"type": "FeatureCollection", "features": "/vsicurl/http://x/y.json"}'),
    ("a.json", b'"/vsizip//etc/passwd.zip/x.shp"'),
    ("a.csv", b"from,to,capacity\n/vsicurl/http://127.0.0.1:1/,b,1\n"),
    ("a.toml", b'version = 1\nname = "/vsimem/x"\n'),
    ("a.toml", b'version = 1\n[network]\nlinks = "/vsizip//etc/x.zip/links.shp"\n'),
    ("a.toml", b'version = 1\n[network]\nnodes = "/etc/passwd"\n'),
])
def test_vsi_paths_and_file_references_are_refused(client: TestClient, name: str,
                                                   data: bytes) -> None:
    msg = _refused(_upload(client, name, data))
    assert "/vsi" in msg or "self-contained" in msg


def test_client_file_names_are_not_paths(client: TestClient) -> None:
    r = _upload(client, "/vsicurl/http:/x/../../etc/passwd.csv",
                b"from,to,capacity\na,b,1\n")
    assert r.status_code == 200, r.text
    assert "/" not in r.json()["file"]
    client.post("/api/reset")


def _gpkg(tmp_path: Path, *sql: str, app_id: int | None = None) -> bytes:
    gpd = pytest.importorskip("geopandas", reason="the geo extra is not installed")
    shapely = pytest.importorskip("shapely")
    path = tmp_path / "x.gpkg"
    gpd.GeoDataFrame({"from": ["a", "b"], "to": ["b", "c"], "capacity": [5.0, 3.0]},
                     geometry=[shapely.LineString([(0, 0), (1, 1)]),
                               shapely.LineString([(1, 1), (2, 2)])],
                     crs="EPSG:4326").to_file(path, layer="links", driver="GPKG")
    con = sqlite3.connect(path)
    for s in sql:
        con.execute(s)
    if app_id is not None:
        con.execute(f"PRAGMA application_id = {app_id}")
    con.commit()
    con.close()
    return path.read_bytes()


def _schema_text(tmp_path: Path, kind: str, name: str, text: str) -> bytes:
    """A GeoPackage whose schema holds arbitrary SQL text (as a crafted file would)."""
    data = _gpkg(tmp_path)
    path = tmp_path / "crafted.gpkg"
    path.write_bytes(data)
    con = sqlite3.connect(path)
    con.execute("PRAGMA writable_schema = ON")
    con.execute("INSERT INTO sqlite_master VALUES (?, ?, 'links', 0, ?)", (kind, name, text))
    con.commit()
    con.close()
    return path.read_bytes()


@pytest.mark.parametrize(("case", "words"), [
    ("view", "views"),
    ("trigger", "triggers"),
    ("fts", "virtual tables"),
    ("attach", "attaches databases"),
    ("vsi", "attaches databases"),
    ("app_id", "application id"),
    ("not_sqlite", "not a GeoPackage"),
])
def test_geopackage_tricks_are_refused(client: TestClient, tmp_path: Path, case: str,
                                       words: str) -> None:
    data = {
        "view": lambda: _gpkg(tmp_path, "CREATE VIEW v AS SELECT * FROM links"),
        "trigger": lambda: _gpkg(tmp_path, "CREATE TRIGGER t AFTER INSERT ON links BEGIN "
                                           "DELETE FROM links; END"),
        "fts": lambda: _gpkg(tmp_path, "CREATE VIRTUAL TABLE f USING fts5(x)"),
        "attach": lambda: _schema_text(tmp_path, "view", "evil", "CREATE VIEW evil AS "
                                       "SELECT * FROM x; ATTACH '/etc/passwd' AS aux"),
        "vsi": lambda: _schema_text(tmp_path, "table", "evil",
                                    "CREATE VIRTUAL TABLE evil USING VirtualText("
                                    "'/vsicurl/http://x', 'UTF-8', 0)"),
        "app_id": lambda: _gpkg(tmp_path, app_id=0),
        "not_sqlite": lambda: b"GPKG" + b"\0" * 200,
    }[case]()
    assert words in _refused(_upload(client, "evil.gpkg", data))


def test_plain_geopackage_is_accepted(client: TestClient, tmp_path: Path) -> None:
    r = _upload(client, "ok.gpkg", _gpkg(tmp_path))
    assert r.status_code == 200, r.text
    assert r.json()["links"] == 2
    client.post("/api/reset")


def _geojson(n: int, *, geom: str = "LineString") -> bytes:
    coords: Any = [[0, 0], [1, 1]] if geom == "LineString" else [0, 0]
    feats = [{"type": "Feature", "properties": {"from": f"n{i}", "to": f"n{i + 1}",
                                                 "capacity": 3.0},
              "geometry": {"type": geom, "coordinates": coords}} for i in range(n)]
    return json.dumps({"type": "FeatureCollection", "features": feats}).encode()


def test_geojson_is_read_without_gdal(client: TestClient, monkeypatch: pytest.MonkeyPatch
                                      ) -> None:
    pytest.importorskip("geopandas", reason="the geo extra is not installed")
    import pyogrio

    def no_gdal(*_: Any, **__: Any) -> Any:
        raise AssertionError("GDAL must not see an uploaded GeoJSON")

    monkeypatch.setattr(pyogrio, "read_dataframe", no_gdal)
    monkeypatch.setattr(pyogrio, "list_layers", no_gdal)
    r = _upload(client, "ok.geojson", _geojson(3))
    assert r.status_code == 200, r.text
    assert r.json()["links"] == 3
    client.post("/api/reset")


def test_point_geometry_links_are_refused(client: TestClient) -> None:
    msg = _refused(_upload(client, "pts.geojson", _geojson(2, geom="Point")))
    assert "LineString" in msg
    assert "feature 0" in msg


# -- uploads that expand ---------------------------------------------------------------------
def _expanding_parquet(rows: int) -> bytes:
    pa = pytest.importorskip("pyarrow")
    pq = pytest.importorskip("pyarrow.parquet")
    shapely = pytest.importorskip("shapely")
    wkb = shapely.LineString([(0, 0), (1, 1)]).wkb
    table = pa.table({"from": pa.array(["a"] * rows).dictionary_encode(),
                      "to": pa.array(["b"] * rows).dictionary_encode(),
                      "capacity": pa.array([1.0] * rows),
                      "geometry": pa.array([wkb] * rows, pa.binary()).dictionary_encode()})
    geo = {"version": "1.0.0", "primary_column": "geometry",
           "columns": {"geometry": {"encoding": "WKB", "geometry_types": ["LineString"]}}}
    table = table.replace_schema_metadata({b"geo": json.dumps(geo).encode()})
    buf = io.BytesIO()
    pq.write_table(table, buf, compression="zstd")
    return buf.getvalue()


def test_expanding_parquet_is_refused_before_it_is_built(monkeypatch: pytest.MonkeyPatch
                                                         ) -> None:
    data = _expanding_parquet(1_000_000)
    assert len(data) < 200_000  # small on the wire ...
    import geopandas

    def never(*_: Any, **__: Any) -> Any:
        raise AssertionError("the rows were materialised")

    monkeypatch.setattr(geopandas, "read_parquet", never)
    with TestClient(create_app(settings=ServeSettings(max_upload_elements=10_000)),
                    base_url=BASE) as c:
        msg = _refused(_upload(c, "big.parquet", data))
        assert "1,000,000" in msg
        assert "10,000" in msg


@pytest.mark.parametrize(("name", "data"), [
    ("big.csv", b"from,to,capacity\n" + b"a,b,1\n" * 1001),
    ("big.geojson", _geojson(1001)),
    ("big.max", b"p max 2000000000 1\nn 1 s\nn 2 t\na 1 2 1\n"),
    ("big.toml", b"version = 1\n" + b'[[links]]\nid = "x"\nfrom = "a"\nto = "b"\n' * 1001),
])
def test_element_limit_applies_to_every_format(name: str, data: bytes) -> None:
    with TestClient(create_app(settings=ServeSettings(max_upload_elements=1000)),
                    base_url=BASE) as c:
        assert "exceeds the limit of 1,000" in _refused(_upload(c, name, data))


# -- malformed text --------------------------------------------------------------------------
@pytest.mark.parametrize(("name", "data", "words"), [
    ("deep.toml", b"x = " + b"[" * 50_000 + b"]" * 50_000, "nested too deeply"),
    ("deep.json", b"[" * 50_000 + b"]" * 50_000, "nested too deeply"),
    ("latin.toml", b'name = "caf\xe9"', "not UTF-8"),
    ("bad.geojson", b'{"type": "FeatureCollection", "features": [', "not valid JSON"),
    ("bad.max", b"p max x y\n", "whole numbers"),
])
def test_malformed_uploads(client: TestClient, name: str, data: bytes, words: str) -> None:
    assert words in _refused(_upload(client, name, data))


def test_toml_with_bom_is_accepted(client: TestClient) -> None:
    from chokepoint.data import builtin_path

    r = _upload(client, "bom.toml", b"\xef\xbb\xbf" + builtin_path().read_bytes())
    assert r.status_code == 200, r.text
    client.post("/api/reset")


# -- Host and Origin -------------------------------------------------------------------------
@pytest.mark.parametrize(("value", "host"), [
    ("127.0.0.1:8000", "127.0.0.1"), ("[::1]:8000", "::1"), ("[::1]", "::1"),
    ("localhost", "localhost"), ("[::1]evil.example", None), ("evil.example@127.0.0.1", None),
    ("127.0.0.1:99999", None), ("[::zz]", None), ("", None), ("a b", None),
])
def test_parse_host(value: str, host: str | None) -> None:
    assert parse_host(value) == host


@pytest.mark.parametrize(("value", "host"), [
    ("http://127.0.0.1:8000", "127.0.0.1"), ("null", None), ("file://", None),
    ("http://[::1]evil.example", None), ("javascript:alert(1)", None),
])
def test_parse_origin(value: str, host: str | None) -> None:
    assert parse_origin(value) == host


@pytest.mark.parametrize("path", ["/api/reset", "/api/close"])
def test_origin_null_is_foreign(client: TestClient, path: str) -> None:
    _refused(client.post(path, json={"elements": []}, headers={"origin": "null"}), 403)


def test_bracketed_host_with_trailing_name_is_refused(client: TestClient) -> None:
    _refused(client.get("/api/health", headers={"host": "[::1]evil.example"}), 400)
    assert client.get("/api/health", headers={"host": "[::1]:8000"}).status_code == 200


def test_public_bind_warns_and_needs_a_token() -> None:
    cfg, notes = public_settings(ServeSettings(), "0.0.0.0")
    assert notes
    assert "reachable from other machines" in notes[0]
    assert cfg.token
    assert cfg.token in notes[1]
    with TestClient(create_app(settings=cfg), base_url="http://192.0.2.7:8000") as c:
        assert c.get("/api/health").status_code == 200  # reads: any well-formed host
        assert c.post("/api/close", json={"elements": []}).status_code == 200
        assert "token" in _refused(c.post("/api/reset"), 403)
        csv = b"from,to,capacity\na,b,1\n"
        _refused(_upload(c, "a.csv", csv), 403)
        ok = c.post("/api/reset", headers={"x-chokepoint-token": cfg.token})
        assert ok.status_code == 200
        _refused(c.post("/api/reset", headers={"x-chokepoint-token": "wrong"}), 403)
        # Origin check kept: a foreign page, null, or another host is refused even with
        # the token
        for origin in ("http://evil.example", "null", "http://192.0.2.8:8000"):
            _refused(c.post("/api/reset", headers={"origin": origin,
                                                   "x-chokepoint-token": cfg.token}), 403)
        # the page opened with ?token= sets a same-site cookie that authorises writes
        r = c.get(f"/api/health?token={cfg.token}")
        assert "SameSite=Strict" in r.headers["set-cookie"]
        assert c.post("/api/reset", headers={"origin": "http://192.0.2.7:8000"}
                      ).status_code == 200


def test_public_bind_with_allowed_hosts() -> None:
    cfg, notes = public_settings(ServeSettings(), "0.0.0.0", allow_hosts=("map.lan",))
    assert cfg.token is None
    assert len(notes) == 1
    with TestClient(create_app(settings=cfg), base_url="http://map.lan:8000") as c:
        assert c.post("/api/reset").status_code == 200
        _refused(c.get("/api/health", headers={"host": "evil.example"}), 400)


# -- the analysis pool -----------------------------------------------------------------------
def test_pool_answers_503_when_full_and_504_past_the_limit() -> None:
    import asyncio
    import threading

    from starlette.exceptions import HTTPException

    from chokepoint.serve.pool import AnalysisPool, Busy

    gate = threading.Event()

    async def scenario() -> None:
        pool = AnalysisPool(workers=1, queue=1, timeout_s=0.5)
        first = asyncio.ensure_future(pool.run(gate.wait))  # occupies the worker
        second = asyncio.ensure_future(pool.run(lambda: 7))  # waits in the queue
        await asyncio.sleep(0.05)
        with pytest.raises(Busy) as busy:
            await pool.run(lambda: 8)  # worker busy, queue full
        assert busy.value.status_code == 503
        assert busy.value.headers["Retry-After"] == "1"
        with pytest.raises(HTTPException) as late:
            await second  # still queued at its time limit: cancelled, 504
        assert late.value.status_code == 504
        gate.set()
        with pytest.raises(HTTPException):
            await first
        await asyncio.sleep(0.05)
        assert pool.in_flight == 0  # every slot released
        assert await pool.run(lambda: 9) == 9
        pool.shutdown()

    asyncio.run(scenario())


def test_incremental_closure_equals_a_full_solve() -> None:
    """Closing elements that carry nothing in the intact served optimum skips the LP; the
    answer must equal a full re-solve for every such element of the corridor."""
    from chokepoint.analyses.served import served_demand
    from chokepoint.data import load_builtin
    from chokepoint.workflows.closures import Closure, baseline, close_elements, removed_arcs

    s = load_builtin()
    base = baseline(s)
    assert base.served_arc_load is not None
    idle = [(k, e) for k, e in (("link", x) for x in s.network.links["id"])
            if not (base.served_arc_load[removed_arcs(s, [(k, e)])] > 0).any()]
    assert idle  # the corridor has links without traffic in the intact optimum
    for el in idle[:8]:
        fast = close_elements(s, base, Closure((el,)))
        slow = served_demand(s.network.compiled, s.demands, removed=removed_arcs(s, [el]),
                             fastest=False).total_served
        assert fast["served"]["closed_base"] == pytest.approx(slow, rel=1e-9, abs=1e-6)
    assert base.engine.stats()["solves"] == 0
