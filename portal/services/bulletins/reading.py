"""Opening a bulletin for a reader: decrypt with the organisation's key ring, verify both
signatures, check the clear listing data against the signed header, record the read.

Anything that fails yields a :class:`ReadResult` with a ``problem`` and no content at all:
the view shows the tamper warning instead of the bulletin.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from crypto import (
    EnvelopeError,
    EnvelopeExpired,
    Opened,
    Shredded,
    TamperedEnvelope,
    format_fingerprint,
    open_envelope,
)
from crypto.verify import Verification
from portal.extensions import db
from portal.models import Bulletin, BulletinState, Organisation, ReadReceipt, utcnow
from portal.services import audit
from portal.services.bulletins.access import visible_bulletin
from portal.services.bulletins.content import BulletinContent
from portal.services.bulletins.store import envelope_of
from portal.services.errors import ServiceError
from portal.services.organisations import keys as org_keys
from portal.services.principals import Actor, Reader

TAMPERED = (
    "This bulletin failed verification: its signatures, keys or encrypted content do not match "
    "what the sender sealed. Its content is not shown. Report this to your security officer."
)


@dataclass(frozen=True)
class KeyHolder:
    org: str
    key_version: int
    fingerprint: str
    via: str


@dataclass(frozen=True)
class SealCheck:
    """The verification panel: who signed, with which keys, when, and who holds a key."""

    sender_org: str
    sender_key_version: int
    sender_fingerprint: str
    signed_at: datetime
    expires_at: datetime | None
    holders: tuple[KeyHolder, ...]

    @classmethod
    def of(cls, verification: Verification) -> SealCheck:
        header = verification.header
        return cls(
            sender_org=header.sender.org,
            sender_key_version=header.sender.key_version,
            sender_fingerprint=format_fingerprint(header.sender.fingerprint),
            signed_at=header.created_at,
            expires_at=header.expires_at,
            holders=tuple(
                KeyHolder(a.org, a.key_version, format_fingerprint(a.fingerprint), str(a.via))
                for a in verification.access
            ),
        )


@dataclass(frozen=True)
class ReadResult:
    bulletin: Bulletin
    sender: Organisation
    content: BulletinContent | None = None
    seal: SealCheck | None = None
    problem: str | None = None

    @property
    def ended(self) -> bool:
        return not BulletinState(self.bulletin.state).readable


class ListingMismatch(EnvelopeError):
    """The clear columns say something other than the signed header."""


def _check_listing(bulletin: Bulletin, sender: Organisation, opened: Opened) -> None:
    header = opened.header
    if (
        header.envelope_id != bulletin.id
        or header.sender.org != sender.code
        or header.marking != bulletin.marking
        or header.fields.get("category") != bulletin.category
    ):
        raise ListingMismatch(f"listing data of {bulletin.id} differ from its signed header")


def open_content(
    session: Session, org_code: str, bulletin: Bulletin, sender: Organisation, now: datetime
) -> tuple[BulletinContent, Opened]:
    """Decrypt and verify ``bulletin`` for ``org_code``.

    Raises an EnvelopeError for anything that keeps it from opening: EnvelopeExpired, Shredded,
    or TamperedEnvelope (and the other verification errors) for a stored part or a payload
    that is not what was sealed.
    """
    envelope = envelope_of(session, bulletin)
    opened = open_envelope(
        envelope, recipient=org_keys.keyring(org_code), directory=org_keys.directory(), now=now
    )
    _check_listing(bulletin, sender, opened)
    try:
        return BulletinContent.from_json(opened.payload), opened
    except (ValueError, KeyError, TypeError, ServiceError) as error:
        raise TamperedEnvelope(f"the content of bulletin {bulletin.id} is malformed") from error


def read_bulletin(
    reader: Reader, actor: Actor, bulletin_id: str, *, now: datetime | None = None
) -> ReadResult:
    """Open a bulletin ``reader`` may see (NotFound otherwise) and record the read."""
    now = now or utcnow()
    session = db.session()
    bulletin = visible_bulletin(reader, bulletin_id, session)
    sender = session.get_one(Organisation, bulletin.sender_org_id)
    result = ReadResult(bulletin, sender)
    outcome = "success"
    if BulletinState(bulletin.state).readable:
        try:
            content, opened = open_content(session, reader.org_code, bulletin, sender, now)
        except EnvelopeExpired:
            outcome = "expired"
        except Shredded:
            outcome = "shredded"
        except EnvelopeError:
            outcome = "tampered"
            result = ReadResult(bulletin, sender, problem=TAMPERED)
        else:
            result = ReadResult(bulletin, sender, content, SealCheck.of(opened.verification))
    else:
        outcome = bulletin.state
    with db.write() as session:
        if result.content is not None:
            _record_receipt(session, reader, bulletin.id, now)
        audit.record(
            session,
            "bulletin.read",
            actor,
            outcome=outcome if outcome == "success" else "failure",
            subject_org=bulletin.sender_org_id,
            details={"bulletin": bulletin.id, "result": outcome},
        )
    return result


def _record_receipt(session: Session, reader: Reader, bulletin_id: str, now: datetime) -> None:
    exists = session.scalar(
        select(ReadReceipt.user_id).where(
            ReadReceipt.bulletin_id == bulletin_id, ReadReceipt.user_id == reader.user_id
        )
    )
    if exists is None:
        session.add(
            ReadReceipt(
                bulletin_id=bulletin_id, user_id=reader.user_id, org_id=reader.org_id, read_at=now
            )
        )


def title_for(
    session: Session, org_code: str, bulletin: Bulletin, sender: Organisation, now: datetime
) -> str | None:
    """The title as ``org_code`` decrypts it (None if it does not open: shredded, tampered)."""
    if not BulletinState(bulletin.state).readable:
        return None
    try:
        content, _opened = open_content(session, org_code, bulletin, sender, now)
    except EnvelopeError:
        return None  # the read page shows why (tamper warning, expiry)
    return content.title
