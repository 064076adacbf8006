"""The briefing's HTML, from opened bulletins: cover, contents, the executive summary in
words, the summary charts, the link graph on a landscape page, bulletins with their entities
(on landscape pages when their tables are too wide for portrait), and the appendix with the
verification data."""

from __future__ import annotations

from dataclasses import dataclass

from flask import render_template
from markupsafe import Markup

from portal import safe_markdown
from portal.services.briefings import figure as figures
from portal.services.briefings.charts import bar_chart
from portal.services.briefings.contents import BriefingContents, Heading
from portal.services.briefings.tables import needs_landscape
from portal.services.bulletins.content import Category, Marking


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
        return "Unknown category"


def briefing_html(cover: Cover, contents: BriefingContents) -> str:
    """The complete HTML document WeasyPrint renders."""
    bulletins = contents.bulletins
    heading = cover.heading
    charts = {
        "category": bar_chart(
            "Bulletins by category",
            [(_category(c), n) for c, n in sorted(contents.by_category.items())],
        ),
        "sender": bar_chart("Bulletins by sender", sorted(contents.by_sender.items())),
        "month": bar_chart("Bulletins by month", sorted(contents.by_month.items())),
    }
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
        figure_svg=Markup(contents.figure_svg or ""),  # noqa: S704
        type_names=figures.TYPE_NAMES,
        bodies=bodies,
        names=names,
        landscape={b.id for b in bulletins if b.content is not None and needs_landscape(b.content)},
    )
