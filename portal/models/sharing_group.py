"""Saved sharing groups: named lists of recipient organisations that an org_admin defines."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from portal.models.base import Base, UTCDateTime, utcnow


class SharingGroup(Base):
    __tablename__ = "sharing_groups"
    __table_args__ = (UniqueConstraint("owner_org_id", "name"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    owner_org_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"))
    name: Mapped[str] = mapped_column(String(100))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class SharingGroupMember(Base):
    __tablename__ = "sharing_group_members"

    group_id: Mapped[int] = mapped_column(
        ForeignKey("sharing_groups.id", ondelete="CASCADE"), primary_key=True
    )
    org_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"), primary_key=True)
