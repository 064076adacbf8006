"""The transparency charts, drawn as SVG on the server for the pages and the PDF alike.

Presentation attributes only (no ``style``, no script, no external resource), so the pages'
Content Security Policy and the PDF's fetcher have nothing to refuse. Every text is escaped.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from xml.sax.saxutils import escape

from babel import dates, numbers
from flask_babel import gettext
from flask_babel import lazy_gettext as _l
from markupsafe import Markup

from portal.i18n import current_language, day
from portal.services.briefings.charts import bar_chart, titled
from portal.services.transparency.figures import Figures, Group, categories

WIDTH = 640
PALETTE = ("#1f4e79", "#c0504d", "#9bbb59", "#8064a2", "#4bacc6", "#f79646", "#7f7f7f")
P50, P90 = "#1f4e79", "#9dc3e6"


# The categories' words, as the refer form names them (portal.referrals.refer_forms).
_CATEGORY_WORDS = {
    "recruitment": _l("Recruitment"),
    "incitement": _l("Incitement"),
    "attack_instructions": _l("Instructions for attacks"),
    "weapons_manual": _l("Weapons or explosives manual"),
    "propaganda": _l("Glorification or propaganda"),
    "financing": _l("Financing"),
    "other": _l("Other"),
}


def label(category: str) -> str:
    """A category's words in the reader's language (its code, made readable, if it has none)."""
    word = _CATEGORY_WORDS.get(category)
    return str(word) if word is not None else category.replace("_", " ").capitalize()


def _hours(seconds: float) -> str:
    text = numbers.format_decimal(seconds / 3600, "0.00", locale=current_language())
    return str(gettext("%(hours)s h", hours=text))


def weekly(f: Figures) -> Markup:
    """Items referred per UTC week, stacked by category, with a legend."""
    names = categories()
    weeks = f.weeks
    top = max((f.week_total(w) for w in weeks), default=0) or 1
    left, right, plot_top, plot_height = 40, 10, 30, 180
    slot = (WIDTH - left - right) / max(len(weeks), 1)
    bar = max(2.0, slot * 0.7)
    # Two categories a legend row: their words are long in some languages.
    legend_rows = (len(names) + 1) // 2
    height = plot_top + plot_height + 40 + legend_rows * 16
    title = gettext(
        "Items referred per week (UTC, Monday to Sunday), %(period)s", period=f.period.label
    )
    opening, _ = titled(title, WIDTH, height)
    parts = [
        opening,
        f'<line x1="{left}" y1="{plot_top + plot_height}" x2="{WIDTH - right}" '
        f'y2="{plot_top + plot_height}" stroke="#555" stroke-width="1"/>',
        f'<text x="{left - 6}" y="{plot_top + 8}" font-size="10" text-anchor="end">{top}</text>',
        f'<text x="{left - 6}" y="{plot_top + plot_height}" font-size="10" '
        'text-anchor="end">0</text>',
    ]
    every = max(1, len(weeks) // 8)
    for index, monday in enumerate(weeks):
        x = left + index * slot + (slot - bar) / 2
        y: float = plot_top + plot_height
        for number, category in enumerate(names):
            count = f.per_week.get((monday, category), 0)
            if not count:
                continue
            h = plot_height * count / top
            y -= h
            parts.append(
                f'<rect x="{x:.1f}" y="{y:.1f}" width="{bar:.1f}" height="{h:.1f}" '
                f'fill="{PALETTE[number % len(PALETTE)]}">'
                f"<title>{escape(_tip(monday, count, category))}</title>"
                "</rect>"
            )
        if index % every == 0:
            parts.append(
                f'<text x="{x + bar / 2:.1f}" y="{plot_top + plot_height + 14}" font-size="9" '
                f'text-anchor="middle">{escape(_short_day(monday))}</text>'
            )
    for number, category in enumerate(names):
        lx = left + (number % 2) * 290
        ly = plot_top + plot_height + 30 + (number // 2) * 16
        parts.append(
            f'<rect x="{lx}" y="{ly - 9}" width="10" height="10" '
            f'fill="{PALETTE[number % len(PALETTE)]}"/>'
            f'<text x="{lx + 14}" y="{ly}" font-size="10">{escape(label(category))}</text>'
        )
    parts.append("</g></svg>")
    return Markup("".join(parts))  # noqa: S704  (every text above is escaped)


def _tip(monday: date, count: int, category: str) -> str:
    return str(
        gettext(
            "Week of %(day)s: %(count)s, %(category)s",
            day=day(monday),
            count=count,
            category=label(category),
        )
    )


def _short_day(monday: date) -> str:
    return str(dates.format_skeleton("MMMd", monday, locale=current_language()))


def outcomes(f: Figures) -> Markup:
    """Items by where they stand: actioned, no action, already gone, exits, open."""
    rows = [(group.short, f.by_group[group]) for group in Group]
    return bar_chart(gettext("Items by outcome (the tables give the definitions)"), rows)


def timings(f: Figures) -> Markup:
    """p50 and p90 time to action per platform, in hours, on one scale."""
    rows = [(t.platform, t.p50 or 0.0, t.p90 or 0.0) for t in f.timings]
    return paired_bars(gettext("Time to first decision per platform (hours): p50 and p90"), rows)


def paired_bars(title: str, rows: Sequence[tuple[str, float, float]]) -> Markup:
    label_width, row = 150, 34
    top = max((max(a, b) for _, a, b in rows), default=0.0) or 1.0
    space = WIDTH - label_width - 90
    height = 46 + row * max(len(rows), 1)
    median = escape(gettext("p50 (median)"))
    opening, _ = titled(title, WIDTH, height)
    parts = [
        opening,
        f'<rect x="{label_width}" y="24" width="10" height="10" fill="{P50}"/>'
        f'<text x="{label_width + 14}" y="33" font-size="10">{median}</text>'
        f'<rect x="{label_width + 110}" y="24" width="10" height="10" fill="{P90}"/>'
        f'<text x="{label_width + 124}" y="33" font-size="10">p90</text>',
    ]
    for index, (name, p50, p90) in enumerate(rows):
        y = 42 + index * row
        parts.append(
            f'<text x="{label_width - 8}" y="{y + 16}" font-size="11" '
            f'text-anchor="end">{escape(name)}</text>'
        )
        for offset, (value, colour) in enumerate(((p50, P50), (p90, P90))):
            length = max(1.0, space * value / top)
            by = y + 3 + offset * 13
            parts.append(
                f'<rect x="{label_width}" y="{by}" width="{length:.1f}" height="11" '
                f'fill="{colour}"/>'
                f'<text x="{label_width + length + 5:.1f}" y="{by + 10}" font-size="10">'
                f"{escape(_hours(value))}</text>"
            )
    if not rows:
        none = escape(gettext("No decisions in this period."))
        parts.append(f'<text x="0" y="58" font-size="11">{none}</text>')
    parts.append("</g></svg>")
    return Markup("".join(parts))  # noqa: S704  (every text above is escaped)


def all_charts(f: Figures) -> dict[str, Markup]:
    return {"weekly": weekly(f), "outcomes": outcomes(f), "timings": timings(f)}
