"""Reading networks and scenarios from files, and writing results.

:func:`load` reads any supported input into a :class:`~chokepoint.scenario.Scenario`:

========================  =====================================================
suffix                    reader
========================  =====================================================
``.toml``                 scenario file (:mod:`chokepoint.io.scenario_file`)
``.csv``                  link list ``from,to,capacity[,time,length_km,id,group]``
``.max`` / ``.min``       DIMACS max-flow / min-cost-flow instance
``.geojson .gpkg .shp``   link layer with ``from``/``to`` columns (``[geo]`` extra)
``.parquet``              GeoParquet link layer (``[geo]`` extra)
========================  =====================================================
"""

from __future__ import annotations

from pathlib import Path

from chokepoint.errors import InputError
from chokepoint.scenario import Scenario

__all__ = ["load"]

_GIS = {".geojson", ".json", ".gpkg", ".shp", ".parquet", ".geoparquet"}


def load(path: str | Path, *, cache: bool = True) -> Scenario:
    """Load a scenario, network file, CSV link list or DIMACS instance.

    Parameters
    ----------
    path
        The file; its suffix picks the reader.
    cache
        Let a reader that supports it (DIMACS) use the disk cache of parsed files
        (:mod:`chokepoint.io.cache`; ``$CHOKEPOINT_CACHE=off`` switches it off too).

    Raises
    ------
    InputError
        If the file is missing, of an unknown kind, or invalid (the message names the file,
        the element and what is wrong).
    """
    p = Path(path)
    if not p.exists():
        raise InputError("no such file", source=p)
    if p.is_dir():
        raise InputError("is a directory, not a file", source=p)
    if not p.is_file():  # a named pipe, socket or device would block or never end
        raise InputError("is not a regular file (a pipe, socket or device)", source=p)
    suffix = p.suffix.lower()
    if suffix == ".toml":
        from chokepoint.io.scenario_file import read_scenario

        return read_scenario(p)
    if suffix in (".csv", ".txt"):
        from chokepoint.io.csv import read_link_csv

        return Scenario(network=read_link_csv(p), name=p.stem, path=str(p))
    if suffix in (".max", ".min", ".dimacs"):
        from chokepoint.io.dimacs import read_dimacs

        return read_dimacs(p, cache=cache)
    if suffix in _GIS:
        from chokepoint.io.gis import read_network_file

        return Scenario(network=read_network_file(p), name=p.stem, path=str(p))
    raise InputError(f"unknown file kind {suffix!r} (expected .toml, .csv, .max, .min, "
                     ".geojson, .gpkg, .shp or .parquet)", source=p)
