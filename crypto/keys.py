"""Organisation key bundles: versioned hybrid encryption and signing keys, and their fingerprints.

An organisation's bundle at version *n* holds an encryption key (ML-KEM-768 + X25519, used
through HPKE) and a signing key (Ed25519 + ML-DSA-65). The private bundle is one 32-byte seed from
which HKDF-SHA256 derives the four component keys, so it is small to seal and store; the public
bundle is a small JSON document whose SHA-256 over its RFC 8785 form is the bundle's fingerprint.

Security property: the fingerprint covers the organisation, the version, the creation time and all
four public keys, so two people who read the same 60 digits to each other over the phone know
they hold the same keys (192 bits of the digest are shown: a forger needs a second preimage).

Examples
--------
>>> from datetime import datetime, UTC
>>> bundle = PrivateBundle.from_seed(bytes(32), "FR", 1, datetime(2026, 1, 1, tzinfo=UTC))
>>> bundle.public.fingerprint_text[:11]
'59185 44481'
>>> PublicBundle.from_json(bundle.public.to_json()) == bundle.public
True
"""

from __future__ import annotations

import hashlib
import json
import re
import secrets
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from functools import cached_property
from typing import Any, Protocol

from crypto.canonical import (
    JsonObject,
    b64decode,
    b64encode,
    canonical_json,
    expect_int,
    expect_list,
    expect_object,
    expect_str,
    format_time,
    parse_time,
    strict_loads,
)
from crypto.errors import TamperedEnvelope, UnknownKeyVersion
from crypto.primitives import (
    MLKEM768_SEED_BYTES,
    HybridSigner,
    HybridVerifier,
    KemPrivateKey,
    KemPublicKey,
    hkdf_sha256,
)

__all__ = [
    "ORG_PATTERN",
    "Directory",
    "PrivateBundle",
    "PublicBundle",
    "PublicKeys",
    "format_fingerprint",
]

ORG_PATTERN = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]{0,63}")
SEED_BYTES = 32
_PUBLIC_KIND = "ischia-org-public-key/1"
_PRIVATE_KIND = "ischia-org-private-key/1"
_DIRECTORY_KIND = "ischia-public-keys/1"
_KEY_LENGTHS = {"ml_kem_768": 1184, "x25519": 32, "ed25519": 32, "ml_dsa_65": 1952}
_PUBLIC_FIELDS = frozenset({"bundle", "org", "version", "created_at", "encryption", "signing"})
_ENCRYPTION_FIELDS = frozenset({"algorithm", "ml_kem_768", "x25519"})
_SIGNING_FIELDS = frozenset({"algorithm", "ed25519", "ml_dsa_65"})
_PRIVATE_FIELDS = frozenset({"bundle", "org", "version", "created_at", "seed"})
_ENCRYPTION_ALGORITHM = "ML-KEM-768+X25519"
_SIGNING_ALGORITHM = "Ed25519+ML-DSA-65"


def format_fingerprint(digest: bytes) -> str:
    """Twelve groups of five digits, each group one 16-bit slice of ``digest`` (192 bits shown).

    >>> format_fingerprint(bytes(range(32)))
    '00001 00515 01029 01543 02057 02571 03085 03599 04113 04627 05141 05655'
    """
    if len(digest) < 24:
        raise ValueError("a fingerprint needs at least 24 bytes of digest")
    return " ".join(f"{int.from_bytes(digest[i : i + 2], 'big'):05d}" for i in range(0, 24, 2))


def _check_identity(org: str, version: int) -> None:
    if not isinstance(org, str) or not ORG_PATTERN.fullmatch(org):
        raise ValueError("organisation code must be 1-64 letters, digits, '_', '.' or '-'")
    if type(version) is not int or not 1 <= version <= 2**31:
        raise ValueError("key version must be a positive integer")


def _whole_seconds(moment: datetime) -> datetime:
    # Bundles carry second-precision UTC times; normalising here keeps equality and
    # fingerprints stable across a JSON round trip.
    return parse_time(format_time(moment), "created_at")


@dataclass(frozen=True)
class PublicBundle:
    """The public half of an organisation's keys at one version."""

    org: str
    version: int
    created_at: datetime
    ml_kem_768: bytes = field(repr=False)
    x25519: bytes = field(repr=False)
    ed25519: bytes = field(repr=False)
    ml_dsa_65: bytes = field(repr=False)

    def __post_init__(self) -> None:
        _check_identity(self.org, self.version)
        object.__setattr__(self, "created_at", _whole_seconds(self.created_at))
        for name, length in _KEY_LENGTHS.items():
            if len(getattr(self, name)) != length:
                raise ValueError(f"{name} public key must be {length} bytes")

    def to_dict(self) -> JsonObject:
        return {
            "bundle": _PUBLIC_KIND,
            "org": self.org,
            "version": self.version,
            "created_at": format_time(self.created_at),
            "encryption": {
                "algorithm": _ENCRYPTION_ALGORITHM,
                "ml_kem_768": b64encode(self.ml_kem_768),
                "x25519": b64encode(self.x25519),
            },
            "signing": {
                "algorithm": _SIGNING_ALGORITHM,
                "ed25519": b64encode(self.ed25519),
                "ml_dsa_65": b64encode(self.ml_dsa_65),
            },
        }

    def to_json(self) -> str:
        return json.dumps(self.to_dict(), indent=2)

    @classmethod
    def from_dict(cls, doc: object) -> PublicBundle:
        """Parse a public bundle document; raises :class:`TamperedEnvelope` if malformed."""
        top = expect_object(doc, _PUBLIC_FIELDS, "public key bundle")
        if top["bundle"] != _PUBLIC_KIND:
            raise TamperedEnvelope(f"public key bundle must say bundle={_PUBLIC_KIND!r}")
        enc = expect_object(top["encryption"], _ENCRYPTION_FIELDS, "public bundle encryption")
        sig = expect_object(top["signing"], _SIGNING_FIELDS, "public bundle signing")
        if enc["algorithm"] != _ENCRYPTION_ALGORITHM or sig["algorithm"] != _SIGNING_ALGORITHM:
            raise TamperedEnvelope("public key bundle names algorithms this library lacks")
        try:
            return cls(
                org=expect_str(top["org"], "bundle org", pattern=ORG_PATTERN),
                version=expect_int(top["version"], "bundle version", minimum=1),
                created_at=parse_time(top["created_at"], "bundle created_at"),
                ml_kem_768=b64decode(enc["ml_kem_768"], "ml_kem_768 public key"),
                x25519=b64decode(enc["x25519"], "x25519 public key"),
                ed25519=b64decode(sig["ed25519"], "ed25519 public key"),
                ml_dsa_65=b64decode(sig["ml_dsa_65"], "ml_dsa_65 public key"),
            )
        except ValueError as exc:
            raise TamperedEnvelope(f"public key bundle is invalid: {exc}") from None

    @classmethod
    def from_json(cls, text: str | bytes) -> PublicBundle:
        return cls.from_dict(strict_loads(text, "public key bundle"))

    @cached_property
    def fingerprint(self) -> bytes:
        """SHA-256 over the RFC 8785 encoding of :meth:`to_dict`."""
        return hashlib.sha256(canonical_json(self.to_dict())).digest()

    @property
    def fingerprint_hex(self) -> str:
        return self.fingerprint.hex()

    @property
    def fingerprint_text(self) -> str:
        """The fingerprint as people compare it: twelve groups of five digits."""
        return format_fingerprint(self.fingerprint)

    @cached_property
    def encryption_key(self) -> KemPublicKey:
        return KemPublicKey(self.ml_kem_768, self.x25519)

    @cached_property
    def verifier(self) -> HybridVerifier:
        return HybridVerifier(self.ed25519, self.ml_dsa_65)

    def public_bundle(self, org: str, version: int) -> PublicBundle:
        """A bundle is a directory of one (see :class:`PublicKeys`)."""
        if (org, version) != (self.org, self.version):
            raise UnknownKeyVersion(
                f"no public key for {org} v{version} (only {self.org} v{self.version})"
            )
        return self


def _component_seeds(seed: bytes) -> tuple[bytes, bytes, bytes, bytes]:
    def derive(name: bytes, length: int) -> bytes:
        return hkdf_sha256(seed, b"ischia/org-key/v1/" + name, length)

    return (
        derive(b"ml-kem-768", MLKEM768_SEED_BYTES),
        derive(b"x25519", 32),
        derive(b"ed25519", 32),
        derive(b"ml-dsa-65", 32),
    )


@dataclass(frozen=True)
class PrivateBundle:
    """An organisation's private keys at one version, as the 32-byte seed they derive from.

    Security property: the seed is the whole secret; it is kept out of ``repr`` and is only
    written out by :meth:`to_json`, whose output the keystore seals under the master key.
    """

    org: str
    version: int
    created_at: datetime
    seed: bytes = field(repr=False)

    def __post_init__(self) -> None:
        _check_identity(self.org, self.version)
        object.__setattr__(self, "created_at", _whole_seconds(self.created_at))
        if len(self.seed) != SEED_BYTES:
            raise ValueError(f"a private bundle seed is {SEED_BYTES} bytes")

    @classmethod
    def generate(cls, org: str, *, version: int = 1, now: datetime) -> PrivateBundle:
        """A fresh bundle from the operating system's CSPRNG."""
        return cls(org, version, now, secrets.token_bytes(SEED_BYTES))

    @classmethod
    def from_seed(cls, seed: bytes, org: str, version: int, created_at: datetime) -> PrivateBundle:
        """A bundle from a known seed (test vectors, restores)."""
        return cls(org, version, created_at, seed)

    @cached_property
    def _keys(self) -> tuple[KemPrivateKey, HybridSigner]:
        mlkem_seed, x_key, ed_seed, ml_seed = _component_seeds(self.seed)
        return KemPrivateKey(mlkem_seed, x_key), HybridSigner(ed_seed, ml_seed)

    @property
    def decryption_key(self) -> KemPrivateKey:
        return self._keys[0]

    @property
    def signer(self) -> HybridSigner:
        return self._keys[1]

    @cached_property
    def public(self) -> PublicBundle:
        ml_kem_768, x_public = self.decryption_key.public_bytes
        ed_public, ml_public = self.signer.public_bytes
        return PublicBundle(
            self.org, self.version, self.created_at, ml_kem_768, x_public, ed_public, ml_public
        )

    def to_json(self) -> str:
        """The secret form: whoever holds this text holds the organisation's keys."""
        return json.dumps(
            {
                "bundle": _PRIVATE_KIND,
                "org": self.org,
                "version": self.version,
                "created_at": format_time(self.created_at),
                "seed": b64encode(self.seed),
            },
            indent=2,
        )

    @classmethod
    def from_json(cls, text: str | bytes) -> PrivateBundle:
        return cls.from_dict(strict_loads(text, "private key bundle"))

    @classmethod
    def from_dict(cls, value: object) -> PrivateBundle:
        doc = expect_object(value, _PRIVATE_FIELDS, "private key bundle")
        if doc["bundle"] != _PRIVATE_KIND:
            raise TamperedEnvelope(f"private key bundle must say bundle={_PRIVATE_KIND!r}")
        try:
            return cls(
                org=expect_str(doc["org"], "bundle org", pattern=ORG_PATTERN),
                version=expect_int(doc["version"], "bundle version", minimum=1),
                created_at=parse_time(doc["created_at"], "bundle created_at"),
                seed=b64decode(doc["seed"], "private key seed"),
            )
        except ValueError as exc:
            raise TamperedEnvelope(f"private key bundle is invalid: {exc}") from None


class PublicKeys(Protocol):
    """Where verification finds an organisation's public bundle at a given version.

    Implementations raise :class:`~crypto.errors.UnknownKeyVersion` when they hold none. A
    :class:`PublicBundle`, a :class:`Directory` and the keystore all satisfy it.
    """

    def public_bundle(self, org: str, version: int) -> PublicBundle: ...


class Directory:
    """Public bundles of many organisations and versions, e.g. exported for offline checks."""

    def __init__(self, bundles: Iterable[PublicBundle] = ()) -> None:
        self._bundles: dict[tuple[str, int], PublicBundle] = {}
        for bundle in bundles:
            self.add(bundle)

    def add(self, bundle: PublicBundle) -> None:
        known = self._bundles.get((bundle.org, bundle.version))
        if known is not None and known != bundle:
            raise ValueError(f"two different bundles claim to be {bundle.org} v{bundle.version}")
        self._bundles[bundle.org, bundle.version] = bundle

    def public_bundle(self, org: str, version: int) -> PublicBundle:
        try:
            return self._bundles[org, version]
        except KeyError:
            raise UnknownKeyVersion(
                f"the directory holds no public key for {org} v{version}"
            ) from None

    def latest(self, org: str) -> PublicBundle:
        """The highest version known for ``org``: the one to seal new envelopes to."""
        versions = [b for (o, _), b in self._bundles.items() if o == org]
        if not versions:
            raise UnknownKeyVersion(f"the directory holds no public key for {org}")
        return max(versions, key=lambda b: b.version)

    def __iter__(self) -> Iterator[PublicBundle]:
        return iter(sorted(self._bundles.values(), key=lambda b: (b.org, b.version)))

    def __len__(self) -> int:
        return len(self._bundles)

    def to_json(self) -> str:
        return json.dumps(
            {"directory": _DIRECTORY_KIND, "bundles": [b.to_dict() for b in self]}, indent=2
        )

    @classmethod
    def from_json(cls, text: str | bytes) -> Directory:
        """Read :meth:`to_json` output, or a bare JSON array of public bundles."""
        doc: Any = strict_loads(text, "public key directory")
        if isinstance(doc, Mapping):
            doc = expect_object(doc, frozenset({"directory", "bundles"}), "public key directory")
            if doc["directory"] != _DIRECTORY_KIND:
                raise TamperedEnvelope(f"directory must say directory={_DIRECTORY_KIND!r}")
            doc = doc["bundles"]
        bundles = expect_list(doc, "public key directory bundles")
        try:
            return cls(PublicBundle.from_dict(item) for item in bundles)
        except ValueError as exc:
            raise TamperedEnvelope(f"public key directory is inconsistent: {exc}") from None
