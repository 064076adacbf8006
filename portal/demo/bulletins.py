"""Demo bulletins: eighteen months of synthetic reporting among the G7 ministries, from a fixed
random seed, every bulletin really sealed.

Each bulletin is authored by the sending ministry's demo liaison officer at a synthetic
posting time, checked by the posting service's own :func:`sealing.check_draft`, sealed with
``crypto.seal`` and the header fields the service writes, and stored with the service's own
row builders. Only what makes seeding thousands fast differs: the keys are looked up once,
many bulletins are stored per transaction, and a batch's audit records are linked into the
chain with one update of its head. The tests open every demo bulletin as a recipient and
verify the audit chain, so a drift from the service would show. A few bulletins are then
amended through :func:`amendments.amend`; recipients' read receipts and acknowledgements are
recorded with the audit events the read and acknowledge services record.

Seeding is idempotent: if any bulletin by a demo user exists, nothing is added."""

from __future__ import annotations

import random
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from crypto import Envelope, PrivateBundle, PublicBundle, seal
from crypto.chain import link
from portal.demo import seeding as demo
from portal.demo.plan import AMENDED_SHARE, PERIOD, SEED, Planned, amended_version, plan
from portal.demo.world import G7
from portal.extensions import db
from portal.models import (
    Acknowledgement,
    AuditHead,
    AuditRecord,
    Bulletin,
    BulletinToken,
    ReadReceipt,
    Role,
    User,
    utcnow,
)
from portal.services import audit
from portal.services.bulletins import amendments, sealing, tags
from portal.services.bulletins import content as bulletin_content
from portal.services.bulletins.content import BulletinContent
from portal.services.bulletins.store import add_keys
from portal.services.organisations import keys as org_keys
from portal.services.principals import Actor, Reader

BATCH = 100
Progress = Callable[[int, int, float], None]


@dataclass
class SeedReport:
    bulletins: int = 0
    amendments: int = 0
    entities: int = 0  # entity mentions, summed over bulletins
    identifiers: int = 0  # distinct blind-index tokens in the database
    read_receipts: int = 0
    acknowledgements: int = 0
    seconds: float = 0.0
    skipped: bool = False

    @property
    def per_second(self) -> float:
        return self.bulletins / self.seconds if self.seconds else 0.0


class _AuditBatch:
    """Appends a batch's audit records to the chain exactly as :func:`audit.record` links them,
    with one read and one update of the chain head instead of two updates per record (which
    were a quarter of the seeding time). ``audit verify`` checks the result like any other.
    """

    def __init__(self, session: Session) -> None:
        self.session = session
        # Locked until the batch commits, as audit.record's UPDATE locks it (on SQLite the
        # write transaction's lock already serialises appends).
        head = session.scalars(
            select(AuditHead).where(AuditHead.id == audit.HEAD_ID).with_for_update()
        ).one()
        self.seq, self.hash = head.seq, head.hash

    def record(self, event: str, reader: Reader, subject_org: int, details: dict[str, Any]) -> None:
        self.seq += 1
        entry = AuditRecord(
            seq=self.seq,
            at=utcnow(),
            event=event,
            outcome="success",
            actor_user_id=reader.user_id,
            actor_email=reader.email,
            actor_org_id=reader.org_id,
            subject_user_id=None,
            subject_org_id=subject_org,
            ip=None,
            details=details,
            prev_hash=self.hash,
        )
        entry.hash = self.hash = link(self.hash, entry.chain_fields())
        self.session.add(entry)

    def close(self) -> None:
        self.session.execute(
            update(AuditHead)
            .where(AuditHead.id == audit.HEAD_ID)
            .values(seq=self.seq, hash=self.hash)
        )


@dataclass
class _Desk:
    """The demo users who post, read and acknowledge, and the ministries' keys, looked up once."""

    readers: dict[tuple[str, Role], Reader] = field(default_factory=dict)
    private: dict[str, PrivateBundle] = field(default_factory=dict)
    public: dict[str, PublicBundle] = field(default_factory=dict)

    @classmethod
    def load(cls, session: Session) -> _Desk:
        desk = cls()
        directory = org_keys.directory()
        for code in G7:
            desk.private[code] = org_keys.private_bundle(code)
            desk.public[code] = directory.latest(code)
            for role in (Role.LIAISON, Role.ANALYST):
                desk.readers[code, role] = demo.demo_reader(role, code)
        return desk

    def reader(self, code: str, role: Role) -> Reader:
        return self.readers[code, role]

    def seal(
        self,
        sender: str,
        content: BulletinContent,
        category: str,
        marking: str,
        recipients: Sequence[str],
        at: datetime,
        expires_at: datetime,
    ) -> Envelope:
        """Seal a checked draft without attachments as :func:`sealing.seal_and_store` does."""
        return seal(
            content.to_json(),
            sender=self.private[sender],
            recipients=[self.public[code] for code in recipients],
            marking=marking,
            now=at,
            expires_at=expires_at,
            fields={
                "kind": bulletin_content.FORMAT,
                "category": category,
                "version": 1,
                "supersedes": None,
            },
        )


def demo_bulletins_exist(session: Session) -> bool:
    query = select(Bulletin.id).join(User, User.id == Bulletin.author_id).where(User.demo)
    return session.scalar(query.limit(1)) is not None


def seed_bulletins(
    count: int,
    *,
    seed: int = SEED,
    now: datetime | None = None,
    batch: int = BATCH,
    progress: Progress | None = None,
    sealer: Sealer | None = None,
) -> SeedReport:
    """Post ``count`` demo bulletins (a few of them amended versions); see the module doc.

    ``sealer`` checks and seals the planned bulletins, in order (default: one by one in this
    process; ``bench/bulk_seed.py`` spreads it over processes); they are stored here."""
    started = time.perf_counter()
    now = now or utcnow()
    session = db.session()
    if count <= 0 or demo_bulletins_exist(session):
        return SeedReport(skipped=count > 0)
    with db.write() as session:
        # Organisations get their keys when created; one without keys gets keys dated before
        # the oldest demo bulletin.
        for code in G7:
            org_keys.ensure_keys(session, code, now=now - PERIOD - timedelta(days=1))
    desk = _Desk.load(db.session())
    amended = round(count * AMENDED_SHARE) if count >= 10 else 0
    rng = random.Random(seed + 1)  # noqa: S311  (synthetic demo content, not a secret)
    chosen = set(rng.sample(range(count - amended), amended))
    to_amend: list[tuple[Planned, str]] = []
    report = SeedReport()
    pending: list[Sealed] = []
    plans = plan(count - amended, now=now, seed=seed)
    sealed = sealer(plans) if sealer else (seal_planned(desk, p) for p in plans)
    for number, one in enumerate(sealed):
        pending.append(one)
        if len(pending) == batch or number == count - amended - 1:
            first = number + 1 - len(pending)
            for offset, bulletin_id in enumerate(_store_batch(desk, pending, report)):
                if first + offset in chosen:
                    to_amend.append((pending[offset].planned, bulletin_id))
            pending = []
            if progress:
                progress(report.bulletins, count, time.perf_counter() - started)
    for planned, bulletin_id in to_amend:
        version, at = amended_version(rng, planned, now)
        reader = desk.reader(planned.sender, Role.LIAISON)
        amendments.amend(reader, Actor(reader.user_id), bulletin_id, version.draft(), now=at)
        report.amendments += 1
        report.bulletins += 1
        report.entities += len(version.document["entities"])
    tag_index = org_keys.tag_index()
    tag_tokens = [tag_index.token(tags.index_key(c.tag)) for c in tags.choices()]
    identifiers = select(func.count(BulletinToken.token.distinct())).where(
        BulletinToken.token.not_in(tag_tokens)
    )
    report.identifiers = db.session().scalar(identifiers) or 0
    report.seconds = time.perf_counter() - started
    if progress:
        progress(report.bulletins, count, report.seconds)
    return report


@dataclass(frozen=True)
class Sealed:
    """A planned bulletin checked by the posting service and sealed, with its blind-index
    tokens: everything but the rows, which :func:`_store_batch` writes."""

    planned: Planned
    reader: Reader
    checked: Any  # sealing's checked draft
    envelope: Envelope
    tokens: tuple[bytes, ...]


Sealer = Callable[[Iterator[Planned]], Iterable[Sealed]]


def seal_planned(desk: _Desk, planned: Planned) -> Sealed:
    """Check and seal one planned bulletin as the posting service does (no database write)."""
    reader = desk.reader(planned.sender, Role.LIAISON)
    checked = sealing.check_draft(db.session(), reader, planned.draft(), planned.at)
    envelope = desk.seal(
        reader.org_code,
        checked.content,
        checked.category.value,
        checked.marking.value,
        [org.code for org in checked.recipients],
        planned.at,
        checked.expires_at,
    )
    tokens = sealing.index_tokens(checked.content, reader.country)
    return Sealed(planned, reader, checked, envelope, tuple(tokens))


def _store_batch(desk: _Desk, sealed: list[Sealed], report: SeedReport) -> list[str]:
    """Store a batch of sealed bulletins in one transaction."""
    posted = []
    with db.write() as session, session.no_autoflush:
        # Without autoflush each batch's rows are inserted together, table by table.
        trail = _AuditBatch(session)
        rows = [
            sealing.bulletin_row(
                one.reader, one.checked, one.envelope, one.checked.content, one.planned.at, 1, None
            )
            for one in sealed
        ]
        session.add_all(rows)
        session.flush()  # the bulletins first: keys, recipients and tokens are bulk inserts
        for one, bulletin in zip(sealed, rows, strict=True):
            planned, reader, checked, envelope = one.planned, one.reader, one.checked, one.envelope
            add_keys(session, bulletin.id, envelope)
            sealing.add_recipients(session, reader, bulletin, checked.recipients, planned.at)
            for token in one.tokens:
                session.add(BulletinToken(token=token, bulletin_id=bulletin.id))
            trail.record(
                "bulletin.posted",
                reader,
                reader.org_id,
                {
                    "bulletin": bulletin.id,
                    "version": 1,
                    "supersedes": None,
                    "category": checked.category.value,
                    "marking": checked.marking.value,
                    "recipients": [org.code for org in checked.recipients],
                    "entities": len(checked.content.entities),
                    "attachments": 0,
                },
            )
            _record_activity(session, trail, desk, planned, bulletin, report)
            posted.append(bulletin.id)
            report.bulletins += 1
            report.entities += len(checked.content.entities)
        trail.close()
    return posted


def _record_activity(
    session: Session,
    trail: _AuditBatch,
    desk: _Desk,
    planned: Planned,
    bulletin: Bulletin,
    report: SeedReport,
) -> None:
    """Read receipts and acknowledgements, with the audit records the services would write."""
    seen: set[int] = set()
    for code, role, delay in planned.reads:
        reader = desk.reader(code, role)
        if reader.user_id in seen:
            continue
        seen.add(reader.user_id)
        session.add(
            ReadReceipt(
                bulletin_id=bulletin.id,
                user_id=reader.user_id,
                org_id=reader.org_id,
                read_at=planned.at + delay,
            )
        )
        trail.record(
            "bulletin.read",
            reader,
            bulletin.sender_org_id,
            {"bulletin": bulletin.id, "result": "success"},
        )
        report.read_receipts += 1
    for code, delay in planned.acknowledgements:
        reader = desk.reader(code, Role.LIAISON)
        session.add(
            Acknowledgement(
                bulletin_id=bulletin.id,
                org_id=reader.org_id,
                user_id=reader.user_id,
                at=planned.at + delay,
            )
        )
        trail.record(
            "bulletin.acknowledged",
            reader,
            bulletin.sender_org_id,
            {"bulletin": bulletin.id, "org": code},
        )
        report.acknowledgements += 1
