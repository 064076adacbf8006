"""The read page: marking, verification panel, content and entities as tables; versions and
tombstones; acknowledging once; read receipts for the sender only; hostile text stays inert."""

from __future__ import annotations

import re
from html.parser import HTMLParser

import pytest
from sqlalchemy import func, select

from portal import i18n
from portal.extensions import db
from portal.models import Acknowledgement, AuditRecord, ReadReceipt
from portal.services.bulletins import reading
from portal.services.principals import Actor
from tests.portal.bulletins.sessions import Clients, amend, retract
from tests.portal.bulletins.xss_corpus import XSS_CORPUS


@pytest.fixture
def clients(app, people, desk):
    return Clients(app, people)


def events(app, name: str) -> list[AuditRecord]:
    with app.app_context():
        return list(db.session.scalars(select(AuditRecord).where(AuditRecord.event == name)))


def acknowledgements(app, bulletin_id: str) -> int:
    with app.app_context():
        return db.session.scalar(
            select(func.count())
            .select_from(Acknowledgement)
            .where(Acknowledgement.bulletin_id == bulletin_id)
        )


def test_recipient_reads_with_verification_panel(app, desk, clients):
    bulletin_id = desk.post(title="Recruiter active on Telegram", marking="TLP:AMBER+STRICT")
    page = clients["fr.analyst"].get(f"/bulletins/{bulletin_id}")
    assert page.status_code == 200
    html = page.text
    # The marking comes first, in colour.
    assert html.index('class="tlp tlp-amber-strict">TLP:AMBER+STRICT') < html.index("<h1")
    assert '<h1 dir="auto">Recruiter active on Telegram</h1>' in html
    with app.app_context():
        reader = desk.reader("fr.analyst")
        seal = reading.read_bulletin(reader, Actor(reader.user_id), bulletin_id).seal
    assert "Verified: signed by IT-MININT" in html
    assert f'<code class="fingerprint">{seal.sender_fingerprint}</code>' in html
    with app.test_request_context():
        assert i18n.when(seal.signed_at, seconds=True) in html
    assert '<dd>version 1, fingerprint <code class="fingerprint">' in html
    assert 'role="alert"' not in html
    assert "<p>The channel <strong>moved</strong> on 3 March.</p>" in html
    assert "<caption>Persons</caption>" in html
    # Each entity links to its page, by an opaque reference (never the identifier).
    assert re.search(
        r'<td dir="ltr"><a href="/entities/[\w-]+" class="entity-link"[^>]*>Abu Example</a>', html
    )
    assert "<caption>Online accounts</caption>" in html and "@example_media" in html
    assert '<td dir="auto">Telegram</td>' in html and '<td dir="auto">telegram</td>' not in html
    assert "<caption>Phone numbers</caption>" in html and "+33612345678" in html
    relation = re.search(
        r"<tr><td dir=\"ltr\">(.*?)</td>\s*<td dir=\"auto\"><ul class=\"relation-list\">"
        r"<li dir=\"auto\">"
        r"<span class=\"relation-type\">uses account</span> (.*?)</li>",
        html,
    )
    assert relation and "Abu Example" in relation.group(1) and "@example_media" in relation.group(2)
    assert "Acknowledge: received and actioned by FR-MININT" in html


def test_every_entity_type_is_a_table_of_text(desk, clients):
    bulletin_id = desk.post(
        entities=[
            {
                "ref": "p1",
                "type": "person",
                "value": "أبو مثال",
                "aliases": ["Abu Mithal"],
                "transliterations": ["Abou Mithal"],
                "nationality": "SY",
                "date_of_birth": "1990-04-01",
                "role": "foreign_fighter",
            },
            {"ref": "a1", "type": "account", "platform": "x", "value": "https://x.com/mithal"},
            {"ref": "g1", "type": "group", "value": "Example Brigade", "country": "SY"},
            {"ref": "e1", "type": "email", "value": "courier@example.org"},
            {"ref": "u1", "type": "url", "value": "https://recruit.example.org/join"},
            {"ref": "l1", "type": "location", "value": "Gaziantep", "country": "TR"},
            {
                "ref": "t1",
                "type": "travel",
                "traveller": "p1",
                "origin": "Milano",
                "via": ["Istanbul", "Gaziantep"],
                "destination": "Raqqa",
                "on": "2025-05-02",
            },
        ],
        relations=[{"source": "p1", "type": "member_of", "target": "g1"}],
    )
    html = clients["de.analyst"].get(f"/bulletins/{bulletin_id}").text
    for caption in (
        "Persons",
        "Online accounts",
        "Groups",
        "E-mail addresses",
        "Web addresses (shown as text, never as links)",
        "Locations",
        "Travel",
    ):
        assert f"<caption>{caption}</caption>" in html
    assert re.search(r'<td dir="rtl"><a href="/entities/[\w-]+"[^>]*>أبو مثال</a></td>', html)
    assert "Abou Mithal" in html
    assert "foreign fighter" in html and "1 Apr 1990" in html  # as the reader writes dates
    assert '<code class="inert">https://recruit.example.org/join</code>' in html
    assert 'href="https://' not in html
    travel = re.search(r"<caption>Travel</caption>.*?</table>", html, re.S).group(0)
    for text in ("أبو مثال", "Milano", "Istanbul", "Gaziantep", "Raqqa", "2 May 2025"):
        assert text in travel
    assert re.search(
        r"<td dir=\"rtl\">أبو مثال</td>\s*<td dir=\"auto\"><ul class=\"relation-list\">.*?"
        r"<span class=\"relation-type\">member of</span> <span dir=\"ltr\">Example",
        html,
    )


def test_versions_link_to_each_other(desk, clients):
    first = desk.post(title="First version")
    second = amend(desk, first, title="Second version")
    html = clients["fr.analyst"].get(f"/bulletins/{second}").text
    assert "v2" in html and f'href="/bulletins/{first}"' in html
    old = clients["fr.analyst"].get(f"/bulletins/{first}").text
    assert "replaced by a newer version" in old and f'href="/bulletins/{second}"' in old


def test_tombstone_shows_its_state_and_no_content(desk, clients):
    bulletin_id = desk.post(title="Soon retracted", summary="Secret summary")
    retract(desk, bulletin_id)
    html = clients["fr.analyst"].get(f"/bulletins/{bulletin_id}").text
    assert "This bulletin was retracted on" in html
    for secret in ("Soon retracted", "Secret summary", "Abu Example", "Acknowledge:"):
        assert secret not in html


def test_reading_records_a_receipt_once_and_audits(app, desk, clients):
    bulletin_id = desk.post()
    for _ in range(2):
        assert clients["fr.analyst"].get(f"/bulletins/{bulletin_id}").status_code == 200
    with app.app_context():
        receipts = db.session.scalar(select(func.count()).select_from(ReadReceipt))
    assert receipts == 1
    reads = events(app, "bulletin.read")
    assert len(reads) == 2 and all(r.details["bulletin"] == bulletin_id for r in reads)


def test_acknowledge_once(app, desk, clients):
    bulletin_id = desk.post()
    fr = clients["fr.analyst"]
    done = fr.post(
        f"/bulletins/{bulletin_id}/acknowledge",
        data={"csrf_token": clients.token("fr.analyst")},
        follow_redirects=True,
    )
    assert done.status_code == 200
    assert "Acknowledged: received and actioned by FR-MININT." in done.text
    assert "Received and actioned by <strong>FR-MININT</strong>" in done.text
    assert "Acknowledge: received and actioned" not in done.text  # no second button
    again = clients["fr.officer"].post(
        f"/bulletins/{bulletin_id}/acknowledge",
        data={"csrf_token": clients.token("fr.officer")},
        follow_redirects=True,
    )
    assert "FR-MININT already acknowledged this bulletin on" in again.text
    assert acknowledgements(app, bulletin_id) == 1
    recorded = events(app, "bulletin.acknowledged")
    assert len(recorded) == 1 and recorded[0].details == {
        "bulletin": bulletin_id,
        "org": "FR-MININT",
    }


def test_the_sender_does_not_acknowledge_its_own_bulletin(app, desk, clients):
    bulletin_id = desk.post()
    page = clients["it.analyst"].post(
        f"/bulletins/{bulletin_id}/acknowledge",
        data={"csrf_token": clients.token("it.analyst")},
        follow_redirects=True,
    )
    assert "Your organisation sent this bulletin: only its recipients acknowledge it." in page.text
    assert acknowledgements(app, bulletin_id) == 0
    own = clients["it.analyst"].get(f"/bulletins/{bulletin_id}").text
    assert "Acknowledge: received" not in own


@pytest.mark.parametrize("who", ["uk.analyst", "platform"])
def test_outsiders_acknowledging_get_not_found(app, desk, clients, who):
    bulletin_id = desk.post(title="Not for outsiders")
    page = clients[who].post(
        f"/bulletins/{bulletin_id}/acknowledge", data={"csrf_token": clients.token(who)}
    )
    assert page.status_code == 404 and "Not for outsiders" not in page.text
    assert acknowledgements(app, bulletin_id) == 0


def test_acknowledging_needs_the_csrf_token(app, desk, clients):
    bulletin_id = desk.post()
    page = clients["fr.analyst"].post(f"/bulletins/{bulletin_id}/acknowledge")
    assert page.status_code == 400
    assert acknowledgements(app, bulletin_id) == 0


def test_receipts_are_shown_to_the_sender_only(desk, clients):
    bulletin_id = desk.post()
    clients["fr.analyst"].get(f"/bulletins/{bulletin_id}")
    clients["fr.analyst"].post(
        f"/bulletins/{bulletin_id}/acknowledge", data={"csrf_token": clients.token("fr.analyst")}
    )
    sender = clients["it.officer"].get(f"/bulletins/{bulletin_id}").text
    receipts = re.search(r'<section class="card receipts".*?</section>', sender, re.S).group(0)
    assert '<td dir="auto">FR-MININT</td><td dir="auto">Analyst</td>' in receipts
    assert "Received and actioned by <strong>FR-MININT</strong> (Analyst)" in sender
    other = clients["de.analyst"].get(f"/bulletins/{bulletin_id}").text
    assert "Read receipts" not in other and '<td dir="auto">Analyst</td>' not in other
    # Other recipients see that France acknowledged, not who in France did.
    assert "Received and actioned by <strong>FR-MININT</strong> on" in other


class _ActiveContent(HTMLParser):
    """Collects every tag or attribute that could run script or load something."""

    OWN = frozenset({("script", "/static/js/"), ("script", "/language/"), ("link", "/static/")})

    def __init__(self) -> None:
        super().__init__()
        self.found: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = dict(attrs)
        if tag in ("script", "link"):
            source = values.get("src") or values.get("href") or ""
            if not any(tag == t and source.startswith(p) for t, p in self.OWN):
                self.found.append(f"<{tag} {source}>")
        if tag in ("iframe", "svg", "object", "embed", "style", "base", "math", "img", "meta"):
            if not (tag == "meta" and set(values) <= {"charset", "name", "content"}):
                self.found.append(f"<{tag}>")
        action = values.get("action")
        if tag == "form" and action is not None and not action.startswith("/"):
            self.found.append(f"<form action={values.get('action')}>")
        for name, value in attrs:
            if name.startswith("on") or name in ("style", "srcdoc", "formaction"):
                self.found.append(f"{tag}[{name}]")
            if name in ("href", "src", "action") and value and not value.startswith(("/", "#")):
                self.found.append(f"{tag}[{name}={value}]")


def active_content(html: str) -> list[str]:
    parser = _ActiveContent()
    parser.feed(html)
    return parser.found


@pytest.mark.parametrize("payload", XSS_CORPUS)
def test_hostile_text_stays_inert_on_the_read_page_and_in_the_inbox(desk, clients, payload):
    bulletin_id = desk.post(
        title=payload[:200],
        summary=payload,
        body=payload,
        entities=[
            {"ref": "p1", "type": "person", "value": payload, "aliases": [payload]},
            {"ref": "a1", "type": "account", "platform": "other", "value": payload},
            {"ref": "g1", "type": "group", "value": payload},
            {"ref": "l1", "type": "location", "value": payload},
            {"ref": "t1", "type": "travel", "origin": payload, "destination": payload},
        ],
        relations=[{"source": "p1", "type": "member_of", "target": "g1"}],
    )
    fr = clients["fr.analyst"]
    for page in (fr.get(f"/bulletins/{bulletin_id}"), fr.get("/bulletins/")):
        assert page.status_code == 200
        assert active_content(page.text) == []
        # The portal's own scripts only: its script messages and portal.js.
        scripts = re.findall(r"<script\b[^>]*>", page.text)
        assert len(scripts) == 2 and all(' src="/' in tag for tag in scripts), scripts
        for marker in ("<iframe", "<svg", "<object", "<embed", "<style"):
            assert marker not in page.text.lower()
        if "{{7*7}}" in payload:
            assert "{{7*7}}" in page.text  # shown as typed, never evaluated


def test_the_inert_check_catches_active_markup():
    found = active_content(
        '<a href="javascript:alert(1)">x</a><img src=x onerror=alert(1)><svg onload=x>'
        '<p style="background:url(x)">y</p><script>alert(1)</script>'
    )
    assert len(found) >= 5
