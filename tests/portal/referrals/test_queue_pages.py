"""The platform's queue and item pages over HTTP: only the platform's own items, by deadline,
with the deadline for the browser's clock; filters and paging; the item page with its case,
referrers, signatures and ledger; deciding with the vocabulary of the item's kind; bulk
actions all or nothing; 403 for anyone but the platform's liaison officers, 404 for another
platform's item."""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta

import pytest
from flask.testing import FlaskClient

from portal.extensions import db
from portal.models import ReferralItem
from portal.services.referrals import queue
from tests.conftest import World as Snapshot
from tests.portal.conftest import People, csrf_token, sign_in
from tests.portal.referrals.conftest import World, item
from tests.portal.service_checks import actor_of, snapshot

ITEM_ROW = re.compile(r'<tr class="([^"]*)" data-item="([0-9a-f]{32})">')


@pytest.fixture(scope="session")
def referral_world(worlds) -> Snapshot[dict[str, int]]:  # type: ignore[no-untyped-def]
    return worlds.build("referral-queue-pages", lambda app: World(app, People(app)).setup().users)


@pytest.fixture
def world(app, people, referral_world) -> World:  # type: ignore[no-untyped-def]
    referral_world.load(app)
    return World(app, people, dict(referral_world.value))


EMAILS = {
    "x": "x@platform-x.example",
    "x2": "x2@platform-x.example",
    "x.admin": "x.admin@platform-x.example",
    "y": "y@platform-y.example",
    "de": "de@de-bmi.example",
}


def client_of(world: World, who: str) -> FlaskClient:
    client = world.app.test_client()
    sign_in(client, world.people, EMAILS[who])
    return client


def rows(html: str) -> list[tuple[str, str]]:
    """The queue's rows: (item id, row classes)."""
    return [(item_id, classes) for classes, item_id in ITEM_ROW.findall(html)]


@contextmanager
def nothing_written(world: World) -> Iterator[None]:
    """``unchanged`` around HTTP requests: the requests run outside the test's application
    context, whose ``g`` would otherwise carry the signed-in user from one client to the next."""
    with world.app.app_context():
        before = snapshot()
    yield
    with world.app.app_context():
        after = snapshot()
    assert [name for name in before if before[name] != after[name]] == []


def now() -> datetime:
    return datetime.now(UTC)


def test_the_queue_shows_only_the_platforms_items_by_binding_deadline(world):
    with world.app.app_context():
        late = world.order("de", [item("https://late.example/v")], now=now() - timedelta(hours=2))
        fresh = world.refer("it", [item("https://fresh.example/v")], now=now())
        # The same content as the fresh referral, ordered later: its hour binds the whole case.
        same = world.order("fr", [item("https://fresh.example/v")], now=now())
        other = world.refer("uk", [item("https://y.example/v")], platform="PLATFORM-Y")
    x = client_of(world, "x")
    page = x.get("/referrals/queue")
    assert page.status_code == 200
    listed = rows(page.text)
    late_id, fresh_id, same_id = late.items[0].id, fresh.items[0].id, same.items[0].id
    assert [i for i, _ in listed] == [late_id, same_id, fresh_id]
    assert "overdue" in dict(listed)[late_id] and "overdue" not in dict(listed)[same_id]
    assert other.items[0].id not in page.text and "y.example" not in page.text
    # The clock counts down from the binding deadline, in ISO 8601 with its zone.
    due = same.items[0].deadline_at.isoformat()
    assert page.text.count(f'data-deadline="{due}"') == 2  # the order and the case it binds
    assert "js/referral_clock.js" in page.text and "<script>" not in page.text
    assert re.search(
        r'aria-current="page">Referrals'
        r'( <span class="nav-count"[^<]*<span[^>]*>[^<]*</span></span>)?</a>',
        page.text,
    )
    # The referrers are named to the platform; URLs are text, never links.
    assert "DE-BMI" in page.text and "IT-MININT" in page.text
    assert 'href="https://late.example' not in page.text
    y_rows = rows(client_of(world, "y").get("/referrals/queue").text)
    assert [i for i, _ in y_rows] == [other.items[0].id]


def test_the_queue_filters_and_pages(world):
    with world.app.app_context():
        order = world.order("de", [item("https://o.example/1")], now=now() - timedelta(hours=2))
        money = world.refer("it", [item("https://m.example/1", category="financing")], now=now())
        many = world.refer("uk", [item(f"https://p.example/{n}") for n in range(3)], now=now())
        queue.claim(world.reader("x"), actor_of(world.reader("x")), money.items[0].id)
    x = client_of(world, "x")

    def listed(query: str) -> list[str]:
        page = x.get(f"/referrals/queue?{query}")
        assert page.status_code == 200, page.text
        return [i for i, _ in rows(page.text)]

    assert listed("overdue=1") == [order.items[0].id]
    assert listed("kind=removal_order") == [order.items[0].id]
    assert listed("category=financing") == [money.items[0].id]
    assert listed("mine=1") == [money.items[0].id]
    assert listed("state=claimed&mine=y") == [money.items[0].id]
    assert set(listed("state=received")) == {order.items[0].id, *(i.id for i in many.items)}
    assert client_of(world, "x2").get("/referrals/queue?mine=1").text.count("data-item=") == 0
    for query, message in [
        ("state=lost", "Choose one of: received"),
        ("kind=order", "Choose one of: referral, removal_order"),
        ("overdue=perhaps", "Tick the box"),
        ("page=0", "Number must be"),
    ]:
        refused = x.get(f"/referrals/queue?{query}")
        assert refused.status_code == 400 and message in refused.text, query
    first, second = listed("state=received&page=1"), listed("state=received&page=2")
    assert len(first) == 4 and second == []  # one page holds them all
    assert 'href="/referrals/queue?page=2' not in x.get("/referrals/queue").text


def test_only_the_platforms_liaison_officers_reach_the_pages(world):
    with world.app.app_context():
        own = world.refer("de", now=now()).items[0].id
        foreign = world.refer("de", platform="PLATFORM-Y", now=now()).items[0].id
    for who in ("de", "x.admin"):  # a ministry's liaison; the platform's administrator
        client = client_of(world, who)
        assert client.get("/referrals/queue").status_code == 403
        assert client.get(f"/referrals/queue/{own}").status_code == 403
        assert "Referrals</a>" not in client.get("/").text
    x = client_of(world, "x")
    token = csrf_token(x.get("/referrals/queue").text)
    with nothing_written(world):
        for path in (f"/referrals/queue/{foreign}", "/referrals/queue/not-an-id"):
            assert x.get(path).status_code == 404
        for action, data in [
            ("claim", {}),
            ("decide", {"outcome": "removed"}),
            ("ask", {"question": "Which video?"}),
            ("reopen", {"reopen-reason": "Appeal"}),
            ("reinstate", {"reinstate-reason": "Appeal"}),
        ]:
            answer = x.post(
                f"/referrals/queue/{foreign}/{action}", data={**data, "csrf_token": token}
            )
            assert answer.status_code == 404, action
        bulk = x.post(
            "/referrals/queue/bulk",
            data={"csrf_token": token, "action": "claim", "items": [own, foreign]},
        )
        assert bulk.status_code == 404
        # Without the form's CSRF token nothing is done either.
        assert x.post(f"/referrals/queue/{own}/claim").status_code == 400


def test_the_item_page_shows_the_case_its_signatures_and_ledger(world):
    with world.app.app_context():
        mine = world.refer(
            "it",
            [item("https://case.example/v?id=1", reason="<script>alert(1)</script>")],
            now=now(),
        ).items[0]
        twin = world.order("de", [item("https://case.example/v?id=1")], now=now()).items[0]
    x = client_of(world, "x")
    page = x.get(f"/referrals/queue/{mine.id}")
    assert page.status_code == 200
    text = page.text
    # The content as text: the URL is never a link, an image or a frame source.
    assert "https://case.example/v?id=1" in text
    assert not re.search(r'(href|src)="https://case\.example', text)
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in text and "<script>alert" not in text
    # Every referral of the case, with its referrer and signature.
    assert "The case: 2 referrals" in text
    assert "Signed by IT-MININT" in text and "Signed by DE-BMI" in text
    assert f'href="/referrals/queue/{twin.id}"' in text
    # The binding deadline is the order's hour.
    assert f'data-deadline="{twin.deadline_at.isoformat()}"' in text
    # A referral offers every outcome of a referral, not the regulation's exits.
    assert 'value="no_violation"' in text and 'value="force_majeure"' not in text
    # Opening it put "first opened" on the ledger, once.
    x.get(f"/referrals/queue/{mine.id}")
    with world.app.app_context():
        row = db.session.get_one(ReferralItem, mine.id)
        assert row.first_opened_at is not None
    assert text.count('<td dir="auto" class="event">first opened</td>') == 1
    assert x.get(f"/referrals/queue/{mine.id}").text.count("first opened</td>") == 1
    # An order's page offers only what the regulation allows.
    order_page = x.get(f"/referrals/queue/{twin.id}").text
    assert 'value="force_majeure"' in order_page and 'value="scrutiny_requested"' in order_page
    assert 'value="no_violation"' not in order_page and 'value="restricted"' not in order_page


def test_deciding_asking_reopening_and_reinstating_through_the_item_page(world):
    with world.app.app_context():
        referral = world.refer("it", [item("https://d.example/1")], now=now()).items[0]
        order = world.order("de", [item("https://d.example/2")], now=now()).items[0]
    x = client_of(world, "x")
    page = x.get(f"/referrals/queue/{referral.id}")
    x.get(f"/referrals/queue/{order.id}")  # opened: a refused decision writes nothing more
    token = csrf_token(page.text)

    def post(item_id: str, action: str, **data: str):  # type: ignore[no-untyped-def]
        return x.post(f"/referrals/queue/{item_id}/{action}", data={**data, "csrf_token": token})

    with nothing_written(world):
        # No outcome chosen: said in words, not as the API's list of codes.
        refused = post(referral.id, "decide", outcome="")
        assert refused.status_code == 400 and "Choose an outcome." in refused.text
        assert "access_disabled, restricted" not in refused.text
        refused = post(referral.id, "decide", outcome="access_disabled", countries="")
        assert refused.status_code == 400
        assert "Name the countries where access is disabled." in refused.text
        refused = post(order.id, "decide", outcome="no_violation")
        assert refused.status_code == 400 and "cannot be declined" in refused.text
        refused = post(order.id, "decide", outcome="force_majeure", reason="")
        assert refused.status_code == 400 and "Give the reason" in refused.text
        assert post(referral.id, "ask", question=" ").status_code == 400
    assert post(referral.id, "claim").status_code == 302
    done = post(referral.id, "decide", outcome="access_disabled", countries="de fr")
    assert done.status_code == 302 and done.location.endswith(f"/referrals/queue/{referral.id}")
    decided = x.get(done.location).text
    assert "Decision recorded." in decided and "Access disabled in listed countries" in decided
    assert 'countries:</span> <span dir="auto">DE, FR</span>' in decided
    assert post(referral.id, "decide", outcome="removed").status_code == 409
    with nothing_written(world):
        refused = post(referral.id, "reinstate", **{"reinstate-reason": " "})
        assert refused.status_code == 400 and "Say why the content was reinstated." in refused.text
        refused = post(order.id, "reopen", **{"reopen-reason": "Second look"})
        assert refused.status_code == 409 and "Only a decided item can be reopened." in refused.text
    assert (
        post(
            referral.id, "reinstate", **{"reinstate-reason": "The uploader's complaint"}
        ).status_code
        == 302
    )
    assert post(referral.id, "reopen", **{"reopen-reason": "Second look"}).status_code == 302
    assert post(order.id, "ask", question="Which of the two videos?").status_code == 302
    with world.app.app_context():
        states = {
            i.id: (i.state, i.outcome)
            for i in db.session.query(ReferralItem).filter(
                ReferralItem.id.in_([referral.id, order.id])
            )
        }
    assert states == {referral.id: ("claimed", None), order.id: ("question", None)}
    ledger = x.get(f"/referrals/queue/{referral.id}").text
    for event in ("received", "first opened", "claimed", "decided", "reinstated", "reopened"):
        assert f'<td dir="auto" class="event">{event}</td>' in ledger
    assert "x@platform-x.example" in ledger  # the platform's own users are named to it


def test_bulk_actions_apply_to_all_or_to_none(world):
    with world.app.app_context():
        items = world.refer(
            "it", [item(f"https://b.example/{n}") for n in range(3)], now=now()
        ).items
        order = world.order("de", [item("https://b.example/order")], now=now()).items[0]
    ids = [i.id for i in items]
    x = client_of(world, "x")
    token = csrf_token(x.get("/referrals/queue").text)

    def bulk(action: str, chosen: list[str], **data: str):  # type: ignore[no-untyped-def]
        return x.post(
            "/referrals/queue/bulk",
            data={"csrf_token": token, "action": action, "items": chosen, **data},
        )

    claimed = bulk("claim", ids[:2], state="received")
    assert claimed.status_code == 302 and claimed.location.endswith(
        "/referrals/queue?state=received"
    )
    assert "Claimed 2 items." in x.get(claimed.location).text
    colleague = client_of(world, "x2")
    colleague_token = csrf_token(colleague.get("/referrals/queue").text)
    with nothing_written(world):
        # "No violation" fits the referrals, not the order: none of the four is decided.
        refused = bulk("decide", [*ids, order.id], outcome="no_violation")
        assert refused.status_code == 400
        assert "https://b.example/order: A removal order cannot be declined" in refused.text
        assert "Nothing was changed." in refused.text
        assert bulk("decide", [], outcome="removed").status_code == 400
        unchosen = bulk("decide", ids, outcome="")
        assert unchosen.status_code == 400 and "Choose an outcome." in unchosen.text
        assert "access_disabled, restricted" not in unchosen.text
        assert bulk("shred", ids, outcome="removed").status_code == 400
        taken = colleague.post(
            "/referrals/queue/bulk",
            data={"csrf_token": colleague_token, "action": "claim", "items": ids},
        )
        assert taken.status_code == 409, taken.text
        assert "x@platform-x.example has claimed" in taken.text
    done = bulk("decide", [*ids, order.id], outcome="removed")
    assert done.status_code == 302
    with world.app.app_context():
        found = db.session.query(ReferralItem.state, ReferralItem.outcome).filter(
            ReferralItem.id.in_([*ids, order.id])
        )
        assert sorted(found) == [("decided", "removed")] * 4
