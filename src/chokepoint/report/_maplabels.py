"""Where the map's text goes: node, structure and place labels that neither overlap nor leave
their frame, shared by the SVG and the PNG maps.

A greedy label placer in the spirit of cartographic point-feature labelling (Imhof 1975;
Christensen, Marks & Shieber, *ACM TOG* 14(3), 1995): labels are placed in priority order
(structures, then the flow terminals, ports and border crossings, the other nodes, then
place names), each at the first free candidate position (right, left, above, below its
anchor, then diagonally; on one line or wrapped at a comma into two); a label that fits
nowhere is left out (its element keeps its hover text). Every box is kept inside its frame,
clear of node markers, of the insets that lie over the main map and of every label placed
before it. Text width is estimated from
:data:`CHAR_EM`, the mean advance of a sans-serif (DejaVu Sans, what headless Chromium and
matplotlib draw here) per em, so the estimate errs on the wide side.

Cost: O(L · (L + N)) box tests for L labels and N nodes in a frame.
"""

from __future__ import annotations

import math
import re
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from chokepoint.network import Network
from chokepoint.report._maplayout import CHAR_EM, TITLE_H, Frame, MapLayout, _densify

__all__ = ["CHAR_EM", "Label", "frame_labels", "text_box"]

#: Line height, in em.
LINE_EM = 1.15
NODE_SIZE = 10.0
PLACE_SIZE = 9.0
GAP = 4.0
#: Least clearance (px) between two labels: the estimated boxes are a little smaller than the
#: browser's (a glyph's ascent is ~0.93 em, estimated 0.8), so abutting boxes would touch.
CLEAR = 2.0
Box = tuple[float, float, float, float]


@dataclass(frozen=True)
class Label:
    """One placed label.

    ``x, y`` is the anchor point of the first line's baseline; ``anchor`` is ``start``,
    ``middle`` or ``end`` (SVG's ``text-anchor``); ``kind`` is ``node``, ``structure`` or
    ``place``; ``box`` its estimated extent (x0, y0, x1, y1) in view-box pixels; ``at`` the
    point it names.
    """

    lines: tuple[str, ...]
    x: float
    y: float
    anchor: str
    size: float
    kind: str
    box: Box
    at: tuple[float, float] = (math.nan, math.nan)

    @property
    def text(self) -> str:
        """The label on one line."""
        return " ".join(self.lines)


def text_box(lines: Sequence[str], x: float, y: float, anchor: str, size: float) -> Box:
    """Estimated extent of ``lines`` whose first baseline is at ``y``."""
    w = CHAR_EM * size * max(len(t) for t in lines)
    x0 = x if anchor == "start" else (x - w if anchor == "end" else x - w / 2)
    return (x0, y - 0.8 * size, x0 + w, y + 0.25 * size + LINE_EM * size * (len(lines) - 1))


def _overlaps(a: Box, b: Box, pad: float = 0.0) -> bool:
    return (a[0] < b[2] + pad and a[2] > b[0] - pad and a[1] < b[3] + pad
            and a[3] > b[1] - pad)


def _inside(a: Box, f: Frame, margin: float = 2.0) -> bool:
    return (a[0] >= f.x + margin and a[2] <= f.x + f.w - margin and a[1] >= f.y + margin
            and a[3] <= f.y + f.h - margin)


def _variants(text: str) -> list[tuple[str, ...]]:
    """The label on one line, then wrapped at its first comma or slash (or middle space)."""
    out: list[tuple[str, ...]] = [(text,)]
    if ", " in text:
        a, b = text.split(", ", 1)
        out.append((a + ",", b))
    elif " / " in text:
        a, b = text.split(" / ", 1)
        out.append((a + " /", b))
    elif " " in text and len(text) > 14:
        words = text.split(" ")
        cut = min(range(1, len(words)),
                  key=lambda k: abs(len(" ".join(words[:k])) - len(text) / 2))
        out.append((" ".join(words[:cut]), " ".join(words[cut:])))
    return out


def _candidates(x: float, y: float, r: float, lines: tuple[str, ...],
                size: float) -> list[tuple[float, float, str]]:
    """Anchor positions around a point marker of radius ``r``: right, left, above, below,
    then the four diagonals."""
    up = y - r - GAP / 2 - 0.25 * size - LINE_EM * size * (len(lines) - 1)
    down = y + r + GAP / 2 + 0.8 * size
    mid = y + 0.3 * size - LINE_EM * size * (len(lines) - 1) / 2
    return [(x + r + GAP, mid, "start"), (x - r - GAP, mid, "end"), (x, up, "middle"),
            (x, down, "middle"), (x + r, up, "start"), (x - r, up, "end"),
            (x + r, down, "start"), (x - r, down, "end")]


class _Placer:
    def __init__(self, f: Frame, taken: list[Box]) -> None:
        self.f, self.taken = f, taken
        self.out: list[Label] = []
        self.lines = np.zeros((0, 2))  # vertices a label may not cover (place names)

    def _on_lines(self, box: Box) -> bool:
        q = self.lines
        return bool(np.any((q[:, 0] > box[0]) & (q[:, 0] < box[2]) & (q[:, 1] > box[1])
                           & (q[:, 1] < box[3])))

    def place(self, text: str, x: float, y: float, r: float, size: float, kind: str, *,
              force: bool = False) -> bool:
        first: tuple[tuple[str, ...], float, float, str] | None = None
        for lines in _variants(text):
            for cx, cy, anchor in _candidates(x, y, r, lines, size):
                box = text_box(lines, cx, cy, anchor, size)
                if not _inside(box, self.f):
                    continue
                first = first or (lines, cx, cy, anchor)
                if (not any(_overlaps(box, b, CLEAR) for b in self.taken)
                        and not self._on_lines(box)):
                    self._add(Label(lines, cx, cy, anchor, size, kind, box, (x, y)))
                    return True
        if force and first is not None:  # a terminal keeps its label even when crowded
            lines, cx, cy, anchor = first
            self._add(Label(lines, cx, cy, anchor, size, kind,
                            text_box(lines, cx, cy, anchor, size), (x, y)))
            return True
        return False

    def _add(self, label: Label) -> None:
        self.taken.append(label.box)
        self.out.append(label)


def short_name(name: str) -> str:
    """A node's or link's display name without its parenthesised details
    ("Devil's Bridge (Chertov most), west abutment" → "Devil's Bridge, west abutment")."""
    return re.sub(r"\s*\([^()]*\)", "", name).strip() or name


def _structures(f: Frame, net: Network) -> list[tuple[str, float, float]]:
    """(name, x, y) of the structures (tunnels, bridges...) whose midpoint the frame shows."""
    lk = net.links
    out = []
    for path, name, lid, st in zip(f.paths, lk["name"].astype(str), lk["id"].astype(str),
                                   lk["structure"].astype(str), strict=True):
        if path is None or st == "none":
            continue
        mid = path[len(path) // 2] if len(path) > 2 else path.mean(axis=0)
        if f.x < mid[0] < f.x + f.w and f.y < mid[1] < f.y + f.h:
            out.append((short_name(name or lid), float(mid[0]), float(mid[1])))
    return out


def _in_frame(f: Frame, x: float, y: float) -> bool:
    return math.isfinite(x) and math.isfinite(y) and f.x <= x <= f.x + f.w and \
        f.y <= y <= f.y + f.h


def inset_boxes(lay: MapLayout, pad: float = 3.0) -> list[Box]:
    """The insets' boxes (with their title bars) on the main map."""
    return [(g.x - pad, g.y - TITLE_H - pad, g.x + g.w + pad, g.y + g.h + pad)
            for g in lay.insets]


def frame_labels(lay: MapLayout, k: int, net: Network, *, terminals: Sequence[str] = (),
                 cut: Sequence[str] = ()) -> list[Label]:
    """The labels of frame ``k`` of ``lay`` (0: the main map), placed without overlap.

    The main map labels the flow ``terminals`` (all nodes on a schematic map) and the
    basemap's place names; an inset labels its structures and every node it shows, a node
    name losing the prefix it shares with a structure there ("Severomuysky tunnel, west
    portal" → "west portal" beside "Severomuysky tunnel").
    """
    f = lay.frames[k]
    ids = net.nodes["id"].astype(str).tolist()
    names = net.nodes["name"].astype(str).tolist()
    term, cuts = set(terminals), set(cut)
    taken: list[Box] = list(inset_boxes(lay)) if k == 0 else []
    shown = [i for i, (x, y) in enumerate(f.nodes) if _in_frame(f, float(x), float(y))]
    for i in shown:  # node markers (and the minimum cut's square ring)
        x, y = f.nodes[i]
        r = 9.0 if ids[i] in cuts else (5.5 if ids[i] in term else 4.0)
        taken.append((x - r, y - r, x + r, y + r))
    p = _Placer(f, taken)
    detailed = {i for g in lay.insets if g.parent == k for i in g.members}
    structures = _structures(f, net) if k else []
    for name, x, y in structures:  # close to the line, else a little further out
        _ = p.place(name, x, y, 5.0, NODE_SIZE, "structure") or p.place(
            name, x, y, 16.0, NODE_SIZE, "structure")
    prefixes = {s for s, _, _ in structures}
    kinds = (net.nodes["kind"].astype(str).tolist() if "kind" in net.nodes.columns
             else [""] * len(ids))
    rank = {"port": 0, "border": 1, "depot": 1}  # terminals, then ports, borders, the rest
    order = sorted(shown, key=lambda i: (ids[i] not in term, rank.get(kinds[i], 2), i))
    for i in order:
        if not (k or lay.schematic or ids[i] in term) or (i in detailed and ids[i] not in term):
            continue
        label = short_name(names[i] or ids[i])
        head, _, tail = label.partition(", ")
        if tail and any(x.startswith(head) for x in prefixes):
            label = tail
        x, y = f.nodes[i]
        p.place(label, float(x), float(y), 5.5 if ids[i] in term else 4.0, NODE_SIZE, "node",
                force=ids[i] in term)
    if k == 0 and f.places:
        p.taken += [g.source_box for g in lay.insets if g.parent == 0 and g.source_box]
        p.lines = np.concatenate([_densify(q, 4.0) for q in f.paths if q is not None]
                                 or [np.zeros((0, 2))])
        for name, x, y in f.places:
            p.place(name, x, y, 2.0, PLACE_SIZE, "place")
    return p.out


def graticule_labels(lay: MapLayout, k: int = 0,
                     size: float = 9.0) -> list[tuple[np.ndarray, str, float, float]]:
    """The frame's graticule lines, their labels blanked where they would collide with an
    inset, leave the frame or crowd the corner where the two axes meet."""
    f = lay.frames[k]
    avoid = inset_boxes(lay) if k == 0 else []
    corner = (f.x, f.y + f.h - 1.6 * size, f.x + 5.0 * size, f.y + f.h)
    out = []
    kept: list[Box] = [corner]
    for xy, text, tx, ty in f.graticule:
        box = text_box([text], tx, ty, "start", size)
        bad = (not _inside(box, f, 0.0) or any(_overlaps(box, b) for b in avoid)
               or any(_overlaps(box, b) for b in kept))
        if not bad:
            kept.append(box)
        out.append((xy, "" if bad else text, tx, ty))
    return out
