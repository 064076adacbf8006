"""Bar charts of a briefing's executive summary, drawn as SVG on the server (no browser).

Labels are organisation codes, category names and months, escaped all the same.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence
from xml.sax.saxutils import escape

from markupsafe import Markup

BAR = "#1f4e79"
ROW = 22
LABEL_WIDTH = 190
WIDTH = 560


def _units(text: str) -> int:
    """Width in half-ems, about: two for a wide (CJK) letter, one for any other."""
    return sum(2 if unicodedata.east_asian_width(c) in "WF" else 1 for c in text)


def title_lines(title: str, width: int, size: int = 13) -> list[str]:
    """``title`` broken into lines that fit ``width`` pixels of bold text (between words; inside
    a run of CJK letters, which has no spaces, between letters): an SVG text never wraps."""
    limit = int(width / (size * 0.62))  # half-ems: bold Latin letters are about 0.56 em wide
    lines: list[str] = []
    line, used = "", 0
    for token in re.findall(r"\S+\s*", title):
        pieces = [token] if _units(token) <= limit else list(token)
        for piece in pieces:
            cost = _units(piece)
            if used + cost > limit and line.strip():
                lines.append(line.rstrip())
                line, used = "", 0
            line += piece
            used += cost
    if line.strip():
        lines.append(line.rstrip())
    return lines or [""]


def titled(title: str, width: int, height: int) -> tuple[str, int]:
    """The opening of a chart's SVG, its title wrapped, and the chart's whole height: the caller
    draws as if the title were one line, inside the group this opens (moved down by the
    title's other lines), and closes it with ``</g></svg>``."""
    lines = title_lines(title, width)
    extra = (len(lines) - 1) * 16
    total = height + extra
    quoted = escape(title, {'"': "&quot;"})
    spans = "".join(
        f'<tspan x="0" dy="{0 if n == 0 else 16}">{escape(line)}</tspan>'
        for n, line in enumerate(lines)
    )
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{total}" '
        f'viewBox="0 0 {width} {total}" role="img" aria-label="{quoted}">'
        f'<text x="0" y="16" font-size="13" font-weight="bold">{spans}</text>'
        f'<g transform="translate(0 {extra})">',
        total,
    )


def bar_chart(title: str, rows: Sequence[tuple[str, int]], empty: str = "None") -> Markup:
    """A horizontal bar chart: one bar per (label, count), longest bar full width; ``empty``
    is written when there is no row."""
    top = max((count for _, count in rows), default=0) or 1
    bar_space = WIDTH - LABEL_WIDTH - 50
    opening, _ = titled(title, WIDTH, 30 + ROW * max(len(rows), 1))
    parts = [opening]
    for index, (label, count) in enumerate(rows):
        y = 26 + index * ROW
        length = max(1.0, bar_space * count / top)
        parts.append(
            f'<text x="{LABEL_WIDTH - 8}" y="{y + 14}" font-size="11" '
            f'text-anchor="end">{escape(label)}</text>'
            f'<rect x="{LABEL_WIDTH}" y="{y + 3}" width="{length:.1f}" height="{ROW - 7}" '
            f'fill="{BAR}"/>'
            f'<text x="{LABEL_WIDTH + length + 6:.1f}" y="{y + 14}" font-size="11">{count}</text>'
        )
    if not rows:
        parts.append(f'<text x="0" y="42" font-size="11">{escape(empty)}</text>')
    parts.append("</g></svg>")
    return Markup("".join(parts))  # noqa: S704  (every text above is escaped)
