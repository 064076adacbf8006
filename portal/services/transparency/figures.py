"""The transparency figures of one platform or one referring organisation over one period.

Who sees what: a platform's liaison officers see every item addressed to their platform; a
ministry (or observer) sees only the items it referred itself, per platform it referred to and
over all of them. Any other platform or organisation is :class:`NotFound`, so the portal never
tells "not yours" from "does not exist".

Definitions (the method notes of the pages and the report say the same):

- An item counts in the period in which it was received (UTC). Weeks start on Monday 00:00 UTC.
- Time to action runs from receipt to the platform's *first* decision on the ledger (a decision
  later reopened and taken again still counts from its first one); p50 and p90 are nearest-rank
  percentiles over the items decided so far.
- A removal order is handled within the hour when its first decision (any outcome but a
  question back) was recorded no later than its signed deadline, one hour after receipt.
- Share actioned: items taken down (removed, access disabled, restricted, account suspended)
  out of the items decided (taken down, no violation, not our service, already gone, or one of
  the regulation's exits).
- Complaints, reinstatements, questions and reopened decisions count when they happened, for
  the items in scope.
"""

from __future__ import annotations

import enum
import re
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta

from babel import numbers
from flask_babel import gettext
from flask_babel import lazy_gettext as _l
from sqlalchemy import ColumnElement, and_, func, or_, select
from sqlalchemy.orm import Session

from portal.extensions import db
from portal.i18n import current_language, day
from portal.models import ItemState, Organisation, OrgKind, ReferralItem, ReferralKind, Role
from portal.models import ReferralLedgerEntry as Ledger
from portal.services.errors import Forbidden, InvalidInput, NotFound
from portal.services.principals import Reader
from portal.services.referrals.ledger import Event, moment
from portal.services.referrals.vocabulary import OPEN, Category, Outcome
from portal.services.transparency.sql import as_date, seconds_between, week_start

RECENT_DAYS = 90
FIRST_YEAR = 2020
_YEAR = re.compile(r"^[0-9]{4}$")


class Side(enum.StrEnum):
    PLATFORM = "platform"
    MINISTRY = "ministry"


class Group(enum.StrEnum):
    """Where an item stands, in the words of a transparency report."""

    ACTIONED = "actioned"  # removed, access disabled, restricted, account suspended
    NO_ACTION = "no_action"  # no violation of the terms, not the platform's service
    ALREADY_GONE = "already_gone"
    EXIT = "exit"  # the regulation's exits: impossibility, force majeure, scrutiny
    QUESTION = "question"  # the platform asked the referrer and waits for the answer
    OPEN = "open"
    WITHDRAWN = "withdrawn"

    @property
    def label(self) -> str:
        return str(_GROUP_LABELS[self])

    @property
    def short(self) -> str:
        """The label of a chart's bar."""
        return str(_GROUP_SHORT[self])


_GROUP_LABELS = {
    Group.ACTIONED: _l("Removed, disabled, restricted or suspended"),
    Group.NO_ACTION: _l("No violation / not the platform's service"),
    Group.ALREADY_GONE: _l("Already gone"),
    Group.EXIT: _l("Regulation exits (impossibility, force majeure, scrutiny)"),
    Group.QUESTION: _l("Question to the referrer open"),
    Group.OPEN: _l("Awaiting a decision"),
    Group.WITHDRAWN: _l("Withdrawn by the referrer"),
}
_GROUP_SHORT = {
    Group.ACTIONED: _l("Actioned"),
    Group.NO_ACTION: _l("No action"),
    Group.ALREADY_GONE: _l("Already gone"),
    Group.EXIT: _l("Regulation exits"),
    Group.QUESTION: _l("Question open"),
    Group.OPEN: _l("Awaiting decision"),
    Group.WITHDRAWN: _l("Withdrawn"),
}
ACTIONED = frozenset(
    {Outcome.REMOVED, Outcome.ACCESS_DISABLED, Outcome.RESTRICTED, Outcome.ACCOUNT_SUSPENDED}
)
NO_ACTION = frozenset({Outcome.NO_VIOLATION, Outcome.NOT_OUR_SERVICE})
EXITS = frozenset(
    {Outcome.TECHNICAL_IMPOSSIBILITY, Outcome.FORCE_MAJEURE, Outcome.SCRUTINY_REQUESTED}
)
DECIDED_GROUPS = (Group.ACTIONED, Group.NO_ACTION, Group.ALREADY_GONE, Group.EXIT)
VIEWERS = {
    OrgKind.PLATFORM: frozenset({Role.PLATFORM_LIAISON}),
    OrgKind.MEMBER: frozenset({Role.LIAISON, Role.OFFICIAL}),
    OrgKind.OBSERVER: frozenset({Role.LIAISON, Role.OFFICIAL}),
}


def group_of(state: str, outcome: str | None) -> Group:
    if state == ItemState.WITHDRAWN.value:
        return Group.WITHDRAWN
    if state == ItemState.QUESTION.value:
        return Group.QUESTION
    if state in OPEN or outcome is None:
        return Group.OPEN
    value = Outcome(outcome)
    if value in ACTIONED:
        return Group.ACTIONED
    if value in NO_ACTION:
        return Group.NO_ACTION
    if value is Outcome.ALREADY_GONE:
        return Group.ALREADY_GONE
    return Group.EXIT


@dataclass(frozen=True)
class Period:
    key: str  # "90d" or a year, as the pages pass it
    start: datetime  # inclusive, UTC
    end: datetime  # exclusive, UTC
    label: str

    @property
    def year(self) -> int | None:
        return int(self.key) if self.key.isdigit() else None


def period(raw: str | None, now: datetime | None = None) -> Period:
    """The last 90 days (``90d``, the default) or a calendar year (UTC) up to this one."""
    now = moment(now)
    key = (raw or "90d").strip().lower()
    if key == "90d":
        start = now - timedelta(days=RECENT_DAYS)
        label = gettext(
            "the last %(days)s days (%(start)s to %(end)s)",
            days=RECENT_DAYS,
            start=day(start),
            end=day(now),
        )
        return Period(key, start, now, label)
    if _YEAR.fullmatch(key) and FIRST_YEAR <= int(key) <= now.year:
        year = int(key)
        start = datetime(year, 1, 1, tzinfo=UTC)
        return Period(
            key,
            start,
            datetime(year + 1, 1, 1, tzinfo=UTC),
            gettext("the year %(year)s", year=year),
        )
    raise InvalidInput(
        gettext(
            "Choose the last %(days)s days or a year from %(first)s to %(last)s.",
            days=RECENT_DAYS,
            first=FIRST_YEAR,
            last=now.year,
        ),
        field="period",
    )


def years(now: datetime | None = None) -> list[int]:
    """The years a page offers, newest first."""
    current = moment(now).year
    return list(range(current, max(FIRST_YEAR, current - 4) - 1, -1))


@dataclass(frozen=True)
class Scope:
    """Whose figures: one platform's items (all of them, or one referrer's), or one referring
    organisation's items to every platform."""

    side: Side
    code: str
    name: str
    platform_id: int | None  # only items addressed to this platform
    referrer_id: int | None  # only items this organisation referred
    referrer_code: str | None

    @property
    def title(self) -> str:
        if self.side is Side.MINISTRY:
            return str(gettext("Referrals by %(name)s (%(code)s)", name=self.name, code=self.code))
        if self.referrer_code is not None:
            return str(
                gettext(
                    "%(name)s (%(code)s): referrals by %(referrer)s",
                    name=self.name,
                    code=self.code,
                    referrer=self.referrer_code,
                )
            )
        return str(
            gettext(
                "Referrals and removal orders received by %(name)s (%(code)s)",
                name=self.name,
                code=self.code,
            )
        )


def _require_viewer(reader: Reader) -> None:
    if reader.roles.isdisjoint(VIEWERS.get(reader.org_kind, frozenset())):
        raise Forbidden(
            gettext(
                "Transparency figures are for platform liaison officers and for ministries' "
                "liaison officers and officials."
            )
        )


def scope(reader: Reader, side: str, code: str) -> Scope:
    """The figures ``reader`` may see for ``side`` (``platform``/``ministry``) ``code``."""
    _require_viewer(reader)
    try:
        chosen = Side(side)
    except ValueError:
        raise NotFound() from None
    session = db.session()
    org = session.scalar(select(Organisation).where(Organisation.code == (code or "")[:32]))
    if org is None:
        raise NotFound()
    if chosen is Side.MINISTRY:
        if org.kind is OrgKind.PLATFORM or org.id != reader.org_id:
            raise NotFound()
        return Scope(chosen, org.code, org.name, None, org.id, org.code)
    if org.kind is not OrgKind.PLATFORM:
        raise NotFound()
    if reader.org_kind is OrgKind.PLATFORM:
        if org.id != reader.org_id:
            raise NotFound()
        return Scope(chosen, org.code, org.name, org.id, None, None)
    if org.id not in _referred_to(session, reader.org_id):
        raise NotFound()
    return Scope(chosen, org.code, org.name, org.id, reader.org_id, reader.org_code)


def _referred_to(session: Session, org_id: int) -> set[int]:
    return set(
        session.scalars(
            select(ReferralItem.platform_org_id)
            .where(ReferralItem.referrer_org_id == org_id)
            .distinct()
        )
    )


def platforms_referred_to(reader: Reader) -> list[tuple[str, str]]:
    """(code, name) of the platforms ``reader``'s organisation referred content to."""
    _require_viewer(reader)
    if reader.org_kind is OrgKind.PLATFORM:
        return []
    session = db.session()
    ids = _referred_to(session, reader.org_id)
    rows = session.execute(
        select(Organisation.code, Organisation.name)
        .where(Organisation.id.in_(ids))
        .order_by(Organisation.code)
    )
    return [(code, name) for code, name in rows]


@dataclass(frozen=True)
class Timing:
    """Time to action on one platform: decided items, p50 and p90 (seconds)."""

    platform: str
    decided: int
    p50: float | None
    p90: float | None


@dataclass(frozen=True)
class Orders:
    """Removal orders (Regulation (EU) 2021/784) in the period."""

    received: int = 0
    decided: int = 0
    within_hour: int = 0  # first decision no later than the signed deadline
    late: int = 0  # first decision after it
    overdue_open: int = 0  # no decision yet, deadline passed
    removed_or_disabled: int = 0
    exits: Counter[str] = field(default_factory=Counter)  # by outcome


@dataclass(frozen=True)
class Figures:
    scope: Scope
    period: Period
    computed_at: datetime
    weeks: list[date]  # every Monday of the period, oldest first
    per_week: dict[tuple[date, str], int]  # (week, category) -> items referred
    by_category: Counter[str]
    by_kind: Counter[str]
    by_group: Counter[Group]
    by_outcome: Counter[str]
    timings: list[Timing]
    orders: Orders
    events: Counter[str]  # complaint, reinstated, question_asked, reopened
    platforms: int  # platforms the items went to
    referrers: int  # organisations that referred them

    @property
    def referred(self) -> int:
        return sum(self.by_kind.values())

    @property
    def decided(self) -> int:
        return sum(self.by_group[g] for g in DECIDED_GROUPS)

    @property
    def share_actioned(self) -> float | None:
        return self.by_group[Group.ACTIONED] / self.decided if self.decided else None

    @property
    def within_hour_share(self) -> float | None:
        return self.orders.within_hour / self.orders.decided if self.orders.decided else None

    def week_total(self, week: date) -> int:
        return sum(n for (w, _), n in self.per_week.items() if w == week)


def _where(scope: Scope, period: Period) -> list[ColumnElement[bool]]:
    clauses = [ReferralItem.received_at >= period.start, ReferralItem.received_at < period.end]
    if scope.platform_id is not None:
        clauses.append(ReferralItem.platform_org_id == scope.platform_id)
    if scope.referrer_id is not None:
        clauses.append(ReferralItem.referrer_org_id == scope.referrer_id)
    return clauses


def _mondays(period: Period) -> list[date]:
    first = period.start.date() - timedelta(days=period.start.weekday())
    last = (period.end - timedelta(microseconds=1)).date()
    weeks = []
    while first <= last:
        weeks.append(first)
        first += timedelta(days=7)
    return weeks


def _first_decision() -> ColumnElement[datetime]:
    """An item's first decision on the ledger (a question back is not a decision), looked up
    per item through the ledger's (item, id) index: the plan stays the same on both databases
    whatever their statistics say."""
    return (
        select(func.min(Ledger.at))
        .where(Ledger.item_id == ReferralItem.id, Ledger.event == Event.DECIDED.value)
        .correlate(ReferralItem)
        .scalar_subquery()
    )


def _timings(session: Session, where: list[ColumnElement[bool]]) -> list[Timing]:
    """p50/p90 per platform in SQL: seconds to the first decision, ranked per platform; the
    nearest-rank percentile p is the row whose rank r has r >= p*n > r - 1."""
    decided = (
        select(
            ReferralItem.platform_org_id.label("platform"),
            ReferralItem.received_at.label("received_at"),
            _first_decision().label("decided_at"),
        )
        .where(*where)
        .subquery("decided")
    )
    durations = (
        select(
            decided.c.platform,
            seconds_between(decided.c.received_at, decided.c.decided_at).label("seconds"),
        )
        .where(decided.c.decided_at.is_not(None))
        .subquery("durations")
    )
    ranked = select(
        durations.c.platform,
        durations.c.seconds,
        func.row_number()
        .over(partition_by=durations.c.platform, order_by=durations.c.seconds)
        .label("rank"),
        func.count().over(partition_by=durations.c.platform).label("n"),
    ).subquery("ranked")

    def at(percent: int) -> ColumnElement[bool]:
        return and_(
            ranked.c.rank * 100 >= ranked.c.n * percent,
            (ranked.c.rank - 1) * 100 < ranked.c.n * percent,
        )

    rows = session.execute(
        select(
            Organisation.code,
            ranked.c.n,
            ranked.c.seconds,
            at(50).label("p50"),
            at(90).label("p90"),
        )
        .join(Organisation, Organisation.id == ranked.c.platform)
        .where(or_(at(50), at(90)))
    )
    found: dict[str, dict[str, float | int]] = {}
    for code, n, seconds, is50, is90 in rows:
        entry = found.setdefault(code, {"n": n})
        if is50:
            entry["p50"] = round(float(seconds), 1)
        if is90:
            entry["p90"] = round(float(seconds), 1)
    return [
        Timing(code, int(v["n"]), v.get("p50"), v.get("p90")) for code, v in sorted(found.items())
    ]


def _orders(
    session: Session,
    where: list[ColumnElement[bool]],
    now: datetime,
    by_outcome: Counter[str],
) -> Orders:
    is_order = ReferralItem.kind == ReferralKind.REMOVAL_ORDER.value
    orders = (
        select(
            ReferralItem.deadline_at.label("deadline_at"),
            ReferralItem.state.label("state"),
            _first_decision().label("decided_at"),
        )
        .where(is_order, *where)
        .subquery("orders")
    )
    decided_at = orders.c.decided_at
    row = session.execute(
        select(
            func.count(),
            func.count().filter(decided_at.is_not(None)),
            func.count().filter(decided_at <= orders.c.deadline_at),
            func.count().filter(decided_at > orders.c.deadline_at),
            func.count().filter(
                decided_at.is_(None),
                orders.c.state.in_(OPEN),
                orders.c.deadline_at < now,
            ),
        ).select_from(orders)
    ).one()
    removed = by_outcome[Outcome.REMOVED.value] + by_outcome[Outcome.ACCESS_DISABLED.value]
    exits = Counter({o.value: by_outcome[o.value] for o in EXITS if by_outcome[o.value]})
    received, decided, within, late, overdue = row
    return Orders(received, decided, within, late, overdue, removed, exits)


EVENTS = (
    Event.QUESTION_ASKED.value,
    Event.COMPLAINT.value,
    Event.PROVIDER_COMPLAINT.value,
    Event.REINSTATED.value,
    Event.REOPENED.value,
)


def _events(session: Session, scope: Scope, period: Period) -> Counter[str]:
    clauses = [Ledger.at >= period.start, Ledger.at < period.end, Ledger.event.in_(EVENTS)]
    if scope.platform_id is not None:
        clauses.append(ReferralItem.platform_org_id == scope.platform_id)
    if scope.referrer_id is not None:
        clauses.append(ReferralItem.referrer_org_id == scope.referrer_id)
    rows = session.execute(
        select(Ledger.event, func.count())
        .join(ReferralItem, ReferralItem.id == Ledger.item_id)
        .where(*clauses)
        .group_by(Ledger.event)
    )
    return Counter({event: n for event, n in rows})


def compute(scope: Scope, period: Period, now: datetime | None = None) -> Figures:
    """Every figure of ``scope`` over ``period`` (the caller checked ``scope`` with
    :func:`scope`)."""
    now = moment(now)
    session = db.session()
    where = _where(scope, period)
    week = week_start(ReferralItem.received_at)
    per_week: Counter[tuple[date, str]] = Counter()
    by_category: Counter[str] = Counter()
    by_kind: Counter[str] = Counter()
    by_group: Counter[Group] = Counter()
    by_outcome: Counter[str] = Counter()
    order_outcomes: Counter[str] = Counter()
    platforms: set[int] = set()
    referrers: set[int] = set()
    # One pass over the period's items, grouped finely enough for every count below.
    columns = (
        week,
        ReferralItem.category,
        ReferralItem.kind,
        ReferralItem.state,
        ReferralItem.outcome,
        ReferralItem.platform_org_id,
        ReferralItem.referrer_org_id,
    )
    for monday, category, kind, state, outcome, platform, referrer, n in session.execute(
        select(*columns, func.count()).where(*where).group_by(*columns)
    ):
        per_week[(as_date(monday), category)] += n
        by_category[category] += n
        by_kind[kind] += n
        by_group[group_of(state, outcome)] += n
        if outcome is not None:
            by_outcome[outcome] += n
            if kind == ReferralKind.REMOVAL_ORDER.value:
                order_outcomes[outcome] += n
        platforms.add(platform)
        referrers.add(referrer)
    return Figures(
        scope=scope,
        period=period,
        computed_at=now,
        weeks=_mondays(period),
        per_week=dict(per_week),
        by_category=by_category,
        by_kind=by_kind,
        by_group=by_group,
        by_outcome=by_outcome,
        timings=_timings(session, where),
        orders=_orders(session, where, now, order_outcomes),
        events=_events(session, scope, period),
        platforms=len(platforms),
        referrers=len(referrers),
    )


def figures(
    reader: Reader, side: str, code: str, raw_period: str | None, now: datetime | None = None
) -> Figures:
    """The figures ``reader`` may see (see :func:`scope`) over the chosen period."""
    now = moment(now)
    chosen = scope(reader, side, code)
    return compute(chosen, period(raw_period, now), now)


def categories() -> list[str]:
    return [c.value for c in Category]


def duration(seconds: float | None) -> str:
    """``seconds`` as a reader would say it: 42 s, 17 min, 3 h 05 min, 2 d 4 h."""
    if seconds is None:
        return str(gettext("n/a"))
    whole = round(seconds)
    if whole < 60:
        return str(gettext("%(seconds)s s", seconds=whole))
    minutes = whole // 60
    if minutes < 60:
        return str(gettext("%(minutes)s min", minutes=minutes))
    hours, minutes = divmod(minutes, 60)
    if hours < 48:
        return str(
            gettext("%(hours)s h %(minutes)s min", hours=hours, minutes=format(minutes, "02d"))
        )
    days, hours = divmod(hours, 24)
    return str(gettext("%(days)s d %(hours)s h", days=days, hours=hours))


def share(value: float | None) -> str:
    """A share as a percentage with one decimal, written as the reader's language writes it."""
    if value is None:
        return str(gettext("n/a"))
    text = numbers.format_decimal(100 * value, "0.0", locale=current_language())
    return str(gettext("%(percent)s %%", percent=text))


def csv_rows(f: Figures) -> Iterable[tuple[object, ...]]:
    """The figures as rows of ``figure, week, category, platform, outcome, value``."""
    p = f.period
    yield ("period_start", "", "", "", "", p.start.isoformat())
    yield ("period_end", "", "", "", "", p.end.isoformat())
    yield ("items_referred", "", "", "", "", f.referred)
    for kind, n in sorted(f.by_kind.items()):
        yield ("items_by_kind", "", "", "", kind, n)
    for monday in f.weeks:
        for category in categories():
            n = f.per_week.get((monday, category), 0)
            if n:
                yield ("items_per_week", monday.isoformat(), category, "", "", n)
    for category, n in sorted(f.by_category.items()):
        yield ("items_by_category", "", category, "", "", n)
    for group in Group:
        yield ("items_by_status", "", "", "", group.value, f.by_group[group])
    for outcome, n in sorted(f.by_outcome.items()):
        yield ("items_by_outcome", "", "", "", outcome, n)
    yield (
        "share_actioned",
        "",
        "",
        "",
        "",
        "" if f.share_actioned is None else round(f.share_actioned, 4),
    )
    for t in f.timings:
        yield ("decided_items", "", "", t.platform, "", t.decided)
        yield ("time_to_action_p50_seconds", "", "", t.platform, "", t.p50)
        yield ("time_to_action_p90_seconds", "", "", t.platform, "", t.p90)
    o = f.orders
    yield ("removal_orders_received", "", "", "", "", o.received)
    yield ("removal_orders_decided", "", "", "", "", o.decided)
    yield ("removal_orders_within_the_hour", "", "", "", "", o.within_hour)
    yield ("removal_orders_after_the_hour", "", "", "", "", o.late)
    yield ("removal_orders_overdue_undecided", "", "", "", "", o.overdue_open)
    yield ("removal_orders_removed_or_disabled", "", "", "", "", o.removed_or_disabled)
    for outcome, n in sorted(o.exits.items()):
        yield ("removal_orders_exits", "", "", "", outcome, n)
    for event in EVENTS:
        yield (f"events_{event}", "", "", "", "", f.events[event])


CSV_HEADER = ("figure", "week", "category", "platform", "outcome", "value")
