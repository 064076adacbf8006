"""Server-side login sessions and failed-login records.

A session lives here, not only in the cookie, so that logout, disabling a user or a timeout
really ends it: a copied cookie whose record has ended no longer authenticates anyone.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, LargeBinary, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from portal.models.base import Base, UTCDateTime, utcnow
from portal.models.user import User


class LoginSession(Base):
    __tablename__ = "login_sessions"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    # SHA-256 of the random token held in the signed cookie; the token itself is never stored.
    token_hash: Mapped[bytes] = mapped_column(LargeBinary(32), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    last_seen_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    ended_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    end_reason: Mapped[str | None] = mapped_column(String(32))
    ip: Mapped[str | None] = mapped_column(String(45))
    user_agent: Mapped[str | None] = mapped_column(String(300))

    user: Mapped[User] = relationship(lazy="joined")


class LoginFailure(Base):
    """One failed password or second-factor attempt, counted by the sign-in throttle.

    Counted per e-mail address as typed (normalised), existing or not, so that an unknown
    address is throttled exactly as an account is: ``subject`` is the address's keyed
    blind-index token, never the address. ``user_id`` is set when an active account matched.
    """

    __tablename__ = "login_failures"
    __table_args__ = (
        Index("ix_login_failures_subject_at", "subject", "at"),
        Index("ix_login_failures_subject_ip_at", "subject", "ip", "at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    subject: Mapped[bytes] = mapped_column(LargeBinary(32))
    ip: Mapped[str | None] = mapped_column(String(45))
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
