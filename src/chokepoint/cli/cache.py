"""The ``cache`` commands: where the disk cache of parsed networks is, and emptying it."""

from __future__ import annotations

import typer

from chokepoint.cli._app import JsonOpt, _print_json, app, out

cache_app = typer.Typer(
    help="The disk cache of large parsed network files (see CHOKEPOINT_CACHE, "
         "CHOKEPOINT_CACHE_DIR, CHOKEPOINT_CACHE_MAX_MB).",
    no_args_is_help=True)
app.add_typer(cache_app, name="cache")


@cache_app.command("info")
def info(as_json: JsonOpt = False) -> None:
    """Where the cache is, whether it is on, its entries, size and cap."""
    from chokepoint.io.cache import cache_info

    i = cache_info()
    data = {"folder": str(i.folder), "enabled": i.enabled, "entries": i.entries,
            "bytes": i.bytes, "max_bytes": i.max_bytes}
    if as_json:
        _print_json(data)
        return
    out.print(f"cache of parsed networks: {i.folder}", markup=False)
    out.print(f"  {'on' if i.enabled else 'off (CHOKEPOINT_CACHE)'}; {i.entries} entries, "
              f"{i.bytes / 2**20:,.1f} MiB of at most {i.max_bytes / 2**20:,.0f} MiB")


@cache_app.command("clear")
def clear() -> None:
    """Remove every cached network (the next run on each file reads it again)."""
    from chokepoint.io.cache import cache_folder, clear_cache

    n = clear_cache()
    out.print(f"removed {n} cached networks from {cache_folder()}", markup=False)
