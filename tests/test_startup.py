"""Start-up: the CLI and the package import no heavy library until a command needs it.

``chokepoint --help`` and the package's import must not pay for pandas, the solvers or the
plotting stack (issue 15). Checked in a fresh interpreter through ``sys.modules`` — what was
imported, not how long it took (no timed tests).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

SRC = Path(__file__).resolve().parents[1] / "src"

#: Libraries that cost noticeable start-up time; each is imported where it is used.
HEAVY = ("pandas", "pyarrow", "scipy", "numba", "matplotlib", "geopandas", "shapely",
         "pyogrio", "ortools", "highspy", "simpy", "dask", "distributed", "networkx",
         "fastapi", "uvicorn")


def _imported_after(code: str) -> list[str]:
    """The heavy top-level modules present in ``sys.modules`` after running ``code``."""
    found = f"{{m.split('.')[0] for m in sys.modules}} & {set(HEAVY)!r}"
    probe = f"{code}\nimport json, sys\nprint(json.dumps(sorted({found})))"
    env = {**os.environ, "PYTHONPATH": str(SRC)}
    out = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True,
                         env=env, check=True, timeout=120)
    return list(json.loads(out.stdout.strip().splitlines()[-1]))


_HELP = "import chokepoint.cli as c\ntry:\n    c.main({args})\nexcept SystemExit:\n    pass"


@pytest.mark.parametrize("code", [
    "import chokepoint.cli",
    "import chokepoint",
    # --help of the app and of a command: typer builds every command's options
    _HELP.format(args="['--help']"),
    _HELP.format(args="['demo', '--help']"),
])
def test_start_up_imports_no_heavy_library(code: str) -> None:
    assert _imported_after(code) == []


def test_lazy_names_still_resolve() -> None:
    """``chokepoint.Network`` / ``Scenario`` / ``Units`` load on first use, as before, and
    loading them imports no heavy library either (pandas comes with the first table)."""
    code = ("import chokepoint\nfrom chokepoint import Network, Scenario, Units\n"
            "assert chokepoint.Network is Network and Scenario.__name__ == 'Scenario'\n"
            "assert Units.__name__ == 'Units'")
    assert _imported_after(code) == []
    assert "pandas" in _imported_after(code + "\nNetwork.from_frames(None, "
                                       "__import__('pandas').DataFrame({'from': ['a'], "
                                       "'to': ['b']}))")


def test_flow_on_a_dimacs_file_needs_only_the_solver(tmp_path: Path) -> None:
    """``chokepoint flow FILE.max`` reads, compiles, solves and names the cut without pandas,
    scipy, numba or HiGHS: OR-Tools is the only heavy library it loads."""
    f = tmp_path / "g.max"
    f.write_text("c tiny\np max 3 3\nn 1 s\nn 3 t\na 1 2 5\na 2 3 4\na 1 3 1\n")
    code = _HELP.format(args=f"['flow', {str(f)!r}, '--json']")
    assert _imported_after(code) == ["ortools"]
    assert _imported_after(_HELP.format(args=f"['validate', {str(f)!r}]")) == []


def test_analyses_package_names_load_on_first_use() -> None:
    """``import chokepoint.analyses`` imports no analysis module (nor its solver); each
    public name still resolves to the function of its module, on first use."""
    assert _imported_after("import chokepoint.analyses") == []
    code = ("import sys\nimport chokepoint.analyses as a\n"
            "assert 'chokepoint.analyses.served' not in sys.modules\n"
            "from chokepoint.analyses.served import served_demand\n"
            "assert a.served_demand is served_demand\n"
            "assert sorted(a.__all__) == sorted(n for n in dir(a) if n in a.__all__)")
    _imported_after(code)  # raises if an assertion fails in the child
