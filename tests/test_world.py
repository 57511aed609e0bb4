"""World rail and sea networks, ports, stitching and added links."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from chokepoint.errors import InputError
from chokepoint.io.world import (
    add_links,
    read_ports,
    read_sea_network,
    read_world_railways,
    stitch_ports,
    world_railways,
)

PRIMORYE = (127.0, 40.0, 140.0, 50.0)  # Vladivostok, Nakhodka, Najin


@pytest.fixture(scope="module")
def sea() -> object:
    pytest.importorskip("searoute")
    return read_sea_network()


@pytest.fixture(scope="module")
def rail_primorye() -> object:
    pytest.importorskip("scgraph_data")
    return read_world_railways(bbox=PRIMORYE)


def test_world_railways_bbox(rail_primorye: tuple) -> None:
    net, rep = rail_primorye
    assert net.n_links > 100
    assert net.links["id"].str.startswith("rail:").all()
    lon, lat = net.nodes["lon"].to_numpy(), net.nodes["lat"].to_numpy()
    assert (lon >= PRIMORYE[0]).all()
    assert (lat <= PRIMORYE[3]).all()
    assert set(net.links["mode"]) == {"rail"}
    # no attributes in the source: every link is a rail default, and is reported as such
    assert rep.counts["fallback_links"] == net.n_links
    assert rep.component_sizes[0] > 0.5 * net.n_nodes
    assert net.units.base == "t/day"


def test_world_railways_same_from_csv_folder(shared_dir: Path, rail_primorye: tuple) -> None:
    folder = shared_dir / "data" / "raw" / "scgraph_world_railways"
    if not folder.is_dir():
        pytest.skip("scgraph_world_railways not in shared data")
    net = world_railways(source=folder, bbox=PRIMORYE)
    ref = rail_primorye[0]
    assert net.n_links == ref.n_links
    assert net.n_nodes == ref.n_nodes
    assert net.links["length_km"].sum() == pytest.approx(ref.links["length_km"].sum())


def test_world_railways_errors(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="no such"):
        world_railways(source=tmp_path / "nope")
    with pytest.raises(InputError, match="no world_railways_nodes"):
        world_railways(source=tmp_path)


def test_sea_network_passages(sea: tuple) -> None:
    net, rep = sea
    assert rep.n_components == 1
    groups = set(net.links["group"])
    for p in ("suez", "panama", "malacca", "bosporus", "gibraltar"):
        assert f"passage:{p}" in groups
    assert np.isinf(net.links["capacity"]).all()
    assert net.nodes["lon"].between(-180, 180).all()
    assert net.links["id"].str.startswith("sea:").all()


def test_ports_stitching_and_added_links(sea: tuple, rail_primorye: tuple,
                                         shared_dir: Path) -> None:
    wpi = shared_dir / "data" / "raw" / "nga_world_port_index" / "UpdatedPub150.csv"
    if not wpi.exists():
        pytest.skip("WPI not in shared data")
    ports = read_ports(wpi, bbox=PRIMORYE)
    vvo = ports.set_index("name").loc["Vladivostok"]
    assert vvo["locode"] == "RUVVO"
    assert vvo["handling_capacity"] == 150_000.0
    net, rep = stitch_ports(ports, rail=rail_primorye[0], sea=sea[0])
    t = net.links[net.links["mode"] == "transfer"].set_index("id")
    assert "port:wpi60610>rail" in t.index
    assert "port:wpi60610>sea" in t.index
    assert t.loc["port:wpi60610>rail", "length_km"] < 25
    assert t.loc["port:wpi60610>rail", "group"] == t.loc["port:wpi60610>sea", "group"]
    assert rep.counts["ports_linked_sea"] == len(ports)
    assert net.nodes.set_index("id").loc["port:wpi60610", "kind"] == "port"
    # a branch line the dataset lacks, from the nearest rail node to a new terminal
    start = net.nodes[net.nodes["id"].str.startswith("rail:")].iloc[0]
    added = add_links(net, [{"id": "spur", "from_lon": start["lon"] + 0.001,
                             "from_lat": start["lat"], "to_lon": 150.0, "to_lat": 45.0,
                             "to_id": "terminal", "to_name": "New terminal",
                             "usage": "branch"}], snap_km=1)
    lk = added.links.set_index("id").loc["spur"]
    assert lk["from"] == start["id"]
    assert lk["to"] == "terminal"
    assert lk["capacity"] == 30_000.0
    assert lk["track"] == "single"
    assert added.n_nodes == net.n_nodes + 1


def test_read_ports_default_and_errors(tmp_path: Path) -> None:
    pytest.importorskip("searoute")
    ports = read_ports()
    assert len(ports) > 3000
    assert {"id", "name", "lon", "lat"} <= set(ports.columns)
    bad = tmp_path / "p.csv"
    pd.DataFrame({"x": [1]}).to_csv(bad, index=False)
    with pytest.raises(InputError, match="lon/lat"):
        read_ports(bad)
    with pytest.raises(InputError, match="no ports"):
        stitch_ports(ports.iloc[:0])


def test_stitch_reports_unreachable_ports(sea: tuple) -> None:
    ports = pd.DataFrame({"id": ["inland"], "name": ["Inland"], "lon": [100.0], "lat": [50.0]})
    alone, rep = stitch_ports(ports, sea=sea[0], max_sea_km=1)
    assert not alone.nodes["id"].str.startswith("port:").any()
    assert rep.issues[-1]["problem"] == "port reaches neither network"
    net, rep = stitch_ports(pd.concat([ports, pd.DataFrame(
        {"id": ["p2"], "name": ["P2"], "lon": [32.55], "lat": [29.95]})]), sea=sea[0])
    assert "port:inland" not in set(net.nodes["id"])
    assert any(i["feature"] == "inland" for i in rep.issues)
