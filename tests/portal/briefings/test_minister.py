"""A briefing fit for a minister: the summary in words before the charts, a link graph laid out
for print, tables that never break a word, the watermark off the cover's text.

The layout functions are pure and tested directly; the PDF is rendered once for the module
(from opened bulletins made here, no database) and read back with poppler's tools.
"""

from __future__ import annotations

import re
import subprocess
from collections import Counter
from datetime import UTC, date, datetime
from pathlib import Path

import networkx as nx
import pytest
from flask import Flask
from PIL import Image

import graph
from portal.i18n import speaking
from portal.services.briefings import figure as figures
from portal.services.briefings.contents import (
    BriefedBulletin,
    BriefingContents,
    Heading,
    link_graph,
)
from portal.services.briefings.figure import Box, human_label, lay_out, place_labels
from portal.services.briefings.layout import Cover, briefing_html
from portal.services.briefings.pdf_renderer import Renderer, RenderLimits
from portal.services.briefings.summary import Previous, summarise
from portal.services.briefings.tables import needs_landscape
from portal.services.bulletins.content import (
    BulletinContent,
    Entity,
    EntityType,
    Platform,
    Relation,
    RelationType,
)
from portal.services.bulletins.reading import SealCheck
from tests.conftest import new_app, test_config
from tests.portal.briefings.pdf_text import page_texts

ARABIC = "أبو محمد الشامي"
WHEN = datetime(2026, 5, 2, 9, 30, tzinfo=UTC)


def _person(ref: str, name: str, **more: object) -> Entity:
    return Entity(ref=ref, type=EntityType.PERSON, value=name, **more)  # type: ignore[arg-type]


def _account(ref: str, handle: str) -> Entity:
    return Entity(ref=ref, type=EntityType.ACCOUNT, value=handle, platform=Platform.TELEGRAM)


def _bulletin(number: int, content: BulletinContent) -> BriefedBulletin:
    bid = f"{number:032x}"
    return BriefedBulletin(
        id=bid,
        version=1,
        sender_code="FR-MININT",
        sender_name="Ministère de l'Intérieur",
        category="recruitment",
        marking="TLP:AMBER",
        created_at=WHEN.replace(day=number),
        expires_at=None,
        content=content,
        seal=SealCheck("FR-MININT", 1, "12345 67890", WHEN, None, ()),
        payload_sha256="ab" * 32,
    )


def _bulletins() -> list[BriefedBulletin]:
    persons = [
        _person(
            f"p{i}",
            f"Person Number{i} Longfamilyname",
            aliases=(f"Abu Alias{i}", "Nom de Guerre"),
            transliterations=(ARABIC,),
            nationality="SY",
            date_of_birth=date(1999, 3, 11),
        )
        for i in range(14)
    ]
    accounts = [_account(f"a{i}", f"@channel_number_{i}") for i in range(14)]
    relations = [
        Relation(f"p{i}", RelationType.USES_ACCOUNT, f"a{(i + k) % 14}")
        for i in range(14)
        for k in range(2)
    ]
    travel = Entity(
        ref="t1",
        type=EntityType.TRAVEL,
        value="journey",
        traveller="p1",
        origin="Lyon",
        via=("Istanbul",),
        destination="Gaziantep",
        on=date(2026, 4, 20),
    )
    first = BulletinContent(
        title="Recruiters relaunch a channel",
        summary="Fourteen recruiters moved to new Telegram channels in April.",
        body="The channels were relaunched after a takedown.",
        entities=(*persons, *accounts, travel),
        relations=tuple(relations),
    )
    second = BulletinContent(
        title="Wide names in a second bulletin",
        summary="A facilitator with very long transliterations.",
        body="Seen in Lyon on 2 May.",
        entities=(
            _person(
                "w",
                "Facilitator",
                transliterations=("Abdelrahmanalqurashialhashimialbaghdadi" * 2,),
                date_of_birth=date(1988, 12, 31),
            ),
            _account("x", "@relaunch"),
        ),
        relations=(Relation("w", RelationType.USES_ACCOUNT, "x"),),
    )
    return [_bulletin(1, first), _bulletin(2, second)]


# --- pure layout -------------------------------------------------------------------------


def _graph(bulletins: list[BriefedBulletin]) -> object:
    g = link_graph(bulletins)
    assert g is not None
    return g


def test_labels_do_not_collide_with_labels_nodes_or_the_legend():
    g = _graph(_bulletins())
    figure = lay_out(g)
    assert figure is not None
    assert len(figure.nodes) == figures.TOP_ENTITIES < figure.total
    boxes = [label.box for label in figure.labels]
    for i, box in enumerate(boxes):
        assert box.inside(figure.plot)
        assert not any(box.overlaps(other) for other in boxes[i + 1 :])
    for node in figure.nodes:
        marker = Box(node.x - node.r, node.y - node.r, 2 * node.r, 2 * node.r)
        assert marker.inside(figure.plot) and not marker.overlaps(figure.legend)
        for label in figure.labels:
            if label.key != node.entity.key:
                assert not label.box.overlaps(marker), (label.text, node.entity.label)
    assert not figure.plot.overlaps(figure.legend)
    # Every drawn entity is named: in words beside it, or by its number in the key.
    assert {label.key for label in figure.labels} == {n.entity.key for n in figure.nodes}


def test_the_most_central_entities_are_drawn_first_and_named_in_words():
    g = _graph(_bulletins())
    top = figures.top_entities(g, 5)
    assert [e.rank for e in top] == [1, 2, 3, 4, 5]
    assert [e.degree for e in top] == sorted((e.degree for e in top), reverse=True)
    svg = figures.to_svg(lay_out(g))  # type: ignore[arg-type]
    assert "account:telegram" not in svg and "person:" not in svg
    assert "@channel_number_0 (Telegram)" in svg


def test_place_labels_falls_back_to_the_rank_number_in_a_crowd():
    entity = figures.Entity("k", "A label far too long to fit anywhere at all", "person", 3, 1, 1)
    crowd = [
        figures.PlacedNode(entity, 50, 50, 5, "#000"),
        *(
            figures.PlacedNode(
                figures.Entity(f"n{i}", "x", "person", 10 + i, 1, 1), 50 + dx, 50 + dy, 9, "#000"
            )
            for i, (dx, dy) in enumerate([(24, 0), (-24, 0), (0, 20), (0, -20)])
        ),
    ]
    labels = place_labels(crowd, [], Box(0, 0, 120, 100))
    assert labels[0].key == "k" and labels[0].text == "3" and not labels[0].full
    assert all(not a.box.overlaps(b.box) for i, a in enumerate(labels) for b in labels[i + 1 :])


def test_human_labels_are_words_not_graph_keys():
    g = nx.MultiDiGraph()
    g.add_node("location:raqqa", type="location", label="location:raqqa", mentions={})
    account = graph.Entity(ref="a", type="account", value="@abu_x", platform="telegram")
    phone = graph.Entity(ref="p", type="phone", value="+33 6 12 34 56 78")
    assert human_label("location:raqqa", g.nodes["location:raqqa"]) == "raqqa"
    data = {"type": "account", "label": "account:telegram:abu_x", "mentions": {"b": (account,)}}
    assert human_label("account:telegram:abu_x", data) == "@abu_x (Telegram)"
    data = {"type": "phone", "label": "phone:+33612345678", "mentions": {"b": (phone,)}}
    assert human_label("phone:+33612345678", data) == "+33 6 12 34 56 78"


def test_wide_tables_go_landscape_and_ordinary_ones_stay_portrait():
    first, second = _bulletins()
    assert first.content is not None and second.content is not None
    assert not needs_landscape(first.content)
    assert needs_landscape(second.content)


def test_summary_says_what_is_new_since_the_last_briefing_of_the_selection():
    bulletins = _bulletins()
    g = link_graph(bulletins)
    everything = summarise(bulletins, g, None)
    assert everything.new_links.total == 29 and len(everything.new_links.items) == 12
    assert everything.new_accounts.total == 15
    journey = everything.journeys.items[0]
    assert journey.traveller == "Person Number1 Longfamilyname"
    assert journey.route == "Lyon → Istanbul → Gaziantep" and journey.on == date(2026, 4, 20)
    since = Previous("c0ffee000000", WHEN, frozenset({bulletins[0].id}))
    new = summarise(bulletins, g, since)
    assert [(link.source, link.target) for link in new.new_links.items] == [
        ("Facilitator", "@relaunch (Telegram)")
    ]
    assert [a.label for a in new.new_accounts.items] == ["@relaunch (Telegram)"]
    assert [p.title for p in new.key_points] == [b.title for b in bulletins]


# --- the rendered PDF, once for the module -----------------------------------------------


def _briefing_html(
    app: Flask, bulletins: list[BriefedBulletin], language: str = "en", summary: str = ""
) -> str:
    """The briefing's HTML for ``bulletins`` in ``language``, as the portal makes it for the
    renderer (``summary``: the requester's own summary on the cover)."""
    g = link_graph(bulletins)
    contents = BriefingContents(
        bulletins=bulletins,
        summary=summarise(bulletins, g, None),
        figure=lay_out(g),
        by_category=Counter(b.category for b in bulletins),
        by_sender=Counter(b.sender_code for b in bulletins),
        by_month=Counter(b.created_at.strftime("%Y-%m") for b in bulletins),
    )
    heading = Heading(
        "0123456789ab", "Weekly brief", summary or "For the minister.", "TLP:AMBER",
        "Claire <claire@fr.example>", "FR-MININT", WHEN,
    )  # fmt: skip
    with app.app_context(), app.test_request_context(), speaking(language):
        return briefing_html(Cover(heading, "Ministère", "cd" * 32, 1, "1234"), contents)


@pytest.fixture(scope="module")
def briefing_app(tmp_path_factory: pytest.TempPathFactory, master_key: bytes) -> Flask:
    folder = tmp_path_factory.mktemp("minister-app")
    return new_app(test_config(f"sqlite:///{folder / 'unused.db'}", master_key, folder))


@pytest.fixture(scope="module")
def pdf(tmp_path_factory: pytest.TempPathFactory, briefing_app: Flask) -> tuple[Path, list[str]]:
    folder = tmp_path_factory.mktemp("minister")
    html = _briefing_html(briefing_app, _bulletins())
    renderer = Renderer(RenderLimits(timeout_s=300))
    try:
        rendered = renderer.render(html)
    finally:
        renderer.close()
    assert rendered.refused == ()
    path = folder / "minister.pdf"
    path.write_bytes(rendered.pdf)
    return path, page_texts(path)


def _page_sizes(path: Path) -> list[tuple[float, float]]:
    info = subprocess.run(
        ["pdfinfo", "-f", "1", "-l", "999", str(path)], capture_output=True, text=True, check=True
    ).stdout
    return [(float(w), float(h)) for w, h in re.findall(r"size:\s+([\d.]+) x ([\d.]+)", info)]


def _flat(text: str) -> str:
    return " ".join(text.split())


def _first(texts: list[str], words: str) -> int:
    return next(i for i, text in enumerate(texts) if words in _flat(text))


def test_the_summary_in_words_comes_before_the_charts(pdf):
    _, texts = pdf
    summary = _first(texts, "Key points")
    for words in (
        "Fourteen recruiters moved to new Telegram channels in April.",
        # (the watermark's letters may fall between words of a line in pdftotext's output)
        "Lyon → Istanbul",
        "Gaziantep, 20 Apr 2026",
        "People who travelled",
        "@relaunch (Telegram)",
    ):
        assert words in _flat(" ".join(texts[summary : summary + 2])), words
    assert summary < _first(texts, "Bulletins by category")
    assert summary < _first(texts, "Entity types")


def test_the_link_graph_is_on_a_landscape_page_in_words(pdf):
    path, texts = pdf
    sizes = _page_sizes(path)
    page = next(i for i, t in enumerate(texts) if "Entity types" in t)
    width, height = sizes[page]
    assert width > height  # landscape
    assert "@channel_number_" in texts[page]
    assert not any("account:telegram" in t or "person:0" in t for t in texts)
    assert sizes[0][0] < sizes[0][1]  # the cover stays portrait


def test_tables_never_break_names_dates_or_headings(pdf):
    path, texts = pdf
    whole = "\n".join(texts)
    # Dates as the reader's language writes them, each on one line.
    for word in ("Aliases", "Nationality", "Transliterations", "11 Mar 1999", "31 Dec 1988"):
        assert word in whole, word
    for broken in ("Aliase\n", "Nationalit\n", "11 Mar\n", "Longfamilynam\n", "Number1\n1"):
        assert not re.search(re.escape(broken).replace("\\\n", r"\s*\n"), whole), broken
    # Each line of a table is whole words: no word of the names ends a line cut in two.
    for line in whole.splitlines():
        assert not re.search(r"\b(Longfamil|Transliter|Nationa)\s*$", line), line
    # The bulletin whose table is too wide for portrait gets a landscape page.
    sizes = _page_sizes(path)
    wide = _first(texts, "Wide names in a second bulletin TLP:AMBER")
    assert sizes[wide][0] > sizes[wide][1]


def test_the_watermark_does_not_cross_the_covers_text(pdf, tmp_path):
    path, texts = pdf
    assert "For the minister." in texts[0]
    subprocess.run(
        ["pdftoppm", "-f", "1", "-l", "1", "-r", "40", "-png", str(path), str(tmp_path / "c")],
        check=True,
    )
    with Image.open(next(tmp_path.glob("c*.png"))) as image:
        rgb = image.convert("RGB")
    width, height = rgb.size
    margin = int(height * 30 / 297)  # below the header, above the footer
    pixels = rgb.load()

    def row_has(test, y: int) -> bool:
        return any(test(*pixels[x, y]) for x in range(width))

    def dark(r: int, g: int, b: int) -> bool:
        return r + g + b < 300

    def watermark_at(x: int, y: int) -> bool:
        """Light, bluer than grey, and not the edge of a darker blue text (the kicker)."""
        r, _, b = pixels[x, y]
        if not (r > 190 and b - r >= 8):
            return False
        near = [
            pixels[i, j]
            for i in range(max(0, x - 2), min(width, x + 3))
            for j in range(max(0, y - 2), min(height, y + 3))
        ]
        return all(p[0] > 150 for p in near)

    text_rows = [y for y in range(margin, height - margin) if row_has(dark, y)]
    mark_rows = [
        y for y in range(margin, height - margin) if any(watermark_at(x, y) for x in range(width))
    ]
    assert text_rows and mark_rows, "the cover has text and a watermark"
    assert min(mark_rows) > max(text_rows)


def test_every_page_is_marked_and_counted(pdf):
    _, texts = pdf
    for number, text in enumerate(texts, start=1):
        assert "TLP:AMBER" in text and f"Page {number} of {len(texts)}" in text
        assert "Copy 0123456789ab" in text


# --- the last briefing of the same selection, on both databases -------------------------


def test_previous_briefing_is_the_users_last_of_the_same_selection(app, desk):
    from sqlalchemy import select as sql_select

    from portal.extensions import db
    from portal.models import BriefingState, Bulletin
    from portal.services.briefings import copies
    from portal.services.briefings.selection import BriefingRequest, Source
    from portal.services.principals import Actor

    first, second = desk.post(title="First"), desk.post(title="Second")
    weekly = BriefingRequest(title="Weekly  Brief", source=Source.SELECTION, bulletin_ids=(first,))
    other = BriefingRequest(title="Other", source=Source.SELECTION, bulletin_ids=(first,))
    with app.app_context(), app.test_request_context():
        reader = desk.reader("fr.analyst")
        actor = Actor(reader.user_id)
        rows = {b.id: b for b in db.session.scalars(sql_select(Bulletin))}

        def start(request: BriefingRequest, ids: list[str]):  # type: ignore[no-untyped-def]
            return copies.start_copy(
                reader,
                actor,
                [rows[i] for i in ids],
                "TLP:AMBER",
                state=BriefingState.RENDERING,
                selection=copies.selection_key(request),
            )

        def done(copy) -> None:  # type: ignore[no-untyped-def]
            copies.finish_copy(
                copy.id, actor, pages=1, size=1, content_sha256="0", pdf_sha256="0", delivered=True
            )

        made = start(weekly, [first])
        done(made)
        failed = start(weekly, [first])
        copies.fail_copy(failed.id, actor, "no")
        start(other, [first])
        again = start(
            BriefingRequest(title="weekly brief", source=Source.SELECTION), [first, second]
        )
        previous = copies.previous_briefing(again)
        assert previous is not None and previous.copy_id == made.id
        assert previous.bulletin_ids == frozenset({first})
        assert copies.previous_briefing(made) is None  # the first of its selection
        # The selection is kept as a keyed digest, never as the words of the request.
        assert "weekly" not in str(copies.selection_key(weekly))
        # Another user's briefings of the same selection are not "the last briefing".
        de = desk.reader("de.analyst")
        theirs = copies.start_copy(
            de, Actor(de.user_id), [rows[first]], "TLP:AMBER",
            state=BriefingState.RENDERING, selection=copies.selection_key(weekly),
        )  # fmt: skip
        assert copies.previous_briefing(theirs) is None


def test_the_same_selection_is_the_same_filter_over_another_period_or_the_same_entity():
    from portal.services.briefings.selection import BriefingRequest, Source, selection_words
    from portal.services.bulletins.inbox import InboxQuery

    def words(**fields: object) -> dict[str, object]:
        return selection_words(BriefingRequest(title="t", **fields))  # type: ignore[arg-type]

    may = InboxQuery(sender="IT-MININT", since=date(2026, 5, 1), until=date(2026, 5, 31))
    june = InboxQuery(sender="IT-MININT", since=date(2026, 6, 1))
    assert words(source=Source.FILTER, inbox=may) == words(source=Source.FILTER, inbox=june)
    other = InboxQuery(sender="DE-BMI", since=date(2026, 6, 1))
    assert words(source=Source.FILTER, inbox=may) != words(source=Source.FILTER, inbox=other)
    assert words(source=Source.ENTITY, entity=" T.me/X ") == words(
        source=Source.ENTITY, entity="t.me/x"
    )
    assert words(source=Source.ENTITY, entity="t.me/x") != words(
        source=Source.FILTER, inbox=InboxQuery(entity="t.me/x")
    )


def test_the_briefings_tables_give_arabic_names_an_explicit_direction(briefing_app):
    """WeasyPrint ignores dir="auto" (it maps only ltr and rtl): the PDF's cells say which."""
    name = "عمر البهازي"
    content = BulletinContent(
        title="Recruiter",
        summary="A recruiter.",
        body="Seen.",
        entities=(_person("p", name), _account("a", "@media")),
        relations=(Relation("p", RelationType.USES_ACCOUNT, "a"),),
    )
    html = _briefing_html(briefing_app, [_bulletin(3, content)])
    name_cells = re.findall(r'<td dir="([a-z]+)"[^>]*>(?:<a [^>]*>)?' + name, html)
    assert len(name_cells) >= 3 and set(name_cells) == {"rtl"}  # persons, relations, figure
