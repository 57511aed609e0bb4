"""The examples in the docs run, in page order and in one temporary folder per page:
```python blocks share one namespace; in docs/, each ``$ chokepoint ...`` line of a
```console block runs through the CLI's entry point and must exit 0."""

from __future__ import annotations

import re
import shlex
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PAGES = sorted([ROOT / "README.md", *(ROOT / "docs").rglob("*.md")])
FENCE = re.compile(r"^```(\w+)\n(.*?)^```", re.S | re.M)


def _runnable(page: Path) -> list[tuple[str, str]]:
    blocks = FENCE.findall(page.read_text())
    keep = {"python", "console"} if page.parent != ROOT else {"python"}
    return [(k, b) for k, b in blocks if k in keep]


@pytest.mark.parametrize("page", [p for p in PAGES if _runnable(p)],
                         ids=lambda p: str(p.relative_to(ROOT)))
def test_doc_examples_run(page: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from chokepoint.cli import main

    monkeypatch.chdir(tmp_path)
    namespace: dict[str, object] = {"__name__": "__docs__"}
    for i, (kind, body) in enumerate(_runnable(page), 1):
        if kind == "python":
            try:
                exec(compile(body, f"{page.name}[block {i}]", "exec"), namespace)
            except Exception as exc:  # the message says which block failed
                raise AssertionError(f"{page.name}: python block {i} failed: {exc!r}") from exc
            continue
        for line in body.splitlines():
            if not line.startswith("$ chokepoint "):
                continue
            argv = shlex.split(line[2:].split(" #")[0])[1:]
            with pytest.raises(SystemExit) as exit_info:
                main(argv)
            assert exit_info.value.code == 0, f"{page.name}: `{line}` exited {exit_info.value}"
