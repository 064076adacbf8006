"""A sealed envelope in database rows and back: the bulletin row holds header, signature,
content and key records; each wrapped key is a :class:`BulletinKey` row.

Rebuilding the envelope from rows means a byte changed in any of them is caught by the
envelope's own checks (signatures over header and content digest, wrapped-key digests).
"""

from __future__ import annotations

import json
from typing import Any, cast

from sqlalchemy import CursorResult, delete, insert, select
from sqlalchemy.orm import Session

from crypto import Envelope, TamperedEnvelope
from crypto.records import KeyRecord, SignaturePair, WrappedKey
from portal.models import Attachment, AttachmentChunk, Bulletin, BulletinKey


def signature_text(envelope: Envelope) -> str:
    return json.dumps(envelope.signature.to_dict(), sort_keys=True)


def records_text(envelope: Envelope) -> str:
    return json.dumps([r.to_dict() for r in envelope.key_records], sort_keys=True)


def envelope_of(session: Session, bulletin: Bulletin) -> Envelope:
    """The envelope as stored. Raises TamperedEnvelope (an EnvelopeError) if a part is malformed.

    Every caller then has one kind of error for "does not open", whichever stored part broke.
    """
    try:
        return _envelope_of(session, bulletin)
    except (ValueError, KeyError, TypeError) as error:  # JSON and base64 errors are ValueErrors
        raise TamperedEnvelope(f"a stored part of bulletin {bulletin.id} is malformed") from error


def _envelope_of(session: Session, bulletin: Bulletin) -> Envelope:
    # Plain rows, not ORM objects: the envelope needs three columns of each, once.
    keys = session.execute(
        select(BulletinKey.org_code, BulletinKey.key_version, BulletinKey.enc)
        .where(BulletinKey.bulletin_id == bulletin.id)
        .order_by(BulletinKey.org_code, BulletinKey.key_version)
    )
    return Envelope(
        header_bytes=bulletin.header,
        signature=SignaturePair.from_dict(json.loads(bulletin.signature), "the envelope header"),
        content=bulletin.content or b"",
        wrapped_keys=tuple(WrappedKey(org, version, enc) for org, version, enc in keys),
        key_records=tuple(
            KeyRecord.from_dict(item, i) for i, item in enumerate(json.loads(bulletin.key_records))
        ),
    )


def add_keys(session: Session, bulletin_id: str, envelope: Envelope) -> None:
    """Insert the envelope's wrapped keys in one statement (the bulletin row must exist)."""
    if envelope.wrapped_keys:
        session.execute(
            insert(BulletinKey),
            [
                {
                    "bulletin_id": bulletin_id,
                    "org_code": w.org,
                    "key_version": w.key_version,
                    "enc": w.enc,
                }
                for w in envelope.wrapped_keys
            ],
        )


def replace_keys(session: Session, bulletin: Bulletin, envelope: Envelope) -> None:
    """Store ``envelope``'s wrapped keys and key records in place of the bulletin's."""
    session.execute(delete(BulletinKey).where(BulletinKey.bulletin_id == bulletin.id))
    session.flush()
    add_keys(session, bulletin.id, envelope)
    bulletin.key_records = records_text(envelope)


def destroy_content(session: Session, bulletin: Bulletin) -> int:
    """Crypto-shred: delete every wrapped key and the ciphertexts. Returns keys destroyed."""
    # A DELETE's result is a CursorResult, which Session.execute's typing does not say.
    destroyed = cast(
        CursorResult[Any],
        session.execute(delete(BulletinKey).where(BulletinKey.bulletin_id == bulletin.id)),
    ).rowcount

    attachment_ids = select(Attachment.id).where(Attachment.bulletin_id == bulletin.id)
    session.execute(
        delete(AttachmentChunk).where(AttachmentChunk.attachment_id.in_(attachment_ids))
    )
    bulletin.content = None
    return int(destroyed or 0)
