"""Appending to, reading and verifying the tamper-evident audit log."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import cast

from sqlalchemy import Table, func, insert, select, update
from sqlalchemy.orm import Session

from crypto.chain import (
    GENESIS_HASH,
    ChainBreak,
    ChainEntry,
    Checkpoint,
    CheckpointError,
    find_break,
    link,
    verify_checkpoint,
)
from portal import vault
from portal.extensions import db
from portal.models import AuditHead, AuditRecord, Organisation, User, utcnow
from portal.services.errors import InvalidInput, NotFound
from portal.services.principals import Actor

HEAD_ID = 1
Scalar = str | int | bool | None


def record(
    session: Session,
    event: str,
    actor: Actor,
    *,
    outcome: str = "success",
    subject_user: User | None = None,
    subject_org: Organisation | int | None = None,
    details: Mapping[str, Scalar | Sequence[Scalar]] | None = None,
    actor_email: str | None = None,
    subject_user_id: int | None = None,
) -> AuditRecord:
    """Append one event to the chain inside the caller's transaction.

    The head row is updated first: that statement takes the lock (a row lock on PostgreSQL,
    the write lock on SQLite) that serialises concurrent appends. ``subject_user_id`` names the
    subject by id when the caller holds no ``User`` of this session (a deferred record).
    """
    seq, prev_hash = session.execute(
        update(AuditHead)
        .where(AuditHead.id == HEAD_ID)
        .values(seq=AuditHead.seq + 1)
        .returning(AuditHead.seq, AuditHead.hash)
    ).one()
    if isinstance(subject_org, Organisation):
        subject_org_id: int | None = subject_org.id
    elif subject_org is None and subject_user is not None:
        subject_org_id = subject_user.organisation_id
    else:
        subject_org_id = subject_org
    entry = AuditRecord(
        seq=seq,
        at=utcnow(),
        event=event,
        outcome=outcome,
        actor_user_id=actor.user_id,
        actor_email=actor.email or actor_email,
        actor_org_id=actor.org_id,
        subject_user_id=subject_user.id if subject_user is not None else subject_user_id,
        subject_org_id=subject_org_id,
        ip=actor.ip,
        details=dict(details or {}),
        prev_hash=prev_hash,
    )
    entry.hash = link(prev_hash, entry.chain_fields())
    session.add(entry)
    session.execute(update(AuditHead).where(AuditHead.id == HEAD_ID).values(hash=entry.hash))
    return entry


@dataclass(frozen=True)
class Pending:
    """One event for :func:`record_many`: what :func:`record` takes, for a subject organisation."""

    event: str
    subject_org_id: int | None
    details: Mapping[str, Scalar | Sequence[Scalar]]
    outcome: str = "success"


def record_many(session: Session, actor: Actor, events: Sequence[Pending]) -> list[int]:
    """Append ``events`` to the chain, in order, inside the caller's transaction; their seqs.

    The same chain as :func:`record` (each entry links to the one before), but one head update
    and one multi-row INSERT for all of them, so a bulk operation that audits thousands of
    changes does not pay two statements per record.
    """
    if not events:
        return []
    last, prev_hash = session.execute(
        update(AuditHead)
        .where(AuditHead.id == HEAD_ID)
        .values(seq=AuditHead.seq + len(events))
        .returning(AuditHead.seq, AuditHead.hash)
    ).one()
    first = last - len(events) + 1
    at = utcnow()
    stamp = at.isoformat(timespec="microseconds")
    rows: list[dict[str, object]] = []
    for offset, pending in enumerate(events):
        details = dict(pending.details)
        # AuditRecord.chain_fields, written out: no ORM object per record.
        fields = {
            "at": stamp,
            "event": pending.event,
            "outcome": pending.outcome,
            "actor_user_id": actor.user_id,
            "actor_email": actor.email,
            "actor_org_id": actor.org_id,
            "subject_user_id": None,
            "subject_org_id": pending.subject_org_id,
            "ip": actor.ip,
            "details": details,
        }
        entry_hash = link(prev_hash, fields)
        rows.append(
            {
                **fields,
                "seq": first + offset,
                "at": at,
                "prev_hash": prev_hash,
                "hash": entry_hash,
            }
        )
        prev_hash = entry_hash
    session.execute(insert(cast(Table, AuditRecord.__table__)), rows)
    session.execute(update(AuditHead).where(AuditHead.id == HEAD_ID).values(hash=prev_hash))
    return [first + offset for offset in range(len(events))]


def _first_break(session: Session) -> ChainBreak | None:
    """Stream the records in order (a server-side cursor on PostgreSQL) into the chain check."""
    rows = session.execute(
        select(AuditRecord).order_by(AuditRecord.seq).execution_options(yield_per=1000)
    ).scalars()
    try:
        return find_break(
            ChainEntry(row.seq, row.prev_hash, row.hash, row.chain_fields()) for row in rows
        )
    finally:
        rows.close()


@dataclass(frozen=True)
class ChainReport:
    """The outcome of a full verification: how many records, the head, and the first break."""

    count: int
    head_seq: int
    head_hash: bytes
    problem: ChainBreak | None


def verify_chain() -> ChainReport:
    """Check every record, in order, and that the head row agrees with the last record."""
    session = db.session()
    head = session.get(AuditHead, HEAD_ID)
    if head is None:
        return ChainReport(0, 0, GENESIS_HASH, ChainBreak(0, "deleted", "the chain head is gone"))
    count = session.scalar(select(func.count()).select_from(AuditRecord)) or 0
    problem = _first_break(session)
    if problem is None:
        last = session.scalar(select(AuditRecord).order_by(AuditRecord.seq.desc()).limit(1))
        last_seq, last_hash = (last.seq, last.hash) if last else (0, GENESIS_HASH)
        if last_seq < head.seq:
            problem = ChainBreak(last_seq + 1, "deleted", f"entry #{last_seq + 1} was deleted")
        elif (last_seq, last_hash) != (head.seq, head.hash):
            problem = ChainBreak(last_seq, "edited", "the chain head does not match its last entry")
    return ChainReport(count, head.seq, head.hash, problem)


def checkpoint() -> Checkpoint:
    """Sign the current head with the checkpoint keys (derived from the master key)."""
    session = db.session()
    head = session.get(AuditHead, HEAD_ID)
    if head is None:
        raise NotFound("The audit chain has no head.")
    return vault.checkpoint_signer().sign(head.seq, head.hash, utcnow().isoformat())


def check_against_checkpoint(text: str) -> str | None:
    """Return a problem if the log no longer holds what a signed checkpoint vouched for."""
    try:
        point = Checkpoint.from_json(text)
        verify_checkpoint(point, vault.checkpoint_signer().public_keys)
    except CheckpointError as exc:
        raise InvalidInput(str(exc), field="checkpoint") from exc
    entry = db.session().get(AuditRecord, point.seq)
    if entry is None:
        return f"entry #{point.seq}, vouched for by the checkpoint of {point.at}, is gone"
    if entry.hash != point.head:
        return (
            f"entry #{point.seq} differs from the checkpoint of {point.at}: "
            "the log was rewritten from that point or earlier"
        )
    return None


def event_names() -> list[str]:
    return list(db.session().scalars(select(AuditRecord.event).distinct().order_by("event")))
