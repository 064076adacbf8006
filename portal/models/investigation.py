"""Saved investigations (a named set of graph nodes with notes) and "same person" decisions,
both kept per organisation.

Nodes are stored as the graph's node ids (canonical identifier keys, or a person's mention
id), which only ever come from the organisation's own graph.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, ForeignKey, Index, String, Text, UniqueConstraint, text
from sqlalchemy.orm import Mapped, mapped_column

from portal.models.base import Base, UTCDateTime, utcnow


class Investigation(Base):
    __tablename__ = "investigations"
    __table_args__ = (UniqueConstraint("org_id", "name"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    org_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"))
    name: Mapped[str] = mapped_column(String(120))
    notes: Mapped[str] = mapped_column(Text, default="")
    nodes: Mapped[list[str]] = mapped_column(JSON)
    created_by: Mapped[int] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class PersonDecision(Base):
    """An analyst's answer to "possibly the same person": same, or not, with who and when.

    Revoking keeps the row (who revoked it and when), so every decision stays on record.
    """

    __tablename__ = "person_decisions"
    __table_args__ = (
        # At most one live decision per pair of mentions in an organisation: two analysts
        # deciding at the same moment leave one decision, the other is told which stands.
        Index(
            "uq_person_decisions_live_pair",
            "org_id",
            "first",
            "second",
            unique=True,
            sqlite_where=text("revoked_at IS NULL"),
            postgresql_where=text("revoked_at IS NULL"),
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    org_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"))
    first: Mapped[str] = mapped_column(String(120))  # mention ids, first < second
    second: Mapped[str] = mapped_column(String(120))
    same: Mapped[bool]
    note: Mapped[str] = mapped_column(String(500), default="")
    decided_by: Mapped[int] = mapped_column(ForeignKey("users.id"))
    decided_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    revoked_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
