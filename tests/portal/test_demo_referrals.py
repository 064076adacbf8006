"""``seed-demo --referrals N``: ninety days of referral work, made through the services."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select

from portal.demo.referrals import COMPETENT_AUTHORITIES
from portal.extensions import db
from portal.models import (
    Organisation,
    Referral,
    ReferralBulkJob,
    ReferralItem,
    ReferralLedgerEntry,
)
from portal.services.accounts import directory as accounts
from portal.services.principals import Reader
from portal.services.referrals import intake, ledger

COUNT = 60


def reader_of(email: str) -> Reader:
    return Reader.of(accounts.user_by_email(email))


@pytest.fixture
def people_seeded(app, demo_people_world):
    """The demo's organisations and users, loaded: each test seeds its referrals on them."""
    demo_people_world.load(app)


def seeded(runner, count: int = COUNT) -> str:
    result = runner.invoke(
        args=["seed-demo", "--bulletins", "0", "--referrals", str(count), "--hashes", "0"]
    )
    assert result.exit_code == 0, result.output
    return result.output


def test_demo_referrals_are_signed_cased_and_on_the_ledger(app, runner, people_seeded):
    output = seeded(runner)
    assert f"demo referrals: {COUNT} (" in output
    with app.app_context():
        session = db.session()
        codes = {i: c for i, c in session.execute(select(Organisation.id, Organisation.code))}
        # Two action days: one stored with a report (a mistyped URL refused), one waiting.
        jobs = {job.state: job for job in session.scalars(select(ReferralBulkJob))}
        assert set(jobs) == {"done", "queued"}
        assert jobs["done"].accepted > 200 and jobs["done"].refused >= 1
        assert jobs["queued"].rows_total == 900 and jobs["queued"].accepted == 0
        bulk_ids = {
            item.referral_id
            for item in session.scalars(select(ReferralItem))
            if item.received_at == jobs["done"].created_at
        }
        referrals = [r for r in session.scalars(select(Referral)) if r.id not in bulk_ids]
        assert len(referrals) == COUNT
        # Every referral verifies as its referrer signed it; the ledger is what the audit says.
        for referral in referrals[:20]:
            reader = reader_of(f"liaison@{codes[referral.referrer_org_id].lower()}.demo")
            assert intake.verify(reader, referral.id).valid
        assert ledger.check() == []
        # Only the demo's competent authorities issue removal orders, and some do.
        order_senders = {codes[r.referrer_org_id] for r in referrals if r.kind == "removal_order"}
        assert order_senders and order_senders <= set(COMPETENT_AUTHORITIES)
        # Platforms receive; ministries and observers refer.
        platforms = {codes[r.platform_org_id] for r in referrals}
        assert platforms <= {"META", "GOOGLE", "X-CORP", "MICROSOFT"} and len(platforms) >= 3
        assert not {codes[r.referrer_org_id] for r in referrals} & platforms
        states = {
            state: n
            for state, n in session.execute(
                select(ReferralItem.state, func.count()).group_by(ReferralItem.state)
            )
        }
        assert states.get("decided", 0) > states.get("received", 0) + states.get("claimed", 0)
        events = set(session.scalars(select(ReferralLedgerEntry.event).distinct()))
        assert {"received", "first_opened", "claimed", "decided"} <= events


def test_two_fresh_orders_wait_one_overdue_one_within_its_hour(app, runner, people_seeded):
    seeded(runner, 10)
    with app.app_context():
        now = datetime.now(UTC)
        fresh = db.session().scalars(
            select(ReferralItem).where(
                ReferralItem.kind == "removal_order",
                ReferralItem.received_at > now - timedelta(hours=3),
                ReferralItem.state == "received",
            )
        )
        late = sorted(item.deadline_at < now for item in fresh)
        assert late == [False, True]


def test_seeding_twice_adds_no_referrals(app, runner, people_seeded):
    seeded(runner, 5)
    again = seeded(runner, 5)
    assert "demo referrals: some exist already, none added" in again
    with app.app_context():
        assert db.session().scalar(select(func.count()).select_from(ReferralBulkJob)) == 2
