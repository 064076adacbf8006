"""What replaced a version: the answer to an officer who amends a version that is no longer
current, typically because a colleague amended it a moment before."""

from __future__ import annotations

from flask_babel import gettext
from sqlalchemy import select
from sqlalchemy.orm import Session

from portal.i18n import when
from portal.models import Bulletin, BulletinState, User
from portal.services.errors import Conflict


class Superseded(Conflict):
    """The version was replaced: ``current_id`` is the version to amend instead."""

    def __init__(self, message: str, current_id: str) -> None:
        super().__init__(message)
        self.current_id = current_id


def superseded(session: Session, bulletin: Bulletin) -> Superseded:
    """Name the version that replaced ``bulletin``, who sealed it and when, and the current one.

    Only the originating organisation's officers reach this: they read every version.
    """
    newer = session.scalar(select(Bulletin).where(Bulletin.supersedes_id == bulletin.id))
    current = session.scalar(
        select(Bulletin)
        .where(
            Bulletin.series_id == bulletin.series_id,
            Bulletin.state == BulletinState.ACTIVE.value,
        )
        .order_by(Bulletin.version.desc())
        .limit(1)
    )
    if newer is None:  # a superseded row always has a successor; said plainly all the same
        return Superseded(
            gettext(
                "Version %(version)s is no longer current: your changes were not saved.",
                version=bulletin.version,
            ),
            current_id=current.id if current else bulletin.id,
        )
    author = session.get(User, newer.author_id) if newer.author_id else None
    moment = when(newer.created_at, seconds=True)
    if author is not None:
        message = gettext(
            "Version %(newer)s of this bulletin was sealed by %(name)s (%(email)s) on %(when)s, "
            "replacing version %(version)s: your changes were not saved.",
            newer=newer.version,
            name=author.name,
            email=author.email,
            when=moment,
            version=bulletin.version,
        )
    else:
        message = gettext(
            "Version %(newer)s of this bulletin was sealed on %(when)s, replacing version "
            "%(version)s: your changes were not saved.",
            newer=newer.version,
            when=moment,
            version=bulletin.version,
        )
    if current is None:
        message += " " + gettext(
            "No version of it is current any more (version %(version)s ended).",
            version=newer.version,
        )
    else:
        message += " " + gettext(
            "Amend version %(version)s, the current one, instead.", version=current.version
        )
    return Superseded(message, current_id=(current or newer).id)
