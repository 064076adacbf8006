"""Retention expiry: ``flask bulletins expire`` (cron) and the sysadmin's button shred every
bulletin past its retention date; a second run does nothing."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select

from portal.extensions import db
from portal.models import AuditRecord, Bulletin, BulletinKey, BulletinToken
from portal.services.bulletins import reading
from portal.services.principals import Actor
from tests.portal.conftest import csrf_token

FUTURE = (datetime.now(UTC) + timedelta(days=800)).isoformat()  # past the two-year default


def counts(app):
    with app.app_context():
        session = db.session()
        rows = [
            session.scalar(select(func.count()).select_from(model))
            for model in (BulletinKey, BulletinToken, AuditRecord)
        ]
        expired = session.scalar(select(func.count()).where(Bulletin.state == "expired"))
        return (*rows, expired)


def test_expire_with_a_future_now_shreds_prints_and_is_idempotent(app, runner, desk):
    ids = [desk.post(), desk.post(recipients=["UK-HO"])]
    result = runner.invoke(args=["bulletins", "expire", "--now", FUTURE])
    assert result.exit_code == 0, result.output
    assert result.output.strip() == "expired 2 bulletins"
    with app.app_context():
        session = db.session()
        for bulletin_id in ids:
            row = session.get(Bulletin, bulletin_id)
            assert row.state == "expired" and row.content is None and row.ended_at is not None
        assert session.scalar(select(func.count()).select_from(BulletinKey)) == 0
        assert session.scalar(select(func.count()).select_from(BulletinToken)) == 0
        records = list(
            session.scalars(select(AuditRecord).where(AuditRecord.event == "bulletin.expired"))
        )
        assert sorted(r.details["bulletin"] for r in records) == sorted(ids)
        assert all(r.actor_user_id is None for r in records)  # the command line
    for who in ("it.officer", "fr.analyst"):
        with app.app_context():
            reader = desk.reader(who)
            opened = reading.read_bulletin(reader, Actor(reader.user_id), ids[0])
            assert opened.content is None and opened.ended
    before = counts(app)
    again = runner.invoke(args=["bulletins", "expire", "--now", FUTURE])
    assert again.exit_code == 0 and again.output.strip() == "expired 0 bulletins"
    assert counts(app) == before


def test_dry_run_and_the_present_change_nothing(app, runner, desk):
    desk.post()
    before = counts(app)
    dry = runner.invoke(args=["bulletins", "expire", "--dry-run", "--now", FUTURE])
    assert dry.exit_code == 0 and dry.output.startswith("1 bulletin would expire")
    now = runner.invoke(args=["bulletins", "expire"])
    assert now.exit_code == 0 and now.output.strip() == "expired 0 bulletins"
    assert counts(app) == before


@pytest.mark.parametrize("value", ["tomorrow", "2027-13-01", ""])
def test_a_bad_now_names_the_option(app, runner, desk, value):
    desk.post()
    before = counts(app)
    result = runner.invoke(args=["bulletins", "expire", "--now", value])
    assert result.exit_code != 0
    assert "--now" in result.output and "ISO 8601" in result.output
    assert counts(app) == before


def test_a_sysadmin_can_expire_on_demand(app, client, auth, desk, people):
    due, kept = desk.post(), desk.post()
    with app.app_context(), db.write() as session:
        # As if its retention date had come (the form refuses a date in the past).
        session.get(Bulletin, due).expires_at = datetime.now(UTC) - timedelta(minutes=1)
    people.user("root@it.example", "sysadmin", org="IT-MININT")
    auth.sign_in("root@it.example")
    page = client.get("/bulletins/retention")
    assert page.status_code == 200 and "<strong>1</strong> bulletin passed" in page.text
    response = client.post("/bulletins/retention", data={"csrf_token": csrf_token(page.text)})
    assert response.status_code == 302
    with app.app_context():
        assert db.session.get(Bulletin, due).state == "expired"
        assert db.session.get(Bulletin, kept).state == "active"
        record = db.session.scalar(
            select(AuditRecord).where(AuditRecord.event == "bulletin.expired")
        )
        assert record.actor_email == "root@it.example"
    auth.logout()
    auth.sign_in("officer@it.example")
    assert client.get("/bulletins/retention").status_code == 403
