"""Names in Arabic, Hebrew or Persian script stay right in every table: each cell takes its
direction from its own text (``dir="auto"``) and aligns to its start (``text-align: start``),
so an Arabic name sits on the right and a Latin one on the left of the same column."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from tests.portal.bulletins.sessions import Clients

ROOT = Path(__file__).resolve().parents[3]
CELL = re.compile(r"<t[dh](?=[\s>])[^>]*>")


def cells_without_direction() -> list[str]:
    return [
        f"{path.relative_to(ROOT)}: {cell}"
        for path in sorted((ROOT / "templates").rglob("*.html"))
        for cell in CELL.findall(path.read_text(encoding="utf-8"))
        if "dir=" not in cell
    ]


def test_every_table_cell_of_every_template_takes_its_direction_from_its_text():
    assert cells_without_direction() == []


@pytest.mark.parametrize(
    "sheet", ["portal/static/css/portal.css", "portal/static/briefing/briefing.css"]
)
def test_cells_align_to_the_start_of_their_own_direction(sheet):
    css = (ROOT / sheet).read_text(encoding="utf-8")
    rule = re.search(r"^th, td \{([^}]*)\}", css, re.M)
    assert rule is not None and "text-align: start" in rule.group(1)


def test_an_arabic_name_is_a_cell_of_its_own_direction_on_the_read_page(app, people, desk):
    entities = [
        {"ref": "p1", "type": "person", "value": "عمر البهازي", "role": "recruiter"},
        {"ref": "a1", "type": "account", "platform": "telegram", "value": "@example_media"},
    ]
    relations = [{"source": "p1", "type": "uses_account", "target": "a1"}]
    bulletin_id = desk.post(entities=entities, relations=relations)
    html = Clients(app, people)["fr.analyst"].get(f"/bulletins/{bulletin_id}").text
    assert re.search(r'<td dir="rtl">(<a [^>]*>)?عمر البهازي', html)
    # The Relations table's "From" cell holds the name itself, right to left like the Persons
    # table's (a cell holding only an element of its own direction would stay left to right).
    relations = html[html.index('id="relations-title"') :]
    assert re.search(r'<td dir="rtl">عمر البهازي</td>', relations)
    assert re.search(r'<li dir="auto">', relations)


def test_a_cells_direction_is_that_of_its_first_strong_character():
    from portal.text_direction import text_dir

    assert [text_dir(t) for t in ("عمر", "Omar", "2026-05-02", "", "@١٢ عمر", "123 Omar")] == [
        "rtl", "ltr", "auto", "auto", "rtl", "ltr",
    ]  # fmt: skip


def test_the_briefings_tables_give_arabic_names_an_explicit_direction(app):
    """WeasyPrint ignores dir="auto" (it maps only ltr and rtl): the PDF's cells say which."""
    from collections import Counter
    from datetime import UTC, datetime

    from portal.services.briefings.contents import (
        BriefedBulletin,
        BriefingContents,
        Heading,
        link_graph,
    )
    from portal.services.briefings.figure import lay_out
    from portal.services.briefings.layout import Cover, briefing_html
    from portal.services.briefings.summary import summarise
    from portal.services.bulletins.content import (
        BulletinContent,
        Entity,
        EntityType,
        Platform,
        Relation,
        RelationType,
    )
    from portal.services.bulletins.reading import SealCheck

    when = datetime(2026, 5, 2, 9, 30, tzinfo=UTC)
    name = "عمر البهازي"
    content = BulletinContent(
        title="Recruiter",
        summary="A recruiter.",
        body="Seen.",
        entities=(
            Entity(ref="p", type=EntityType.PERSON, value=name),
            Entity(ref="a", type=EntityType.ACCOUNT, value="@media", platform=Platform.TELEGRAM),
        ),
        relations=(Relation("p", RelationType.USES_ACCOUNT, "a"),),
    )
    bulletin = BriefedBulletin(
        id="0" * 32, version=1, sender_code="FR-MININT", sender_name="Ministère",
        category="recruitment", marking="TLP:AMBER", created_at=when, expires_at=None,
        content=content, seal=SealCheck("FR-MININT", 1, "12345", when, None, ()),
        payload_sha256="ab" * 32,
    )  # fmt: skip
    g = link_graph([bulletin])
    contents = BriefingContents(
        bulletins=[bulletin], summary=summarise([bulletin], g, None), figure=lay_out(g),
        by_category=Counter(), by_sender=Counter(), by_month=Counter(),
    )  # fmt: skip
    heading = Heading(
        "0123456789ab", "Brief", "", "TLP:AMBER", "Claire <c@fr.example>", "FR-MININT", when
    )
    with app.app_context(), app.test_request_context():
        html = briefing_html(Cover(heading, "Ministère", "cd" * 32, 1, "1234"), contents)
    name_cells = re.findall(r'<td dir="([a-z]+)"[^>]*>(?:<a [^>]*>)?' + name, html)
    assert len(name_cells) >= 3 and set(name_cells) == {"rtl"}  # persons, relations, figure
