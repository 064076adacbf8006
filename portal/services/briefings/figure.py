"""The briefing's link-graph figure, laid out for print: no Flask, no database, no fonts.

A printed figure must be read without zooming, so it draws few entities and names each in
words:

- :func:`top_entities` keeps the most central entities (degree centrality: how many other
  entities each is linked to, ties broken by how many bulletins name it);
- :func:`human_label` names a node as a reader would ("@relaunch (Telegram)",
  "+33 6 12 34 56 78"), never by its graph key (``account:telegram:relaunch``);
- :func:`lay_out` places the nodes in the plot area, which the legend never enters, and each
  label where its box meets no other label, no node and no edge of the figure: a label that
  cannot be placed is replaced by the node's rank number, listed in the key beneath;
- :func:`to_svg` draws the result, every text escaped (names come from adversaries).

Text widths are estimated generously (wide characters count double), so a label's box holds
its text in any of the briefing's fonts.
"""

from __future__ import annotations

import math
import unicodedata
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any
from xml.sax.saxutils import escape

import networkx as nx  # type: ignore[import-untyped]

import graph

FONT = "'Noto Sans', 'Noto Sans Arabic', 'Noto Sans CJK JP', sans-serif"
LABEL_SIZE = 13.0  # user units; the figure is 1000 units across a landscape A4 page: 8.5 pt
LINE = LABEL_SIZE * 1.25
PAD = 2.0
MAX_LABEL = 34  # characters before an ellipsis
TOP_ENTITIES = 30

PALETTE = ("#1f4e79", "#b03a2e", "#1e8449", "#7d3c98", "#ca6f1e", "#117a65", "#6e2c00")
TYPE_NAMES = {
    "person": "Person",
    "account": "Online account",
    "group": "Group",
    "phone": "Phone",
    "email": "E-mail",
    "url": "Web address",
    "location": "Place",
}
# The words of the figure, in English; the briefing's layout passes them in its language.
LEGEND_WORDS = {
    "aria": "Link graph of the most connected entities",
    "types": "Entity types",
    "size": "Size",
    "size_means": "links to other entities",
    "colour": "Colour",
    "colour_means": "entities linked together",
}


@dataclass(frozen=True)
class Box:
    x: float
    y: float
    w: float
    h: float

    @property
    def right(self) -> float:
        return self.x + self.w

    @property
    def bottom(self) -> float:
        return self.y + self.h

    def overlaps(self, other: Box) -> bool:
        return (
            self.x < other.right
            and other.x < self.right
            and self.y < other.bottom
            and other.y < self.bottom
        )

    def inside(self, other: Box) -> bool:
        return (
            self.x >= other.x
            and self.y >= other.y
            and self.right <= other.right
            and self.bottom <= other.bottom
        )

    def crosses(self, a: tuple[float, float], b: tuple[float, float]) -> bool:
        """Whether the segment ``a`` to ``b`` passes through the box (Liang-Barsky clipping)."""
        (x1, y1), (x2, y2) = a, b
        dx, dy = x2 - x1, y2 - y1
        low, high = 0.0, 1.0
        for p, q in (
            (-dx, x1 - self.x),
            (dx, self.right - x1),
            (-dy, y1 - self.y),
            (dy, self.bottom - y1),
        ):
            if p == 0:
                if q < 0:
                    return False
                continue
            t = q / p
            if p < 0:
                low = max(low, t)
            else:
                high = min(high, t)
            if low > high:
                return False
        return True


@dataclass(frozen=True)
class Entity:
    """One entity of the figure: its graph key, words, type, rank and links."""

    key: str
    label: str
    kind: str
    rank: int  # 1 = most central
    degree: int
    bulletins: int


@dataclass(frozen=True)
class PlacedNode:
    entity: Entity
    x: float
    y: float
    r: float
    colour: str


@dataclass(frozen=True)
class PlacedLabel:
    key: str
    text: str  # the label, or the rank number when the words did not fit
    box: Box
    full: bool  # False: the rank number stands for the label


@dataclass(frozen=True)
class Figure:
    width: float
    height: float
    plot: Box  # nodes and labels stay inside
    legend: Box  # outside the plot
    nodes: tuple[PlacedNode, ...]
    edges: tuple[tuple[int, int], ...]  # indexes into nodes
    labels: tuple[PlacedLabel, ...]
    total: int  # entities in the briefing, drawn or not

    @property
    def numbered(self) -> list[Entity]:
        """Entities shown by their rank number only (the key lists them)."""
        shown = {label.key for label in self.labels if label.full}
        return [n.entity for n in self.nodes if n.entity.key not in shown]


def text_width(text: str, size: float = LABEL_SIZE) -> float:
    """A generous estimate of ``text``'s width: wide (CJK) characters count one em, others
    0.62 em (Noto Sans averages about 0.55), combining marks nothing."""
    width = 0.0
    for char in text:
        if unicodedata.combining(char):
            continue
        width += 1.0 if unicodedata.east_asian_width(char) in "WF" else 0.62
    return width * size


def _shorten(text: str, limit: int = MAX_LABEL) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def human_label(key: str, data: Mapping[str, Any]) -> str:
    """How a reader names the node ``key``: :func:`graph.display_label`, the one labelling
    function the workspace, its downloads and the briefings share."""
    return graph.display_label(key, data)


def top_entities(g: Any, limit: int = TOP_ENTITIES) -> list[Entity]:
    """The ``limit`` most central entities of ``g``: most distinct neighbours first, then
    most bulletins naming them, then by key (the same graph always gives the same list)."""
    simple = nx.Graph()
    simple.add_nodes_from(g.nodes)
    simple.add_edges_from((u, v) for u, v in g.edges() if u != v)
    ranked = sorted(
        g.nodes,
        key=lambda n: (-simple.degree(n), -len(g.nodes[n].get("mentions") or ()), str(n)),
    )
    return [
        Entity(
            key=str(node),
            label=human_label(str(node), g.nodes[node]),
            kind=str(g.nodes[node].get("type", "")),
            rank=rank,
            degree=simple.degree(node),
            bulletins=len(g.nodes[node].get("mentions") or ()),
        )
        for rank, node in enumerate(ranked[:limit], start=1)
    ]


def _positions(
    keys: list[str], edges: list[tuple[int, int]], seed: int
) -> list[tuple[float, float]]:
    """Spring layout in the unit square. A hidden hub pulls every node gently towards the
    middle, so that unconnected groups sit near each other instead of in far corners."""
    if len(keys) == 1:
        return [(0.5, 0.5)]
    layout_graph = nx.Graph()
    layout_graph.add_nodes_from(range(len(keys)))
    layout_graph.add_edges_from(edges, weight=1.0)
    hub = len(keys)
    layout_graph.add_edges_from(((hub, i) for i in range(len(keys))), weight=0.03)
    k = 1.2 / math.sqrt(len(keys))
    coords = nx.spring_layout(layout_graph, k=k, seed=seed, iterations=300)
    xs = [float(coords[i][0]) for i in range(len(keys))]
    ys = [float(coords[i][1]) for i in range(len(keys))]
    span_x, span_y = (max(xs) - min(xs)) or 1.0, (max(ys) - min(ys)) or 1.0
    return [((x - min(xs)) / span_x, (y - min(ys)) / span_y) for x, y in zip(xs, ys, strict=True)]


def spread(
    points: list[tuple[float, float]], area: Box, gap_x: float, gap_y: float, rounds: int = 60
) -> list[tuple[float, float]]:
    """Push apart nodes closer than ``gap_x`` across or ``gap_y`` down (labels are wide and
    short), keeping them inside ``area``; deterministic."""
    moved = [list(p) for p in points]
    for _ in range(rounds):
        shifted = False
        for i in range(len(moved)):
            for j in range(i + 1, len(moved)):
                dx = moved[j][0] - moved[i][0]
                dy = moved[j][1] - moved[i][1]
                # distance in units of the wanted gaps (an ellipse)
                d = math.hypot(dx / gap_x, dy / gap_y)
                if d >= 1.0:
                    continue
                shifted = True
                if d < 1e-6:
                    dx, dy, d = gap_x * 0.01 * (1 + i % 3), gap_y * 0.01 * (1 + j % 2), 0.01
                push = (1.0 - d) / 2 + 0.01
                ux, uy = dx / (d * gap_x) * gap_x, dy / (d * gap_y) * gap_y
                moved[i][0] -= ux * push
                moved[i][1] -= uy * push
                moved[j][0] += ux * push
                moved[j][1] += uy * push
        for point in moved:
            point[0] = min(max(point[0], area.x), area.right)
            point[1] = min(max(point[1], area.y), area.bottom)
        if not shifted:
            break
    return [(p[0], p[1]) for p in moved]


def _candidates(x: float, y: float, r: float, w: float, h: float) -> Iterable[Box]:
    """Where a label may go around its node, nearest first: right, left, above, below, the
    corners, then the same a little further out."""
    for gap in (3.0, 12.0, 26.0):
        d = r + gap
        yield Box(x + d, y - h / 2, w, h)
        yield Box(x - d - w, y - h / 2, w, h)
        yield Box(x - w / 2, y - d - h, w, h)
        yield Box(x - w / 2, y + d, w, h)
        yield Box(x + d * 0.7, y - d * 0.7 - h, w, h)
        yield Box(x + d * 0.7, y + d * 0.7, w, h)
        yield Box(x - d * 0.7 - w, y - d * 0.7 - h, w, h)
        yield Box(x - d * 0.7 - w, y + d * 0.7, w, h)


def place_labels(
    nodes: Sequence[PlacedNode],
    edges: Sequence[tuple[int, int]],
    plot: Box,
) -> list[PlacedLabel]:
    """Each node's label where it meets no node, no other label and no edge, inside ``plot``.

    The most central nodes choose first. A label that fits nowhere tries its shortened form,
    then the node's rank number alone (which may sit on an edge, never on a node or label).
    """
    node_boxes = [Box(n.x - n.r - 1, n.y - n.r - 1, 2 * n.r + 2, 2 * n.r + 2) for n in nodes]
    segments = [((nodes[a].x, nodes[a].y), (nodes[b].x, nodes[b].y)) for a, b in edges]
    placed: list[PlacedLabel] = []
    taken: list[Box] = []

    def free(box: Box, own: int, avoid_edges: bool) -> bool:
        if not box.inside(plot):
            return False
        if any(box.overlaps(other) for other in taken):
            return False
        if any(i != own and box.overlaps(b) for i, b in enumerate(node_boxes)):
            return False
        return not (avoid_edges and any(box.crosses(a, b) for a, b in segments))

    for index in sorted(range(len(nodes)), key=lambda i: nodes[i].entity.rank):
        node = nodes[index]
        tries: list[tuple[str, bool, bool]] = [
            (node.entity.label, True, True),
            (_shorten(node.entity.label, 18), True, True),
            (node.entity.label, True, False),
            (_shorten(node.entity.label, 18), True, False),
            (str(node.entity.rank), False, False),
        ]
        for text, full, avoid_edges in tries:
            w, h = text_width(text) + 2 * PAD, LINE + PAD
            box = next(
                (
                    b
                    for b in _candidates(node.x, node.y, node.r, w, h)
                    if free(b, index, avoid_edges)
                ),
                None,
            )
            if box is not None:
                placed.append(
                    PlacedLabel(node.entity.key, text, box, full and text == node.entity.label)
                )
                taken.append(box)
                break
    return placed


def lay_out(
    g: Any,
    *,
    limit: int = TOP_ENTITIES,
    width: float = 1000.0,
    height: float = 600.0,
    legend_width: float = 170.0,
    seed: int = 7,
) -> Figure | None:
    """The figure of ``g``'s ``limit`` most central entities; None for an empty graph."""
    if g.number_of_nodes() == 0:
        return None
    chosen = top_entities(g, limit)
    keys = [e.key for e in chosen]
    index = {key: i for i, key in enumerate(keys)}
    pairs = sorted(
        {
            (min(index[u], index[v]), max(index[u], index[v]))
            for u, v in g.edges()
            if u != v and u in index and v in index
        }
    )
    margin = 8.0
    plot = Box(margin, margin, width - legend_width - 2 * margin, height - 2 * margin)
    legend = Box(plot.right + margin, margin, legend_width - margin, height - 2 * margin)
    # Nodes keep clear of the plot's edges so that a label fits on either side.
    inset_x, inset_y = min(150.0, plot.w / 4), 30.0
    top_degree = max(e.degree for e in chosen) or 1
    cells = _cells(chosen, pairs)
    inner = Box(plot.x + inset_x, plot.y + inset_y, plot.w - 2 * inset_x, plot.h - 2 * inset_y)
    points = spread(
        [
            (inner.x + px * inner.w, inner.y + py * inner.h)
            for px, py in _positions(keys, pairs, seed)
        ],
        inner,
        gap_x=90.0,
        gap_y=40.0,
    )
    nodes = tuple(
        PlacedNode(
            entity=entity,
            x=x,
            y=y,
            r=4.5 + 6.5 * math.sqrt(entity.degree / top_degree),
            colour=PALETTE[min(cells[i], len(PALETTE) - 1)],
        )
        for i, (entity, (x, y)) in enumerate(zip(chosen, points, strict=True))
    )
    labels = tuple(place_labels(nodes, pairs, plot))
    return Figure(width, height, plot, legend, nodes, tuple(pairs), labels, g.number_of_nodes())


def _cells(chosen: Sequence[Entity], pairs: Sequence[tuple[int, int]]) -> list[int]:
    """Each node's connected group among the drawn ones, largest group first."""
    drawn = nx.Graph()
    drawn.add_nodes_from(range(len(chosen)))
    drawn.add_edges_from(pairs)
    groups = sorted(nx.connected_components(drawn), key=lambda c: (-len(c), min(c)))
    cell_of = {}
    for number, group in enumerate(groups):
        for member in group:
            cell_of[member] = number
    return [cell_of[i] for i in range(len(chosen))]


_SHAPE_KINDS = ("person", "account", "group", "phone", "email", "url", "location")


def _marker(kind: str, x: float, y: float, r: float, fill: str) -> str:
    paint = f'fill="{fill}" stroke="#222" stroke-width="0.8"'
    if kind in ("person", ""):
        return f'<circle cx="{x:.1f}" cy="{y:.1f}" r="{r:.1f}" {paint}/>'
    if kind == "account":
        return (
            f'<rect x="{x - r:.1f}" y="{y - r:.1f}" width="{2 * r:.1f}" height="{2 * r:.1f}" '
            f"{paint}/>"
        )
    corners = {
        "group": [(math.cos(a), math.sin(a)) for a in (i * math.pi / 3 for i in range(6))],
        "phone": [(0.0, -1.0), (1.0, 0.0), (0.0, 1.0), (-1.0, 0.0)],
        "email": [(0.0, -1.0), (1.0, 0.0), (0.0, 1.0), (-1.0, 0.0)],
        "url": [(0.0, -1.0), (0.9, 0.7), (-0.9, 0.7)],
        "location": [(0.0, 1.0), (0.9, -0.7), (-0.9, -0.7)],
    }.get(kind, [(0.0, -1.0), (1.0, 0.0), (0.0, 1.0), (-1.0, 0.0)])
    points = " ".join(f"{x + r * dx:.1f},{y + r * dy:.1f}" for dx, dy in corners)
    return f'<polygon points="{points}" {paint}/>'


def to_svg(
    figure: Figure,
    type_names: Mapping[str, str] = TYPE_NAMES,
    words: Mapping[str, str] = LEGEND_WORDS,
) -> str:
    """The figure as an SVG document, scaled to the width of its container; ``type_names``
    and ``words`` (keys of :data:`TYPE_NAMES` and :data:`LEGEND_WORDS`) in the reader's
    language."""
    w, h = figure.width, figure.height
    aria = escape(words["aria"], {'"': "&quot;"})
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {w:.0f} {h:.0f}" '
        f'width="{w:.0f}" height="{h:.0f}" font-family="{FONT}" font-size="{LABEL_SIZE}" '
        f'role="img" aria-label="{aria}">',
        '<g stroke="#8a8a8a" stroke-width="1">',
    ]
    for a, b in figure.edges:
        na, nb = figure.nodes[a], figure.nodes[b]
        parts.append(f'<line x1="{na.x:.1f}" y1="{na.y:.1f}" x2="{nb.x:.1f}" y2="{nb.y:.1f}"/>')
    parts.append("</g>")
    for node in figure.nodes:
        title = escape(f"{type_names.get(node.entity.kind, node.entity.kind)}: {node.entity.label}")
        parts.append(f"<g><title>{title}</title>")
        parts.append(_marker(node.entity.kind, node.x, node.y, node.r, node.colour))
        parts.append("</g>")
    for label in figure.labels:
        box = label.box
        weight = ' font-weight="bold"' if label.text.isdigit() else ""
        parts.append(
            f'<rect x="{box.x:.1f}" y="{box.y:.1f}" width="{box.w:.1f}" height="{box.h:.1f}" '
            'fill="#ffffff" fill-opacity="0.85"/>'
            f'<text x="{box.x + PAD:.1f}" y="{box.y + LABEL_SIZE:.1f}" fill="#111"{weight}>'
            f"{escape(label.text)}</text>"
        )
    parts.append(_legend(figure, type_names, words))
    parts.append("</svg>")
    return "\n".join(parts) + "\n"


def _wrapped(text: str, width: float, size: float) -> list[str]:
    """``text`` in lines no wider than ``width`` (a word longer than a line has its own)."""
    lines: list[str] = []
    for word in text.split():
        if lines and text_width(f"{lines[-1]} {word}", size) <= width:
            lines[-1] = f"{lines[-1]} {word}"
        else:
            lines.append(word)
    return lines


def _legend(figure: Figure, type_names: Mapping[str, str], words: Mapping[str, str]) -> str:
    box = figure.legend
    x0, y = box.x + 8, box.y + 16
    room = box.w - 16
    parts = [
        f'<g font-size="12"><rect x="{box.x:.1f}" y="{box.y:.1f}" width="{box.w:.1f}" '
        f'height="{box.h:.1f}" fill="#f6f8fa" stroke="#c8d0d8"/>',
    ]

    def lines(text: str, bold: bool = False, step: float = 16) -> None:
        nonlocal y
        weight = ' font-weight="bold"' if bold else ""
        for index, line in enumerate(_wrapped(text, room, 12)):
            y += step if index else 0
            parts.append(f'<text x="{x0:.1f}" y="{y:.1f}"{weight}>{escape(line)}</text>')

    lines(words["types"], bold=True)
    kinds = [k for k in _SHAPE_KINDS if any(n.entity.kind == k for n in figure.nodes)]
    for kind in kinds:
        y += 20
        parts.append(_marker(kind, x0 + 6, y - 4, 5.5, "#ffffff"))
        name = escape(type_names.get(kind, kind))
        parts.append(f'<text x="{x0 + 18:.1f}" y="{y:.1f}">{name}</text>')
    y += 30
    lines(words["size"], bold=True)
    y += 18
    lines(words["size_means"])
    y += 30
    lines(words["colour"], bold=True)
    y += 18
    lines(words["colour_means"])
    parts.append("</g>")
    return "".join(parts)
