"""Organisations: the ministries, observers and platform partners that take part in Ischia."""

from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import Boolean, Enum, Integer, String, false, true
from sqlalchemy.orm import Mapped, mapped_column

from portal.models.base import Base, UTCDateTime, utcnow


class OrgKind(enum.StrEnum):
    MEMBER = "member"
    OBSERVER = "observer"
    PLATFORM = "platform"


class Organisation(Base):
    __tablename__ = "organisations"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(32), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    country: Mapped[str | None] = mapped_column(String(2))
    kind: Mapped[OrgKind] = mapped_column(
        Enum(OrgKind, name="org_kind", values_callable=lambda e: [m.value for m in e])
    )
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    # A competent authority under Regulation (EU) 2021/784 may issue removal orders; set by an
    # operator (services/referrals/authorities), never by the organisation itself.
    competent_authority: Mapped[bool] = mapped_column(
        Boolean, default=False, server_default=false()
    )

    # The organisation's own mail relay for watchlist e-mails (none: in-portal notices only).
    smtp_host: Mapped[str | None] = mapped_column(String(255))
    smtp_port: Mapped[int | None] = mapped_column(Integer)
    smtp_from: Mapped[str | None] = mapped_column(String(254))
    smtp_starttls: Mapped[bool] = mapped_column(Boolean, default=True, server_default=true())

    def __repr__(self) -> str:
        return f"<Organisation {self.code}>"
