"""Attachments as uploaded: limits, and the content type decided by the bytes, not the name.

Only images (PNG, JPEG, GIF, WebP) and PDF documents are accepted. The type an uploader
declares is ignored; the file's own signature decides, and anything else is refused.
"""

from __future__ import annotations

import hashlib
import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass
from typing import IO

from flask_babel import gettext

from portal.services.errors import InvalidInput

MAX_ATTACHMENT_BYTES = 20 * 1024 * 1024
MAX_ATTACHMENTS = 10
MAX_TOTAL_BYTES = 50 * 1024 * 1024
_READ = 1024 * 1024

# (signature at offset 0, extra check, content type, extension)
_SIGNATURES: tuple[tuple[bytes, bytes | None, str, str], ...] = (
    (b"\x89PNG\r\n\x1a\n", None, "image/png", "png"),
    (b"\xff\xd8\xff", None, "image/jpeg", "jpg"),
    (b"GIF87a", None, "image/gif", "gif"),
    (b"GIF89a", None, "image/gif", "gif"),
    (b"RIFF", b"WEBP", "image/webp", "webp"),
    (b"%PDF-", None, "application/pdf", "pdf"),
)


@dataclass(frozen=True)
class Upload:
    """A file as received: its name as given, and a readable, seekable stream."""

    filename: str
    stream: IO[bytes]


@dataclass(frozen=True)
class CheckedUpload:
    filename: str
    content_type: str
    size: int
    sha256: str
    stream: IO[bytes]


def sniff(head: bytes) -> str | None:
    """The content type the first bytes show, or None if not an accepted type."""
    for magic, extra, content_type, _ in _SIGNATURES:
        if head.startswith(magic) and (extra is None or head[8:12] == extra):
            return content_type
    return None


def safe_filename(name: str, content_type: str) -> str:
    """A display name without paths, controls or odd characters, with the right extension."""
    base = unicodedata.normalize("NFKC", name or "").replace("\\", "/").rsplit("/", 1)[-1]
    base = re.sub(r"[^\w.\- ]+", "_", base).strip(" ._")[:120] or "attachment"
    extension = next(ext for _, _, t, ext in _SIGNATURES if t == content_type)
    stem = base.rsplit(".", 1)[0] if "." in base else base
    return f"{stem or 'attachment'}.{extension}"


def check(upload: Upload, index: int) -> CheckedUpload:
    path = f"attachments[{index}]"
    stream = upload.stream
    stream.seek(0)
    head = stream.read(16)
    content_type = sniff(head)
    if content_type is None:
        raise InvalidInput(
            gettext(
                "%(file)s is not an image (PNG, JPEG, GIF, WebP) or a PDF.", file=upload.filename
            )
            if upload.filename
            else gettext("This file is not an image (PNG, JPEG, GIF, WebP) or a PDF."),
            field=path,
        )
    digest = hashlib.sha256(head)
    size = len(head)
    while chunk := stream.read(_READ):
        size += len(chunk)
        if size > MAX_ATTACHMENT_BYTES:
            raise InvalidInput(
                gettext(
                    "%(file)s is larger than %(size)s MB.",
                    file=upload.filename,
                    size=MAX_ATTACHMENT_BYTES // (1024 * 1024),
                ),
                field=path,
            )
        digest.update(chunk)
    stream.seek(0)
    return CheckedUpload(
        safe_filename(upload.filename, content_type), content_type, size, digest.hexdigest(), stream
    )


def check_all(uploads: Sequence[Upload]) -> list[CheckedUpload]:
    if len(uploads) > MAX_ATTACHMENTS:
        raise InvalidInput(
            gettext("At most %(count)s attachments.", count=MAX_ATTACHMENTS), field="attachments"
        )
    checked = [check(upload, i) for i, upload in enumerate(uploads)]
    if sum(c.size for c in checked) > MAX_TOTAL_BYTES:
        raise InvalidInput(
            gettext(
                "Attachments together must stay under %(size)s MB.",
                size=MAX_TOTAL_BYTES // (1024 * 1024),
            ),
            field="attachments",
        )
    return checked
