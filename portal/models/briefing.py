"""Briefing copies: one row per PDF the portal made, so that a leaked copy can be traced.

The row holds who asked, when, which bulletins went in, the marking and the digests the copy
was signed with, never the briefing's title or text: those are as secret as the bulletins.
"""

from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import JSON, ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from portal.models.base import Base, UTCDateTime, utcnow


class BriefingState(enum.StrEnum):
    QUEUED = "queued"  # waiting for a worker (only when a job queue is configured)
    RENDERING = "rendering"
    READY = "ready"  # rendered; the encrypted PDF waits for its download
    DELIVERED = "delivered"
    FAILED = "failed"


class BriefingCopy(Base):
    """One rendered (or queued) briefing, named by the short copy id printed on every page."""

    __tablename__ = "briefing_copies"
    __table_args__ = (Index("ix_briefing_copies_user", "user_id", "created_at"),)

    id: Mapped[str] = mapped_column(String(16), primary_key=True)
    org_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"))
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    state: Mapped[str] = mapped_column(String(16), default=BriefingState.RENDERING.value)
    marking: Mapped[str] = mapped_column(String(16))
    # The language the briefing is written in: the requester's when they asked for it.
    language: Mapped[str] = mapped_column(String(8), default="en", server_default="en")
    bulletin_ids: Mapped[list[str]] = mapped_column(JSON)
    page_count: Mapped[int | None]
    size: Mapped[int | None]
    content_sha256: Mapped[str | None] = mapped_column(String(64))
    pdf_sha256: Mapped[str | None] = mapped_column(String(64))
    error: Mapped[str | None] = mapped_column(String(300))
