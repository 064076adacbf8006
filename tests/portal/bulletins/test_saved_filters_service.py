"""The saved filters service called directly: a user names the listing criteria of an inbox
query and gets them back; a filter naming an identifier, a bad name or period, a duplicate
and one too many are refused with nothing written; another user's filter does not exist."""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import select

from portal.extensions import db
from portal.models import SavedFilter, User
from portal.services.bulletins import saved_filters
from portal.services.bulletins.content import Category, Marking
from portal.services.bulletins.inbox import Box, InboxQuery, Order, SortKey
from portal.services.bulletins.saved_filters import NamedFilter
from portal.services.errors import Conflict, InvalidInput, NotFound
from portal.services.principals import Reader
from tests.portal.service_checks import records, unchanged

QUERY = InboxQuery(
    box=Box.RECEIVED,
    category=Category.RECRUITMENT,
    marking=Marking.AMBER,
    sender="IT-MININT",
    since=date(2026, 1, 1),
    until=date(2026, 3, 31),
)


@pytest.fixture
def readers(app, people) -> dict[str, Reader]:
    ids = {
        "ana": people.user("ana@fr.example", "analyst"),
        "bea": people.user("bea@fr.example", "analyst"),  # same organisation, another user
    }
    with app.app_context():
        return {name: Reader.of(db.session.get_one(User, i)) for name, i in ids.items()}


def test_a_saved_filter_gives_back_its_criteria(app, readers):
    ana = readers["ana"]
    with app.app_context():
        audited = len(records())
        saved = saved_filters.save_filter(ana, "  Amber recruitment  ", QUERY)
        assert saved == NamedFilter(saved.id, "Amber recruitment", QUERY)
        assert saved.args() == {
            "box": "received",
            "category": "recruitment",
            "marking": "TLP:AMBER",
            "sender": "IT-MININT",
            "since": "2026-01-01",
            "until": "2026-03-31",
        }
        row = db.session.get_one(SavedFilter, saved.id)
        assert row.user_id == ana.user_id and row.name == "Amber recruitment"
        assert saved_filters.saved_filter(ana, saved.id) == saved
        assert len(records()) == audited  # a user's own view settings are not audited


def test_only_the_listing_criteria_are_kept(app, readers):
    ana = readers["ana"]
    asked = InboxQuery(unread=True, versions=True, sort=SortKey.SENDER, order=Order.ASC, page=7)
    with app.app_context():
        saved = saved_filters.save_filter(ana, "Everything", asked)
        again = saved_filters.saved_filter(ana, saved.id)
        assert again.query == InboxQuery()  # the inbox's defaults, box "all"
        assert again.args() == {}  # "all" and empty criteria make no argument
        saved_filters.save_filter(ana, "amber", InboxQuery(marking=Marking.AMBER))
        assert [f.name for f in saved_filters.saved_filters(ana)] == ["Everything", "amber"]
        assert saved_filters.saved_filters(readers["bea"]) == []


@pytest.mark.parametrize(
    ("name", "query", "field"),
    [
        ("", QUERY, "name"),
        ("   ", QUERY, "name"),
        ("x" * 101, QUERY, "name"),
        ("With an account", InboxQuery(entity="@example_media"), "entity"),
        ("Backwards", InboxQuery(since=date(2026, 3, 2), until=date(2026, 3, 1)), "until"),
    ],
)
def test_bad_filters_are_refused_and_nothing_is_saved(app, readers, name, query, field):
    with app.app_context(), unchanged(), pytest.raises(InvalidInput) as refused:
        saved_filters.save_filter(readers["ana"], name, query)
    assert refused.value.field == field


def test_a_duplicate_name_and_one_filter_too_many_are_refused(app, readers, monkeypatch):
    ana, bea = readers["ana"], readers["bea"]
    with app.app_context():
        saved_filters.save_filter(ana, "Mine", QUERY)
        with unchanged(), pytest.raises(Conflict) as refused:
            saved_filters.save_filter(ana, " Mine ", InboxQuery())
        assert refused.value.field == "name"
        # Only the unique constraint, at commit, catches the duplicate: the refusal must leave
        # the session usable for whatever the request does next, on every backend.
        assert [f.name for f in saved_filters.saved_filters(ana)] == ["Mine"]
        saved_filters.save_filter(bea, "Mine", QUERY)  # names are per user
        monkeypatch.setattr(saved_filters, "MAX_FILTERS", 2)
        saved_filters.save_filter(ana, "Second", QUERY)
        with unchanged(), pytest.raises(InvalidInput, match="at most 2 filters"):
            saved_filters.save_filter(ana, "Third", QUERY)


def test_another_users_filter_does_not_exist_for_them(app, readers):
    ana, bea = readers["ana"], readers["bea"]
    with app.app_context():
        saved = saved_filters.save_filter(ana, "Mine", QUERY)
        for filter_id in (saved.id, saved.id + 1000):
            with unchanged(), pytest.raises(NotFound):
                saved_filters.saved_filter(bea, filter_id)
            with unchanged(), pytest.raises(NotFound):
                saved_filters.delete_filter(bea, filter_id)
        saved_filters.delete_filter(ana, saved.id)
        assert db.session.scalars(select(SavedFilter)).all() == []
        with unchanged(), pytest.raises(NotFound):
            saved_filters.delete_filter(ana, saved.id)
