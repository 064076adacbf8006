"""What readers do with a bulletin: read receipts, acknowledgements and access requests."""

from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import ForeignKey, Index, LargeBinary, String
from sqlalchemy.orm import Mapped, mapped_column

from portal.models.base import Base, UTCDateTime, utcnow


class ReadReceipt(Base):
    """The first time a user opened a bulletin: the unread marker and the sender's receipt."""

    __tablename__ = "read_receipts"
    # A user's receipts, for the inbox's unread marker and counts.
    __table_args__ = (Index("ix_read_receipts_user", "user_id", "bulletin_id"),)

    bulletin_id: Mapped[str] = mapped_column(
        ForeignKey("bulletins.id", ondelete="CASCADE"), primary_key=True
    )
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), primary_key=True)
    org_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"))
    read_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class Acknowledgement(Base):
    """ "Received and actioned by FR-MININT": one per recipient organisation."""

    __tablename__ = "acknowledgements"

    bulletin_id: Mapped[str] = mapped_column(
        ForeignKey("bulletins.id", ondelete="CASCADE"), primary_key=True
    )
    org_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"), primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class AccessRequestState(enum.StrEnum):
    PENDING = "pending"
    APPROVED = "approved"
    DECLINED = "declined"


class AccessRequest(Base):
    """An organisation asks the originator for a bulletin it learnt of by a hit, not its content."""

    __tablename__ = "access_requests"
    __table_args__ = (Index("ix_access_requests_bulletin_org", "bulletin_id", "requester_org_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    bulletin_id: Mapped[str] = mapped_column(ForeignKey("bulletins.id", ondelete="CASCADE"))
    requester_org_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"))
    requester_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    # The asker's reason, sealed (portal.services.sealed_text): both organisations read it.
    reason_sealed: Mapped[bytes | None] = mapped_column(LargeBinary)
    state: Mapped[str] = mapped_column(String(16), default=AccessRequestState.PENDING.value)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    decided_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
