"""A chart is laid out once (PNG text metrics) and drawn as SVG and PNG at those positions."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from chokepoint.report.charts import Series


def test_svg_and_png_of_a_laid_out_chart_keep_its_positions(tmp_path: Path) -> None:
    pytest.importorskip("matplotlib", reason="report extra (matplotlib) not installed")
    from PIL import Image

    from chokepoint.report import figures as f

    x = np.arange(10.0)
    fig = f.line_chart([Series("undisrupted", x, x), Series("disrupted", x, x / 2)],
                       title="arrivals", x_label="days", y_label="t",
                       diff=("undisrupted", "disrupted"))
    assert fig.get_layout_engine() is not None
    f.lay_out(fig)
    assert fig.get_layout_engine() is None  # neither file lays it out again
    where = [tuple(ax.get_position().bounds) for ax in fig.axes]
    left = where[0][0]
    assert 0.05 < left < 0.3  # the layout made room for the y label
    svg = f.to_svg(fig, key="a", title="arrivals")
    png = f.to_png(fig, tmp_path / "a.png")
    assert [tuple(ax.get_position().bounds) for ax in fig.axes] == where
    assert all(w in svg for w in ("<text", "undisrupted", "days"))
    pixels = np.asarray(Image.open(png).convert("L"))
    assert pixels.shape == (round(5.2 * f.DPI), round(8.5 * f.DPI))
    x0 = round(left * pixels.shape[1])
    spine = pixels[:, x0 - 2:x0 + 3].min(axis=1)  # the axes' left spine, where it was put
    assert (spine < 128).sum() > 0.3 * pixels.shape[0]


def test_a_map_figure_has_no_layout_engine() -> None:
    pytest.importorskip("matplotlib", reason="report extra (matplotlib) not installed")
    from chokepoint.report import figures as f

    assert f.new_figure(4, 3, layout=None).get_layout_engine() is None
