"""The tamper-evident audit log: an append-only hash chain of security events.

``AuditHead`` is a single row holding the chain's last position and hash. Appending first
updates that row, which takes a row lock on PostgreSQL and the write lock on SQLite, so
concurrent appends are serialised and never fork the chain.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, Index, Integer, LargeBinary, String
from sqlalchemy.orm import Mapped, mapped_column

from portal.models.base import Base, UTCDateTime


class AuditRecord(Base):
    __tablename__ = "audit_records"
    __table_args__ = (
        Index("ix_audit_records_actor_org_at", "actor_org_id", "at"),
        Index("ix_audit_records_subject_org_at", "subject_org_id", "at"),
        # A user's own recent sign-ins (the dashboard): that user's records, newest first.
        Index("ix_audit_records_subject_user_seq", "subject_user_id", "seq"),
    )

    seq: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    at: Mapped[datetime] = mapped_column(UTCDateTime())
    event: Mapped[str] = mapped_column(String(64), index=True)
    outcome: Mapped[str] = mapped_column(String(16))
    actor_user_id: Mapped[int | None] = mapped_column(Integer)
    actor_email: Mapped[str | None] = mapped_column(String(254))
    actor_org_id: Mapped[int | None] = mapped_column(Integer)
    subject_user_id: Mapped[int | None] = mapped_column(Integer)
    subject_org_id: Mapped[int | None] = mapped_column(Integer)
    ip: Mapped[str | None] = mapped_column(String(45))
    details: Mapped[dict[str, object]] = mapped_column(JSON, default=dict)
    prev_hash: Mapped[bytes] = mapped_column(LargeBinary(32))
    hash: Mapped[bytes] = mapped_column(LargeBinary(32))

    def chain_fields(self) -> dict[str, object]:
        """Exactly the fields the hash covers, in their canonical JSON form."""
        return {
            "at": self.at.isoformat(timespec="microseconds"),
            "event": self.event,
            "outcome": self.outcome,
            "actor_user_id": self.actor_user_id,
            "actor_email": self.actor_email,
            "actor_org_id": self.actor_org_id,
            "subject_user_id": self.subject_user_id,
            "subject_org_id": self.subject_org_id,
            "ip": self.ip,
            "details": self.details,
        }


class AuditHead(Base):
    __tablename__ = "audit_head"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    seq: Mapped[int] = mapped_column(Integer)
    hash: Mapped[bytes] = mapped_column(LargeBinary(32))
