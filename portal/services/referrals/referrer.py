"""The referring organisation's side: its own items, where they stand and how long the
platform took; withdrawing an item, answering the platform's question, complaining about a
decision. A referrer learns how many other organisations referred the same content, never
which."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from flask_babel import gettext
from sqlalchemy import ColumnElement, Select, func, select
from sqlalchemy.orm import aliased

from portal.extensions import db
from portal.models import (
    ItemState,
    Organisation,
    ReferralItem,
    ReferralKind,
    ReferralLedgerEntry,
)
from portal.services.errors import Conflict, InvalidInput, NotFound
from portal.services.principals import Actor, Reader
from portal.services.referrals import access
from portal.services.referrals.intake import deadline
from portal.services.referrals.ledger import Event, append, moment
from portal.services.referrals.vocabulary import MAX_PAGE, OPEN, choice

MAX_TEXT = 2000


@dataclass(frozen=True)
class OwnItem:
    """An item as the organisation that referred it sees it."""

    id: str
    referral_id: str
    platform: str
    kind: str
    url: str
    content_type: str
    category: str
    state: str
    outcome: str | None
    countries: list[str]
    received_at: datetime
    deadline_at: datetime
    decided_at: datetime | None
    overdue: bool
    others: int  # other organisations that referred the same content to the same platform
    question: str | None  # the platform's open question, if any

    @property
    def time_to_action(self) -> timedelta | None:
        return None if self.decided_at is None else self.decided_at - self.received_at


@dataclass(frozen=True)
class HistoryEntry:
    """A ledger entry as one party reads it: the other organisation's users are not named."""

    id: int
    at: datetime
    event: str
    org_id: int
    user_id: int | None  # None when the entry is the other organisation's
    details: dict[str, Any]


def _others(org_id: int) -> ColumnElement[int]:
    other = aliased(ReferralItem)
    return (
        select(func.count(func.distinct(other.referrer_org_id)))
        .where(
            other.case_id == ReferralItem.case_id,
            other.referrer_org_id != org_id,
            other.state != ItemState.WITHDRAWN.value,
        )
        .scalar_subquery()
    )


def _open_question(item_id: str) -> str | None:
    entry = db.session().scalar(
        select(ReferralLedgerEntry)
        .where(
            ReferralLedgerEntry.item_id == item_id,
            ReferralLedgerEntry.event == Event.QUESTION_ASKED.value,
        )
        .order_by(ReferralLedgerEntry.id.desc())
        .limit(1)
    )
    return None if entry is None else str(entry.details.get("question") or "")


def _own(item: ReferralItem, platform: str, others: int, now: datetime) -> OwnItem:
    return OwnItem(
        id=item.id,
        referral_id=item.referral_id,
        platform=platform,
        kind=item.kind,
        url=item.url,
        content_type=item.content_type,
        category=item.category,
        state=item.state,
        outcome=item.outcome,
        countries=list(item.outcome_countries or []),
        received_at=item.received_at,
        deadline_at=item.deadline_at,
        decided_at=item.decided_at,
        overdue=item.state in OPEN and item.deadline_at < now,
        others=others,
        question=_open_question(item.id) if item.state == ItemState.QUESTION.value else None,
    )


def _query(reader: Reader) -> Select[ReferralItem, str, int]:
    return (
        select(ReferralItem, Organisation.code, _others(reader.org_id))
        .join(Organisation, Organisation.id == ReferralItem.platform_org_id)
        .where(ReferralItem.referrer_org_id == reader.org_id)
    )


def own_items(
    reader: Reader, *, page: int = 1, size: int = 50, now: datetime | None = None
) -> list[OwnItem]:
    """The organisation's referred items, newest first (its liaison officers only)."""
    access.require_liaison(reader)
    now = moment(now)
    if page < 1:
        raise InvalidInput(gettext("Pages start at 1."), field="page")
    if not 1 <= size <= MAX_PAGE:
        raise InvalidInput(gettext("Show 1 to %(most)s items a page.", most=MAX_PAGE), field="size")
    rows = db.session().execute(
        _query(reader)
        .order_by(ReferralItem.received_at.desc(), ReferralItem.position)
        .offset((page - 1) * size)
        .limit(size)
    )
    return [_own(item, platform, others, now) for item, platform, others in rows]


@dataclass(frozen=True)
class OwnFilter:
    """Narrows the referrer's list: an item state, a platform (its code), a kind, one referral
    (its items in their order); or the items decided since a moment, latest decision first."""

    state: str | None = None
    platform: str | None = None
    kind: str | None = None
    referral: str | None = None
    decided_since: datetime | None = None


@dataclass(frozen=True)
class OwnPage:
    items: list[OwnItem]
    page: int
    has_more: bool


def own_page(
    reader: Reader,
    filters: OwnFilter = OwnFilter(),
    *,
    page: int = 1,
    size: int = 50,
    now: datetime | None = None,
) -> OwnPage:
    """A page of the organisation's items, newest first, narrowed by ``filters`` (its liaison
    officers only); an unknown state or kind is InvalidInput naming the filter, an unknown
    platform simply matches nothing."""
    access.require_liaison(reader)
    now = moment(now)
    if page < 1:
        raise InvalidInput(gettext("Pages start at 1."), field="page")
    if not 1 <= size <= MAX_PAGE:
        raise InvalidInput(gettext("Show 1 to %(most)s items a page.", most=MAX_PAGE), field="size")
    query = _query(reader)
    if filters.state:
        query = query.where(ReferralItem.state == choice(ItemState, filters.state, "state").value)
    if filters.kind:
        query = query.where(ReferralItem.kind == choice(ReferralKind, filters.kind, "kind").value)
    if filters.platform:
        query = query.where(Organisation.code == filters.platform.strip().upper())
    if filters.referral is not None:
        query = query.where(ReferralItem.referral_id == filters.referral)
    if filters.decided_since is not None:
        query = query.where(ReferralItem.decided_at >= moment(filters.decided_since)).order_by(
            ReferralItem.decided_at.desc()
        )
    rows = db.session().execute(
        query.order_by(
            ReferralItem.received_at.desc(), ReferralItem.referral_id, ReferralItem.position
        )
        .offset((page - 1) * size)
        .limit(size + 1)
    )
    items = [_own(item, platform, others, now) for item, platform, others in rows]
    return OwnPage(items[:size], page, len(items) > size)


def own_item(reader: Reader, item_id: str, *, now: datetime | None = None) -> OwnItem:
    """One of the organisation's items; :class:`NotFound` for any other id."""
    access.require_liaison(reader)
    now = moment(now)
    access.referrer_item(db.session(), reader, item_id)
    item, platform, others = (
        db.session().execute(_query(reader).where(ReferralItem.id == item_id)).one()
    )
    return _own(item, platform, others, now)


def history(reader: Reader, item_id: str) -> list[HistoryEntry]:
    """An item's ledger, for the liaison officers of the organisation that referred it or of
    the platform it went to; neither learns the other's user ids."""
    access.require_party_role(reader)
    session = db.session()
    try:
        access.referrer_item(session, reader, item_id)
    except NotFound:
        access.platform_item(session, reader, item_id)
    entries = session.scalars(
        select(ReferralLedgerEntry)
        .where(ReferralLedgerEntry.item_id == item_id)
        .order_by(ReferralLedgerEntry.id)
    )
    return [
        HistoryEntry(
            id=entry.id,
            at=entry.at,
            event=entry.event,
            org_id=entry.org_id,
            user_id=entry.user_id if entry.org_id == reader.org_id else None,
            details=dict(entry.details),
        )
        for entry in entries
    ]


def _text(raw: str | None, name: str, missing: str) -> str:
    text = (raw or "").strip()
    if not text:
        raise InvalidInput(missing, field=name)
    if len(text) > MAX_TEXT:
        raise InvalidInput(gettext("Write at most %(most)s characters.", most=MAX_TEXT), field=name)
    return text


def withdraw(
    reader: Reader,
    actor: Actor,
    item_id: str,
    reason: str | None = None,
    *,
    now: datetime | None = None,
) -> None:
    """Withdraw an item the platform has not decided yet (again: a no-op)."""
    access.require_liaison(reader)
    now = moment(now)
    text = (reason or "").strip() or None
    if text is not None and len(text) > MAX_TEXT:
        raise InvalidInput(
            gettext("Write at most %(most)s characters.", most=MAX_TEXT), field="reason"
        )
    with db.write() as session:
        item = access.referrer_item(session, reader, item_id, lock=True)
        if item.state == ItemState.WITHDRAWN.value:
            return
        if item.state not in (*OPEN, ItemState.QUESTION.value):
            raise Conflict(gettext("The platform has already decided this item."))
        item.state = ItemState.WITHDRAWN.value
        append(session, item, Event.WITHDRAWN, reader, actor, now, {"reason": text})


def answer(
    reader: Reader, actor: Actor, item_id: str, text: str, *, now: datetime | None = None
) -> None:
    """Answer the platform's open question. The signed deadline stays as it was; the clock that
    runs again from the answer (for an order, Regulation (EU) 2021/784, Art. 3(8); for a
    referral, likewise) is recorded beside it (``restarted_deadline``), never in its place."""
    access.require_liaison(reader)
    now = moment(now)
    reply = _text(text, "answer", gettext("Write an answer."))
    with db.write() as session:
        item = access.referrer_item(session, reader, item_id, lock=True)
        if item.state != ItemState.QUESTION.value:
            raise Conflict(gettext("The platform has no open question about this item."))
        item.state = ItemState.CLAIMED.value if item.claimed_by_id else ItemState.RECEIVED.value
        restarted = deadline(ReferralKind(item.kind), now)
        append(
            session,
            item,
            Event.QUESTION_ANSWERED,
            reader,
            actor,
            now,
            {"answer": reply, "restarted_deadline": restarted.isoformat()},
        )


def complain(
    reader: Reader, actor: Actor, item_id: str, text: str, *, now: datetime | None = None
) -> None:
    """Put on record that the referrer disputes a decision (the platform may reopen it)."""
    access.require_liaison(reader)
    now = moment(now)
    complaint = _text(text, "text", gettext("Say what is wrong with the decision."))
    with db.write() as session:
        item = access.referrer_item(session, reader, item_id, lock=True)
        if item.state not in (ItemState.DECIDED.value, ItemState.REINSTATED.value):
            raise Conflict(gettext("Only a decision can be complained about."))
        append(
            session,
            item,
            Event.COMPLAINT,
            reader,
            actor,
            now,
            {"outcome": item.outcome, "text": complaint},
        )
