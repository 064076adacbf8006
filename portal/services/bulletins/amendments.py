"""Amending a bulletin: what its current version says, and sealing the version that replaces it.

Only a liaison officer of the originating organisation amends, and only the current (active)
version; for anyone else the bulletin does not exist (NotFound), as on every bulletin route.
The new version is a new envelope, signed on its own; the old one stays readable, marked
superseded and linked (see :func:`portal.services.bulletins.sealing.seal_and_store`).
"""

from __future__ import annotations

import dataclasses
import io
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime

from flask_babel import gettext
from flask_babel import lazy_gettext as _l
from sqlalchemy import select
from sqlalchemy.orm import Session

from crypto import EnvelopeError
from portal.extensions import db
from portal.models import (
    Attachment,
    AttachmentChunk,
    Bulletin,
    BulletinRecipient,
    BulletinState,
    Organisation,
    RecipientVia,
    Role,
)
from portal.services import audit
from portal.services.bulletins import sealing, versions
from portal.services.bulletins.access import is_originator, visible_bulletin
from portal.services.bulletins.attachments import Upload
from portal.services.bulletins.content import BulletinContent
from portal.services.bulletins.reading import OpenedBulletin, Unopened, open_bulletin
from portal.services.errors import Conflict, Forbidden, NotFound
from portal.services.principals import Actor, Reader

UNOPENABLE = _l(
    "This bulletin cannot be opened (it failed verification or has passed its retention date), "
    "so it cannot be amended."
)


@dataclass(frozen=True)
class CurrentVersion:
    """The version an officer amends: its row, its decrypted content, and who receives it."""

    bulletin: Bulletin
    content: BulletinContent
    recipients: tuple[str, ...]  # organisation codes it was sealed or released to

    @property
    def retain_until(self) -> datetime:
        return self.bulletin.expires_at


def amendable(reader: Reader, bulletin_id: str, session: Session | None = None) -> Bulletin:
    """The bulletin if ``reader`` may amend it: NotFound unless it is theirs and readable,
    :class:`~portal.services.bulletins.versions.Superseded` (a Conflict) if no longer current."""
    session = session or db.session()
    bulletin = visible_bulletin(reader, bulletin_id, session)
    amendable_states = (BulletinState.ACTIVE.value, BulletinState.SUPERSEDED.value)
    if not is_originator(reader, bulletin) or bulletin.state not in amendable_states:
        raise NotFound()
    if not reader.has_role(Role.LIAISON):
        raise Forbidden(gettext("Only liaison officers amend bulletins."))
    if bulletin.state == BulletinState.SUPERSEDED.value:
        # Typically a colleague's amendment a moment ago: say which version to amend instead.
        raise versions.superseded(session, bulletin)
    return bulletin


def _open(session: Session, reader: Reader, bulletin: Bulletin) -> OpenedBulletin:
    opened = open_bulletin(session, reader.org_code, bulletin)
    if isinstance(opened, Unopened):
        raise Conflict(str(UNOPENABLE))
    return opened


def current_version(reader: Reader, bulletin_id: str, actor: Actor | None = None) -> CurrentVersion:
    """Decrypt the current version for the amend form (the originator holds a key to it).

    With ``actor``, the decryption is audited as a read made to amend (the form shows it all).
    """
    session = db.session()
    bulletin = amendable(reader, bulletin_id, session)
    content = _open(session, reader, bulletin).content
    if actor is not None:
        with db.write() as writing:
            audit.record(
                writing,
                "bulletin.read",
                actor,
                subject_org=bulletin.sender_org_id,
                details={"bulletin": bulletin.id, "result": "success", "purpose": "amend"},
            )
    codes = session.scalars(
        select(Organisation.code)
        .join(BulletinRecipient, BulletinRecipient.org_id == Organisation.id)
        .where(
            BulletinRecipient.bulletin_id == bulletin.id,
            BulletinRecipient.via.in_([RecipientVia.SEALED.value, RecipientVia.RELEASED.value]),
        )
        .order_by(Organisation.code)
    )
    return CurrentVersion(bulletin, content, tuple(codes))


class _Ciphertext:
    """An attachment's stored ciphertext chunks as one readable stream."""

    def __init__(self, chunks: Iterator[bytes]) -> None:
        self._chunks = chunks
        self._buffer = b""

    def read(self, size: int = -1, /) -> bytes:
        while size < 0 or len(self._buffer) < size:
            chunk = next(self._chunks, None)
            if chunk is None:
                break
            self._buffer += chunk
        end = len(self._buffer) if size < 0 else size
        data, self._buffer = self._buffer[:end], self._buffer[end:]
        return data


def _kept_attachments(session: Session, reader: Reader, bulletin: Bulletin) -> list[Upload]:
    """The current version's attachments decrypted into memory, to be sealed again.

    Plaintext stays in memory (never a temporary file), and a chunk that fails authentication
    aborts the amendment instead of carrying altered bytes into the new version.
    """
    opened = _open(session, reader, bulletin)
    rows = session.scalars(
        select(Attachment)
        .where(Attachment.bulletin_id == bulletin.id)
        .order_by(Attachment.position)
    ).all()
    kept = []
    for row, info in zip(rows, opened.content.attachments, strict=False):
        chunks = session.scalars(
            select(AttachmentChunk.data)
            .where(AttachmentChunk.attachment_id == row.id)
            .order_by(AttachmentChunk.seq)
        )
        plaintext = io.BytesIO()
        try:
            opened.envelope.save_attachment(row.position, _Ciphertext(iter(chunks)), plaintext)
        except (EnvelopeError, ValueError, IndexError):
            raise Conflict(str(UNOPENABLE)) from None
        plaintext.seek(0)
        kept.append(Upload(info.filename, plaintext))
    return kept


def amend(
    reader: Reader,
    actor: Actor,
    bulletin_id: str,
    draft: sealing.Draft,
    *,
    keep_attachments: bool = False,
    now: datetime | None = None,
) -> Bulletin:
    """Seal ``draft`` as the next version of ``bulletin_id``; the current one is superseded.

    With ``keep_attachments`` the current version's attachments come first, then the new
    uploads (so ``attachments[i]`` errors count the kept ones too).
    """
    session = db.session()
    bulletin = amendable(reader, bulletin_id, session)
    if "grading" not in draft.document or "tags" not in draft.document:
        # A draft that says nothing of them keeps the current version's grading and tags.
        current = _open(session, reader, bulletin).content
        kept_fields: dict[str, object] = {
            "grading": current.grading.document() if current.grading else None,
            "tags": list(current.tags),
        }
        draft = dataclasses.replace(draft, document={**kept_fields, **draft.document})
    if keep_attachments and bulletin.attachment_count:
        kept = _kept_attachments(session, reader, bulletin)
        draft = dataclasses.replace(draft, uploads=[*kept, *draft.uploads])
    return sealing.seal_and_store(
        reader, actor, draft, now=now, series=bulletin, event="bulletin.amended"
    )
