"""Sealing of small secrets (TOTP seeds, private keys) under keys derived from the master key.

Security property: each purpose gets its own AES-256-GCM key derived with HKDF-SHA256 from the
master key, and the caller's context (for example ``b"totp:user:42"``) is bound as associated
data, so a sealed value copied to another row or purpose does not open.
"""

from __future__ import annotations

import secrets

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

__all__ = ["SecretBox", "SecretBoxError", "derive_key"]

_VERSION = b"\x01"
_NONCE_BYTES = 12


class SecretBoxError(Exception):
    """A sealed secret did not open: wrong key, wrong context, or altered bytes."""


def derive_key(master_key: bytes, purpose: bytes, length: int = 32) -> bytes:
    """Derive an independent key for ``purpose`` from the master key (HKDF-SHA256)."""
    return HKDF(
        algorithm=hashes.SHA256(), length=length, salt=None, info=b"ischia/" + purpose
    ).derive(master_key)


class SecretBox:
    """AES-256-GCM sealing of short secrets; the output is ``version || nonce || ciphertext``."""

    def __init__(self, master_key: bytes, purpose: bytes) -> None:
        self._aead = AESGCM(derive_key(master_key, b"secretbox/" + purpose))

    def seal(self, plaintext: bytes, context: bytes) -> bytes:
        nonce = secrets.token_bytes(_NONCE_BYTES)
        return _VERSION + nonce + self._aead.encrypt(nonce, plaintext, _VERSION + context)

    def open(self, sealed: bytes, context: bytes) -> bytes:
        if len(sealed) < 1 + _NONCE_BYTES + 16 or sealed[:1] != _VERSION:
            raise SecretBoxError("sealed secret has an unknown format")
        nonce = sealed[1 : 1 + _NONCE_BYTES]
        try:
            return self._aead.decrypt(nonce, sealed[1 + _NONCE_BYTES :], _VERSION + context)
        except InvalidTag as exc:
            raise SecretBoxError("sealed secret does not open under this key and context") from exc
