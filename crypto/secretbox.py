"""Sealing of small secrets (TOTP seeds, private keys) under keys derived from the master key.

Security property: each purpose gets its own AES-256-GCM key derived with HKDF-SHA256 from the
master key, and the caller's context (for example ``b"totp:user:42"``) is bound as associated
data, so a sealed value copied to another row or purpose does not open.
"""

from __future__ import annotations

import secrets

from crypto.primitives import (
    GCM_NONCE_BYTES,
    GCM_TAG_BYTES,
    Aes256Gcm,
    AuthenticationFailed,
    hkdf_sha256,
)

__all__ = ["SecretBox", "SecretBoxError", "derive_key"]

_VERSION = b"\x01"


class SecretBoxError(Exception):
    """A sealed secret did not open: wrong key, wrong context, or altered bytes."""


def derive_key(master_key: bytes, purpose: bytes, length: int = 32) -> bytes:
    """Derive an independent key for ``purpose`` from the master key (HKDF-SHA256)."""
    return hkdf_sha256(master_key, b"ischia/" + purpose, length)


class SecretBox:
    """AES-256-GCM sealing of short secrets; the output is ``version || nonce || ciphertext``."""

    def __init__(self, master_key: bytes, purpose: bytes) -> None:
        self._aead = Aes256Gcm(derive_key(master_key, b"secretbox/" + purpose))

    def seal(self, plaintext: bytes, context: bytes) -> bytes:
        nonce = secrets.token_bytes(GCM_NONCE_BYTES)
        return _VERSION + nonce + self._aead.encrypt(nonce, plaintext, _VERSION + context)

    def open(self, sealed: bytes, context: bytes) -> bytes:
        if len(sealed) < 1 + GCM_NONCE_BYTES + GCM_TAG_BYTES or sealed[:1] != _VERSION:
            raise SecretBoxError("sealed secret has an unknown format")
        nonce = sealed[1 : 1 + GCM_NONCE_BYTES]
        try:
            return self._aead.decrypt(nonce, sealed[1 + GCM_NONCE_BYTES :], _VERSION + context)
        except AuthenticationFailed as exc:
            raise SecretBoxError("sealed secret does not open under this key and context") from exc
