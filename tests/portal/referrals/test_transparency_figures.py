"""Transparency figures, called directly, against a hand-made history (transparency_world):
p50/p90 per platform and scope, removal orders within the hour, UTC weeks, shares, events,
periods, and who may see which figures."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from sqlalchemy import text

from portal.extensions import db
from portal.models import User
from portal.services.errors import Forbidden, InvalidInput, NotFound
from portal.services.principals import Reader
from portal.services.transparency import figures as tf
from portal.services.transparency.figures import Group
from tests.conftest import World as DbWorld
from tests.conftest import Worlds
from tests.portal.referrals import transparency_world as hw
from tests.portal.referrals.transparency_world import NOW, History


@pytest.fixture(scope="module")
def history_world(worlds: Worlds) -> DbWorld[History]:
    return worlds.build("transparency-history", hw.build)


@pytest.fixture
def history(app, history_world) -> History:
    history_world.load(app)
    return history_world.value


def reader(history: History, who: str) -> Reader:
    return Reader.of(db.session.get_one(User, history.users[who]))


def of(history, who, side, code, period="90d"):
    return tf.figures(reader(history, who), side, code, period, now=NOW)


def test_a_ministry_sees_its_own_referrals_across_platforms(app, history):
    with app.app_context():
        f = of(history, "de", "ministry", "DE-BMI")
        assert f.referred == 11
        assert f.by_kind == {"referral": 8, "removal_order": 3}
        assert f.by_group[Group.ACTIONED] == 6  # a (reinstated later), c, d, o1, o2, f
        assert f.by_group[Group.NO_ACTION] == 1
        assert f.by_group[Group.ALREADY_GONE] == 1
        assert f.by_group[Group.OPEN] == 2
        assert f.by_group[Group.WITHDRAWN] == 1
        assert f.decided == 8 and f.share_actioned == pytest.approx(0.75)
        assert f.referrers == 1 and f.platforms == 2
        timings = {t.platform: t for t in f.timings}
        assert (timings["PLATFORM-X"].decided, timings["PLATFORM-X"].p50) == (7, 1800)
        assert timings["PLATFORM-X"].p90 == 7200
        assert (timings["PLATFORM-Y"].p50, timings["PLATFORM-Y"].p90) == (3600, 3600)


def test_orders_within_the_hour_late_and_overdue(app, history):
    with app.app_context():
        o = of(history, "de", "ministry", "DE-BMI").orders
        assert (o.received, o.decided, o.within_hour, o.late, o.overdue_open) == (3, 2, 1, 1, 1)
        assert o.removed_or_disabled == 2


def test_the_platform_sees_every_referrer_and_a_ministry_only_its_own(app, history):
    with app.app_context():
        own = of(history, "x", "platform", "PLATFORM-X")
        assert own.referred == 12 and own.referrers == 2
        (timing,) = own.timings
        assert (timing.decided, timing.p50, timing.p90) == (9, 2400, 9000)
        de_view = of(history, "de", "platform", "PLATFORM-X")
        assert de_view.referred == 10 and de_view.referrers == 1
        (timing,) = de_view.timings
        assert (timing.decided, timing.p50, timing.p90) == (7, 1800, 7200)
        fr_view = of(history, "fr", "platform", "PLATFORM-X")
        assert fr_view.referred == 2
        assert (fr_view.timings[0].p50, fr_view.timings[0].p90) == (8000, 9000)


def test_weeks_are_utc_mondays_and_the_last_second_of_sunday_stays_in_its_week(app, history):
    with app.app_context():
        if db.engine.dialect.name == "postgresql":
            # A session in another time zone must not move an item into the next week.
            db.session.execute(text("SET LOCAL TIME ZONE 'Europe/Berlin'"))
        f = of(history, "de", "ministry", "DE-BMI")
        previous, current = date(2026, 11, 23), date(2026, 11, 30)
        assert f.per_week[(previous, "recruitment")] == 1
        assert f.week_total(previous) == 1
        assert f.week_total(current) == 10
        assert f.per_week[(current, "propaganda")] == 2
        assert f.weeks[-1] == current and f.weeks[0] <= date(2026, 9, 7)
        assert all(w.weekday() == 0 for w in f.weeks)
        assert f.by_category == {
            "recruitment": 6,
            "propaganda": 2,
            "incitement": 1,
            "financing": 1,
            "attack_instructions": 1,
        }


def test_events_count_questions_complaints_reinstatements_and_reopenings(app, history):
    with app.app_context():
        f = of(history, "de", "ministry", "DE-BMI")
        assert f.events == {"question_asked": 1, "complaint": 1, "reinstated": 1, "reopened": 1}
        assert of(history, "fr", "ministry", "FR-MININT").events == {}


def test_periods_a_year_or_the_last_90_days(app, history):
    with app.app_context():
        assert of(history, "de", "ministry", "DE-BMI", "2026").referred == 11
        empty = of(history, "de", "ministry", "DE-BMI", "2025")
        assert empty.referred == 0 and empty.timings == [] and empty.share_actioned is None
        assert len(empty.weeks) in (52, 53)
        # 90 days back from 90 minutes short of 90 days later: only the item of NOW - 1 h.
        later = NOW + timedelta(days=90, minutes=-90)
        assert (
            tf.figures(reader(history, "de"), "ministry", "DE-BMI", "90d", now=later).referred == 1
        )
        for bad in ("2019", "2027", "last week", "90", "\uff12\uff10\uff12\uff16"):
            with pytest.raises(InvalidInput) as refused:
                of(history, "de", "ministry", "DE-BMI", bad)
            assert refused.value.field == "period"


@pytest.mark.parametrize(
    ("who", "side", "code"),
    [
        ("fr", "ministry", "DE-BMI"),  # another ministry
        ("x", "ministry", "DE-BMI"),  # a platform looking at a ministry
        ("x", "platform", "PLATFORM-Y"),  # another platform
        ("uk", "platform", "PLATFORM-X"),  # a ministry that never referred to it
        ("de", "ministry", "PLATFORM-X"),  # a platform is no ministry
        ("de", "platform", "DE-BMI"),  # and a ministry no platform
        ("de", "platform", "NO-SUCH-ORG"),
        ("de", "elsewhere", "DE-BMI"),
    ],
)
def test_other_organisations_figures_do_not_exist(app, history, who, side, code):
    with app.app_context(), pytest.raises(NotFound):
        of(history, who, side, code)


@pytest.mark.parametrize("who", ["x.admin", "de.analyst", "sysadmin"])
def test_only_liaison_officers_and_officials_see_figures(app, history, who):
    with app.app_context(), pytest.raises(Forbidden):
        of(history, who, "ministry", "DE-BMI")


def test_a_ministry_is_offered_the_platforms_it_referred_to(app, history):
    with app.app_context():
        codes = [code for code, _ in tf.platforms_referred_to(reader(history, "de"))]
        assert codes == ["PLATFORM-X", "PLATFORM-Y"]
        assert tf.platforms_referred_to(reader(history, "uk")) == []
