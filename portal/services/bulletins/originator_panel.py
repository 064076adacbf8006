"""What the read page offers the originator's liaison officers: release and retract, with the
organisations a bulletin may still go to and the versions a retraction would shred.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from portal.extensions import db
from portal.models import (
    AccessRequest,
    AccessRequestState,
    Bulletin,
    BulletinRecipient,
    BulletinState,
    Organisation,
    OrgKind,
    Role,
)
from portal.services.bulletins.access import is_originator
from portal.services.bulletins.content import Marking
from portal.services.bulletins.lifecycle import originator_bulletin
from portal.services.bulletins.reading import Unopened, open_bulletin
from portal.services.errors import NotFound
from portal.services.principals import Reader

RELEASABLE_KINDS = (OrgKind.MEMBER, OrgKind.OBSERVER)


@dataclass(frozen=True)
class ReleaseChoice:
    code: str
    name: str


@dataclass(frozen=True)
class OriginatorPanel:
    """What the originator's liaison officer may do with one bulletin, for the read page."""

    bulletin_id: str
    title: str | None
    marking: str
    state: str
    choices: tuple[ReleaseChoice, ...]  # organisations it may still be released to
    versions: tuple[int, ...]  # versions a retraction would shred
    pending_requests: int
    passing_on: str | None = None  # H2 or H3: what releasing it must respect (with the title)

    @property
    def red(self) -> bool:
        return self.marking == Marking.RED.value

    @property
    def releasable(self) -> bool:
        return self.state == BulletinState.ACTIVE.value

    @property
    def retractable(self) -> bool:
        return BulletinState(self.state).readable


def release_choices(session: Session, bulletin: Bulletin) -> tuple[ReleaseChoice, ...]:
    """Ministries and observers that do not hold the bulletin yet (never a platform partner)."""
    holders = select(BulletinRecipient.org_id).where(BulletinRecipient.bulletin_id == bulletin.id)
    rows = session.scalars(
        select(Organisation)
        .where(Organisation.kind.in_(RELEASABLE_KINDS), Organisation.id.not_in(holders))
        .order_by(Organisation.code)
    )
    return tuple(ReleaseChoice(org.code, org.name) for org in rows)


def originator_panel(
    reader: Reader, bulletin: Bulletin, *, with_title: bool = False
) -> OriginatorPanel | None:
    """The originator's actions on ``bulletin``; None for anyone else (nothing to offer).

    ``with_title`` decrypts the title for a page of its own; the read page has it already.
    """
    if not (reader.sees_bulletins and reader.has_role(Role.LIAISON)):
        return None
    if not is_originator(reader, bulletin):
        return None
    session = db.session()
    versions = session.scalars(
        select(Bulletin.version)
        .where(
            Bulletin.series_id == bulletin.series_id,
            Bulletin.state.in_([s.value for s in BulletinState if s.readable]),
        )
        .order_by(Bulletin.version)
    )
    pending = session.scalar(
        select(func.count())
        .select_from(AccessRequest)
        .where(
            AccessRequest.bulletin_id == bulletin.id,
            AccessRequest.state == AccessRequestState.PENDING.value,
        )
    )
    title = passing_on = None
    if with_title:
        opened = open_bulletin(session, reader.org_code, bulletin)
        if not isinstance(opened, Unopened):
            title = opened.content.title
            grading = opened.content.grading
            passing_on = grading.passing_on if grading else None
    return OriginatorPanel(
        bulletin_id=bulletin.id,
        title=title,
        marking=bulletin.marking,
        state=bulletin.state,
        choices=release_choices(session, bulletin),
        versions=tuple(versions),
        pending_requests=pending or 0,
        passing_on=passing_on,
    )


def panel_for(reader: Reader, bulletin_id: str) -> OriginatorPanel:
    """The release and retract pages: NotFound/Forbidden as :func:`originator_bulletin`."""
    bulletin = originator_bulletin(reader, bulletin_id)
    panel = originator_panel(reader, bulletin, with_title=True)
    if panel is None:  # cannot happen: originator_bulletin checked the same conditions
        raise NotFound()
    return panel
