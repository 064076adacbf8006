"""Acknowledgements ("received and actioned by FR-MININT") and read receipts.

A recipient organisation acknowledges a bulletin once; everyone who can read the bulletin sees
the acknowledgements. Read receipts (who opened it, when) are the originator's alone: other
recipients do not learn who in which ministry read what.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from flask_babel import gettext
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from portal.extensions import db
from portal.i18n import when
from portal.models import (
    Acknowledgement,
    Bulletin,
    BulletinState,
    Organisation,
    ReadReceipt,
    User,
    utcnow,
)
from portal.services import audit
from portal.services.bulletins import reading
from portal.services.bulletins.access import is_originator, visible_bulletin
from portal.services.errors import Conflict, InvalidInput
from portal.services.principals import Actor, Reader

__all__ = [
    "Activity",
    "AlreadyAcknowledged",
    "Receipt",
    "acknowledge",
    "activity",
]


class AlreadyAcknowledged(Conflict):
    """The organisation acknowledged this bulletin before; nothing new is recorded."""


@dataclass(frozen=True)
class Receipt:
    """A read receipt or an acknowledgement: which organisation, who, when."""

    org: str
    user: str | None
    at: datetime


@dataclass(frozen=True)
class Activity:
    acknowledgements: list[Receipt]
    receipts: list[Receipt] | None  # None: not the originator, who alone sees who read it
    acknowledged_by_reader: Receipt | None
    may_acknowledge: bool


def _acknowledgement(bulletin_id: str, org_id: int) -> Receipt | None:
    row = (
        db.session()
        .execute(
            select(Organisation.code, User.name, Acknowledgement.at)
            .join(Organisation, Organisation.id == Acknowledgement.org_id)
            .join(User, User.id == Acknowledgement.user_id)
            .where(Acknowledgement.bulletin_id == bulletin_id, Acknowledgement.org_id == org_id)
        )
        .one_or_none()
    )
    return None if row is None else Receipt(*row)


def _refuse_unverified(reader: Reader, bulletin: Bulletin, now: datetime) -> None:
    """Only a bulletin that opens and verifies for the reader can be said to be actioned."""
    opened = reading.open_bulletin(db.session(), reader.org_code, bulletin, now=now)
    if opened is reading.Unopened.ENDED:
        raise InvalidInput(
            gettext("This bulletin was retracted; it can no longer be acknowledged.")
            if bulletin.state == "retracted"
            else gettext("This bulletin expired; it can no longer be acknowledged.")
        )
    if opened in (reading.Unopened.EXPIRED, reading.Unopened.SHREDDED):
        raise InvalidInput(gettext("This bulletin expired; it can no longer be acknowledged."))
    if opened is reading.Unopened.TAMPERED:
        raise Conflict(str(reading.TAMPERED))


def acknowledge(
    reader: Reader, actor: Actor, bulletin_id: str, *, now: datetime | None = None
) -> Receipt:
    """Record that the reader's organisation received and actioned the bulletin.

    NotFound if the reader may not see it; InvalidInput for the sending organisation or an
    ended bulletin; AlreadyAcknowledged the second time; Conflict if it fails verification.
    """
    now = now or utcnow()
    bulletin = visible_bulletin(reader, bulletin_id)
    if is_originator(reader, bulletin):
        raise InvalidInput(
            gettext("Your organisation sent this bulletin: only its recipients acknowledge it.")
        )
    _refuse_unverified(reader, bulletin, now)
    try:
        with db.write() as session:
            earlier = _acknowledgement(bulletin.id, reader.org_id)
            if earlier is not None:
                raise _already(earlier)
            session.add(
                Acknowledgement(
                    bulletin_id=bulletin.id, org_id=reader.org_id, user_id=reader.user_id, at=now
                )
            )
            audit.record(
                session,
                "bulletin.acknowledged",
                actor,
                subject_org=bulletin.sender_org_id,
                details={"bulletin": bulletin.id, "org": reader.org_code},
            )
    except IntegrityError:
        # Another user of the same organisation acknowledged it at the same moment.
        earlier = _acknowledgement(bulletin.id, reader.org_id)
        if earlier is None:
            raise
        raise _already(earlier) from None
    return Receipt(reader.org_code, None, now)


def _already(earlier: Receipt) -> AlreadyAcknowledged:
    return AlreadyAcknowledged(
        gettext(
            "%(org)s already acknowledged this bulletin on %(when)s (%(person)s).",
            org=earlier.org,
            when=when(earlier.at),
            person=earlier.user,
        )
    )


def activity(reader: Reader, bulletin: Bulletin) -> Activity:
    """What the read page shows about acknowledgements, and receipts for the originator."""
    session = db.session()
    acknowledgements = [
        Receipt(*row)
        for row in session.execute(
            select(Organisation.code, User.name, Acknowledgement.at)
            .join(Organisation, Organisation.id == Acknowledgement.org_id)
            .join(User, User.id == Acknowledgement.user_id)
            .where(Acknowledgement.bulletin_id == bulletin.id)
            .order_by(Acknowledgement.at, Organisation.code)
        )
    ]
    originator = is_originator(reader, bulletin)
    receipts = None
    if originator:
        receipts = [
            Receipt(*row)
            for row in session.execute(
                select(Organisation.code, User.name, ReadReceipt.read_at)
                .join(Organisation, Organisation.id == ReadReceipt.org_id)
                .join(User, User.id == ReadReceipt.user_id)
                .where(ReadReceipt.bulletin_id == bulletin.id)
                .order_by(ReadReceipt.read_at, Organisation.code, User.name)
            )
        ]
    else:
        # Other recipients see which organisations acknowledged, not which person did.
        acknowledgements = [
            a if a.org == reader.org_code else Receipt(a.org, None, a.at) for a in acknowledgements
        ]
    mine = next((a for a in acknowledgements if a.org == reader.org_code), None)
    return Activity(
        acknowledgements=acknowledgements,
        receipts=receipts,
        acknowledged_by_reader=mine,
        may_acknowledge=(
            not originator and mine is None and BulletinState(bulletin.state).readable
        ),
    )
