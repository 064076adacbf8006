"""Watched identifiers in a bulletin that an organisation has just become able to read.

Called inside the transaction that makes a bulletin readable by organisations (posting,
amending, releasing), so that its notifications commit with it or not at all. For each of those
organisations with a watch, the bulletin is opened **with that organisation's own key ring**
(:func:`reading.open_bulletin`): the keys matched are those of the content it opened, never
of another organisation's copy, and a bulletin it does not open notifies nobody there. The
keys' blind-index tokens are compared with the watches' tokens; nothing is decrypted from the
watches. A watcher is told once per bulletin version, and never of their own post.

The e-mail, when the organisation has a mail relay, is queued as a row of the outbox
(``watch_mails``) in the same transaction and sent after commit by ``watchlists.mail``.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from portal.models import (
    Bulletin,
    MailState,
    Organisation,
    User,
    Watch,
    WatchMail,
    WatchNotification,
)

# A module reference: reading imports lifecycle (which calls here) as it loads.
from portal.services.bulletins import reading
from portal.services.bulletins.entities import content_keys
from portal.services.organisations import keys as org_keys

POSTED = "posted"
AMENDED = "amended"
RELEASED = "released"


def notify_watchers(
    session: Session, bulletin: Bulletin, org_ids: Iterable[int], event: str, now: datetime
) -> int:
    """Notify the watchers in ``org_ids`` whose watches ``bulletin`` names. Returns how many
    notifications were made. Inside the caller's transaction; the bulletin's rows (envelope,
    wrapped keys) must already be in the session."""
    wanted = sorted(set(org_ids))
    if not wanted:
        return 0
    watches: dict[int, list[Watch]] = defaultdict(list)
    for watch in session.scalars(
        select(Watch)
        .join(User, User.id == Watch.user_id)
        .where(
            Watch.org_id.in_(wanted),
            User.organisation_id == Watch.org_id,  # a watch stays with the organisation
            User.active.is_(True),
        )
        .order_by(Watch.id)
    ):
        watches[watch.org_id].append(watch)
    if not watches:
        return 0
    session.flush()
    sender = session.get_one(Organisation, bulletin.sender_org_id)
    index = org_keys.blind_index()
    made = 0
    for org_id, org_watches in watches.items():
        org = session.get_one(Organisation, org_id)
        opened = reading.open_bulletin(session, org.code, bulletin, now=now)
        if isinstance(opened, reading.Unopened):
            continue
        tokens = {index.token(key) for key in content_keys(opened.content, sender.country)}
        told: set[int] = set()
        for watch in org_watches:
            if watch.token not in tokens or watch.user_id in told:
                continue
            if watch.user_id == bulletin.author_id:
                continue
            told.add(watch.user_id)
            made += _notify(session, org, watch, bulletin, event, now)
    return made


def _notify(
    session: Session,
    org: Organisation,
    watch: Watch,
    bulletin: Bulletin,
    event: str,
    now: datetime,
) -> int:
    exists = session.scalar(
        select(WatchNotification.id).where(
            WatchNotification.user_id == watch.user_id,
            WatchNotification.bulletin_id == bulletin.id,
        )
    )
    if exists is not None:
        return 0
    notification = WatchNotification(
        user_id=watch.user_id,
        watch_id=watch.id,
        bulletin_id=bulletin.id,
        event=event,
        created_at=now,
    )
    session.add(notification)
    session.flush()
    if org.smtp_host:
        session.add(
            WatchMail(
                notification_id=notification.id,
                state=MailState.PENDING.value,
                attempts=0,
                created_at=now,
                next_attempt_at=now,
            )
        )
    return 1
