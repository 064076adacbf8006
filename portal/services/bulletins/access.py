"""Who may see which bulletin: the one rule every bulletin route goes through.

A user sees a bulletin only if their organisation has a recipient row for it (the sender has
one too). Anything else, including a malformed id, is :class:`NotFound`: the portal never tells
"exists but not yours" from "does not exist". Platform partners see no bulletin at all.
"""

from __future__ import annotations

import re

from sqlalchemy import Select, false, select
from sqlalchemy.orm import Session

from portal.extensions import db
from portal.models import Bulletin, BulletinRecipient
from portal.services.errors import NotFound
from portal.services.principals import Reader

BULLETIN_ID = re.compile(r"^[0-9a-f]{32}$")


def readable_ids(reader: Reader) -> Select[str]:
    """The ids of every bulletin ``reader``'s organisation may read (none for a platform)."""
    query = select(BulletinRecipient.bulletin_id).where(BulletinRecipient.org_id == reader.org_id)
    if not reader.sees_bulletins:
        query = query.where(false())  # an empty set, whatever the rows say
    return query


def visible_bulletin(reader: Reader, bulletin_id: str, session: Session | None = None) -> Bulletin:
    """The bulletin if ``reader`` may see it; :class:`NotFound` in every other case."""
    if not reader.sees_bulletins or not BULLETIN_ID.fullmatch(bulletin_id or ""):
        raise NotFound()
    session = session or db.session()
    bulletin = session.scalar(
        select(Bulletin)
        .join(BulletinRecipient, BulletinRecipient.bulletin_id == Bulletin.id)
        .where(Bulletin.id == bulletin_id, BulletinRecipient.org_id == reader.org_id)
    )
    if bulletin is None:
        raise NotFound()
    return bulletin


def is_originator(reader: Reader, bulletin: Bulletin) -> bool:
    return bulletin.sender_org_id == reader.org_id
