"""The briefing's HTML, from opened bulletins: cover, contents, the executive summary in
words, the summary charts, the link graph on a landscape page, bulletins with their entities
(on landscape pages when their tables are too wide for portrait), and the appendix with the
verification data."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from babel.dates import format_skeleton
from flask import render_template
from flask_babel import get_locale, gettext
from flask_babel import lazy_gettext as _l
from markupsafe import Markup

from portal import safe_markdown
from portal.graph_words import type_names
from portal.services.briefings import figure as figures
from portal.services.briefings.charts import bar_chart
from portal.services.briefings.contents import BriefingContents, Heading
from portal.services.briefings.tables import needs_landscape
from portal.services.bulletins.content import RELATION_LABELS, Category, Marking

# The figure's words, in the language the briefing is rendered in (figure.py has no Flask).
# The relations the summary lists, in the words the read page uses.
RELATION_NAMES = RELATION_LABELS
LEGEND_WORDS = {
    "aria": _l("Link graph of the most connected entities"),
    "types": _l("Entity types"),
    "size": _l("Size"),
    "size_means": _l("links to other entities"),
    "colour": _l("Colour"),
    "colour_means": _l("entities linked together"),
}


@dataclass(frozen=True)
class Cover:
    heading: Heading
    org_name: str
    content_sha256: str
    signing_key_version: int
    signing_key_fingerprint: str


def _category(value: str) -> str:
    try:
        return Category(value).label
    except ValueError:
        return gettext("Unknown category")


def _month(value: str) -> str:
    """A "2026-05" month as the briefing's language writes it ("May 2026", "mai 2026")."""
    try:
        return format_skeleton(
            "yMMM", date.fromisoformat(f"{value}-01"), locale=get_locale() or "en"
        )
    except ValueError:
        return value


def _css_string(text: str) -> str:
    """``text`` as a CSS string's inside: quotes and backslashes escaped, and no ``<`` that
    could end the style element."""
    return text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", " ").replace("<", "\\3c ")


def page_header() -> Markup:
    """The running header's CSS ``content`` in the briefing's language ("Ischia briefing ·
    Page 3 of 10"): the translated words as CSS strings around the page counters."""
    text = gettext("Ischia briefing · Page %(page)s of %(pages)s", page="\x00", pages="\x01")
    inside = _css_string(text).replace("\x00", '" counter(page) "')
    inside = inside.replace("\x01", '" counter(pages) "')
    return Markup(f'"{inside}"')  # noqa: S704  (escaped for CSS above)


def briefing_html(cover: Cover, contents: BriefingContents) -> str:
    """The complete HTML document WeasyPrint renders."""
    bulletins = contents.bulletins
    heading = cover.heading
    charts = {
        "category": bar_chart(
            gettext("Bulletins by category"),
            [(_category(c), n) for c, n in sorted(contents.by_category.items())],
            empty=gettext("None"),
        ),
        "sender": bar_chart(
            gettext("Bulletins by sender"),
            sorted(contents.by_sender.items()),
            empty=gettext("None"),
        ),
        "month": bar_chart(
            gettext("Bulletins by month"),
            [(_month(m), n) for m, n in sorted(contents.by_month.items())],
            empty=gettext("None"),
        ),
    }
    names_of_types = type_names()
    words = {key: str(word) for key, word in LEGEND_WORDS.items()}
    figure_svg = (
        figures.to_svg(contents.figure, names_of_types, words)
        if contents.figure is not None
        else ""
    )
    bodies = {
        b.id: safe_markdown.render(b.content.body) for b in bulletins if b.content is not None
    }
    names = {
        b.id: {e.ref: e.value for e in b.content.entities}
        for b in bulletins
        if b.content is not None
    }
    return render_template(
        "briefings/briefing.html",
        title=heading.title,
        cover_note=heading.cover_note,
        marking=heading.marking,
        tlp=Marking(heading.marking),
        prepared_for=heading.prepared_for,
        org={"code": heading.org_code, "name": cover.org_name},
        created_at=heading.created_at,
        copy_id=heading.copy_id,
        content_sha256=cover.content_sha256,
        signing_key={
            "version": cover.signing_key_version,
            "fingerprint": cover.signing_key_fingerprint,
        },
        contents=contents,
        first_date=bulletins[0].created_at,
        last_date=bulletins[-1].created_at,
        charts=charts,
        figure=contents.figure,
        # figure.to_svg escapes every label and draws no external resource.
        figure_svg=Markup(figure_svg),  # noqa: S704
        type_names=names_of_types,
        page_header=page_header(),
        relation_names={kind: str(name) for kind, name in RELATION_NAMES.items()},
        bodies=bodies,
        names=names,
        landscape={b.id for b in bulletins if b.content is not None and needs_landscape(b.content)},
    )
