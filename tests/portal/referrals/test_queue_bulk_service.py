"""Bulk actions of the platform's queue, called directly: one transaction for the whole
selection, so a refusal of one item leaves every item as it was and names the refused one;
and the "claimed by me" filter."""

from __future__ import annotations

from datetime import timedelta

import pytest

from portal.extensions import db
from portal.models import ReferralItem
from portal.services.errors import Conflict, InvalidInput, NotFound
from portal.services.referrals import queue
from portal.services.referrals.queue import Decision, QueueFilter
from tests.portal.referrals.conftest import NOW, item
from tests.portal.service_checks import actor_of, records, unchanged


def test_bulk_claim_and_decide_apply_to_every_item_or_to_none(app, world):
    with app.app_context():
        ids = [
            i.id
            for i in world.refer("it", [item(f"https://q.example/{n}") for n in range(3)]).items
        ]
        order = world.order("de", [item("https://q.example/order")]).items[0].id
        foreign = world.refer("it", platform="PLATFORM-Y").items[0].id
        x, x2 = world.reader("x"), world.reader("x2")
        later = NOW + timedelta(minutes=10)
        assert queue.claim_many(x, actor_of(x), [ids[0], ids[0], ids[1]], now=later) == 2
        with unchanged(), pytest.raises(Conflict) as taken:
            queue.claim_many(x2, actor_of(x2), [ids[2], ids[1]], now=later)
        assert taken.value.field == "items"
        assert taken.value.message.startswith("https://q.example/1: x@platform-x.example has")
        with unchanged(), pytest.raises(InvalidInput) as refused:
            queue.decide_many(x, actor_of(x), [*ids, order], Decision("no_violation"), now=later)
        assert (
            "https://q.example/order: A removal order cannot be declined" in refused.value.message
        )
        with unchanged(), pytest.raises(NotFound):
            queue.decide_many(x, actor_of(x), [ids[0], foreign], Decision("removed"), now=later)
        with unchanged(), pytest.raises(InvalidInput, match="at least one"):
            queue.claim_many(x, actor_of(x), [])
        with unchanged(), pytest.raises(InvalidInput, match="at most 200"):
            queue.claim_many(x, actor_of(x), [f"{n:032x}" for n in range(201)])
        decided = Decision("access_disabled", countries=["fr", "DE"])
        assert queue.decide_many(x, actor_of(x), [*ids, order], decided, now=later) == 4
        rows = db.session.query(ReferralItem).filter(ReferralItem.id.in_([*ids, order]))
        assert {(r.state, r.outcome, tuple(r.outcome_countries or ())) for r in rows} == {
            ("decided", "access_disabled", ("DE", "FR"))
        }
        assert len(records("referral.decided")) == 4


def test_the_claimed_by_filter_lists_one_officers_items(app, world):
    with app.app_context():
        ids = [
            i.id
            for i in world.refer("it", [item(f"https://c.example/{n}") for n in range(3)]).items
        ]
        x, x2 = world.reader("x"), world.reader("x2")
        queue.claim(x, actor_of(x), ids[2])
        queue.claim(x2, actor_of(x2), ids[0])
        assert [e.id for e in queue.list_queue(x, QueueFilter(claimed_by=x.user_id)).entries] == [
            ids[2]
        ]
        assert [e.id for e in queue.list_queue(x2, QueueFilter(claimed_by=x2.user_id)).entries] == [
            ids[0]
        ]


def test_pages_of_the_queue_follow_the_binding_order_whatever_their_size(app, world):
    """Small pages read only the cases that can reach them (the deadline bound): put end to
    end, they give the same list as one page holding everything, which reads every item."""
    with app.app_context():
        x = world.reader("x")
        hour = timedelta(hours=1)
        # Cases of several items, referred at different times; orders bind their cases early.
        for n, (who, url, kind, at) in enumerate(
            [
                ("it", "https://s.example/a", "referral", NOW - 20 * hour),
                ("de", "https://s.example/b", "referral", NOW - 10 * hour),
                ("uk", "https://s.example/a", "referral", NOW),
                ("fr", "https://s.example/c", "removal_order", NOW + 5 * hour),
                ("it", "https://s.example/c", "referral", NOW - 15 * hour),
                ("de", "https://s.example/d", "removal_order", NOW - 2 * hour),
                ("eu", "https://s.example/e", "referral", NOW - 30 * hour),
                ("uk", "https://s.example/d", "referral", NOW - 1 * hour),
                ("fr", "https://s.example/f", "referral", NOW - 12 * hour),
                ("it", "https://s.example/g", "referral", NOW - 12 * hour),
            ]
        ):
            draft = [item(url, category="financing" if n % 3 == 0 else "recruitment")]
            if kind == "removal_order":
                world.order(who, draft, now=at)
            else:
                world.refer(who, draft, now=at)
        everything = queue.list_queue(x, size=200, now=NOW).entries
        e_item = next(e for e in everything if e.url == "https://s.example/e")
        decide_at = NOW + hour
        queue.decide(x, actor_of(x), e_item.id, Decision("removed"), now=decide_at)
        g_item = next(e for e in everything if e.url == "https://s.example/g")
        queue.claim(x, actor_of(x), g_item.id)
        for filters in (
            QueueFilter(),
            QueueFilter(category="financing"),
            QueueFilter(overdue=True),
            QueueFilter(overdue=False),
            QueueFilter(kind="referral"),
            QueueFilter(state="received"),
            QueueFilter(claimed_by=x.user_id),
        ):
            whole = queue.list_queue(x, filters, size=200, now=NOW).entries
            for size in (1, 2, 3, 5):
                paged = []
                for number in range(1, 20):
                    page = queue.list_queue(x, filters, page=number, size=size, now=NOW)
                    paged += page.entries
                    if not page.has_more:
                        break
                assert [e.id for e in paged] == [e.id for e in whole], (filters, size)
        listed = queue.list_queue(x, size=200, now=NOW).entries
        # Open items first, by their case's earliest open deadline; the decided one last.
        assert listed[-1].id == e_item.id
        bindings = [e.binding_deadline for e in listed[:-1]]
        assert bindings == sorted(bindings)
        a_items = [e for e in listed if e.url == "https://s.example/a"]
        assert {e.binding_deadline for e in a_items} == {NOW + 4 * hour}  # the IT referral's day
