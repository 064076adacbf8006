"""The ledger: every state change of an item, appended with its UTC time, and the same change
recorded in the audit chain in the same transaction (``referral.<event>``).

Nothing in the services updates or deletes a ledger row; a change of mind (a reopened
decision, a reinstated item) is a new entry, so the ledger is the item's whole history. On
PostgreSQL a trigger refuses UPDATE and DELETE on the table. Each audit record names its entry
(``ledger_id``) and the SHA-256 of the entry's details, free text included, so :func:`check`
finds an entry edited or deleted behind the services' back.
"""

from __future__ import annotations

import enum
import hashlib
from collections.abc import Mapping
from datetime import UTC, datetime

from flask_babel import gettext
from sqlalchemy import select
from sqlalchemy.orm import Session

from crypto.canonical import canonical_json
from portal.extensions import db
from portal.models import AuditRecord, ReferralItem, ReferralLedgerEntry, utcnow
from portal.services import audit
from portal.services.errors import InvalidInput
from portal.services.principals import Actor, Reader

Scalar = str | int | bool | None
# Free text (questions, answers, reasons) stays in the ledger, which only the two parties
# read; the audit chain, read by both organisations' administrators, gets the facts only.
TEXT_KEYS = frozenset({"question", "answer", "reason", "text"})


class Event(enum.StrEnum):
    RECEIVED = "received"
    FIRST_OPENED = "first_opened"
    CLAIMED = "claimed"
    DECIDED = "decided"
    QUESTION_ASKED = "question_asked"
    QUESTION_ANSWERED = "question_answered"
    WITHDRAWN = "withdrawn"
    COMPLAINT = "complaint"  # the referrer disputes the platform's decision
    PROVIDER_COMPLAINT = "provider_complaint"  # the content's uploader contests a takedown
    REINSTATED = "reinstated"
    REOPENED = "reopened"


def moment(now: datetime | None) -> datetime:
    """``now`` in UTC (the current time when None): what is signed and stored is always UTC,
    so a time given in another zone is converted, and one with no zone at all is refused."""
    if now is None:
        return utcnow()
    if now.tzinfo is None or now.utcoffset() is None:
        raise InvalidInput(gettext("Give the time with its time zone (UTC)."), field="now")
    return now.astimezone(UTC)


def append(
    session: Session,
    item: ReferralItem,
    event: Event,
    reader: Reader,
    actor: Actor,
    now: datetime,
    details: Mapping[str, Scalar | list[Scalar]] | None = None,
) -> ReferralLedgerEntry:
    """One ledger entry and its audit record, inside the caller's transaction.

    The audit record's subject is the other party: the platform when the referrer acts, the
    referring organisation when the platform does. Neither names any other referrer.
    """
    facts: dict[str, Scalar | list[Scalar]] = {"item": item.id, "referral": item.referral_id}
    facts.update({k: v for k, v in (details or {}).items() if k not in TEXT_KEYS})
    entry = ReferralLedgerEntry(
        item_id=item.id,
        at=now,
        event=event.value,
        org_id=reader.org_id,
        user_id=reader.user_id,
        details=dict(details or {}),
    )
    session.add(entry)
    session.flush()  # the entry's id, for its audit record
    facts["ledger_id"] = entry.id
    facts["details_sha256"] = details_sha256(entry.details)
    facts["at"] = entry_time(now)
    other = item.platform_org_id if reader.org_id == item.referrer_org_id else item.referrer_org_id
    audit.record(
        session,
        f"referral.{event.value}",
        actor,
        subject_org=other,
        details={**facts, "kind": item.kind},
    )
    return entry


def entry_time(at: datetime) -> str:
    """An entry's time as its audit record holds it: UTC, to the microsecond."""
    return at.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def details_sha256(details: Mapping[str, object]) -> str:
    """The SHA-256 (hex) of an entry's details in canonical JSON."""
    return hashlib.sha256(canonical_json(dict(details))).hexdigest()


def check() -> list[str]:
    """Every ledger entry that no longer matches its audit record (edited, deleted, or never
    audited), as sentences; empty when the ledger is what the audit chain vouches for."""
    session = db.session()
    audited: dict[int, AuditRecord] = {}
    for audit_record in session.scalars(
        select(AuditRecord).where(AuditRecord.event.startswith("referral.", autoescape=True))
    ):
        ledger_id = audit_record.details.get("ledger_id")
        if isinstance(ledger_id, int):
            audited[ledger_id] = audit_record
    problems: list[str] = []
    for entry in session.scalars(select(ReferralLedgerEntry).order_by(ReferralLedgerEntry.id)):
        record = audited.pop(entry.id) if entry.id in audited else None
        if record is None:
            problems.append(f"ledger entry #{entry.id} ({entry.event}) has no audit record")
        elif (
            record.event != f"referral.{entry.event}"
            or record.details.get("item") != entry.item_id
            or record.actor_org_id != entry.org_id
            or record.actor_user_id != entry.user_id
            or record.details.get("at") != entry_time(entry.at)
            or record.details.get("details_sha256") != details_sha256(entry.details)
        ):
            problems.append(
                f"ledger entry #{entry.id} ({entry.event}) differs from audit record #{record.seq}"
            )
    problems.extend(
        f"ledger entry #{ledger_id} ({record.event}), audited as #{record.seq}, is missing"
        for ledger_id, record in sorted(audited.items())
    )
    return problems


def entries(item_id: str) -> list[ReferralLedgerEntry]:
    """An item's ledger, oldest first (callers check visibility first)."""
    query = (
        select(ReferralLedgerEntry)
        .where(ReferralLedgerEntry.item_id == item_id)
        .order_by(ReferralLedgerEntry.id)
    )
    return list(db.session().scalars(query))
