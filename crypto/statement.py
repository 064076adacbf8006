"""Signed statements: an organisation vouches for a small JSON document, verifiable offline.

Security property: :func:`verify_statement` accepts a statement only if both the Ed25519 and
the ML-DSA-65 signature of the named organisation's key version verify over the domain string
and the RFC 8785 encoding of the claims. The domain string separates uses (a briefing
statement can never pass as an envelope header or as another kind of statement), and the
signer's key fingerprint is signed too, so a statement cannot be re-attributed to another
key version.

Examples
--------
>>> from datetime import UTC, datetime
>>> from crypto.keys import PrivateBundle
>>> key = PrivateBundle.generate("FR", now=datetime(2026, 1, 1, tzinfo=UTC))
>>> signed = sign_statement("ischia/example/v1", {"copy": "c1"}, key)
>>> verify_statement(SignedStatement.from_json(signed.to_json()), "ischia/example/v1",
...                  key.public)["copy"]
'c1'
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from crypto.canonical import (
    JsonObject,
    b64decode,
    b64encode,
    canonical_json,
    expect_int,
    expect_object,
    expect_str,
    strict_loads,
)
from crypto.errors import BadSignature, TamperedEnvelope
from crypto.keys import ORG_PATTERN, PrivateBundle, PublicKeys
from crypto.primitives import SignatureRejected

__all__ = ["SignedStatement", "sign_statement", "verify_statement"]

_KIND = "ischia-signed-statement/v1"
_FIELDS = frozenset({"kind", "domain", "org", "key_version", "fingerprint", "claims", "signatures"})
_SIGNATURE_FIELDS = frozenset({"ed25519", "ml_dsa_65"})


@dataclass(frozen=True)
class SignedStatement:
    """Claims, who signed them (organisation, key version, fingerprint) and both signatures."""

    domain: str
    org: str
    key_version: int
    fingerprint: bytes
    claims: JsonObject
    ed25519: bytes = field(repr=False)
    ml_dsa_65: bytes = field(repr=False)

    def signed_bytes(self) -> bytes:
        return _message(self.domain, self.org, self.key_version, self.fingerprint, self.claims)

    def to_dict(self) -> JsonObject:
        return {
            "kind": _KIND,
            "domain": self.domain,
            "org": self.org,
            "key_version": self.key_version,
            "fingerprint": b64encode(self.fingerprint),
            "claims": dict(self.claims),
            "signatures": {
                "ed25519": b64encode(self.ed25519),
                "ml_dsa_65": b64encode(self.ml_dsa_65),
            },
        }

    def to_json(self) -> str:
        return canonical_json(self.to_dict()).decode("utf-8")

    @classmethod
    def from_json(cls, text: str | bytes) -> SignedStatement:
        """Parse a statement; :class:`TamperedEnvelope` when it is not one."""
        top = expect_object(strict_loads(text, "signed statement"), _FIELDS, "signed statement")
        if top["kind"] != _KIND:
            raise TamperedEnvelope(f"signed statement must say kind={_KIND!r}")
        claims = top["claims"]
        if not isinstance(claims, dict):
            raise TamperedEnvelope("signed statement claims must be an object")
        try:
            canonical_json(claims)  # what cannot be canonicalised cannot have been signed
        except Exception as error:
            raise TamperedEnvelope("signed statement claims are not canonical JSON") from error
        signatures = expect_object(top["signatures"], _SIGNATURE_FIELDS, "statement signatures")
        return cls(
            domain=expect_str(top["domain"], "statement domain"),
            org=expect_str(top["org"], "statement org", pattern=ORG_PATTERN),
            key_version=expect_int(top["key_version"], "statement key version", minimum=1),
            fingerprint=b64decode(top["fingerprint"], "statement fingerprint"),
            claims=claims,
            ed25519=b64decode(signatures["ed25519"], "ed25519 signature"),
            ml_dsa_65=b64decode(signatures["ml_dsa_65"], "ml_dsa_65 signature"),
        )


def _message(
    domain: str, org: str, version: int, fingerprint: bytes, claims: Mapping[str, Any]
) -> bytes:
    head = {"domain": domain, "org": org, "key_version": version, "fingerprint": fingerprint.hex()}
    return b"ischia/statement/v1\x00" + canonical_json({"signer": head, "claims": dict(claims)})


def sign_statement(
    domain: str, claims: Mapping[str, Any], signer: PrivateBundle
) -> SignedStatement:
    """Sign ``claims`` (JSON values, no floats) for ``domain`` with ``signer``'s keys."""
    public = signer.public
    message = _message(domain, signer.org, signer.version, public.fingerprint, claims)
    ed, ml = signer.signer.sign(message)
    # Round-trip through JSON so the claims are exactly what a verifier will parse.
    parsed = json.loads(canonical_json(dict(claims)))
    return SignedStatement(domain, signer.org, signer.version, public.fingerprint, parsed, ed, ml)


def verify_statement(statement: SignedStatement, domain: str, keys: PublicKeys) -> JsonObject:
    """The claims, if ``statement`` was signed for ``domain`` by the key it names.

    Raises :class:`BadSignature` when the domain, the fingerprint or either signature does
    not match, and :class:`~crypto.errors.UnknownKeyVersion` when ``keys`` lacks the key.
    """
    if statement.domain != domain:
        raise BadSignature(f"statement is for {statement.domain!r}, not {domain!r}")
    public = keys.public_bundle(statement.org, statement.key_version)
    if public.fingerprint != statement.fingerprint:
        raise BadSignature("statement names a key fingerprint that is not the signer's")
    try:
        public.verifier.verify(statement.signed_bytes(), statement.ed25519, statement.ml_dsa_65)
    except SignatureRejected:
        raise BadSignature(f"statement signature by {statement.org} does not verify") from None
    return statement.claims
