"""The offline report: SVG map, inline charts, time-series inputs, HTML and PNG files."""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from chokepoint.data import load_builtin
from chokepoint.network import Network
from chokepoint.report import MapStyle, colour, network_svg, to_series, write_report
from chokepoint.report.build import CSP, build_report_data, render_report
from chokepoint.report.charts import to_table
from chokepoint.scenario import Scenario
from chokepoint.workflows.brief import brief

PNG_MAGIC = b"\x89PNG\r\n\x1a\n"
#: Any URL a browser would fetch: http(s), protocol-relative, or a src/href attribute that is
#: not a reference inside the page (``#id``).
FETCH = re.compile(r"""(?:src|href)\s*=\s*(?!["']?#)|url\(\s*['"]?(?!#)|@import|https?://(?!www\.w3\.org/2000/svg)""")


@pytest.fixture(scope="module")
def corridor() -> Scenario:
    return load_builtin()


@pytest.fixture(scope="module")
def ranking(corridor: Scenario) -> pd.DataFrame:
    from chokepoint.workflows.ranking import criticality

    return criticality(corridor, kind="link")


def _arrivals() -> pd.DataFrame:
    t = np.arange(0.0, 30.0)
    return pd.DataFrame({"days": t, "undisrupted": np.minimum(40 * t, 1000),
                         "disrupted": np.minimum(25 * np.maximum(t - 4, 0), 1000),
                         "earliest-arrival bound": np.minimum(60 * t, 1000)})


# -- map -------------------------------------------------------------------------------------

def test_colour_ramp_ends_and_missing() -> None:
    assert colour(0.0) == "#ffffb2"
    assert colour(1.0) == "#bd0026"
    assert colour(7.0) == "#bd0026"  # clipped
    assert colour(float("nan")) == colour(None) == "#9e9e9e"


def test_svg_map_draws_every_element_with_ids_and_tooltips(corridor: Scenario) -> None:
    net = corridor.network
    svg = network_svg(net, MapStyle(values={"severomuysky_tunnel": 0.9}, cut=["dunai"],
                                    disrupted=["devils_bridge"]))
    assert svg.startswith("<svg")
    assert svg.rstrip().endswith("</svg>")
    for lid in net.links["id"]:
        assert f'data-id="{lid}" data-kind="link"' in svg
    for nid in net.nodes["id"]:
        assert f'data-id="{nid}" data-kind="node"' in svg
    # the basemap: coast, lakes, borders, rivers and place names under the network
    for layer in ("land", "lake", "border", "river"):
        assert f'<path class="{layer}" d="M' in svg, layer
    assert ">Irkutsk</text>" in svg
    # dense clusters (the Far-East ports, the Severomuysky section) get insets that repeat
    # their elements at a larger scale
    assert 'data-frame="1"' in svg
    assert svg.count('data-id="severomuysky_tunnel" data-kind="link"') >= 2
    # links follow their track: the Trans-Siberian between Tayshet and Irkutsk is no chord
    m = re.search(r'data-id="tayshet_irkutsk" data-kind="link".*?class="stroke" d="M([^"]*)"',
                  svg, re.S)
    assert m
    assert m.group(1).count(",") > 20
    # the min cut and disruptions are marked
    assert re.search(r'class="node cut[^"]*" data-id="dunai"', svg)
    assert re.search(r'class="link disrupted[^"]*" data-id="devils_bridge"', svg)
    assert f'stroke="{colour(0.9)}"' in svg
    assert "<title>Dunai (Dunay) naval port (dunai)" in svg
    # no inline style attributes (renders under a strict CSP) and nothing to fetch
    assert not re.search(r"\sstyle=", svg)
    assert not FETCH.search(svg)


def test_svg_map_without_coordinates_is_schematic(tiny_network: Callable[..., Network]) -> None:
    net = tiny_network([("a", "s", "m", 5), ("b", "m", "t", 3)])
    svg = network_svg(net)
    assert svg.startswith("<svg")
    assert 'class="network-map schematic"' in svg
    assert svg.count('data-kind="link"') == 2  # drawn on a schematic layout, with a note
    assert svg.count('data-kind="node"') == 3
    assert "Schematic layout: the network has no coordinates" in svg
    assert '<path class="land"' not in svg


def test_svg_map_projection_keeps_order(corridor: Scenario) -> None:
    """West is left, north is up (Web Mercator)."""
    svg = network_svg(corridor.network)

    def centre(nid: str) -> tuple[float, float]:
        m = re.search(rf'data-id="{nid}" data-kind="node".*?<circle cx="([\d.]+)" '
                      r'cy="([\d.]+)"', svg, re.S)
        assert m, nid
        return float(m.group(1)), float(m.group(2))

    tikh, vanino, rajin = centre("tikhoretsk"), centre("vanino"), centre("rajin")
    assert tikh[0] < rajin[0] < vanino[0]
    assert vanino[1] < rajin[1]  # Vanino (49°N) above Rajin (42°N)


# -- charts and series -----------------------------------------------------------------------

def test_to_series_accepts_frames_series_and_mappings() -> None:
    frame = _arrivals()
    s = to_series(frame)
    assert [x.name for x in s] == ["undisrupted", "disrupted", "earliest-arrival bound"]
    np.testing.assert_array_equal(s[0].x, frame["days"].to_numpy())
    ser = pd.Series([1.0, 2.0], index=[0.0, 1.0], name="backlog")
    assert to_series(ser)[0].name == "backlog"
    dates = pd.date_range("2023-11-29", periods=3, freq="D")
    m = to_series({"a": pd.Series([1.0, 2.0, 3.0], index=dates), "b": ([0, 1], [5, 6])})
    assert m[0].is_datetime
    assert not m[1].is_datetime
    assert to_series(None) == []
    with pytest.raises(TypeError):
        to_series(42)
    assert list(to_table(s).columns) == ["series", "x", "y"]


def test_charts_are_drawn_once_as_inline_svg_with_units_and_events() -> None:
    pytest.importorskip("matplotlib", reason="report extra (matplotlib) not installed")
    from chokepoint.report.figures import Event, bar_chart, line_chart, to_svg

    s = to_series(_arrivals())
    fig = line_chart(s, title="Arrivals", x_label="days", y_label="containers",
                     dashed=["earliest-arrival bound"], events=[Event(4.0, "tunnel blast")],
                     diff=("undisrupted", "disrupted"))
    assert len(fig.axes) == 2  # the difference panel under the curves
    svg = to_svg(fig, key="arrivals", title="Arrivals")
    assert svg.startswith("<svg")
    assert 'class="chart"' in svg
    for text in ("containers", "days", "tunnel blast", "undisrupted", "disrupted − undisrupted"):
        assert text in svg, text  # text stays text; units on the axes; the event marked
    long = "Trans-Sib, Irkutsk - Ulan-Ude (Baikal shore), a rather long element name"
    bars = to_svg(bar_chart([long, "b"], [2.0, float("nan")], title="Bars",
                            x_label="TEU/day", rest=[1.0, 0.5], value_label="served",
                            rest_label="unmet"), key="bars")
    assert "Baikal shore)," in bars  # wrapped, never cut
    assert "…" not in bars
    assert "TEU/day" in bars
    assert not FETCH.search(svg + bars)


# -- the report ------------------------------------------------------------------------------

def test_report_is_self_contained_with_optional_charts(corridor: Scenario,
                                                       ranking: pd.DataFrame,
                                                       tmp_path: Path) -> None:
    pytest.importorskip("matplotlib", reason="report extra (matplotlib) not installed")
    written = write_report(corridor, tmp_path, ranking=ranking, arrivals=_arrivals(),
                           backlog=pd.Series([5.0, 3.0, 0.0], index=[0.0, 5.0, 9.0],
                                             name="backlog at Dunai"),
                           generated="2026-11-27")
    names = {p.relative_to(tmp_path).as_posix() for p in written}
    assert {"report.html", "figures/map_utilisation.png", "figures/map_criticality.png",
            "figures/arrivals.png", "figures/backlog.png", "figures/ranking.png",
            "figures/served.png", "tables/links.csv", "tables/ranking.csv",
            "tables/arrivals.csv", "tables/backlog.csv", "tables/demands.csv"} <= names
    for p in written:
        if p.suffix == ".png":
            assert p.read_bytes()[:8] == PNG_MAGIC
    text = (tmp_path / "report.html").read_text(encoding="utf-8")
    assert CSP in text
    body = text.split("<body>", 1)[1]
    assert not FETCH.search(body), FETCH.search(body)
    for heading in ("Cumulative arrivals", "Backlog over time", "Criticality ranking",
                    "Map: criticality", "Minimum cut (intact)", "Disruptions"):
        assert heading in text
    assert text.count('class="network-map"') == 2
    assert "Generated by chokepoint on 2026-11-27" in text
    arr = pd.read_csv(tmp_path / "tables" / "arrivals.csv")
    assert set(arr["series"]) == {"undisrupted", "disrupted", "earliest-arrival bound"}
    # every column names its unit (here: days, and the quantity delivered)
    assert list(arr.columns)[1] == "days"
    assert list(arr.columns)[2].endswith(" delivered")
    assert "x" not in arr.columns


def test_report_omits_charts_without_data(corridor: Scenario, tmp_path: Path) -> None:
    b = brief(corridor)
    written = write_report(b, tmp_path, scenario=corridor, png=False, ranking=False)
    assert [p.name for p in written] == ["report.html", "links.csv", "demands.csv"]
    text = written[0].read_text(encoding="utf-8")
    assert "Cumulative arrivals" not in text
    assert "Backlog" not in text
    assert "Map: criticality" not in text
    assert "Served and unmet demand per flow" in text  # always there with demands


def test_report_from_brief_needs_the_scenario(corridor: Scenario, tmp_path: Path) -> None:
    with pytest.raises(TypeError, match="scenario="):
        write_report(brief(corridor), tmp_path)


def test_bound_column_in_arrivals_is_drawn_dashed(corridor: Scenario) -> None:
    d = build_report_data(corridor, arrivals=_arrivals())
    assert [s.name for s in d.earliest] == ["earliest-arrival bound"]
    assert [s.name for s in d.arrivals] == ["undisrupted", "disrupted"]


def test_report_for_a_bare_network(tiny_network: Callable[..., Network],
                                   tmp_path: Path) -> None:
    pytest.importorskip("matplotlib", reason="report extra (matplotlib) not installed")
    nodes = [{"id": "s", "lon": 10.0, "lat": 50.0}, {"id": "m", "lon": 12.0, "lat": 51.0},
             {"id": "t", "lon": 14.0, "lat": 50.5}]
    net = tiny_network([("a", "s", "m", 5), ("b", "m", "t", 3)], nodes)
    s = Scenario(network=net, name="bare", sources=["s"], sinks=["t"])
    written = write_report(s, tmp_path, ranking=True)
    text = written[0].read_text(encoding="utf-8")
    assert "Maximum throughput" in text
    assert (tmp_path / "figures" / "ranking.png").exists()
    d = build_report_data(s)
    assert d.utilisation() == pytest.approx({"a": 3 / 5, "b": 1.0})
    assert "<svg" in render_report(d)


def test_report_with_campaign_and_flow_bound(corridor: Scenario, tmp_path: Path) -> None:
    """A campaign simulation and an earliest-arrival curve, passed as they come."""
    pytest.importorskip("simpy", reason="the simulation extra (simpy) is not installed")
    from chokepoint.analyses.dynamic import earliest_arrival_curve
    from chokepoint.simulate import simulate

    result = simulate(corridor, seed=0)
    curve = earliest_arrival_curve(corridor.network.compiled, ["rajin"], ["tikhoretsk_depot"],
                                   horizon_h=24 * 60, method="repeated")
    d = build_report_data(corridor, ranking=False, campaign=result, earliest_arrival=curve)
    assert [s.name for s in d.arrivals] == ["undisrupted", "disrupted"]
    assert d.arrivals[0].y[-1] == result.baseline.delivered
    assert d.backlog  # yard queues at the ports
    assert d.x_label.startswith("days since 2023-")
    assert d.quantity_unit == "containers"
    per = corridor.units.quantity_factor("container")
    np.testing.assert_allclose(d.earliest[0].y, np.asarray(curve.cumulative) / per)
    written = write_report(corridor, tmp_path, ranking=False, campaign=result,
                           earliest_arrival=curve, png=False)
    text = written[0].read_text(encoding="utf-8")
    assert "Cumulative arrivals" in text
    assert "Backlog over time" in text
    assert "earliest-arrival bound" in text


def test_group_ranking_colours_links(corridor: Scenario) -> None:
    from chokepoint.workflows.ranking import criticality

    table = criticality(corridor, kind="group", measures=("throughput",))
    d = build_report_data(corridor, ranking=table)
    values, label = d.criticality()
    assert label.endswith("by failure group")
    assert set(values) <= set(corridor.network.links["id"])
    assert max(values.values()) == pytest.approx(1.0)


def test_campaign_true_simulates_or_says_why(corridor: Scenario,
                                            tiny_network: Callable[..., Network]) -> None:
    pytest.importorskip("simpy", reason="the simulation extra (simpy) is not installed")
    d = build_report_data(corridor, ranking=False, campaign=True, seed=1)
    assert [s.name for s in d.arrivals] == ["undisrupted", "disrupted"]
    assert [s.name for s in d.earliest] == ["earliest-arrival bound"]
    # the bound is a bound: at every simulated delivery, the bound is at least as far along
    sim = d.arrivals[0]
    bound = np.interp(sim.x, d.earliest[0].x, d.earliest[0].y)
    assert np.all(bound >= sim.y - 1e-3)  # capacities are scaled to integers: 1e-5 slack
    bare = Scenario(network=tiny_network([("a", "s", "t", 1)]), sources=["s"], sinks=["t"])
    nd = build_report_data(bare, campaign=True)
    assert nd.notes == ["No campaign simulated: the scenario has no [[commodities]]."]
    assert "no [[commodities]]" in render_report(nd)


def test_report_of_own_csv_network_with_terminals(tmp_path: Path,
                                                 capsys: pytest.CaptureFixture[str]) -> None:
    """`report --source/--sink` on the own-network how-to's CSV: a throughput section, a
    schematic map saying why, no empty chart boxes and no "rank (inverted)"."""
    pytest.importorskip("matplotlib", reason="report extra (matplotlib) not installed")
    from chokepoint.cli import main

    csv = tmp_path / "links.csv"
    csv.write_text("id,from,to,capacity,time,length_km,group,direction,track\n"
                   "a,port,junction,40,6,300,,both,double\n"
                   "b,junction,depot,25,10,500,tunnel,both,single\n"
                   "c,junction,depot,10,16,800,,both,double\n", encoding="utf-8")
    with pytest.raises(SystemExit) as info:
        main(["report", str(csv), "--out", str(tmp_path / "r"), "--source", "port",
              "--sink", "depot"])
    assert info.value.code == 0, capsys.readouterr().err
    text = (tmp_path / "r" / "report.html").read_text(encoding="utf-8")
    assert "Maximum throughput (port → depot)" in text
    assert "Schematic layout: the network has no coordinates" in text
    assert text.count('class="network-map schematic"') == 2
    assert "rank (inverted)" not in text
    assert (tmp_path / "r" / "figures" / "map_utilisation.png").stat().st_size > 10_000
    with pytest.raises(SystemExit) as info:
        main(["report", str(csv), "--out", str(tmp_path / "x"), "--source", "nowhere",
              "--sink", "depot"])
    assert info.value.code == 2
    assert "nowhere" in capsys.readouterr().err
    assert not (tmp_path / "x").exists()
