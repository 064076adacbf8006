"""A user's own recent security events, so they notice a sign-in that was not theirs."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import NamedTuple

from sqlalchemy import bindparam, literal, select

from portal.extensions import db
from portal.models import AuditRecord
from portal.services.audit_trail import event_label

SIGN_IN_EVENTS = (
    "login.success",
    "login.failed",
    "login.mfa_failed",
    "login.locked",
    "login.lockout",
)


class SignInEvent(NamedTuple):
    at: datetime
    event: str
    outcome: str
    ip: str | None

    @property
    def label(self) -> str:
        """The event in words, as the audit trail names it."""
        return event_label(self.event)


_audit = AuditRecord.__table__
# Only the columns the dashboard shows. The event names are bound one by one rather than as an
# expanding IN list, so the compiled statement is cached whole and reused as is.
_RECENT_SIGN_INS = (
    select(_audit.c.at, _audit.c.event, _audit.c.outcome, _audit.c.ip)
    .where(
        _audit.c.subject_user_id == bindparam("user_id"),
        _audit.c.event.in_([literal(event) for event in SIGN_IN_EVENTS]),
    )
    .order_by(_audit.c.seq.desc())
    .limit(bindparam("limit"))
)


def recent_sign_ins(user_id: int, limit: int = 8) -> Sequence[SignInEvent]:
    """The user's latest sign-in events (successes, failures, lockouts), newest first."""
    rows = db.session().connection().execute(_RECENT_SIGN_INS, {"user_id": user_id, "limit": limit})
    return [SignInEvent(*row) for row in rows]
