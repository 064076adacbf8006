"""Posting seals the whole content and stores it in one transaction; reading verifies it."""

from __future__ import annotations

import io

import pytest
from sqlalchemy import func, select

from portal.extensions import db
from portal.models import (
    AuditRecord,
    Bulletin,
    BulletinKey,
    BulletinRecipient,
    BulletinToken,
)
from portal.services.bulletins import reading, sealing
from portal.services.bulletins.attachments import Upload
from portal.services.errors import Forbidden, InvalidInput, NotFound
from portal.services.principals import Actor
from tests.portal.bulletins.conftest import CANARY, PNG, document


def _counts():
    session = db.session()
    return tuple(
        session.scalar(select(func.count()).select_from(model))
        for model in (Bulletin, BulletinKey, BulletinRecipient, BulletinToken, AuditRecord)
    )


def test_post_then_read_by_recipient(app, desk):
    bulletin_id = desk.post(title=f"Title {CANARY}", uploads=[("photo.png", PNG)])
    with app.app_context():
        row = db.session.get(Bulletin, bulletin_id)
        assert row.category == "recruitment" and row.marking == "TLP:AMBER"
        assert CANARY.encode() not in row.header + (row.content or b"")
        keys = db.session.scalars(
            select(BulletinKey.org_code).where(BulletinKey.bulletin_id == bulletin_id)
        )
        assert sorted(keys) == ["DE-BMI", "FR-MININT", "IT-MININT"]
        reader = desk.reader("fr.analyst")
        result = reading.read_bulletin(reader, Actor(reader.user_id), bulletin_id)
        assert result.problem is None
        assert result.content.title == f"Title {CANARY}"
        assert result.content.attachments[0].content_type == "image/png"
        assert result.seal.sender_org == "IT-MININT"
        assert len(result.seal.sender_fingerprint.split()) == 12


def test_outsiders_and_platforms_get_not_found(app, desk):
    bulletin_id = desk.post()
    with app.app_context():
        for who in ("uk.analyst", "platform"):
            reader = desk.reader(who)
            with pytest.raises(NotFound):
                reading.read_bulletin(reader, Actor(reader.user_id), bulletin_id)


def test_bad_input_writes_nothing(app, desk):
    with app.app_context():
        reader = desk.reader("it.officer")
        before = _counts()
        cases = [
            ({"recipients": ["NOPE"]}, "recipients"),
            ({"recipients": ["PLATFORM-X"]}, "recipients"),
            ({"recipients": []}, "recipients"),
            ({"marking": "TLP:WHITE"}, "marking"),
            ({"category": "gossip"}, "category"),
            ({"document": document(title="")}, "title"),
            ({"uploads": [Upload("x.png", io.BytesIO(b"<script>"))]}, "attachments[0]"),
        ]
        for change, field in cases:
            fields = {
                "document": document(),
                "category": "recruitment",
                "marking": "TLP:AMBER",
                "recipients": ["FR-MININT"],
                **change,
            }
            with pytest.raises(InvalidInput) as caught:
                sealing.post_bulletin(reader, Actor(reader.user_id), sealing.Draft(**fields))
            assert caught.value.field == field
        assert _counts() == before


def test_only_liaison_officers_post(app, desk):
    with app.app_context():
        reader = desk.reader("fr.analyst")
        draft = sealing.Draft(document(), "recruitment", "TLP:AMBER", ["IT-MININT"])
        with pytest.raises(Forbidden):
            sealing.post_bulletin(reader, Actor(reader.user_id), draft)


def test_changed_byte_in_any_part_shows_tamper_warning(app, desk):
    for part in ("content", "header", "key"):
        bulletin_id = desk.post()
        with app.app_context(), db.write() as session:
            row = session.get(Bulletin, bulletin_id)
            if part == "key":
                key = session.scalar(
                    select(BulletinKey).where(
                        BulletinKey.bulletin_id == bulletin_id, BulletinKey.org_code == "FR-MININT"
                    )
                )
                key.enc = bytes([key.enc[0] ^ 1]) + key.enc[1:]
            else:
                value = getattr(row, part)
                setattr(row, part, value[:10] + bytes([value[10] ^ 1]) + value[11:])
        with app.app_context():
            reader = desk.reader("fr.analyst")
            result = reading.read_bulletin(reader, Actor(reader.user_id), bulletin_id)
            assert result.problem == reading.TAMPERED, part
            assert result.content is None and result.seal is None
