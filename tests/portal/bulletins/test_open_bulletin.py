"""Opening a bulletin, the one way the portal does it: the bulletin opened and verified, or why
it did not open (ended, expired, shredded, tampered), and never any content then."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import func, select

from portal.extensions import db
from portal.models import AuditRecord, Bulletin, ReadReceipt
from portal.services.bulletins import reading
from portal.services.bulletins.reading import OpenedBulletin, Unopened, open_bulletin
from portal.services.errors import NotFound
from portal.services.organisations import keys as org_keys
from portal.services.principals import Actor
from tests.portal.bulletins.conftest import CANARY, Desk
from tests.portal.bulletins.sessions import Clients, retract


def opening(desk: Desk, bulletin_id: str, org_code: str, **kwargs) -> OpenedBulletin | Unopened:
    with desk.app.app_context():
        session = db.session()
        return open_bulletin(session, org_code, session.get_one(Bulletin, bulletin_id), **kwargs)


def tamper(desk: Desk, bulletin_id: str, **columns) -> None:
    with desk.app.app_context(), db.write() as session:
        bulletin = session.get_one(Bulletin, bulletin_id)
        for name, value in columns.items():
            setattr(bulletin, name, value(bulletin) if callable(value) else value)


def flip(data: bytes) -> bytes:
    middle = len(data) // 2
    return data[:middle] + bytes([data[middle] ^ 0x01]) + data[middle + 1 :]


def rows(desk: Desk, model) -> int:
    with desk.app.app_context():
        return db.session.scalar(select(func.count()).select_from(model))


@pytest.mark.parametrize("org_code", ["IT-MININT", "FR-MININT", "DE-BMI"])
def test_the_sender_and_every_recipient_open_it_verified(desk, org_code):
    bulletin_id = desk.post(title=CANARY, marking="TLP:AMBER+STRICT")
    before = rows(desk, AuditRecord), rows(desk, ReadReceipt)
    with desk.app.app_context():
        session = db.session()
        bulletin = session.get_one(Bulletin, bulletin_id)
        opened = open_bulletin(session, org_code, bulletin)
        assert isinstance(opened, OpenedBulletin)
        assert opened.bulletin is bulletin and bulletin.sender.code == "IT-MININT"
        assert opened.content.title == CANARY
        assert opened.envelope.header.envelope_id == bulletin_id
        assert opened.seal.sender_org == "IT-MININT"
        assert {h.org for h in opened.seal.holders} == {"IT-MININT", "FR-MININT", "DE-BMI"}
    # Opening records nothing: the caller audits what it shows.
    assert (rows(desk, AuditRecord), rows(desk, ReadReceipt)) == before


def test_an_organisation_it_was_not_sent_to_gets_no_content(desk):
    bulletin_id = desk.post(title=CANARY, recipients=["FR-MININT"])
    assert opening(desk, bulletin_id, "DE-BMI") is Unopened.TAMPERED
    with desk.app.app_context():
        reader = desk.reader("de.analyst")
        before = rows(desk, AuditRecord)
        with pytest.raises(NotFound):
            reading.read_bulletin(reader, Actor(reader.user_id), bulletin_id)
    assert rows(desk, AuditRecord) == before


def test_a_retracted_bulletin_has_ended_for_everyone(desk):
    bulletin_id = desk.post(title=CANARY)
    retract(desk, bulletin_id)
    for org_code in ("IT-MININT", "FR-MININT", "DE-BMI"):
        assert opening(desk, bulletin_id, org_code) is Unopened.ENDED


def test_a_restored_backup_of_a_retracted_bulletin_stays_shredded(desk):
    """Its row and ciphertext put back as they were: no wrapped key remains to open it."""
    bulletin_id = desk.post(title=CANARY)
    with desk.app.app_context():
        ciphertext = db.session.get_one(Bulletin, bulletin_id).content
    retract(desk, bulletin_id)
    tamper(desk, bulletin_id, state="active", ended_at=None, content=ciphertext)
    assert opening(desk, bulletin_id, "FR-MININT") is Unopened.SHREDDED


def test_past_its_signed_expiry_it_does_not_open(desk):
    bulletin_id = desk.post(title=CANARY)
    with desk.app.app_context():
        expires_at = db.session.get_one(Bulletin, bulletin_id).expires_at
    later = expires_at + timedelta(minutes=1)
    assert opening(desk, bulletin_id, "FR-MININT", now=later) is Unopened.EXPIRED
    assert isinstance(opening(desk, bulletin_id, "FR-MININT"), OpenedBulletin)


@pytest.mark.parametrize(
    "columns",
    [
        {"content": lambda b: flip(b.content)},
        {"header": lambda b: flip(b.header)},
        {"marking": "TLP:CLEAR"},  # a listing column that differs from the signed header
        {"category": "other"},
        # The listing names another sender than the one who signed: readers would see it.
        {"sender_org_id": lambda b: b.sender_org_id + 1},
    ],
    ids=["content", "header", "marking", "category", "sender"],
)
def test_a_changed_part_or_listing_column_is_tampered(desk, columns):
    bulletin_id = desk.post(title=CANARY)
    tamper(desk, bulletin_id, **columns)
    for org_code in ("IT-MININT", "FR-MININT"):
        assert opening(desk, bulletin_id, org_code) is Unopened.TAMPERED


def test_a_listing_mismatch_names_the_bulletin(desk):
    bulletin_id = desk.post(title=CANARY)
    tamper(desk, bulletin_id, category="other")
    with desk.app.app_context():
        session = db.session()
        bulletin = session.get_one(Bulletin, bulletin_id)
        with pytest.raises(reading.ListingMismatch) as refused:
            reading._open_envelope(session, "FR-MININT", bulletin, bulletin.created_at, None)
    assert str(refused.value) == f"listing data of {bulletin_id} differ from its signed header"


@pytest.mark.parametrize(
    ("setup", "result"),
    [
        (lambda desk, bulletin_id: None, "success"),
        (lambda desk, bulletin_id: retract(desk, bulletin_id), "retracted"),
        (
            lambda desk, bulletin_id: tamper(desk, bulletin_id, content=lambda b: flip(b.content)),
            "tampered",
        ),
    ],
    ids=["opened", "retracted", "tampered"],
)
def test_the_read_is_audited_with_why_it_did_not_open(desk, setup, result):
    bulletin_id = desk.post(title=CANARY)
    setup(desk, bulletin_id)
    with desk.app.app_context():
        reader = desk.reader("fr.analyst")
        read = reading.read_bulletin(reader, Actor(reader.user_id), bulletin_id)
        assert (read.content is not None) is (result == "success")
        assert (read.problem == reading.TAMPERED) is (result == "tampered")
        record = db.session.scalars(
            select(AuditRecord)
            .where(AuditRecord.event == "bulletin.read")
            .order_by(AuditRecord.seq.desc())
        ).first()
    assert record.details == {"bulletin": bulletin_id, "result": result}
    assert record.outcome == ("success" if result == "success" else "failure")


def test_the_read_past_expiry_is_audited_as_expired(desk):
    bulletin_id = desk.post(title=CANARY)
    with desk.app.app_context():
        later = db.session.get_one(Bulletin, bulletin_id).expires_at + timedelta(minutes=1)
        reader = desk.reader("fr.analyst")
        read = reading.read_bulletin(reader, Actor(reader.user_id), bulletin_id, now=later)
        assert read.content is None and read.problem is None and not read.ended
        record = db.session.scalars(
            select(AuditRecord)
            .where(AuditRecord.event == "bulletin.read")
            .order_by(AuditRecord.seq.desc())
        ).first()
    assert record.details["result"] == "expired" and record.outcome == "failure"


@pytest.mark.parametrize("who", ["it.officer", "fr.analyst"])
def test_the_read_page_opens_the_bulletin_once(app, people, desk, monkeypatch, who):
    """The originator's actions, discovery and acknowledgements come from that one opening."""
    bulletin_id = desk.post(title=CANARY)
    desk.post("de.officer", ["UK-HO"], title="hidden")  # names the same entities: a discovery hit
    client = Clients(app, people)[who]
    calls = []
    real = reading.open_envelope

    def counting(*args, **kwargs):
        calls.append(args)
        return real(*args, **kwargs)

    monkeypatch.setattr(reading, "open_envelope", counting)
    page = client.get(f"/bulletins/{bulletin_id}")
    assert page.status_code == 200 and CANARY in page.text
    assert "Elsewhere in Ischia" in page.text
    assert (f"/bulletins/{bulletin_id}/amend" in page.text) is (who == "it.officer")
    assert len(calls) == 1


def test_a_ring_loaded_before_a_rotation_falls_back_to_the_ring_of_now(desk):
    """A TAXII page loads its key ring once; an envelope moved to a key the ring lacks (here:
    a ring of other keys) is opened with the ring as it is now; a tampered one stays tampered."""
    bulletin_id = desk.post(title=CANARY, recipients=["FR-MININT"])
    with desk.app.app_context():
        stale = org_keys.keyring("DE-BMI")
    opened = opening(desk, bulletin_id, "FR-MININT", keyring=stale)
    assert isinstance(opened, OpenedBulletin) and opened.content.title == CANARY
    assert opening(desk, bulletin_id, "DE-BMI", keyring=stale) is Unopened.TAMPERED
    tamper(desk, bulletin_id, content=lambda b: flip(b.content))
    assert opening(desk, bulletin_id, "FR-MININT", keyring=stale) is Unopened.TAMPERED
