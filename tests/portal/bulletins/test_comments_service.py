"""The comments service called directly: sealed to exactly the readers of the version,
signed by the commenting organisation, audited; tampering shows a failure and no text; bad
input names the field and writes nothing; amended and retracted bulletins."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from sqlalchemy import select

from crypto.statement import SignedStatement
from portal.extensions import db
from portal.models import BulletinComment, utcnow
from portal.services.bulletins import comments
from portal.services.errors import Conflict, InvalidInput, NotFound
from tests.portal.bulletins.conftest import CANARY
from tests.portal.bulletins.sessions import amend, retract
from tests.portal.service_checks import actor_of, only_record, records, unchanged


def post(desk, who, bulletin_id, **document):
    reader = desk.reader(who)
    return comments.post_comment(reader, actor_of(reader), bulletin_id, document)


def shown(desk, who, bulletin_id):
    return comments.list_comments(desk.reader(who), bulletin_id)


def sighting(**extra):
    return {
        "kind": "sighting",
        "entity": "t1",
        "place": "Lyon",
        "country": "fr",
        "seen_on": "2026-05-02",
        "note": "calls at night",
        **extra,
    }


def test_a_comment_is_sealed_signed_audited_and_read_by_every_recipient(app, desk):
    bulletin_id = desk.post()
    with app.app_context():
        made = post(desk, "fr.analyst", bulletin_id, text=f"Seen in Lyon {CANARY}")
        assert made.verified and made.text == f"Seen in Lyon {CANARY}"
        row = db.session.scalars(select(BulletinComment)).one()
        assert CANARY.encode() not in row.sealed and CANARY not in row.statement
        statement = SignedStatement.from_json(row.statement)
        assert statement.org == "FR-MININT" and statement.claims["bulletin"] == bulletin_id
        record = only_record("bulletin.commented")
        assert record.details == {
            "bulletin": bulletin_id,
            "comment": row.id,
            "kind": "comment",
            "version": 1,
        }
        assert record.subject_org_id == desk.reader("it.officer").org_id
        for who in ("it.officer", "fr.officer", "de.analyst"):
            [seen] = shown(desk, who, bulletin_id)
            assert seen.verified and seen.text == f"Seen in Lyon {CANARY}"
            assert (seen.org, seen.version, seen.author) == ("FR-MININT", 1, made.author)


def test_an_organisation_that_cannot_read_the_bulletin_sees_nothing(app, desk):
    bulletin_id = desk.post()
    with app.app_context():
        post(desk, "fr.analyst", bulletin_id, text="ours")
        for who in ("uk.analyst", "platform"):
            with pytest.raises(NotFound):
                shown(desk, who, bulletin_id)
            with unchanged(), pytest.raises(NotFound):
                post(desk, who, bulletin_id, text="theirs")
        assert comments.sightings(desk.reader("uk.analyst")) == []


def test_a_sighting_names_an_entity_place_and_date(app, desk):
    bulletin_id = desk.post()
    with app.app_context():
        post(desk, "de.analyst", bulletin_id, **sighting())
        [seen] = shown(desk, "fr.analyst", bulletin_id)
        assert (seen.kind, seen.entity, seen.entity_label) == ("sighting", "t1", "+33612345678")
        assert (seen.place, seen.country, seen.seen_on, seen.note) == (
            "Lyon",
            "FR",
            date(2026, 5, 2),
            "calls at night",
        )
        [found] = comments.sightings(desk.reader("it.analyst"))
        assert (found.ref, found.place, found.org, found.bulletin_id) == (
            "t1",
            "Lyon",
            "DE-BMI",
            bulletin_id,
        )
        assert comments.sightings(desk.reader("uk.analyst")) == []


@pytest.mark.parametrize(
    ("document", "field"),
    [
        ({"text": "   "}, "text"),
        ({}, "text"),
        ({"text": 5}, "text"),
        ({"text": "x" * (comments.MAX_TEXT + 1)}, "text"),
        ({"text": "bell\x07"}, "text"),
        ({"kind": "rumour", "text": "x"}, "kind"),
        (sighting(entity="nobody"), "entity"),
        (sighting(entity=None), "entity"),
        (sighting(place=""), "place"),
        (sighting(place="p" * (comments.MAX_PLACE + 1)), "place"),
        (sighting(country="France"), "country"),
        (sighting(country="1X"), "country"),
        (sighting(seen_on=(date.today() + timedelta(days=3)).isoformat()), "seen_on"),
        (sighting(seen_on="2 May"), "seen_on"),
        (sighting(seen_on=None), "seen_on"),
        (sighting(note="n" * (comments.MAX_NOTE + 1)), "note"),
    ],
)
def test_bad_input_names_the_field_and_writes_nothing(app, desk, document, field):
    bulletin_id = desk.post()
    with app.app_context(), unchanged(), pytest.raises(InvalidInput) as refused:
        post(desk, "fr.analyst", bulletin_id, **document)
    assert refused.value.field == field


def test_a_tampered_comment_shows_its_failure_and_no_text(app, desk):
    bulletin_id = desk.post()
    with app.app_context():
        post(desk, "fr.analyst", bulletin_id, text="first")
        post(desk, "de.analyst", bulletin_id, text="second")
        rows = db.session.scalars(select(BulletinComment).order_by(BulletinComment.created_at))
        first, second = list(rows)
        with db.write() as session:
            row = session.get_one(BulletinComment, first.id)
            middle = len(row.sealed) // 2
            row.sealed = (
                row.sealed[:middle] + bytes([row.sealed[middle] ^ 1]) + row.sealed[middle + 1 :]
            )
            other = session.get_one(BulletinComment, second.id)
            other.org_id = desk.reader("it.officer").org_id  # re-attributed to another ministry
        seen = shown(desk, "fr.officer", bulletin_id)
        assert [(c.verified, c.text) for c in seen] == [(False, None), (False, None)]
        assert all(c.problem == comments.FAILED for c in seen)


def test_a_comment_moved_to_another_bulletin_does_not_open(app, desk):
    one, two = desk.post(), desk.post()
    with app.app_context():
        post(desk, "fr.analyst", one, text="moved")
        with db.write() as session:
            row = session.scalars(select(BulletinComment)).one()
            row.bulletin_id = row.series_id = two
        [seen] = shown(desk, "fr.analyst", two)
        assert not seen.verified and seen.text is None


def test_comments_stay_with_the_series_and_say_their_version(app, desk):
    first = desk.post()
    with app.app_context():
        post(desk, "fr.analyst", first, text="on one")
    second = amend(desk, first, recipients=("FR-MININT",))  # DE no longer a recipient
    with app.app_context():
        with unchanged(), pytest.raises(Conflict, match="amended"):
            post(desk, "fr.analyst", first, text="late")
        post(desk, "fr.analyst", second, text="on two")
        assert [(c.text, c.version) for c in shown(desk, "fr.analyst", second)] == [
            ("on one", 1),
            ("on two", 2),
        ]
        # DE reads version 1 only: its comments, not those sealed to version 2.
        assert [c.text for c in shown(desk, "de.analyst", first)] == ["on one"]


def test_a_retracted_bulletin_takes_no_comments_and_its_comments_are_shredded(app, desk):
    bulletin_id = desk.post()
    with app.app_context():
        post(desk, "fr.analyst", bulletin_id, text="before")
    retract(desk, bulletin_id)
    with app.app_context():
        with unchanged(), pytest.raises(Conflict, match="retracted"):
            post(desk, "fr.analyst", bulletin_id, text="after")
        assert shown(desk, "fr.analyst", bulletin_id) == []
        assert len(records("bulletin.commented")) == 1


def test_reading_comments_is_recorded(app, desk):
    bulletin_id = desk.post()
    with app.app_context():
        post(desk, "fr.analyst", bulletin_id, text="x")
        reader = desk.reader("de.analyst")
        assert len(comments.read_comments(reader, actor_of(reader), bulletin_id)) == 1
        record = only_record("bulletin.comments_read")
        assert record.details == {"bulletin": bulletin_id, "count": 1}
        assert utcnow() - record.at < timedelta(minutes=1)


def test_an_organisation_the_bulletin_is_released_to_reads_its_comments(app, desk):
    from portal.services.bulletins import lifecycle

    bulletin_id = desk.post()
    with app.app_context():
        post(desk, "fr.analyst", bulletin_id, text="before the release")
        with pytest.raises(NotFound):
            shown(desk, "uk.analyst", bulletin_id)
        officer = desk.reader("it.officer")
        lifecycle.release_to(officer, actor_of(officer), bulletin_id, "UK-HO")
        assert [c.text for c in shown(desk, "uk.analyst", bulletin_id)] == ["before the release"]


def test_statements_swapped_between_comments_fail_both(app, desk):
    bulletin_id = desk.post()
    with app.app_context():
        post(desk, "fr.analyst", bulletin_id, text="one")
        post(desk, "fr.analyst", bulletin_id, text="two")
        with db.write() as session:
            first, second = session.scalars(select(BulletinComment)).all()
            first.statement, second.statement = second.statement, first.statement
        assert [c.verified for c in shown(desk, "fr.analyst", bulletin_id)] == [False, False]
