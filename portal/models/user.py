"""People who use Ischia, the roles they hold, and their second factor."""

from __future__ import annotations

import enum
from datetime import datetime

from flask_babel import lazy_gettext
from sqlalchemy import Boolean, Enum, ForeignKey, Integer, LargeBinary, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from portal.models.base import Base, UTCDateTime, utcnow
from portal.models.organisation import Organisation


class Role(enum.StrEnum):
    LIAISON = "liaison"
    ANALYST = "analyst"
    OFFICIAL = "official"
    ORG_ADMIN = "org_admin"
    PLATFORM_LIAISON = "platform_liaison"
    SYSADMIN = "sysadmin"

    @property
    def label(self) -> str:
        """The role in words, in the language of the page (English outside a request)."""
        return str(_ROLE_LABELS[self.value])


_ROLE_LABELS = {
    "liaison": lazy_gettext("Liaison officer"),
    "analyst": lazy_gettext("Analyst"),
    "official": lazy_gettext("Official"),
    "org_admin": lazy_gettext("Organisation administrator"),
    "platform_liaison": lazy_gettext("Platform liaison"),
    "sysadmin": lazy_gettext("System administrator"),
}


class User(Base):
    __tablename__ = "users"

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(String(254), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"), index=True)
    password_hash: Mapped[str] = mapped_column(String(255))
    must_change_password: Mapped[bool] = mapped_column(Boolean, default=False)
    # The TOTP seed is sealed under the master key; the database alone cannot produce codes.
    totp_secret_sealed: Mapped[bytes | None] = mapped_column(LargeBinary)
    totp_confirmed: Mapped[bool] = mapped_column(Boolean, default=False)
    # The last TOTP time step accepted: a code is accepted once only.
    totp_last_step: Mapped[int] = mapped_column(Integer, default=0)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    demo: Mapped[bool] = mapped_column(Boolean, default=False)
    # The language the portal speaks to this person (portal/i18n.py); None: the browser's.
    language: Mapped[str | None] = mapped_column(String(8))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    organisation: Mapped[Organisation] = relationship(lazy="joined")
    role_rows: Mapped[list[UserRole]] = relationship(
        cascade="all, delete-orphan", lazy="selectin", order_by="UserRole.role"
    )

    @property
    def roles(self) -> frozenset[Role]:
        return frozenset(row.role for row in self.role_rows)

    def has_role(self, *roles: Role | str) -> bool:
        """True if the user holds any of ``roles`` (given as Role members or their values)."""
        return not self.roles.isdisjoint(Role(r) for r in roles)

    def __repr__(self) -> str:
        return f"<User {self.email}>"


class UserRole(Base):
    __tablename__ = "user_roles"

    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), primary_key=True)
    role: Mapped[Role] = mapped_column(
        Enum(Role, name="user_role", values_callable=lambda e: [m.value for m in e]),
        primary_key=True,
    )
