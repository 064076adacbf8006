"""Organisations and users: who may create, change and disable whom.

A ``sysadmin`` creates organisations and their administrators; an ``org_admin`` manages the
users of their own organisation and no others, and can never grant ``sysadmin``. A user in
another organisation is reported as not found, never as forbidden.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

from email_validator import EmailNotValidError, validate_email
from flask_babel import gettext
from sqlalchemy import select
from sqlalchemy.orm import Session

from portal.extensions import db
from portal.models import Organisation, OrgKind, Role, User, UserRole, utcnow
from portal.services import audit
from portal.services.accounts import mfa, passwords
from portal.services.accounts.authentication import end_all_sessions, normalise_email
from portal.services.errors import Conflict, Forbidden, InvalidInput, NotFound
from portal.services.organisations import keys as org_keys
from portal.services.principals import Actor

ORG_CODE = re.compile(r"^[A-Z0-9](?:[A-Z0-9-]{0,30}[A-Z0-9])?$")
COUNTRY = re.compile(r"^[A-Z]{2}$")
PLATFORM_ROLES = frozenset({Role.PLATFORM_LIAISON, Role.ORG_ADMIN})
MINISTRY_ROLES = frozenset(Role) - {Role.PLATFORM_LIAISON}


def _actor_user(session: Session, actor: Actor) -> User | None:
    return None if actor.user_id is None else session.get(User, actor.user_id)


def _require_sysadmin(session: Session, actor: Actor) -> None:
    user = _actor_user(session, actor)
    if actor.user_id is not None and (user is None or not user.has_role(Role.SYSADMIN)):
        raise Forbidden(gettext("Only a system administrator can do this."))


def parse_roles(names: Iterable[str]) -> frozenset[Role]:
    roles = set()
    for name in names:
        try:
            roles.add(Role(name.strip()))
        except ValueError:
            allowed = ", ".join(r.value for r in Role)
            raise InvalidInput(
                gettext(
                    "Unknown role %(role)s; use one of %(allowed)s.",
                    role=repr(name),
                    allowed=allowed,
                ),
                field="roles",
            ) from None
    if not roles:
        raise InvalidInput(gettext("Give the user at least one role."), field="roles")
    return frozenset(roles)


def roles_for(kind: OrgKind) -> frozenset[Role]:
    """The roles a user of an organisation of this kind may hold."""
    return PLATFORM_ROLES if kind is OrgKind.PLATFORM else MINISTRY_ROLES


def _check_roles_fit(org: Organisation, roles: frozenset[Role]) -> None:
    allowed = roles_for(org.kind)
    misfit = sorted(r.value for r in roles - allowed)
    if misfit:
        raise InvalidInput(
            gettext(
                "Role(s) %(roles)s cannot be held in a %(kind)s organisation.",
                roles=", ".join(misfit),
                kind=org.kind.value,
            ),
            field="roles",
        )


def _validated_org_fields(
    code: str, name: str, kind: str, country: str | None
) -> tuple[str, str, OrgKind, str | None]:
    code = code.strip().upper()
    name = name.strip()
    country = (country or "").strip().upper() or None
    if not ORG_CODE.match(code):
        raise InvalidInput(
            gettext("Code must be 2-32 capital letters, digits or hyphens, such as FR-MININT."),
            field="code",
        )
    if not name or len(name) > 200:
        raise InvalidInput(gettext("Name must have 1-200 characters."), field="name")
    if country is not None and not COUNTRY.match(country):
        raise InvalidInput(
            gettext("Country must be a two-letter ISO 3166 code, such as FR."), field="country"
        )
    try:
        org_kind = OrgKind(kind)
    except ValueError:
        raise InvalidInput(
            gettext("Kind must be member, observer or platform."), field="kind"
        ) from None
    return code, name, org_kind, country


def _add_organisation(
    session: Session, actor: Actor, code: str, name: str, kind: OrgKind, country: str | None
) -> Organisation:
    _require_sysadmin(session, actor)
    if session.scalar(select(Organisation).where(Organisation.code == code)):
        raise Conflict(
            gettext("An organisation with code %(code)s already exists.", code=code), field="code"
        )
    org = Organisation(code=code, name=name, kind=kind, country=country)
    session.add(org)
    session.flush()
    if kind is not OrgKind.PLATFORM:
        org_keys.ensure_keys(session, code, now=utcnow())
    audit.record(
        session, "org.created", actor, subject_org=org, details={"code": code, "kind": kind.value}
    )
    return org


def create_organisation(
    actor: Actor, *, code: str, name: str, kind: str, country: str | None = None
) -> Organisation:
    fields = _validated_org_fields(code, name, kind, country)
    with db.write() as session:
        return _add_organisation(session, actor, *fields)


def create_organisation_with_admin(
    actor: Actor,
    *,
    code: str,
    name: str,
    kind: str,
    country: str | None,
    admin_email: str,
    admin_name: str,
    admin_password: str,
) -> Organisation:
    """An organisation and its first org_admin, in one transaction: both or neither."""
    fields = _validated_org_fields(code, name, kind, country)
    admin = _NewUser.checked(admin_email, admin_name, [Role.ORG_ADMIN.value], admin_password)
    with db.write() as session:
        org = _add_organisation(session, actor, *fields)
        _add_user(session, actor, org, admin)
    return org


def organisation_by_code(code: str) -> Organisation:
    org = db.session().scalar(select(Organisation).where(Organisation.code == code.strip().upper()))
    if org is None:
        raise NotFound(
            gettext("No organisation with code %(code)s.", code=code.strip().upper()), field="org"
        )
    return org


def organisation_by_id(org_id: int) -> Organisation:
    org = db.session().get(Organisation, org_id)
    if org is None:
        raise NotFound(gettext("No such organisation."))
    return org


def list_organisations() -> list[Organisation]:
    return list(db.session().scalars(select(Organisation).order_by(Organisation.code)))


def _may_manage(session: Session, actor: Actor, org: Organisation, roles: frozenset[Role]) -> None:
    """Raise unless ``actor`` may give ``roles`` to a user of ``org``."""
    user = _actor_user(session, actor)
    if actor.user_id is None or (user is not None and user.has_role(Role.SYSADMIN)):
        return
    if user is None or not user.has_role(Role.ORG_ADMIN) or user.organisation_id != org.id:
        raise NotFound(gettext("No such organisation."), field="org")
    if Role.SYSADMIN in roles:
        raise Forbidden(
            gettext("Only a system administrator can grant the sysadmin role."), field="roles"
        )


def _clean_email(email: str) -> str:
    try:
        return normalise_email(validate_email(email, check_deliverability=False).normalized)
    except EmailNotValidError as exc:
        raise InvalidInput(
            gettext("E-mail address is not valid: %(reason)s", reason=str(exc)), field="email"
        ) from None


@dataclass(frozen=True)
class _NewUser:
    email: str
    name: str
    roles: frozenset[Role]
    password_hash: str

    @classmethod
    def checked(
        cls,
        email: str,
        name: str,
        roles: Iterable[str],
        password: str,
        password_hash: str | None = None,
    ) -> _NewUser:
        """Validate everything before any transaction starts (hashing takes ~100 ms)."""
        role_set = parse_roles(roles)
        email = _clean_email(email)
        name = name.strip()
        if not name or len(name) > 200:
            raise InvalidInput(gettext("Name must have 1-200 characters."), field="name")
        password = passwords.check_policy(password, email=email)
        return cls(email, name, role_set, password_hash or passwords.hash_password(password))


def _add_user(
    session: Session,
    actor: Actor,
    org: Organisation,
    new: _NewUser,
    *,
    must_change_password: bool = True,
    enrol_totp: bool = False,
    demo: bool = False,
) -> User:
    _may_manage(session, actor, org, new.roles)
    _check_roles_fit(org, new.roles)
    if session.scalar(select(User).where(User.email == new.email)):
        raise Conflict(gettext("A user with this e-mail address already exists."), field="email")
    user = User(
        email=new.email,
        name=new.name,
        organisation_id=org.id,
        password_hash=new.password_hash,
        must_change_password=must_change_password,
        demo=demo,
        role_rows=[UserRole(role=r) for r in sorted(new.roles)],
    )
    session.add(user)
    session.flush()
    if enrol_totp:
        mfa.new_secret(user)
        user.totp_confirmed = True
    audit.record(
        session,
        "user.created",
        actor,
        subject_user=user,
        details={"roles": sorted(r.value for r in new.roles), "email": new.email},
    )
    return user


def create_user(
    actor: Actor,
    *,
    email: str,
    name: str,
    roles: Iterable[str],
    password: str,
    org_code: str | None = None,
    org_id: int | None = None,
    must_change_password: bool = True,
    enrol_totp: bool = False,
    demo: bool = False,
    password_hash: str | None = None,
) -> User:
    """Create a user; with ``enrol_totp`` the second factor is set up now (scripted set-up).

    ``password_hash``, when given, is the caller's own hash of ``password`` (demo seeding hashes
    the shared demo password once); the password is still checked against the policy.
    """
    new = _NewUser.checked(email, name, roles, password, password_hash)
    with db.write() as session:
        if org_id is not None:
            org = session.get(Organisation, org_id)
        else:
            org = session.scalar(
                select(Organisation).where(Organisation.code == (org_code or "").strip().upper())
            )
        if org is None:
            raise NotFound(gettext("No such organisation."), field="org")
        return _add_user(
            session,
            actor,
            org,
            new,
            must_change_password=must_change_password,
            enrol_totp=enrol_totp,
            demo=demo,
        )


def _managed_user(session: Session, actor: Actor, user_id: int) -> User:
    user = session.get(User, user_id)
    if user is None:
        raise NotFound(gettext("No such user."))
    try:
        _may_manage(session, actor, user.organisation, user.roles)
    except NotFound:
        # Another organisation's user reads as no user at all: the same answer as a free id.
        raise NotFound(gettext("No such user.")) from None
    return user


def user_by_email(email: str) -> User:
    user = db.session().scalar(select(User).where(User.email == normalise_email(email)))
    if user is None:
        raise NotFound(
            gettext("No user with e-mail address %(email)s.", email=normalise_email(email)),
            field="email",
        )
    return user


def visible_user(actor: Actor, user_id: int) -> User:
    return _managed_user(db.session(), actor, user_id)


def users_of(actor: Actor, org_id: int) -> list[User]:
    session = db.session()
    org = session.get(Organisation, org_id)
    if org is None:
        raise NotFound(gettext("No such organisation."))
    _may_manage(session, actor, org, frozenset())
    return list(
        session.scalars(select(User).where(User.organisation_id == org_id).order_by(User.email))
    )


def set_roles(actor: Actor, user_id: int, roles: Iterable[str]) -> User:
    role_set = parse_roles(roles)
    with db.write() as session:
        user = _managed_user(session, actor, user_id)
        _may_manage(session, actor, user.organisation, role_set)
        _check_roles_fit(user.organisation, role_set)
        if user.id == actor.user_id and not role_set & {Role.ORG_ADMIN, Role.SYSADMIN}:
            raise InvalidInput(
                gettext("You cannot remove your own administrator role."), field="roles"
            )
        before = sorted(r.value for r in user.roles)
        user.role_rows = [UserRole(role=r) for r in sorted(role_set)]
        audit.record(
            session,
            "user.roles_changed",
            actor,
            subject_user=user,
            details={"before": before, "after": sorted(r.value for r in role_set)},
        )
    return user


def set_active(actor: Actor, user_id: int, active: bool) -> User:
    """Enable or disable a user; disabling ends every session of theirs at once."""
    with db.write() as session:
        user = _managed_user(session, actor, user_id)
        if user.id == actor.user_id and not active:
            raise InvalidInput(gettext("You cannot disable your own account."), field="active")
        user.active = active
        ended = 0 if active else end_all_sessions(session, user, "user_disabled")
        audit.record(
            session,
            "user.enabled" if active else "user.disabled",
            actor,
            subject_user=user,
            details={"sessions_ended": ended},
        )
    return user


def reset_second_factor(actor: Actor, user_id: int) -> User:
    """Make the user enrol a new TOTP seed at next login; their sessions end now."""
    with db.write() as session:
        user = _managed_user(session, actor, user_id)
        user.totp_secret_sealed = None
        user.totp_confirmed = False
        user.totp_last_step = 0
        ended = end_all_sessions(session, user, "mfa_reset")
        audit.record(
            session, "user.mfa_reset", actor, subject_user=user, details={"sessions_ended": ended}
        )
    return user


def reset_password(actor: Actor, user_id: int, new_password: str) -> User:
    """Set a temporary password that the user must change at next login."""
    subject = visible_user(actor, user_id)
    password_hash = passwords.hash_password(
        passwords.check_policy(new_password, email=subject.email)
    )
    with db.write() as session:
        user = _managed_user(session, actor, user_id)
        user.password_hash = password_hash
        user.must_change_password = True
        ended = end_all_sessions(session, user, "password_reset")
        audit.record(
            session,
            "user.password_reset",
            actor,
            subject_user=user,
            details={"sessions_ended": ended},
        )
    return user
