"""Who sees which referral: the referring organisation its own, the platform what is
addressed to it, no one anything else. Every other id, a malformed one included, is
:class:`NotFound`, so the portal never tells "not yours" from "does not exist"."""

from __future__ import annotations

import re

from flask_babel import gettext
from sqlalchemy import select
from sqlalchemy.orm import Session

from portal.models import OrgKind, Referral, ReferralItem, Role
from portal.services.errors import Forbidden, NotFound
from portal.services.principals import Reader

ID = re.compile(r"^[0-9a-f]{32}$")


def _item(session: Session, item_id: str, *, lock: bool) -> ReferralItem | None:
    if not ID.fullmatch(item_id or ""):
        return None
    query = select(ReferralItem).where(ReferralItem.id == item_id)
    if lock:
        query = query.with_for_update().execution_options(populate_existing=True)
    return session.scalar(query)


def platform_item(
    session: Session, reader: Reader, item_id: str, *, lock: bool = False
) -> ReferralItem:
    """An item addressed to ``reader``'s platform."""
    if reader.org_kind is not OrgKind.PLATFORM:
        raise NotFound()
    item = _item(session, item_id, lock=lock)
    if item is None or item.platform_org_id != reader.org_id:
        raise NotFound()
    return item


def referrer_item(
    session: Session, reader: Reader, item_id: str, *, lock: bool = False
) -> ReferralItem:
    """An item ``reader``'s organisation referred."""
    item = _item(session, item_id, lock=lock)
    if item is None or item.referrer_org_id != reader.org_id:
        raise NotFound()
    return item


def visible_referral(session: Session, reader: Reader, referral_id: str) -> Referral:
    """A referral ``reader``'s organisation sent, or that was addressed to its platform."""
    if not ID.fullmatch(referral_id or ""):
        raise NotFound()
    referral = session.get(Referral, referral_id)
    if referral is None or reader.org_id not in (
        referral.referrer_org_id,
        referral.platform_org_id,
    ):
        raise NotFound()
    return referral


def require_platform_liaison(reader: Reader) -> None:
    if not reader.has_role(Role.PLATFORM_LIAISON):
        raise Forbidden(gettext("Only the platform's liaison officers handle referrals."))


def require_liaison(reader: Reader) -> None:
    if not reader.has_role(Role.LIAISON):
        raise Forbidden(gettext("Only liaison officers act on their organisation's referrals."))


def require_party_role(reader: Reader) -> None:
    """The role that acts on referrals on the reader's side: a platform's liaison officers,
    or a ministry's or observer's."""
    if reader.org_kind is OrgKind.PLATFORM:
        require_platform_liaison(reader)
    else:
        require_liaison(reader)
