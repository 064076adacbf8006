"""A hand-made referral history with known figures, built once per backend with injected
clocks: times to action chosen so that p50 and p90 differ per scope, removal orders on time,
late and overdue, a week boundary at Sunday 23:59:59 UTC, questions, complaints,
reinstatements, a reopened decision and a withdrawal.

DE-BMI's items to PLATFORM-X, seconds to the first decision: 600, 1200, 1800 (c, reopened and
decided again later), 2400, 6000 (e, after a question), 1800 (order o1, on time), 7200 (order
o2, late): nearest-rank p50 1800, p90 7200. FR-MININT adds 8000 and 9000 on PLATFORM-X, so the
platform's own figures are p50 2400, p90 9000. DE-BMI's one item to PLATFORM-Y took 3600.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from flask import Flask

from portal.services.referrals import queue, referrer
from portal.services.referrals.queue import Decision
from tests.portal.conftest import People
from tests.portal.referrals.conftest import World, item
from tests.portal.service_checks import actor_of

MONDAY = datetime(2026, 11, 30, tzinfo=UTC)  # a Monday, 00:00 UTC
SUNDAY_LAST_SECOND = MONDAY - timedelta(seconds=1)
NOW = datetime(2026, 12, 3, 9, 0, tzinfo=UTC)
MIN = timedelta(minutes=1)


@dataclass(frozen=True)
class History:
    users: dict[str, int]
    items: dict[str, str]  # name -> item id


def _as(world: World, who: str):  # type: ignore[no-untyped-def]
    reader = world.reader(who)
    return reader, actor_of(reader)


def build(app: Flask) -> History:
    world = World(app, People(app)).setup()
    ids: dict[str, str] = {}

    def refer(name, who, at, category="recruitment", platform="PLATFORM-X", order=False):  # type: ignore[no-untyped-def]
        draft = [item(f"https://video.example/watch?v={name}", category=category)]
        made = (world.order if order else world.refer)(who, draft, platform=platform, now=at)
        ids[name] = made.items[0].id
        return ids[name]

    def decide(name, outcome, at, who="x"):  # type: ignore[no-untyped-def]
        reader, actor = _as(world, who)
        queue.decide(reader, actor, ids[name], Decision(outcome), now=at)

    with app.app_context():
        refer("a", "de", SUNDAY_LAST_SECOND)
        decide("a", "removed", SUNDAY_LAST_SECOND + 10 * MIN)
        refer("b", "de", MONDAY, "propaganda")
        decide("b", "no_violation", MONDAY + 20 * MIN)
        at = MONDAY + timedelta(hours=1)
        refer("c", "de", at, "propaganda")
        decide("c", "removed", at + 30 * MIN)
        reader, actor = _as(world, "x")
        queue.reopen(reader, actor, ids["c"], "Wrong outcome recorded.", now=at + 3 * 60 * MIN)
        decide("c", "restricted", at + 5 * 60 * MIN)
        at = MONDAY + timedelta(hours=2)
        refer("d", "de", at)
        decide("d", "account_suspended", at + 40 * MIN)
        at = MONDAY + timedelta(hours=3)
        refer("e", "de", at, "incitement")
        reader, actor = _as(world, "x")
        queue.decide(
            reader,
            actor,
            ids["e"],
            Decision("more_information", question="Which minute of the video?"),
            now=at + 50 * MIN,
        )
        de, de_actor = _as(world, "de")
        referrer.answer(de, de_actor, ids["e"], "Minute 3.", now=at + 60 * MIN)
        decide("e", "already_gone", at + 100 * MIN)
        at = MONDAY + timedelta(hours=4)
        refer("o1", "de", at, order=True)
        decide("o1", "removed", at + 30 * MIN)
        at = MONDAY + timedelta(hours=5)
        refer("o2", "de", at, order=True)
        decide("o2", "removed", at + 120 * MIN)
        refer("o3", "de", NOW - 2 * 60 * MIN, order=True)  # open, an hour overdue
        refer("w", "de", MONDAY + timedelta(hours=7), "financing")
        referrer.withdraw(de, de_actor, ids["w"], now=MONDAY + timedelta(hours=8))
        refer("open", "de", NOW - 60 * MIN, "attack_instructions")
        at = MONDAY + timedelta(hours=1)
        refer("f", "de", at, platform="PLATFORM-Y")
        decide("f", "removed", at + 60 * MIN, who="y")
        at = MONDAY + timedelta(hours=6)
        refer("g", "fr", at)
        decide("g", "removed", at + timedelta(seconds=8000))
        refer("h", "fr", at + MIN)
        decide("h", "removed", at + MIN + timedelta(seconds=9000))
        # After the decisions: a complaint about one, a reinstatement of another.
        referrer.complain(de, de_actor, ids["b"], "This is propaganda.", now=MONDAY + 9 * 60 * MIN)
        reader, actor = _as(world, "x")
        queue.reinstate(
            reader, actor, ids["a"], "Uploader's appeal upheld.", now=MONDAY + 10 * 60 * MIN
        )
    return History(dict(world.users), ids)
