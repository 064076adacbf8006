"""Bar charts of a briefing's executive summary, drawn as SVG on the server (no browser).

Labels are organisation codes, category names and months, escaped all the same.
"""

from __future__ import annotations

from collections.abc import Sequence
from xml.sax.saxutils import escape

from markupsafe import Markup

BAR = "#1f4e79"
ROW = 22
LABEL_WIDTH = 190
WIDTH = 560


def bar_chart(title: str, rows: Sequence[tuple[str, int]], empty: str = "None") -> Markup:
    """A horizontal bar chart: one bar per (label, count), longest bar full width; ``empty``
    is written when there is no row."""
    top = max((count for _, count in rows), default=0) or 1
    bar_space = WIDTH - LABEL_WIDTH - 50
    height = 30 + ROW * max(len(rows), 1)
    quoted = escape(title, {'"': "&quot;"})
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{WIDTH}" height="{height}" '
        f'viewBox="0 0 {WIDTH} {height}" role="img" aria-label="{quoted}">',
        f'<text x="0" y="16" font-size="13" font-weight="bold">{escape(title)}</text>',
    ]
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
    parts.append("</svg>")
    return Markup("".join(parts))  # noqa: S704  (every text above is escaped)
