"""What the signature and the ledger make tamper-evident: every stored column that decides
who sees an item and when it is due, and every ledger entry against its audit record."""

from __future__ import annotations

from datetime import UTC, timedelta, timezone

import pytest
from sqlalchemy import delete, select, text, update
from sqlalchemy.exc import DBAPIError

from crypto.statement import SignedStatement
from portal.extensions import db
from portal.models import Referral, ReferralItem, ReferralLedgerEntry
from portal.services.errors import InvalidInput
from portal.services.referrals import intake, ledger, queue
from portal.services.referrals.queue import Decision
from tests.portal.referrals.conftest import NOW, item
from tests.portal.service_checks import actor_of, records, unchanged


def _platform_y(world):
    return world.reader("y").org_id


@pytest.mark.parametrize(
    "change",
    [
        "kind",
        "deadline_at",
        "platform_org_id",
        "referrer_org_id",
        "received_at",
        "referrer_user_id",
        "position",
    ],
)
def test_changing_what_decides_access_or_deadlines_breaks_the_signature(app, world, change):
    with app.app_context():
        referred = world.refer("de", [item("https://a.example/1"), item("https://a.example/2")])
        referral_id = referred.referral.id
        with db.write() as session:
            row = session.scalars(select(ReferralItem).where(ReferralItem.position == 0)).one()
            if change == "kind":
                row.kind = "removal_order"
            elif change == "deadline_at":
                row.deadline_at = row.deadline_at + timedelta(days=30)
            elif change == "platform_org_id":
                row.platform_org_id = _platform_y(world)
            elif change == "referrer_org_id":
                row.referrer_org_id = world.reader("fr").org_id
            elif change == "received_at":
                row.received_at = row.received_at + timedelta(hours=1)
            elif change == "referrer_user_id":
                session.get_one(Referral, referral_id).referrer_user_id = world.users["de.analyst"]
            else:
                other = session.scalars(
                    select(ReferralItem).where(ReferralItem.position == 1)
                ).one()
                row.position = 2  # the two items swap places
                session.flush()
                other.position = 0
                session.flush()
                row.position = 1
        check = intake.verify(world.reader("de"), referral_id)
        assert not check.valid
        assert check.problem == "The stored referral differs from what was signed."


def test_an_order_signs_its_deadline_and_the_referring_user(app, world):
    with app.app_context():
        referred = world.order("de")
        claims = SignedStatement.from_json(referred.referral.statement).claims
        assert claims["deadline_at"] == (NOW + timedelta(hours=1)).isoformat(
            timespec="microseconds"
        )
        assert claims["referrer_user"] == world.users["de"]
        assert [i["id"] for i in claims["items"]] == [referred.items[0].id]
        assert intake.verify(world.reader("x"), referred.referral.id).valid


def _ask(world, item_id):
    x = world.reader("x")
    queue.decide(
        x, actor_of(x), item_id, Decision("more_information", question="Which one?"), now=NOW
    )


def _tamper(session, statement):
    """Rewrite the ledger as someone with the database's owner rights would (on PostgreSQL,
    past the trigger that refuses it)."""
    if session.get_bind().dialect.name == "postgresql":
        session.execute(text("SET LOCAL session_replication_role = replica"))
    session.execute(statement)


def test_every_ledger_entry_matches_its_audit_record(app, world):
    with app.app_context():
        item_id = world.refer("de").items[0].id
        _ask(world, item_id)
        assert ledger.check() == []
        asked = records("referral.question_asked")[0].details
        entry = db.session.scalars(
            select(ReferralLedgerEntry).where(ReferralLedgerEntry.event == "question_asked")
        ).one()
        assert asked["ledger_id"] == entry.id
        assert len(asked["details_sha256"]) == 64 and "question" not in asked


def test_editing_a_questions_text_in_the_ledger_is_detected(app, world):
    with app.app_context():
        item_id = world.refer("de").items[0].id
        _ask(world, item_id)
        with db.write() as session:
            _tamper(
                session,
                update(ReferralLedgerEntry)
                .where(ReferralLedgerEntry.event == "question_asked")
                .values(details={"question": "Is this legal?"}),
            )
        problems = ledger.check()
        assert len(problems) == 1 and "question_asked" in problems[0]


@pytest.mark.parametrize(
    "change",
    [{"at": NOW + timedelta(minutes=50)}, {"user_id": None}],
    ids=["a decision moved back within the hour", "the deciding user erased"],
)
def test_editing_when_or_by_whom_in_the_ledger_is_detected(app, world, change):
    # The transparency figures (time to action, orders within the hour) read these columns.
    with app.app_context():
        item_id = world.order("de", now=NOW).items[0].id
        x = world.reader("x")
        queue.decide(x, actor_of(x), item_id, Decision("removed"), now=NOW + timedelta(hours=3))
        with db.write() as session:
            _tamper(
                session,
                update(ReferralLedgerEntry)
                .where(ReferralLedgerEntry.event == "decided")
                .values(**change),
            )
        problems = ledger.check()
        assert len(problems) == 1 and "decided" in problems[0]


def test_deleting_a_ledger_entry_is_detected(app, world):
    with app.app_context():
        item_id = world.refer("de").items[0].id
        _ask(world, item_id)
        with db.write() as session:
            _tamper(
                session,
                delete(ReferralLedgerEntry).where(ReferralLedgerEntry.event == "question_asked"),
            )
        problems = ledger.check()
        assert len(problems) == 1 and "missing" in problems[0]


def test_postgresql_refuses_to_change_the_ledger(app, world):
    with app.app_context():
        if db.session().get_bind().dialect.name != "postgresql":
            pytest.skip("the trigger is PostgreSQL's")
        world.refer("de")
        for statement in (
            update(ReferralLedgerEntry).values(event="decided"),
            delete(ReferralLedgerEntry),
        ):
            with pytest.raises(DBAPIError, match="append-only"), db.write() as session:
                session.execute(statement)
        assert ledger.check() == []


def test_a_time_in_another_zone_is_taken_as_utc_and_a_naive_one_refused(app, world):
    with app.app_context():
        paris = NOW.astimezone(timezone(timedelta(hours=1)))
        referred = world.refer("de", now=paris)
        assert referred.referral.received_at == NOW and referred.referral.received_at.tzinfo == UTC
        assert intake.verify(world.reader("x"), referred.referral.id).valid
        x = world.reader("x")
        naive = NOW.replace(tzinfo=None)
        with unchanged(), pytest.raises(InvalidInput, match="time zone") as refused:
            world.refer("de", [item("https://naive.example/")], now=naive)
        assert refused.value.field == "now"
        with unchanged(), pytest.raises(InvalidInput, match="time zone"):
            queue.decide(x, actor_of(x), referred.items[0].id, Decision("removed"), now=naive)
        with pytest.raises(InvalidInput, match="time zone"):
            queue.list_queue(x, now=naive)
