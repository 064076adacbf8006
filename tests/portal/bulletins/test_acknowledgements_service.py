"""The acknowledgements service called directly: one acknowledgement per recipient
organisation, audited; refused for the sender, the unseen, the ended and the tampered, with
nothing written; who sees which names and read receipts."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from portal.extensions import db
from portal.models import Acknowledgement, Bulletin, utcnow
from portal.services import audit
from portal.services.bulletins import acknowledgements, reading
from portal.services.bulletins.acknowledgements import AlreadyAcknowledged, Receipt
from portal.services.errors import Conflict, InvalidInput, NotFound
from portal.services.principals import Actor
from tests.portal.bulletins.sessions import retract
from tests.portal.races import race, split
from tests.portal.service_checks import actor_of, flip_content, only_record, records, unchanged


def acknowledge(desk, who, bulletin_id, **kwargs):
    reader = desk.reader(who)
    return acknowledgements.acknowledge(reader, actor_of(reader), bulletin_id, **kwargs)


def activity(desk, who, bulletin_id):
    return acknowledgements.activity(desk.reader(who), db.session.get_one(Bulletin, bulletin_id))


def test_a_recipient_acknowledges_once_on_record(app, desk):
    bulletin_id = desk.post()
    now = utcnow()
    with app.app_context():
        receipt = acknowledge(desk, "fr.analyst", bulletin_id, now=now)
        assert receipt == Receipt("FR-MININT", None, now)
        row = db.session.scalars(select(Acknowledgement)).one()
        assert (row.bulletin_id, row.org_id, row.user_id, row.at) == (
            bulletin_id,
            desk.reader("fr.analyst").org_id,
            desk.users["fr.analyst"],
            now,
        )
        record = only_record("bulletin.acknowledged")
        assert record.outcome == "success"
        assert record.actor_user_id == desk.users["fr.analyst"]
        assert record.subject_org_id == desk.reader("it.officer").org_id
        assert record.details == {"bulletin": bulletin_id, "org": "FR-MININT"}


def test_a_second_acknowledgement_by_the_same_organisation_is_a_conflict(app, desk):
    bulletin_id = desk.post()
    with app.app_context():
        acknowledge(desk, "fr.analyst", bulletin_id)
        with unchanged(), pytest.raises(AlreadyAcknowledged) as refused:
            acknowledge(desk, "fr.officer", bulletin_id)  # a colleague
        assert isinstance(refused.value, Conflict)
        assert "FR-MININT already acknowledged" in refused.value.message
        assert "(Analyst)" in refused.value.message  # who did, for their own organisation
        # Another recipient organisation still may.
        acknowledge(desk, "de.analyst", bulletin_id)
        assert len(records("bulletin.acknowledged")) == 2


def test_the_sending_organisation_does_not_acknowledge(app, desk):
    bulletin_id = desk.post()
    with app.app_context():
        for who in ("it.officer", "it.analyst"):
            with unchanged(), pytest.raises(InvalidInput, match="sent this bulletin"):
                acknowledge(desk, who, bulletin_id)


def test_a_bulletin_the_reader_cannot_see_is_not_found(app, desk):
    posted = desk.post()
    with app.app_context():
        for who, bulletin_id in [
            ("uk.analyst", posted),  # a ministry it was not sent to
            ("platform", posted),  # platforms see no bulletin at all
            ("fr.analyst", "0" * 32),  # no such bulletin
            ("fr.analyst", "not-an-id"),
            ("fr.analyst", posted.upper()),  # ids are lower-case hexadecimal
        ]:
            with unchanged(), pytest.raises(NotFound):
                acknowledge(desk, who, bulletin_id)


def test_a_retracted_bulletin_can_no_longer_be_acknowledged(app, desk):
    bulletin_id = desk.post()
    retract(desk, bulletin_id)
    with app.app_context():
        with unchanged(), pytest.raises(InvalidInput, match="retracted"):
            acknowledge(desk, "fr.analyst", bulletin_id)
        assert activity(desk, "fr.analyst", bulletin_id).may_acknowledge is False


def test_a_bulletin_past_its_retention_date_can_no_longer_be_acknowledged(app, desk):
    bulletin_id = desk.post()
    later = utcnow() + timedelta(days=731)  # the default retention is two years
    with app.app_context(), unchanged(), pytest.raises(InvalidInput, match="expired"):
        acknowledge(desk, "fr.analyst", bulletin_id, now=later)


def test_a_bulletin_that_fails_verification_is_not_acknowledged(app, desk):
    bulletin_id = desk.post()
    with app.app_context():
        flip_content(bulletin_id)
        with unchanged(), pytest.raises(Conflict) as refused:
            acknowledge(desk, "fr.analyst", bulletin_id)
        assert type(refused.value) is Conflict  # not AlreadyAcknowledged
        assert refused.value.message == reading.TAMPERED


def test_activity_shows_names_to_the_originator_and_organisations_to_the_others(app, desk):
    bulletin_id = desk.post()
    with app.app_context():
        fr = desk.reader("fr.analyst")
        reading.read_bulletin(fr, Actor(fr.user_id), bulletin_id)
        acknowledge(desk, "fr.analyst", bulletin_id)

        sender = activity(desk, "it.officer", bulletin_id)
        assert [(a.org, a.user) for a in sender.acknowledgements] == [("FR-MININT", "Analyst")]
        assert sender.receipts is not None
        assert [(r.org, r.user) for r in sender.receipts] == [("FR-MININT", "Analyst")]
        assert sender.acknowledged_by_reader is None and sender.may_acknowledge is False

        own = activity(desk, "fr.officer", bulletin_id)
        assert [(a.org, a.user) for a in own.acknowledgements] == [("FR-MININT", "Analyst")]
        assert own.receipts is None  # read receipts are the originator's alone
        assert own.acknowledged_by_reader is not None and own.may_acknowledge is False

        other = activity(desk, "de.analyst", bulletin_id)
        assert [(a.org, a.user) for a in other.acknowledgements] == [("FR-MININT", None)]
        assert other.receipts is None
        assert other.acknowledged_by_reader is None and other.may_acknowledge is True


def test_acknowledgements_submitted_at_the_same_moment_leave_one(app, desk):
    bulletin_id = desk.post()
    # A double click of one analyst and a colleague of the same organisation, at once.
    who = ["fr.analyst", "fr.analyst", "fr.officer"]
    outcomes = race(app, *[lambda w=w: acknowledge(desk, w, bulletin_id) for w in who])
    (receipt,), refused = split(outcomes)
    assert receipt.org == "FR-MININT"
    assert len(refused) == 2 and all(type(r) is AlreadyAcknowledged for r in refused)
    winner = who[outcomes.index(receipt)]
    with app.app_context():
        (row,) = db.session.scalars(select(Acknowledgement)).all()
        assert row.user_id == desk.users[winner]
        name = "Analyst" if winner == "fr.analyst" else "Officer"
        assert all("FR-MININT already acknowledged" in r.message for r in refused)
        assert all(f"({name})" in r.message for r in refused)
        assert only_record("bulletin.acknowledged").actor_user_id == desk.users[winner]
        assert audit.verify_chain().problem is None
