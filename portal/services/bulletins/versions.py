"""What replaced a version: the answer to an officer who amends a version that is no longer
current, typically because a colleague amended it a moment before."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

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
            f"Version {bulletin.version} is no longer current: your changes were not saved.",
            current_id=current.id if current else bulletin.id,
        )
    author = session.get(User, newer.author_id) if newer.author_id else None
    by = f" by {author.name} ({author.email})" if author else ""
    message = (
        f"Version {newer.version} of this bulletin was sealed{by} on "
        f"{newer.created_at:%Y-%m-%d at %H:%M:%S} UTC, replacing version {bulletin.version}: "
        "your changes were not saved."
    )
    if current is None:
        message += (
            f" No version of it is current any more (version {newer.version} is {newer.state})."
        )
    else:
        message += f" Amend version {current.version}, the current one, instead."
    return Superseded(message, current_id=(current or newer).id)
