"""Sharing groups: named lists of recipient organisations that an organisation's admin keeps.

A group belongs to one organisation and is used only by that organisation's liaison officers
when they address a bulletin; another organisation's group is reported as not found. Members
are ministries or observers that can receive bulletins: never a platform partner, never the
owner itself. Every change is audited.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from flask_babel import gettext
from sqlalchemy import delete, func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from portal.extensions import db
from portal.models import Organisation, OrgKind, Role, SharingGroup, SharingGroupMember
from portal.services import audit
from portal.services.errors import Conflict, Forbidden, InvalidInput, NotFound
from portal.services.principals import Actor, Reader

MAX_NAME = 100
MAX_MEMBERS = 100


@dataclass(frozen=True)
class GroupView:
    """A group as pages show it: its id, name and member organisations (code, name)."""

    id: int
    name: str
    members: tuple[tuple[str, str], ...]

    @property
    def member_codes(self) -> list[str]:
        return [code for code, _ in self.members]


def recipient_organisations(reader: Reader) -> list[Organisation]:
    """Organisations ``reader``'s organisation may address: ministries and observers, not itself."""
    return list(
        db.session().scalars(
            select(Organisation)
            .where(
                Organisation.kind.in_([OrgKind.MEMBER, OrgKind.OBSERVER]),
                Organisation.id != reader.org_id,
            )
            .order_by(Organisation.code)
        )
    )


def groups_of(reader: Reader) -> list[GroupView]:
    """The sharing groups of ``reader``'s organisation, by name, with their members."""
    if not reader.sees_bulletins:
        return []
    session = db.session()
    groups = session.scalars(
        select(SharingGroup)
        .where(SharingGroup.owner_org_id == reader.org_id)
        .order_by(func.lower(SharingGroup.name), SharingGroup.id)
    ).all()
    rows = session.execute(
        select(SharingGroupMember.group_id, Organisation.code, Organisation.name)
        .join(Organisation, Organisation.id == SharingGroupMember.org_id)
        .where(SharingGroupMember.group_id.in_([g.id for g in groups]))
        .order_by(Organisation.code)
    ).all()
    members: dict[int, list[tuple[str, str]]] = {}
    for group_id, code, name in rows:
        members.setdefault(group_id, []).append((code, name))
    return [GroupView(g.id, g.name, tuple(members.get(g.id, ()))) for g in groups]


def _require_admin(reader: Reader) -> None:
    if not reader.has_role(Role.ORG_ADMIN) or not reader.sees_bulletins:
        raise Forbidden(
            gettext("Only an administrator of a ministry or observer manages sharing groups.")
        )


def _clean_name(session: Session, reader: Reader, name: str, group_id: int | None) -> str:
    name = " ".join((name or "").split())
    if not name:
        raise InvalidInput(gettext("Give the group a name."), field="name")
    if len(name) > MAX_NAME:
        raise InvalidInput(gettext("At most %(count)s characters.", count=MAX_NAME), field="name")
    # Names differing only in case would look the same in the compose form.
    same = session.scalar(
        select(SharingGroup.id).where(
            SharingGroup.owner_org_id == reader.org_id,
            func.lower(SharingGroup.name) == name.lower(),
            SharingGroup.id != (group_id or 0),
        )
    )
    if same is not None:
        raise Conflict(
            gettext("Your organisation already has a group named %(name)s.", name=repr(name)),
            field="name",
        )
    return name


def _members(session: Session, reader: Reader, codes: Iterable[str]) -> list[Organisation]:
    wanted = {str(code).strip().upper() for code in codes if str(code).strip()}
    if not wanted:
        raise InvalidInput(gettext("Choose at least one member organisation."), field="members")
    if len(wanted) > MAX_MEMBERS:
        raise InvalidInput(
            gettext("At most %(count)s members.", count=MAX_MEMBERS), field="members"
        )
    if reader.org_code in wanted:
        raise InvalidInput(
            gettext("Your own organisation receives its bulletins anyway: leave it out."),
            field="members",
        )
    orgs = list(session.scalars(select(Organisation).where(Organisation.code.in_(wanted))))
    unknown = sorted(wanted - {org.code for org in orgs})
    if unknown:
        raise InvalidInput(gettext("No organisation %(code)s.", code=unknown[0]), field="members")
    platforms = sorted(org.code for org in orgs if org.kind is OrgKind.PLATFORM)
    if platforms:
        raise InvalidInput(
            gettext(
                "%(code)s is a platform partner: platforms receive referrals, not bulletins.",
                code=platforms[0],
            ),
            field="members",
        )
    return sorted(orgs, key=lambda org: org.code)


def _owned(session: Session, reader: Reader, group_id: int) -> SharingGroup:
    group = session.get(SharingGroup, group_id)
    if group is None or group.owner_org_id != reader.org_id:
        raise NotFound(gettext("No such sharing group."))
    return group


def _set_members(session: Session, group: SharingGroup, members: list[Organisation]) -> None:
    session.execute(delete(SharingGroupMember).where(SharingGroupMember.group_id == group.id))
    for org in members:
        session.add(SharingGroupMember(group_id=group.id, org_id=org.id))


def _name_taken(name: str) -> Conflict:
    # Two admins saving the same name at once: the unique constraint decides.
    return Conflict(f"Your organisation already has a group named {name!r}.", field="name")


def create_group(reader: Reader, actor: Actor, name: str, member_codes: Iterable[str]) -> int:
    """Create a group of ``reader``'s organisation; returns its id."""
    _require_admin(reader)
    try:
        with db.write() as session:
            clean = _clean_name(session, reader, name, None)
            members = _members(session, reader, member_codes)
            group = SharingGroup(owner_org_id=reader.org_id, name=clean)
            session.add(group)
            session.flush()
            _set_members(session, group, members)
            audit.record(
                session,
                "sharing_group.created",
                actor,
                subject_org=reader.org_id,
                details={"group": group.id, "name": clean, "members": [o.code for o in members]},
            )
            return group.id
    except IntegrityError:
        raise _name_taken(name) from None


def change_group(
    reader: Reader, actor: Actor, group_id: int, name: str, member_codes: Iterable[str]
) -> None:
    """Rename a group of ``reader``'s organisation and replace its members."""
    _require_admin(reader)
    try:
        with db.write() as session:
            group = _owned(session, reader, group_id)
            clean = _clean_name(session, reader, name, group.id)
            members = _members(session, reader, member_codes)
            before = group.name
            group.name = clean
            _set_members(session, group, members)
            audit.record(
                session,
                "sharing_group.changed",
                actor,
                subject_org=reader.org_id,
                details={
                    "group": group.id,
                    "name": clean,
                    "previous_name": before,
                    "members": [o.code for o in members],
                },
            )
    except IntegrityError:
        raise _name_taken(name) from None


def delete_group(reader: Reader, actor: Actor, group_id: int) -> str:
    """Delete a group of ``reader``'s organisation; returns its name. Bulletins are unaffected."""
    _require_admin(reader)
    with db.write() as session:
        group = _owned(session, reader, group_id)
        name = group.name
        session.execute(delete(SharingGroupMember).where(SharingGroupMember.group_id == group.id))
        session.delete(group)
        audit.record(
            session,
            "sharing_group.deleted",
            actor,
            subject_org=reader.org_id,
            details={"group": group_id, "name": name},
        )
    return name
