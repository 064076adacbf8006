"""The audit trail as administrators read it: people by name, events in words, details as
text, filters, and the same rows as CSV.

An organisation's administrator reads the records about their organisation (its users' acts,
and acts on it); a system administrator may read every organisation's at once (``org_id``
None). The records themselves, and the chain that protects them, are :mod:`.audit`'s.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from flask_babel import gettext
from flask_babel import lazy_gettext as _l
from sqlalchemy import Select, or_, select

from portal.extensions import db
from portal.i18n import labelled, number, when
from portal.models import AuditRecord, Organisation, Role, User
from portal.services import audit
from portal.services.spreadsheets import csv_text

EXPORT_LIMIT = 50_000  # rows in one CSV export; narrow the filters for more

# Events in words (lazy: in the reader's language). Any other event reads from its code
# ("referral.decided": "Referral: decided").
EVENT_LABELS: Mapping[str, Any] = {
    "login.success": _l("Signed in"),
    "login.failed": _l("Sign-in refused: wrong e-mail or password"),
    "login.mfa_failed": _l("Sign-in refused: wrong second-factor code"),
    "login.locked": _l("Sign-in refused: account locked"),
    "login.lockout": _l("Account locked after repeated failures"),
    "session.ended": _l("Session ended"),
    "mfa.enrolled": _l("Enrolled an authenticator"),
    "password.changed": _l("Changed their password"),
    "user.created": _l("User created"),
    "user.disabled": _l("User disabled"),
    "user.enabled": _l("User enabled"),
    "user.mfa_reset": _l("Second factor reset"),
    "user.password_reset": _l("Temporary password set"),
    "user.roles_changed": _l("Roles changed"),
    "org.created": _l("Organisation created"),
    "org.competent_authority_set": _l("Competent authority changed"),
    "api_token.created": _l("API token created"),
    "api_token.revoked": _l("API token revoked"),
    "api_token.used": _l("API token used"),
    "bulletin.posted": _l("Bulletin posted"),
    "bulletin.amended": _l("Bulletin amended"),
    "bulletin.read": _l("Bulletin read"),
    "bulletin.acknowledged": _l("Bulletin acknowledged"),
    "bulletin.commented": _l("Comment or sighting added to a bulletin"),
    "bulletin.comments_read": _l("Comments on a bulletin read"),
    "bulletin.released": _l("Bulletin released to another organisation"),
    "bulletin.retracted": _l("Bulletin retracted"),
    "bulletin.expired": _l("Bulletin expired (retention ended)"),
    "bulletin.access_requested": _l("Access to a bulletin requested"),
    "bulletin.access_approved": _l("Access request approved"),
    "bulletin.access_declined": _l("Access request declined"),
    "watch.added": _l("Watch added"),
    "watch.removed": _l("Watch removed"),
    "org.mail_relay_set": _l("Mail relay for notifications changed"),
    "attachment.downloaded": _l("Attachment downloaded"),
    "briefing.requested": _l("Briefing requested"),
    "briefing.rendered": _l("Briefing rendered"),
    "briefing.downloaded": _l("Briefing downloaded"),
    "briefing.verified": _l("Briefing checked"),
    "sharing_group.created": _l("Sharing group created"),
    "sharing_group.changed": _l("Sharing group changed"),
    "sharing_group.deleted": _l("Sharing group deleted"),
    "investigation.saved": _l("Investigation saved"),
    "investigation.deleted": _l("Investigation deleted"),
    "person.same": _l("Persons confirmed as the same"),
    "person.different": _l("Persons confirmed as different"),
    "person.decision_revoked": _l("Person decision revoked"),
    "stix.exported": _l("STIX bundle exported"),
    "taxii.objects_read": _l("TAXII objects read"),
    "transparency.report": _l("Transparency report made"),
    "webhook.registered": _l("Webhook registered"),
    "webhook.removed": _l("Webhook removed"),
    "hash_bank.created": _l("Hash bank created"),
    "hash_bank.entries_added": _l("Hashes added to a bank"),
    "hash_bank.entry_removed": _l("Hash removed from a bank"),
    "hash_bank.exported": _l("Hash bank exported"),
    "hash_bank.reader_granted": _l("Hash bank shared"),
    "hash_bank.reader_revoked": _l("Hash bank sharing ended"),
    "referral.received": _l("Referral received by the platform"),
    "referral.first_opened": _l("Referral first opened by the platform"),
    "referral.claimed": _l("Referral taken on by a platform officer"),
    "referral.decided": _l("Referral decided"),
    "referral.question_asked": _l("Question asked about a referral"),
    "referral.question_answered": _l("Question about a referral answered"),
    "referral.withdrawn": _l("Referral withdrawn"),
    "referral.complaint": _l("Referral decision disputed by the referrer"),
    "referral.provider_complaint": _l("Removal contested by the content's provider"),
    "referral.reinstated": _l("Content reinstated"),
    "referral.reopened": _l("Referral reopened"),
    "referral.evidence_attached": _l("Evidence attached to a referral"),
    "referral.evidence_downloaded": _l("Referral evidence downloaded"),
    "referral_bulk.submitted": _l("Bulk referral upload submitted"),
    "referral_bulk.finished": _l("Bulk referral upload finished"),
}
_ROLE_KEYS = frozenset({"roles", "before", "after"})  # lists of role codes (user.roles_changed)
# Detail keys in words (in English, as the code reads them); any other key reads from its code
# ("sessions_ended": "sessions ended").
_DETAIL_LABELS: Mapping[str, Any] = {
    "keys_destroyed": _l("keys destroyed"),
    "to": _l("to organisation"),
    "from": _l("from organisation"),
    "bulletin": _l("bulletin"),
    "bulletins": _l("bulletins"),
    "bank": _l("bank"),
    "result": _l("result"),
    "org": _l("org"),
    "name": _l("name"),
    "token": _l("token"),
    "sessions_ended": _l("sessions ended"),
    "request": _l("request"),
    "reason": _l("reason"),
    "kind": _l("kind"),
    "watch": _l("watch"),
    "url": _l("url"),
    "investigation": _l("investigation"),
    "group": _l("sharing group"),
    "entries": _l("entries"),
    "decision": _l("decision"),
    "copy": _l("copy"),
    "write": _l("write"),
    "relay": _l("relay"),
    "starttls": "STARTTLS",
    "roles": _l("roles"),
    "before": _l("before"),
    "after": _l("after"),
    "members": _l("members"),
    "marking": _l("marking"),
    "email": _l("email"),
    "days": _l("days"),
    "count": _l("count"),
    "code": _l("code"),
    "attachment": _l("attachment"),
    "evidence": _l("evidence"),
    "api_tokens_revoked": _l("api tokens revoked"),
    "purpose": _l("purpose"),
    "pages": _l("pages"),
    "item": _l("item"),
    "referral": _l("referral"),
    "platform": _l("platform"),
    "deadline": _l("deadline"),
    "ledger_id": _l("ledger entry"),
    "details_sha256": _l("fingerprint of the details (SHA-256)"),
    "at": _l("at"),
    "type": _l("type"),
    "outcome": _l("outcome"),
    "countries": _l("countries"),
    "on_time": _l("on time"),
    "job": _l("upload"),
    "rows": _l("rows"),
    "refused": _l("refused"),
    "label": _l("label"),
    "restarted_deadline": _l("restarted deadline"),
    "within_restarted_clock": _l("within the restarted clock"),
    "accepted": _l("accepted"),
    "attachments": _l("attachments"),
    "bulk_job": _l("upload"),
    "category": _l("category"),
    "collection": _l("collection"),
    "comment": _l("comment"),
    "competent_authority": _l("competent authority"),
    "duplicates": _l("duplicates"),
    "endpoint": _l("endpoint"),
    "entities": _l("entities"),
    "entry": _l("entry"),
    "expires_at": _l("expires"),
    "file_sha256": _l("fingerprint of the file (SHA-256)"),
    "first": _l("first record"),
    "key_id": _l("key"),
    "kinds": _l("kinds"),
    "md5": "MD5",
    "nodes": _l("nodes"),
    "pdf_sha256": _l("fingerprint of the PDF (SHA-256)"),
    "previous_name": _l("previous name"),
    "problem": _l("problem"),
    "queued": _l("queued"),
    "readers": _l("readers"),
    "reason_given": _l("reason given"),
    "recipients": _l("recipients"),
    "replaced": _l("replaced"),
    "scope": _l("scope"),
    "second": _l("second record"),
    "selection": _l("selection"),
    "series": _l("series"),
    "sha256": _l("fingerprint (SHA-256)"),
    "size": _l("size"),
    "supersedes": _l("replaces version"),
    "version": _l("version"),
    "versions": _l("versions"),
    "via": _l("via"),
    "year": _l("year"),
}
_MOMENT = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d")


def event_label(event: str) -> str:
    """An event in words, in the reader's language: a known one's label, else its code read
    aloud."""
    if event in EVENT_LABELS:
        return str(EVENT_LABELS[event])
    kind, _, what = event.partition(".")
    words = kind.replace("_", " ").capitalize()
    return f"{words}: {what.replace('_', ' ')}" if what else words


def _text(key: str, value: object) -> str:
    if value is None:
        return "—"
    if isinstance(value, bool):
        return gettext("yes") if value else gettext("no")
    if isinstance(value, list | tuple):
        roles = key in _ROLE_KEYS
        items = [_role_label(str(v)) if roles else _text(key, v) for v in value]
        return ", ".join(items) if items else gettext("none")
    if isinstance(value, dict):
        return "; ".join(f"{_label(k)}: {_text(k, v)}" for k, v in value.items())
    if isinstance(value, str) and _MOMENT.match(value):
        try:  # a moment stored as ISO 8601 text reads as the reader's language writes it
            return when(datetime.fromisoformat(value.replace("Z", "+00:00")), seconds=True)
        except ValueError:
            return value
    return str(value)


def _role_label(code: str) -> str:
    try:
        return Role(code).label
    except ValueError:
        return code


def _label(key: str) -> str:
    if key in _DETAIL_LABELS:
        return str(_DETAIL_LABELS[key])
    return key.replace("_", " ")


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
                name = gettext("user #%(id)s (deleted)", id=record.subject_user_id)
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
            row.outcome,  # the code, as the event's: filters and SIEM rules read it
            (by.name or by.email or "") if by else gettext("command line"),
            by.org if by else "",
            (row.subject.name or row.subject.email or "") if row.subject else "",
            row.subject.org if row.subject else "",
            row.ip or "",
            "; ".join(labelled(label, text) for label, text in row.details),
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
        message = gettext(
            "The audit chain is intact: all %(count)s records link up to the head (#%(head)s); "
            "none was edited, removed or reordered.",
            count=number(report.count),
            head=report.head_seq,
        )
        return ChainCheck(True, report.count, report.head_seq, message)
    problem = report.problem
    what = {
        "deleted": gettext("a record was deleted"),
        "inserted": gettext("a record was inserted"),
        "edited": gettext("a record was edited"),
        "reordered": gettext("records are out of order"),
        "unlinked": gettext("a record no longer links to the one before it"),
    }.get(str(problem.kind), problem.message)
    message = gettext(
        "The audit chain is broken at record #%(seq)s: %(problem)s. Tell your security officer; "
        "compare with the last signed checkpoint.",
        seq=problem.seq,
        problem=what,
    )
    return ChainCheck(False, report.count, report.head_seq, message)
