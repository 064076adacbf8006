"""The pages that lead to the work: the dashboard as the officer's desk, counts in the menu,
the read page's actions and discovery, what an amendment changed, outgoing access requests,
and a missing bulletin's 404."""

from __future__ import annotations

import re

from portal.services.bulletins import acknowledgements, changes, inbox, reading
from portal.services.bulletins.access import visible_bulletin
from portal.services.discovery import access_requests, hits
from portal.services.principals import Actor
from tests.portal.bulletins.sessions import amend
from tests.portal.conftest import csrf_token

ACCOUNT = {"ref": "a1", "type": "account", "platform": "telegram", "value": "@desk_media"}


def count_on(html: str, name: str) -> int:
    found = re.search(rf'data-count="{name}">([\d,+]+)<', html)
    assert found, f"no {name} count on the page"
    return int(found.group(1).replace(",", "").rstrip("+"))


def menu_count(html: str, label: str) -> int | None:
    found = re.search(rf">{label} <span class=\"nav-count\" data-nav-count>(\d+)", html)
    return int(found.group(1)) if found else None


def test_desk_counts_leave_out_what_the_organisation_sent_and_follow_reading(app, desk):
    sent = desk.post("it.officer", ["FR-MININT"], title="Ours")
    received = desk.post("fr.officer", ["IT-MININT"], title="Theirs")
    with app.app_context():
        it = desk.reader("it.officer")
        before = inbox.desk_counts(it)
        page = inbox.inbox_page(it, inbox.InboxQuery())
        rows = {row.id: row for row in page.rows}
        assert not rows[sent].unread and rows[received].unread
        unread_only = inbox.inbox_page(it, inbox.InboxQuery(unread=True))
        assert sent not in {row.id for row in unread_only.rows}
    with app.app_context():
        reading.read_bulletin(it, Actor(it.user_id), received)
        after_reading = inbox.desk_counts(it)
        acknowledgements.acknowledge(it, Actor(it.user_id), received)
        after_ack = inbox.desk_counts(it)
    assert after_reading.unread == before.unread - 1
    assert after_reading.unacknowledged == before.unacknowledged
    assert after_ack.unacknowledged == before.unacknowledged - 1


def test_the_dashboard_and_the_menu_show_what_waits(app, client, auth, desk):
    hidden = desk.post("it.officer", ["DE-BMI"], title="Hidden", entities=[ACCOUNT], relations=[])
    readable = desk.post(
        "it.officer", ["FR-MININT"], title="Shared", entities=[ACCOUNT], relations=[]
    )
    with app.app_context():
        fr = desk.reader("fr.officer")
        access_requests.ask_about_entity(fr, Actor(fr.user_id), readable, "a1", "IT-MININT")
        expected = inbox.desk_counts(fr)
    assert expected.unread >= 1 and hidden

    auth.sign_in("officer@fr.example")
    home = client.get("/").text
    assert count_on(home, "unread") == expected.unread
    assert count_on(home, "unacknowledged") == expected.unacknowledged
    assert menu_count(home, "Inbox") == min(expected.unread, 100)
    assert "Shared" in home  # listed under "Unread, newest first"
    assert "Pending</span> by IT-MININT" in home  # our own request and its answer

    auth.sign_in("officer@it.example")
    home = client.get("/").text
    assert count_on(home, "requests") >= 1
    assert menu_count(home, "Access requests") == count_on(home, "requests")
    assert "Shared" in home  # "Lately from IT-MININT"


def test_outgoing_requests_have_their_own_tab(app, client, auth, desk):
    desk.post("it.officer", ["DE-BMI"], title="Hidden", entities=[ACCOUNT], relations=[])
    readable = desk.post(
        "it.officer", ["FR-MININT"], title="Shared", entities=[ACCOUNT], relations=[]
    )
    with app.app_context():
        fr = desk.reader("fr.analyst")
        access_requests.ask_about_entity(fr, Actor(fr.user_id), readable, "a1", "IT-MININT")
    auth.sign_in("analyst@fr.example")
    page = client.get("/bulletins/requests/outgoing")
    assert page.status_code == 200
    table = page.text.split("<tbody>")[1]
    assert "IT-MININT" in table and "Pending" in table and "analyst@fr.example" in table
    assert "Incoming" not in page.text  # an analyst answers no requests
    assert "/bulletins/requests/outgoing" in client.get("/bulletins/search").text
    auth.sign_in("officer@fr.example")
    tabs = client.get("/bulletins/requests").text
    assert 'href="/bulletins/requests/outgoing"' in tabs and "Incoming" in tabs
    auth.sign_in("trust@platform.example")
    assert client.get("/bulletins/requests/outgoing").status_code == 404


def test_the_read_page_puts_the_actions_first_and_asks_with_one_small_form(app, client, auth, desk):
    entities = [
        ACCOUNT,
        {"ref": "t1", "type": "phone", "value": "+33 6 98 76 54 32"},
    ]
    desk.post("it.officer", ["DE-BMI"], title="Hidden", entities=entities, relations=[])
    desk.post("uk.officer", ["DE-BMI"], title="Hidden too", entities=entities, relations=[])
    readable = desk.post(
        "de.officer", ["FR-MININT"], title="Shared", entities=entities, relations=[]
    )
    auth.sign_in("analyst@fr.example")
    html = client.get(f"/bulletins/{readable}").text
    acknowledge = html.index("Acknowledge: received and actioned by FR-MININT")
    assert acknowledge < html.index("Entities (2)") < html.index("Elsewhere in Ischia")
    discovery = html[html.index("Elsewhere in Ischia") :]
    # One form per entity, whatever the number of organisations; each lists them in a select.
    assert discovery.count('class="ask-form"') == 2
    assert discovery.count('<option value="IT-MININT">') == 2
    assert discovery.count('<option value="UK-HO">') == 2
    response = client.post(
        f"/bulletins/{readable}/ask",
        data={"csrf_token": csrf_token(html), "entity": "t1", "org": "UK-HO"},
    )
    assert response.status_code == 302
    discovery = client.get(f"/bulletins/{readable}").text.split("Elsewhere in Ischia")[1]
    assert "Asked UK-HO: pending." in discovery
    assert discovery.count('class="ask-form"') == 2  # IT-MININT may still be asked about both

    auth.sign_in("officer@de.example")
    own = client.get(f"/bulletins/{readable}").text
    for action in ("/amend", "/release", "/retract"):
        assert f"/bulletins/{readable}{action}" in own
    assert own.index(f"/bulletins/{readable}/retract") < own.index("Verified: signed by DE-BMI")


def test_an_amendment_shows_what_changed(app, client, auth, desk):
    first = desk.post(title="Recruiter moved his channel")
    entities = [
        {"ref": "p1", "type": "person", "value": "Abu Example", "role": "propagandist"},
        {"ref": "t1", "type": "phone", "value": "+33 6 12 34 56 78"},
        {"ref": "m1", "type": "email", "value": "abu@example.org"},
    ]
    relations = [{"source": "p1", "type": "uses_email", "target": "m1"}]
    second = amend(
        desk,
        first,
        title="Recruiter moved his channel again",
        entities=entities,
        relations=relations,
    )
    with app.app_context():
        reader = desk.reader("fr.analyst")
        bulletin = visible_bulletin(reader, second)
        content = _content(desk, "fr.analyst", second)
        assert content is not None
        found = changes.from_previous(reader, bulletin, content)
    assert found is not None and found.previous_version == 1
    assert [(c.name, c.before, c.after) for c in found.fields] == [
        ("Title", "Recruiter moved his channel", "Recruiter moved his channel again")
    ]
    assert "email abu@example.org" in found.added
    assert "account @example_media" in found.removed
    assert "relation: Abu Example uses e-mail abu@example.org" in found.added
    assert "relation: Abu Example contacted +33612345678" in found.removed
    assert [(c.name, c.before, c.after) for c in found.changed] == [
        ("person Abu Example", "role: recruiter", "role: propagandist")
    ]
    auth.sign_in("analyst@fr.example")
    html = client.get(f"/bulletins/{second}").text
    assert "Changed from" in html and "version 1" in html and "role: propagandist" in html
    assert "Changed from" not in client.get(f"/bulletins/{first}").text


def test_an_amendment_says_nothing_of_a_version_the_reader_never_received(app, desk):
    first = desk.post("it.officer", ["DE-BMI"], title="Only for DE")
    second = amend(desk, first, recipients=("DE-BMI", "FR-MININT"), title="Now for FR too")
    with app.app_context():
        reader = desk.reader("fr.analyst")
        bulletin = visible_bulletin(reader, second)
        assert changes.from_previous(reader, bulletin, _content(desk, "fr.analyst", second)) is None
        de = desk.reader("de.analyst")
        assert changes.from_previous(de, bulletin, _content(desk, "de.analyst", second))


def _content(desk, who, bulletin_id):
    reader = desk.reader(who)
    return reading.read_bulletin(reader, Actor(reader.user_id), bulletin_id).content


def test_a_missing_bulletin_reads_one_clear_sentence(client, auth, desk):
    auth.sign_in("analyst@fr.example")
    response = client.get("/bulletins/" + "0" * 32)
    assert response.status_code == 404
    assert "Not found." not in response.text
    assert "There is nothing at this address, or it is not shared with your organisation." in (
        response.text
    )
    api = client.get("/api/v1/bulletins/" + "0" * 32)
    assert api.status_code in (401, 404)


def test_what_was_searched_reads_in_words_not_keys():
    def said(query: str, platform: str | None = None) -> tuple[str, ...]:
        return hits.describe(query, hits.interpret(query, platform, "FR"))

    assert said("Saad Salman")[0] == "a person's name spelled like “Saad Salman”, in any script"
    assert said("+33 6 12 34 56 78") == ("the phone number +33612345678",)
    assert said("https://t.me/wadi_6257") == (
        "the Telegram account @wadi_6257",
        "the web address https://t.me/wadi_6257",
    )
    assert said("@lantern")[0].startswith("the Facebook, Instagram, X, YouTube")
    assert said("wadi", "telegram")[0] == "the Telegram account @wadi"
    for query in ("Saad Salman", "a@b.org", "@lantern"):
        assert not any(key in " ".join(said(query)) for key in ("name:", "email:", "account:"))
