"""The referring organisation's side and the walls between organisations: own items only,
withdrawing, every other id NotFound; and many ministries, one case, where each referrer
learns only how many others referred the same content."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from portal.extensions import db
from portal.models import ReferralCase, ReferralCaseKey, ReferralItem
from portal.services.errors import Conflict, Forbidden, InvalidInput, NotFound
from portal.services.referrals import intake, queue, referrer
from portal.services.referrals.queue import Decision
from tests.portal.referrals.conftest import NOW, item
from tests.portal.service_checks import actor_of, records, unchanged

SHA = "b" * 64


def as_(world, who):
    reader = world.reader(who)
    return reader, actor_of(reader)


def test_a_referrer_sees_its_own_items_and_how_they_stand(app, world):
    with app.app_context():
        mine = world.refer("de", [item("https://a.example/1"), item("https://a.example/2")]).items
        world.refer("fr", [item("https://f.example/1")])
        x, x_actor = as_(world, "x")
        queue.decide(x, x_actor, mine[1].id, Decision("removed"), now=NOW + timedelta(minutes=30))
        own = referrer.own_items(world.reader("de"), now=NOW + timedelta(hours=30))
        assert {o.id for o in own} == {mine[0].id, mine[1].id}
        by_id = {o.id: o for o in own}
        assert (by_id[mine[0].id].state, by_id[mine[0].id].overdue) == ("received", True)
        assert by_id[mine[0].id].time_to_action is None
        assert by_id[mine[1].id].time_to_action == timedelta(minutes=30)
        assert by_id[mine[1].id].platform == "PLATFORM-X" and not by_id[mine[1].id].overdue
        assert [o.url for o in referrer.own_items(world.reader("fr"))] == ["https://f.example/1"]
        assert referrer.own_items(world.reader("uk")) == []


def test_a_referrer_withdraws_an_undecided_item(app, world):
    with app.app_context():
        first, second = world.refer(
            "de", [item("https://w.example/1"), item("https://w.example/2")]
        ).items
        de, de_actor = as_(world, "de")
        with unchanged(), pytest.raises(Forbidden):
            referrer.withdraw(*as_(world, "de.analyst"), first.id)
        with unchanged(), pytest.raises(InvalidInput) as refused:
            referrer.withdraw(de, de_actor, first.id, "x" * 2001)
        assert refused.value.field == "reason"
        referrer.withdraw(de, de_actor, first.id, "Posted by our own undercover account.", now=NOW)
        with unchanged():
            referrer.withdraw(de, de_actor, first.id)  # again: nothing new
        with unchanged(), pytest.raises(Conflict, match="withdrew"):
            queue.decide(*as_(world, "x"), first.id, Decision("removed"))
        queue.decide(*as_(world, "x"), second.id, Decision("already_gone"))
        with unchanged(), pytest.raises(Conflict, match="already decided"):
            referrer.withdraw(de, de_actor, second.id)
        assert [e.event for e in referrer.history(de, first.id)] == ["received", "withdrawn"]
        withdrawn = records("referral.withdrawn")
        assert len(withdrawn) == 1 and withdrawn[0].subject_org_id == world.reader("x").org_id
        assert db.session.get_one(ReferralItem, first.id).state == "withdrawn"


def test_every_id_outside_ones_own_is_not_found(app, world):
    with app.app_context():
        de_item = world.refer("de").items[0].id
        y_item = world.refer("fr", platform="PLATFORM-Y").items[0].id
        calls = {
            "own_item": lambda r, a, i: referrer.own_item(r, i),
            "history": lambda r, a, i: referrer.history(r, i),
            "withdraw": lambda r, a, i: referrer.withdraw(r, a, i),
            "answer": lambda r, a, i: referrer.answer(r, a, i, "An answer."),
            "complain": lambda r, a, i: referrer.complain(r, a, i, "A complaint."),
            "open": lambda r, a, i: queue.open_item(r, a, i),
            "claim": lambda r, a, i: queue.claim(r, a, i),
            "decide": lambda r, a, i: queue.decide(r, a, i, Decision("removed")),
            "reopen": lambda r, a, i: queue.reopen(r, a, i, "Why not."),
            "reinstate": lambda r, a, i: queue.reinstate(r, a, i, "Why not."),
        }
        ministry_calls = ("own_item", "history", "withdraw", "answer", "complain")
        platform_calls = ("history", "open", "claim", "decide", "reopen", "reinstate")
        cases = [
            *(("fr", name, de_item) for name in ministry_calls),  # another ministry's item
            *(("de", name, "0" * 32) for name in ministry_calls),  # no such item
            *(("de", name, de_item.upper()) for name in ministry_calls),  # malformed
            *(("de", name, y_item) for name in ministry_calls),
            *(("y", name, de_item) for name in platform_calls),  # addressed to another platform
            *(("x", name, y_item) for name in platform_calls),
            *(("x", name, "'; drop table referrals") for name in platform_calls),
        ]
        for who, name, item_id in cases:
            reader, actor = as_(world, who)
            with unchanged(), pytest.raises(NotFound):
                calls[name](reader, actor, item_id)
        # A platform is never the referrer, and a ministry never the platform.
        for name in ("withdraw", "answer"):
            with unchanged(), pytest.raises((NotFound, Forbidden)):
                calls[name](*as_(world, "x"), de_item)
        for name in ("open", "claim", "decide"):
            with unchanged(), pytest.raises((NotFound, Forbidden)):
                calls[name](*as_(world, "de"), de_item)


def test_many_ministries_one_item_make_one_case(app, world):
    with app.app_context():
        de_item = world.refer("de", [item("https://www.video.example/watch?v=abc123&si=x")]).items[
            0
        ]
        fr_item = world.order(
            "fr", [item("http://video.example/watch/?v=abc123")], now=NOW + timedelta(hours=2)
        ).items[0]
        assert fr_item.case_id == de_item.case_id
        x, x_actor = as_(world, "x")
        view = queue.open_item(x, x_actor, de_item.id, now=NOW + timedelta(hours=2))
        assert {(e.referrer, e.kind) for e in view.case} == {
            ("DE-BMI", "referral"),
            ("FR-MININT", "removal_order"),
        }
        # The order's hour binds the whole case: DE's referral is due when FR's order is.
        assert view.item.binding_deadline == NOW + timedelta(hours=3)
        assert view.item.case_items == 2
        listed = queue.list_queue(x, now=NOW).entries
        assert [e.binding_deadline for e in listed] == [NOW + timedelta(hours=3)] * 2
        assert [e.id for e in listed] == [fr_item.id, de_item.id]

        de = world.reader("de")
        assert referrer.own_item(de, de_item.id).others == 1
        world.refer("it", [item("video.example/watch?v=abc123")])
        assert referrer.own_item(de, de_item.id).others == 2
        assert referrer.own_item(world.reader("fr"), fr_item.id).others == 2
        # Others are counted, never named: nothing DE reads says who they are.
        others = {world.reader(who).org_id for who in ("fr", "it")}
        own = referrer.own_item(de, de_item.id)
        assert "FR-MININT" not in repr(own) and "IT-MININT" not in repr(own)
        ledger = referrer.history(de, de_item.id)
        assert ledger and not others & {entry.org_id for entry in ledger}
        for entry in ledger:
            said = {str(v) for v in entry.details.values()}
            assert not {"FR-MININT", "IT-MININT", *map(str, others)} & said
        for record in records("referral.received", "referral.first_opened"):
            assert not {"DE-BMI", "FR-MININT", "IT-MININT"} & set(map(str, record.details.values()))

        referrer.withdraw(*as_(world, "fr"), fr_item.id)
        assert referrer.own_item(de, de_item.id).others == 1
        # With the order withdrawn, DE's own deadline binds again.
        assert queue.open_item(x, x_actor, de_item.id).item.binding_deadline == NOW + timedelta(
            hours=24
        )


def test_a_shared_sha256_joins_a_case_an_md5_or_another_platform_does_not(app, world):
    with app.app_context():
        first = world.refer("de", [item("https://one.example/a", hashes=[SHA, "c" * 32])]).items[0]
        by_hash = world.refer("fr", [item("https://mirror.example/b", hashes=[SHA.upper()])]).items[
            0
        ]
        by_md5 = world.refer("it", [item("https://two.example/c", hashes=["c" * 32])]).items[0]
        elsewhere = world.refer(
            "uk", [item("https://one.example/a", hashes=[SHA])], platform="PLATFORM-Y"
        ).items[0]
        assert by_hash.case_id == first.case_id
        assert by_md5.case_id != first.case_id
        assert elsewhere.case_id != first.case_id
        # The mirror's URL now belongs to the case too.
        again = world.refer("uk", [item("mirror.example/b")]).items[0]
        assert again.case_id == first.case_id
        assert referrer.own_item(world.reader("uk"), again.id).others == 2
        assert referrer.own_item(world.reader("uk"), elsewhere.id).others == 0


def test_one_referral_can_hold_two_items_of_one_case(app, world):
    with app.app_context():
        items = world.refer(
            "de",
            [item("https://p.example/1", hashes=[SHA]), item("https://p.example/2", hashes=[SHA])],
        ).items
        assert items[0].case_id == items[1].case_id
        assert intake.verify(world.reader("x"), items[0].referral_id).valid
        assert referrer.own_item(world.reader("de"), items[0].id).others == 0


def test_an_item_matching_two_cases_merges_them_into_the_oldest(app, world):
    with app.app_context():
        by_url = world.refer("de", [item("https://m.example/1")]).items[0]
        by_hash = world.refer(
            "fr", [item("https://mirror.example/9", hashes=[SHA])], now=NOW + timedelta(minutes=1)
        ).items[0]
        assert by_url.case_id != by_hash.case_id
        both = world.refer(
            "it", [item("https://m.example/1", hashes=[SHA])], now=NOW + timedelta(minutes=2)
        ).items[0]
        rows = db.session.scalars(select(ReferralItem)).all()
        assert {r.case_id for r in rows} == {by_url.case_id}  # the oldest case
        keys = dict(db.session.execute(select(ReferralCaseKey.key, ReferralCaseKey.case_id)).all())
        assert set(keys.values()) == {by_url.case_id}
        assert db.session.scalars(select(ReferralCase.id)).all() == [by_url.case_id]
        assert referrer.own_item(world.reader("de"), by_url.id).others == 2
        assert referrer.own_item(world.reader("fr"), by_hash.id).others == 2
        listed = queue.list_queue(world.reader("x"), now=NOW).entries
        assert {(e.case_items, e.binding_deadline) for e in listed} == {
            (3, NOW + timedelta(hours=24))
        }
        # Later content by the mirror's URL joins the merged case too.
        assert world.refer("uk", [item("mirror.example/9")]).items[0].case_id == by_url.case_id
        assert both.case_id == by_url.case_id


def test_within_one_referral_keys_already_known_keep_their_case(app, world):
    with app.app_context():
        known = world.refer("de", [item("https://k.example/1", hashes=[SHA])]).items[0]
        first, second = world.refer(
            "fr",
            [
                item("https://k.example/new", hashes=["d" * 64]),
                item("https://k.example/other", hashes=["d" * 64, SHA]),
            ],
            now=NOW + timedelta(minutes=1),
        ).items
        # The second item names the known case (by SHA) and the first's (by d...): one case.
        assert {first.case_id, second.case_id} == {known.case_id}
        assert db.session.scalars(select(ReferralCase.id)).all() == [known.case_id]


def test_reading_a_referral_takes_the_same_roles_as_acting_on_it(app, world):
    with app.app_context():
        referred = world.refer("de")
        item_id, referral_id = referred.items[0].id, referred.referral.id
        calls = [
            lambda r: referrer.history(r, item_id),
            lambda r: intake.verify(r, referral_id),
        ]
        for who in ("x.admin", "de.analyst"):
            for call in calls:
                with pytest.raises(Forbidden):
                    call(world.reader(who))
        with pytest.raises(Forbidden):
            referrer.own_items(world.reader("de.analyst"))
        with pytest.raises(Forbidden):
            referrer.own_item(world.reader("de.analyst"), item_id)


def test_the_history_names_no_user_of_the_other_organisation(app, world):
    with app.app_context():
        item_id = world.refer("de").items[0].id
        x, x_actor = as_(world, "x")
        queue.claim(x, x_actor, item_id, now=NOW)
        seen_by_de = referrer.history(world.reader("de"), item_id)
        assert [(e.event, e.user_id) for e in seen_by_de] == [
            ("received", world.users["de"]),
            ("claimed", None),
        ]
        seen_by_x = referrer.history(x, item_id)
        assert [(e.event, e.user_id) for e in seen_by_x] == [
            ("received", None),
            ("claimed", world.users["x"]),
        ]
        assert [e.org_id for e in seen_by_x] == [world.reader("de").org_id, x.org_id]
