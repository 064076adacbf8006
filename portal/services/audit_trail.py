"""The audit trail as administrators read it: people by name, events in words, details as
text, filters, and the same rows as CSV.

An organisation's administrator reads the records about their organisation (its users' acts,
and acts on it); a system administrator may read every organisation's at once (``org_id``
None). The records themselves, and the chain that protects them, are :mod:`.audit`'s.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Select, or_, select

from portal.extensions import db
from portal.models import AuditRecord, Organisation, Role, User
from portal.services import audit
from portal.services.spreadsheets import csv_text

EXPORT_LIMIT = 50_000  # rows in one CSV export; narrow the filters for more

# Events in words. Any other event reads from its code ("referral.decided": "Referral: decided").
EVENT_LABELS: Mapping[str, str] = {
    "login.success": "Signed in",
    "login.failed": "Sign-in refused: wrong e-mail or password",
    "login.mfa_failed": "Sign-in refused: wrong second-factor code",
    "login.locked": "Sign-in refused: account locked",
    "login.lockout": "Account locked after repeated failures",
    "session.ended": "Session ended",
    "mfa.enrolled": "Enrolled an authenticator",
    "password.changed": "Changed their password",
    "user.created": "User created",
    "user.disabled": "User disabled",
    "user.enabled": "User enabled",
    "user.mfa_reset": "Second factor reset",
    "user.password_reset": "Temporary password set",
    "user.roles_changed": "Roles changed",
    "org.created": "Organisation created",
    "org.competent_authority_set": "Competent authority changed",
    "api_token.created": "API token created",
    "api_token.revoked": "API token revoked",
    "api_token.used": "API token used",
    "bulletin.posted": "Bulletin posted",
    "bulletin.amended": "Bulletin amended",
    "bulletin.read": "Bulletin read",
    "bulletin.acknowledged": "Bulletin acknowledged",
    "bulletin.released": "Bulletin released to another organisation",
    "bulletin.retracted": "Bulletin retracted",
    "bulletin.expired": "Bulletin expired (retention ended)",
    "bulletin.access_requested": "Access to a bulletin requested",
    "bulletin.access_approved": "Access request approved",
    "bulletin.access_declined": "Access request declined",
    "watch.added": "Watch added",
    "watch.removed": "Watch removed",
    "org.mail_relay_set": "Mail relay for notifications changed",
    "attachment.downloaded": "Attachment downloaded",
    "briefing.requested": "Briefing requested",
    "briefing.rendered": "Briefing rendered",
    "briefing.downloaded": "Briefing downloaded",
    "briefing.verified": "Briefing checked",
    "sharing_group.created": "Sharing group created",
    "sharing_group.changed": "Sharing group changed",
    "sharing_group.deleted": "Sharing group deleted",
    "investigation.saved": "Investigation saved",
    "investigation.deleted": "Investigation deleted",
    "person.same": "Persons confirmed as the same",
    "person.different": "Persons confirmed as different",
    "person.decision_revoked": "Person decision revoked",
    "stix.exported": "STIX bundle exported",
    "taxii.objects_read": "TAXII objects read",
    "transparency.report": "Transparency report made",
    "webhook.registered": "Webhook registered",
    "webhook.removed": "Webhook removed",
    "hash_bank.created": "Hash bank created",
    "hash_bank.entries_added": "Hashes added to a bank",
    "hash_bank.entry_removed": "Hash removed from a bank",
    "hash_bank.exported": "Hash bank exported",
    "hash_bank.reader_granted": "Hash bank shared",
    "hash_bank.reader_revoked": "Hash bank sharing ended",
}
_ROLE_LABELS = {role.value: role.label for role in Role}
_ROLE_KEYS = frozenset({"roles", "before", "after"})  # lists of role codes (user.roles_changed)
_DETAIL_LABELS = {"keys_destroyed": "keys destroyed", "to": "to organisation"}


def event_label(event: str) -> str:
    """An event in words: a known one's label, else its code read aloud."""
    if event in EVENT_LABELS:
        return EVENT_LABELS[event]
    kind, _, what = event.partition(".")
    words = kind.replace("_", " ").capitalize()
    return f"{words}: {what.replace('_', ' ')}" if what else words


def _text(key: str, value: object) -> str:
    if value is None:
        return "—"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, list | tuple):
        roles = key in _ROLE_KEYS
        items = [_ROLE_LABELS.get(str(v), str(v)) if roles else _text(key, v) for v in value]
        return ", ".join(items) if items else "none"
    if isinstance(value, dict):
        return "; ".join(f"{_label(k)}: {_text(k, v)}" for k, v in value.items())
    return str(value)


def _label(key: str) -> str:
    return _DETAIL_LABELS.get(key, key.replace("_", " "))


def format_details(details: Mapping[str, object]) -> list[tuple[str, str]]:
    """A record's details as (label, text) pairs: no Python reprs, roles by their names."""
    return [(_label(key), _text(key, value)) for key, value in (details or {}).items()]


@dataclass(frozen=True)
class Person:
    name: str | None
    email: str | None
    org: str | None

    @property
    def text(self) -> str:
        if self.name and self.email:
            who = f"{self.name} <{self.email}>"
        else:
            who = self.name or self.email or ""
        return f"{who} ({self.org})" if who and self.org else who or self.org or ""


@dataclass(frozen=True)
class TrailRow:
    seq: int
    at: datetime
    event: str
    label: str
    outcome: str
    actor: Person | None  # None: the command line
    subject: Person | None
    ip: str | None
    details: list[tuple[str, str]]


@dataclass(frozen=True)
class TrailFilter:
    org_id: int | None  # None: every organisation (a system administrator's view)
    event: str | None = None
    email: str | None = None
    outcome: str | None = None
    since: datetime | None = None
    until: datetime | None = None  # exclusive


def _query(filters: TrailFilter) -> Select[AuditRecord]:
    query = select(AuditRecord)
    if filters.org_id is not None:
        query = query.where(
            or_(
                AuditRecord.actor_org_id == filters.org_id,
                AuditRecord.subject_org_id == filters.org_id,
            )
        )
    if filters.event:
        query = query.where(AuditRecord.event == filters.event)
    if filters.outcome:
        query = query.where(AuditRecord.outcome == filters.outcome)
    if filters.email:
        email = filters.email.strip().lower()
        subject_ids = select(User.id).where(User.email == email)
        query = query.where(
            or_(AuditRecord.actor_email == email, AuditRecord.subject_user_id.in_(subject_ids))
        )
    if filters.since:
        query = query.where(AuditRecord.at >= filters.since)
    if filters.until:
        query = query.where(AuditRecord.at < filters.until)
    return query.order_by(AuditRecord.seq.desc())


def _rows(records: list[AuditRecord]) -> list[TrailRow]:
    session = db.session()
    user_ids = {r.actor_user_id for r in records} | {r.subject_user_id for r in records}
    users = {
        uid: (name, email)
        for uid, name, email in session.execute(
            select(User.id, User.name, User.email).where(User.id.in_(user_ids - {None}))
        )
    }
    org_ids = {r.actor_org_id for r in records} | {r.subject_org_id for r in records}
    orgs: dict[int, str] = {
        org_id: code
        for org_id, code in session.execute(
            select(Organisation.id, Organisation.code).where(Organisation.id.in_(org_ids - {None}))
        )
    }

    def actor(record: AuditRecord) -> Person | None:
        if record.actor_user_id is None and record.actor_email is None:
            return None
        name, email = users.get(record.actor_user_id or 0, (None, record.actor_email))
        return Person(name, email or record.actor_email, orgs.get(record.actor_org_id or 0))

    def subject(record: AuditRecord) -> Person | None:
        if record.subject_user_id is not None:
            name, email = users.get(record.subject_user_id, (None, None))
            if name is None and email is None:
                name = f"user #{record.subject_user_id} (deleted)"
            return Person(name, email, orgs.get(record.subject_org_id or 0))
        if record.subject_org_id is not None:
            return Person(None, None, orgs.get(record.subject_org_id))
        return None

    return [
        TrailRow(
            seq=r.seq,
            at=r.at,
            event=r.event,
            label=event_label(r.event),
            outcome=r.outcome,
            actor=actor(r),
            subject=subject(r),
            ip=r.ip,
            details=format_details(r.details),
        )
        for r in records
    ]


def page(filters: TrailFilter, number: int, size: int) -> tuple[list[TrailRow], bool]:
    """One page of the trail, newest first, and whether an older page follows."""
    query = _query(filters).offset((number - 1) * size).limit(size + 1)
    records = list(db.session().scalars(query))
    return _rows(records[:size]), len(records) > size


CSV_HEADER = (
    "seq",
    "when_utc",
    "event",
    "event_code",
    "outcome",
    "by",
    "by_organisation",
    "subject",
    "subject_organisation",
    "from_ip",
    "details",
)


def _csv_rows(filters: TrailFilter) -> Iterator[list[object]]:
    query = _query(filters).limit(EXPORT_LIMIT)
    batch: list[AuditRecord] = []
    for record in db.session().scalars(query.execution_options(yield_per=1000)):
        batch.append(record)
        if len(batch) == 1000:
            yield from _csv_batch(batch)
            batch = []
    yield from _csv_batch(batch)


def _csv_batch(records: list[AuditRecord]) -> Iterator[list[object]]:
    for row in _rows(records):
        by = row.actor
        yield [
            row.seq,
            row.at.isoformat(timespec="seconds"),
            row.label,
            row.event,
            row.outcome,
            (by.name or by.email or "") if by else "command line",
            by.org if by else "",
            (row.subject.name or row.subject.email or "") if row.subject else "",
            row.subject.org if row.subject else "",
            row.ip or "",
            "; ".join(f"{label}: {text}" for label, text in row.details),
        ]


def csv_export(filters: TrailFilter) -> str:
    """The filtered trail, newest first, as CSV that spreadsheets open safely."""
    return csv_text(CSV_HEADER, _csv_rows(filters))


@dataclass(frozen=True)
class ChainCheck:
    """The chain's verification as an administrator reads it."""

    intact: bool
    count: int
    head_seq: int
    message: str


def check_chain() -> ChainCheck:
    """Verify the whole chain (every organisation's records: it is one chain)."""
    report = audit.verify_chain()
    if report.problem is None:
        message = (
            f"The audit chain is intact: all {report.count:,} records link up to the head "
            f"(#{report.head_seq}); none was edited, removed or reordered."
        )
        return ChainCheck(True, report.count, report.head_seq, message)
    problem = report.problem
    message = (
        f"The audit chain is broken at record #{problem.seq}: {problem.message}. "
        "Tell your security officer; compare with the last signed checkpoint."
    )
    return ChainCheck(False, report.count, report.head_seq, message)
