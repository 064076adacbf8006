"""Signed webhook deliveries: the portal signs, a receiver verifies offline.

The portal's webhook key is derived from its master key (as the audit checkpoint key is, for
another purpose), so it is the same on every process and never stored. A delivery carries:

``Ischia-Signature: t=<unix seconds>, kid=<key id>, ed25519=<base64url>, mldsa65=<base64url>``

Both signatures are over the same message::

    b"ischia-webhook/v1\\n" + t (ASCII decimal) + b"\\n" + the request body, byte for byte

The key id is the first 16 hexadecimal digits of SHA-256(Ed25519 public key || ML-DSA-65
public key). The portal publishes its public key as JSON (:meth:`WebhookPublicKey.to_json`):
``{"kid": ..., "ed25519": <base64url>, "ml_dsa_65": <base64url>, "algorithm":
"ed25519+ml-dsa-65"}``. A receiver fetches it once, out of band, and then calls
:func:`verify` on each request: both signatures must verify, the key id must match, and the
timestamp must be within ``tolerance`` seconds (300 by default) of the receiver's clock, so
a captured request cannot be replayed later. A receiver that also wants to refuse a replay
inside those five minutes keeps the ``Ischia-Delivery`` ids it has seen for that long.
"""

from __future__ import annotations

import base64
import hashlib
import json
import re
from dataclasses import dataclass

from crypto.primitives import HybridSigner, HybridVerifier, SignatureRejected
from crypto.secretbox import derive_key

__all__ = [
    "ALGORITHM",
    "SIGNATURE_HEADER",
    "WebhookPublicKey",
    "WebhookSignatureError",
    "WebhookSigner",
    "signature_header",
    "verify",
]

ALGORITHM = "ed25519+ml-dsa-65"
SIGNATURE_HEADER = "Ischia-Signature"
DEFAULT_TOLERANCE = 300
_DOMAIN = b"ischia-webhook/v1\n"
_PURPOSE = b"webhook-signing"
_PART = re.compile(r"^\s*([a-z0-9]+)=([A-Za-z0-9_\-=]+)\s*$")


class WebhookSignatureError(Exception):
    """The delivery is not one the portal signed with this key, now."""


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).decode("ascii").rstrip("=")


def _unb64(text: str) -> bytes:
    try:
        return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
    except (ValueError, TypeError) as error:
        raise WebhookSignatureError("a signature part is not base64url") from error


def message(timestamp: int, body: bytes) -> bytes:
    """What is signed: the domain, the timestamp and the body."""
    return _DOMAIN + str(int(timestamp)).encode("ascii") + b"\n" + body


@dataclass(frozen=True)
class WebhookPublicKey:
    ed25519: bytes
    ml_dsa_65: bytes

    @property
    def kid(self) -> str:
        return hashlib.sha256(self.ed25519 + self.ml_dsa_65).hexdigest()[:16]

    def to_json(self) -> str:
        return json.dumps(
            {
                "kid": self.kid,
                "algorithm": ALGORITHM,
                "ed25519": _b64(self.ed25519),
                "ml_dsa_65": _b64(self.ml_dsa_65),
            },
            sort_keys=True,
        )

    @classmethod
    def from_json(cls, text: str | bytes) -> WebhookPublicKey:
        """The key as published; WebhookSignatureError for anything else."""
        try:
            doc = json.loads(text)
            key = cls(_unb64(str(doc["ed25519"])), _unb64(str(doc["ml_dsa_65"])))
        except (ValueError, KeyError, TypeError) as error:
            raise WebhookSignatureError("this is not a published webhook key") from error
        if doc.get("algorithm") != ALGORITHM or doc.get("kid") != key.kid:
            raise WebhookSignatureError("the key's algorithm or id does not match its keys")
        return key


class WebhookSigner:
    """The portal's webhook key pair, derived from the master key."""

    __slots__ = ("_signer", "public_key")

    def __init__(self, master_key: bytes) -> None:
        self._signer = HybridSigner(
            derive_key(master_key, _PURPOSE + b"/ed25519"),
            derive_key(master_key, _PURPOSE + b"/ml-dsa-65"),
        )
        self.public_key = WebhookPublicKey(*self._signer.public_bytes)

    def sign(self, body: bytes, timestamp: int) -> str:
        """The ``Ischia-Signature`` header value for ``body`` sent at ``timestamp``."""
        ed, ml = self._signer.sign(message(timestamp, body))
        return signature_header(int(timestamp), self.public_key.kid, ed, ml)


def signature_header(timestamp: int, kid: str, ed25519: bytes, mldsa65: bytes) -> str:
    return f"t={timestamp}, kid={kid}, ed25519={_b64(ed25519)}, mldsa65={_b64(mldsa65)}"


def _parts(header: str) -> dict[str, str]:
    parts: dict[str, str] = {}
    for piece in (header or "").split(","):
        match = _PART.match(piece)
        if match is None or match.group(1) in parts:
            raise WebhookSignatureError(f"the {SIGNATURE_HEADER} header is malformed")
        parts[match.group(1)] = match.group(2)
    if set(parts) != {"t", "kid", "ed25519", "mldsa65"}:
        raise WebhookSignatureError(f"the {SIGNATURE_HEADER} header lacks a part")
    return parts


def verify(
    header: str,
    body: bytes,
    key: WebhookPublicKey,
    *,
    now: float,
    tolerance: int = DEFAULT_TOLERANCE,
) -> int:
    """Check a delivery offline; returns its timestamp. ``now`` is the receiver's clock (Unix
    seconds). Raises :class:`WebhookSignatureError` if the header is malformed, the key id is
    another, the time is more than ``tolerance`` seconds away, or either signature fails."""
    parts = _parts(header)
    if not parts["t"].isdigit() or len(parts["t"]) > 12:
        raise WebhookSignatureError("the timestamp is not a number of seconds")
    timestamp = int(parts["t"])
    if parts["kid"] != key.kid:
        raise WebhookSignatureError("signed with another key than the one given")
    if abs(now - timestamp) > tolerance:
        raise WebhookSignatureError(
            f"the delivery was signed {int(now - timestamp)} s from now: refused as a replay"
        )
    try:
        HybridVerifier(key.ed25519, key.ml_dsa_65).verify(
            message(timestamp, body), _unb64(parts["ed25519"]), _unb64(parts["mldsa65"])
        )
    except (SignatureRejected, ValueError) as error:
        raise WebhookSignatureError(f"the signature does not verify ({error})") from error
    return timestamp
