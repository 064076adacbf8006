"""Bulk intake jobs (referral action days): one :class:`ReferralBulkJob` per upload, with its
progress, and one :class:`ReferralBulkRow` per row of the upload, which is first the row
waiting to be stored (its checked fields) and then the per-row report (accepted with its item
and case, duplicate of a case, or refused and why).
"""

from __future__ import annotations

import enum
from datetime import datetime
from typing import Any

from sqlalchemy import JSON, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from portal.models.base import Base, UTCDateTime, utcnow


class BulkState(enum.StrEnum):
    QUEUED = "queued"  # checked and staged; waiting for the worker (or the page) to run it
    RUNNING = "running"
    DONE = "done"
    FAILED = "failed"  # stopped by an error that is not a row's: the rows done so far stand


class RowStatus(enum.StrEnum):
    PENDING = "pending"
    ACCEPTED = "accepted"
    DUPLICATE = "duplicate"
    REFUSED = "refused"


class ReferralBulkJob(Base):
    """One bulk upload of referrals to one platform, and how far it has got."""

    __tablename__ = "referral_bulk_jobs"
    __table_args__ = (Index("ix_referral_bulk_jobs_org_created", "org_id", "created_at"),)

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    org_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"))
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    platform_org_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"))
    kind: Mapped[str] = mapped_column(String(16))
    legal_basis: Mapped[str | None] = mapped_column(Text)
    label: Mapped[str | None] = mapped_column(String(200))  # the action day's name
    source_format: Mapped[str] = mapped_column(String(8))  # csv or stix
    filename: Mapped[str | None] = mapped_column(String(200))
    state: Mapped[str] = mapped_column(String(16), default=BulkState.QUEUED.value)
    rows_total: Mapped[int] = mapped_column(Integer)
    rows_done: Mapped[int] = mapped_column(Integer, default=0)
    accepted: Mapped[int] = mapped_column(Integer, default=0)
    duplicates: Mapped[int] = mapped_column(Integer, default=0)
    refused: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    started_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    error: Mapped[str | None] = mapped_column(String(300))


class ReferralBulkRow(Base):
    """One row of an upload: its checked fields while it waits, then its outcome."""

    __tablename__ = "referral_bulk_rows"
    __table_args__ = (UniqueConstraint("job_id", "row"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    job_id: Mapped[str] = mapped_column(ForeignKey("referral_bulk_jobs.id"))
    row: Mapped[int] = mapped_column(Integer)  # the CSV line, or the bundle object's index
    url: Mapped[str | None] = mapped_column(String(2048))
    status: Mapped[str] = mapped_column(String(16), default=RowStatus.PENDING.value)
    fields: Mapped[dict[str, Any] | None] = mapped_column(JSON)  # the checked item, while pending
    item_id: Mapped[str | None] = mapped_column(String(32))
    case_id: Mapped[str | None] = mapped_column(String(32))
    column: Mapped[str | None] = mapped_column(String(64))  # the column a refusal names
    message: Mapped[str | None] = mapped_column(String(500))
