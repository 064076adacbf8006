"""Hash chains for tamper-evident logs, and signed checkpoints of their head.

Security property: each entry stores ``SHA-256(previous hash || canonical fields)``, so editing,
deleting, inserting or reordering any entry breaks the chain at a point that :func:`find_break`
names. A rewrite of the whole tail from some point on re-links cleanly, which is why the head is
also published as a :class:`Checkpoint` signed with keys that are not kept beside the log: a log
whose entry at the checkpoint's position no longer has the signed hash has been rewritten.
Checkpoints are signed with both Ed25519 and ML-DSA-65 (:class:`~crypto.primitives.HybridSigner`)
and verify only if both signatures do.

Examples
--------
>>> login, logout = {"seq": 1, "event": "login"}, {"seq": 2, "event": "logout"}
>>> first = link(GENESIS_HASH, login)
>>> second = link(first, logout)
>>> entries = [ChainEntry(1, GENESIS_HASH, first, login), ChainEntry(2, first, second, logout)]
>>> find_break(entries) is None
True
>>> find_break([entries[0], ChainEntry(2, first, second, {"seq": 2, "event": "nothing"})])
ChainBreak(seq=2, kind='edited', message='entry #2 was edited')
>>> signer = CheckpointSigner(bytes(32))
>>> checkpoint = signer.sign(2, second, "2026-11-29T09:30:00+00:00")
>>> verify_checkpoint(Checkpoint.from_json(checkpoint.to_json()), signer.public_keys)
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any, Literal

from crypto.canonical import b64encode, canonical_json
from crypto.primitives import HybridSigner, HybridVerifier, SignatureRejected
from crypto.secretbox import derive_key

__all__ = [
    "GENESIS_HASH",
    "ChainBreak",
    "ChainEntry",
    "Checkpoint",
    "CheckpointError",
    "CheckpointSigner",
    "find_break",
    "link",
    "verify_checkpoint",
]

GENESIS_HASH = bytes(32)
BreakKind = Literal["edited", "deleted", "inserted", "reordered", "unlinked"]


def link(previous_hash: bytes, fields: Mapping[str, Any]) -> bytes:
    """The hash of an entry: ``SHA-256(previous_hash || canonical_json(fields))`` (RFC 8785)."""
    return hashlib.sha256(previous_hash + canonical_json(dict(fields))).digest()


@dataclass(frozen=True)
class ChainEntry:
    """One stored entry: its position, the hash it claims to follow, its own hash, its fields."""

    seq: int
    prev_hash: bytes
    hash: bytes
    fields: Mapping[str, Any]


@dataclass(frozen=True)
class ChainBreak:
    """The first place where a chain is inconsistent, and what was done there."""

    seq: int
    kind: BreakKind
    message: str


def find_break(
    entries: Iterable[ChainEntry], *, first_seq: int = 1, first_prev: bytes = GENESIS_HASH
) -> ChainBreak | None:
    """Walk ``entries`` in position order and return the first break, or ``None`` if intact.

    Entries are streamed; only when a link is broken is the rest read to tell an insertion or a
    reordering from an entry edited and re-hashed.
    """
    expected_seq, expected_prev = first_seq, first_prev
    before_previous: bytes | None = None  # what the previous entry claimed to follow
    iterator: Iterator[ChainEntry] = iter(entries)
    for entry in iterator:
        if entry.seq > expected_seq:
            missing = (
                f"#{expected_seq}"
                if entry.seq == expected_seq + 1
                else f"#{expected_seq}..#{entry.seq - 1}"
            )
            return ChainBreak(expected_seq, "deleted", f"entry {missing} was deleted")
        if entry.seq < expected_seq:
            return ChainBreak(entry.seq, "inserted", f"entry #{entry.seq} appears twice")
        if not hmac.compare_digest(link(entry.prev_hash, entry.fields), entry.hash):
            return ChainBreak(entry.seq, "edited", f"entry #{entry.seq} was edited")
        if not hmac.compare_digest(entry.prev_hash, expected_prev):
            if before_previous is not None and entry.prev_hash == before_previous:
                seq = entry.seq - 1
                return ChainBreak(seq, "inserted", f"entry #{seq} was inserted into the chain")
            return _classify_broken_link(entry, list(iterator), expected_prev)
        before_previous = entry.prev_hash
        expected_seq, expected_prev = entry.seq + 1, entry.hash
    return None


def _classify_broken_link(
    entry: ChainEntry, rest: list[ChainEntry], expected_prev: bytes
) -> ChainBreak:
    seq = entry.seq
    later_hashes = {later.hash for later in rest}
    if entry.prev_hash in later_hashes:
        return ChainBreak(seq, "reordered", f"entry #{seq} is out of order")
    if rest and rest[0].prev_hash == expected_prev:
        return ChainBreak(seq, "inserted", f"entry #{seq} was inserted into the chain")
    if any(later.prev_hash == expected_prev for later in rest):
        return ChainBreak(seq, "reordered", f"entry #{seq} is out of order")
    previous = max(seq - 1, 0)
    return ChainBreak(
        previous,
        "unlinked",
        f"entry #{seq} does not follow entry #{previous}: #{previous} was edited and re-hashed, "
        f"or #{seq} was re-linked, or entries between them were removed and renumbered",
    )


class CheckpointError(Exception):
    """A checkpoint is malformed, or its signatures do not verify."""


@dataclass(frozen=True)
class Checkpoint:
    """A signed statement that entry ``seq`` of a chain had hash ``head`` at time ``at``."""

    seq: int
    head: bytes
    at: str
    ed25519_public: bytes
    mldsa65_public: bytes
    ed25519_signature: bytes
    mldsa65_signature: bytes

    def to_json(self) -> str:
        return json.dumps(
            {
                "seq": self.seq,
                "head": self.head.hex(),
                "at": self.at,
                "ed25519_public": b64encode(self.ed25519_public),
                "mldsa65_public": b64encode(self.mldsa65_public),
                "ed25519_signature": b64encode(self.ed25519_signature),
                "mldsa65_signature": b64encode(self.mldsa65_signature),
            },
            indent=2,
        )

    @classmethod
    def from_json(cls, text: str) -> Checkpoint:
        try:
            doc = json.loads(text)
            return cls(
                seq=int(doc["seq"]),
                head=bytes.fromhex(doc["head"]),
                at=str(doc["at"]),
                ed25519_public=base64.b64decode(doc["ed25519_public"], validate=True),
                mldsa65_public=base64.b64decode(doc["mldsa65_public"], validate=True),
                ed25519_signature=base64.b64decode(doc["ed25519_signature"], validate=True),
                mldsa65_signature=base64.b64decode(doc["mldsa65_signature"], validate=True),
            )
        except (ValueError, KeyError, TypeError) as exc:
            raise CheckpointError(f"checkpoint is malformed: {exc}") from exc


def _statement(seq: int, head: bytes, at: str) -> bytes:
    """What both signatures of a checkpoint cover: a domain, then the RFC 8785 JSON of the head."""
    fields = {"seq": seq, "head": head.hex(), "at": at}
    return b"ischia/chain-checkpoint/v1\x00" + canonical_json(fields)


class CheckpointSigner:
    """Signs chain heads with keys derived from the master key (never stored beside the log).

    The Ed25519 and ML-DSA-65 seeds are derived for ``purpose`` + ``"/ed25519"`` and
    ``"/ml-dsa-65"``, so the same master key always gives the same :attr:`public_keys`.
    """

    __slots__ = ("_signer",)

    def __init__(self, master_key: bytes, purpose: bytes = b"audit-checkpoint") -> None:
        self._signer = HybridSigner(
            derive_key(master_key, purpose + b"/ed25519"),
            derive_key(master_key, purpose + b"/ml-dsa-65"),
        )

    @property
    def public_keys(self) -> tuple[bytes, bytes]:
        """The (Ed25519, ML-DSA-65) public keys to pass to :func:`verify_checkpoint`."""
        return self._signer.public_bytes

    def sign(self, seq: int, head: bytes, at: str) -> Checkpoint:
        ed_public, ml_public = self.public_keys
        ed_signature, ml_signature = self._signer.sign(_statement(seq, head, at))
        return Checkpoint(seq, head, at, ed_public, ml_public, ed_signature, ml_signature)


def verify_checkpoint(
    checkpoint: Checkpoint, trusted_public_keys: tuple[bytes, bytes] | None = None
) -> None:
    """Raise :class:`CheckpointError` unless both signatures verify.

    With ``trusted_public_keys`` the checkpoint must also be signed by exactly those keys; without
    them only internal consistency is checked, which proves nothing about who signed.
    """
    if trusted_public_keys is not None and (
        checkpoint.ed25519_public,
        checkpoint.mldsa65_public,
    ) != tuple(trusted_public_keys):
        raise CheckpointError("checkpoint is signed by keys other than the trusted ones")
    statement = _statement(checkpoint.seq, checkpoint.head, checkpoint.at)
    try:
        verifier = HybridVerifier(checkpoint.ed25519_public, checkpoint.mldsa65_public)
        verifier.verify(statement, checkpoint.ed25519_signature, checkpoint.mldsa65_signature)
    except (SignatureRejected, ValueError) as exc:  # ValueError: a malformed public key
        raise CheckpointError("checkpoint signature does not verify") from exc
