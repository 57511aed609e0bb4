"""The package's import layers (docs: /README.md "Layout"; the shape in DESIGN.md).

model ← io ← analyses ← simulate ← workflows ← report / serve / sweep ← cli

Every ``import`` of a ``chokepoint`` module — at module level or inside a function — must go
down the layers (or stay in its own package); ``report`` and ``serve`` render answers and may
not reach past the workflows into ``analyses`` or ``simulate``; ``serve`` may render the
report. A function-level import is no way around the layers: it is checked like any other,
so the only imports a function may defer past the layers are of third-party (optional)
dependencies; deferring a ``chokepoint`` module the layers allow anyway is fine (start-up
time). ``if TYPE_CHECKING:`` imports never run and are skipped. The package facade
(``chokepoint/__init__.py``) re-exports the workflows lazily (PEP 562) and is exempt.
"""

from __future__ import annotations

import ast
from dataclasses import dataclass
from pathlib import Path

import pytest

import chokepoint

SRC = Path(chokepoint.__file__).parent

#: Layer of each top-level part of the package (lower imports nothing above it).
LAYERS: dict[str, int] = {
    "errors": 0, "units": 0, "network": 0, "compiled": 0, "scenario": 0, "disruptions": 0,
    "timeline": 0, "route_rules": 0, "kinds": 0, "progress": 0, "formatting": 0, "limits": 0,
    "provenance": 0, "cancel": 0, "_lazy": 0,
    "io": 1, "data": 1,
    "analyses": 2,
    "simulate": 3,
    "workflows": 4,
    "report": 5, "serve": 5, "sweep": 5,
    "cli": 6,
    "__facade__": 6,  # ``from chokepoint import load``: the package's flat API
}
#: Peer imports allowed across packages of the same layer.
PEERS = {("serve", "report"), ("data", "io"), ("cli", "__facade__")}
#: Packages that render answers: they may not call analyses or simulations directly.
RENDERERS = {"report", "serve"}
NO_RENDERER_IMPORTS = {"analyses", "simulate"}
@dataclass(frozen=True)
class Violation:
    module: str
    line: int
    imported: str
    why: str

    def __str__(self) -> str:
        return f"{self.module}:{self.line} imports {self.imported}: {self.why}"


def _part(module: str) -> str | None:
    """The top-level part (``analyses``, ``network`` …) of a ``chokepoint`` module name."""
    bits = module.split(".")
    if bits[0] != "chokepoint" or len(bits) < 2:
        return None
    return bits[1]


def _imports(tree: ast.Module, module: str, is_pkg: bool) -> list[tuple[str, int, bool]]:
    """``(imported module, line, at function level)`` for every import in ``tree``."""
    out: list[tuple[str, int, bool]] = []

    def visit(node: ast.AST, nested: bool) -> None:
        for child in ast.iter_child_nodes(node):
            inner = nested or isinstance(child, (ast.FunctionDef, ast.AsyncFunctionDef))
            if isinstance(child, ast.Import):
                out.extend((a.name, child.lineno, nested) for a in child.names)
            elif isinstance(child, ast.ImportFrom):
                base = child.module or ""
                if child.level:
                    pkg = module.split(".")
                    pkg = pkg if is_pkg else pkg[:-1]
                    pkg = pkg[: len(pkg) - child.level + 1]
                    base = ".".join([*pkg, base] if base else pkg)
                if base == "chokepoint" or (child.level and not child.module):
                    out.extend((f"{base}.{a.name}", child.lineno, nested) for a in child.names)
                else:
                    out.append((base, child.lineno, nested))
            visit(child, inner)

    visit(tree, False)
    return out


def _type_checking_lines(tree: ast.Module) -> set[int]:
    """Lines inside ``if TYPE_CHECKING:`` blocks (never executed)."""
    lines: set[int] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test):
            for sub in node.body:
                for n in ast.walk(sub):
                    if hasattr(n, "lineno"):
                        lines.add(n.lineno)
    return lines


def check_source(source: str, module: str, *, is_pkg: bool = False) -> list[Violation]:
    """The layer violations of one module's ``source`` (``module``: its dotted name)."""
    tree = ast.parse(source)
    me = _part(module)
    if me is None:  # the package facade
        return []
    skip = _type_checking_lines(tree)
    out: list[Violation] = []
    for name, line, _nested in _imports(tree, module, is_pkg):
        if line in skip:
            continue
        part = _part(name)
        if part is None:  # third party or the standard library
            continue
        if part not in LAYERS and not (SRC / part).is_dir() and not (SRC / f"{part}.py"
                                                                    ).is_file():
            part = "__facade__"  # a name the package facade exports
        if part == me:
            continue
        if part not in LAYERS:
            out.append(Violation(module, line, name, f"unknown part {part!r} (add it to "
                                 "the layers)"))
        elif me not in LAYERS:
            out.append(Violation(module, line, name, f"{me!r} has no layer"))
        elif LAYERS[part] > LAYERS[me]:
            out.append(Violation(module, line, name, f"upward ({me} is below {part})"))
        elif LAYERS[part] == LAYERS[me] and LAYERS[me] > 0 and (me, part) not in PEERS:
            out.append(Violation(module, line, name, f"across the layer ({me} and {part} "
                                 "are peers)"))
        elif me in RENDERERS and part in NO_RENDERER_IMPORTS:
            out.append(Violation(module, line, name, f"{me} renders answers: ask a workflow "
                                 f"instead of calling {part}"))
    return out


def _modules() -> list[tuple[str, Path, bool]]:
    mods = []
    for path in sorted(SRC.rglob("*.py")):
        rel = path.relative_to(SRC.parent).with_suffix("")
        parts = list(rel.parts)
        is_pkg = parts[-1] == "__init__"
        if is_pkg:
            parts = parts[:-1]
        mods.append((".".join(parts), path, is_pkg))
    return mods


def test_every_module_respects_the_layers() -> None:
    bad = [v for mod, path, pkg in _modules()
           for v in check_source(path.read_text(encoding="utf-8"), mod, is_pkg=pkg)]
    assert not bad, "\n".join(map(str, bad))


def test_every_part_has_a_layer() -> None:
    parts = {p.stem if p.is_file() else p.name for p in SRC.iterdir()
             if (p.suffix == ".py" and p.stem != "__init__") or (p / "__init__.py").exists()}
    missing = parts - set(LAYERS)
    assert not missing, f"parts without a layer: {sorted(missing)}"


# -- the checker itself -----------------------------------------------------------------------
@pytest.mark.parametrize(("module", "source", "why"), [
    ("chokepoint.network", "from chokepoint.analyses import max_flow\n", "upward"),
    ("chokepoint.io.results", "from chokepoint.workflows.brief import Brief\n", "upward"),
    ("chokepoint.analyses.served",
     "def f():\n    from chokepoint.cli import main\n", "upward"),
    ("chokepoint.report.build", "from chokepoint.analyses import max_flow\n", "renders"),
    ("chokepoint.serve.app", "import chokepoint.simulate\n", "renders"),
    ("chokepoint.sweep.tasks", "from chokepoint.report import build\n", "across"),
    ("chokepoint.scenario",
     "class A:\n    def f(self):\n        import chokepoint.io.csv\n", "upward"),
    ("chokepoint.io.csv", "from ..workflows import brief\n", "upward"),
    ("chokepoint.workflows.study", "from chokepoint import load\n", "upward"),
])
def test_the_checker_fails_on(module: str, source: str, why: str) -> None:
    found = check_source(source, module, is_pkg=False)
    assert len(found) == 1, found
    assert why in found[0].why


@pytest.mark.parametrize(("module", "source"), [
    ("chokepoint.workflows.brief", "from chokepoint.analyses import max_flow\n"),
    ("chokepoint.serve.app", "from chokepoint.report.build import render_report\n"),
    ("chokepoint.cli.brief", "def f():\n    from chokepoint.workflows import brief\n"),
    ("chokepoint.io.gis", "def f():\n    import geopandas\n"),
    ("chokepoint.network",
     "from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    from chokepoint.io import load\n"),
    ("chokepoint.analyses.served", "from . import _flowlp\nfrom .routing import x\n"),
])
def test_the_checker_allows(module: str, source: str) -> None:
    assert check_source(source, module, is_pkg=False) == []
