"""Evidence on referral items: sealed to the referrer and the platform only, hashed on the
server, joining cases by SHA-256, refused whole when the input is bad, audited without
content."""

from __future__ import annotations

import hashlib
import io
import json
from datetime import timedelta

import pytest
from sqlalchemy import select

from crypto import Envelope
from portal.extensions import db
from portal.models import ReferralCaseKey, ReferralEvidence, ReferralEvidenceChunk, ReferralItem
from portal.services.errors import Conflict, Forbidden, InvalidInput, NotFound
from portal.services.referrals import evidence, intake, queue
from portal.services.referrals.evidence import EvidenceUpload
from portal.services.referrals.queue import Decision
from tests.portal.referrals.conftest import NOW, item
from tests.portal.service_checks import actor_of, records, unchanged

VIDEO = b"\x00\x00\x00\x18ftypmp42" + b"captured recruitment video " * 200


def as_(world, who):
    reader = world.reader(who)
    return reader, actor_of(reader)


def upload(data: bytes = VIDEO, name: str = "capture.mp4") -> EvidenceUpload:
    return EvidenceUpload(name, io.BytesIO(data))


def attach(world, item_id: str, data: bytes = VIDEO, name: str = "capture.mp4", who: str = "de"):
    return evidence.attach(*as_(world, who), item_id, upload(data, name), now=NOW)


def test_both_parties_download_what_the_referrer_sealed(app, world):
    with app.app_context():
        target = world.refer("de").items[0]
        info = attach(world, target.id, name="../../etc/Capture <1>.mp4")
        assert (info.size, info.sha256) == (len(VIDEO), hashlib.sha256(VIDEO).hexdigest())
        assert info.md5 == hashlib.md5(VIDEO, usedforsecurity=False).hexdigest()
        assert info.filename == "Capture _1.mp4" and info.content_type == "video/mp4"
        for who in ("de", "x", "x2"):
            got = evidence.download(*as_(world, who), target.id, info.id)
            assert got.data == VIDEO and got.filename == "Capture _1.mp4"
            assert got.content_type == "video/mp4"
            listed = evidence.list_evidence(world.reader(who), target.id)
            assert [(e.id, e.filename, e.sha256) for e in listed] == [
                (info.id, info.filename, info.sha256)
            ]
        # Sealed to exactly the two organisations, signed by the referrer.
        row = db.session.get_one(ReferralEvidence, info.id)
        header = Envelope.from_json(row.envelope).header
        assert header.sender.org == "DE-BMI"
        assert {r.org for r in header.recipients} == {"DE-BMI", "PLATFORM-X"}
        downloads = records("referral.evidence_downloaded")
        assert len(downloads) == 3 and {r.outcome for r in downloads} == {"success"}
        attached = records("referral.evidence_attached")
        assert len(attached) == 1
        text = json.dumps([r.details for r in attached + downloads])
        assert "capture" not in text.lower() and info.id in text


def test_no_one_else_sees_or_downloads_evidence(app, world):
    with app.app_context():
        target = world.refer("de").items[0]
        info = attach(world, target.id)
        for who in ("fr", "uk", "eu", "y"):
            with unchanged(), pytest.raises(NotFound):
                evidence.download(*as_(world, who), target.id, info.id)
            with pytest.raises(NotFound):
                evidence.list_evidence(world.reader(who), target.id)
        # The right parties with a wrong pairing of ids, or a malformed id.
        other = world.refer("de", [item("https://other.example/v")]).items[0]
        for item_id, evidence_id in ((other.id, info.id), (target.id, "nope"), ("x" * 32, info.id)):
            with pytest.raises(NotFound):
                evidence.download(*as_(world, "de"), item_id, evidence_id)
        with pytest.raises(Forbidden):  # a ministry's analyst is not a party's liaison officer
            evidence.download(*as_(world, "de.analyst"), target.id, info.id)


def test_only_the_referrer_attaches_and_only_while_the_item_is_open(app, world):
    with app.app_context():
        target = world.refer("de").items[0]
        for who in ("fr", "x"):
            with unchanged(), pytest.raises((NotFound, Forbidden)):
                attach(world, target.id, who=who)
        x, x_actor = as_(world, "x")
        asked = NOW + timedelta(minutes=2)
        queue.decide(
            x, x_actor, target.id, Decision("more_information", question="A copy?"), now=asked
        )
        attach(world, target.id)  # the answer to a question may well be the evidence
        queue.decide(
            *as_(world, "x"), target.id, Decision("removed"), now=NOW + timedelta(minutes=5)
        )
        with unchanged(), pytest.raises(Conflict) as refused:
            attach(world, target.id)
        assert refused.value.field == "evidence"


def test_bad_files_are_refused_naming_the_field_and_nothing_is_stored(app, world):
    with app.app_context():
        app.config["REFERRAL_EVIDENCE_MAX_BYTES"] = 4096
        target = world.refer("de").items[0]
        for data, message in ((b"", "empty"), (b"x" * 4097, "larger than")):
            with unchanged(), pytest.raises(InvalidInput, match=message) as refused:
                attach(world, target.id, data)
            assert refused.value.field == "evidence"
        attach(world, target.id, b"y" * 4096)  # at the limit: accepted
        with unchanged(), pytest.raises(InvalidInput, match="already attached"):
            attach(world, target.id, b"y" * 4096, "again.bin")


def test_the_same_file_joins_two_referrers_in_one_case(app, world):
    with app.app_context():
        de_item = world.refer("de", [item("https://a.example/v/1")]).items[0]
        fr_item = world.refer("fr", [item("https://mirror.example/v/9")]).items[0]
        assert de_item.case_id != fr_item.case_id
        attach(world, de_item.id)
        attach(world, fr_item.id, who="fr")
        items = db.session.scalars(
            select(ReferralItem).where(ReferralItem.id.in_([de_item.id, fr_item.id]))
        ).all()
        assert len({i.case_id for i in items}) == 1
        key = f"sha256:{hashlib.sha256(VIDEO).hexdigest()}"
        case_of_key = db.session.scalar(
            select(ReferralCaseKey.case_id).where(ReferralCaseKey.key == key)
        )
        assert case_of_key == items[0].case_id
        # A later referral naming the hash lands in that case too.
        third = world.refer("it", [item("https://third.example/x", hashes=[key])]).items[0]
        assert third.case_id == items[0].case_id
        # The item's signed hashes stay as signed; the evidence's are added beside them.
        assert intake.verify(world.reader("de"), de_item.referral_id).valid
        assert evidence.hashes_of([de_item.id])[de_item.id] == [
            key,
            f"md5:{hashlib.md5(VIDEO, usedforsecurity=False).hexdigest()}",
        ]


def test_altered_ciphertext_is_refused_and_audited(app, world):
    with app.app_context():
        target = world.refer("de").items[0]
        info = attach(world, target.id)
        with db.write() as session:
            chunk = session.get_one(ReferralEvidenceChunk, (info.id, 0))
            chunk.data = chunk.data[:40] + bytes([chunk.data[40] ^ 1]) + chunk.data[41:]
        with pytest.raises(Conflict, match="does not verify"):
            evidence.download(*as_(world, "x"), target.id, info.id)
        assert [r.outcome for r in records("referral.evidence_downloaded")] == ["failure"]
