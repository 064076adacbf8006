"""Watchlists: what an officer watches, the notifications a watched item brings, and the
outbox of e-mails that tell them so.

A watched identifier is never stored in clear: ``token`` is its keyed blind-index token (the
one sealing stores for each bulletin, so a match is a comparison of tokens) and ``sealed`` the
canonical key and the words it was typed as, sealed under a key derived from the derivation
root and bound to the watcher. A notification names a bulletin by id and nothing else; an
e-mail in the outbox names the notification, never what was watched.
"""

from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import ForeignKey, Index, Integer, LargeBinary, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from portal.models.base import Base, UTCDateTime, utcnow


class Watch(Base):
    __tablename__ = "watches"
    __table_args__ = (
        UniqueConstraint("user_id", "token"),
        Index("ix_watches_org_token", "org_id", "token"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    org_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"))
    token: Mapped[bytes] = mapped_column(LargeBinary(32))
    sealed: Mapped[bytes] = mapped_column(LargeBinary)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class WatchNotification(Base):
    """One bulletin that named something a user watches, as soon as their organisation could
    read it (posted, amended, or released to it)."""

    __tablename__ = "watch_notifications"
    __table_args__ = (
        UniqueConstraint("user_id", "bulletin_id"),
        Index("ix_watch_notifications_user_seen", "user_id", "seen_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    watch_id: Mapped[int | None] = mapped_column(ForeignKey("watches.id", ondelete="SET NULL"))
    bulletin_id: Mapped[str] = mapped_column(ForeignKey("bulletins.id", ondelete="CASCADE"))
    event: Mapped[str] = mapped_column(String(16))  # posted, amended, released
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    seen_at: Mapped[datetime | None] = mapped_column(UTCDateTime())


class MailState(enum.StrEnum):
    PENDING = "pending"
    SENT = "sent"
    FAILED = "failed"  # gave up after the last attempt; the error is kept


class WatchMail(Base):
    """An e-mail to send after the transaction that made its notification has committed."""

    __tablename__ = "watch_mails"
    __table_args__ = (Index("ix_watch_mails_state_next", "state", "next_attempt_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    notification_id: Mapped[int] = mapped_column(
        ForeignKey("watch_notifications.id", ondelete="CASCADE")
    )
    state: Mapped[str] = mapped_column(String(16), default=MailState.PENDING.value)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    next_attempt_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    last_error: Mapped[str | None] = mapped_column(Text)
