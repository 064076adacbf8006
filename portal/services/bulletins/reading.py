"""Opening a bulletin for a reader: decrypt with the organisation's key ring, verify both
signatures, check the clear listing data against the signed header, record the read.

:func:`open_bulletin` is the one way to open a bulletin: it gives the bulletin opened, or why
it did not open (:class:`Unopened`), and each caller decides what that reason means for it.
On the read page, a bulletin that fails verification yields a :class:`ReadResult` with a
``problem`` and no content at all: the view shows the tamper warning instead of the bulletin.
"""

from __future__ import annotations

import enum
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from flask_babel import lazy_gettext as _l
from sqlalchemy import select
from sqlalchemy.orm import Session

from crypto import (
    EnvelopeError,
    EnvelopeExpired,
    Opened,
    PrivateBundle,
    Shredded,
    format_fingerprint,
    open_envelope,
)
from crypto.verify import Verification
from portal.extensions import db
from portal.models import Bulletin, BulletinState, Organisation, ReadReceipt, utcnow
from portal.services import audit, audit_commit
from portal.services.bulletins import lifecycle
from portal.services.bulletins.access import visible_bulletin
from portal.services.bulletins.content import BulletinContent
from portal.services.bulletins.store import envelope_of
from portal.services.errors import ServiceError
from portal.services.organisations import keys as org_keys
from portal.services.principals import Actor, Reader

TAMPERED = _l(
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


class Unopened(enum.StrEnum):
    """Why a bulletin did not open for an organisation (nothing of its content is given)."""

    ENDED = "ended"  # retracted or expired: its row is a tombstone, nothing is decrypted
    EXPIRED = "expired"  # past the expiry its sender signed, though not shredded yet
    SHREDDED = "shredded"  # no wrapped content key remains
    # It failed verification: signatures, keys, ciphertext, listing columns or content do not
    # match what the sender sealed. An organisation holding no key to it gets this too: for a
    # bulletin it may see, a missing key is itself altered data.
    TAMPERED = "tampered"


@dataclass(frozen=True)
class OpenedBulletin:
    """A bulletin decrypted for one organisation, both signatures verified."""

    bulletin: Bulletin
    content: BulletinContent
    envelope: Opened  # its header, verified payload, verification, and key to the attachments

    @property
    def seal(self) -> SealCheck:
        return SealCheck.of(self.envelope.verification)


@dataclass(frozen=True)
class ReadResult:
    bulletin: Bulletin
    sender: Organisation
    content: BulletinContent | None = None
    seal: SealCheck | None = None
    problem: str | None = None
    retraction_reason: str | None = None  # the originator's, opened, on a retracted tombstone

    @property
    def ended(self) -> bool:
        return not BulletinState(self.bulletin.state).readable

    @classmethod
    def of(cls, bulletin: Bulletin, opened: OpenedBulletin | Unopened) -> ReadResult:
        """What the read page shows: the content and seal, the tamper warning, or neither."""
        if isinstance(opened, OpenedBulletin):
            return cls(bulletin, bulletin.sender, opened.content, opened.seal)
        return cls(
            bulletin,
            bulletin.sender,
            problem=str(TAMPERED) if opened is Unopened.TAMPERED else None,
            retraction_reason=lifecycle.retraction_reason_of(bulletin)
            if opened is Unopened.ENDED
            else None,
        )


class ListingMismatch(EnvelopeError):
    """The clear columns say something other than the signed header."""


_READABLE_STATES = frozenset(s.value for s in BulletinState if s.readable)


def _check_listing(bulletin: Bulletin, opened: Opened) -> None:
    header = opened.header
    if (
        header.envelope_id != bulletin.id
        or header.sender.org != bulletin.sender.code
        or header.marking != bulletin.marking
        or header.fields.get("category") != bulletin.category
    ):
        raise ListingMismatch(f"listing data of {bulletin.id} differ from its signed header")


def _open_envelope(
    session: Session,
    org_code: str,
    bulletin: Bulletin,
    now: datetime,
    keyring: Sequence[PrivateBundle] | None,
) -> Opened:
    # The key ring first: a key rotation destroys an old key only after every envelope has
    # moved off it, so an envelope read after the ring always opens with one of its keys.
    if keyring is None:
        keyring = org_keys.keyring(org_code)
    envelope = envelope_of(session, bulletin)
    opened = open_envelope(envelope, recipient=keyring, directory=org_keys.directory(), now=now)
    _check_listing(bulletin, opened)
    return opened


def _try_open(
    session: Session,
    org_code: str,
    bulletin: Bulletin,
    now: datetime,
    keyring: Sequence[PrivateBundle] | None,
) -> Opened | Unopened:
    try:
        return _open_envelope(session, org_code, bulletin, now, keyring)
    except EnvelopeExpired:
        return Unopened.EXPIRED
    except Shredded:
        return Unopened.SHREDDED
    except EnvelopeError:
        return Unopened.TAMPERED


def open_bulletin(
    session: Session,
    org_code: str,
    bulletin: Bulletin,
    *,
    now: datetime | None = None,
    keyring: Sequence[PrivateBundle] | None = None,
) -> OpenedBulletin | Unopened:
    """Decrypt ``bulletin`` with ``org_code``'s key ring, verify both signatures and check its
    listing columns against the signed header: the bulletin opened, or why it did not.

    ``keyring`` is ``org_code``'s ring (:func:`keys.keyring`) when the caller opens several
    bulletins one after the other and loaded it once before the first. A bulletin that does
    not open with it is opened once more with the ring as it is now (and its row read again):
    a key rotation may have moved it to a new key after the ring was loaded.

    The only way the portal opens a bulletin. It neither checks visibility nor records
    anything: the caller has found ``bulletin`` through ``visible_bulletin`` or a query on
    the organisation's recipient rows, and audits what it shows.
    """
    if bulletin.state not in _READABLE_STATES:
        return Unopened.ENDED
    now = now or utcnow()
    opened = _try_open(session, org_code, bulletin, now, keyring)
    if opened is Unopened.TAMPERED and keyring is not None:
        # The ring was loaded before this bulletin's rows were read: a rotation since may have
        # moved the envelope to a key the ring does not hold. Once more, as a lone read would.
        session.refresh(bulletin)
        if bulletin.state not in _READABLE_STATES:
            return Unopened.ENDED
        opened = _try_open(session, org_code, bulletin, now, None)
    if isinstance(opened, Unopened):
        return opened
    try:
        content = BulletinContent.from_json(opened.payload)
    except (ValueError, KeyError, TypeError, ServiceError):
        return Unopened.TAMPERED  # signed, yet not a bulletin's content
    return OpenedBulletin(bulletin, content, opened)


def read_bulletin(
    reader: Reader, actor: Actor, bulletin_id: str, *, now: datetime | None = None
) -> ReadResult:
    """Open a bulletin ``reader`` may see (NotFound otherwise) and record the read; the record
    is committed before this returns."""
    now = now or utcnow()
    session = db.session()
    bulletin = visible_bulletin(reader, bulletin_id, session)
    opened = open_bulletin(session, reader.org_code, bulletin, now=now)
    result = ReadResult.of(bulletin, opened)
    if isinstance(opened, OpenedBulletin):
        outcome = "success"
    else:
        outcome = bulletin.state if opened is Unopened.ENDED else opened.value
    receipt = result.content is not None
    read_id, sender_org_id = bulletin.id, bulletin.sender_org_id

    def record_read(session: Session) -> None:
        if receipt:
            _record_receipt(session, reader, read_id, now)
        audit.record(
            session,
            "bulletin.read",
            actor,
            outcome=outcome if outcome == "success" else "failure",
            subject_org=sender_org_id,
            details={"bulletin": read_id, "result": outcome},
        )

    # Committed (with the token's use, on the API) before the content can leave: a read that
    # cannot be recorded raises, and nothing of the bulletin is answered.
    audit_commit.commit(record_read)
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
