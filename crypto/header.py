"""The envelope header: what is sealed, by whom, for whom, under which marking and suite.

The header is everything known before the content is encrypted: format and suite, envelope id,
sender and its key version, recipients with their key versions and the SHA-256 of each wrapped
content key, the TLP marking, creation and expiry times, the content nonce, the length and
ciphertext digest of every attachment, and the caller's extra routing fields. Its RFC 8785
encoding is the AES-GCM associated data of the content and, with the digest of the content
ciphertext, what the sender signs.

Security property: :meth:`Header.parse` reads the signed bytes themselves (never a
re-serialisation), checks the format and suite first so that an altered suite string is refused
as unsupported instead of being interpreted under another suite, and then accepts exactly one
shape of document.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from types import MappingProxyType
from typing import Any

from crypto.canonical import (
    JsonObject,
    b64decode,
    b64encode,
    canonical_json,
    expect_int,
    expect_list,
    expect_object,
    expect_str,
    format_time,
    parse_time,
    strict_loads,
)
from crypto.errors import TamperedEnvelope, UnsupportedSuite
from crypto.keys import ORG_PATTERN

__all__ = [
    "ATTACHMENT_CHUNK_SIZE",
    "DIGEST_HEX",
    "ENVELOPE_ID",
    "FORMAT",
    "MARKINGS",
    "SUITE_V1",
    "SUPPORTED_SUITES",
    "AttachmentEntry",
    "Header",
    "RecipientEntry",
    "Scalar",
    "SenderEntry",
    "check_fields",
]

FORMAT = 1
SUITE_V1 = "ischia-1:hpke(mlkem768x25519,hkdf-sha256,aes-256-gcm);aes-256-gcm;ed25519+ml-dsa-65"
# A later suite is added here (and dispatched on in sealing.py); envelopes sealed under an
# older suite keep opening as long as it stays listed.
SUPPORTED_SUITES = frozenset({SUITE_V1})
MARKINGS = ("TLP:CLEAR", "TLP:GREEN", "TLP:AMBER", "TLP:AMBER+STRICT", "TLP:RED")
ATTACHMENT_CHUNK_SIZE = 1 << 20
Scalar = str | int | bool | None

DIGEST_HEX = re.compile(r"[0-9a-f]{64}")
ENVELOPE_ID = re.compile(r"[0-9a-f]{32}")
_FIELD_NAME = re.compile(r"[^\x00-\x1f]{1,64}")
_HEADER_FIELDS = frozenset(
    {
        "format",
        "suite",
        "envelope_id",
        "sender",
        "recipients",
        "marking",
        "created_at",
        "expires_at",
        "content_nonce",
        "attachments",
        "fields",
    }
)
_SENDER_FIELDS = frozenset({"org", "key_version", "fingerprint"})
_RECIPIENT_FIELDS = frozenset({"org", "key_version", "fingerprint", "wrapped_key_sha256"})
_ATTACHMENT_FIELDS = frozenset({"length", "chunk_size", "chunks", "sha256"})


def _digest(value: object, what: str) -> bytes:
    return bytes.fromhex(expect_str(value, what, pattern=DIGEST_HEX))


def check_fields(fields: Mapping[str, Scalar]) -> Mapping[str, Scalar]:
    """Validate caller-supplied header fields: short names, JSON scalar values, I-JSON integers.

    These fields travel in clear: put routing metadata here (bulletin id, category), never
    anything that must stay secret. Raises :class:`ValueError`.
    """
    checked: dict[str, Scalar] = {}
    for name, value in fields.items():
        if not isinstance(name, str) or not _FIELD_NAME.fullmatch(name):
            raise ValueError("header field names are 1-64 characters without control characters")
        if type(value) is int:
            if abs(value) > 2**53 - 1:
                raise ValueError(f"header field {name!r}: integer outside I-JSON's range")
        elif value is not None and not isinstance(value, bool | str):
            raise ValueError(f"header field {name!r} must be a string, integer, boolean or null")
        try:
            name.encode("utf-8")
            if isinstance(value, str):
                value.encode("utf-8")
        except UnicodeEncodeError:
            raise ValueError(f"header field {name[:20]!r} is not valid Unicode text") from None
        checked[name] = value
    return MappingProxyType(checked)


@dataclass(frozen=True)
class SenderEntry:
    """The signing organisation, the version of its key and that bundle's fingerprint."""

    org: str
    key_version: int
    fingerprint: bytes

    def to_dict(self) -> JsonObject:
        return {
            "org": self.org,
            "key_version": self.key_version,
            "fingerprint": self.fingerprint.hex(),
        }


@dataclass(frozen=True)
class RecipientEntry:
    """An organisation the sender sealed for, at one key version, and its wrapped key's digest."""

    org: str
    key_version: int
    fingerprint: bytes
    wrapped_key_sha256: bytes

    def to_dict(self) -> JsonObject:
        return {
            "org": self.org,
            "key_version": self.key_version,
            "fingerprint": self.fingerprint.hex(),
            "wrapped_key_sha256": self.wrapped_key_sha256.hex(),
        }


@dataclass(frozen=True)
class AttachmentEntry:
    """A streamed attachment: plaintext length, chunking, and SHA-256 of its ciphertext stream."""

    length: int
    chunk_size: int
    chunks: int
    sha256: bytes

    def to_dict(self) -> JsonObject:
        return {
            "length": self.length,
            "chunk_size": self.chunk_size,
            "chunks": self.chunks,
            "sha256": self.sha256.hex(),
        }


@dataclass(frozen=True)
class Header:
    """A parsed, validated envelope header (see the module docstring for what it binds)."""

    suite: str
    envelope_id: str
    sender: SenderEntry
    recipients: tuple[RecipientEntry, ...]
    marking: str
    created_at: datetime
    expires_at: datetime | None
    content_nonce: bytes
    attachments: tuple[AttachmentEntry, ...] = ()
    fields: Mapping[str, Scalar] = field(default_factory=lambda: MappingProxyType({}))
    format: int = FORMAT

    def to_dict(self) -> JsonObject:
        return {
            "format": self.format,
            "suite": self.suite,
            "envelope_id": self.envelope_id,
            "sender": self.sender.to_dict(),
            "recipients": [r.to_dict() for r in self.recipients],
            "marking": self.marking,
            "created_at": format_time(self.created_at),
            "expires_at": None if self.expires_at is None else format_time(self.expires_at),
            "content_nonce": b64encode(self.content_nonce),
            "attachments": [a.to_dict() for a in self.attachments],
            "fields": dict(self.fields),
        }

    def canonical(self) -> bytes:
        """The RFC 8785 bytes that are signed and used as the content's associated data."""
        return canonical_json(self.to_dict())

    def recipient(self, org: str, key_version: int) -> RecipientEntry | None:
        for entry in self.recipients:
            if entry.org == org and entry.key_version == key_version:
                return entry
        return None

    @classmethod
    def parse(cls, data: bytes) -> Header:
        """Parse signed header bytes; raises UnsupportedSuite or TamperedEnvelope."""
        doc = strict_loads(data, "envelope header")
        if not isinstance(doc, dict):
            raise TamperedEnvelope("envelope header must be a JSON object")
        if doc.get("format") != FORMAT or type(doc.get("format")) is not int:
            raise UnsupportedSuite(
                f"envelope format {str(doc.get('format'))[:20]!r} is not supported"
            )
        suite = doc.get("suite")
        if suite not in SUPPORTED_SUITES:
            shown = suite[:120] if isinstance(suite, str) else type(suite).__name__
            raise UnsupportedSuite(f"cipher suite {shown!r} is not supported; refusing to open")
        top = expect_object(doc, _HEADER_FIELDS, "envelope header")
        return cls(
            format=FORMAT,
            suite=suite,
            envelope_id=expect_str(top["envelope_id"], "envelope_id", pattern=ENVELOPE_ID),
            sender=_parse_sender(top["sender"]),
            recipients=_parse_recipients(top["recipients"]),
            marking=_parse_marking(top["marking"]),
            created_at=parse_time(top["created_at"], "created_at"),
            expires_at=None
            if top["expires_at"] is None
            else parse_time(top["expires_at"], "expires_at"),
            content_nonce=_parse_nonce(top["content_nonce"]),
            attachments=tuple(
                _parse_attachment(item, i)
                for i, item in enumerate(expect_list(top["attachments"], "attachments"))
            ),
            fields=_parse_fields(top["fields"]),
        )


def _parse_sender(value: Any) -> SenderEntry:
    doc = expect_object(value, _SENDER_FIELDS, "sender")
    return SenderEntry(
        org=expect_str(doc["org"], "sender org", pattern=ORG_PATTERN),
        key_version=expect_int(doc["key_version"], "sender key_version", minimum=1),
        fingerprint=_digest(doc["fingerprint"], "sender fingerprint"),
    )


def _parse_recipients(value: Any) -> tuple[RecipientEntry, ...]:
    entries = []
    for i, item in enumerate(expect_list(value, "recipients")):
        doc = expect_object(item, _RECIPIENT_FIELDS, f"recipient #{i}")
        entries.append(
            RecipientEntry(
                org=expect_str(doc["org"], f"recipient #{i} org", pattern=ORG_PATTERN),
                key_version=expect_int(
                    doc["key_version"], f"recipient #{i} key_version", minimum=1
                ),
                fingerprint=_digest(doc["fingerprint"], f"recipient #{i} fingerprint"),
                wrapped_key_sha256=_digest(doc["wrapped_key_sha256"], f"recipient #{i} digest"),
            )
        )
    orgs = [entry.org for entry in entries]
    if orgs != sorted(set(orgs)):
        raise TamperedEnvelope("recipients must be listed once each, sorted by organisation")
    return tuple(entries)


def _parse_marking(value: Any) -> str:
    if value not in MARKINGS:
        raise TamperedEnvelope("marking must be one of the TLP 2.0 labels")
    return str(value)


def _parse_nonce(value: Any) -> bytes:
    nonce = b64decode(value, "content_nonce")
    if len(nonce) != 12:
        raise TamperedEnvelope("content_nonce must be 12 bytes")
    return nonce


def _parse_attachment(value: Any, index: int) -> AttachmentEntry:
    what = f"attachment #{index}"
    doc = expect_object(value, _ATTACHMENT_FIELDS, what)
    entry = AttachmentEntry(
        length=expect_int(doc["length"], f"{what} length"),
        chunk_size=expect_int(doc["chunk_size"], f"{what} chunk_size", minimum=1),
        chunks=expect_int(doc["chunks"], f"{what} chunks", minimum=1),
        sha256=_digest(doc["sha256"], f"{what} sha256"),
    )
    if entry.chunk_size != ATTACHMENT_CHUNK_SIZE:
        raise TamperedEnvelope(f"{what} chunk_size must be {ATTACHMENT_CHUNK_SIZE}")
    if entry.chunks != max(1, -(-entry.length // entry.chunk_size)):
        raise TamperedEnvelope(f"{what} chunk count does not match its length")
    return entry


def _parse_fields(value: Any) -> Mapping[str, Scalar]:
    if not isinstance(value, dict):
        raise TamperedEnvelope("fields must be a JSON object")
    try:
        return check_fields(value)
    except ValueError as exc:
        raise TamperedEnvelope(str(exc)) from None
