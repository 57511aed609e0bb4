"""Scenario files (TOML). The schema lives in :mod:`chokepoint.scenario`."""

from __future__ import annotations

import tomllib
from pathlib import Path

import pandas as pd

from chokepoint.errors import InputError
from chokepoint.scenario import Scenario, scenario_from_dict

__all__ = ["read_scenario", "read_scenario_text"]


def _table_loader(base: Path, scenario: Path):  # type: ignore[no-untyped-def]
    def load_table(name: str) -> pd.DataFrame:
        p = (base / name).resolve()
        if not p.exists():
            raise InputError(f"[network] names a file that does not exist: {name}",
                             source=scenario)
        if not p.is_file():
            raise InputError(f"[network] names something that is not a regular file: {name}",
                             source=scenario)
        if p.suffix.lower() == ".csv":
            from chokepoint.io.csv import read_table_csv

            return read_table_csv(p)
        from chokepoint.io.gis import read_table

        return read_table(p)

    return load_table


def read_scenario_text(text: str, *, source: str | Path = "<string>",
                       base_dir: Path | None = None) -> Scenario:
    """Parse scenario TOML from a string (files it names are relative to ``base_dir``)."""
    try:
        data = tomllib.loads(text.removeprefix("\ufeff"))  # a UTF-8 byte-order mark is fine
    except tomllib.TOMLDecodeError as e:
        raise InputError(f"not valid TOML: {e}", source=source) from None
    except RecursionError:
        raise InputError("not valid TOML: nested too deeply", source=source) from None
    try:
        return _from_dict(data, source, base_dir)
    except RecursionError:
        raise InputError("nested too deeply to validate", source=source) from None


def _from_dict(data: dict[str, object], source: str | Path, base_dir: Path | None) -> Scenario:
    return scenario_from_dict(data, source=source,
                              load_table=_table_loader(base_dir or Path.cwd(), Path(source)))


def read_scenario(path: str | Path) -> Scenario:
    """Read and validate a scenario TOML file."""
    p = Path(path)
    try:
        text = p.read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError) as e:
        raise InputError(f"cannot read: {e}", source=p) from None
    return read_scenario_text(text, source=p, base_dir=p.parent)
