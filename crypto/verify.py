"""Offline verification of an envelope: signatures, key records and wrapped-key digests.

Security property: :func:`verify_envelope` needs no private key and establishes that the sender
(at the signed key version, with the fingerprint the header names) signed this header and this
content ciphertext, that every grant is signed by the originator and every re-wrap by the
organisation it re-wraps for, and that every wrapped key present is one of those vouched for.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Literal

from crypto.envelope_format import Envelope
from crypto.errors import BadSignature, TamperedEnvelope
from crypto.header import Header
from crypto.keys import PublicBundle, PublicKeys
from crypto.records import KeyRecord, WrappedKey

__all__ = ["Access", "Verification", "WithOwnKeys", "verify_envelope"]

Via = Literal["header", "grant", "rewrap"]


@dataclass(frozen=True)
class Access:
    """A wrapped key present in an envelope, and the signed statement that authorises it."""

    org: str
    key_version: int
    fingerprint: bytes
    via: Via
    wrapped_key: WrappedKey = field(repr=False)


@dataclass(frozen=True)
class Verification:
    """What :func:`verify_envelope` established: signer, header, and who can open it."""

    header: Header
    sender: PublicBundle
    access: tuple[Access, ...]

    @property
    def shredded(self) -> bool:
        return not self.access

    def is_expired(self, now: datetime) -> bool:
        return self.header.expires_at is not None and now >= self.header.expires_at


class WithOwnKeys:
    """Resolve the opener's own public bundles first (they come from its keystore)."""

    def __init__(self, directory: PublicKeys, own: Iterable[PublicBundle]) -> None:
        self._directory = directory
        self._own = {(b.org, b.version): b for b in own}

    def public_bundle(self, org: str, version: int) -> PublicBundle:
        return self._own.get((org, version)) or self._directory.public_bundle(org, version)


def verify_envelope(envelope: Envelope, directory: PublicKeys) -> Verification:
    """Check the sender's two signatures, every key record and every wrapped key's digest.

    Needs no private key. ``directory`` supplies the sender's bundle at the signed version (and
    the signers of grants and re-wraps). Raises UnknownKeyVersion, BadSignature or
    TamperedEnvelope; returns who may open the envelope. The cheap consistency checks run
    before the signature checks, so a malformed envelope costs little to refuse.
    """
    header = envelope.header
    sender = directory.public_bundle(header.sender.org, header.sender.key_version)
    if sender.fingerprint != header.sender.fingerprint:
        raise BadSignature(
            f"envelope {header.envelope_id} names a {sender.org} v{sender.version} key other "
            "than the one in the directory (fingerprints differ)"
        )
    authorised: dict[tuple[str, int, bytes], tuple[bytes, Via]]
    authorised = {
        (r.org, r.key_version, r.wrapped_key_sha256): (r.fingerprint, "header")
        for r in header.recipients
    }
    signers = []
    for index, record in enumerate(envelope.key_records):
        signers.append(_record_signer(envelope, record, index, directory))
        key = (record.org, record.key_version, record.wrapped_key_sha256)
        authorised.setdefault(key, (record.fingerprint, record.kind))
    access = _authorised_access(envelope, authorised)
    envelope.signature.verify(sender, envelope.signed_statement(), f"envelope {envelope.id}")
    for index, (record, signer) in enumerate(zip(envelope.key_records, signers, strict=True)):
        record.signature.verify(signer, record.statement(), _describe(envelope, record, index))
    return Verification(header, sender, access)


def _authorised_access(
    envelope: Envelope, authorised: dict[tuple[str, int, bytes], tuple[bytes, Via]]
) -> tuple[Access, ...]:
    access = []
    seen = set()
    for wrapped in envelope.wrapped_keys:
        if (wrapped.org, wrapped.key_version) in seen:
            raise TamperedEnvelope(
                f"envelope holds two keys for {wrapped.org} v{wrapped.key_version}"
            )
        seen.add((wrapped.org, wrapped.key_version))
        found = authorised.get((wrapped.org, wrapped.key_version, wrapped.sha256))
        if found is None:
            raise TamperedEnvelope(
                f"the wrapped key for {wrapped.org} v{wrapped.key_version} is not one the sender "
                "or a signed record vouches for"
            )
        access.append(Access(wrapped.org, wrapped.key_version, found[0], found[1], wrapped))
    return tuple(access)


def _describe(envelope: Envelope, record: KeyRecord, index: int) -> str:
    return f"{record.kind} record #{index} of envelope {envelope.id}"


def _record_signer(
    envelope: Envelope, record: KeyRecord, index: int, keys: PublicKeys
) -> PublicBundle:
    """Check who may have signed ``record`` and find that key; the signature is checked later."""
    what = _describe(envelope, record, index)
    if record.envelope_id != envelope.id or record.header_sha256 != envelope.header_sha256:
        raise TamperedEnvelope(f"{what} belongs to another envelope")
    if record.kind == "grant" and record.signer.org != envelope.header.sender.org:
        raise BadSignature(
            f"{what} is signed by {record.signer.org}, not by the originator "
            f"{envelope.header.sender.org}"
        )
    if record.kind == "rewrap" and (record.signer.org, record.signer.key_version) != (
        record.org,
        record.key_version,
    ):
        raise BadSignature(f"{what} must be signed by {record.org} v{record.key_version} itself")
    signer = keys.public_bundle(record.signer.org, record.signer.key_version)
    if signer.fingerprint != record.signer.fingerprint:
        raise BadSignature(f"{what} names a signing key other than the directory's")
    return signer
