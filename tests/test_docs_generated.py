"""Generated figures in the docs match a fresh computation (``scripts/corridor_answer.py``)."""

from __future__ import annotations

import importlib.util
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def test_corridor_page_matches_the_model() -> None:
    spec = importlib.util.spec_from_file_location("corridor_answer",
                                                  ROOT / "scripts" / "corridor_answer.py")
    assert spec is not None
    assert spec.loader is not None
    gen = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(gen)
    page = gen.PAGE.read_text(encoding="utf-8")
    assert {m.group("name") for m in gen.BLOCK.finditer(page)} == set(gen.GENERATORS)
    assert gen.render(page) == page, "run: python scripts/corridor_answer.py"
