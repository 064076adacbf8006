"""The platform's side: its queue of items by deadline, opening, claiming and deciding.

A platform sees only items addressed to it. Items of one case are listed with the case's
binding deadline: the earliest deadline among its open items. Decisions are per item and
idempotent: the same decision twice (outcome, countries and reason) leaves one ledger entry; a
different one on a decided item, a different reason included, is a :class:`Conflict` until the
item is reopened.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime

from flask_babel import gettext
from sqlalchemy import ColumnElement, Row, Select, case, func, select
from sqlalchemy.orm import InstrumentedAttribute, Session, aliased

from portal.extensions import db
from portal.i18n import when
from portal.models import (
    ItemState,
    Organisation,
    Referral,
    ReferralItem,
    ReferralKind,
    ReferralLedgerEntry,
    User,
)
from portal.services.errors import Conflict, InvalidInput
from portal.services.principals import Actor, Reader
from portal.services.referrals import access
from portal.services.referrals.intake import deadline
from portal.services.referrals.ledger import Event, Scalar, append, moment
from portal.services.referrals.vocabulary import (
    MAX_PAGE,
    NEEDS_REASON,
    OPEN,
    TAKEDOWNS,
    Category,
    Outcome,
    check_outcome,
    choice,
)

MAX_NOTE = 2000
_MOST_CASES = 5000  # case ids a queue query names as values; past that, it reads them all
_COUNTRY_LENGTH = 2


@dataclass(frozen=True)
class QueueEntry:
    """An item as its platform sees it, with the case it belongs to."""

    id: str
    referral_id: str
    case_id: str
    kind: str
    referrer: str
    url: str
    account: str | None
    content_type: str
    category: str
    language: str | None
    attributed_group: str | None
    reason: str
    hashes: list[str]
    legal_basis: str | None
    received_at: datetime
    deadline_at: datetime
    binding_deadline: datetime
    state: str
    claimed_by: str | None
    outcome: str | None
    case_items: int
    overdue: bool


@dataclass(frozen=True)
class QueuePage:
    entries: list[QueueEntry]
    page: int
    has_more: bool


@dataclass(frozen=True)
class QueueFilter:
    state: str | None = None
    kind: str | None = None
    category: str | None = None
    overdue: bool | None = None
    claimed_by: int | None = None  # a user id: the items this liaison officer has claimed


@dataclass(frozen=True)
class CaseView:
    """An opened item and every item of its case (its own included), by deadline."""

    item: QueueEntry
    case: list[QueueEntry]


@dataclass(frozen=True)
class Decision:
    outcome: str
    countries: Sequence[str] = ()  # access disabled in these (ISO 3166 alpha-2)
    reason: str | None = None  # required for the regulation's exits
    question: str | None = None  # required for "more information needed"


def _same_platform(
    other: type[ReferralItem], platform: InstrumentedAttribute[int] | int
) -> ColumnElement[bool]:
    """``other`` is an item of ``platform``, written so that no index on the platform is used
    for it: the lookups that test it go through the case index (a case is one platform's, so
    this only guards), which SQLite without statistics would otherwise pass over for the
    ``(platform, state, deadline)`` index and read every open item of the platform instead."""
    return other.platform_org_id + 0 == platform


def _binding() -> ColumnElement[datetime]:
    """An open item's case deadline (the earliest among the case's open items, found through
    the case index); a closed item's own deadline, without looking at its case."""
    other = aliased(ReferralItem)
    earliest = (
        select(func.min(other.deadline_at))
        .where(
            other.case_id == ReferralItem.case_id,
            _same_platform(other, ReferralItem.platform_org_id),
            other.state.in_(OPEN),
        )
        .scalar_subquery()
    )
    return case(
        (ReferralItem.state.in_(OPEN), func.coalesce(earliest, ReferralItem.deadline_at)),
        else_=ReferralItem.deadline_at,
    )


def _case_size() -> ColumnElement[int]:
    other = aliased(ReferralItem)
    return (
        select(func.count(other.id))
        .where(
            other.case_id == ReferralItem.case_id,
            _same_platform(other, ReferralItem.platform_org_id),
        )
        .scalar_subquery()
    )


_Row = Row[ReferralItem, str, str | None, str | None, datetime, int]


def _entries_query(
    binding: ColumnElement[datetime] | None = None,
) -> Select[ReferralItem, str, str | None, str | None, datetime, int]:
    claimer = aliased(User)
    return (
        select(
            ReferralItem,
            Organisation.code,
            Referral.legal_basis,
            claimer.email,
            (_binding() if binding is None else binding).label("binding"),
            _case_size().label("case_items"),
        )
        .join(Referral, Referral.id == ReferralItem.referral_id)
        .join(Organisation, Organisation.id == ReferralItem.referrer_org_id)
        .outerjoin(claimer, claimer.id == ReferralItem.claimed_by_id)
    )


def _entry(row: _Row, now: datetime) -> QueueEntry:
    item, referrer, legal_basis, claimed_by, binding, case_items = row
    return QueueEntry(
        id=item.id,
        referral_id=item.referral_id,
        case_id=item.case_id,
        kind=item.kind,
        referrer=referrer,
        url=item.url,
        account=item.account,
        content_type=item.content_type,
        category=item.category,
        language=item.language,
        attributed_group=item.attributed_group,
        reason=item.reason,
        hashes=list(item.hashes),
        legal_basis=legal_basis,
        received_at=item.received_at,
        deadline_at=item.deadline_at,
        binding_deadline=binding,
        state=item.state,
        claimed_by=claimed_by,
        outcome=item.outcome,
        case_items=case_items,
        overdue=item.state in OPEN and binding < now,
    )


def list_queue(
    reader: Reader,
    filters: QueueFilter = QueueFilter(),
    *,
    page: int = 1,
    size: int = 50,
    now: datetime | None = None,
) -> QueuePage:
    """Items addressed to ``reader``'s platform: open ones first, binding deadline first; then
    the rest (asked about, decided, withdrawn), by their own deadline.

    The two parts are read apart, so a page never sorts the platform's whole history, and the
    open part looks only at the cases that can reach the page (see :func:`_open_part`)."""
    access.require_platform_liaison(reader)
    now = moment(now)
    if page < 1:
        raise InvalidInput(gettext("Pages start at 1."), field="page")
    if not 1 <= size <= MAX_PAGE:
        raise InvalidInput(
            gettext("Show 1 to %(limit)s items a page.", limit=MAX_PAGE), field="size"
        )
    conditions: list[ColumnElement[bool]] = []  # the filters; the platform is added below
    state = choice(ItemState, filters.state, "state").value if filters.state else None
    if state:
        conditions.append(ReferralItem.state == state)
    if filters.kind:
        kind = choice(ReferralKind, filters.kind, "kind")
        conditions.append(ReferralItem.kind == kind.value)
    if filters.category:
        category = choice(Category, filters.category, "category")
        conditions.append(ReferralItem.category == category.value)
    if filters.claimed_by is not None:
        conditions.append(ReferralItem.claimed_by_id == filters.claimed_by)
    offset = (page - 1) * size
    wanted = offset + size + 1  # rows from the start of the list, one past the page
    ranked: list[str] = []  # open item ids, from the start of the list
    if state is None or state in OPEN:
        # A received item is never claimed (claiming, reopening and answering all keep that).
        states = [ItemState.CLAIMED.value] if filters.claimed_by is not None else list(OPEN)
        ranked = _open_part(reader.org_id, conditions, states, filters.overdue, wanted, now)
    rows: list[QueueEntry] = []
    if ranked[offset:]:
        on_page = ranked[offset : offset + size + 1]
        found = {
            row[0].id: _entry(row, now)
            for row in db.session().execute(_entries_query().where(ReferralItem.id.in_(on_page)))
        }
        rows = [found[item_id] for item_id in on_page]
    closed_wanted = state is None or state not in OPEN
    if len(ranked) < wanted and closed_wanted and filters.overdue is not True:
        # Every open item is in ``ranked``: the closed ones follow, by their own deadline.
        closed = (
            _entries_query(ReferralItem.deadline_at.expression)
            .where(
                ReferralItem.platform_org_id == reader.org_id,
                *conditions,
                ReferralItem.state.not_in(OPEN),
            )
            .order_by(ReferralItem.deadline_at, ReferralItem.id)
            .offset(max(0, offset - len(ranked)))
            .limit(wanted - max(offset, len(ranked)))
        )
        rows += [_entry(row, now) for row in db.session().execute(closed)]
    return QueuePage(rows[:size], page, len(rows) > size)


def _open_part(
    platform_id: int,
    conditions: list[ColumnElement[bool]],
    states: list[str],
    overdue: bool | None,
    wanted: int,
    now: datetime,
) -> list[str]:
    """The ids of the first ``wanted`` items in ``states`` (open ones) matching ``conditions``
    (all of them, if fewer), by binding deadline, then their own deadline and id.

    An item's binding deadline is never later than its own, so when ``bound`` is the deadline
    of the ``wanted``-th matching open item by its own deadline, at least ``wanted`` matching
    items bind by ``bound``, and the first ``wanted`` by binding deadline all belong to cases
    with an open item due by ``bound``. Only those cases are read and sorted, found through the
    ``(platform, state, deadline, case)`` index one open state at a time, instead of every open
    item of the platform (or its decided history, which sorts before them by deadline).
    "Overdue only" keeps a prefix of that order, so the bound holds for it too; "not overdue"
    does not, and reads every open item.
    """
    binding = _binding()
    query = select(ReferralItem.id).where(*conditions, ReferralItem.state.in_(states))
    if overdue is not None:
        query = query.where(binding < now if overdue else binding >= now)
    bound = None if overdue is False else _bound(platform_id, conditions, states, wanted)
    cases: list[str] = []
    if bound is not None:
        session = db.session()
        for state in OPEN:
            cases += session.scalars(
                select(ReferralItem.case_id).where(
                    ReferralItem.platform_org_id == platform_id,
                    ReferralItem.state == state,
                    ReferralItem.deadline_at <= bound,
                )
            )
        cases = sorted(set(cases))
    if bound is None or len(cases) > _MOST_CASES:
        query = query.where(ReferralItem.platform_org_id == platform_id)
    else:
        # The case ids as values: both planners then go through the case index, where a
        # subquery left PostgreSQL guessing at its size and hashing every open item.
        query = query.where(
            ReferralItem.case_id.in_(cases), _same_platform(ReferralItem, platform_id)
        )
    query = query.order_by(binding, ReferralItem.deadline_at, ReferralItem.id).limit(wanted)
    return list(db.session().scalars(query))


def _bound(
    platform_id: int, conditions: list[ColumnElement[bool]], states: list[str], wanted: int
) -> datetime | None:
    """The deadline of the ``wanted``-th item in ``states`` matching ``conditions``, by
    deadline; None when fewer match. Each state is one ordered range of the index."""
    session = db.session()
    deadlines: list[datetime] = []
    for state in states:
        deadlines += session.scalars(
            select(ReferralItem.deadline_at)
            .where(
                ReferralItem.platform_org_id == platform_id,
                *conditions,
                ReferralItem.state == state,
            )
            .order_by(ReferralItem.deadline_at)
            .limit(wanted)
        )
    deadlines.sort()
    return deadlines[wanted - 1] if len(deadlines) >= wanted else None


def open_item(
    reader: Reader, actor: Actor, item_id: str, *, now: datetime | None = None
) -> CaseView:
    """The item and its case; the platform's first opening of it goes on the ledger."""
    access.require_platform_liaison(reader)
    now = moment(now)
    with db.write() as session:
        item = access.platform_item(session, reader, item_id, lock=True)
        if item.first_opened_at is None:
            item.first_opened_at = now
            append(session, item, Event.FIRST_OPENED, reader, actor, now)
    session = db.session()
    rows = session.execute(
        _entries_query()
        .where(ReferralItem.case_id == item.case_id, ReferralItem.platform_org_id == reader.org_id)
        .order_by(ReferralItem.deadline_at, ReferralItem.id)
    )
    case = [_entry(row, now) for row in rows]
    own = next(entry for entry in case if entry.id == item.id)
    return CaseView(own, case)


def claim(reader: Reader, actor: Actor, item_id: str, *, now: datetime | None = None) -> None:
    """Take an item on: one platform liaison at a time; claiming one's own claim again is a
    no-op."""
    access.require_platform_liaison(reader)
    now = moment(now)
    with db.write() as session:
        item = access.platform_item(session, reader, item_id, lock=True)
        _claim(session, item, reader, actor, now)


def _claim(
    session: Session, item: ReferralItem, reader: Reader, actor: Actor, now: datetime
) -> None:
    if item.claimed_by_id == reader.user_id:
        return
    if item.state not in (*OPEN, ItemState.QUESTION.value):
        raise Conflict(
            gettext("This item is %(state)s: there is nothing to claim.", state=item.state)
        )
    if item.claimed_by_id is not None:
        colleague = session.get_one(User, item.claimed_by_id)
        raise Conflict(gettext("%(person)s has claimed this item.", person=colleague.email))
    item.claimed_by_id = reader.user_id
    item.claimed_at = now
    if item.state == ItemState.RECEIVED.value:
        item.state = ItemState.CLAIMED.value
    append(session, item, Event.CLAIMED, reader, actor, now)


def _note(raw: str | None, name: str, *, required: str | None = None) -> str | None:
    text = (raw or "").strip()
    if required and not text:
        raise InvalidInput(required, field=name)
    if len(text) > MAX_NOTE:
        raise InvalidInput(
            gettext("Write at most %(limit)s characters.", limit=MAX_NOTE), field=name
        )
    return text or None


def _countries(outcome: Outcome, raw: Sequence[str]) -> list[str]:
    if isinstance(raw, str):
        raw = raw.replace(",", " ").split()
    codes = sorted({str(code).strip().upper() for code in raw if str(code).strip()})
    if outcome is not Outcome.ACCESS_DISABLED:
        if codes:
            raise InvalidInput(
                gettext("Countries are named only when access is disabled in them."),
                field="countries",
            )
        return []
    if not codes:
        raise InvalidInput(
            gettext("Name the countries where access is disabled."), field="countries"
        )
    for code in codes:
        if len(code) != _COUNTRY_LENGTH or not code.isascii() or not code.isalpha():
            raise InvalidInput(
                gettext(
                    "%(code)s is not an ISO 3166 country code, such as DE.", code=repr(code[:10])
                ),
                field="countries",
            )
    return codes


@dataclass(frozen=True)
class _CheckedDecision:
    outcome: Outcome
    countries: list[str]
    reason: str | None
    question: str | None


def _check(kind: ReferralKind, decision: Decision) -> _CheckedDecision:
    outcome = choice(Outcome, decision.outcome, "outcome")
    check_outcome(kind, outcome)
    countries = _countries(outcome, decision.countries)
    reason = _note(
        decision.reason,
        "reason",
        required=gettext("Give the reason for this exit.") if outcome in NEEDS_REASON else None,
    )
    question = None
    if outcome is Outcome.MORE_INFORMATION:
        question = _note(
            decision.question, "question", required=gettext("Ask the referrer a question.")
        )
    return _CheckedDecision(outcome, countries, reason, question)


def decide(
    reader: Reader,
    actor: Actor,
    item_id: str,
    decision: Decision,
    *,
    now: datetime | None = None,
) -> None:
    """Record the platform's decision on an item (see the module doc and ``vocabulary``)."""
    access.require_platform_liaison(reader)
    now = moment(now)
    with db.write() as session:
        item = access.platform_item(session, reader, item_id, lock=True)
        _decide(session, item, reader, actor, decision, now)


def _decide(
    session: Session,
    item: ReferralItem,
    reader: Reader,
    actor: Actor,
    decision: Decision,
    now: datetime,
) -> None:
    checked = _check(ReferralKind(item.kind), decision)
    if item.state == ItemState.WITHDRAWN.value:
        raise Conflict(gettext("The referrer withdrew this item."))
    if item.state in (ItemState.DECIDED.value, ItemState.REINSTATED.value):
        same = (item.outcome, item.outcome_countries) == (
            checked.outcome.value,
            checked.countries,
        )
        if same and item.state == ItemState.DECIDED.value:
            if item.outcome_note == checked.reason:
                return  # the same decision again: already on record
            raise Conflict(
                gettext(
                    "This decision is on record (by %(person)s on %(moment)s) with another "
                    "reason; reopen it to change it.",
                    **_decided_by(session, item),
                ),
                field="reason",
            )
        raise Conflict(
            gettext(
                "This item was already decided (%(outcome)s by %(person)s on %(moment)s); "
                "reopen it to decide again.",
                outcome=item.outcome or "",
                **_decided_by(session, item),
            ),
            field="outcome",
        )
    if checked.outcome is Outcome.MORE_INFORMATION:
        _ask(session, item, reader, actor, checked, now)
        return
    facts: dict[str, Scalar | list[Scalar]] = {
        "outcome": checked.outcome.value,
        "countries": list(checked.countries),
        "on_time": now <= item.deadline_at,  # the signed deadline, whatever was asked
        "reason": checked.reason,
    }
    restarted = _restarted_deadline(session, item)
    if restarted is not None:
        facts["within_restarted_clock"] = now <= restarted
    item.state = ItemState.DECIDED.value
    item.outcome = checked.outcome.value
    item.outcome_countries = checked.countries
    item.outcome_note = checked.reason
    item.decided_at = now
    item.decided_by_id = reader.user_id
    append(session, item, Event.DECIDED, reader, actor, now, facts)


def _decided_by(session: Session, item: ReferralItem) -> dict[str, str]:
    """Who made the decision that stands, and when: for a colleague whose own was refused."""
    user = session.get(User, item.decided_by_id) if item.decided_by_id else None
    return {"person": user.email if user else "—", "moment": when(item.decided_at)}


MAX_BULK = MAX_PAGE


def _bulk(
    reader: Reader,
    item_ids: Sequence[str],
    act: Callable[[Session, ReferralItem], None],
) -> int:
    """``act`` on every item in one transaction: all of them, or, when one is refused, none
    (the refusal names the item). Any id that is not the platform's is :class:`NotFound`."""
    ids = list(dict.fromkeys(item_ids))
    if not ids:
        raise InvalidInput(gettext("Select at least one item."), field="items")
    if len(ids) > MAX_BULK:
        raise InvalidInput(
            gettext("Select at most %(limit)s items at once.", limit=MAX_BULK), field="items"
        )
    with db.write() as session:
        items = [access.platform_item(session, reader, i, lock=True) for i in ids]
        for item in items:
            try:
                act(session, item)
            except (Conflict, InvalidInput) as error:
                refused = type(error)(
                    gettext(
                        "%(url)s: %(problem)s Nothing was changed.",
                        url=item.url,
                        problem=error.message,
                    ),
                    field="items",
                )
                raise refused from error
    return len(items)


def claim_many(
    reader: Reader, actor: Actor, item_ids: Sequence[str], *, now: datetime | None = None
) -> int:
    """Claim several items at once: all, or none when one of them cannot be claimed."""
    access.require_platform_liaison(reader)
    moment_ = moment(now)
    return _bulk(reader, item_ids, lambda s, item: _claim(s, item, reader, actor, moment_))


def decide_many(
    reader: Reader,
    actor: Actor,
    item_ids: Sequence[str],
    decision: Decision,
    *,
    now: datetime | None = None,
) -> int:
    """One decision on several items: on all of them, or, when it does not fit one of them
    (an outcome its kind does not allow, an item already decided otherwise), on none."""
    access.require_platform_liaison(reader)
    moment_ = moment(now)
    return _bulk(
        reader,
        item_ids,
        lambda s, item: _decide(s, item, reader, actor, decision, moment_),
    )


def _restarted_deadline(session: Session, item: ReferralItem) -> datetime | None:
    """When the clock restarted by the last answer to the platform's question ran out."""
    answered = session.scalar(
        select(ReferralLedgerEntry.at)
        .where(
            ReferralLedgerEntry.item_id == item.id,
            ReferralLedgerEntry.event == Event.QUESTION_ANSWERED.value,
        )
        .order_by(ReferralLedgerEntry.id.desc())
        .limit(1)
    )
    return None if answered is None else deadline(ReferralKind(item.kind), answered)


def _ask(
    session: Session,
    item: ReferralItem,
    reader: Reader,
    actor: Actor,
    checked: _CheckedDecision,
    now: datetime,
) -> None:
    if item.state == ItemState.QUESTION.value:
        raise Conflict(gettext("A question to the referrer is already open."), field="outcome")
    if item.kind == ReferralKind.REMOVAL_ORDER.value and now > item.deadline_at:
        raise InvalidInput(
            gettext(
                "The hour to act on this removal order has passed: more information can be asked "
                "only without undue delay, before then (Regulation (EU) 2021/784, Art. 3(8))."
            ),
            field="outcome",
        )
    item.state = ItemState.QUESTION.value
    append(session, item, Event.QUESTION_ASKED, reader, actor, now, {"question": checked.question})


def reopen(
    reader: Reader, actor: Actor, item_id: str, reason: str, *, now: datetime | None = None
) -> None:
    """Take a decided (or reinstated) item back into the queue, so it can be decided again."""
    access.require_platform_liaison(reader)
    now = moment(now)
    text = _note(reason, "reason", required=gettext("Say why the decision is reopened."))
    with db.write() as session:
        item = access.platform_item(session, reader, item_id, lock=True)
        if item.state not in (ItemState.DECIDED.value, ItemState.REINSTATED.value):
            raise Conflict(gettext("Only a decided item can be reopened."))
        previous = item.outcome
        item.state = ItemState.CLAIMED.value if item.claimed_by_id else ItemState.RECEIVED.value
        item.outcome = item.outcome_note = item.decided_at = item.decided_by_id = None
        item.outcome_countries = None
        append(
            session,
            item,
            Event.REOPENED,
            reader,
            actor,
            now,
            {"previous": previous, "reason": text},
        )


# Decisions a content provider (the uploader) may complain about (Regulation (EU) 2021/784,
# Art. 10): whatever took the content or its account down.
CONTESTABLE = TAKEDOWNS | {Outcome.ACCOUNT_SUSPENDED}


def record_provider_complaint(
    reader: Reader, actor: Actor, item_id: str, text: str, *, now: datetime | None = None
) -> None:
    """Put on the ledger that the content provider complained about the takedown (Art. 10 of
    Regulation (EU) 2021/784); the referrer sees it on the item. Reinstating the content, if
    the complaint is upheld, is a separate step (``reinstate``)."""
    access.require_platform_liaison(reader)
    now = moment(now)
    said = _note(text, "text", required=gettext("Say what the content provider's complaint says."))
    with db.write() as session:
        item = access.platform_item(session, reader, item_id, lock=True)
        decided = item.state in (ItemState.DECIDED.value, ItemState.REINSTATED.value)
        if not decided or item.outcome not in CONTESTABLE:
            raise Conflict(
                gettext("Only a takedown can be complained about by the content provider.")
            )
        append(
            session,
            item,
            Event.PROVIDER_COMPLAINT,
            reader,
            actor,
            now,
            {"outcome": item.outcome, "text": said},
        )


def reinstate(
    reader: Reader, actor: Actor, item_id: str, reason: str, *, now: datetime | None = None
) -> None:
    """The platform put taken-down content back (for instance after the uploader's complaint)."""
    access.require_platform_liaison(reader)
    now = moment(now)
    text = _note(reason, "reason", required=gettext("Say why the content was reinstated."))
    with db.write() as session:
        item = access.platform_item(session, reader, item_id, lock=True)
        if item.state != ItemState.DECIDED.value or item.outcome not in TAKEDOWNS:
            raise Conflict(gettext("Only content that was taken down can be reinstated."))
        item.state = ItemState.REINSTATED.value
        append(
            session,
            item,
            Event.REINSTATED,
            reader,
            actor,
            now,
            {"outcome": item.outcome, "reason": text},
        )
