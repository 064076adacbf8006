"""A person's watchlist notifications: which bulletin named something they watch, and when.

A notification shows no more than the bulletin itself shows its reader: its title is opened
now with the organisation's key ring, and only while the organisation can still read it (a
bulletin retracted, expired, or no longer addressed to the organisation shows as gone, with
nothing of its content). The watched items are named in the watcher's own words: a bulletin
makes one notification per person, and the page lists every item of theirs it names (matched
again, by blind-index token, in the content their organisation opened now), the one that
triggered it first.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select, update

from portal.extensions import db
from portal.models import Bulletin, BulletinRecipient, Watch, WatchNotification, utcnow
from portal.services.bulletins.entities import content_keys
from portal.services.bulletins.reading import Unopened, open_bulletin
from portal.services.errors import NotFound
from portal.services.organisations import keys as org_keys
from portal.services.principals import Reader
from portal.services.watchlists import watching

LISTED = 200


@dataclass(frozen=True)
class Notice:
    id: int
    bulletin_id: str | None  # None: the organisation can no longer read it
    title: str | None
    sender_code: str | None
    marking: str | None
    event: str
    watched: str | None  # the watched item that triggered it, in words (None once unwatched)
    created_at: datetime
    seen: bool
    also: tuple[str, ...] = ()  # every other watched item the bulletin names, in words

    @property
    def watched_all(self) -> tuple[str, ...]:
        """Every watched item the bulletin names, the triggering one first."""
        return ((self.watched,) if self.watched else ()) + self.also


def unseen_count(reader: Reader) -> int:
    if not reader.sees_bulletins:
        return 0
    return (
        db.session.scalar(
            select(func.count()).where(
                WatchNotification.user_id == reader.user_id, WatchNotification.seen_at.is_(None)
            )
        )
        or 0
    )


def notices(reader: Reader, *, now: datetime | None = None) -> list[Notice]:
    """The newest notifications of ``reader``, each as much as their organisation may read."""
    if not reader.sees_bulletins:
        raise NotFound()
    now = now or utcnow()
    session = db.session()
    rows = list(
        session.execute(
            select(WatchNotification, Bulletin, BulletinRecipient.org_id)
            .join(Bulletin, Bulletin.id == WatchNotification.bulletin_id)
            .outerjoin(
                BulletinRecipient,
                (BulletinRecipient.bulletin_id == Bulletin.id)
                & (BulletinRecipient.org_id == reader.org_id),
            )
            .where(WatchNotification.user_id == reader.user_id)
            .order_by(WatchNotification.created_at.desc(), WatchNotification.id.desc())
            .limit(LISTED)
        )
    )
    watch_tokens: dict[int, bytes] = {}
    if rows:
        for watch_id, token in session.execute(
            select(Watch.id, Watch.token).where(
                Watch.user_id == reader.user_id, Watch.org_id == reader.org_id
            )
        ):
            watch_tokens[watch_id] = token
    labels = watching.label_by_watch(
        reader,
        sorted({n.watch_id for n, _, _ in rows if n.watch_id is not None} | set(watch_tokens)),
    )
    index = org_keys.blind_index()
    keyring = org_keys.keyring(reader.org_code) if rows else []
    found = []
    for notification, bulletin, recipient in rows:
        title = None
        also: list[str] = []
        readable = recipient is not None
        if readable:
            opened = open_bulletin(session, reader.org_code, bulletin, now=now, keyring=keyring)
            if isinstance(opened, Unopened):
                readable = False
            else:
                title = opened.content.title
                named = {
                    index.token(key)
                    for key in content_keys(opened.content, bulletin.sender.country)
                }
                also = [
                    labels[watch_id]
                    for watch_id, token in watch_tokens.items()
                    if token in named and watch_id != notification.watch_id and watch_id in labels
                ]
        found.append(
            Notice(
                id=notification.id,
                bulletin_id=bulletin.id if readable else None,
                title=title,
                sender_code=bulletin.sender.code if readable else None,
                marking=bulletin.marking if readable else None,
                event=notification.event,
                watched=labels.get(notification.watch_id or 0),
                created_at=notification.created_at,
                seen=notification.seen_at is not None,
                also=tuple(also),
            )
        )
    return found


def mark_seen(reader: Reader, *, now: datetime | None = None) -> int:
    """Mark every notification of ``reader`` seen; how many were not."""
    if not reader.sees_bulletins:
        raise NotFound()
    with db.write() as session:
        result = session.execute(
            update(WatchNotification)
            .where(WatchNotification.user_id == reader.user_id, WatchNotification.seen_at.is_(None))
            .values(seen_at=now or utcnow())
        )
        return int(getattr(result, "rowcount", 0) or 0)
