"""``chokepoint criticality --out``: the ranking's files use the demo's plain column names
(``workflows.files.plain_name``), in every format and in a GeoPackage's extra layers."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from chokepoint.cli import main
from chokepoint.data import load_builtin
from chokepoint.workflows.files import plain_columns
from chokepoint.workflows.ranking import criticality


def _run(argv: list[str]) -> None:
    with pytest.raises(SystemExit) as info:
        main(argv)
    assert info.value.code == 0, argv


def test_corridor_ranking_files_have_plain_names(tmp_path: Path,
                                                 capsys: pytest.CaptureFixture[str]) -> None:
    pyogrio = pytest.importorskip("pyogrio")
    for suffix in ("csv", "gpkg", "geojson"):
        _run(["criticality", "builtin:corridor", "--by", "link", "--measure", "throughput",
              "--out", str(tmp_path / f"r.{suffix}")])
    capsys.readouterr()
    s = load_builtin()
    want = plain_columns(criticality(s, kind="link", measures=["throughput"]))
    csv = pd.read_csv(tmp_path / "r.csv", dtype={"element": str})
    assert list(csv.columns) == list(want.columns)
    assert "throughput_loss_t_per_day" in csv.columns
    assert "throughput_loss" not in csv.columns
    np.testing.assert_allclose(csv["throughput_loss_t_per_day"],
                               want["throughput_loss_t_per_day"])
    assert list(csv["element"]) == list(want["element"])
    for suffix, name in (("gpkg", "criticality"), ("geojson", None)):
        layer = pyogrio.read_dataframe(tmp_path / f"r.{suffix}", layer=name,
                                       read_geometry=False)
        assert list(layer.columns) == list(want.columns), suffix
    links = pyogrio.read_dataframe(tmp_path / "r.gpkg", layer="links", read_geometry=False)
    nodes = pyogrio.read_dataframe(tmp_path / "r.gpkg", layer="nodes", read_geometry=False)
    assert {"from_node", "to_node", "capacity_t_per_day", "citation",
            "throughput_loss_t_per_day"} <= set(links.columns)
    assert not {"from", "to", "source", "capacity", "throughput_loss"} & set(links.columns)
    assert "citation" in nodes.columns
    assert "source" not in nodes.columns
    by_id = links.set_index("id")["throughput_loss_t_per_day"]
    np.testing.assert_allclose(by_id[want["element"]].to_numpy(),
                               want["throughput_loss_t_per_day"].to_numpy())


def test_a_unitless_ranking_has_no_tonnes_in_its_names(tmp_path: Path,
                                                       capsys: pytest.CaptureFixture[str]
                                                       ) -> None:
    f = tmp_path / "links.csv"
    f.write_text("from,to,capacity\na,b,5\nb,c,3\na,c,1\n")
    out = tmp_path / "r.csv"
    _run(["criticality", str(f), "-s", "a", "-t", "c", "--measure", "throughput",
          "--out", str(out), "--json"])
    rows = json.loads(capsys.readouterr().out)["elements"]
    table = pd.read_csv(out, dtype={"element": str})
    assert "throughput_loss" in table.columns
    assert not [c for c in table.columns if "t_per_day" in c]
    assert list(table["throughput_loss"]) == [r["throughput_loss"] for r in rows]
