"""The dashboard's word on referrals: for a referring organisation's liaison officers, the
items with a question waiting for their answer and the ones decided lately; for a platform's
liaison officers, how their queue stands (open, due within the hour, overdue). Anyone else
gets nothing."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import and_, func, select
from sqlalchemy.orm import aliased

from portal.extensions import db
from portal.models import ItemState, OrgKind, ReferralItem, Role
from portal.services.principals import Reader
from portal.services.referrals import referrer
from portal.services.referrals.ledger import moment
from portal.services.referrals.referrer import OwnFilter, OwnItem
from portal.services.referrals.vocabulary import OPEN

RECENT = timedelta(days=7)
SHOWN = 5  # items listed per heading
SOON = timedelta(hours=1)


@dataclass(frozen=True)
class ReferrerSummary:
    questions: list[OwnItem]  # waiting for our answer, newest first
    more_questions: bool
    decided: list[OwnItem]  # decided within RECENT, latest first
    awaiting: int = 0  # sent, waiting for the platform's answer
    question_count: int = 0


@dataclass(frozen=True)
class PlatformSummary:
    open: int
    due_soon: int  # open, due within the next hour
    overdue: int


def summary(
    reader: Reader, *, now: datetime | None = None
) -> ReferrerSummary | PlatformSummary | None:
    """What the reader's dashboard shows about referrals (None: nothing, not their work)."""
    now = moment(now)
    if reader.org_kind is OrgKind.PLATFORM:
        return _platform(reader, now) if reader.has_role(Role.PLATFORM_LIAISON) else None
    if not reader.has_role(Role.LIAISON):
        return None
    since = now - RECENT
    # One query says whether there is anything to list (on most days there is not).
    questions, decided, awaiting = (
        db.session()
        .execute(
            select(
                func.count().filter(ReferralItem.state == ItemState.QUESTION.value),
                func.count().filter(ReferralItem.decided_at >= since),
                func.count().filter(ReferralItem.state.in_(OPEN)),
            ).where(ReferralItem.referrer_org_id == reader.org_id)
        )
        .one()
    )
    asked = (
        referrer.own_page(reader, OwnFilter(state=ItemState.QUESTION.value), size=SHOWN, now=now)
        if questions
        else None
    )
    lately = (
        referrer.own_page(reader, OwnFilter(decided_since=since), size=SHOWN, now=now)
        if decided
        else None
    )
    return ReferrerSummary(
        asked.items if asked else [],
        bool(asked and asked.has_more),
        lately.items if lately else [],
        awaiting=int(awaiting),
        question_count=int(questions),
    )


def _platform(reader: Reader, now: datetime) -> PlatformSummary:
    # An open item is due by its case's deadline, the earliest among the case's open items,
    # as the queue orders and flags it.
    other = aliased(ReferralItem)
    binding = (
        select(func.min(other.deadline_at))
        .where(
            other.case_id == ReferralItem.case_id,
            other.platform_org_id == ReferralItem.platform_org_id,
            other.state.in_(OPEN),
        )
        .scalar_subquery()
    )
    due = func.coalesce(binding, ReferralItem.deadline_at)
    row = (
        db.session()
        .execute(
            select(
                func.count(),
                func.count().filter(and_(due >= now, due <= now + SOON)),
                func.count().filter(due < now),
            ).where(ReferralItem.platform_org_id == reader.org_id, ReferralItem.state.in_(OPEN))
        )
        .one()
    )
    return PlatformSummary(int(row[0]), int(row[1]), int(row[2]))
