"""A user's own recent security events, so they notice a sign-in that was not theirs."""

from __future__ import annotations

from sqlalchemy import select

from portal.extensions import db
from portal.models import AuditRecord

SIGN_IN_EVENTS = (
    "login.success",
    "login.failed",
    "login.mfa_failed",
    "login.locked",
    "login.lockout",
)


def recent_sign_ins(user_id: int, limit: int = 8) -> list[AuditRecord]:
    return list(
        db.session().scalars(
            select(AuditRecord)
            .where(AuditRecord.subject_user_id == user_id, AuditRecord.event.in_(SIGN_IN_EVENTS))
            .order_by(AuditRecord.seq.desc())
            .limit(limit)
        )
    )
