"""The read page's comments and sightings: listed under the bulletin with organisation,
author, time, version and signature state; the form adds one or answers 4xx with the message
next to the field and nothing written; other organisations get a 404."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from sqlalchemy import func, select

from portal.extensions import db
from portal.models import BulletinComment
from tests.portal.bulletins.sessions import Clients, amend, retract


@pytest.fixture
def clients(app, people, desk):
    return Clients(app, people)


def count(app) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(BulletinComment)) or 0


def send(clients, who, bulletin_id, **data):
    return clients[who].post(
        f"/bulletins/{bulletin_id}/comments", data={"csrf_token": clients.token(who), **data}
    )


def test_a_comment_and_a_sighting_from_the_read_page(app, desk, clients):
    bid = desk.post()
    page = clients["fr.analyst"].get(f"/bulletins/{bid}").text
    assert "Comments and sightings (0)" in page and 'name="kind" value="sighting"' in page
    added = send(clients, "fr.analyst", bid, kind="comment", text="Seen in <b>Lyon</b>")
    assert added.status_code == 302 and added.location.endswith(f"/bulletins/{bid}#comments")
    sighted = send(
        clients, "de.officer", bid, kind="sighting", entity="t1", place="Marseille",
        country="fr", seen_on="2026-05-02", note="",
    )  # fmt: skip
    assert sighted.status_code == 302
    page = clients["it.officer"].get(f"/bulletins/{bid}").text
    assert "Seen in &lt;b&gt;Lyon&lt;/b&gt;" in page  # escaped
    assert "in Marseille (FR) on" in page and "+33612345678" in page
    assert page.count("signature verified") == 2
    assert page.index("Seen in &lt;b&gt;") < page.index("in Marseille")  # newest last
    assert "FR-MININT" in page and "DE-BMI" in page and "on v1" in page
    # Another ministry: no page, no comments, and no way to add one.
    assert clients["uk.analyst"].get(f"/bulletins/{bid}").status_code == 404
    assert send(clients, "uk.analyst", bid, kind="comment", text="x").status_code == 404
    assert count(app) == 2


@pytest.mark.parametrize(
    ("data", "field", "message"),
    [
        ({"kind": "comment", "text": "  "}, "text", "This field is required."),
        ({"kind": "sighting", "entity": "zz", "place": "Lyon", "seen_on": "2026-01-01"},
         "entity", "The bulletin names no such entity."),
        ({"kind": "sighting", "entity": "t1", "place": "Lyon",
          "seen_on": (date.today() + timedelta(days=3)).isoformat()},
         "seen_on", "cannot be in the future"),
        ({"kind": "sighting", "entity": "t1", "place": "Lyon", "seen_on": "2026-01-01",
          "country": "F1"}, "country", "ISO 3166"),
        ({"kind": "sighting", "entity": "t1", "place": "Hamburg", "seen_on": "2026-01-01",
          "country": "Germany"}, "country", "ISO 3166"),
        # A name longer than a code is told what a code is, not how long it may be.
        ({"kind": "sighting", "entity": "t1", "place": "Hamburg", "seen_on": "2026-01-01",
          "country": "Deutschland"}, "country", "ISO 3166"),
    ],
)  # fmt: skip
def test_bad_input_is_shown_next_to_its_field(app, desk, clients, data, field, message):
    bid = desk.post()
    answer = send(clients, "fr.analyst", bid, **data)
    assert answer.status_code == 400
    assert f'id="comment-{field}-error"' in answer.text and message in answer.text
    assert count(app) == 0


def test_a_form_without_its_csrf_token_writes_nothing(app, desk, clients):
    bid = desk.post()
    answer = clients["fr.analyst"].post(f"/bulletins/{bid}/comments", data={"text": "x"})
    assert answer.status_code == 400
    assert count(app) == 0


def test_a_retracted_bulletin_offers_no_form_and_refuses_a_comment(app, desk, clients):
    bid = desk.post()
    token = clients.token("fr.analyst")
    retract(desk, bid)
    page = clients["fr.analyst"].get(f"/bulletins/{bid}").text
    assert "takes no new comments" in page and "Add comment" not in page
    answer = clients["fr.analyst"].post(
        f"/bulletins/{bid}/comments", data={"csrf_token": token, "text": "late"}
    )
    assert answer.status_code == 409 and "retracted" in answer.text
    assert count(app) == 0


def test_comments_of_an_amended_bulletin_say_their_version(app, desk, clients):
    first = desk.post()
    send(clients, "fr.analyst", first, kind="comment", text="On the first version")
    second = amend(desk, first)
    page = clients["fr.analyst"].get(f"/bulletins/{second}").text
    assert "On the first version" in page and "on v1" in page
    old = clients["fr.analyst"].get(f"/bulletins/{first}").text
    assert "replaced by a newer version" in old and "Add comment" not in old


def test_the_comments_address_leads_back_to_the_comments(desk, clients):
    """After a refused form the address bar holds /comments: reloading it is no dead end."""
    bid = desk.post()
    again = clients["fr.analyst"].get(f"/bulletins/{bid}/comments")
    assert again.status_code == 302 and again.location == f"/bulletins/{bid}#comments"
    assert clients["uk.analyst"].get(f"/bulletins/{bid}/comments").status_code == 404


def test_the_sighting_form_names_entities_in_words(desk, clients):
    html = clients["fr.analyst"].get(f"/bulletins/{desk.post()}").text
    assert ">@example_media (Telegram account)</option>" in html
    assert ">+33612345678 (phone number)</option>" in html
    assert ">Abu Example (person)</option>" in html
