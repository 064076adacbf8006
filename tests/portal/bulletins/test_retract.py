"""Retraction: every version of the series is crypto-shredded for everyone, the sender included."""

from __future__ import annotations

import dataclasses
import io

import pytest
from sqlalchemy import func, select

from crypto import EnvelopeError, Shredded, open_envelope
from portal.extensions import db
from portal.models import (
    Attachment,
    AttachmentChunk,
    AuditRecord,
    Bulletin,
    BulletinKey,
    BulletinToken,
)
from portal.services.bulletins import lifecycle, reading, sealing
from portal.services.bulletins.attachments import Upload
from portal.services.bulletins.store import envelope_of
from portal.services.errors import Conflict, InvalidInput, NotFound
from portal.services.organisations import keys as org_keys
from portal.services.principals import Actor
from tests.portal.bulletins.conftest import CANARY, PNG, document
from tests.portal.conftest import csrf_token

REASON = "The identification of the account holder was wrong."


def counts(app):
    with app.app_context():
        session = db.session()
        return tuple(
            session.scalar(select(func.count()).select_from(model))
            for model in (BulletinKey, BulletinToken, AttachmentChunk, AuditRecord)
        )


@pytest.fixture
def series(app, desk):
    """Two versions of one bulletin, with an attachment each, sent to FR and DE."""
    first = desk.post(title=f"v1 {CANARY}", uploads=[("photo.png", PNG)])
    with app.app_context():
        reader = desk.reader("it.officer")
        draft = sealing.Draft(
            document(title=f"v2 {CANARY}"),
            "recruitment",
            "TLP:AMBER",
            ["FR-MININT", "DE-BMI"],
            uploads=[Upload("photo.png", io.BytesIO(PNG))],
        )
        second = sealing.seal_and_store(
            reader, Actor(reader.user_id), draft, series=db.session.get(Bulletin, first)
        ).id
    return first, second


def post_retract(client, bulletin_id, **data):
    token = csrf_token(client.get("/bulletins/search").text)
    return client.post(f"/bulletins/{bulletin_id}/retract", data={"csrf_token": token, **data})


def test_retracting_shreds_every_version_and_nobody_can_open_it(app, client, auth, desk, series):
    with app.app_context():
        ciphertexts = {b: db.session.get(Bulletin, b).content for b in series}
    auth.sign_in("officer@it.example")
    page = client.get(f"/bulletins/{series[1]}")
    assert f"/bulletins/{series[1]}/retract" in page.text  # the action, at the top
    page = client.get(f"/bulletins/{series[1]}/retract")
    assert "every version" in page.text and "v1, v2" in page.text
    response = post_retract(client, series[1], confirm="y", reason=REASON)
    assert response.status_code == 302
    landing = client.get(response.location)
    assert "the content of its 2 versions was destroyed for every organisation" in landing.text

    with app.app_context():
        session = db.session()
        for bulletin_id in series:
            row = session.get(Bulletin, bulletin_id)
            assert row.state == "retracted" and row.ended_at is not None and row.content is None
            for model in (BulletinKey, BulletinToken):
                count = select(func.count()).where(model.bulletin_id == bulletin_id)
                assert session.scalar(count) == 0, model
            chunks = select(func.count(AttachmentChunk.seq)).join(Attachment)
            assert session.scalar(chunks.where(Attachment.bulletin_id == bulletin_id)) == 0
            envelope = envelope_of(session, row)
            assert envelope.wrapped_keys == ()
            keyring = org_keys.keyring("IT-MININT")
            directory = org_keys.directory()
            # As stored, the ciphertext is gone too, so not even the signature checks out ...
            with pytest.raises(EnvelopeError):
                open_envelope(envelope, recipient=keyring, directory=directory, now=row.created_at)
            # ... and a copy of the old ciphertext (a backup) opens for nobody: no key remains.
            restored = dataclasses.replace(envelope, content=ciphertexts[bulletin_id])
            with pytest.raises(Shredded):
                open_envelope(restored, recipient=keyring, directory=directory, now=row.created_at)
        record = session.scalar(
            select(AuditRecord).where(AuditRecord.event == "bulletin.retracted")
        )
        assert record.details["versions"] == list(series)
        assert record.details["keys_destroyed"] == 6
        assert record.details["reason_given"] is True and REASON not in str(record.details)

    for who in ("it.officer", "fr.analyst", "de.analyst"):
        for bulletin_id in series:
            with app.app_context():
                reader = desk.reader(who)
                result = reading.read_bulletin(reader, Actor(reader.user_id), bulletin_id)
                assert result.content is None and result.ended, who
    page = client.get(f"/bulletins/{series[0]}")
    assert page.status_code == 200 and CANARY not in page.text
    assert "/release" not in page.text and "/retract" not in page.text
    auth.sign_in("analyst@fr.example")  # a recipient reads why, on the tombstone
    tombstone = client.get(f"/bulletins/{series[1]}")
    assert tombstone.status_code == 200 and REASON in tombstone.text
    assert CANARY not in tombstone.text


def test_retraction_without_reason_or_tick_shows_both_problems_and_changes_nothing(
    app, client, auth, desk, series
):
    auth.sign_in("officer@it.example")
    before = counts(app)
    response = post_retract(client, series[1], reason="   ")
    assert response.status_code == 400
    assert "Say why the bulletin is retracted" in response.text
    assert "Tick the box to confirm" in response.text
    assert counts(app) == before


def test_the_reason_is_checked_by_the_service(app, desk, series):
    with app.app_context():
        reader = desk.reader("it.officer")
        for bad in ("x" * 501, "bell\x07"):
            with pytest.raises(InvalidInput) as refused:
                lifecycle.retract(
                    reader, Actor(reader.user_id), series[1], confirmed=True, reason=bad
                )
            assert refused.value.field == "reason"
        assert db.session.get(Bulletin, series[1]).state == "active"


def test_retraction_needs_the_confirmation(app, client, auth, desk, series):
    auth.sign_in("officer@it.example")
    before = counts(app)
    response = post_retract(client, series[1], reason=REASON)
    assert response.status_code == 400
    assert "Tick the box to confirm" in response.text and 'class="error"' in response.text
    assert counts(app) == before


@pytest.mark.parametrize(
    "email", ["officer@fr.example", "officer@uk.example", "trust@platform.example"]
)
def test_anyone_but_the_originator_gets_not_found(app, client, auth, desk, series, email):
    auth.sign_in(email)
    before = counts(app)
    for method in ("get", "post"):
        response = getattr(client, method)(
            f"/bulletins/{series[1]}/retract",
            data={"csrf_token": csrf_token(client.get("/").text), "confirm": "y"},
        )
        assert response.status_code == 404
    assert counts(app) == before


def test_retracting_twice_says_it_is_already_retracted(app, client, auth, desk, series):
    with app.app_context():
        reader = desk.reader("it.officer")
        lifecycle.retract(reader, Actor(reader.user_id), series[0], confirmed=True)
        with pytest.raises(Conflict, match="already retracted"):
            lifecycle.retract(reader, Actor(reader.user_id), series[1], confirmed=True)
        with pytest.raises(NotFound):
            fr = desk.reader("fr.officer")
            lifecycle.retract(fr, Actor(fr.user_id), series[1], confirmed=True)
    auth.sign_in("officer@it.example")
    again = post_retract(client, series[1], confirm="y", reason=REASON)
    assert again.status_code == 409 and "already retracted" in again.text
