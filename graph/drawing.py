"""A deterministic SVG drawing of a (small) link graph, for PDF briefings and downloads.

The layout is Fruchterman-Reingold from igraph's C core with a fixed seed, on
the nodes sorted by id, so the same graph always gives the same bytes. Node
colour is the community (cell), node shape the type, and a legend explains
both. Every text is XML-escaped: names and handles come from adversaries.
The drawing uses no external font or resource, so it renders on closed networks.

Draw an ego network or a cell, not a million nodes: :data:`MAX_DRAWN_NODES`
bounds the input.

Examples
--------
>>> import networkx as nx
>>> svg = to_svg(nx.MultiDiGraph([("a", "b"), ("b", "c")]), title="<Cell 1>")
>>> svg.startswith("<svg") and "&lt;Cell 1&gt;" in svg
True
>>> svg == to_svg(nx.MultiDiGraph([("b", "c"), ("a", "b")]), title="<Cell 1>")
True
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Mapping
from typing import Any, Final
from xml.sax.saxutils import escape, quoteattr

import igraph  # type: ignore[import-untyped]

from graph.accelerate import seeded_igraph
from graph.analytics import communities as find_communities
from graph.labels import display_label

__all__ = ["MAX_DRAWN_NODES", "PALETTE", "to_svg"]

MAX_DRAWN_NODES: Final[int] = 2_000
"""Largest graph :func:`to_svg` draws."""

PALETTE: Final[tuple[str, ...]] = (
    "#1f77b4",
    "#d62728",
    "#2ca02c",
    "#9467bd",
    "#ff7f0e",
    "#17becf",
    "#8c564b",
    "#e377c2",
    "#bcbd22",
    "#7f7f7f",
)
"""Community colours, in order of community size; the last repeats for smaller cells."""

_SHAPES: Final[dict[str, str]] = {
    "person": "circle",
    "account": "square",
    "group": "hexagon",
    "phone": "diamond",
    "email": "diamond",
    "url": "triangle",
    "location": "triangle-down",
    "bulletin": "square",
}


def _shape(kind: str, x: float, y: float, r: float, fill: str) -> str:
    shape = _SHAPES.get(kind, "circle")
    paint = f'fill="{fill}" stroke="#222" stroke-width="0.8"'
    if shape == "circle":
        return f'<circle cx="{x:.1f}" cy="{y:.1f}" r="{r:.1f}" {paint}/>'
    if shape == "square":
        box = f'x="{x - r:.1f}" y="{y - r:.1f}" width="{2 * r:.1f}" height="{2 * r:.1f}"'
        return f"<rect {box} {paint}/>"
    corners: list[tuple[float, float]] = {
        "hexagon": [(math.cos(a), math.sin(a)) for a in (i * math.pi / 3 for i in range(6))],
        "diamond": [(0, -1), (1, 0), (0, 1), (-1, 0)],
        "triangle": [(0, -1), (0.9, 0.7), (-0.9, 0.7)],
        "triangle-down": [(0, 1), (0.9, -0.7), (-0.9, -0.7)],
    }[shape]  # type: ignore[assignment]
    points = " ".join(f"{x + r * dx:.1f},{y + r * dy:.1f}" for dx, dy in corners)
    return f'<polygon points="{points}" {paint}/>'


def _layout(nodes: list[str], edges: list[tuple[int, int]], seed: int) -> list[tuple[float, float]]:
    if len(nodes) == 1:
        return [(0.0, 0.0)]
    layout_graph = igraph.Graph(n=len(nodes), edges=edges, directed=False)

    def run() -> Any:
        return layout_graph.layout_fruchterman_reingold(niter=500, grid=False)

    return [(float(x), float(y)) for x, y in seeded_igraph(seed, run).coords]


def _english_cell(number: int, nodes: int, smaller: bool) -> str:
    return f"cell {number} ({'or smaller ' if smaller else ''}{nodes} nodes)"


def to_svg(
    g: Any,
    *,
    cells: Iterable[Iterable[str]] | None = None,
    sizes: Mapping[str, float] | None = None,
    title: str | None = None,
    width: int = 960,
    height: int = 720,
    seed: int = 0,
    labels: bool = True,
    type_names: Mapping[str, str] | None = None,
    legend: Mapping[str, str] | None = None,
    cell_label: Callable[[int, int, bool], str] | None = None,
) -> str:
    """An SVG drawing of ``g``.

    Parameters
    ----------
    g : networkx graph
        A readable subgraph or view (an ego network, a cell).
    cells : iterable of iterable of str, optional
        Communities to colour by; computed with a fixed seed when omitted.
    sizes : mapping, optional
        A centrality per node; node area grows with it.
    title : str, optional
        Printed at the top.
    seed : int
        Layout seed.
    labels : bool
        Write node labels.
    type_names : mapping, optional
        The words for each node type (``person``...) in the reader's language; the type's own
        name when missing.
    legend : mapping, optional
        The legend's two headings, ``types`` and ``cells`` (English when missing).
    cell_label : callable, optional
        ``(number, nodes, and_smaller)`` to a cell's line in the legend (English when missing).

    Returns
    -------
    str
        A standalone SVG document.

    Raises
    ------
    ValueError
        When ``g`` has more than :data:`MAX_DRAWN_NODES` nodes.
    """
    nodes = sorted(g.nodes)
    if len(nodes) > MAX_DRAWN_NODES:
        raise ValueError(f"{len(nodes)} nodes is too many to draw; draw a cell or an ego network")
    index = {node: i for i, node in enumerate(nodes)}
    pairs = sorted(
        {(min(index[u], index[v]), max(index[u], index[v])) for u, v in g.edges() if u != v}
    )
    found = [sorted(c) for c in (cells if cells is not None else find_communities(g, seed=seed))]
    cell_of = {node: i for i, cell in enumerate(found) for node in cell}
    legend_width = 250  # room for the legend in longer languages ("cellule 8 et plus petites …")
    margin = 40
    top = 50 if title else 20
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
        f'viewBox="0 0 {width} {height}" font-family="sans-serif" font-size="10">',
        f'<rect width="{width}" height="{height}" fill="#ffffff"/>',
    ]
    if title:
        parts.append(
            f'<text x="{margin}" y="30" font-size="16" font-weight="bold">{escape(title)}</text>'
        )
    if nodes:
        coords = _layout(nodes, pairs, seed)
        xs, ys = [c[0] for c in coords], [c[1] for c in coords]
        span_x, span_y = (max(xs) - min(xs)) or 1.0, (max(ys) - min(ys)) or 1.0
        area_w, area_h = width - legend_width - 2 * margin, height - top - margin - 20
        points = [
            (margin + (x - min(xs)) / span_x * area_w, top + 10 + (y - min(ys)) / span_y * area_h)
            for x, y in coords
        ]
        top_size = max((sizes or {}).values(), default=0.0) or 1.0
        parts.append('<g stroke="#9a9a9a" stroke-width="0.8">')
        for a, b in pairs:
            (x1, y1), (x2, y2) = points[a], points[b]
            parts.append(f'<line x1="{x1:.1f}" y1="{y1:.1f}" x2="{x2:.1f}" y2="{y2:.1f}"/>')
        parts.append("</g>")
        for node, (x, y) in zip(nodes, points, strict=True):
            data = g.nodes[node]
            kind = str(data.get("type", ""))
            label = display_label(node, data)
            cell = cell_of.get(node)
            fill = PALETTE[min(cell, len(PALETTE) - 1)] if cell is not None else "#cccccc"
            weight = (sizes or {}).get(node, 0.0) / top_size
            radius = 5.0 + 9.0 * math.sqrt(max(weight, 0.0))
            named = (type_names or {}).get(kind, kind)
            parts.append(
                f"<g><title>{escape(f'{named}: {label}')}</title>{_shape(kind, x, y, radius, fill)}"
            )
            if labels:
                text = escape(label[:40])
                parts.append(
                    f'<text x="{x + radius + 2:.1f}" y="{y + 3:.1f}" fill="#111">{text}</text>'
                )
            parts.append("</g>")
    x0 = width - legend_width + 10
    headings = {"types": "Node types", "cells": "Cells", **(legend or {})}
    parts.append(
        f'<g font-size="11"><text x="{x0}" y="{top}" font-weight="bold">'
        f"{escape(headings['types'])}</text>"
    )
    kinds = sorted({str(g.nodes[n].get("type", "")) for n in nodes})
    y = top + 18
    for kind in kinds:
        parts.append(_shape(kind, x0 + 6, y - 4, 5, "#ffffff"))
        parts.append(
            f"<text x={quoteattr(str(x0 + 18))} y={quoteattr(str(y))}>"
            f"{escape((type_names or {}).get(kind, kind))}</text>"
        )
        y += 16
    y += 10
    parts.append(f'<text x="{x0}" y="{y}" font-weight="bold">{escape(headings["cells"])}</text>')
    y += 18
    line = cell_label or _english_cell
    for i, members in enumerate(found[: len(PALETTE)]):
        smaller = i == len(PALETTE) - 1 and len(found) > len(PALETTE)
        parts.append(f'<rect x="{x0}" y="{y - 9}" width="12" height="10" fill="{PALETTE[i]}"/>')
        parts.append(
            f'<text x="{x0 + 18}" y="{y}">{escape(line(i + 1, len(members), smaller))}</text>'
        )
        y += 16
    parts.append("</g></svg>")
    return "\n".join(parts) + "\n"
