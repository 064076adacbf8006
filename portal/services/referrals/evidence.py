"""Evidence on a referral item: a captured copy of the content, sealed for the two parties.

The referring organisation attaches a file (a video, an image, a PDF, a saved page, anything
up to ``REFERRAL_EVIDENCE_MAX_BYTES``) to one of its items while the item is open (not
decided, or waiting on the referrer's answer to a question). The file
is sealed with :func:`crypto.seal` like a bulletin attachment: the content key is wrapped for
the referrer and the addressed platform only, the envelope is signed by the referrer, and the
filename and content type travel inside the sealed payload. The database holds the envelope,
the ciphertext chunks, the sizes and the hashes, and no byte or name of the file in clear.

SHA-256 and MD5 are computed here, from the bytes received, never taken from the uploader.
The SHA-256 joins the item's case keys, so two organisations that upload the same file to
the same platform land in one case (cases merge as at intake). The item's own ``hashes`` are
part of what the referrer signed at intake and stay as signed; :func:`hashes_of` gives the
item's hashes with those of its evidence.

Download is for the referring organisation and the platform only, and any other caller gets
:class:`NotFound`. Every upload and download is an audit record, naming ids and hashes, never
a filename or content.
"""

from __future__ import annotations

import hashlib
import json
import re
import tempfile
import unicodedata
import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import IO, Any, BinaryIO

from flask import current_app
from flask_babel import gettext
from sqlalchemy import delete, func, select, update
from sqlalchemy.orm import Session

from crypto import Envelope, EnvelopeError, Opened, open_envelope, seal
from crypto.errors import EnvelopeExpired
from portal.extensions import db
from portal.models import (
    ItemState,
    Organisation,
    OrgKind,
    ReferralCase,
    ReferralCaseKey,
    ReferralEvidence,
    ReferralEvidenceChunk,
    ReferralItem,
)
from portal.services import audit
from portal.services.errors import Conflict, InvalidInput, NotFound
from portal.services.hashbanks.hashing import hash_image
from portal.services.organisations import keys as org_keys
from portal.services.principals import Actor, Reader
from portal.services.referrals import access
from portal.services.referrals.ledger import moment
from portal.services.referrals.vocabulary import OPEN

FORMAT = "ischia/referral-evidence/v1"
FIELD = "evidence"
DEFAULT_MAX_BYTES = 50 * 1024 * 1024
MAX_PER_ITEM = 10
GENERIC_TYPE = "application/octet-stream"
# Open for evidence: undecided, a question from the platform included (evidence is often
# the answer).
ATTACHABLE = (*OPEN, ItemState.QUESTION.value)
_READ = 1024 * 1024
_CHUNK_ROW = 1024 * 1024

# What the first bytes show (offset 0 unless given), for the types a download may keep.
# Anything else, HTML included, is served as application/octet-stream.
_SIGNATURES: tuple[tuple[int, bytes, str], ...] = (
    (0, b"\x89PNG\r\n\x1a\n", "image/png"),
    (0, b"\xff\xd8\xff", "image/jpeg"),
    (0, b"GIF87a", "image/gif"),
    (0, b"GIF89a", "image/gif"),
    (0, b"%PDF-", "application/pdf"),
    (4, b"ftyp", "video/mp4"),
    (0, b"\x1a\x45\xdf\xa3", "video/webm"),
)


@dataclass(frozen=True)
class EvidenceUpload:
    """A file as received: its name as given and a readable, seekable stream."""

    filename: str
    stream: IO[bytes]


@dataclass(frozen=True)
class EvidenceInfo:
    """One piece of evidence as the two parties see it in a list (the name opened for them)."""

    id: str
    item_id: str
    filename: str
    content_type: str
    size: int
    sha256: str
    md5: str
    uploaded_at: datetime


@dataclass(frozen=True)
class EvidenceFile:
    """A download: the verified plaintext and how to serve it."""

    filename: str
    content_type: str
    data: bytes


@dataclass(frozen=True)
class _Checked:
    filename: str
    content_type: str
    size: int
    sha256: str
    md5: str
    stream: IO[bytes]
    pdq: str | None = None  # of an image the hash banks' decoder reads


PDQ_KEY = "pdq:"  # case keys of evidence images, matched by distance (see _join_similar)


def _image_pdq(content_type: str, size: int, stream: IO[bytes]) -> str | None:
    """The PDQ hash of an image file, or None (not an image, too large to decode, unreadable:
    the evidence is kept all the same, its case found by SHA-256 only)."""
    if not content_type.startswith("image/") or size > current_app.config["HASH_IMAGE_MAX_BYTES"]:
        return None
    stream.seek(0)
    data = stream.read()
    stream.seek(0)
    try:
        hashes = hash_image(data)
    except InvalidInput:
        return None
    # A flat or near-blank picture has no trustworthy PDQ: it would join unrelated cases.
    return None if hashes.low_quality else hashes.pdq


def max_bytes() -> int:
    return int(current_app.config.get("REFERRAL_EVIDENCE_MAX_BYTES", DEFAULT_MAX_BYTES))


def sniff(head: bytes) -> str:
    """The content type the first bytes show, or application/octet-stream."""
    for offset, magic, content_type in _SIGNATURES:
        if head[offset : offset + len(magic)] == magic:
            return content_type
    return GENERIC_TYPE


def safe_filename(name: str) -> str:
    """A name without paths, controls or odd characters (its extension kept when plain)."""
    base = unicodedata.normalize("NFKC", name or "").replace("\\", "/").rsplit("/", 1)[-1]
    base = re.sub(r"[^\w.\- ]+", "_", base).strip(" ._")
    if "." in base:
        stem, extension = base.rsplit(".", 1)
        extension = extension[:10]
        stem = stem.strip(" ._")[:110] or "evidence"
        return f"{stem}.{extension}" if extension else stem
    return base[:120] or "evidence"


def _check(upload: EvidenceUpload) -> _Checked:
    """Read the whole stream once: size, hashes and type; refuse empty and oversized files."""
    limit = max_bytes()
    stream = upload.stream
    stream.seek(0)
    head = stream.read(16)
    if not head:
        raise InvalidInput(
            gettext("The file is empty: attach the captured copy itself."), field=FIELD
        )
    sha256 = hashlib.sha256(head)
    md5 = hashlib.md5(head, usedforsecurity=False)
    size = len(head)
    while chunk := stream.read(_READ):
        size += len(chunk)
        if size > limit:
            raise InvalidInput(
                gettext(
                    "The file is larger than %(size)s MB, the evidence limit.",
                    size=limit // (1024 * 1024),
                ),
                field=FIELD,
            )
        sha256.update(chunk)
        md5.update(chunk)
    if size > limit:
        raise InvalidInput(
            gettext(
                "The file is larger than %(size)s MB, the evidence limit.",
                size=limit // (1024 * 1024),
            ),
            field=FIELD,
        )
    stream.seek(0)
    content_type = sniff(head)
    return _Checked(
        safe_filename(upload.filename),
        content_type,
        size,
        sha256.hexdigest(),
        md5.hexdigest(),
        stream,
        _image_pdq(content_type, size, stream),
    )


class _Spool:
    """Where the ciphertext goes while sealing: a temporary file, never plaintext."""

    def __init__(self) -> None:
        self.file: BinaryIO = tempfile.TemporaryFile()
        self.size = 0

    def write(self, data: bytes) -> int:
        self.size += len(data)
        return self.file.write(data)


def _join_case(session: Session, item: ReferralItem, key: str) -> None:
    """Add ``key`` to the item's case; when another case of the platform holds it, the two
    merge into the older, keys and items alike (as at intake). The caller holds the
    platform's intake lock."""
    other = session.scalar(
        select(ReferralCaseKey.case_id).where(
            ReferralCaseKey.platform_org_id == item.platform_org_id, ReferralCaseKey.key == key
        )
    )
    if other is None:
        session.add(
            ReferralCaseKey(platform_org_id=item.platform_org_id, key=key, case_id=item.case_id)
        )
        return
    _merge(session, item, other)


def _join_similar(session: Session, item: ReferralItem, pdq: str) -> None:
    """Add the image's PDQ hash to the item's case, and merge every case of the platform that
    holds an image within the matching distance (``HASH_MATCH_DISTANCE``, 31 of 256 bits: a
    re-encoded, resized or lightly edited copy of the same picture). The caller holds the
    platform's intake lock."""
    radius = int(current_app.config["HASH_MATCH_DISTANCE"])
    mine = int(pdq, 16)
    near = {
        case_id
        for key, case_id in session.execute(
            select(ReferralCaseKey.key, ReferralCaseKey.case_id).where(
                ReferralCaseKey.platform_org_id == item.platform_org_id,
                ReferralCaseKey.key.startswith(PDQ_KEY, autoescape=True),
            )
        )
        if (int(key.removeprefix(PDQ_KEY), 16) ^ mine).bit_count() <= radius
    }
    _join_case(session, item, PDQ_KEY + pdq)
    for case_id in sorted(near):
        _merge(session, item, case_id)


def _merge(session: Session, item: ReferralItem, other: str) -> None:
    """Merge the item's case and ``other`` into the older of the two."""
    if other == item.case_id:
        return
    cases = session.scalars(
        select(ReferralCase)
        .where(ReferralCase.id.in_({other, item.case_id}))
        .order_by(ReferralCase.created_at, ReferralCase.id)
    ).all()
    keep, merged = cases[0].id, cases[1].id
    session.execute(
        update(ReferralCaseKey).where(ReferralCaseKey.case_id == merged).values(case_id=keep)
    )
    session.execute(update(ReferralItem).where(ReferralItem.case_id == merged).values(case_id=keep))
    session.execute(delete(ReferralCase).where(ReferralCase.id == merged))
    session.flush()
    session.expire(item, ["case_id"])


def attach(
    reader: Reader,
    actor: Actor,
    item_id: str,
    upload: EvidenceUpload,
    *,
    now: datetime | None = None,
) -> EvidenceInfo:
    """Seal ``upload`` to the item's referrer and platform and store it (see the module doc).

    The referring organisation's liaison officers only, while the item is open; NotFound for
    any other item; InvalidInput (field ``evidence``) for an empty or oversized file; nothing
    is written unless everything succeeds.
    """
    access.require_liaison(reader)
    now = moment(now)
    session = db.session()
    item = access.referrer_item(session, reader, item_id)
    if item.state not in ATTACHABLE:
        raise Conflict(
            gettext("Evidence can be attached only while the platform has not decided the item."),
            field=FIELD,
        )
    checked = _check(upload)
    platform = session.get_one(Organisation, item.platform_org_id)
    with db.write() as write:
        org_keys.ensure_keys(write, reader.org_code, now=now)
        org_keys.ensure_keys(write, platform.code, now=now)
    envelope_id = uuid.uuid4().hex
    payload = {
        "format": FORMAT,
        "item": item.id,
        "filename": checked.filename,
        "content_type": checked.content_type,
        "size": checked.size,
        "sha256": checked.sha256,
        "md5": checked.md5,
    }
    spool = _Spool()
    try:
        envelope = seal(
            json.dumps(payload, sort_keys=True).encode(),
            sender=org_keys.private_bundle(reader.org_code),
            recipients=[org_keys.directory().latest(platform.code)],
            marking="TLP:AMBER",
            now=now,
            fields={"kind": FORMAT, "item": item.id},
            attachments=[(checked.stream, spool)],
            envelope_id=envelope_id,
        )
        with db.write() as write:
            # The platform's intake lock: cases change under it only (see intake.refer).
            write.scalar(
                select(Organisation.id).where(Organisation.id == platform.id).with_for_update()
            )
            locked = access.referrer_item(write, reader, item_id, lock=True)
            if locked.state not in ATTACHABLE:
                raise Conflict(gettext("The platform decided the item meanwhile."), field=FIELD)
            count = write.scalar(select(func.count()).where(ReferralEvidence.item_id == locked.id))
            if (count or 0) >= MAX_PER_ITEM:
                raise InvalidInput(
                    gettext(
                        "An item holds at most %(limit)s pieces of evidence.", limit=MAX_PER_ITEM
                    ),
                    field=FIELD,
                )
            same = write.scalar(
                select(ReferralEvidence.id).where(
                    ReferralEvidence.item_id == locked.id,
                    ReferralEvidence.sha256 == checked.sha256,
                )
            )
            if same is not None:
                raise InvalidInput(
                    gettext("This file is already attached to the item."), field=FIELD
                )
            row = ReferralEvidence(
                id=envelope_id,
                item_id=locked.id,
                referrer_org_id=locked.referrer_org_id,
                platform_org_id=locked.platform_org_id,
                uploaded_by_id=reader.user_id,
                uploaded_at=now,
                size=checked.size,
                sealed_size=spool.size,
                sha256=checked.sha256,
                md5=checked.md5,
                envelope=envelope.to_json(),
            )
            write.add(row)
            write.flush()
            spool.file.seek(0)
            seq = 0
            while data := spool.file.read(_CHUNK_ROW):
                write.add(ReferralEvidenceChunk(evidence_id=row.id, seq=seq, data=data))
                seq += 1
            _join_case(write, locked, f"sha256:{checked.sha256}")
            if checked.pdq is not None:
                _join_similar(write, locked, checked.pdq)
            audit.record(
                write,
                "referral.evidence_attached",
                actor,
                subject_org=locked.platform_org_id,
                details={
                    "item": locked.id,
                    "evidence": row.id,
                    "size": checked.size,
                    "sha256": checked.sha256,
                    "md5": checked.md5,
                },
            )
    finally:
        spool.file.close()
    return EvidenceInfo(
        row.id,
        item.id,
        checked.filename,
        checked.content_type,
        checked.size,
        checked.sha256,
        checked.md5,
        now,
    )


def _party_item(session: Session, reader: Reader, item_id: str) -> ReferralItem:
    """The item if ``reader``'s organisation referred it or is its platform; else NotFound."""
    access.require_party_role(reader)
    if reader.org_kind is OrgKind.PLATFORM:
        return access.platform_item(session, reader, item_id)
    return access.referrer_item(session, reader, item_id)


def _opened(row: ReferralEvidence, reader: Reader, now: datetime) -> tuple[Opened, dict[str, Any]]:
    """The envelope opened with the reader's keys (both signatures verified) and its payload."""
    envelope = Envelope.from_json(row.envelope)
    if envelope.id != row.id:
        raise EnvelopeError("the envelope is not this evidence's")
    opened = open_envelope(
        envelope,
        recipient=org_keys.keyring(reader.org_code),
        directory=org_keys.directory(),
        now=now,
    )
    payload = json.loads(opened.payload)
    if not isinstance(payload, dict) or payload.get("item") != row.item_id:
        raise EnvelopeError("the sealed evidence names another item")
    if opened.header.sender.org != _code(row.referrer_org_id):
        raise EnvelopeError("the evidence was not sealed by the referring organisation")
    return opened, payload


def _code(org_id: int) -> str:
    return db.session().get_one(Organisation, org_id).code


def list_evidence(
    reader: Reader, item_id: str, *, now: datetime | None = None
) -> list[EvidenceInfo]:
    """The item's evidence, oldest first, names opened with the reader's keys (the two
    parties' liaison officers only; NotFound for anyone else). A piece that fails
    verification is listed as such, never with a name read from unverified bytes."""
    now = moment(now)
    session = db.session()
    item = _party_item(session, reader, item_id)
    rows = session.scalars(
        select(ReferralEvidence)
        .where(ReferralEvidence.item_id == item.id)
        .order_by(ReferralEvidence.uploaded_at, ReferralEvidence.id)
    )
    found = []
    for row in rows:
        try:
            _, payload = _opened(row, reader, now)
            filename, content_type = str(payload["filename"]), str(payload["content_type"])
        except (EnvelopeError, EnvelopeExpired, ValueError, KeyError, TypeError):
            filename, content_type = "(does not verify)", GENERIC_TYPE
        found.append(
            EvidenceInfo(
                row.id,
                row.item_id,
                filename,
                content_type,
                row.size,
                row.sha256,
                row.md5,
                row.uploaded_at,
            )
        )
    return found


class _Chunks:
    """A readable stream over the evidence's ciphertext rows, one row at a time."""

    def __init__(self, session: Session, evidence_id: str) -> None:
        self._session = session
        self._evidence_id = evidence_id
        self._seq = 0
        self._buffer = bytearray()
        self._finished = False

    def read(self, size: int = -1, /) -> bytes:
        while not self._finished and (size < 0 or len(self._buffer) < size):
            data = self._session.scalar(
                select(ReferralEvidenceChunk.data).where(
                    ReferralEvidenceChunk.evidence_id == self._evidence_id,
                    ReferralEvidenceChunk.seq == self._seq,
                )
            )
            if data is None:
                self._finished = True
            else:
                self._buffer += data
                self._seq += 1
        if size < 0:
            size = len(self._buffer)
        out = bytes(self._buffer[:size])
        del self._buffer[:size]
        return out


def download(
    reader: Reader, actor: Actor, item_id: str, evidence_id: str, *, now: datetime | None = None
) -> EvidenceFile:
    """The evidence decrypted and verified whole (SHA-256 and size as sealed), for the
    referrer's or the platform's liaison officers; NotFound for anyone else or any other id;
    Conflict if it fails verification. Audited either way."""
    now = moment(now)
    session = db.session()
    item = _party_item(session, reader, item_id)
    row = (
        session.get(ReferralEvidence, evidence_id)
        if access.ID.fullmatch(evidence_id or "")
        else None
    )
    if row is None or row.item_id != item.id:
        raise NotFound()
    try:
        opened, payload = _opened(row, reader, now)
        data = b"".join(opened.attachment(0, _Chunks(session, row.id)))
        digest = hashlib.sha256(data).hexdigest()
        if digest != payload["sha256"] or digest != row.sha256 or len(data) != payload["size"]:
            raise EnvelopeError("the evidence differs from what the referrer sealed")
    except (EnvelopeError, EnvelopeExpired, ValueError, KeyError, TypeError, IndexError):
        _record(actor, row, "tampered")
        raise Conflict(
            gettext("This evidence does not verify: it was altered after it was sealed.")
        ) from None
    _record(actor, row, "success")
    content_type = sniff(data[:16])
    return EvidenceFile(str(payload["filename"]), content_type, data)


def _record(actor: Actor, row: ReferralEvidence, result: str) -> None:
    with db.write() as session:
        audit.record(
            session,
            "referral.evidence_downloaded",
            actor,
            outcome="success" if result == "success" else "failure",
            subject_org=row.referrer_org_id,
            details={"item": row.item_id, "evidence": row.id, "result": result},
        )


def hashes_of(item_ids: Iterable[str]) -> dict[str, list[str]]:
    """Each item's hashes: those the referrer signed at intake, then its evidence's
    (``sha256:<hex>``, ``md5:<hex>``), without repeats. For callers that already checked
    the reader may see these items."""
    ids = list(item_ids)
    if not ids:
        return {}
    session = db.session()
    found: dict[str, list[str]] = {}
    for item_id, hashes in session.execute(
        select(ReferralItem.id, ReferralItem.hashes).where(ReferralItem.id.in_(ids))
    ):
        found[item_id] = list(hashes or [])
    for item_id, sha256, md5 in session.execute(
        select(ReferralEvidence.item_id, ReferralEvidence.sha256, ReferralEvidence.md5)
        .where(ReferralEvidence.item_id.in_(ids))
        .order_by(ReferralEvidence.uploaded_at, ReferralEvidence.id)
    ):
        for value in (f"sha256:{sha256}", f"md5:{md5}"):
            if value not in found.setdefault(item_id, []):
                found[item_id].append(value)
    return found
