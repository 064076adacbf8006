"""Who is asking and who acted, as plain values: the two types every service takes.

A :class:`Reader` is the user a query is answered for (their organisation decides what they
see); an :class:`Actor` is who did something, as the audit trail records it (a user, or the
command line). Views build them once per request from the signed-in principal.
"""

from __future__ import annotations

from dataclasses import dataclass

from portal.models import OrgKind, Role, User


@dataclass(frozen=True)
class Reader:
    """The asking user as plain values."""

    user_id: int
    email: str
    org_id: int
    org_code: str
    org_kind: OrgKind
    country: str | None
    roles: frozenset[Role]

    @classmethod
    def of(cls, user: User) -> Reader:
        org = user.organisation
        return cls(user.id, user.email, org.id, org.code, org.kind, org.country, user.roles)

    @property
    def sees_bulletins(self) -> bool:
        return self.org_kind is not OrgKind.PLATFORM

    def has_role(self, role: Role) -> bool:
        return role in self.roles


@dataclass(frozen=True)
class Actor:
    """Who did something, as plain values: a user, or the command line (no user)."""

    user_id: int | None = None
    email: str | None = None
    org_id: int | None = None
    ip: str | None = None

    @classmethod
    def of(cls, user: User | None, ip: str | None = None) -> Actor:
        if user is None:
            return cls(ip=ip)
        return cls(user.id, user.email, user.organisation_id, ip)


CLI = Actor()
