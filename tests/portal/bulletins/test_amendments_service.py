"""The amendments service called directly: the current version as the amend form gets it, the
next version sealed and linked, attachments carried over; NotFound for anyone but the
originating organisation, Forbidden for its other roles, Conflict for what does not open, and
nothing written on any refusal."""

from __future__ import annotations

import io

import pytest
from sqlalchemy import insert, select
from sqlalchemy.exc import IntegrityError

from portal.extensions import db
from portal.models import AttachmentChunk, Bulletin, BulletinState
from portal.services import audit
from portal.services.bulletins import amendments, reading, sealing
from portal.services.bulletins.attachments import Upload
from portal.services.bulletins.versions import Superseded
from portal.services.errors import Conflict, Forbidden, InvalidInput, NotFound
from portal.services.principals import Actor
from tests.portal.bulletins.conftest import PNG, document
from tests.portal.bulletins.sessions import amend as amend_through_sealing
from tests.portal.bulletins.sessions import retract
from tests.portal.races import race, split
from tests.portal.service_checks import actor_of, flip_content, only_record, records, unchanged

PDF = b"%PDF-1.7\n1 0 obj << /Type /Catalog >> endobj\n%%EOF\n"


def draft(title="Recruiter moved again", recipients=("FR-MININT", "UK-HO"), **extra):
    return sealing.Draft(
        document=document(title),
        category="recruitment",
        marking="TLP:AMBER",
        recipients=list(recipients),
        **extra,
    )


def amend(desk, who, bulletin_id, new=None, **kwargs):
    reader = desk.reader(who)
    return amendments.amend(reader, actor_of(reader), bulletin_id, new or draft(), **kwargs)


def read(desk, who, bulletin_id):
    reader = desk.reader(who)
    return reading.read_bulletin(reader, Actor(reader.user_id), bulletin_id)


def test_the_current_version_opens_for_its_officer_and_the_form_read_is_audited(app, desk):
    bulletin_id = desk.post(title="Original title")
    with app.app_context():
        officer = desk.reader("it.officer")
        quiet = amendments.current_version(officer, bulletin_id)
        assert records("bulletin.read") == []  # no actor, no record
        current = amendments.current_version(officer, bulletin_id, actor_of(officer))
        assert current.content.title == quiet.content.title == "Original title"
        assert current.recipients == ("DE-BMI", "FR-MININT")  # not the sender itself
        assert current.bulletin.id == bulletin_id
        assert current.retain_until == current.bulletin.expires_at
        record = only_record("bulletin.read")
        assert record.outcome == "success" and record.actor_user_id == officer.user_id
        assert record.subject_org_id == officer.org_id
        assert record.details == {"bulletin": bulletin_id, "result": "success", "purpose": "amend"}


def test_an_amendment_is_the_next_version_and_supersedes_the_current_one(app, desk):
    first = desk.post(title="Original title")
    with app.app_context():
        new = amend(desk, "it.officer", first)
        assert (new.version, new.series_id, new.supersedes_id) == (2, first, first)
        assert new.state == BulletinState.ACTIVE.value and new.id != first
        old = db.session.get_one(Bulletin, first)
        assert old.state == BulletinState.SUPERSEDED.value and old.ended_at is not None
        record = only_record("bulletin.amended")
        assert record.outcome == "success"
        assert record.actor_user_id == desk.users["it.officer"]
        assert record.details["bulletin"] == new.id
        assert record.details["supersedes"] == first and record.details["version"] == 2
        assert record.details["recipients"] == ["FR-MININT", "UK-HO"]
        assert records("bulletin.posted")[-1].details["bulletin"] == first  # only the first
        # The new recipients read the new version; the old one stays readable to its own.
        assert read(desk, "uk.analyst", new.id).content.title == "Recruiter moved again"
        assert read(desk, "de.analyst", first).content.title == "Original title"
        with pytest.raises(NotFound):
            read(desk, "de.analyst", new.id)


def test_attachments_are_kept_first_then_the_new_uploads(app, desk):
    first = desk.post(uploads=[("photo.png", PNG)])
    with app.app_context():
        fresh = draft(uploads=[Upload("report.pdf", io.BytesIO(PDF))])
        new = amend(desk, "it.officer", first, fresh, keep_attachments=True)
        content = read(desk, "fr.analyst", new.id).content
        assert [(a.filename, a.size) for a in content.attachments] == [
            ("photo.png", len(PNG)),
            ("report.pdf", len(PDF)),
        ]
        assert only_record("bulletin.amended").details["attachments"] == 2
        # Without keep_attachments the next version has only its own uploads.
        newer = amend(desk, "it.officer", new.id)
        assert newer.attachment_count == 0 and newer.version == 3


@pytest.mark.parametrize("call", ["current_version", "amend"])
def test_only_the_originating_organisation_sees_a_bulletin_to_amend(app, desk, call):
    bulletin_id = desk.post()
    with app.app_context():
        for who, bulletin in [
            ("fr.officer", bulletin_id),  # a recipient's liaison officer
            ("uk.officer", bulletin_id),  # not a recipient
            ("platform", bulletin_id),
            ("it.officer", "0" * 32),
            ("it.officer", "../" + bulletin_id),
        ]:
            reader = desk.reader(who)
            with unchanged(), pytest.raises(NotFound):
                if call == "amend":
                    amendments.amend(reader, actor_of(reader), bulletin, draft())
                else:
                    amendments.current_version(reader, bulletin, actor_of(reader))
        analyst = desk.reader("it.analyst")
        with unchanged(), pytest.raises(Forbidden, match="liaison officers"):
            if call == "amend":
                amendments.amend(analyst, actor_of(analyst), bulletin_id, draft())
            else:
                amendments.current_version(analyst, bulletin_id, actor_of(analyst))


def test_only_the_current_version_is_amended(app, desk):
    first = desk.post()
    second = amend_through_sealing(desk, first)
    with app.app_context():
        # Superseded: the officer is told which version replaced it, and by whom.
        with unchanged(), pytest.raises(Superseded) as refused:
            amend(desk, "it.officer", first)
        assert refused.value.status == 409 and refused.value.current_id == second
        assert refused.value.message.startswith(
            "Version 2 of this bulletin was sealed by Officer (officer@it.example) on "
        )
        assert "replacing version 1: your changes were not saved. Amend version 2" in (
            refused.value.message
        )
        with unchanged(), pytest.raises(Superseded):
            amendments.current_version(desk.reader("it.officer"), first)
        with unchanged(), pytest.raises(Forbidden):  # the officer's analyst: not told more
            amendments.current_version(desk.reader("it.analyst"), first)
        with unchanged(), pytest.raises(NotFound):  # a recipient: it does not exist
            amendments.current_version(desk.reader("fr.officer"), first)
    retract(desk, second)
    with app.app_context(), unchanged(), pytest.raises(NotFound):
        amend(desk, "it.officer", second)


def test_an_invalid_draft_is_refused_and_the_current_version_stays(app, desk):
    bulletin_id = desk.post()
    with app.app_context():
        for bad, field in [
            (draft(title=""), "title"),
            (draft(recipients=("PLATFORM-X",)), "recipients"),
            (draft(recipients=()), "recipients"),
            (sealing.Draft(document(), "recruitment", "TLP:PURPLE", ["FR-MININT"]), "marking"),
        ]:
            with unchanged(), pytest.raises(InvalidInput) as refused:
                amend(desk, "it.officer", bulletin_id, bad)
            assert refused.value.field == field
        assert db.session.get_one(Bulletin, bulletin_id).state == BulletinState.ACTIVE.value


def test_a_version_that_fails_verification_is_not_opened_for_amending(app, desk):
    bulletin_id = desk.post()
    with app.app_context():
        flip_content(bulletin_id)
        with unchanged(), pytest.raises(Conflict) as refused:
            amendments.current_version(desk.reader("it.officer"), bulletin_id, Actor())
        assert refused.value.message == amendments.UNOPENABLE


def test_an_altered_attachment_is_not_carried_into_the_next_version(app, desk):
    bulletin_id = desk.post(uploads=[("photo.png", PNG)])
    with app.app_context():
        with db.write() as session:
            chunk = session.scalars(select(AttachmentChunk)).one()
            chunk.data = chunk.data[:-1] + bytes([chunk.data[-1] ^ 1])
        with unchanged(), pytest.raises(Conflict, match="cannot be amended"):
            amend(desk, "it.officer", bulletin_id, keep_attachments=True)


def test_two_officers_amending_at_once_leave_one_version_two(app, desk, people):
    first = desk.post(title="Original title")
    desk.users["it.officer2"] = people.user("deputy@it.example", "liaison", org="IT-MININT")
    officers = [desk.reader("it.officer"), desk.reader("it.officer2")]
    titles = ["Amended by the officer", "Amended by the deputy"]
    names = ["Officer (officer@it.example)", "Deputy (deputy@it.example)"]
    outcomes = race(
        app,
        *[
            lambda who=who, title=title: amendments.amend(
                who, actor_of(who), first, draft(title=title)
            )
            for who, title in zip(officers, titles, strict=True)
        ],
    )
    (new,), (refused,) = split(outcomes)
    winner = outcomes.index(new)
    assert isinstance(refused, Superseded) and refused.status == 409
    assert refused.current_id == new.id
    assert f"Version 2 of this bulletin was sealed by {names[winner]} " in refused.message
    assert "your changes were not saved" in refused.message
    with app.app_context():
        series = db.session.scalars(
            select(Bulletin).where(Bulletin.series_id == first).order_by(Bulletin.version)
        ).all()
        assert [(b.id, b.version, b.state) for b in series] == [
            (first, 1, BulletinState.SUPERSEDED.value),
            (new.id, 2, BulletinState.ACTIVE.value),
        ]
        assert only_record("bulletin.amended").actor_user_id == officers[winner].user_id
        assert audit.verify_chain().problem is None
        assert read(desk, "fr.analyst", new.id).content.title == titles[winner]


def test_the_database_holds_one_row_per_version_of_a_series(app, desk):
    first = desk.post()
    with app.app_context():
        original = db.session.get_one(Bulletin, first)
        twin = {column.key: getattr(original, column.key) for column in Bulletin.__table__.c}
        twin["id"] = "f" * 32
        with unchanged(), pytest.raises(IntegrityError, match="series"), db.write() as session:
            session.execute(insert(Bulletin), [twin])
