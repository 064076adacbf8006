"""The inbox: titles decrypted for the reader's organisation only, filters, the sorting
allow-list, pages, the unread marker, counts, replaced versions and tombstones."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import select

from portal.extensions import db
from portal.models import Base
from portal.services.bulletins import inbox
from portal.services.bulletins.inbox import InboxQuery
from tests.portal.bulletins.sessions import Clients, amend, post_at, retract


@pytest.fixture
def clients(app, people, desk):
    return Clients(app, people)


def titles(html: str) -> list[str]:
    """The titles of the rows, in order (verified rows link their title)."""
    return re.findall(r'<a href="/bulletins/[0-9a-f]{32}" dir="auto">([^<]*)</a>', html)


def counts(html: str) -> tuple[int, int]:
    pattern = r"<strong>(\d+)</strong> bulletins? match(?:es)? · <strong>(\d+)</strong>"
    match = re.search(pattern, html)
    assert match, "no counts on the page"
    return int(match.group(1)), int(match.group(2))


def test_titles_are_decrypted_for_the_readers_organisation_only(desk, clients):
    desk.post(title="To France and Germany")
    desk.post(title="To the United Kingdom", recipients=("UK-HO",))
    desk.post("uk.officer", ("IT-MININT",), title="From London to Rome")
    fr = clients["fr.analyst"].get("/bulletins/")
    assert fr.status_code == 200
    assert titles(fr.text) == ["To France and Germany"]
    assert "United Kingdom" not in fr.text and "London" not in fr.text
    it = clients["it.analyst"].get("/bulletins/")
    assert sorted(titles(it.text)) == [
        "From London to Rome",
        "To France and Germany",
        "To the United Kingdom",
    ]


def test_received_sent_and_all(desk, clients):
    desk.post(title="Sent by Italy")
    desk.post("fr.officer", ("IT-MININT",), title="Sent by France")
    it = clients["it.analyst"]
    assert sorted(titles(it.get("/bulletins/").text)) == ["Sent by France", "Sent by Italy"]
    assert titles(it.get("/bulletins/?box=received").text) == ["Sent by France"]
    sent = it.get("/bulletins/?box=sent").text
    assert titles(sent) == ["Sent by Italy"] and "sent by us" in sent


def test_filters(desk, clients):
    day = datetime(2026, 3, 10, 12, 0, tzinfo=UTC)
    post_at(desk, day, title="Recruitment amber")
    post_at(
        desk,
        day + timedelta(days=5),
        title="Financing red",
        category="financing",
        marking="TLP:RED",
        entities=[{"ref": "m1", "type": "email", "value": "Cash.Courier@Example.org"}],
        relations=[],
    )
    post_at(desk, day + timedelta(days=9), "de.officer", recipients=("FR-MININT",), title="German")
    fr = clients["fr.analyst"]

    def shown(query: str) -> list[str]:
        page = fr.get(f"/bulletins/?{query}")
        assert page.status_code == 200, page.text
        return sorted(titles(page.text))

    assert shown("category=financing") == ["Financing red"]
    assert shown("marking=TLP%3ARED") == ["Financing red"]
    assert shown("sender=DE-BMI") == ["German"]
    assert shown("sender=IT-MININT") == ["Financing red", "Recruitment amber"]
    assert shown("since=2026-03-15") == ["Financing red", "German"]
    assert shown("until=2026-03-15") == ["Financing red", "Recruitment amber"]
    assert shown("since=2026-03-11&until=2026-03-15") == ["Financing red"]
    assert shown("since=2026-03-20") == []
    # An identifier typed another way reaches the same blind-index token.
    assert shown("entity=cash.courier%40example.org") == ["Financing red"]
    assert shown("entity=%2B33%20612%2034%2056%2078") == ["German", "Recruitment amber"]
    assert shown("entity=%40Example_Media") == ["German", "Recruitment amber"]
    assert shown("entity=abu+example") == ["German", "Recruitment amber"]
    assert shown("entity=%2B44%2020%207946%200000") == []
    assert shown("category=financing&sender=DE-BMI") == []


def test_sorting_by_each_allowed_column(desk, clients):
    day = datetime(2026, 1, 1, tzinfo=UTC)
    post_at(desk, day, title="A green", marking="TLP:GREEN", category="propaganda_promotion")
    post_at(desk, day + timedelta(days=1), title="B red", marking="TLP:RED", category="financing")
    post_at(
        desk, day + timedelta(days=2), "de.officer", recipients=("FR-MININT",), title="C clear",
        marking="TLP:CLEAR", category="recruitment",
    )  # fmt: skip
    fr = clients["fr.analyst"]

    def order(query: str) -> list[str]:
        return titles(fr.get(f"/bulletins/?{query}").text)

    assert order("") == ["C clear", "B red", "A green"]
    assert order("sort=date&order=asc") == ["A green", "B red", "C clear"]
    assert order("sort=marking&order=desc") == ["B red", "A green", "C clear"]
    assert order("sort=marking&order=asc") == ["C clear", "A green", "B red"]
    assert order("sort=category&order=asc") == ["B red", "A green", "C clear"]
    assert order("sort=sender&order=asc") == ["C clear", "B red", "A green"]
    assert order("sort=sender&order=desc") == ["B red", "A green", "C clear"]


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ("sort=title", "Choose one of: date, category, marking, sender."),
        ("sort=created_at%3B+DROP+TABLE+bulletins", "Choose one of: date, category, marking"),
        ("order=sideways", "Choose one of: desc, asc."),
        ("box=everything", "Choose one of: all, received, sent."),
        ("category=gossip", "Choose one of: recruitment,"),
        ("marking=TLP%3AWHITE", "Choose one of: TLP:CLEAR,"),
        ("sender=NOPE", "Choose one of: DE-BMI, FR-MININT, IT-MININT, UK-HO"),
        ("sender=PLATFORM-X", "Choose one of: DE-BMI, FR-MININT, IT-MININT, UK-HO"),
        ("since=2026-13-45", "A date as YYYY-MM-DD."),
        ("until=yesterday", "A date as YYYY-MM-DD."),
        ("since=2026-03-10&until=2026-03-01", "The end date is before the start date."),
        ("entity=" + "x" * 501, "Field cannot be longer than 500 characters."),
        ("unread=maybe", "Tick or untick the box."),
        ("versions=2", "Tick or untick the box."),
        ("page=0", "A page number from 1 to 100000."),
        ("page=-3", "A page number from 1 to 100000."),
        ("page=abc", "A page number from 1 to 100000."),
        ("page=" + "9" * 40, "A page number from 1 to 100000."),
    ],
)
def test_bad_filter_values_are_refused_with_a_message(desk, clients, query, message):
    desk.post(title="Must not be listed on an error page")
    page = clients["fr.analyst"].get(f"/bulletins/?{query}")
    assert page.status_code == 400
    assert message.replace("'", "&#39;") in page.text
    assert "Must not be listed" not in page.text


def test_pages_of_fifty_with_counts(app, desk, clients):
    start = datetime(2026, 2, 1, tzinfo=UTC)
    for i in range(inbox.PAGE_SIZE + 5):
        post_at(desk, start + timedelta(hours=i), title=f"Bulletin {i:03d}")
    fr = clients["fr.analyst"]
    first = fr.get("/bulletins/").text
    assert counts(first) == (55, 55)
    assert len(titles(first)) == 50 and titles(first)[0] == "Bulletin 054"
    assert "Page 1 of 2" in first and "page=2" in first
    second = fr.get("/bulletins/?page=2").text
    assert titles(second) == [f"Bulletin {i:03d}" for i in range(4, -1, -1)]
    assert "Page 2 of 2" in second
    beyond = fr.get("/bulletins/?page=3")
    assert beyond.status_code == 200 and titles(beyond.text) == []
    assert "No bulletins on this page" in beyond.text
    # Filters survive paging: the link to page 2 keeps them.
    filtered = fr.get("/bulletins/?category=recruitment&sort=date&order=asc").text
    assert "category=recruitment" in re.search(r'href="([^"]*page=2[^"]*)"', filtered).group(1)


def test_counts_stop_at_the_cap_and_paging_goes_on(desk, clients, monkeypatch):
    monkeypatch.setattr(inbox, "COUNT_CAP", 2)
    monkeypatch.setattr(inbox, "PAGE_SIZE", 1)
    for i in range(4):
        desk.post(title=f"Capped {i}")
    fr = clients["fr.analyst"]
    first = fr.get("/bulletins/").text
    assert "<strong>2+</strong> bulletins match · <strong>2+</strong> unread" in first
    assert "Page 1 of 2+" in first and "page=2" in first
    # Past the cap, counting goes one page further, so "Next" stays right to the end.
    third = fr.get("/bulletins/?page=3").text
    assert "<strong>3+</strong>" in third and "page=4" in third
    last = fr.get("/bulletins/?page=4").text
    assert "<strong>4</strong> bulletins match" in last and "Page 4 of 4" in last
    assert "page=5" not in last
    only_unread = fr.get("/bulletins/?unread=y").text
    assert "<strong>2+</strong> bulletins match · <strong>2+</strong> unread" in only_unread


def test_unread_marker_is_per_user(desk, clients):
    first = desk.post(title="First")
    desk.post(title="Second")
    analyst, officer = clients["fr.analyst"], clients["fr.officer"]
    assert counts(analyst.get("/bulletins/").text) == (2, 2)
    assert analyst.get(f"/bulletins/{first}").status_code == 200
    page = analyst.get("/bulletins/").text
    assert counts(page) == (2, 1)
    unread_rows = re.findall(r'<tr class="unread[^"]*">.*?dir="auto">([^<]*)</a>', page, re.S)
    assert unread_rows == ["Second"]
    assert titles(analyst.get("/bulletins/?unread=y").text) == ["Second"]
    assert counts(analyst.get("/bulletins/?unread=y").text) == (1, 1)
    # The officer of the same ministry has read nothing yet.
    assert counts(officer.get("/bulletins/").text) == (2, 2)


def test_replaced_versions_are_hidden_unless_asked(desk, clients):
    original = post_at(desk, datetime.now(UTC) - timedelta(days=1), title="Original version")
    amend(desk, original, title="Amended version", recipients=("FR-MININT",))
    fr = clients["fr.analyst"].get("/bulletins/").text
    assert titles(fr) == ["Amended version"] and "v2" in fr
    both = clients["fr.analyst"].get("/bulletins/?versions=y").text
    assert titles(both) == ["Amended version", "Original version"] and "replaced" in both
    # Germany cannot read the amendment, so the version it can read stays in its inbox.
    assert titles(clients["de.analyst"].get("/bulletins/").text) == ["Original version"]


def test_tombstones_show_their_state_and_no_title(desk, clients):
    gone = desk.post(title="Retracted secret title")
    desk.post(title="Still here")
    retract(desk, gone)
    page = clients["fr.analyst"].get("/bulletins/").text
    assert "Retracted secret title" not in page
    assert titles(page) == ["Still here"]
    assert 'class=" tombstone"' in page and "Retracted bulletin" in page
    # A tombstone cannot be read, so it is never counted as unread.
    assert counts(page) == (2, 1)


def test_platform_users_are_told_they_receive_no_bulletins(desk, clients):
    desk.post(title="Not for platforms")
    page = clients["platform"].get("/bulletins/")
    assert page.status_code == 200
    assert "Platform partners do not receive bulletins" in page.text
    assert "Not for platforms" not in page.text and "<table" not in page.text


def test_service_lists_nothing_for_a_platform(app, desk):
    desk.post()
    with app.app_context():
        page = inbox.inbox_page(desk.reader("platform"), InboxQuery())
        assert page.rows == [] and page.total == 0


def _rows_holding(needle: str) -> list[str]:
    """Every table and column whose stored value contains ``needle`` (as text or bytes)."""
    found = []
    with db.engine.connect() as connection:
        for table in Base.metadata.sorted_tables:
            for row in connection.execute(select(table)):
                for column, value in row._mapping.items():
                    raw = value if isinstance(value, bytes) else str(value).encode()
                    if needle.encode() in raw:
                        found.append(f"{table.name}.{column}")
    return found


def test_the_typed_identifier_is_not_stored(app, desk, clients):
    desk.post()  # names the phone +33 6 12 34 56 78
    number = "33612345678"
    response = clients["fr.analyst"].get("/bulletins/?entity=%2B" + number)
    # The filter was applied (the bulletin naming the number is found), and left no trace.
    assert response.status_code == 200 and counts(response.text)[0] == 1
    with app.app_context():
        assert _rows_holding(number) == []
        assert _rows_holding("612345678") == []
        # The scan itself finds what is stored in clear: the reader's e-mail, in the audit.
        assert _rows_holding("analyst@fr.example")
        engine = db.engine
    if engine.dialect.name == "sqlite":
        # And in no page of the database file or its write-ahead log, live or freed.
        path = Path(engine.url.database or "")
        files = [f for f in (path, path.with_name(path.name + "-wal")) if f.exists()]
        assert files
        for file in files:
            assert number.encode() not in file.read_bytes()


def test_the_last_day_of_the_calendar_is_a_filter_not_an_error(clients):
    response = clients["fr.analyst"].get("/bulletins/?until=9999-12-31&since=0001-01-01")
    assert response.status_code == 200
