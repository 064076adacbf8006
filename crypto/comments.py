"""Comments sealed to the readers of one envelope, under a key derived from its content key.

A comment on an envelope is for exactly the organisations that can open that envelope: its
payload is encrypted with AES-256-GCM under ``HKDF-SHA256(content key, domain || envelope id
|| comment id)``, with the caller's context (who commented, when, what kind) as associated
data. Whoever unwraps the envelope's content key opens its comments; nobody else does, and
shredding the envelope's wrapped keys shreds its comments too. Moving a sealed comment to
another envelope, comment id or context makes it fail to open.

Signing is the caller's (a :mod:`crypto.statement` over the digest this module gives), so an
organisation vouches for what it wrote, not only that it could open the envelope.

>>> key = bytes(32)
>>> box = seal_comment(key, "e" * 32, "c" * 32, b"seen in Lyon", b"ctx")
>>> open_comment(key, "e" * 32, "c" * 32, box, b"ctx")
b'seen in Lyon'
"""

from __future__ import annotations

import hashlib
import secrets

from crypto.errors import TamperedEnvelope
from crypto.primitives import (
    GCM_NONCE_BYTES,
    GCM_TAG_BYTES,
    Aes256Gcm,
    AuthenticationFailed,
    hkdf_sha256,
)

__all__ = ["comment_digest", "open_comment", "seal_comment"]

_VERSION = b"\x01"
_DOMAIN = b"ischia/v1/comment\x00"


def _key(content_key: bytes, envelope_id: str, comment_id: str) -> bytes:
    return hkdf_sha256(content_key, _DOMAIN + envelope_id.encode() + b"\x00" + comment_id.encode())


def _aad(envelope_id: str, comment_id: str, context: bytes) -> bytes:
    return _VERSION + envelope_id.encode() + b"\x00" + comment_id.encode() + b"\x00" + context


def seal_comment(
    content_key: bytes, envelope_id: str, comment_id: str, payload: bytes, context: bytes
) -> bytes:
    """``payload`` sealed as ``version || nonce || ciphertext``, bound to ``context``."""
    nonce = secrets.token_bytes(GCM_NONCE_BYTES)
    aead = Aes256Gcm(_key(content_key, envelope_id, comment_id))
    return _VERSION + nonce + aead.encrypt(nonce, payload, _aad(envelope_id, comment_id, context))


def open_comment(
    content_key: bytes, envelope_id: str, comment_id: str, sealed: bytes, context: bytes
) -> bytes:
    """The payload; :class:`TamperedEnvelope` if any byte, id or the context differs."""
    if len(sealed) < 1 + GCM_NONCE_BYTES + GCM_TAG_BYTES or sealed[:1] != _VERSION:
        raise TamperedEnvelope(f"comment {comment_id} has an unknown format")
    nonce = sealed[1 : 1 + GCM_NONCE_BYTES]
    aead = Aes256Gcm(_key(content_key, envelope_id, comment_id))
    try:
        return aead.decrypt(
            nonce, sealed[1 + GCM_NONCE_BYTES :], _aad(envelope_id, comment_id, context)
        )
    except AuthenticationFailed:
        raise TamperedEnvelope(f"comment {comment_id} does not open") from None


def comment_digest(sealed: bytes) -> str:
    """The SHA-256 of the sealed bytes, hexadecimal: what the author's signature covers."""
    return hashlib.sha256(sealed).hexdigest()
