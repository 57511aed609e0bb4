"""The ``import`` command: GIS lines, OpenStreetMap, world rail and sea networks."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer

from chokepoint.cli._app import (
    JsonOpt,
    _print_json,
    _progress,
    app,
    out,
)
from chokepoint.errors import InputError

IMPORT_KINDS = ("osm", "lines", "world-rail", "sea", "world", "links")


def _bbox(text: str | None) -> tuple[float, float, float, float] | None:
    if text is None:
        return None
    try:
        x0, y0, x1, y1 = (float(v) for v in text.split(","))
    except ValueError:
        raise InputError(f"--bbox must be minlon,minlat,maxlon,maxlat, not {text!r}") from None
    if not (-180 <= x0 < x1 <= 180 and -90 <= y0 < y1 <= 90):
        raise InputError(f"--bbox out of range or empty: {text!r}")
    return x0, y0, x1, y1


@app.command("import")
def import_(
    source: Annotated[str, typer.Argument(
        help="OSM .pbf, GIS line file (.gpkg/.geojson/.shp/.parquet), world-rail CSV folder, "
             "or '-' for the installed package data (world-rail, sea, world).")],
    kind: Annotated[str, typer.Option("--kind", help="osm, lines, world-rail, sea, world "
                                      "(rail + sea + ports) or links (a CSV link list).")
                    ] = "lines",
    out_file: Annotated[Path, typer.Option("--out", help="Write .gpkg, .parquet, .geojson "
                                           "or .csv.")] = Path("network.gpkg"),
    bbox: Annotated[str | None, typer.Option(
        "--bbox", help="minlon,minlat,maxlon,maxlat (EPSG:4326).")] = None,
    tolerance: Annotated[float | None, typer.Option(
        "--tolerance", help="Snapping tolerance in metres.")] = None,
    ports: Annotated[str | None, typer.Option(
        "--ports", help="Port layer or NGA World Port Index CSV for --kind world "
                        "(default: searoute's port list).")] = None,
    strict: Annotated[bool | None, typer.Option(
        "--strict/--lenient", help="Stop at the first bad feature, or drop and report it "
                                   "(default: strict for lines, lenient otherwise).")] = None,
    drop_self_loops: Annotated[bool, typer.Option(
        "--drop-self-loops", help="--kind links: drop rows whose from equals to (RA2CE's "
                                  "edge lists have them) instead of refusing the file.")] = False,
    as_json: JsonOpt = False,
) -> None:
    """Import a network and build its topology; write it with an issues layer."""
    from chokepoint.io.topology import write_network

    if kind not in IMPORT_KINDS:
        raise InputError(f"--kind must be one of {', '.join(IMPORT_KINDS)}, not {kind!r}")
    if kind == "links":
        _import_links(source, out_file, drop_self_loops=drop_self_loops, as_json=as_json)
        return
    box = _bbox(bbox)
    pkg = source in ("-", "")
    tol: dict[str, Any] = {} if tolerance is None else {"tolerance_m": tolerance}
    with _progress() as cb:
        if kind == "osm":
            from chokepoint.io.osm import read_osm

            net, rep = read_osm(source, bbox=box, progress=cb, strict=bool(strict), **tol)
        elif kind == "lines":
            from chokepoint.io.topology import read_lines

            net, rep = read_lines(source, bbox=box, progress=cb,
                                  strict=True if strict is None else strict, **tol)
        elif kind == "world-rail":
            from chokepoint.io.world import read_world_railways

            net, rep = read_world_railways(source=None if pkg else source, bbox=box,
                                           progress=cb, **tol)
        else:
            from chokepoint.io.world import (
                read_ports,
                read_sea_network,
                read_world_railways,
                stitch_ports,
            )

            sea, rep = read_sea_network(source=None if pkg or kind == "world" else source,
                                        bbox=box, progress=cb, **tol)
            net = sea
            if kind == "world":
                rail, rrep = read_world_railways(source=None if pkg else source, bbox=box,
                                                 progress=cb, **tol)
                net, srep = stitch_ports(read_ports(ports, bbox=box), rail=rail, sea=sea)
                rep.issues += rrep.issues + srep.issues
                rep.counts.update({f"rail_{k}": v for k, v in rrep.counts.items()})
                rep.counts.update(srep.counts)
    write_network(net, out_file, report=rep)
    if as_json:
        _print_json({"out": str(out_file), **rep.summary(), "network": net.summary()})
        return
    summ = rep.summary()
    out.print(f"Imported {net.n_links:,} links and {net.n_nodes:,} nodes "
              f"({summ['components']:,} connected components, {summ['structure_groups']} "
              f"tunnel/bridge groups) to {out_file}")
    if rep.fallback_links:
        out.print(f"{len(rep.fallback_links):,} links use a mode-wide default capacity/speed "
                  "(see docs/howto-import.md to set your own)")
    if rep.issues:
        top = ", ".join(f"{k}: {v}" for k, v in list(summ["issues"].items())[:4])
        out.print(f"{len(rep.issues):,} issues ({top})")



def _import_links(source: str, out_file: Path, *, drop_self_loops: bool, as_json: bool) -> None:
    """``import --kind links``: a CSV link list to a network file (self-loops optionally
    dropped and counted)."""
    from chokepoint.io.csv import read_link_csv
    from chokepoint.io.topology import write_network

    net, dropped = read_link_csv(source, drop_self_loops=drop_self_loops, report=True)
    write_network(net, out_file)
    if as_json:
        _print_json({"out": str(out_file), "self_loops_dropped": dropped,
                     "network": net.summary()})
        return
    out.print(f"Imported {net.n_links:,} links and {net.n_nodes:,} nodes to {out_file}"
              + (f" ({dropped:,} self-loop rows dropped)" if drop_self_loops else ""))
