"""Streamed AES-256-GCM for attachments: fixed-size chunks, never the whole file in memory.

Chunk *i* of a stream is sealed under the attachment key with the 12-byte nonce
``i (11 bytes, big-endian) || last`` where ``last`` is 1 for the final chunk and 0 otherwise
(the STREAM construction of Hoang, Reyhanitabar, Rogaway and Vizár). Every chunk but the last
holds exactly ``chunk_size`` plaintext bytes; an empty input is one empty final chunk.

Security property: a reordered or dropped chunk is opened with the wrong index and fails; a
stream cut at a chunk boundary ends on a chunk not marked last and fails; bytes after the last
chunk fail. Each chunk is authenticated before it is released, against anyone without the key.
The SHA-256 of the whole ciphertext stream, which the envelope's signed header carries, also
binds the stream against a co-recipient who knows the key; that check can only complete at the
end, so a caller must discard what it wrote if :func:`decrypt_stream` raises.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Protocol

from crypto.errors import TamperedEnvelope
from crypto.primitives import GCM_TAG_BYTES, Aes256Gcm, AuthenticationFailed

__all__ = [
    "CHUNK_SIZE",
    "Readable",
    "StreamSummary",
    "Writable",
    "decrypt_stream",
    "encrypt_stream",
]

CHUNK_SIZE = 1 << 20
_AAD = b"ischia/attachment-chunk/v1"
_MAX_CHUNKS = 1 << 88


class Readable(Protocol):
    def read(self, size: int = ..., /) -> bytes: ...


class Writable(Protocol):
    def write(self, data: bytes, /) -> object: ...


@dataclass(frozen=True)
class StreamSummary:
    """What the envelope header records about a sealed stream."""

    length: int
    chunks: int
    sha256: bytes


def _nonce(index: int, last: bool) -> bytes:
    if index >= _MAX_CHUNKS:
        raise ValueError("stream has too many chunks")
    return index.to_bytes(11, "big") + (b"\x01" if last else b"\x00")


def _read_full(source: Readable, size: int) -> bytes:
    """Read ``size`` bytes, or fewer only at the end of the stream (pipes return short reads)."""
    data = source.read(size)
    if len(data) == size or not data:
        return data
    parts = [data]
    missing = size - len(data)
    while missing:
        more = source.read(missing)
        if not more:
            break
        parts.append(more)
        missing -= len(more)
    return b"".join(parts)


def encrypt_stream(
    key: bytes, source: Readable, destination: Writable, *, chunk_size: int = CHUNK_SIZE
) -> StreamSummary:
    """Encrypt ``source`` to ``destination`` chunk by chunk; holds at most two chunks at once."""
    if chunk_size < 1:
        raise ValueError("chunk_size must be positive")
    aead = Aes256Gcm(key)
    digest = hashlib.sha256()
    length = index = 0
    current = _read_full(source, chunk_size)
    while True:
        following = _read_full(source, chunk_size) if len(current) == chunk_size else b""
        last = not following
        sealed = aead.encrypt(_nonce(index, last), current, _AAD)
        digest.update(sealed)
        destination.write(sealed)
        length += len(current)
        index += 1
        if last:
            return StreamSummary(length, index, digest.digest())
        current = following


def decrypt_stream(
    key: bytes,
    source: Readable,
    *,
    expected: StreamSummary | None = None,
    chunk_size: int = CHUNK_SIZE,
) -> Iterator[bytes]:
    """Yield the plaintext of ``source`` chunk by chunk, each authenticated before it is yielded.

    Raises :class:`~crypto.errors.TamperedEnvelope` on a chunk that does not open, a missing
    final chunk, trailing bytes, or (with ``expected``) a length or digest other than the
    signed one; the last two are known only at the end of the stream.
    """
    if chunk_size < 1:
        raise ValueError("chunk_size must be positive")
    aead = Aes256Gcm(key)
    digest = hashlib.sha256()
    sealed_size = chunk_size + GCM_TAG_BYTES
    length = index = 0
    current = _read_full(source, sealed_size)
    if not current:
        raise TamperedEnvelope("attachment stream is empty: its final chunk is missing")
    while True:
        following = _read_full(source, sealed_size) if len(current) == sealed_size else b""
        last = not following
        digest.update(current)
        try:
            plain = aead.decrypt(_nonce(index, last), current, _AAD)
        except AuthenticationFailed:
            raise TamperedEnvelope(
                f"attachment chunk #{index} does not open: the stream was truncated, "
                "reordered or altered"
            ) from None
        length += len(plain)
        index += 1
        if last:
            if expected is not None and (
                (length, index, digest.digest())
                != (expected.length, expected.chunks, expected.sha256)
            ):
                raise TamperedEnvelope(
                    "attachment stream differs from the one the sender signed: discard the output"
                )
            yield plain
            return
        yield plain
        current = following
