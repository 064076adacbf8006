"""The inbox titles service called directly: verified titles, cached per organisation and per
byte of what verification read, so that any change is verified afresh and fails; ended and
expired rows carry no title; the cache is a bounded LRU and nothing is ever written."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from portal.extensions import db
from portal.models import Bulletin, BulletinKey, Organisation, utcnow
from portal.services.bulletins import inbox, inbox_titles, reading
from portal.services.bulletins.inbox import InboxQuery
from portal.services.bulletins.inbox_titles import RowTitle, TitleCache, titles_for
from portal.services.bulletins.reading import TAMPERED
from portal.services.principals import Actor
from tests.portal.bulletins.sessions import retract
from tests.portal.service_checks import flip_content, unchanged

GRADED = "B2 · H0"  # the grading of every bulletin the desk posts


def titles(org_code: str, *ids: str, now=None) -> dict[str, RowTitle]:
    """Titles as the inbox asks for them: the rows with their senders, the wrapped keys."""
    session = db.session()
    rows = [
        (bulletin, sender)
        for bulletin, sender in session.execute(
            select(Bulletin, Organisation)
            .join(Organisation, Organisation.id == Bulletin.sender_org_id)
            .where(Bulletin.id.in_(ids))
            .execution_options(populate_existing=True)
        )
    ]
    keys: dict[str, list[BulletinKey]] = {}
    for key in session.scalars(
        select(BulletinKey)
        .where(BulletinKey.bulletin_id.in_(ids))
        .execution_options(populate_existing=True)
    ):
        keys.setdefault(key.bulletin_id, []).append(key)
    return titles_for(session, org_code, rows, keys, now or utcnow())


def refuse_to_open(monkeypatch):
    def fail(*args, **kwargs):
        raise AssertionError("a cached title was verified again")

    monkeypatch.setattr(inbox_titles.reading, "open_bulletin", fail)


def test_titles_are_verified_once_then_served_from_the_cache(app, desk, monkeypatch):
    first = desk.post(title="First title")
    second = desk.post(title="Second title", recipients=["FR-MININT"])
    with app.app_context(), unchanged():
        found = titles("FR-MININT", first, second)
        assert found == {
            first: RowTitle("First title", "verified", GRADED),
            second: RowTitle("Second title", "verified", GRADED),
        }
        assert not found[first].failed
        assert len(inbox_titles.title_cache()) == 2
        with monkeypatch.context() as patched:
            refuse_to_open(patched)
            assert titles("FR-MININT", first, second) == found
        # The cache is per organisation: DE verifies for itself.
        assert titles("DE-BMI", first)[first] == RowTitle("First title", "verified", GRADED)
        assert len(inbox_titles.title_cache()) == 3


@pytest.mark.parametrize("change", ["content", "marking", "category", "state"])
def test_a_change_after_caching_is_verified_afresh_and_fails(app, desk, change):
    bulletin_id = desk.post(title="Cached title")
    with app.app_context():
        assert titles("FR-MININT", bulletin_id)[bulletin_id].status == "verified"
        if change == "content":
            flip_content(bulletin_id)
        else:
            with db.write() as session:
                bulletin = session.get_one(Bulletin, bulletin_id)
                value = {"marking": "TLP:CLEAR", "category": "other", "state": "superseded"}
                setattr(bulletin, change, value[change])
        after = titles("FR-MININT", bulletin_id)[bulletin_id]
        if change == "state":  # superseded is readable: only the clear column moved
            assert after == RowTitle("Cached title", "verified", GRADED)
        else:
            assert after == RowTitle(None, "failed") and after.failed


def test_another_organisations_altered_key_fails_the_cached_title_too(app, desk):
    """Verification checks every wrapped key, so the inbox must not serve a title the read
    page refuses once another recipient's wrapped key was changed."""
    bulletin_id = desk.post(title="Cached title")
    with app.app_context():
        fr = desk.reader("fr.analyst")
        (row,) = inbox.inbox_page(fr, InboxQuery()).rows
        assert row.title == RowTitle("Cached title", "verified", GRADED)
        with db.write() as session:
            key = session.scalars(
                select(BulletinKey).where(
                    BulletinKey.bulletin_id == bulletin_id, BulletinKey.org_code == "DE-BMI"
                )
            ).one()
            key.enc = key.enc[:-3] + bytes([key.enc[-3] ^ 1]) + key.enc[-2:]
        assert reading.read_bulletin(fr, Actor(fr.user_id), bulletin_id).problem == TAMPERED
        (row,) = inbox.inbox_page(fr, InboxQuery()).rows
        assert row.title == RowTitle(None, "failed")


def test_ended_and_expired_rows_have_no_title(app, desk, monkeypatch):
    retracted = desk.post(title="Retracted title")
    live = desk.post(title="Live title")
    retract(desk, retracted)
    later = utcnow() + timedelta(days=731)  # past the default two-year retention
    with app.app_context(), unchanged():
        assert titles("FR-MININT", live, now=later)[live] == RowTitle(None, "expired")
        assert len(inbox_titles.title_cache()) == 0  # nothing verified, nothing kept
        assert titles("FR-MININT", live)[live].status == "verified"
        with monkeypatch.context() as patched:
            refuse_to_open(patched)
            # Cached, but the signed expiry still holds; a tombstone is never opened.
            assert titles("FR-MININT", live, now=later)[live] == RowTitle(None, "expired")
            assert titles("FR-MININT", retracted)[retracted] == RowTitle(None, "ended")


def test_the_cache_keeps_the_most_recently_used_titles():
    cache = TitleCache(size=2)
    a, b, c = (("id", "FR-MININT", bytes([n])) for n in range(3))
    cache.put(a, inbox_titles._Verified("A", None))
    cache.put(b, inbox_titles._Verified("B", None))
    assert cache.get(a) is not None  # a is now the most recent
    cache.put(c, inbox_titles._Verified("C", None))
    assert len(cache) == 2
    assert cache.get(b) is None
    assert [cache.get(k).title for k in (a, c)] == ["A", "C"]
