"""Opaque references to entities in URLs: ``/entities/<reference>`` never shows an identifier.

An entity page is addressed by its canonical key (``account:telegram:wadi``), which names the
identifier, and paths reach access logs and browser histories. The URL therefore carries the
key sealed under a key of the organisation's own, derived from the derivation root: AES-256-GCM
with a synthetic nonce (an HMAC of the key), so the same entity always has the same address for
one organisation (links stay stable, visited links show as visited) while another
organisation's reference to it is unrelated and does not open for it (a 404), and nothing is
stored to look references up. A reference reveals nothing of its key without the derivation
root; equal references reveal only "the same entity", to someone who already sees both pages.
"""

from __future__ import annotations

import base64
import binascii
import functools

from crypto.primitives import GCM_NONCE_BYTES, Aes256Gcm, AuthenticationFailed, hmac_sha256
from crypto.secretbox import derive_key
from portal import vault

_VERSION = b"\x01"
MAX_REFERENCE = 400  # characters: a canonical key is at most a few hundred bytes


def _keys(org_id: int) -> tuple[Aes256Gcm, bytes]:
    return _derived(vault.derivation_root(), org_id)


@functools.lru_cache(maxsize=256)
def _derived(root: bytes, org_id: int) -> tuple[Aes256Gcm, bytes]:
    """The organisation's two keys (a read page derives them once, not twice per entity)."""
    purpose = b"entity-references/org:%d" % org_id
    return Aes256Gcm(derive_key(root, purpose + b"/enc")), derive_key(root, purpose + b"/nonce")


def _context(org_id: int) -> bytes:
    return _VERSION + b"entity-reference:org:%d" % org_id


def reference(org_id: int, key: str) -> str:
    """The URL-safe reference of canonical ``key`` for organisation ``org_id``."""
    aead, nonce_key = _keys(org_id)
    data = key.encode()
    nonce = hmac_sha256(nonce_key, data)[:GCM_NONCE_BYTES]
    sealed = _VERSION + nonce + aead.encrypt(nonce, data, _context(org_id))
    return base64.urlsafe_b64encode(sealed).rstrip(b"=").decode()


def key_of(org_id: int, ref: str) -> str | None:
    """The canonical key ``ref`` stands for, or None if it is not a reference this organisation
    was given (malformed, altered, or another organisation's)."""
    if not ref or len(ref) > MAX_REFERENCE:
        return None
    try:
        sealed = base64.urlsafe_b64decode(ref + "=" * (-len(ref) % 4))
    except (binascii.Error, ValueError):
        return None
    if len(sealed) < 1 + GCM_NONCE_BYTES + 16 or sealed[:1] != _VERSION:
        return None
    aead, _ = _keys(org_id)
    nonce = sealed[1 : 1 + GCM_NONCE_BYTES]
    try:
        return aead.decrypt(nonce, sealed[1 + GCM_NONCE_BYTES :], _context(org_id)).decode()
    except (AuthenticationFailed, UnicodeDecodeError):
        return None
