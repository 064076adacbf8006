"""The sealed envelope as a document: its parts, its JSON form and the statement it signs.

An exported envelope is one JSON object whose binary fields are base64:

- ``header``: the RFC 8785 bytes of the :class:`~crypto.header.Header`, carried verbatim so a
  verifier checks the signature over exactly the bytes that were signed and never re-serialises;
- ``signature``: Ed25519 and ML-DSA-65 over ``"ischia/envelope/v1" 0x00 || SHA-256(content) ||
  header``, so the header and the content ciphertext are signed together;
- ``content``: AES-256-GCM ciphertext of the payload, the header bytes as associated data;
- ``wrapped_keys`` and ``key_records``: see :mod:`crypto.records`.

Security property: parsing is strict (exactly these fields, canonical base64, a header that
:meth:`~crypto.header.Header.parse` accepts), so an exported envelope has one reading.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

from crypto.canonical import (
    JsonObject,
    b64decode,
    b64encode,
    expect_list,
    expect_object,
    strict_loads,
)
from crypto.errors import BadSignature, TamperedEnvelope
from crypto.header import Header
from crypto.records import KeyRecord, SignaturePair, WrappedKey

__all__ = ["HEADER_DOMAIN", "Envelope", "envelope_statement"]

HEADER_DOMAIN = b"ischia/envelope/v1\x00"
_ENVELOPE_KIND = "ischia-envelope/1"
_ENVELOPE_FIELDS = frozenset(
    {"envelope", "header", "signature", "content", "wrapped_keys", "key_records"}
)


def envelope_statement(content: bytes, header_bytes: bytes) -> bytes:
    """What an envelope's two signatures cover: ``HEADER_DOMAIN || SHA-256(content) || header``."""
    return HEADER_DOMAIN + hashlib.sha256(content).digest() + header_bytes


@dataclass(frozen=True)
class Envelope:
    """A sealed envelope. ``header`` is parsed from ``header_bytes`` when the object is built."""

    header_bytes: bytes = field(repr=False)
    signature: SignaturePair
    content: bytes = field(repr=False)
    wrapped_keys: tuple[WrappedKey, ...] = ()
    key_records: tuple[KeyRecord, ...] = ()
    header: Header = field(init=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "header", Header.parse(self.header_bytes))

    @property
    def id(self) -> str:
        return self.header.envelope_id

    @cached_property
    def header_sha256(self) -> bytes:
        return hashlib.sha256(self.header_bytes).digest()

    def signed_statement(self) -> bytes:
        return envelope_statement(self.content, self.header_bytes)

    def to_dict(self) -> JsonObject:
        return {
            "envelope": _ENVELOPE_KIND,
            "header": b64encode(self.header_bytes),
            "signature": self.signature.to_dict(),
            "content": b64encode(self.content),
            "wrapped_keys": [w.to_dict() for w in self.wrapped_keys],
            "key_records": [r.to_dict() for r in self.key_records],
        }

    def to_json(self) -> str:
        return json.dumps(self.to_dict(), indent=1)

    @classmethod
    def from_dict(cls, value: Any) -> Envelope:
        """Parse an exported envelope; raises a subclass of EnvelopeError if malformed."""
        if isinstance(value, dict) and "signature" not in value:
            raise BadSignature("envelope is not signed")
        doc = expect_object(value, _ENVELOPE_FIELDS, "envelope")
        if doc["envelope"] != _ENVELOPE_KIND:
            raise TamperedEnvelope(f"document must say envelope={_ENVELOPE_KIND!r}")
        return cls(
            header_bytes=b64decode(doc["header"], "envelope header"),
            signature=SignaturePair.from_dict(doc["signature"], "the envelope header"),
            content=b64decode(doc["content"], "envelope content"),
            wrapped_keys=tuple(
                WrappedKey.from_dict(item, i)
                for i, item in enumerate(expect_list(doc["wrapped_keys"], "wrapped_keys"))
            ),
            key_records=tuple(
                KeyRecord.from_dict(item, i)
                for i, item in enumerate(expect_list(doc["key_records"], "key_records"))
            ),
        )

    @classmethod
    def from_json(cls, text: str | bytes) -> Envelope:
        return cls.from_dict(strict_loads(text, "envelope"))
