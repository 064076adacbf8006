"""Suggestions for the referring officer: the groups their organisation attributed content to
before, so the same group is written the same way each time. Only the organisation's own
referrals are read: one ministry never learns what another attributed."""

from __future__ import annotations

from sqlalchemy import func, select

from portal.extensions import db
from portal.models import ReferralItem
from portal.services.principals import Reader
from portal.services.referrals import access

MAX_SUGGESTIONS = 50


def attributed_groups(reader: Reader, *, limit: int = MAX_SUGGESTIONS) -> list[str]:
    """The groups the reader's organisation named in its referrals, most recently used first
    (each once, as it was last written)."""
    access.require_liaison(reader)
    last_used = func.max(ReferralItem.received_at)
    rows = db.session().execute(
        select(ReferralItem.attributed_group, last_used)
        .where(
            ReferralItem.referrer_org_id == reader.org_id,
            ReferralItem.attributed_group.is_not(None),
        )
        .group_by(ReferralItem.attributed_group)
        .order_by(last_used.desc(), ReferralItem.attributed_group)
        .limit(max(1, min(limit, MAX_SUGGESTIONS)) * 2)
    )
    found: list[str] = []
    folded: set[str] = set()
    for group, _ in rows:
        key = (group or "").casefold()
        if group and key not in folded:
            folded.add(key)
            found.append(group)
    return found[: max(1, min(limit, MAX_SUGGESTIONS))]
