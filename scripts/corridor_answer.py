"""Write the computed answer to the seed's question into ``docs/corridor-sources.md``.

The page's figures on "is the Severomuysky tunnel the weak point?", its element counts and
the table of the shipment's single points of failure checked against the OSM railway graph
(:mod:`chokepoint.workflows.osm_check`, read from ``../shared``; without it that table is left
as it is) are not typed by hand: this script computes them from the built-in corridor and
replaces the text between ``<!-- BEGIN generated: NAME -->`` and ``<!-- END generated: NAME -->``;
``tests/test_docs_generated.py`` fails when the page no longer matches a fresh computation.
Run it after changing the corridor or the analyses::

    python scripts/corridor_answer.py            # rewrite the page
    python scripts/corridor_answer.py --check    # exit 1 if the page is out of date
"""

from __future__ import annotations

import re
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

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


def _g(x: object) -> str:
    return f"{float(x):g}"  # type: ignore[arg-type]


def _node_row(n: dict[str, Any]) -> str:
    hand = (f"{_g(n['handling_capacity'])} {n['handling_unit']}"
            if "handling_capacity" in n else "—")
    asset = (f"{_g(n['attack_cost'])} / {_g(n['repair_days'])}" if "attack_cost" in n else "")
    return (f"| `{n['id']}` | {n['name']} | {n['kind']} | {n['lat']:.4f}, {n['lon']:.4f} | "
            f"{hand} | {_g(n.get('dwell_h', 0))} | {asset} | {n.get('source', '')} |")


def _link_row(lk: dict[str, Any]) -> str:
    if lk.get("mode") == "sea":
        how = "sea" + (f" ({lk['direction']})" if "direction" in lk else "")
    else:
        how = " / ".join(str(x) for x in (lk.get("mode", "rail"), lk.get("track"),
                                          lk.get("structure")) if x)
    if "speed_kmh" in lk:
        time = f"{_g(lk['speed_kmh'])} km/h ({lk['length_km'] / lk['speed_kmh']:.1f} h)"
    else:
        time = f"{_g(lk['time_h'])} h" if "time_h" in lk else "—"
    asset = ("not attackable" if lk.get("attackable") is False else
             f"{_g(lk['attack_cost'])} / {_g(lk['repair_days'])}" if "attack_cost" in lk else "")
    return (f"| `{lk['id']}` | {lk['from']} → {lk['to']} | {how} | {_g(lk['length_km'])} | "
            f"{_g(lk['capacity'])} {lk['unit']} | {time} | {asset} | {lk.get('source', '')} |")


def tables() -> str:
    """The corridor's nodes and links, one row each, from the TOML."""
    import tomllib

    from chokepoint.data import builtin_path

    raw = tomllib.loads(builtin_path().read_text(encoding="utf-8"))
    return "\n".join([
        "### Nodes", "",
        "| id | name | kind | lat, lon | handling | dwell h | attack cost / repair days | source |",
        "|---|---|---|---|---|---|---|---|", *map(_node_row, raw["nodes"]), "",
        "### Links", "",
        "| id | from → to | mode / track | km | capacity | time | attack cost / repair days "
        "| source |", "|---|---|---|---|---|---|---|---|", *map(_link_row, raw["links"])])


def references() -> str:
    """The TOML's ``[references]`` table (the non-F sources), one row each."""
    import tomllib

    from chokepoint.data import builtin_path

    raw = tomllib.loads(builtin_path().read_text(encoding="utf-8"))
    rows = [f"| `{k}` | {v.replace('|', '&#124;')} |" for k, v in raw["references"].items()]
    return "\n".join(["| key | citation |", "|---|---|", *rows])


#: The world railway graph and the country outlines the single-point-of-failure check reads
#: (``../shared`` beside the repository; without it the page's table is left as it is).
RAW = Path(__file__).resolve().parents[2] / "shared" / "data" / "raw"
#: Sources other than OSM for each shipment single point of failure (hand-written, cited).
EVIDENCE = {
    "sea_rajin_dunai": "the shipment's reported route (F33: by ship to Dunay); the rail link via "
                       "Khasan is a real alternative (CSIS_NAJIN: rail traffic at Tumangang – "
                       "Khasan) that the shipment's route rules forbid",
    "dunai_smolyaninovo": "F32 names the branch (opened 1941); no second line to Dunai was found "
                          "in any source",
    "smolyaninovo_ugolnaya": "the Nakhodka line's piece of the graph (Smolyaninovo – Nakhodka) "
                             "has no other link to the network",
    "baranovsky_ugolnaya": "TRANSSIB_OBJ4: Primorye had 'no other route' than the Amur "
                           "crossing at Khabarovsk",
    "ussuriysk_baranovsky": "TRANSSIB_OBJ4 (as above); the graph's detour runs Khasan – "
                            "Hunchun (China) – Suifenhe – Grodekovo",
    "khabarovsk_ussuriysk": "TRANSSIB_OBJ4: Primorye had 'no other route' than the Amur "
                            "crossing at Khabarovsk",
    "amur_east_khabarovsk": "the right-bank approach after the bridge and tunnel lines join",
    "volochaevka_amur_west": "the left-bank approach before the bridge and tunnel lines part",
    "tikhoretsk_depot_spur": "F34: the depot is rail-connected; one spur is an assumption (the "
                             "depot has no surveyed position)",
}


def _verdict_text(r: object) -> str:
    from chokepoint.workflows import osm_check as oc

    assert isinstance(r, oc.ParallelCheck)
    if r.verdict == oc.NO_PARALLEL:
        return "no parallel"
    if r.verdict == oc.ABROAD:
        where = ", ".join(r.countries)
        return f"no parallel in Russia; only {r.parallel_km:,.0f} km through {where}"
    if r.verdict == oc.PARALLEL:
        return f"**has a parallel** ({r.parallel_km:,.1f} km)"
    return f"not verifiable in OSM: {r.reason}"


def spofs() -> str | None:
    """The shipment's single points of failure, each checked against the OSM railway graph."""
    from chokepoint.data import load_builtin
    from chokepoint.workflows import osm_check as oc

    rail = RAW / "scgraph_world_railways"
    ne = RAW / "natural_earth" / "ne_50m_admin_0_countries.geojson"
    if not rail.is_dir() or not ne.is_file():
        return None
    s = load_builtin()
    rows = ["| element | course in OSM | shortest route without it | verdict | other sources |",
            "|---|---|---|---|---|"]
    for r in oc.check_parallels(s, oc.shipment_spofs(s), source=rail, countries=ne):
        km = f"{r.course_km:,.1f} km" if r.course_km is not None else "—"
        alt = f"{r.parallel_km:,.0f} km" if r.parallel_km is not None else "none"
        why = f" ({r.reason})" if r.verdict == oc.NO_PARALLEL else ""
        rows.append(f"| `{r.element}` {r.name} ({r.length_km:g} km) | {km} | {alt} | "
                    f"{_verdict_text(r)}{why} | {EVIDENCE.get(r.element, '')} |")
    return "\n".join(rows)


GENERATORS: dict[str, Callable[[], str | None]] = {
    "counts": counts, "seed-answer": answer, "osm-spof": spofs, "tables": tables,
    "references": references}


def render(text: str) -> str:
    """``text`` with every generated block recomputed."""
    def fill(m: re.Match[str]) -> str:
        text = GENERATORS[m.group("name")]()
        if text is None:  # its data are absent: the block stays as it is
            return m.group(0)
        return m.group(1) + text + "\n" + m.group(4)

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
