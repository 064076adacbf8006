"""Watching an identifier or a person, and being told when a bulletin one's organisation can
read names it: on post, amendment and release, never for another organisation's bulletin."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from portal.extensions import db
from portal.models import Organisation, Watch, WatchMail, WatchNotification
from portal.services.bulletins import amendments, lifecycle, sealing
from portal.services.errors import InvalidInput, NotFound
from portal.services.principals import Actor
from portal.services.watchlists import notifications, watching
from tests.portal.bulletins.conftest import document

PHONE = "+33 6 12 34 56 78"  # named by the desk's default bulletin
OTHER = [{"ref": "x1", "type": "email", "value": "someone@example.org"}]


def watch(app, desk, who, text, platform=None):
    with app.app_context():
        reader = desk.reader(who)
        return watching.watch_typed(reader, Actor(reader.user_id), text, platform)


def told(app, desk, who):
    with app.app_context():
        return [(n.bulletin_id, n.title, n.event) for n in notifications.notices(desk.reader(who))]


def unseen(app, desk, who):
    with app.app_context():
        return notifications.unseen_count(desk.reader(who))


def test_a_post_to_the_watchers_organisation_tells_them(app, desk):
    watch(app, desk, "fr.analyst", "0033 6 12 34 56 78")  # another spelling of the same number
    posted = desk.post("it.officer", ["FR-MININT"], title="Phone seen")
    assert told(app, desk, "fr.analyst") == [(posted, "Phone seen", "posted")]
    assert unseen(app, desk, "fr.analyst") == 1
    with app.app_context():
        assert notifications.mark_seen(desk.reader("fr.analyst")) == 1
    assert unseen(app, desk, "fr.analyst") == 0


def test_a_bulletin_to_other_organisations_never_tells(app, desk):
    watch(app, desk, "de.analyst", PHONE)
    watch(app, desk, "uk.analyst", PHONE)
    desk.post("it.officer", ["FR-MININT"], title="Not for DE")
    desk.post("it.officer", ["DE-BMI"], title="Other things", entities=OTHER, relations=[])
    assert told(app, desk, "de.analyst") == []
    assert told(app, desk, "uk.analyst") == []


def test_the_sender_organisation_is_told_but_not_the_author(app, desk):
    watch(app, desk, "it.analyst", PHONE)
    watch(app, desk, "it.officer", PHONE)
    posted = desk.post("it.officer", ["FR-MININT"], title="Ours")
    assert told(app, desk, "it.analyst") == [(posted, "Ours", "posted")]
    assert told(app, desk, "it.officer") == []


def test_a_release_tells_the_organisation_it_adds_only(app, desk):
    watch(app, desk, "de.analyst", PHONE)
    watch(app, desk, "fr.analyst", PHONE)
    posted = desk.post("it.officer", ["FR-MININT"], title="Released later")
    assert told(app, desk, "de.analyst") == []
    with app.app_context():
        reader = desk.reader("it.officer")
        lifecycle.release_to(reader, Actor(reader.user_id), posted, "DE-BMI")
    assert told(app, desk, "de.analyst") == [(posted, "Released later", "released")]
    assert len(told(app, desk, "fr.analyst")) == 1  # told once, at the post


def test_an_amendment_tells_again_with_its_new_version(app, desk):
    watch(app, desk, "fr.analyst", "Abu Example")  # a person, by name
    first = desk.post("it.officer", ["FR-MININT"], title="First")
    with app.app_context():
        reader = desk.reader("it.officer")
        draft = sealing.Draft(
            document=document(title="Second"),
            category="recruitment",
            marking="TLP:AMBER",
            recipients=["FR-MININT"],
        )
        second = amendments.amend(reader, Actor(reader.user_id), first, draft).id
    assert told(app, desk, "fr.analyst") == [
        (second, "Second", "amended"),
        (first, "First", "posted"),
    ]


def test_a_person_is_matched_under_another_script(app, desk):
    watch(app, desk, "fr.analyst", "Abu Muhammad al-Adnani")
    posted = desk.post(
        "it.officer",
        ["FR-MININT"],
        title="Arabic spelling",
        entities=[{"ref": "p1", "type": "person", "value": "أبو محمد العدناني"}],
        relations=[],
    )
    assert told(app, desk, "fr.analyst") == [(posted, "Arabic spelling", "posted")]


def test_a_retracted_bulletin_shows_nothing_of_its_content(app, desk):
    watch(app, desk, "fr.analyst", PHONE)
    posted = desk.post("it.officer", ["FR-MININT"], title="Soon gone")
    with app.app_context():
        reader = desk.reader("it.officer")
        lifecycle.retract(reader, Actor(reader.user_id), posted, confirmed=True)
    assert told(app, desk, "fr.analyst") == [(None, None, "posted")]


def test_watches_are_stored_as_token_and_sealed_bytes_only(app, desk):
    watch(app, desk, "fr.analyst", "@wadi_media", "telegram")
    with app.app_context():
        row = db.session.scalar(select(Watch))
        assert b"wadi" not in row.sealed and b"wadi" not in row.token
        listed = watching.watched(desk.reader("fr.analyst"))
        assert [w.label for w in listed] == ["the Telegram account @wadi_media"]


def test_watching_twice_is_one_watch(app, desk):
    assert watch(app, desk, "fr.analyst", PHONE) == watch(app, desk, "fr.analyst", "+33612345678")


def test_unwatching_someone_elses_watch_is_not_found(app, desk):
    (mine,) = watch(app, desk, "fr.analyst", PHONE)
    with app.app_context():
        other = desk.reader("fr.officer")
        with pytest.raises(NotFound):
            watching.unwatch(other, Actor(other.user_id), mine)
        owner = desk.reader("fr.analyst")
        watching.unwatch(owner, Actor(owner.user_id), mine)
        assert watching.watched(owner) == []
    desk.post("it.officer", ["FR-MININT"])
    assert told(app, desk, "fr.analyst") == []


@pytest.mark.parametrize(("text", "field"), [("", "q"), ("12", "q"), ("x" * 600, "q")])
def test_bad_input_is_refused_naming_the_field_and_writes_nothing(app, desk, text, field):
    with app.app_context():
        reader = desk.reader("fr.analyst")
        with pytest.raises(InvalidInput) as refused:
            watching.watch_typed(reader, Actor(reader.user_id), text, None)
        assert refused.value.field == field
        assert db.session.scalar(select(func.count()).select_from(Watch)) == 0


def test_a_platform_partner_cannot_watch(app, desk):
    with app.app_context():
        reader = desk.reader("platform")
        with pytest.raises(NotFound):
            watching.watch_typed(reader, Actor(reader.user_id), PHONE, None)


def test_an_email_is_queued_only_where_the_organisation_has_a_relay(app, desk):
    with app.app_context(), db.write() as session:
        org = session.scalar(select(Organisation).where(Organisation.code == "FR-MININT"))
        org.smtp_host, org.smtp_port, org.smtp_from = "127.0.0.1", 2525, "ischia@fr.example"
    watch(app, desk, "fr.analyst", PHONE)
    watch(app, desk, "de.analyst", PHONE)
    desk.post("it.officer", ["FR-MININT", "DE-BMI"])
    with app.app_context():
        notices = db.session.scalars(select(WatchNotification)).all()
        mails = db.session.scalars(select(WatchMail)).all()
        assert len(notices) == 2 and len(mails) == 1
        fr_user = desk.reader("fr.analyst").user_id
        assert db.session.get(WatchNotification, mails[0].notification_id).user_id == fr_user


def test_watching_is_audited_with_ids_only(app, desk):
    from portal.models import AuditRecord

    (watch_id,) = watch(app, desk, "fr.analyst", "@wadi_media", "telegram")
    with app.app_context():
        reader = desk.reader("fr.analyst")
        watching.unwatch(reader, Actor(reader.user_id), watch_id)
        records = db.session.scalars(
            select(AuditRecord).where(AuditRecord.event.in_(["watch.added", "watch.removed"]))
        ).all()
    assert [r.event for r in records] == ["watch.added", "watch.removed"]
    assert all("wadi" not in str(r.details) for r in records)
    assert all(str(watch_id) in str(r.details) for r in records)


def test_a_typed_name_watches_a_person_or_a_group_of_that_name(app, desk):
    ids = watch(app, desk, "fr.analyst", "Example Brigade")
    assert len(ids) == 2
    group = [{"ref": "g1", "type": "group", "value": "example  brigade"}]
    place = [{"ref": "l1", "type": "location", "value": "Example Brigade"}]
    named = desk.post("it.officer", ["FR-MININT"], title="Group", entities=group, relations=[])
    desk.post("it.officer", ["FR-MININT"], title="Place", entities=place, relations=[])
    assert told(app, desk, "fr.analyst") == [(named, "Group", "posted")]
