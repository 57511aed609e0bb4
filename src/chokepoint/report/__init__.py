"""Reports: an offline, self-contained HTML file, PNG figures, and the tables behind them.

:func:`write_report` is the entry point (``chokepoint report``, ``chokepoint demo --out``).
The SVG map component (:func:`network_svg`) is shared with the web map
(:mod:`chokepoint.serve`). Analyses never import this package.
"""

from chokepoint.report.build import ReportData, build_report_data, render_report, write_report
from chokepoint.report.charts import Series, to_series
from chokepoint.report.svgmap import MapStyle, colour, network_svg

__all__ = [
    "MapStyle",
    "ReportData",
    "Series",
    "build_report_data",
    "colour",
    "network_svg",
    "render_report",
    "to_series",
    "write_report",
]
