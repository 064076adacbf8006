"""Entity pages, the watchlist and notifications over HTTP, and the rule that no identifier
reaches a URL or an access log."""

from __future__ import annotations

import html
import logging
import re
import threading
import urllib.request
from html import unescape
from pathlib import Path

import pytest
from sqlalchemy import func, select
from werkzeug.serving import make_server

from portal.extensions import db
from portal.models import Organisation, Watch
from portal.services.principals import Actor
from portal.services.watchlists import watching
from tests.portal.conftest import csrf_token

ENTITY_LINK = re.compile(r'href="(/entities/[^"]+)"')
IDENTIFIERS = ("example_media", "612345678", "6 12 34", "Abu Example", "abu", "telegram")


def entity_links(html: str) -> list[str]:
    return [unescape(link) for link in ENTITY_LINK.findall(html)]


@pytest.fixture
def posted(desk):
    """IT's bulletin to FR, and DE's bulletins FR cannot read naming the same phone."""
    fr = desk.post("it.officer", ["FR-MININT"], title="Readable by FR")
    desk.post("de.officer", ["IT-MININT"], title="HIDDEN-DE")
    return fr


def test_the_read_page_links_each_entity_to_its_page(client, auth, desk, posted):
    auth.sign_in("analyst@fr.example")
    read = client.get(f"/bulletins/{posted}")
    links = entity_links(read.text)
    assert len(set(links)) == 3  # the person, the account, the phone
    for link in links:
        assert not any(word.lower() in link.lower() for word in IDENTIFIERS), link
    pages = [client.get(link) for link in sorted(set(links))]
    assert all(page.status_code == 200 for page in pages)
    texts = " ".join(page.text for page in pages)
    assert "Readable by FR" in texts and posted in texts
    assert "HIDDEN-DE" not in texts
    # DE-BMI's bulletin to IT names them too: a count and the sender, with the ask action.
    assert "Also in 1 bulletin your organisation cannot read, from DE-BMI" in texts
    assert "Ask DE-BMI for access" in texts


def test_another_organisations_reference_is_not_found(client, auth, desk, posted):
    auth.sign_in("analyst@fr.example")
    links = entity_links(client.get(f"/bulletins/{posted}").text)
    auth.logout()
    auth.sign_in("analyst@it.example")  # IT can read the same bulletin, but has its own refs
    for link in links:
        assert client.get(link).status_code == 404
    assert client.get("/entities/AAAA").status_code == 404
    assert client.get("/entities/" + "A" * 1000).status_code == 404


def test_a_person_page_lists_spellings_across_bulletins(client, auth, desk):
    person = [
        {
            "ref": "p1",
            "type": "person",
            "value": "Abu Muhammad al-Adnani",
            "aliases": ["Taha Falaha"],
        }
    ]
    arabic = [{"ref": "p1", "type": "person", "value": "أبو محمد العدناني"}]
    first = desk.post("it.officer", ["FR-MININT"], title="Latin", entities=person, relations=[])
    desk.post("de.officer", ["FR-MININT"], title="Arabic", entities=arabic, relations=[])
    auth.sign_in("analyst@fr.example")
    (link,) = entity_links(client.get(f"/bulletins/{first}").text)
    page = client.get(link)
    assert "Latin" in page.text and "Arabic" in page.text
    assert "Also written as" in page.text
    assert "Taha Falaha" in page.text and "أبو محمد العدناني" in page.text
    assert '<span class="badge">person</span>' in page.text
    assert '<span class="badge">name</span>' not in page.text


def test_a_person_page_is_headed_by_the_name_bulletins_give_not_the_most_spelled(
    client, auth, desk
):
    # Two bulletins give the Latin name, each with the Cyrillic spelling beside it, and a
    # third gives the Cyrillic name: three Cyrillic spellings, but two bulletins say Latin.
    latin = {"ref": "p1", "type": "person", "value": "Islam Khamaliev"}
    with_alias = [latin | {"aliases": ["Ислам Хамалиев"]}]
    with_transliteration = [latin | {"transliterations": ["Ислам Хамалиев"]}]
    cyrillic = [{"ref": "p1", "type": "person", "value": "Ислам Хамалиев"}]
    first = desk.post("it.officer", ["FR-MININT"], title="A", entities=with_alias, relations=[])
    desk.post("it.officer", ["FR-MININT"], title="B", entities=with_transliteration, relations=[])
    desk.post("de.officer", ["FR-MININT"], title="C", entities=cyrillic, relations=[])
    auth.sign_in("analyst@fr.example")
    (link,) = entity_links(client.get(f"/bulletins/{first}").text)
    page = client.get(link).text
    heading = page[page.index("<h1") : page.index("</h1>")]
    assert "Islam Khamaliev" in heading and "Ислам Хамалиев" not in heading
    assert "Ислам Хамалиев" in page  # among the other spellings
    assert re.search(r'aria-current="page">Search<', page)  # where entity pages are found


def test_watch_from_the_entity_page_then_unwatch(app, client, auth, desk, posted):
    auth.sign_in("analyst@fr.example")
    link = sorted(set(entity_links(client.get(f"/bulletins/{posted}").text)))[0]
    page = client.get(link)
    # The Watch form keeps a gap to the card below it ("Also written as").
    assert '<form method="post" action="' + link + '/watch" class="inline-form entity-watch">' in (
        page.text
    )
    css = (Path(__file__).resolve().parents[3] / "portal/static/css/portal.css").read_text()
    assert re.search(r"^\.entity-watch \{ margin: 0 0 1\.25rem; \}", css, re.M)
    answer = client.post(link + "/watch", data={"csrf_token": csrf_token(page.text)})
    assert answer.status_code == 302
    unwatch = client.get(link).text
    assert re.search(r'/unwatch" class="inline-form entity-watch">', unwatch)
    listed = client.get("/watchlist")
    assert "What you watch (1)" in listed.text
    assert link in listed.text
    watch_id = re.search(r"/watchlist/(\d+)/unwatch", listed.text).group(1)
    gone = client.post(
        f"/watchlist/{watch_id}/unwatch", data={"csrf_token": csrf_token(listed.text)}
    )
    assert gone.status_code == 302
    assert "What you watch (0)" in client.get("/watchlist").text


def test_the_watchlist_with_a_trailing_slash_leads_to_it(client, auth, desk):
    auth.sign_in("analyst@fr.example")
    answer = client.get("/watchlist/")
    assert answer.status_code in (301, 308) and answer.location.endswith("/watchlist")
    assert client.get("/watchlist/", follow_redirects=True).status_code == 200


def test_watch_a_typed_identifier_and_be_told(app, client, auth, desk):
    auth.sign_in("analyst@fr.example")
    form = client.get("/watchlist")
    answer = client.post(
        "/watchlist",
        data={"csrf_token": csrf_token(form.text), "q": "+33 6 12 34 56 78", "platform": ""},
    )
    assert answer.status_code == 302
    listed = html.unescape(client.get("/watchlist").text)
    assert "the phone number +33612345678" in listed
    assert "Watched: the phone number +33612345678. You will be told" in listed
    # A handle on no platform is watched on every one, and a name as a person's and a
    # group's: the message says so instead of one line for several watches.
    name = "a person's name spelled like “Abu Example”, in any script"
    for typed, said in (
        ("@wadi_media", "account @wadi_media. You will be told"),
        ("Abu Example", f"Watched, 2 ways: {name}; a group named “Abu Example”."),
    ):
        form = client.get("/watchlist")
        client.post("/watchlist", data={"csrf_token": csrf_token(form.text), "q": typed})
        assert said in html.unescape(client.get("/watchlist").text), typed
    posted = desk.post("it.officer", ["FR-MININT"], title="Phone again")
    notices = client.get("/watchlist/notifications")
    assert "Phone again" in notices.text and posted in notices.text
    seen = client.post(
        "/watchlist/notifications/seen", data={"csrf_token": csrf_token(notices.text)}
    )
    assert seen.status_code == 302
    assert "Mark all as seen" not in client.get("/watchlist/notifications").text


def test_a_notification_names_every_watched_item_the_bulletin_names(app, client, auth, desk):
    with app.app_context():
        reader = desk.reader("fr.analyst")
        watching.watch_typed(reader, Actor(reader.user_id), "https://t.me/example_media", None)
        watching.watch_typed(reader, Actor(reader.user_id), "Abu Example", None)
        watching.watch_typed(reader, Actor(reader.user_id), "+44 20 7946 0000", None)  # not named
        other = desk.reader("de.analyst")  # another organisation's watch of the same phone
        watching.watch_typed(other, Actor(other.user_id), "+33 6 12 34 56 78", None)
        labels = [item.label for item in watching.watched(reader)]
    posted = desk.post("it.officer", ["FR-MININT"], title="Two of yours")
    auth.sign_in("analyst@fr.example")
    html = client.get("/watchlist/notifications").text
    assert html.count("Two of yours") == 1 and posted in html  # one notification
    row = html[html.index("<tbody>") : html.index("</tbody>")]
    named = [label for label in labels if unescape(label) in unescape(row)]
    assert len(named) == 2, (labels, row)
    assert "7946" not in row and "+33612345678" not in row


def test_the_menu_counts_new_notifications(app, client, auth, desk):
    with app.app_context():
        reader = desk.reader("fr.officer")
        watching.watch_typed(reader, Actor(reader.user_id), "+33 6 12 34 56 78", None)
    desk.post("it.officer", ["FR-MININT"])
    auth.sign_in("officer@fr.example")
    menu = client.get("/").text
    assert re.search(r"Notifications\s*<span[^>]*>\s*1\s*<", menu), menu[:3000]


def menu_count(html: str, label: str) -> int:
    found = re.search(label + r"\s*<span[^>]*>\s*(\d+)\s*<", html)
    return int(found.group(1)) if found else 0


def test_the_menu_counts_follow_the_persons_own_actions_at_once(app, client, auth, desk):
    """The counts are kept for a while, but not past what the person did themselves."""
    with app.app_context():
        reader = desk.reader("fr.officer")
        watching.watch_typed(reader, Actor(reader.user_id), "+33 6 12 34 56 78", None)
    auth.sign_in("officer@fr.example")
    assert menu_count(client.get("/").text, "Notifications") == 0  # kept: nothing yet
    posted = desk.post("it.officer", ["FR-MININT"], title="Arrived later")
    notices = client.get("/watchlist/notifications")
    # The page lists the new notification: its own link does not say zero beside it.
    assert "Arrived later" in notices.text and "Mark all as seen" in notices.text
    assert menu_count(notices.text, "Notifications") == 1
    inbox = menu_count(client.get("/").text, "Inbox")
    assert inbox >= 1
    client.post("/watchlist/notifications/seen", data={"csrf_token": csrf_token(notices.text)})
    home = client.get("/").text
    assert menu_count(home, "Notifications") == 0
    client.get(f"/bulletins/{posted}")  # read: one fewer unread at once
    assert menu_count(client.get("/").text, "Inbox") == inbox - 1


@pytest.mark.parametrize(
    ("q", "message"),
    [("", "Type an identifier or a name to watch."), ("12", "This is not an identifier")],
)
def test_bad_watch_input_is_a_400_and_writes_nothing(app, client, auth, desk, q, message):
    auth.sign_in("analyst@fr.example")
    form = client.get("/watchlist")
    answer = client.post("/watchlist", data={"csrf_token": csrf_token(form.text), "q": q})
    assert answer.status_code == 400 and message in answer.text
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Watch)) == 0


def test_a_platform_partner_has_no_watchlist(client, auth, desk):
    auth.sign_in("trust@platform.example")
    assert client.get("/watchlist").status_code == 404
    assert client.get("/watchlist/notifications").status_code == 404


def test_the_access_log_of_a_real_server_holds_no_identifier(app, client, auth, desk, posted):
    """Werkzeug's server, as ``make demo`` runs it, serving the read page, the entity pages and
    the watch action: its log names every path, and no identifier."""
    auth.sign_in("analyst@fr.example")
    cookie = client.get_cookie(app.config["SESSION_COOKIE_NAME"])
    read = client.get(f"/bulletins/{posted}").text
    links = sorted(set(entity_links(read)))
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    records: list[str] = []

    class Keep(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            records.append(record.getMessage())

    handler = Keep()
    logger = logging.getLogger("werkzeug")
    level = logger.level
    logger.addHandler(handler)
    logger.setLevel(logging.INFO)
    thread.start()
    try:
        base = f"http://127.0.0.1:{server.server_port}"
        headers = {
            "Cookie": f"{cookie.key}={cookie.value}",
            "User-Agent": client.environ_base.get("HTTP_USER_AGENT", "Werkzeug/test"),
        }
        for path in [f"/bulletins/{posted}", *links, "/watchlist", "/watchlist/notifications"]:
            request = urllib.request.Request(base + path, headers=headers)  # noqa: S310
            with urllib.request.urlopen(request, timeout=10) as answer:  # noqa: S310
                assert answer.status == 200, path
                assert b"Readable by FR" in answer.read() or path.startswith("/watchlist")
    finally:
        server.shutdown()
        thread.join(5)
        logger.removeHandler(handler)
        logger.setLevel(level)
    log = "\n".join(records)
    assert all(link in log for link in links)
    for word in IDENTIFIERS:
        assert word.lower() not in log.lower(), word


def relay_form(client, **values):
    page = client.get("/watchlist/mail-relay")
    assert page.status_code == 200
    data = {"csrf_token": csrf_token(page.text), "port": "587", "starttls": "y", **values}
    return client.post("/watchlist/mail-relay", data=data)


def test_an_organisation_admin_sets_the_relay(app, client, auth, people, desk):
    people.user("admin@fr.example", "org_admin", org="FR-MININT")
    auth.sign_in("admin@fr.example")
    answer = relay_form(client, host="192.0.2.25", sender="ischia@fr.example")
    assert answer.status_code == 302
    page = client.get("/watchlist/mail-relay").text
    assert "Current relay: <code>192.0.2.25:587</code>, from ischia@fr.example." in page
    with app.app_context():
        org = db.session.scalar(select(Organisation).where(Organisation.code == "FR-MININT"))
        assert (org.smtp_host, org.smtp_port, org.smtp_starttls) == ("192.0.2.25", 587, True)
        other = db.session.scalar(select(Organisation).where(Organisation.code == "DE-BMI"))
        assert other.smtp_host is None
    assert relay_form(client, host="").status_code == 302  # cleared
    assert "No relay" in client.get("/watchlist/mail-relay").text


@pytest.mark.parametrize(
    ("values", "message"),
    [
        ({"host": "127.0.0.1", "sender": "a@fr.example"}, "the portal's own machine"),
        ({"host": "localhost", "sender": "a@fr.example"}, "the portal's own machine"),
        ({"host": "192.0.2.25", "sender": ""}, "Give the address the e-mails come from."),
        ({"host": "192.0.2.25", "sender": "a@fr.example", "port": "70000"}, "between 1 and"),
        ({"host": "192.0.2.25", "sender": "a@fr.example", "port": "abc"}, "Not a valid integer"),
    ],
)
def test_a_bad_relay_is_a_400_and_changes_nothing(app, client, auth, people, desk, values, message):
    people.user("admin@fr.example", "org_admin", org="FR-MININT")
    auth.sign_in("admin@fr.example")
    answer = relay_form(client, **values)
    assert answer.status_code == 400 and message in unescape(answer.text)
    with app.app_context():
        org = db.session.scalar(select(Organisation).where(Organisation.code == "FR-MININT"))
        assert org.smtp_host is None


def test_only_organisation_admins_set_the_relay(client, auth, desk):
    auth.sign_in("analyst@fr.example")
    assert client.get("/watchlist/mail-relay").status_code in (403, 404)


def test_asking_from_an_entity_page_comes_back_to_it(client, auth, desk, posted):
    auth.sign_in("analyst@fr.example")
    for link in sorted(set(entity_links(client.get(f"/bulletins/{posted}").text))):
        page = client.get(link).text
        form = re.search(
            r'<form method="post" action="([^"]+/ask)" class="ask-form">(.*?)</form>', page, re.S
        )
        if form:
            break
    assert form, "no entity page offered to ask DE-BMI"
    fields = dict(re.findall(r'<input type="hidden" name="(\w+)" value="([^"]*)"', form.group(2)))
    assert fields["entity_page"] and fields["org"] == "DE-BMI"
    asked = client.post(unescape(form.group(1)), data={**fields, "reason": "Same phone"})
    assert asked.status_code == 302 and asked.location == link
    assert "Asked DE-BMI for access to 1 bulletin" in client.get(link).text
