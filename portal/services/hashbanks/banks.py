"""Hash banks: who may read and change them, their entries, and their incremental download.

A bank belongs to one organisation; the organisations it lists may read it and match against
it. Only the owner's liaison officers (a ministry's, or a platform's) add and remove entries;
an operator creates banks and names their readers (``flask hashbanks``). Any bank a reader
may not read is :class:`NotFound`, never "not yours". An entry's link to the referral case or
item it came from is shown only to an organisation that may see that case.
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime

from flask_babel import gettext
from sqlalchemy import ColumnElement, exists, or_, select, update
from sqlalchemy.orm import Session

from portal.extensions import db
from portal.models import (
    HashBank,
    HashBankReader,
    HashEntry,
    HashKind,
    Organisation,
    OrgKind,
    ReferralCase,
    ReferralItem,
    Role,
    utcnow,
)
from portal.services import audit
from portal.services.errors import Conflict, Forbidden, InvalidInput, NotFound
from portal.services.hashbanks.hashing import check_hash, is_low_quality
from portal.services.principals import Actor, Reader
from portal.services.spreadsheets import csv_text

MAX_NAME = 120
MAX_LABEL = 200
MAX_ENTRIES_AT_ONCE = 5000
PAGE_SIZE = 100
MAX_CHANGES_PAGE = 5000
_REFERRAL_ID_LENGTH = 32

# Who works with hash banks at all: a platform's liaison officers, a ministry's liaison
# officers and analysts. Of those, the ones who may change their own organisation's banks.
READERS = {OrgKind.PLATFORM: {Role.PLATFORM_LIAISON}}
MINISTRY_READERS = {Role.LIAISON, Role.ANALYST}
WRITERS = {Role.LIAISON, Role.PLATFORM_LIAISON}


@dataclass(frozen=True)
class BankSummary:
    id: int
    name: str
    description: str | None
    owner: str
    readers: list[str]
    entries: int
    change_counter: int
    writable: bool


@dataclass(frozen=True)
class EntryView:
    id: int
    bank_id: int
    kind: str
    value: str
    quality: int | None
    low_quality: bool
    label: str | None
    case_id: str | None  # only when the reader may see that case
    item_id: str | None
    added_at: datetime
    added_by: str | None
    removed_at: datetime | None
    change_seq: int


@dataclass(frozen=True)
class EntryDraft:
    kind: str
    value: str
    quality: int | None = None
    label: str | None = None
    case_id: str | None = None
    item_id: str | None = None


@dataclass(frozen=True)
class EntryPage:
    entries: list[EntryView]
    page: int
    more: bool


@dataclass(frozen=True)
class Change:
    entry: EntryView
    change: str  # "added" or "removed"


@dataclass(frozen=True)
class ChangePage:
    bank_id: int
    changes: list[Change]
    next_cursor: str
    more: bool


# -- who may do what ---------------------------------------------------------------------------


def require_bank_role(reader: Reader) -> None:
    wanted = READERS.get(reader.org_kind, MINISTRY_READERS)
    if reader.roles.isdisjoint(wanted):
        raise Forbidden(gettext("Hash banks are for liaison officers and analysts."))


def readable(org_id: int) -> ColumnElement[bool]:
    """The condition on ``HashBank`` rows that ``org_id`` owns or may read."""
    granted = select(HashBankReader.bank_id).where(HashBankReader.org_id == org_id)
    return or_(HashBank.owner_org_id == org_id, HashBank.id.in_(granted))


def readable_bank_ids(session: Session, org_id: int) -> list[int]:
    return list(session.scalars(select(HashBank.id).where(readable(org_id)).order_by(HashBank.id)))


def _bank_id(raw: object) -> int | None:
    if isinstance(raw, int) and not isinstance(raw, bool):
        value = raw
    elif isinstance(raw, str) and raw.isdigit() and len(raw) < 10:
        value = int(raw)
    else:
        return None
    return value if 0 < value < 2**31 else None


def visible_bank(session: Session, reader: Reader, bank_id: object) -> HashBank:
    """A bank ``reader``'s organisation owns or may read; anything else is NotFound."""
    require_bank_role(reader)
    number = _bank_id(bank_id)
    bank = session.get(HashBank, number) if number is not None else None
    if bank is None:
        raise NotFound()
    if bank.owner_org_id != reader.org_id and not session.scalar(
        select(
            exists().where(
                HashBankReader.bank_id == bank.id, HashBankReader.org_id == reader.org_id
            )
        )
    ):
        raise NotFound()
    return bank


def _may_write(reader: Reader, bank: HashBank) -> bool:
    return bank.owner_org_id == reader.org_id and not reader.roles.isdisjoint(WRITERS)


def writable_bank(session: Session, reader: Reader, bank_id: object) -> HashBank:
    bank = visible_bank(session, reader, bank_id)
    if not _may_write(reader, bank):
        raise Forbidden(gettext("Only the owner's liaison officers change a bank's entries."))
    return bank


def visible_links(
    session: Session, org_id: int, entries: Iterable[HashEntry]
) -> tuple[set[str], set[str]]:
    """The case ids and item ids among ``entries``' links that ``org_id`` may see: the
    platform a case is addressed to, and every organisation that referred an item of it."""
    case_ids = {e.case_id for e in entries if e.case_id}
    item_ids = {e.item_id for e in entries if e.item_id}
    cases: set[str] = set()
    items: set[str] = set()
    if case_ids:
        cases = set(
            session.scalars(
                select(ReferralCase.id).where(
                    ReferralCase.id.in_(case_ids),
                    or_(
                        ReferralCase.platform_org_id == org_id,
                        ReferralCase.id.in_(
                            select(ReferralItem.case_id).where(
                                ReferralItem.referrer_org_id == org_id
                            )
                        ),
                    ),
                )
            )
        )
    if item_ids:
        items = set(
            session.scalars(
                select(ReferralItem.id).where(
                    ReferralItem.id.in_(item_ids),
                    or_(
                        ReferralItem.platform_org_id == org_id,
                        ReferralItem.referrer_org_id == org_id,
                    ),
                )
            )
        )
    return cases, items


def entry_views(session: Session, org_id: int, entries: Sequence[HashEntry]) -> list[EntryView]:
    cases, items = visible_links(session, org_id, entries)
    org_ids = {e.added_by_org_id for e in entries if e.added_by_org_id}
    codes = (
        dict(
            session.execute(
                select(Organisation.id, Organisation.code).where(Organisation.id.in_(org_ids))
            ).all()
        )
        if org_ids
        else {}
    )
    return [
        EntryView(
            id=e.id,
            bank_id=e.bank_id,
            kind=e.kind,
            value=e.value,
            quality=e.quality,
            low_quality=e.low_quality,
            label=e.label,
            case_id=e.case_id if e.case_id in cases else None,
            item_id=e.item_id if e.item_id in items else None,
            added_at=e.added_at,
            added_by=codes.get(e.added_by_org_id) if e.added_by_org_id else None,
            removed_at=e.removed_at,
            change_seq=e.change_seq,
        )
        for e in entries
    ]


# -- administration (operators) ----------------------------------------------------------------


def _org(session: Session, code: str, field: str) -> Organisation:
    org = session.scalar(
        select(Organisation).where(Organisation.code == (code or "").strip().upper())
    )
    if org is None:
        raise NotFound(f"No organisation with code {code}.", field=field)
    return org


def create_bank(
    actor: Actor,
    owner: str,
    name: str,
    description: str | None = None,
    readers: Sequence[str] = (),
) -> HashBank:
    title = (name or "").strip()
    if not title or len(title) > MAX_NAME:
        raise InvalidInput(f"A bank's name is 1 to {MAX_NAME} characters.", field="name")
    with db.write() as session:
        org = _org(session, owner, "owner")
        if session.scalar(
            select(HashBank.id).where(HashBank.owner_org_id == org.id, HashBank.name == title)
        ):
            raise Conflict(f"{org.code} already has a bank named {title}.", field="name")
        bank = HashBank(
            owner_org_id=org.id,
            name=title,
            description=(description or "").strip() or None,
            change_counter=0,
            live_entries=0,
        )
        session.add(bank)
        session.flush()
        granted = []
        for code in readers:
            reader_org = _org(session, code, "readers")
            if reader_org.id != org.id and reader_org.code not in granted:
                session.add(HashBankReader(bank_id=bank.id, org_id=reader_org.id))
                granted.append(reader_org.code)
        audit.record(
            session,
            "hash_bank.created",
            actor,
            subject_org=org,
            details={"bank": bank.id, "name": title, "readers": granted},
        )
    return bank


def set_reader(actor: Actor, bank_id: int, org_code: str, allowed: bool) -> None:
    """Let ``org_code`` read a bank, or stop it (operators)."""
    with db.write() as session:
        bank = session.get(HashBank, bank_id)
        if bank is None:
            raise NotFound(f"No bank {bank_id}.", field="bank")
        org = _org(session, org_code, "org")
        if org.id == bank.owner_org_id:
            raise InvalidInput("The owner always reads its own bank.", field="org")
        row = session.scalar(
            select(HashBankReader).where(
                HashBankReader.bank_id == bank.id, HashBankReader.org_id == org.id
            )
        )
        if allowed == (row is not None):
            return
        if allowed:
            session.add(HashBankReader(bank_id=bank.id, org_id=org.id))
        else:
            session.delete(row)
        audit.record(
            session,
            "hash_bank.reader_granted" if allowed else "hash_bank.reader_revoked",
            actor,
            subject_org=org,
            details={"bank": bank.id, "org": org.code},
        )


def all_banks() -> list[tuple[HashBank, str, list[str], int]]:
    """Every bank with its owner's code, readers and live entries (operators)."""
    session = db.session()
    banks = list(session.scalars(select(HashBank).order_by(HashBank.id)))
    return [(bank, *_facts(session, bank)) for bank in banks]


def _facts(session: Session, bank: HashBank) -> tuple[str, list[str], int]:
    owner = session.get_one(Organisation, bank.owner_org_id).code
    readers = list(
        session.scalars(
            select(Organisation.code)
            .join(HashBankReader, HashBankReader.org_id == Organisation.id)
            .where(HashBankReader.bank_id == bank.id)
            .order_by(Organisation.code)
        )
    )
    return owner, readers, bank.live_entries


# -- reading -----------------------------------------------------------------------------------


def _summary(session: Session, reader: Reader, bank: HashBank) -> BankSummary:
    owner, readers, count = _facts(session, bank)
    return BankSummary(
        id=bank.id,
        name=bank.name,
        description=bank.description,
        owner=owner,
        readers=readers if bank.owner_org_id == reader.org_id else [],
        entries=count,
        change_counter=bank.change_counter,
        writable=_may_write(reader, bank),
    )


def list_banks(reader: Reader) -> list[BankSummary]:
    require_bank_role(reader)
    session = db.session()
    ids = readable_bank_ids(session, reader.org_id)
    banks = session.scalars(select(HashBank).where(HashBank.id.in_(ids)).order_by(HashBank.id))
    return [_summary(session, reader, bank) for bank in banks]


def bank_summary(reader: Reader, bank_id: object) -> BankSummary:
    session = db.session()
    return _summary(session, reader, visible_bank(session, reader, bank_id))


def entry_page(reader: Reader, bank_id: object, page: int = 1) -> EntryPage:
    """A bank's live entries, newest first."""
    session = db.session()
    bank = visible_bank(session, reader, bank_id)
    page = max(1, min(page, 10**6))
    rows = list(
        session.scalars(
            select(HashEntry)
            .where(HashEntry.bank_id == bank.id, HashEntry.removed_at.is_(None))
            .order_by(HashEntry.id.desc())
            .offset((page - 1) * PAGE_SIZE)
            .limit(PAGE_SIZE + 1)
        )
    )
    return EntryPage(
        entry_views(session, reader.org_id, rows[:PAGE_SIZE]), page, len(rows) > PAGE_SIZE
    )


def export_csv(reader: Reader, actor: Actor, bank_id: object) -> tuple[str, str]:
    """A bank's live entries as CSV (through the portal's one safe CSV writer), audited."""
    with db.write() as session:
        bank = visible_bank(session, reader, bank_id)
        rows = list(
            session.scalars(
                select(HashEntry)
                .where(HashEntry.bank_id == bank.id, HashEntry.removed_at.is_(None))
                .order_by(HashEntry.id)
            )
        )
        views = entry_views(session, reader.org_id, rows)
        audit.record(
            session,
            "hash_bank.exported",
            actor,
            subject_org=bank.owner_org_id,
            details={"bank": bank.id, "entries": len(views)},
        )
        name = bank.name
    header = ("id", "kind", "value", "quality", "low_quality", "label", "case", "item", "added_at")
    text = csv_text(
        header,
        (
            (
                v.id,
                v.kind,
                v.value,
                v.quality,
                "yes" if v.low_quality else "no",
                v.label,
                v.case_id,
                v.item_id,
                v.added_at.isoformat(),
            )
            for v in views
        ),
    )
    return name, text


# -- changing ----------------------------------------------------------------------------------


def _draft_entry(session: Session, reader: Reader, draft: EntryDraft, row: int) -> HashEntry:
    where = f"hashes (line {row})"
    try:
        kind = HashKind(draft.kind)
    except ValueError:
        raise InvalidInput(
            gettext("Line %(row)s: a kind of md5, sha256 or pdq.", row=row), field="kind"
        ) from None
    try:
        value = check_hash(kind, draft.value, "hashes")
    except InvalidInput as error:
        raise InvalidInput(
            gettext("Line %(row)s: %(problem)s", row=row, problem=error.message), field=where
        ) from None
    label = (draft.label or "").strip() or None
    if label is not None and len(label) > MAX_LABEL:
        raise InvalidInput(
            gettext(
                "Line %(row)s: a label of at most %(most)s characters.", row=row, most=MAX_LABEL
            ),
            field="label",
        )
    quality = draft.quality
    if quality is not None and not 0 <= quality <= 100:
        raise InvalidInput(
            gettext("Line %(row)s: a PDQ quality is 0 to 100.", row=row), field="quality"
        )
    case_id, item_id = draft.case_id or None, draft.item_id or None
    if item_id is not None:
        item = session.get(ReferralItem, item_id) if len(item_id) == _REFERRAL_ID_LENGTH else None
        if item is None or reader.org_id not in (item.platform_org_id, item.referrer_org_id):
            raise InvalidInput(
                gettext("Line %(row)s: no such referral item.", row=row), field="item"
            )
        if case_id is not None and case_id != item.case_id:
            raise InvalidInput(
                gettext("Line %(row)s: the item is not in that case.", row=row), field="case"
            )
        case_id = item.case_id
    elif case_id is not None:
        found = HashEntry(case_id=case_id)
        if case_id not in visible_links(session, reader.org_id, [found])[0]:
            raise InvalidInput(
                gettext("Line %(row)s: no such referral case.", row=row), field="case"
            )
    return HashEntry(
        kind=kind.value,
        value=value,
        quality=quality if kind is HashKind.PDQ else None,
        low_quality=kind is HashKind.PDQ and is_low_quality(quality),
        label=label,
        case_id=case_id,
        item_id=item_id,
        added_by_id=reader.user_id,
        added_by_org_id=reader.org_id,
    )


def _next_seqs(session: Session, bank_id: int, count: int, live: int) -> int:
    """Take ``count`` change numbers of a bank (locking its row), its live entries changed
    by ``live``: returns the first number."""
    last = session.execute(
        update(HashBank)
        .where(HashBank.id == bank_id)
        .values(
            change_counter=HashBank.change_counter + count,
            live_entries=HashBank.live_entries + live,
        )
        .returning(HashBank.change_counter)
        .execution_options(synchronize_session=False)
    ).scalar_one()
    return int(last) - count + 1


def add_entries(
    reader: Reader, actor: Actor, bank_id: object, drafts: Sequence[EntryDraft]
) -> list[int]:
    """Add entries to a bank its owner's liaison officer may change: all of them, or (on the
    first bad one, named by its line) none."""
    if not drafts:
        raise InvalidInput(gettext("Give at least one hash."), field="hashes")
    if len(drafts) > MAX_ENTRIES_AT_ONCE:
        raise InvalidInput(
            gettext("At most %(most)s hashes at once.", most=MAX_ENTRIES_AT_ONCE), field="hashes"
        )
    with db.write() as session:
        bank = writable_bank(session, reader, bank_id)
        entries = [_draft_entry(session, reader, d, n) for n, d in enumerate(drafts, 1)]
        first = _next_seqs(session, bank.id, len(entries), len(entries))
        now = utcnow()
        for offset, entry in enumerate(entries):
            entry.bank_id = bank.id
            entry.added_at = now
            entry.change_seq = first + offset
        session.add_all(entries)
        session.flush()
        kinds = sorted({e.kind for e in entries})
        audit.record(
            session,
            "hash_bank.entries_added",
            actor,
            subject_org=bank.owner_org_id,
            details={"bank": bank.id, "entries": len(entries), "kinds": kinds},
        )
        return [e.id for e in entries]


def remove_entry(reader: Reader, actor: Actor, bank_id: object, entry_id: int) -> None:
    """Remove an entry (kept, marked removed, so downloads learn of it). Again: a no-op."""
    with db.write() as session:
        bank = writable_bank(session, reader, bank_id)
        entry = session.get(HashEntry, entry_id) if 0 < entry_id < 2**31 else None
        if entry is None or entry.bank_id != bank.id:
            raise NotFound()
        if entry.removed_at is not None:
            return
        entry.change_seq = _next_seqs(session, bank.id, 1, -1)
        entry.removed_at = utcnow()
        entry.removed_by_id = reader.user_id
        audit.record(
            session,
            "hash_bank.entry_removed",
            actor,
            subject_org=bank.owner_org_id,
            details={"bank": bank.id, "entry": entry.id, "kind": entry.kind},
        )


# -- incremental download ----------------------------------------------------------------------


def cursor_for(bank_id: int, seq: int) -> str:
    return base64.urlsafe_b64encode(f"hb1:{bank_id}:{seq}".encode()).decode().rstrip("=")


def _parse_cursor(bank_id: int, cursor: str | None) -> int:
    if not cursor:
        return 0
    bad = InvalidInput("This cursor was not given for this bank.", field="since")
    try:
        text = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
    except (binascii.Error, UnicodeDecodeError, ValueError):
        raise bad from None
    prefix, _, rest = text.partition(":")
    bank, _, seq = rest.partition(":")
    if prefix != "hb1" or bank != str(bank_id) or not seq.isdigit() or len(seq) > 10:
        raise bad
    return int(seq)


def changes(reader: Reader, bank_id: object, since: str | None, limit: int = 1000) -> ChangePage:
    """Entries added or removed after ``since`` (from the start without one), in change
    order, at most ``limit``; the next cursor continues where this page ended."""
    if not 1 <= limit <= MAX_CHANGES_PAGE:
        raise InvalidInput(f"A limit of 1 to {MAX_CHANGES_PAGE}.", field="limit")
    session = db.session()
    bank = visible_bank(session, reader, bank_id)
    after = _parse_cursor(bank.id, since)
    rows = list(
        session.scalars(
            select(HashEntry)
            .where(HashEntry.bank_id == bank.id, HashEntry.change_seq > after)
            .order_by(HashEntry.change_seq)
            .limit(limit + 1)
        )
    )
    page = rows[:limit]
    views = entry_views(session, reader.org_id, page)
    last = page[-1].change_seq if page else after
    return ChangePage(
        bank_id=bank.id,
        changes=[Change(v, "removed" if v.removed_at else "added") for v in views],
        next_cursor=cursor_for(bank.id, last),
        more=len(rows) > limit,
    )
