"""The command line: outputs, JSON shapes, exit codes and one-line errors."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from chokepoint.cli import main
from chokepoint.data import load_builtin
from chokepoint.io.write import atomic_path, write_text


def run(argv: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    with pytest.raises(SystemExit) as info:
        main(argv)
    out = capsys.readouterr()
    code = info.value.code
    return (code if isinstance(code, int) else 1), out.out, out.err


def test_demo_writes_every_output(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                  monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("COLUMNS", "80")
    code, out, _ = run(["demo", "--out", str(tmp_path / "d")], capsys)
    assert code == 0
    # an 80-column terminal: no line longer, ids and figures never split
    assert max(len(line) for line in out.splitlines()) <= 80
    for word in ("dprk_munitions", "bg_export_vladivostok", "izvestkovaya_volochaevka",
                 "tikhoretsk_depot", "125.0 TEU/day", "TEU/day", "Mt/yr"):
        assert word in out, word
    # one shipment everywhere: the munitions by sea Rajin -> Dunai -> depot, 125 TEU/day
    flat = " ".join(out.split())
    assert "Maximum throughput of dprk_munitions: Rajin" in flat
    assert "Fastest route dprk_munitions: rajin → dunai → tikhoretsk_depot" in flat
    assert "via Rajin → Dunai → Smolyaninovo" in flat
    assert "for the shipment (dprk_munitions: Rajin" in flat
    assert "cuts the throughput from 125 to 0 TEU/day" in flat
    # the corridor's rows say whose throughput, and give the shipment's route its own sentence
    assert "cuts the corridor's throughput from 191 to 36 Mt/yr (-81%). For the shipment, " \
        "the fastest route" in flat
    assert "dprk_munitions capacity lost: the maximum throughput of dprk_munitions" in flat
    # the same stops in words as in ids; each k answer says its budget; the campaign's
    # container count is explained by its release window
    assert "Maximum throughput of dprk_munitions: Rajin (Najin) port, Rason → Dunai" in flat
    assert "k=2: (at most 2 groups of total attack cost ≤ 2)" in flat
    assert "containers ready at Rajin (Najin) port, Rason from 2023-09-07 to" in flat
    page = (tmp_path / "d" / "summary.html").read_text(encoding="utf-8")
    assert "shadow price (t/day served, priority-weighted, per t/day of capacity)" in page
    names = {p.name for p in (tmp_path / "d").iterdir()}
    assert {"summary.json", "links.csv", "demands.csv", "links.geojson", "nodes.geojson",
            "summary.html", "criticality.csv"} <= names
    assert not [n for n in names if ".part" in n]          # no temporary files left behind
    data = json.loads((tmp_path / "d" / "summary.json").read_text())
    assert data["max_flow"]["value"] > 0
    assert data["shipment"]["label"] == "dprk_munitions: rajin → dunai → tikhoretsk_depot"
    assert data["max_flow"]["sources"] == ["rajin"]
    assert data["max_flow"]["display_value"] == pytest.approx(125.0, abs=1e-3)
    assert [c["id"] for c in data["max_flow"]["cut"]] == ["sea_rajin_dunai"]
    assert data["worst_failures"][0]["failures"][0]["before"] == pytest.approx(125.0, abs=0.01)
    ship = next(f for f in data["findings"] if f["key"] == "shipment")
    assert ship["figures"]["capacity_intact"] == pytest.approx(125.0, abs=1e-3)
    route = data["routes"][0]
    assert route["commodity"] == "dprk_munitions"
    assert "rajin_khasan" not in route["links"]
    assert "rajin_khasan" in route["what_if_free"]["links"]      # the rail what-if, named
    top = {r["element"]: r for r in data["criticality"]}
    assert all(r["throughput_loss_TEU_per_day"] in (0.0, pytest.approx(125.0, abs=0.01))
               for r in top.values())
    assert data["served"]["total_unmet"] > 0               # the corridor is overloaded
    assert [f["k"] for f in data["worst_failures"][0]["failures"]] == [1, 2, 3]
    assert "Worst simultaneous failures" in out
    head = out.split("What this means", 1)[1].split("\n\n", 1)[0]   # the findings come first
    assert out.index("What this means") < out.index("Maximum throughput")
    flat = " ".join(head.split())
    assert "is not affected" in flat
    assert "Worst case (all disruptions at once" in flat
    assert max(len(line) for line in head.splitlines()) <= 80     # wrapped, never truncated
    assert "…" not in out.split("Worst simultaneous failures", 1)[1]
    assert data["findings"]
    header = (tmp_path / "d" / "links.csv").read_text().splitlines()[0].split(",")
    assert {"from_node", "to_node", "capacity_t_per_day",
            "capacity_TEU_per_day"} <= set(header)
    assert not {"from", "to", "source", "capacity_TEU/day"} & set(header)
    crit = (tmp_path / "d" / "criticality.csv").read_text().splitlines()[0].split(",")
    assert "served_loss_Mt_per_yr" in crit
    assert "from" not in crit
    assert data["disruption_cost"]["loss_t"] > 0
    gj = json.loads((tmp_path / "d" / "links.geojson").read_text())
    assert gj["type"] == "FeatureCollection"
    assert gj["features"]
    pyogrio = pytest.importorskip("pyogrio")
    gpkg = tmp_path / "d" / "criticality.gpkg"
    glinks = pyogrio.read_dataframe(gpkg, layer="links", read_geometry=False)
    gnodes = pyogrio.read_dataframe(gpkg, layer="nodes", read_geometry=False)
    assert set(glinks.columns) >= {"from_node", "to_node", "capacity_t_per_day", "citation"}
    assert not {"from", "to", "source", "capacity"} & set(glinks.columns)  # as links.csv
    assert "citation" in gnodes.columns
    assert "source" not in gnodes.columns


def test_demo_json_is_clean_json(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(["demo", "--json"], capsys)
    assert code == 0
    data = json.loads(out)                                 # nothing else on stdout
    flow = data["max_flow"]
    assert flow["value"] > 0
    assert flow["cut"]
    assert set(flow["in_report_units"]) == {"TEU/day", "trains/day"}


def test_flow_json_on_dimacs(shared_dir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    f = shared_dir / "data/raw/flow_benchmarks/dimacs/gw1.max"
    code, out, _ = run(["flow", str(f), "--json"], capsys)
    assert code == 0
    data = json.loads(out)
    assert data["value"] == 1202018
    assert data["unit"] == "unit"
    assert data["cut"]


def test_flow_on_builtin_names_the_cut(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(["flow", "builtin:corridor", "--json"], capsys)
    data = json.loads(out)
    assert code == 0
    # the shipment: dprk_munitions along its route rules, by sea to Dunai (the sea leg binds)
    assert data["commodity"] == "dprk_munitions"
    assert data["cut"] == ["sea_rajin_dunai"]
    assert data["in_report_units"]["TEU/day"] == pytest.approx(125, rel=1e-6)
    # explicit terminals ask about the whole network: Dunai's handling binds
    code, out, _ = run(["flow", "builtin:corridor", "--json", "-s", "dunai", "-t",
                        "tikhoretsk_depot"], capsys)
    data = json.loads(out)
    assert data["cut_nodes"] == ["dunai"]
    assert data["in_report_units"]["TEU/day"] == pytest.approx(150, rel=1e-6)


def test_route_and_validate(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(["route", "builtin:corridor", "--source", "dunai", "--sink",
                        "tikhoretsk_depot", "--json"], capsys)
    data = json.loads(out)
    assert code == 0
    assert data["found"]
    assert data["nodes"][0] == "dunai"
    code, out, _ = run(["validate", "builtin:corridor"], capsys)
    assert code == 0
    assert "valid" in out


def test_criticality_outputs(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    import pyogrio

    target = tmp_path / "crit.gpkg"
    code, out, _ = run(["criticality", "builtin:corridor", "--by", "group", "--json",
                        "--out", str(target), "--top", "0"], capsys)
    assert code == 0
    rows = json.loads(out)["elements"]
    assert rows[0]["rank"] == 1
    n_groups = len(load_builtin().network.groups())
    assert len(rows) == n_groups
    layers = {str(x[0]) for x in pyogrio.list_layers(target)}
    assert layers == {"criticality", "links", "nodes"}
    df = pyogrio.read_dataframe(target, layer="criticality")
    assert len(df) == n_groups
    assert df.crs.to_epsg() == 4326


def test_interdict_pyomo_instance(shared_dir: Path, tmp_path: Path,
                                  capsys: pytest.CaptureFixture[str]) -> None:
    import pandas as pd

    arcs = pd.read_csv(shared_dir / "data/raw/flow_benchmarks/pyomo_interdiction/max_flow/"
                       "sample_arcs_data.csv")
    csv = tmp_path / "links.csv"
    pd.DataFrame({"from": arcs["StartNode"], "to": arcs["EndNode"],
                  "capacity": arcs["Capacity"]}).to_csv(csv, index=False)
    for k, want in ((0, 80), (1, 10), (2, 0)):
        code, out, _ = run(["interdict", str(csv), "--k", str(k), "-s", "Start", "-t", "End",
                            "--json"], capsys)
        data = json.loads(out)
        assert code == 0
        assert data["value"] == want
        assert data["status"] == "optimal"


def test_harden_json(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(["harden", "builtin:corridor", "--protect", "1", "--k", "1", "-s",
                        "tayshet", "-t", "vanino", "-t", "nakhodka", "--json"], capsys)
    data = json.loads(out)
    assert code == 0
    assert data["status"] == "optimal"
    assert data["value"] >= data["value_unprotected"]



def test_time_interdiction_follows_the_shipments_route_rules(
        capsys: pytest.CaptureFixture[str]) -> None:
    """Without terminals, `interdict --objective time` asks about the munitions along their
    reported route (by sea to Dunai), not the Khasan rail path their rules forbid."""
    from chokepoint.workflows.shipment import shipment, shipment_route

    code, out, err = run(["interdict", "builtin:corridor", "--k", "1", "--objective", "time",
                          "--json"], capsys)
    assert code == 0, err
    data = json.loads(out)
    s = load_builtin()
    sh = shipment(s)
    assert data["label"] == sh.label
    assert "dunai" in data["label"]
    assert data["intact"] == pytest.approx(shipment_route(s, sh).time_h)
    assert "rajin_khasan" not in data["removed"]

@pytest.mark.parametrize(("argv", "needle"), [
    (["validate", "no/such/file.toml"], "no such file"),
    (["flow", "builtin:corridor", "--sink", "nowhere"], "unknown node id 'nowhere'"),
    (["flow", "builtin:nothing"], "no built-in scenario"),
    (["criticality", "builtin:corridor", "--by", "edge"], "--by must be"),
    (["interdict", "builtin:corridor", "--k", "1", "--objective", "time", "-s", "dunai",
      "-s", "rajin", "-t", "tikhoretsk_depot"], "exactly one --source"),
])
def test_errors_are_one_line_exit_2(argv: list[str], needle: str,
                                    capsys: pytest.CaptureFixture[str]) -> None:
    code, _out, err = run(argv, capsys)
    assert code == 2
    assert needle in err
    assert "Traceback" not in err
    assert len(err.strip().splitlines()) == 1


def test_bad_scenario_names_file_and_element(tmp_path: Path,
                                             capsys: pytest.CaptureFixture[str]) -> None:
    bad = tmp_path / "bad.toml"
    bad.write_text('version = 1\n[[links]]\nid = "x"\nfrom = "a"\nto = "b"\ncapacity = -3\n'
                   'unit = "t/day"\n')
    code, _, err = run(["validate", str(bad)], capsys)
    assert code == 2
    assert "bad.toml" in err
    assert "link 'x'" in err


def test_usage_error_exit_2(capsys: pytest.CaptureFixture[str]) -> None:
    code, _, _ = run(["flow"], capsys)
    assert code == 2


def test_console_script_runs() -> None:
    proc = subprocess.run([sys.executable, "-m", "chokepoint.cli", "validate", "nope.toml"],
                          capture_output=True, text=True, check=False)
    assert proc.returncode == 2
    assert "no such file" in proc.stderr
    assert "Traceback" not in proc.stderr


def test_atomic_write_leaves_nothing_on_failure(tmp_path: Path) -> None:
    target = tmp_path / "out.csv"
    write_text(target, "old\n")
    def interrupted_write() -> None:
        with atomic_path(target) as tmp:
            tmp.write_text("half a fi")
            raise RuntimeError("interrupted")

    with pytest.raises(RuntimeError):
        interrupted_write()
    assert target.read_text() == "old\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out.csv"]


def test_import_osm_then_analyse(shared_dir: Path, tmp_path: Path,
                                 capsys: pytest.CaptureFixture[str]) -> None:
    import pyogrio

    pbf = shared_dir / "data/raw/osm_pbf_fixtures/Helsinki.osm.pbf"
    target = tmp_path / "helsinki.gpkg"
    code, out, _ = run(["import", str(pbf), "--kind", "osm", "--out", str(target), "--json"],
                       capsys)
    assert code == 0
    data = json.loads(out)
    assert data["network"]["links"] > 100
    assert {"links", "nodes", "issues"} <= {str(x[0]) for x in pyogrio.list_layers(target)}
    code, out, _ = run(["validate", str(target), "--json"], capsys)
    assert code == 0
    assert json.loads(out)["links"] == data["network"]["links"]


def test_import_rejects_bad_bbox(capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = run(["import", "-", "--kind", "world-rail", "--bbox", "1,2,3"], capsys)
    assert code == 2
    assert "--bbox" in err


def test_report_follows_the_chosen_commodity_or_terminals(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    pytest.importorskip("matplotlib", reason="report extra (matplotlib) not installed")
    base = ["report", "builtin:corridor", "--no-campaign", "--ranking", "none", "--no-png"]
    code, _, err = run([*base, "--commodity", "nope", "--out", str(tmp_path / "x")], capsys)
    assert code != 0
    assert "unknown --commodity 'nope'" in err
    assert "dprk_munitions" in err  # the known ones
    code, _, err = run([*base, "--commodity", "dprk_munitions", "--source", "dunai", "--out",
                        str(tmp_path / "x")], capsys)
    assert code != 0
    assert "--commodity or --source/--sink" in err
    assert not (tmp_path / "x").exists()  # nothing half-written
    code, _, _ = run([*base, "--commodity", "dprk_munitions", "--out", str(tmp_path / "c")],
                     capsys)
    assert code == 0
    html = " ".join((tmp_path / "c" / "report.html").read_text(encoding="utf-8").split())
    assert "dprk_munitions: rajin → dunai → tikhoretsk_depot, along its route" in html
    assert "125.0 TEU/day" in html  # along its route rules (by sea to Dunai)
    code, _, _ = run([*base, "-s", "dunai", "-t", "tikhoretsk_depot", "--out",
                      str(tmp_path / "t")], capsys)
    assert code == 0
    html = " ".join((tmp_path / "t" / "report.html").read_text(encoding="utf-8").split())
    assert "150.0 TEU/day" in html  # Dunai → depot on the whole network
    assert "along its route" not in html


def test_serve_refuses_an_unknown_commodity(capsys: pytest.CaptureFixture[str]) -> None:
    pytest.importorskip("fastapi", reason="the web extra is not installed")
    code, _, err = run(["serve", "--commodity", "bogus", "--port", "1"], capsys)
    assert code != 0
    assert "unknown --commodity 'bogus' (have: dprk_munitions)" in err
    from chokepoint.workflows.shipment import with_commodity

    s = load_builtin()
    assert with_commodity(s, None) is s
    assert with_commodity(s, "dprk_munitions").simulation["commodity"] == "dprk_munitions"
