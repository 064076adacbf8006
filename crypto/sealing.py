"""Sealing and opening envelopes: encrypt once, wrap the content key per recipient, sign twice.

:func:`seal` encrypts the payload once with AES-256-GCM under a key derived from a fresh random
256-bit content key (associated data: the canonical header), HPKE-wraps the content key
(ML-KEM-768+X25519, HKDF-SHA256, AES-256-GCM) for every recipient and for the sender, streams
attachments (:mod:`crypto.stream`), and signs with Ed25519 and ML-DSA-65 the statement that
:mod:`crypto.envelope_format` defines. The HPKE ``info`` binds suite, envelope id, organisation,
key version and key fingerprint.

Security property: :func:`open_envelope` verifies both signatures, every key record and every
wrapped key's digest (:func:`~crypto.verify.verify_envelope`) before it decrypts anything; a
wrapped key moved to another envelope or recipient matches no signed digest and would not open
under another ``info`` anyway; an altered suite string is refused, never reinterpreted.
"""

from __future__ import annotations

import secrets
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime

from crypto.canonical import format_time, parse_time
from crypto.envelope_format import Envelope, envelope_statement
from crypto.errors import (
    EnvelopeExpired,
    NotARecipient,
    Shredded,
    TamperedEnvelope,
    UnknownKeyVersion,
)
from crypto.header import (
    ATTACHMENT_CHUNK_SIZE,
    ENVELOPE_ID,
    MARKINGS,
    SUITE_V1,
    AttachmentEntry,
    Header,
    RecipientEntry,
    Scalar,
    SenderEntry,
    check_fields,
)
from crypto.keys import PrivateBundle, PublicBundle, PublicKeys
from crypto.primitives import AES_KEY_BYTES, Aes256Gcm, AuthenticationFailed, hkdf_sha256
from crypto.records import SignaturePair, WrappedKey
from crypto.stream import Readable, StreamSummary, Writable, decrypt_stream, encrypt_stream
from crypto.verify import Verification, WithOwnKeys, verify_envelope

__all__ = ["Keyring", "Opened", "open_envelope", "seal"]

_WRAP_DOMAIN = b"ischia/content-key/v1\x00"
Keyring = PrivateBundle | Iterable[PrivateBundle]


@dataclass(frozen=True)
class Opened:
    """A verified, decrypted envelope. Holds the content key to open its attachments."""

    header: Header
    payload: bytes = field(repr=False)
    verification: Verification
    content_key: bytes = field(repr=False)

    def attachment(self, index: int, source: Readable) -> Iterator[bytes]:
        """Plaintext chunks of attachment ``index`` read from its ciphertext ``source``.

        Raises TamperedEnvelope, possibly only at the end: discard what was consumed then.
        """
        entry = self._entry(index)
        return decrypt_stream(
            _attachment_key(self.content_key, self.header.envelope_id, index),
            source,
            expected=StreamSummary(entry.length, entry.chunks, entry.sha256),
            chunk_size=entry.chunk_size,
        )

    def save_attachment(self, index: int, source: Readable, destination: Writable) -> int:
        """Decrypt attachment ``index`` into ``destination``; returns the bytes written."""
        written = 0
        for chunk in self.attachment(index, source):
            destination.write(chunk)
            written += len(chunk)
        return written

    def _entry(self, index: int) -> AttachmentEntry:
        if not 0 <= index < len(self.header.attachments):
            raise IndexError(f"envelope has {len(self.header.attachments)} attachment(s)")
        return self.header.attachments[index]


def keyring_of(bundles: Keyring) -> dict[int, PrivateBundle]:
    items = [bundles] if isinstance(bundles, PrivateBundle) else list(bundles)
    if not items:
        raise ValueError("no private key bundle was given")
    if len({b.org for b in items}) != 1:
        raise ValueError("a key ring holds the bundles of one organisation")
    return {b.version: b for b in items}


def _wrap_info(suite: str, envelope_id: str, org: str, version: int, fingerprint: bytes) -> bytes:
    # Every part is ASCII without NUL (the suite is a registered constant, the id and the
    # fingerprint hexadecimal, the organisation matches ORG_PATTERN), so NUL separators make the
    # encoding unambiguous; it is built per recipient, where RFC 8785 would cost 10x more.
    parts = (suite, envelope_id, org, str(version), fingerprint.hex())
    return _WRAP_DOMAIN + "\x00".join(parts).encode("ascii")


def _body_key(content_key: bytes, envelope_id: str) -> bytes:
    return hkdf_sha256(content_key, b"ischia/v1/body\x00" + envelope_id.encode())


def _attachment_key(content_key: bytes, envelope_id: str, index: int) -> bytes:
    info = b"ischia/v1/attachment\x00" + envelope_id.encode() + b"\x00" + str(index).encode()
    return hkdf_sha256(content_key, info)


def wrap_content_key(
    content_key: bytes, suite: str, envelope_id: str, to: PublicBundle
) -> WrappedKey:
    info = _wrap_info(suite, envelope_id, to.org, to.version, to.fingerprint)
    return WrappedKey(to.org, to.version, to.encryption_key.wrap(content_key, info))


def seal(
    payload: bytes,
    *,
    sender: PrivateBundle,
    recipients: Iterable[PublicBundle],
    marking: str,
    now: datetime,
    expires_at: datetime | None = None,
    fields: Mapping[str, Scalar] | None = None,
    attachments: Sequence[tuple[Readable, Writable]] = (),
    envelope_id: str | None = None,
) -> Envelope:
    """Encrypt ``payload`` once and wrap its key for each recipient and for the sender.

    Each ``attachments`` item is a ``(plaintext source, ciphertext destination)`` pair, streamed
    in 1 MiB chunks. ``fields`` travel in clear: routing metadata only
    (see :func:`~crypto.header.check_fields`).
    Raises :class:`ValueError` for bad arguments.
    """
    return _seal(
        payload,
        sender=sender,
        recipients=recipients,
        marking=marking,
        now=now,
        expires_at=expires_at,
        fields=fields or {},
        attachments=attachments,
        envelope_id=envelope_id or secrets.token_hex(16),
        content_key=secrets.token_bytes(AES_KEY_BYTES),
        nonce=secrets.token_bytes(12),
    )


def _seal(
    payload: bytes,
    *,
    sender: PrivateBundle,
    recipients: Iterable[PublicBundle],
    marking: str,
    now: datetime,
    expires_at: datetime | None,
    fields: Mapping[str, Scalar],
    attachments: Sequence[tuple[Readable, Writable]],
    envelope_id: str,
    content_key: bytes,
    nonce: bytes,
) -> Envelope:
    if marking not in MARKINGS:
        raise ValueError(f"marking must be one of {', '.join(MARKINGS)}")
    if not ENVELOPE_ID.fullmatch(envelope_id):
        raise ValueError("envelope_id must be 32 lowercase hexadecimal digits")
    created_at = parse_time(format_time(now), "now")
    if expires_at is not None and expires_at <= created_at:
        raise ValueError("expires_at must be later than now")
    targets = {sender.org: sender.public}
    for bundle in recipients:
        if targets.get(bundle.org, bundle) != bundle:
            raise ValueError(f"organisation {bundle.org} is listed twice with different keys")
        targets[bundle.org] = bundle
    wrapped = tuple(
        wrap_content_key(content_key, SUITE_V1, envelope_id, targets[org])
        for org in sorted(targets)
    )
    sealed_attachments = []
    for index, (source, destination) in enumerate(attachments):
        key = _attachment_key(content_key, envelope_id, index)
        summary = encrypt_stream(key, source, destination, chunk_size=ATTACHMENT_CHUNK_SIZE)
        sealed_attachments.append(
            AttachmentEntry(summary.length, ATTACHMENT_CHUNK_SIZE, summary.chunks, summary.sha256)
        )
    header = Header(
        suite=SUITE_V1,
        envelope_id=envelope_id,
        sender=SenderEntry(sender.org, sender.version, sender.public.fingerprint),
        recipients=tuple(
            RecipientEntry(w.org, w.key_version, targets[w.org].fingerprint, w.sha256)
            for w in wrapped
        ),
        marking=marking,
        created_at=created_at,
        expires_at=None if expires_at is None else parse_time(format_time(expires_at), "expiry"),
        content_nonce=nonce,
        attachments=tuple(sealed_attachments),
        fields=check_fields(fields),
    )
    header_bytes = header.canonical()
    content = Aes256Gcm(_body_key(content_key, envelope_id)).encrypt(nonce, payload, header_bytes)
    signature = SignaturePair.sign(sender, envelope_statement(content, header_bytes))
    return Envelope(header_bytes, signature, content, wrapped)


def unwrap_content_key(
    envelope: Envelope,
    keyring: dict[int, PrivateBundle],
    directory: PublicKeys,
    *,
    now: datetime | None,
) -> tuple[Verification, bytes]:
    """Verify ``envelope``, then unwrap the key ring's organisation's copy of the content key.

    With ``now``, an expired envelope is refused before anything is unwrapped.
    """
    own = (bundle.public for bundle in keyring.values())
    verification = verify_envelope(envelope, WithOwnKeys(directory, own))
    if now is not None and verification.is_expired(now):
        raise EnvelopeExpired(f"envelope {envelope.id} expired; it can no longer be opened")
    org = next(iter(keyring.values())).org
    if verification.shredded:
        raise Shredded(f"envelope {envelope.id} was shredded: no content key remains")
    mine = [a for a in verification.access if a.org == org]
    if not mine:
        raise NotARecipient(f"{org} is not a recipient of envelope {envelope.id}")
    usable = [a for a in mine if a.key_version in keyring]
    if not usable:
        held = ", ".join(f"v{a.key_version}" for a in mine)
        have = ", ".join(f"v{v}" for v in sorted(keyring))
        raise UnknownKeyVersion(
            f"envelope {envelope.id} holds {org}'s content key for {held}; the key ring has {have}"
        )
    access = max(usable, key=lambda a: a.key_version)
    bundle = keyring[access.key_version]
    if bundle.public.fingerprint != access.fingerprint:
        raise UnknownKeyVersion(
            f"envelope {envelope.id} was wrapped for another {org} v{access.key_version} key "
            "than the one at hand (fingerprints differ)"
        )
    info = _wrap_info(envelope.header.suite, envelope.id, org, bundle.version, access.fingerprint)
    try:
        content_key = bundle.decryption_key.unwrap(access.wrapped_key.enc, info)
    except AuthenticationFailed:
        raise TamperedEnvelope(
            f"the content key wrapped for {org} v{bundle.version} does not open"
        ) from None
    if len(content_key) != AES_KEY_BYTES:
        raise TamperedEnvelope(f"the content key wrapped for {org} has the wrong length")
    return verification, content_key


def open_envelope(
    envelope: Envelope, *, recipient: Keyring, directory: PublicKeys, now: datetime
) -> Opened:
    """Verify, then decrypt ``envelope`` for the organisation whose private bundle(s) are given.

    ``recipient`` is one private bundle or all live versions of one organisation's bundles (a
    key ring, as during key rotation). ``directory`` may be the sender's public bundle itself.
    Raises NotARecipient, Shredded, UnknownKeyVersion, BadSignature, TamperedEnvelope,
    UnsupportedSuite or EnvelopeExpired; nothing is decrypted unless both signatures verify.
    """
    verification, content_key = unwrap_content_key(
        envelope, keyring_of(recipient), directory, now=now
    )
    aead = Aes256Gcm(_body_key(content_key, envelope.id))
    try:
        payload = aead.decrypt(
            envelope.header.content_nonce, envelope.content, envelope.header_bytes
        )
    except AuthenticationFailed:
        raise TamperedEnvelope(f"the content of envelope {envelope.id} does not decrypt") from None
    return Opened(envelope.header, payload, verification, content_key)
