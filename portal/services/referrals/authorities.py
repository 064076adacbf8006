"""Competent authorities under Regulation (EU) 2021/784: the organisations that may issue
removal orders. Only an operator (a sysadmin, or the command line) sets the flag, and only on
a ministry or observer of an EU member state; every change is audited."""

from __future__ import annotations

from sqlalchemy import select

from portal.extensions import db
from portal.models import Organisation, OrgKind, Role, User
from portal.services import audit
from portal.services.errors import Forbidden, InvalidInput, NotFound
from portal.services.principals import Actor

EU_COUNTRIES = frozenset(
    "AT BE BG CY CZ DE DK EE ES FI FR GR HR HU IE IT LT LU LV MT NL PL PT RO SE SI SK".split()
)


def set_competent_authority(actor: Actor, org_code: str, competent: bool) -> Organisation:
    """Mark (or unmark) ``org_code`` as a competent authority that may issue removal orders."""
    code = (org_code or "").strip().upper()
    with db.write() as session:
        if actor.user_id is not None:
            user = session.get(User, actor.user_id)
            if user is None or not user.has_role(Role.SYSADMIN):
                raise Forbidden("Only a system administrator can name competent authorities.")
        org = session.scalar(select(Organisation).where(Organisation.code == code))
        if org is None:
            raise NotFound(f"No organisation with code {code}.", field="org")
        if competent and (org.kind is OrgKind.PLATFORM or org.country not in EU_COUNTRIES):
            raise InvalidInput(
                f"{org.code} is not an authority of an EU member state.", field="org"
            )
        if org.competent_authority == competent:
            return org
        org.competent_authority = competent
        audit.record(
            session,
            "org.competent_authority_set",
            actor,
            subject_org=org,
            details={"org": org.code, "competent_authority": competent},
        )
    return org
