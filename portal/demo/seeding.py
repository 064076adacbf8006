"""Demo organisations and users: the G7 interior ministries, observers and platform partners.

Seeding is idempotent: what exists is left as it is. Demo users have their second factor
enrolled; in demo mode (never in production) the portal can show their current codes.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select

from portal.extensions import db
from portal.models import Organisation, OrgKind, Role, User
from portal.services.accounts import directory as accounts
from portal.services.accounts import passwords
from portal.services.errors import NotFound
from portal.services.principals import CLI, Reader

DEMO_PASSWORD = "Ischia demo passphrase 2026"  # noqa: S105  (demo data, refused in production)
DEMO_DOMAIN = "demo"

ORGANISATIONS: tuple[tuple[str, str, str | None, OrgKind], ...] = (
    ("US-DHS", "United States Department of Homeland Security", "US", OrgKind.MEMBER),
    ("JP-NPA", "National Police Agency of Japan", "JP", OrgKind.MEMBER),
    ("DE-BMI", "Bundesministerium des Innern", "DE", OrgKind.MEMBER),
    ("FR-MININT", "Ministère de l'Intérieur", "FR", OrgKind.MEMBER),
    ("CA-PS", "Public Safety Canada", "CA", OrgKind.MEMBER),
    ("UK-HO", "Home Office", "GB", OrgKind.MEMBER),
    ("IT-MININT", "Ministero dell'Interno", "IT", OrgKind.MEMBER),
    ("EU-HOME", "European Commission, DG Migration and Home Affairs", None, OrgKind.OBSERVER),
    ("INTERPOL", "International Criminal Police Organization", None, OrgKind.OBSERVER),
    ("META", "Meta Platforms", "US", OrgKind.PLATFORM),
    ("GOOGLE", "Google", "US", OrgKind.PLATFORM),
    ("X-CORP", "X Corp.", "US", OrgKind.PLATFORM),
    ("MICROSOFT", "Microsoft", "US", OrgKind.PLATFORM),
)

ROLES_BY_KIND: dict[OrgKind, tuple[Role, ...]] = {
    OrgKind.MEMBER: (Role.LIAISON, Role.ANALYST, Role.OFFICIAL, Role.ORG_ADMIN),
    OrgKind.OBSERVER: (Role.LIAISON, Role.ANALYST, Role.OFFICIAL, Role.ORG_ADMIN),
    OrgKind.PLATFORM: (Role.PLATFORM_LIAISON, Role.ORG_ADMIN),
}
# The portal's operator: one system administrator, in the ministry that hosts the portal.
SYSADMIN_ORG = "IT-MININT"


@dataclass(frozen=True)
class DemoLogin:
    email: str
    org_code: str
    role: Role


def demo_email(role: Role, org_code: str) -> str:
    return f"{role.value.replace('_', '-')}@{org_code.lower()}.{DEMO_DOMAIN}"


def demo_reader(role: Role, org_code: str) -> Reader:
    """The demo user of ``role`` in ``org_code``, as the services' reader.

    Raises NotFound, naming the user, when the demo users have not been seeded.
    """
    email = demo_email(role, org_code)
    user = db.session().scalar(select(User).where(User.email == email))
    if user is None:
        raise NotFound(f"No demo user {email}: seed the demo users first.")
    return Reader.of(user)


def demo_logins() -> list[DemoLogin]:
    logins = [
        DemoLogin(demo_email(role, code), code, role)
        for code, _name, _country, kind in ORGANISATIONS
        for role in ROLES_BY_KIND[kind]
    ]
    logins.append(DemoLogin(demo_email(Role.SYSADMIN, SYSADMIN_ORG), SYSADMIN_ORG, Role.SYSADMIN))
    return logins


def seed() -> tuple[int, int]:
    """Create what is missing; return how many organisations and users were created."""
    session = db.session()
    existing_orgs = set(session.scalars(select(Organisation.code)))
    new_orgs = 0
    for code, name, country, kind in ORGANISATIONS:
        if code not in existing_orgs:
            accounts.create_organisation(
                CLI, code=code, name=name, kind=kind.value, country=country
            )
            new_orgs += 1
    existing_users = set(session.scalars(select(User.email)))
    missing = [login for login in demo_logins() if login.email not in existing_users]
    # One Argon2id hash for every demo user (about 45 hashes took 11 s). The PHC string carries
    # its salt, so the demo accounts share one salt and equal hashes: acceptable for demo data
    # only, which production refuses (and everyone knows the demo password anyway).
    password_hash = passwords.hash_password(DEMO_PASSWORD) if missing else None
    new_users = 0
    for login in missing:
        label = login.role.label
        accounts.create_user(
            CLI,
            org_code=login.org_code,
            email=login.email,
            name=f"{label}, {login.org_code} (demo)",
            roles=[login.role.value],
            password=DEMO_PASSWORD,
            must_change_password=False,
            enrol_totp=True,
            demo=True,
            password_hash=password_hash,
        )
        new_users += 1
    return new_orgs, new_users
