"""Wrapped content keys, and the signed records that add one after sealing (grants, re-wraps).

A :class:`WrappedKey` is one recipient's HPKE ciphertext of the content key. The sender's signed
header names the SHA-256 of every wrapped key it made; a key added later is named by a
:class:`KeyRecord`:

- a *grant* (release to a new organisation), which must be signed by the originator;
- a *re-wrap* (an organisation moved its own copy to its new key version during key rotation),
  which must be signed by that organisation with that new key.

Security property: a record names the envelope id and the SHA-256 of the exact signed header, so
it cannot be replayed onto another envelope, and its wrapped-key digest pins the one key it
authorises. Both signatures (Ed25519 and ML-DSA-65) must verify.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Any, Literal

from crypto.canonical import (
    JsonObject,
    b64decode,
    b64encode,
    canonical_json,
    expect_int,
    expect_object,
    expect_str,
    format_time,
    parse_time,
)
from crypto.errors import BadSignature, TamperedEnvelope
from crypto.header import DIGEST_HEX, ENVELOPE_ID, SenderEntry
from crypto.keys import ORG_PATTERN, PrivateBundle, PublicBundle
from crypto.primitives import SignatureRejected

__all__ = ["KeyRecord", "RecordKind", "SignaturePair", "WrappedKey"]

RecordKind = Literal["grant", "rewrap"]
_RECORD_DOMAIN = b"ischia/key-record/v1\x00"
_WRAPPED_FIELDS = frozenset({"org", "key_version", "enc"})
_SIGNATURE_FIELDS = ("ed25519", "ml_dsa_65")
_RECORD_FIELDS = frozenset(
    {
        "kind",
        "envelope_id",
        "header_sha256",
        "org",
        "key_version",
        "fingerprint",
        "wrapped_key_sha256",
        "at",
        "signer",
        "signature",
    }
)


@dataclass(frozen=True)
class SignaturePair:
    """An Ed25519 and an ML-DSA-65 signature over the same statement."""

    ed25519: bytes = field(repr=False)
    ml_dsa_65: bytes = field(repr=False)

    def to_dict(self) -> JsonObject:
        return {"ed25519": b64encode(self.ed25519), "ml_dsa_65": b64encode(self.ml_dsa_65)}

    @classmethod
    def from_dict(cls, value: Any, what: str) -> SignaturePair:
        """Parse a signature pair; a missing half is a :class:`BadSignature`, not a format issue."""
        if not isinstance(value, dict):
            raise BadSignature(f"{what} has no signatures")
        for name in _SIGNATURE_FIELDS:
            if name not in value or value[name] in ("", None):
                label = "Ed25519" if name == "ed25519" else "ML-DSA-65"
                raise BadSignature(f"{what} lacks its {label} signature: both are required")
        doc = expect_object(value, frozenset(_SIGNATURE_FIELDS), f"{what} signatures")
        return cls(
            b64decode(doc["ed25519"], f"{what} Ed25519 signature"),
            b64decode(doc["ml_dsa_65"], f"{what} ML-DSA-65 signature"),
        )

    @classmethod
    def sign(cls, bundle: PrivateBundle, statement: bytes) -> SignaturePair:
        return cls(*bundle.signer.sign(statement))

    def verify(self, bundle: PublicBundle, statement: bytes, what: str) -> None:
        try:
            bundle.verifier.verify(statement, self.ed25519, self.ml_dsa_65)
        except SignatureRejected as exc:
            raise BadSignature(
                f"the {exc.args[0]} signature on {what} does not verify under "
                f"{bundle.org} v{bundle.version}"
            ) from None


@dataclass(frozen=True)
class WrappedKey:
    """The content key HPKE-encrypted to one organisation's key at one version."""

    org: str
    key_version: int
    enc: bytes = field(repr=False)

    @property
    def sha256(self) -> bytes:
        return hashlib.sha256(self.enc).digest()

    def to_dict(self) -> JsonObject:
        return {"org": self.org, "key_version": self.key_version, "enc": b64encode(self.enc)}

    @classmethod
    def from_dict(cls, value: Any, index: int) -> WrappedKey:
        what = f"wrapped key #{index}"
        doc = expect_object(value, _WRAPPED_FIELDS, what)
        return cls(
            org=expect_str(doc["org"], f"{what} org", pattern=ORG_PATTERN),
            key_version=expect_int(doc["key_version"], f"{what} key_version", minimum=1),
            enc=b64decode(doc["enc"], f"{what} enc"),
        )


@dataclass(frozen=True)
class KeyRecord:
    """A signed statement that ``wrapped_key_sha256`` is ``org`` v``key_version``'s content key."""

    kind: RecordKind
    envelope_id: str
    header_sha256: bytes
    org: str
    key_version: int
    fingerprint: bytes
    wrapped_key_sha256: bytes
    at: datetime
    signer: SenderEntry
    signature: SignaturePair

    def body(self) -> JsonObject:
        return {
            "kind": self.kind,
            "envelope_id": self.envelope_id,
            "header_sha256": self.header_sha256.hex(),
            "org": self.org,
            "key_version": self.key_version,
            "fingerprint": self.fingerprint.hex(),
            "wrapped_key_sha256": self.wrapped_key_sha256.hex(),
            "at": format_time(self.at),
            "signer": self.signer.to_dict(),
        }

    def statement(self) -> bytes:
        return _RECORD_DOMAIN + canonical_json(self.body())

    def to_dict(self) -> JsonObject:
        return {**self.body(), "signature": self.signature.to_dict()}

    @classmethod
    def create(
        cls,
        kind: RecordKind,
        *,
        envelope_id: str,
        header_sha256: bytes,
        recipient: PublicBundle,
        wrapped: WrappedKey,
        signer: PrivateBundle,
        now: datetime,
    ) -> KeyRecord:
        unsigned = cls(
            kind,
            envelope_id,
            header_sha256,
            recipient.org,
            recipient.version,
            recipient.fingerprint,
            wrapped.sha256,
            parse_time(format_time(now), "now"),
            SenderEntry(signer.org, signer.version, signer.public.fingerprint),
            SignaturePair(b"", b""),
        )
        signature = SignaturePair.sign(signer, unsigned.statement())
        return replace(unsigned, signature=signature)

    @classmethod
    def from_dict(cls, value: Any, index: int) -> KeyRecord:
        what = f"key record #{index}"
        if isinstance(value, dict) and "signature" not in value:
            raise BadSignature(f"{what} is not signed")
        doc = expect_object(value, _RECORD_FIELDS, what)
        if doc["kind"] not in ("grant", "rewrap"):
            raise TamperedEnvelope(f"{what} kind must be 'grant' or 'rewrap'")
        signer = expect_object(
            doc["signer"], frozenset({"org", "key_version", "fingerprint"}), what
        )

        def digest(item: object, name: str) -> bytes:
            return bytes.fromhex(expect_str(item, f"{what} {name}", pattern=DIGEST_HEX))

        return cls(
            kind=doc["kind"],
            envelope_id=expect_str(doc["envelope_id"], f"{what} envelope_id", pattern=ENVELOPE_ID),
            header_sha256=digest(doc["header_sha256"], "header_sha256"),
            org=expect_str(doc["org"], f"{what} org", pattern=ORG_PATTERN),
            key_version=expect_int(doc["key_version"], f"{what} key_version", minimum=1),
            fingerprint=digest(doc["fingerprint"], "fingerprint"),
            wrapped_key_sha256=digest(doc["wrapped_key_sha256"], "wrapped_key_sha256"),
            at=parse_time(doc["at"], f"{what} at"),
            signer=SenderEntry(
                expect_str(signer["org"], f"{what} signer org", pattern=ORG_PATTERN),
                expect_int(signer["key_version"], f"{what} signer key_version", minimum=1),
                digest(signer["fingerprint"], "signer fingerprint"),
            ),
            signature=SignaturePair.from_dict(doc["signature"], what),
        )
