"""Write the computed answer to the seed's question into ``docs/corridor-sources.md``.

The page's figures on "is the Severomuysky tunnel the weak point?" and its element counts
are not typed by hand: this script computes them from the built-in corridor and replaces the
text between ``<!-- BEGIN generated: NAME -->`` and ``<!-- END generated: NAME -->``;
``tests/test_docs_generated.py`` fails when the page no longer matches a fresh computation.
Run it after changing the corridor or the analyses::

    python scripts/corridor_answer.py            # rewrite the page
    python scripts/corridor_answer.py --check    # exit 1 if the page is out of date
"""

from __future__ import annotations

import re
import sys
from pathlib import Path

PAGE = Path(__file__).resolve().parents[1] / "docs" / "corridor-sources.md"
BLOCK = re.compile(r"(<!-- BEGIN generated: (?P<name>[\w-]+) -->\n)(.*?)"
                   r"(<!-- END generated: (?P=name) -->)", re.S)


def counts() -> str:
    """The corridor's element and citation counts, as ``chokepoint validate`` reports them."""
    from chokepoint.data import load_builtin

    s = load_builtin()
    net = s.network
    modes = net.links["mode"].value_counts()
    by_mode = ", ".join(f"{n} {m}" for m, n in modes.items())
    c = s.citations.summary()
    return (f"{len(net.nodes)} nodes, {len(net.links)} links ({by_mode}), "
            f"{len(s.commodities)} commodity, {len(s.background)} background flows, "
            f"{len(s.disruptions)} disruptions, {len(s.assumptions)} assumptions with ranges.\n"
            f"`chokepoint validate builtin:corridor` counts {c['figures']} figures, "
            f"{c['cited']} cited field by field ({c['fact']} fact, {c['derived']} derived, "
            f"{c['assumption']} assumption, {c['ref']} ref), {len(c['uncited'])} uncited")


def answer() -> str:
    """The weak-point statements and the attack comparison, one bullet each."""
    from chokepoint.data import load_builtin
    from chokepoint.workflows.attack import attack_2023, attack_statement
    from chokepoint.workflows.weak_point import weak_point_of

    s = load_builtin()
    wp = weak_point_of(s)
    assert wp is not None
    a = attack_2023(s, ks=(1, 2, 3), defend=True)
    lines = [*wp.statements, attack_statement(a, shipment=s.commodities[0].id)]
    return "\n".join(f"* {line}" for line in lines)


GENERATORS = {"counts": counts, "seed-answer": answer}


def render(text: str) -> str:
    """``text`` with every generated block recomputed."""
    def fill(m: re.Match[str]) -> str:
        return m.group(1) + GENERATORS[m.group("name")]() + "\n" + m.group(4)

    return BLOCK.sub(fill, text)


def main(argv: list[str]) -> int:
    """Rewrite the page (``--check``: only report whether it is up to date)."""
    old = PAGE.read_text(encoding="utf-8")
    new = render(old)
    if "--check" in argv:
        if new != old:
            print(f"{PAGE} is out of date: run python scripts/corridor_answer.py")
            return 1
        return 0
    PAGE.write_text(new, encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
