"""Saved investigations (a named set of graph nodes with notes) and "same person" decisions,
both kept per organisation.

An investigation's name, notes and nodes (the graph's node ids: canonical identifier keys such
as ``account:telegram:...``, or a person's mention ids) are sealed together under a key derived
from the master key, bound to the organisation; the name is also kept as a keyed blind-index
token, so that names stay unique per organisation without being stored in clear.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, LargeBinary, String, UniqueConstraint, text
from sqlalchemy.orm import Mapped, mapped_column

from portal.models.base import Base, UTCDateTime, utcnow


class Investigation(Base):
    __tablename__ = "investigations"
    __table_args__ = (UniqueConstraint("org_id", "name_token"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    org_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"))
    name_token: Mapped[bytes] = mapped_column(LargeBinary(32))
    # {"name", "notes", "nodes"} as JSON, sealed (portal.services.analysis.investigations).
    sealed: Mapped[bytes] = mapped_column(LargeBinary)
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
    # The analyst's note, sealed (portal.services.sealed_text); None when there is none.
    note_sealed: Mapped[bytes | None] = mapped_column(LargeBinary)
    decided_by: Mapped[int] = mapped_column(ForeignKey("users.id"))
    decided_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    revoked_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
