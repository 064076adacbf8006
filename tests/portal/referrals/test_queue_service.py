"""The platform's queue, called directly: only its own items, by deadline, filtered and paged;
opening, claiming and deciding on the ledger and in the audit chain; the decisions each kind
allows; idempotent decisions, conflicts, reopening and reinstating."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from portal.extensions import db
from portal.models import ReferralItem
from portal.services import audit
from portal.services.errors import Conflict, Forbidden, InvalidInput
from portal.services.referrals import queue, referrer
from portal.services.referrals.queue import Decision, QueueFilter
from tests.portal.races import race, split
from tests.portal.referrals.conftest import NOW, item
from tests.portal.service_checks import actor_of, records, unchanged


def as_(world, who):
    reader = world.reader(who)
    return reader, actor_of(reader)


def decide(world, who, item_id, outcome, now=NOW, **kw):
    reader, actor = as_(world, who)
    queue.decide(reader, actor, item_id, Decision(outcome, **kw), now=now)


def events(world, who, item_id):
    return [entry.event for entry in referrer.history(world.reader(who), item_id)]


def test_the_queue_holds_only_the_platforms_items_earliest_deadline_first(app, world):
    with app.app_context():
        referral = world.refer("it", [item("https://a.example/1")], now=NOW).items[0]
        order = world.order(
            "de", [item("https://b.example/2")], now=NOW + timedelta(hours=3)
        ).items[0]
        world.refer("uk", [item("https://c.example/3")], platform="PLATFORM-Y")
        page = queue.list_queue(world.reader("x"), now=NOW)
        # The order came in three hours later, but is due 20 hours earlier.
        assert [e.id for e in page.entries] == [order.id, referral.id]
        first = page.entries[0]
        assert (first.kind, first.referrer, first.deadline_at) == (
            "removal_order",
            "DE-BMI",
            NOW + timedelta(hours=4),
        )
        assert first.legal_basis and first.binding_deadline == first.deadline_at
        assert not page.has_more
        assert [e.url for e in queue.list_queue(world.reader("y")).entries] == [
            "https://c.example/3"
        ]
        for who in ("de", "x.admin"):  # a ministry; a platform user who is not its liaison
            with pytest.raises(Forbidden):
                queue.list_queue(world.reader(who))


def test_the_queue_filters_and_pages(app, world):
    with app.app_context():
        world.refer("it", [item("https://a.example/1", category="financing")])
        order = world.order("de", [item("https://b.example/2")]).items[0]
        world.refer("uk", [item(f"https://c.example/{n}") for n in range(3)])
        x = world.reader("x")
        later = NOW + timedelta(hours=2)  # the order is overdue, the referrals are not
        late = queue.list_queue(x, QueueFilter(overdue=True), now=later).entries
        assert [e.id for e in late] == [order.id] and late[0].overdue
        assert len(queue.list_queue(x, QueueFilter(overdue=False), now=later).entries) == 4
        assert len(queue.list_queue(x, QueueFilter(kind="removal_order")).entries) == 1
        assert [
            e.category for e in queue.list_queue(x, QueueFilter(category="financing")).entries
        ] == ["financing"]
        decide(world, "x", order.id, "removed", now=later)
        assert queue.list_queue(x, QueueFilter(overdue=True), now=later).entries == []
        assert [e.id for e in queue.list_queue(x, QueueFilter(state="decided")).entries] == [
            order.id
        ]
        first = queue.list_queue(x, size=2)
        second = queue.list_queue(x, page=2, size=2)
        third = queue.list_queue(x, page=3, size=2)
        assert first.has_more and second.has_more and not third.has_more
        seen = [e.id for p in (first, second, third) for e in p.entries]
        assert len(seen) == len(set(seen)) == 5
        for filters, field in [
            (QueueFilter(state="lost"), "state"),
            (QueueFilter(kind="order"), "kind"),
            (QueueFilter(category="spam"), "category"),
        ]:
            with pytest.raises(InvalidInput) as refused:
                queue.list_queue(x, filters)
            assert refused.value.field == field
        with pytest.raises(InvalidInput, match="Pages"):
            queue.list_queue(x, page=0)


def test_opening_and_claiming_go_on_the_ledger_once(app, world):
    with app.app_context():
        item_id = world.refer("de").items[0].id
        x, actor = as_(world, "x")
        opened = queue.open_item(x, actor, item_id, now=NOW + timedelta(minutes=5))
        assert opened.item.id == item_id and [e.id for e in opened.case] == [item_id]
        queue.open_item(x, actor, item_id, now=NOW + timedelta(minutes=6))
        queue.claim(x, actor, item_id, now=NOW + timedelta(minutes=7))
        queue.claim(x, actor, item_id, now=NOW + timedelta(minutes=8))  # own claim: no-op
        with unchanged(), pytest.raises(Conflict, match=r"x@platform-x\.example has claimed"):
            queue.claim(*as_(world, "x2"), item_id)
        ledger = referrer.history(x, item_id)
        assert [(e.event, e.at) for e in ledger] == [
            ("received", NOW),
            ("first_opened", NOW + timedelta(minutes=5)),
            ("claimed", NOW + timedelta(minutes=7)),
        ]
        assert [r.event for r in records("referral.first_opened", "referral.claimed")] == [
            "referral.first_opened",
            "referral.claimed",
        ]
        row = db.session.get_one(ReferralItem, item_id)
        assert (row.state, row.claimed_by_id, row.first_opened_at) == (
            "claimed",
            x.user_id,
            NOW + timedelta(minutes=5),
        )


def test_a_decision_is_recorded_once_and_a_different_one_needs_a_reopening(app, world):
    with app.app_context():
        item_id = world.refer("de").items[0].id
        at = NOW + timedelta(hours=2)
        decide(world, "x", item_id, "removed", now=at)
        with unchanged():
            decide(world, "x2", item_id, "removed", now=at + timedelta(minutes=1))  # twice
        with unchanged(), pytest.raises(Conflict) as refused:
            decide(world, "x", item_id, "no_violation")
        assert "reopen" in refused.value.message
        assert events(world, "x", item_id) == ["received", "decided"]
        decided = records("referral.decided")
        assert len(decided) == 1
        assert decided[0].details["outcome"] == "removed"
        assert decided[0].details["on_time"] is True
        assert decided[0].subject_org_id == world.reader("de").org_id
        own = referrer.own_item(world.reader("de"), item_id)
        assert (own.state, own.outcome, own.time_to_action) == (
            "decided",
            "removed",
            timedelta(hours=2),
        )

        x, actor = as_(world, "x")
        with pytest.raises(InvalidInput) as refused:
            queue.reopen(x, actor, item_id, " ")
        assert refused.value.field == "reason"
        queue.reopen(x, actor, item_id, "The uploader appealed.", now=at + timedelta(hours=1))
        assert db.session.get_one(ReferralItem, item_id).outcome is None
        decide(world, "x", item_id, "no_violation", now=at + timedelta(hours=2))
        assert events(world, "x", item_id) == ["received", "decided", "reopened", "decided"]
        with pytest.raises(Conflict):
            queue.reopen(
                x, actor, world.refer("fr", [item("https://z.example/")]).items[0].id, "no"
            )


@pytest.mark.parametrize(
    ("decision", "field"),
    [
        (Decision("deleted"), "outcome"),
        (Decision("access_disabled"), "countries"),
        (Decision("access_disabled", countries=["Germany"]), "countries"),
        (Decision("removed", countries=["DE"]), "countries"),
        (Decision("force_majeure", reason="Outage"), "outcome"),  # an order's exit
        (Decision("more_information"), "question"),
    ],
)
def test_bad_decisions_on_a_referral_are_refused(app, world, decision, field):
    with app.app_context():
        item_id = world.refer("de").items[0].id
        x, actor = as_(world, "x")
        with unchanged(), pytest.raises(InvalidInput) as refused:
            queue.decide(x, actor, item_id, decision)
        assert refused.value.field == field


@pytest.mark.parametrize(
    "outcome", ["no_violation", "not_our_service", "restricted", "account_suspended"]
)
def test_a_removal_order_cannot_be_declined_on_terms_grounds(app, world, outcome):
    with app.app_context():
        item_id = world.order("de").items[0].id
        with unchanged(), pytest.raises(InvalidInput, match="cannot be declined") as refused:
            decide(world, "x", item_id, outcome)
        assert refused.value.field == "outcome"


def test_a_removal_orders_exits_need_a_reason(app, world):
    with app.app_context():
        items = world.order("de", [item(f"https://o.example/{n}") for n in range(4)]).items
        for exit_ in ("technical_impossibility", "force_majeure", "scrutiny_requested"):
            with unchanged(), pytest.raises(InvalidInput) as refused:
                decide(world, "x", items[0].id, exit_)
            assert refused.value.field == "reason"
        decide(world, "x", items[0].id, "force_majeure", reason="Data-centre flood since 08:00.")
        decide(world, "x", items[1].id, "access_disabled", countries=["de", "FR", "de"])
        decide(world, "x", items[2].id, "scrutiny_requested", reason="Art. 4(4): not terrorist.")
        late = NOW + timedelta(hours=1, seconds=1)
        decide(world, "x", items[3].id, "removed", now=late)
        rows = {r.id: r for r in db.session.scalars(select(ReferralItem))}
        assert rows[items[0].id].outcome_note == "Data-centre flood since 08:00."
        assert rows[items[1].id].outcome_countries == ["DE", "FR"]
        assert [r.details["on_time"] for r in records("referral.decided")] == [
            True,
            True,
            True,
            False,
        ]
        # Free text stays in the ledger, not in the audit chain.
        assert "reason" not in records("referral.decided")[0].details


def test_a_question_goes_back_to_the_referrer_and_the_answer_restarts_a_clock_beside_it(app, world):
    with app.app_context():
        item_id = world.order("de").items[0].id
        x = world.reader("x")
        de, de_actor = as_(world, "de")
        asked = NOW + timedelta(minutes=20)
        decide(world, "x", item_id, "more_information", question="Which timestamp?", now=asked)
        own = referrer.own_item(de, item_id, now=asked)
        assert (own.state, own.question, own.outcome) == ("question", "Which timestamp?", None)
        with unchanged(), pytest.raises(Conflict):
            decide(world, "x", item_id, "more_information", question="Again?")
        with unchanged(), pytest.raises(InvalidInput) as refused:
            referrer.answer(de, de_actor, item_id, "")
        assert refused.value.field == "answer"
        answered = NOW + timedelta(hours=2)
        referrer.answer(de, de_actor, item_id, "At 04:12 into the video.", now=answered)
        row = db.session.get_one(ReferralItem, item_id)
        assert (row.state, row.deadline_at) == ("received", NOW + timedelta(hours=1))
        with unchanged(), pytest.raises(Conflict):
            referrer.answer(de, de_actor, item_id, "More.")
        ledger = referrer.history(x, item_id)
        assert [e.event for e in ledger] == ["received", "question_asked", "question_answered"]
        assert ledger[1].details == {"question": "Which timestamp?"}
        assert ledger[2].details["answer"] == "At 04:12 into the video."
        assert (
            ledger[2].details["restarted_deadline"] == (answered + timedelta(hours=1)).isoformat()
        )
        assert "answer" not in records("referral.question_answered")[0].details


def test_taken_down_content_can_be_reinstated_and_complained_about(app, world):
    with app.app_context():
        first, second = world.refer(
            "de", [item("https://r.example/1"), item("https://r.example/2")]
        ).items
        x, x_actor = as_(world, "x")
        de, de_actor = as_(world, "de")
        decide(world, "x", first.id, "removed")
        decide(world, "x", second.id, "no_violation")
        with unchanged(), pytest.raises(Conflict):
            queue.reinstate(x, x_actor, second.id, "Appeal upheld.")
        queue.reinstate(x, x_actor, first.id, "Appeal upheld.")
        assert referrer.own_item(de, first.id).state == "reinstated"
        with unchanged(), pytest.raises(Conflict):
            decide(world, "x", first.id, "removed")
        referrer.complain(de, de_actor, first.id, "The video is a recruitment call.")
        referrer.complain(de, de_actor, second.id, "It names a target.")
        assert events(world, "de", first.id) == ["received", "decided", "reinstated", "complaint"]
        undecided = world.refer("de", [item("https://s.example/")]).items[0].id
        with unchanged(), pytest.raises(Conflict):
            referrer.complain(de, de_actor, undecided, "Not yet decided.")


def test_a_question_does_not_clear_an_orders_lateness(app, world):
    with app.app_context():
        item_id = world.order("de").items[0].id
        de, de_actor = as_(world, "de")
        asked = NOW + timedelta(minutes=20)
        decide(world, "x", item_id, "more_information", question="Which video?", now=asked)
        referrer.answer(de, de_actor, item_id, "The first one.", now=NOW + timedelta(hours=4))
        decide(world, "x", item_id, "removed", now=NOW + timedelta(hours=4, minutes=30))
        row = db.session.get_one(ReferralItem, item_id)
        assert row.deadline_at == NOW + timedelta(hours=1)  # the signed deadline stays
        facts = records("referral.decided")[0].details
        assert facts["on_time"] is False
        # Art. 3(8): the hour runs again from the clarification, recorded beside it.
        assert facts["within_restarted_clock"] is True


def test_an_order_past_its_hour_cannot_be_answered_with_a_question(app, world):
    with app.app_context():
        item_id = world.order("de").items[0].id
        with unchanged(), pytest.raises(InvalidInput, match=r"Art\. 3\(8\)") as refused:
            decide(
                world,
                "x",
                item_id,
                "more_information",
                question="Late?",
                now=NOW + timedelta(hours=5),
            )
        assert refused.value.field == "outcome"
        # A referral (no legal hour) may still be asked about after its deadline.
        other = world.refer("de", [item("https://q.example/")]).items[0].id
        decide(world, "x", other, "more_information", question="Why?", now=NOW + timedelta(days=3))


def test_open_items_come_before_decided_ones_whatever_their_deadlines(app, world):
    with app.app_context():
        old = world.order("de", [item("https://old.example/1")]).items[0]
        decide(world, "x", old.id, "removed", now=NOW + timedelta(minutes=10))
        later = NOW + timedelta(days=2)
        fresh = world.refer("it", [item("https://new.example/1")], now=later).items[0]
        entries = queue.list_queue(world.reader("x"), now=later).entries
        assert [e.id for e in entries] == [fresh.id, old.id]
        assert not entries[1].overdue and entries[1].binding_deadline == old.deadline_at


def test_an_opened_case_shows_only_the_platforms_own_items(app, world):
    with app.app_context():
        mine = world.refer("de", [item("https://own.example/1")]).items[0]
        theirs = world.refer("fr", [item("https://own.example/1")], platform="PLATFORM-Y").items[0]
        with db.write() as session:  # a case id shared across platforms, by mistake or design
            session.get_one(ReferralItem, theirs.id).case_id = mine.case_id
        view = queue.open_item(*as_(world, "x"), mine.id, now=NOW)
        assert [e.id for e in view.case] == [mine.id] and view.item.case_items == 1


def test_repeating_a_decision_with_another_reason_is_a_conflict(app, world):
    with app.app_context():
        item_id = world.order("de").items[0].id
        decide(world, "x", item_id, "force_majeure", reason="Flood.")
        with unchanged():
            decide(world, "x2", item_id, "force_majeure", reason=" Flood. ")  # the same again
        with unchanged(), pytest.raises(Conflict, match="reopen") as refused:
            decide(world, "x", item_id, "force_majeure", reason="Fire.")
        assert refused.value.field == "reason"
        assert db.session.get_one(ReferralItem, item_id).outcome_note == "Flood."


def test_the_same_decision_submitted_at_once_is_one_ledger_entry(app, world):
    with app.app_context():
        item_id = world.refer("de").items[0].id
    at = NOW + timedelta(hours=1)
    outcomes = race(
        app, *[lambda w=w: decide(world, w, item_id, "removed", now=at) for w in ("x", "x", "x2")]
    )
    assert outcomes == [None, None, None]  # idempotent: no one is refused
    with app.app_context():
        assert events(world, "x", item_id) == ["received", "decided"]
        (decided,) = records("referral.decided")
        assert decided.details["outcome"] == "removed"
        assert db.session.get_one(ReferralItem, item_id).outcome == "removed"
        assert audit.verify_chain().problem is None


def test_two_different_decisions_at_once_leave_one_and_name_it(app, world):
    with app.app_context():
        item_id = world.refer("de").items[0].id
    at = NOW + timedelta(hours=1)
    answers = [("x", "removed"), ("x2", "no_violation")]
    outcomes = race(
        app, *[lambda w=w, o=o: decide(world, w, item_id, o, now=at) for w, o in answers]
    )
    (_,), (refused,) = split(outcomes)
    who, outcome = answers[outcomes.index(None)]
    assert type(refused) is Conflict and refused.field == "outcome"
    with app.app_context():
        email = world.reader(who).email
        assert refused.message.startswith(
            f"This item was already decided ({outcome} by {email} on "
        )
        assert events(world, "x", item_id) == ["received", "decided"]
        (decided,) = records("referral.decided")
        assert decided.details["outcome"] == outcome
        assert db.session.get_one(ReferralItem, item_id).decided_by_id == world.reader(who).user_id
        assert audit.verify_chain().problem is None
