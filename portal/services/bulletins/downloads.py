"""Downloading an attachment: verify the envelope, decrypt the attachment's chunks, and hand the
plaintext over only once all of it has verified.

The stream's last checks (chunk count, digest of the whole ciphertext) can only complete at
the end, so the plaintext is gathered in memory (attachments are at most 20 MB) and released
only after them, and after its SHA-256 matches the one the sender sealed: a reader never gets
a partial or altered file, and plaintext never touches the disk.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import datetime

from flask_babel import gettext
from sqlalchemy import select
from sqlalchemy.orm import Session

from crypto import EnvelopeError, Opened
from portal.extensions import db
from portal.models import Attachment, AttachmentChunk, Bulletin, utcnow
from portal.services import audit
from portal.services.bulletins import reading
from portal.services.bulletins.access import visible_bulletin
from portal.services.bulletins.attachments import sniff
from portal.services.bulletins.content import AttachmentInfo
from portal.services.errors import Conflict, NotFound, ServiceError
from portal.services.principals import Actor, Reader

__all__ = ["AttachmentTampered", "ChunkReader", "Download", "download"]

GENERIC_TYPE = "application/octet-stream"


@dataclass(frozen=True)
class Download:
    filename: str
    content_type: str
    data: bytes


class AttachmentTampered(Conflict):
    """The envelope or the attachment failed verification; ``result`` is the tamper page."""

    def __init__(self, result: reading.ReadResult) -> None:
        super().__init__(str(reading.TAMPERED))
        self.result = result


class ChunkReader:
    """A readable stream over an attachment's ciphertext rows, fetched one row at a time."""

    def __init__(self, session: Session, attachment_id: int) -> None:
        self._session = session
        self._attachment_id = attachment_id
        self._next_seq = 0
        self._buffer = bytearray()
        self._finished = False

    def _fetch(self) -> None:
        data = self._session.scalar(
            select(AttachmentChunk.data).where(
                AttachmentChunk.attachment_id == self._attachment_id,
                AttachmentChunk.seq == self._next_seq,
            )
        )
        if data is None:
            self._finished = True
            return
        self._buffer += data
        self._next_seq += 1

    def read(self, size: int = -1, /) -> bytes:
        while not self._finished and (size < 0 or len(self._buffer) < size):
            self._fetch()
        if size < 0:
            size = len(self._buffer)
        out = bytes(self._buffer[:size])
        del self._buffer[:size]
        return out


def _decrypt(session: Session, opened: Opened, row: Attachment, info: AttachmentInfo) -> bytes:
    """The whole plaintext, or an EnvelopeError: never a part of it."""
    parts = list(opened.attachment(row.position, ChunkReader(session, row.id)))
    data = b"".join(parts)
    if hashlib.sha256(data).hexdigest() != info.sha256 or len(data) != info.size:
        raise EnvelopeError("the attachment differs from what the sender sealed")
    return data


def _attachment(
    session: Session, opened: reading.OpenedBulletin, index: int
) -> tuple[AttachmentInfo, bytes]:
    """Attachment ``index`` decrypted: NotFound for no such index, an EnvelopeError (or a
    ValueError, KeyError) if it fails verification."""
    content = opened.content
    if not 0 <= index < len(content.attachments):
        raise NotFound(gettext("This bulletin has no such attachment."))
    if index >= len(opened.envelope.header.attachments):
        raise EnvelopeError("the sealed content lists an attachment the header does not")
    row = session.scalar(
        select(Attachment).where(
            Attachment.bulletin_id == opened.bulletin.id, Attachment.position == index
        )
    )
    if row is None:
        raise EnvelopeError("the attachment's ciphertext is missing")
    info = content.attachments[index]
    return info, _decrypt(session, opened.envelope, row, info)


def download(
    reader: Reader, actor: Actor, bulletin_id: str, index: int, *, now: datetime | None = None
) -> Download:
    """Attachment ``index`` of a bulletin the reader may see, verified and decrypted.

    NotFound for an invisible bulletin, a missing index or an ended bulletin;
    AttachmentTampered if anything fails verification. Audited either way.
    """
    now = now or utcnow()
    session = db.session()
    bulletin = visible_bulletin(reader, bulletin_id, session)
    opened = reading.open_bulletin(session, reader.org_code, bulletin, now=now)
    if opened is reading.Unopened.ENDED:
        if bulletin.state == "retracted":
            raise NotFound(gettext("This bulletin was retracted: its attachments were destroyed."))
        raise NotFound(gettext("This bulletin expired: its attachments were destroyed."))
    if opened in (reading.Unopened.EXPIRED, reading.Unopened.SHREDDED):
        raise NotFound(gettext("This bulletin expired: its attachments can no longer be opened."))
    if isinstance(opened, reading.Unopened):  # it failed verification
        raise _tampered(actor, bulletin, index)
    try:
        info, data = _attachment(session, opened, index)
    except NotFound:
        raise
    except (EnvelopeError, ValueError, KeyError, ServiceError):
        raise _tampered(actor, bulletin, index) from None
    content_type = sniff(data[:16]) or GENERIC_TYPE
    if content_type != info.content_type:
        content_type = GENERIC_TYPE  # the bytes disagree with what was sealed: no rendering
    _record(actor, bulletin, index, "success")
    return Download(info.filename, content_type, data)


def _tampered(actor: Actor, bulletin: Bulletin, index: int) -> AttachmentTampered:
    _record(actor, bulletin, index, "tampered")
    return AttachmentTampered(reading.ReadResult.of(bulletin, reading.Unopened.TAMPERED))


def _record(actor: Actor, bulletin: Bulletin, index: int, outcome: str) -> None:
    with db.write() as session:
        audit.record(
            session,
            "attachment.downloaded",
            actor,
            outcome="success" if outcome == "success" else "failure",
            subject_org=bulletin.sender_org_id,
            details={"bulletin": bulletin.id, "attachment": index, "result": outcome},
        )
