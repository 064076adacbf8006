"""Keyed blind-index tokens: equal identifiers give equal tokens, and a token reveals nothing.

A token is HMAC-SHA256 under a key derived from the master key, over a domain string and the
identifier's canonical key (``account:telegram:adnani_media``). Security property: without the
index key, a token cannot be computed from a guessed identifier, so a stolen database cannot be
searched by dictionary; with it, the portal answers "also in N bulletins you cannot read"
without storing the identifier.
"""

from __future__ import annotations

from crypto.primitives import hmac_sha256

__all__ = ["BlindIndex"]

_DOMAIN = b"ischia/blind-index/v1\x00"


class BlindIndex:
    """Computes tokens under one 256-bit index key."""

    def __init__(self, key: bytes) -> None:
        if len(key) != 32:
            raise ValueError("a blind-index key is 32 bytes")
        self._key = key

    def token(self, canonical_key: str) -> bytes:
        """The 32-byte token of ``canonical_key`` (already normalised by the caller)."""
        return hmac_sha256(self._key, _DOMAIN + canonical_key.encode("utf-8"))
