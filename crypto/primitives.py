"""The one place where this library touches ``cryptography.hazmat``.

Everything here is a thin, typed layer over primitives that ``cryptography`` implements: HPKE
(RFC 9180) with the hybrid ML-KEM-768 + X25519 KEM, HKDF-SHA256 and AES-256-GCM; Ed25519 and
ML-DSA-65 signatures; AES-256-GCM; HKDF-SHA256; HMAC-SHA256. Nothing is implemented by hand. The
other modules see only bytes in, bytes out, and two exceptions: :class:`AuthenticationFailed`
when a ciphertext does not open and :class:`SignatureRejected` when a signature does not verify.
"""

from __future__ import annotations

from cryptography.exceptions import InvalidSignature, InvalidTag
from cryptography.hazmat.primitives import hashes, hpke
from cryptography.hazmat.primitives.asymmetric import ed25519, mldsa, mlkem, x25519
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.hmac import HMAC
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

__all__ = [
    "AES_KEY_BYTES",
    "GCM_NONCE_BYTES",
    "GCM_TAG_BYTES",
    "MLKEM768_SEED_BYTES",
    "Aes256Gcm",
    "AuthenticationFailed",
    "HybridSigner",
    "HybridVerifier",
    "KemPrivateKey",
    "KemPublicKey",
    "SignatureRejected",
    "hkdf_sha256",
    "hmac_sha256",
]

AES_KEY_BYTES = 32
GCM_NONCE_BYTES = 12
GCM_TAG_BYTES = 16
MLKEM768_SEED_BYTES = 64

# RFC 9180 suite of Ischia suite 1: the hybrid KEM makes the key agreement hold as long as
# either X25519 or ML-KEM-768 does ("harvest now, decrypt later" needs both broken).
_HPKE = hpke.Suite(hpke.KEM.MLKEM768_X25519, hpke.KDF.HKDF_SHA256, hpke.AEAD.AES_256_GCM)


class AuthenticationFailed(Exception):
    """An AEAD or HPKE ciphertext did not open: wrong key, wrong context, or altered bytes."""


class SignatureRejected(Exception):
    """One of the two signatures of a hybrid pair did not verify; ``args[0]`` names which."""


def hkdf_sha256(key: bytes, info: bytes, length: int = 32) -> bytes:
    """HKDF-SHA256 (RFC 5869) with an empty salt: an independent key for each ``info``."""
    return HKDF(algorithm=hashes.SHA256(), length=length, salt=None, info=info).derive(key)


def hmac_sha256(key: bytes, message: bytes) -> bytes:
    """HMAC-SHA256 (RFC 2104) of ``message`` under ``key``."""
    mac = HMAC(key, hashes.SHA256())
    mac.update(message)
    return mac.finalize()


class Aes256Gcm:
    """AES-256-GCM under one key; ``decrypt`` raises :class:`AuthenticationFailed`."""

    __slots__ = ("_aead",)

    def __init__(self, key: bytes) -> None:
        if len(key) != AES_KEY_BYTES:
            raise ValueError("AES-256-GCM needs a 32-byte key")
        self._aead = AESGCM(key)

    def encrypt(self, nonce: bytes, plaintext: bytes | memoryview, aad: bytes) -> bytes:
        return self._aead.encrypt(nonce, plaintext, aad)

    def decrypt(self, nonce: bytes, ciphertext: bytes | memoryview, aad: bytes) -> bytes:
        try:
            return self._aead.decrypt(nonce, ciphertext, aad)
        except InvalidTag:
            raise AuthenticationFailed from None


class KemPublicKey:
    """A recipient's hybrid HPKE public key (ML-KEM-768 and X25519 halves)."""

    __slots__ = ("_key",)

    def __init__(self, mlkem768: bytes, x25519_public: bytes) -> None:
        self._key = hpke.MLKEM768X25519PublicKey(
            mlkem.MLKEM768PublicKey.from_public_bytes(mlkem768),
            x25519.X25519PublicKey.from_public_bytes(x25519_public),
        )

    def wrap(self, plaintext: bytes, info: bytes) -> bytes:
        """HPKE single-shot base-mode encryption: ``enc || ciphertext``, bound to ``info``."""
        return _HPKE.encrypt(plaintext, self._key, info=info)


class KemPrivateKey:
    """A hybrid HPKE private key, built from its two seeds."""

    __slots__ = ("_key", "public_bytes")

    def __init__(self, mlkem768_seed: bytes, x25519_private: bytes) -> None:
        mlkem_key = mlkem.MLKEM768PrivateKey.from_seed_bytes(mlkem768_seed)
        x_key = x25519.X25519PrivateKey.from_private_bytes(x25519_private)
        self._key = hpke.MLKEM768X25519PrivateKey(mlkem_key, x_key)
        self.public_bytes: tuple[bytes, bytes] = (
            mlkem_key.public_key().public_bytes_raw(),
            x_key.public_key().public_bytes_raw(),
        )

    def unwrap(self, wrapped: bytes, info: bytes) -> bytes:
        try:
            return _HPKE.decrypt(wrapped, self._key, info=info)
        except InvalidTag:
            raise AuthenticationFailed from None


class HybridVerifier:
    """Checks an (Ed25519, ML-DSA-65) signature pair; valid only if both verify."""

    __slots__ = ("_ed", "_ml")

    def __init__(self, ed25519_public: bytes, mldsa65_public: bytes) -> None:
        self._ed = ed25519.Ed25519PublicKey.from_public_bytes(ed25519_public)
        self._ml = mldsa.MLDSA65PublicKey.from_public_bytes(mldsa65_public)

    def verify(self, message: bytes, ed25519_signature: bytes, mldsa65_signature: bytes) -> None:
        try:
            self._ed.verify(ed25519_signature, message)
        except InvalidSignature:
            raise SignatureRejected("Ed25519") from None
        try:
            self._ml.verify(mldsa65_signature, message)
        except InvalidSignature:
            raise SignatureRejected("ML-DSA-65") from None


class HybridSigner:
    """Signs with Ed25519 and ML-DSA-65 over the same message, built from their seeds."""

    __slots__ = ("_ed", "_ml", "public_bytes")

    def __init__(self, ed25519_seed: bytes, mldsa65_seed: bytes) -> None:
        self._ed = ed25519.Ed25519PrivateKey.from_private_bytes(ed25519_seed)
        self._ml = mldsa.MLDSA65PrivateKey.from_seed_bytes(mldsa65_seed)
        self.public_bytes: tuple[bytes, bytes] = (
            self._ed.public_key().public_bytes_raw(),
            self._ml.public_key().public_bytes_raw(),
        )

    def sign(self, message: bytes) -> tuple[bytes, bytes]:
        return self._ed.sign(message), self._ml.sign(message)
