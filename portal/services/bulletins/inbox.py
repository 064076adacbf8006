"""An organisation's inbox: the bulletins it may read, filtered, sorted and paged, with titles
decrypted for the reader's organisation only.

Only clear listing columns are filtered and sorted on, and only through the allow-lists below:
no text a user typed ever becomes SQL. "Has entity" is answered by blind-index tokens of the
identifier's canonical keys; the identifier itself is neither stored nor logged.

A page shows at most :data:`PAGE_SIZE` rows. The ids of a page are found first (one index range
scan of ``bulletin_recipients`` for the default order), then only those rows are loaded and
opened, so a sort never carries ciphertexts.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from flask_babel import gettext
from sqlalchemy import ColumnElement, Select, and_, case, exists, func, or_, select
from sqlalchemy.orm import Session, aliased

from portal.extensions import db
from portal.models import (
    Acknowledgement,
    Bulletin,
    BulletinKey,
    BulletinRecipient,
    BulletinState,
    BulletinToken,
    Organisation,
    OrgKind,
    ReadReceipt,
    RecipientVia,
    utcnow,
)
from portal.services.bulletins.access import readable_ids
from portal.services.bulletins.content import Category, Entity, EntityType, Marking, Platform
from portal.services.bulletins.entities import identifier_keys, name_keys
from portal.services.bulletins.inbox_titles import RowTitle, titles_for
from portal.services.bulletins.tags import filter_tags, index_key
from portal.services.errors import InvalidInput
from portal.services.organisations import keys as org_keys
from portal.services.principals import Reader

PAGE_SIZE = 50
COUNT_CAP = 1_000  # counts stop here ("1,000+"), beyond the current page at least
MAX_PAGE = 100_000
MAX_IDENTIFIER = 500

__all__ = [
    "COUNT_CAP",
    "MAX_PAGE",
    "PAGE_SIZE",
    "Box",
    "InboxPage",
    "InboxQuery",
    "InboxRow",
    "Order",
    "SortKey",
    "VersionLink",
    "inbox_page",
    "keyset_page",
    "matching_ids",
    "search_keys",
    "sender_choices",
    "versions_of",
]


class Box(enum.StrEnum):
    ALL = "all"
    RECEIVED = "received"
    SENT = "sent"


class SortKey(enum.StrEnum):
    DATE = "date"
    CATEGORY = "category"
    MARKING = "marking"
    SENDER = "sender"


class Order(enum.StrEnum):
    DESC = "desc"
    ASC = "asc"


@dataclass(frozen=True)
class InboxQuery:
    """What the reader asked for, already checked against the allow-lists."""

    box: Box = Box.ALL
    category: Category | None = None
    marking: Marking | None = None
    sender: str | None = None  # organisation code
    since: date | None = None
    until: date | None = None  # inclusive
    entity: str | None = None
    tag: str | None = None  # a taxonomy tag, matched through its blind-index token
    unread: bool = False
    versions: bool = False  # also list versions that a newer one replaced
    sort: SortKey = SortKey.DATE
    order: Order = Order.DESC
    page: int = 1


@dataclass(frozen=True)
class InboxRow:
    id: str
    version: int
    category: str
    marking: str
    sender: str
    sent_by_reader: bool
    created_at: datetime
    state: str
    ended_at: datetime | None
    entity_count: int
    attachment_count: int
    unread: bool
    title: RowTitle

    @property
    def tombstone(self) -> bool:
        return self.state not in _READABLE


_READABLE = frozenset(s.value for s in BulletinState if s.readable)


@dataclass(frozen=True)
class InboxPage:
    rows: list[InboxRow]
    total: int
    unread: int
    page: int
    pages: int
    total_capped: bool = False  # more than ``total`` match (counting stopped there)
    unread_capped: bool = False


@dataclass(frozen=True)
class VersionLink:
    id: str
    version: int
    state: str
    created_at: datetime


# -- "has entity": canonical keys of a typed identifier ------------------------------------------


def search_keys(text: str, default_region: str | None = None) -> set[str]:
    """Every canonical key ``text`` could stand for: as a phone number, e-mail address, URL,
    account on any platform, group, place or person's name. A wrong guess matches nothing."""
    value = text.strip()
    candidates = [
        Entity(ref="q", type=kind, value=value)
        for kind in (EntityType.PHONE, EntityType.EMAIL, EntityType.URL, EntityType.GROUP)
    ]
    candidates.append(Entity(ref="q", type=EntityType.LOCATION, value=value))
    candidates += [
        Entity(ref="q", type=EntityType.ACCOUNT, value=value, platform=platform)
        for platform in Platform
    ]
    keys: set[str] = set()
    for candidate in candidates:
        try:
            keys |= identifier_keys(candidate, default_region)
        except ValueError:  # text that is no identifier of this type: nothing to match
            continue
    return keys | name_keys((value,))


def _entity_tokens(reader: Reader, text: str) -> list[bytes]:
    if len(text) > MAX_IDENTIFIER:
        raise InvalidInput(
            gettext("At most %(limit)s characters.", limit=MAX_IDENTIFIER), field="entity"
        )
    keys = search_keys(text, reader.country)
    if not keys:
        raise InvalidInput(
            gettext("Type an account, phone number, e-mail address, URL, place or name."),
            field="entity",
        )
    index = org_keys.blind_index()
    return sorted(index.token(key) for key in keys)


# -- the query -----------------------------------------------------------------------------------


def _day_start(day: date) -> datetime:
    return datetime.combine(day, time.min, tzinfo=UTC)


def _sender_id(session: Session, code: str) -> int:
    org_id = session.scalar(
        select(Organisation.id).where(
            Organisation.code == code.strip().upper(), Organisation.kind != OrgKind.PLATFORM
        )
    )
    if org_id is None:
        raise InvalidInput(gettext("No such sending organisation."), field="sender")
    return org_id


def _bulletin_ids(*criteria: ColumnElement[bool]) -> Select[str]:
    return select(Bulletin.id).where(*criteria)


# Built once: making an alias costs about a millisecond, and the desk asks for this condition
# three times a page.
_NEWER = aliased(Bulletin, name="newer")
_HOLDER = aliased(BulletinRecipient, name="holder")


def _replaced(reader: Reader) -> ColumnElement[bool]:
    """This row's version has a successor that this organisation may also read (it is listed).

    Correlated with the inbox's row and answered by two primary-key probes (the successor
    through the unique ``supersedes_id``, then its recipient row), so a page or a capped count
    costs one probe per row it looks at, never a pass over every recipient row.
    """
    return (
        exists()
        .where(_NEWER.supersedes_id == BulletinRecipient.bulletin_id)
        .where(_HOLDER.bulletin_id == _NEWER.id, _HOLDER.org_id == reader.org_id)
    )


def _unread(reader: Reader) -> ColumnElement[bool]:
    """Received, never opened by this user, and readable (a tombstone cannot be read, so is
    never unread; what the user's own organisation sent is not news to it).

    Correlated with the inbox's row (a primary-key probe each), so that a capped count stops
    early instead of first building the set of every receipt and every tombstone.
    """
    recipient = BulletinRecipient.bulletin_id
    opened = exists().where(
        ReadReceipt.bulletin_id == recipient, ReadReceipt.user_id == reader.user_id
    )
    ended = [state.value for state in BulletinState if not state.readable]
    tombstone = exists().where(Bulletin.id == recipient, Bulletin.state.in_(ended))
    return and_(BulletinRecipient.via != RecipientVia.SENDER.value, ~opened, ~tombstone)


def _conditions(session: Session, reader: Reader, query: InboxQuery) -> list[ColumnElement[bool]]:
    """Conditions on the recipient rows only, each other table in an uncorrelated id set.

    Both databases then answer the count and the page from the inbox index alone, with each
    set built once (hashed or materialised), instead of joining every row to its bulletin.
    """
    recipient = BulletinRecipient.bulletin_id
    where: list[ColumnElement[bool]] = [BulletinRecipient.org_id == reader.org_id]
    if query.box is Box.SENT:
        where.append(BulletinRecipient.via == RecipientVia.SENDER.value)
    elif query.box is Box.RECEIVED:
        where.append(BulletinRecipient.via != RecipientVia.SENDER.value)
    # A category, marking or sender matches thousands of bulletins: probing that set from the
    # inbox index beats driving from it (``|| ''`` keeps SQLite's planner from doing the latter).
    probed = recipient + ""
    if query.category is not None:
        where.append(probed.in_(_bulletin_ids(Bulletin.category == query.category.value)))
    if query.marking is not None:
        where.append(probed.in_(_bulletin_ids(Bulletin.marking == query.marking.value)))
    if query.sender:
        sender = _sender_id(session, query.sender)
        where.append(probed.in_(_bulletin_ids(Bulletin.sender_org_id == sender)))
    if query.since and query.until and query.since > query.until:
        raise InvalidInput(gettext("The end date is before the start date."), field="until")
    # Dates filter the copy of created_at on the recipient row: the inbox index covers it.
    if query.since:
        where.append(BulletinRecipient.created_at >= _day_start(query.since))
    if query.until and query.until < date.max:  # the last day has no "day after"
        where.append(BulletinRecipient.created_at < _day_start(query.until) + timedelta(days=1))
    if query.entity:
        tokens = _entity_tokens(reader, query.entity)
        named = select(BulletinToken.bulletin_id).where(BulletinToken.token.in_(tokens))
        where.append(recipient.in_(named))
    if query.tag:
        index = org_keys.tag_index()
        tokens = [index.token(index_key(tag)) for tag in filter_tags(query.tag, "tag")]
        tagged = select(BulletinToken.bulletin_id).where(BulletinToken.token.in_(tokens))
        where.append(recipient.in_(tagged))
    if query.unread:
        where.append(_unread(reader))
    if not query.versions:
        where.append(~_replaced(reader))
    return where


def _marking_rank() -> ColumnElement[int]:
    return case({m.value: m.rank for m in Marking}, value=Bulletin.marking, else_=-1)


def _order_by(query: InboxQuery) -> list[Any]:
    columns: dict[SortKey, Any] = {
        SortKey.DATE: BulletinRecipient.created_at,
        SortKey.CATEGORY: Bulletin.category,
        SortKey.MARKING: _marking_rank(),
        SortKey.SENDER: Organisation.code,
    }
    descending = query.order is Order.DESC
    first = columns[query.sort]
    order = [first.desc() if descending else first.asc()]
    # Ties (and the date order itself) follow the inbox index: newest first unless asked.
    tie = (BulletinRecipient.created_at, BulletinRecipient.bulletin_id)
    if query.sort is SortKey.DATE:
        order.append(tie[1].desc() if descending else tie[1].asc())
    else:
        order += [tie[0].desc(), tie[1].desc()]
    return order


def _page_ids(session: Session, query: InboxQuery, where: list[ColumnElement[bool]]) -> list[str]:
    ids = select(BulletinRecipient.bulletin_id).where(*where)
    # Only a sort by a column of the bulletin (or its sender) needs the join; by date, the
    # page is a range scan of the inbox index that stops after one page.
    if query.sort is not SortKey.DATE:
        ids = ids.join(Bulletin, Bulletin.id == BulletinRecipient.bulletin_id)
    if query.sort is SortKey.SENDER:
        ids = ids.join(Organisation, Organisation.id == Bulletin.sender_org_id)
    offset = (query.page - 1) * PAGE_SIZE
    return list(session.scalars(ids.order_by(*_order_by(query)).limit(PAGE_SIZE).offset(offset)))


def inbox_page(reader: Reader, query: InboxQuery, *, now: datetime | None = None) -> InboxPage:
    """One page of the reader's organisation's bulletins (none at all for a platform)."""
    if not 1 <= query.page <= MAX_PAGE:
        raise InvalidInput(
            gettext("A page number from 1 to %(last)s.", last=MAX_PAGE), field="page"
        )
    if not reader.sees_bulletins:
        return InboxPage([], 0, 0, query.page, 0)
    session = db.session()
    where = _conditions(session, reader, query)
    # Counting every visible row on every page view costs a pass over tens of thousands of
    # rows: count up to a cap (at least past this page, so "Next" is known) and say "1,000+".
    cap = max(COUNT_CAP, query.page * PAGE_SIZE)
    total = _capped_count(session, where, cap)
    unread = total if query.unread else _capped_count(session, [*where, _unread(reader)], cap)
    rows = _rows(session, reader, _page_ids(session, query, where), now or utcnow())
    pages = max(1, -(-min(total, cap) // PAGE_SIZE))
    return InboxPage(
        rows, min(total, cap), min(unread, cap), query.page, pages, total > cap, unread > cap
    )


@dataclass(frozen=True)
class DeskCounts:
    """What waits for the reader among the bulletins received (each counted up to the cap)."""

    unread: int  # never opened by this user
    unacknowledged: int  # current, readable, and not yet acknowledged by the organisation
    cap: int = COUNT_CAP

    @property
    def unread_capped(self) -> bool:
        return self.unread > self.cap

    @property
    def unacknowledged_capped(self) -> bool:
        return self.unacknowledged > self.cap


def desk_counts(reader: Reader, *, cap: int = COUNT_CAP) -> DeskCounts:
    """Unread and unacknowledged bulletins received by the reader's organisation, current
    versions only (as the inbox lists them), each counted up to ``cap`` (then ``cap + 1``)."""
    if not reader.sees_bulletins:
        return DeskCounts(0, 0, cap)
    session = db.session()
    where = _conditions(session, reader, InboxQuery(box=Box.RECEIVED))
    acknowledged = exists().where(
        Acknowledgement.bulletin_id == BulletinRecipient.bulletin_id,
        Acknowledgement.org_id == reader.org_id,
    )
    active = exists().where(
        Bulletin.id == BulletinRecipient.bulletin_id,
        Bulletin.state == BulletinState.ACTIVE.value,
    )
    return DeskCounts(
        unread=_capped_count(session, [*where, _unread(reader)], cap),
        unacknowledged=_capped_count(session, [*where, active, ~acknowledged], cap),
        cap=cap,
    )


def unread_count(reader: Reader, *, cap: int = COUNT_CAP) -> int:
    """Received bulletins the reader never opened (current versions), counted up to ``cap``
    (then ``cap + 1``): the menu's count, on every page, so only this one query."""
    if not reader.sees_bulletins:
        return 0
    session = db.session()
    where = _conditions(session, reader, InboxQuery(box=Box.RECEIVED))
    return _capped_count(session, [*where, _unread(reader)], cap)


def keyset_page(
    reader: Reader,
    query: InboxQuery,
    after: tuple[datetime, str] | None,
    limit: int,
    *,
    now: datetime | None = None,
) -> list[InboxRow]:
    """Rows newest first, strictly after the (created_at, id) of the last row a client got:
    a cursor that stays right while new bulletins arrive (the API's pagination)."""
    if not reader.sees_bulletins:
        return []
    session = db.session()
    where = _conditions(session, reader, query)
    if after is not None:
        at, last_id = after
        where.append(
            or_(
                BulletinRecipient.created_at < at,
                and_(BulletinRecipient.created_at == at, BulletinRecipient.bulletin_id < last_id),
            )
        )
    order = (BulletinRecipient.created_at.desc(), BulletinRecipient.bulletin_id.desc())
    ids = list(
        session.scalars(
            select(BulletinRecipient.bulletin_id).where(*where).order_by(*order).limit(limit)
        )
    )
    return _rows(session, reader, ids, now or utcnow())


def matching_ids(reader: Reader, query: InboxQuery, limit: int) -> list[str]:
    """Up to ``limit`` ids of the bulletins ``query`` shows, newest first, ended ones left out
    (a briefing of a filter takes what can still be opened)."""
    if not reader.sees_bulletins:
        return []
    session = db.session()
    where = _conditions(session, reader, query)
    readable = select(Bulletin.id).where(Bulletin.state.in_(_READABLE))
    ids = select(BulletinRecipient.bulletin_id).where(
        *where, BulletinRecipient.bulletin_id.in_(readable)
    )
    order = (BulletinRecipient.created_at.desc(), BulletinRecipient.bulletin_id.desc())
    return list(session.scalars(ids.order_by(*order).limit(limit)))


def _capped_count(session: Session, where: list[ColumnElement[bool]], cap: int) -> int:
    """How many recipient rows match, counting no further than ``cap + 1``."""
    matching = select(BulletinRecipient.bulletin_id).where(*where).limit(cap + 1).subquery()
    return int(session.scalar(select(func.count()).select_from(matching)) or 0)


def _rows(session: Session, reader: Reader, ids: list[str], now: datetime) -> list[InboxRow]:
    if not ids:
        return []
    loaded = {
        bulletin.id: (bulletin, sender)
        for bulletin, sender in session.execute(
            select(Bulletin, Organisation)
            .join(Organisation, Organisation.id == Bulletin.sender_org_id)
            .where(Bulletin.id.in_(ids))
        )
    }
    opened = set(
        session.scalars(
            select(ReadReceipt.bulletin_id).where(
                ReadReceipt.user_id == reader.user_id, ReadReceipt.bulletin_id.in_(ids)
            )
        )
    )
    # Every organisation's wrapped keys, not only the reader's: verification checks them all,
    # so a changed key of another recipient must change the title cache's key too. The
    # primary key (bulletin_id first) serves this lookup.
    keys: dict[str, list[BulletinKey]] = {}
    for key in session.scalars(
        select(BulletinKey)
        .where(BulletinKey.bulletin_id.in_(ids))
        .order_by(BulletinKey.org_code, BulletinKey.key_version)
    ):
        keys.setdefault(key.bulletin_id, []).append(key)
    ordered = [loaded[i] for i in ids if i in loaded]
    titles = titles_for(session, reader.org_code, ordered, keys, now)
    return [
        InboxRow(
            id=bulletin.id,
            version=bulletin.version,
            category=bulletin.category,
            marking=bulletin.marking,
            sender=sender.code,
            sent_by_reader=bulletin.sender_org_id == reader.org_id,
            created_at=bulletin.created_at,
            state=bulletin.state,
            ended_at=bulletin.ended_at,
            entity_count=bulletin.entity_count,
            attachment_count=bulletin.attachment_count,
            unread=bulletin.id not in opened
            and bulletin.state in _READABLE
            and bulletin.sender_org_id != reader.org_id,
            title=titles[bulletin.id],
        )
        for bulletin, sender in ordered
    ]


def sender_choices() -> list[str]:
    """Codes of the organisations that can send bulletins (not platform partners)."""
    return list(
        db.session().scalars(
            select(Organisation.code)
            .where(Organisation.kind != OrgKind.PLATFORM)
            .order_by(Organisation.code)
        )
    )


def versions_of(reader: Reader, bulletin: Bulletin) -> list[VersionLink]:
    """Every version of ``bulletin``'s series that the reader's organisation may read."""
    rows = db.session().execute(
        select(Bulletin.id, Bulletin.version, Bulletin.state, Bulletin.created_at)
        .where(Bulletin.series_id == bulletin.series_id, Bulletin.id.in_(readable_ids(reader)))
        .order_by(Bulletin.version)
    )
    return [VersionLink(*row) for row in rows]
