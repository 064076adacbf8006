"""Streamed attachments: chunking, truncation, reordering, and memory use."""

from __future__ import annotations

import hashlib
import io
import os
import tracemalloc

import pytest

from crypto import TamperedEnvelope, open_envelope, seal
from crypto.primitives import GCM_TAG_BYTES
from crypto.stream import CHUNK_SIZE, StreamSummary, decrypt_stream, encrypt_stream

KEY = bytes(range(32))
SMALL = 64  # small chunks make multi-chunk streams cheap to build


def _encrypt(data: bytes, chunk_size: int = SMALL) -> tuple[bytes, StreamSummary]:
    sink = io.BytesIO()
    summary = encrypt_stream(KEY, io.BytesIO(data), sink, chunk_size=chunk_size)
    return sink.getvalue(), summary


def _decrypt(sealed: bytes, summary: StreamSummary | None = None, chunk_size: int = SMALL) -> bytes:
    return b"".join(
        decrypt_stream(KEY, io.BytesIO(sealed), expected=summary, chunk_size=chunk_size)
    )


def _chunks(sealed: bytes) -> list[bytes]:
    size = SMALL + GCM_TAG_BYTES
    return [sealed[i : i + size] for i in range(0, len(sealed), size)]


@pytest.mark.parametrize("length", [0, 1, SMALL - 1, SMALL, SMALL + 1, 3 * SMALL, 5 * SMALL + 7])
def test_round_trip_around_chunk_boundaries(length):
    data = os.urandom(length)
    sealed, summary = _encrypt(data)
    assert summary.length == length
    assert summary.chunks == max(1, -(-length // SMALL))
    assert summary.sha256 == hashlib.sha256(sealed).digest()
    assert len(sealed) == length + summary.chunks * GCM_TAG_BYTES
    assert _decrypt(sealed, summary) == data


class Trickle(io.RawIOBase):
    """A pipe that hands out at most 7 bytes per read."""

    def __init__(self, data: bytes) -> None:
        self._data = io.BytesIO(data)

    def readable(self) -> bool:
        return True

    def read(self, size: int = -1) -> bytes:
        return self._data.read(min(7, size if size >= 0 else 7))


def test_short_reads_are_reassembled():
    data = os.urandom(4 * SMALL + 3)
    sealed, summary = _encrypt(data)
    sink = io.BytesIO()
    assert encrypt_stream(KEY, Trickle(data), sink, chunk_size=SMALL).sha256 == summary.sha256
    plain = b"".join(decrypt_stream(KEY, Trickle(sealed), expected=summary, chunk_size=SMALL))
    assert plain == data


def test_truncation_at_every_chunk_boundary_is_detected():
    sealed, _ = _encrypt(os.urandom(4 * SMALL))
    chunks = _chunks(sealed)
    for keep in range(len(chunks)):
        # Without the signed summary, only the last-chunk flag can tell.
        with pytest.raises(TamperedEnvelope):
            _decrypt(b"".join(chunks[:keep]))


def test_dropped_reordered_duplicated_chunks_are_detected():
    sealed, _ = _encrypt(os.urandom(4 * SMALL + 5))
    chunks = _chunks(sealed)
    altered = [
        chunks[:1] + chunks[2:],  # dropped
        [chunks[1], chunks[0], *chunks[2:]],  # swapped
        [*chunks[:2], chunks[1], *chunks[2:]],  # duplicated
        chunks[:-2] + chunks[-1:],  # dropped before the last
        [*chunks, chunks[-1]],  # last repeated
    ]
    for variant in altered:
        with pytest.raises(TamperedEnvelope):
            _decrypt(b"".join(variant))


def test_trailing_bytes_and_bit_flips_are_detected():
    sealed, summary = _encrypt(os.urandom(2 * SMALL + 1))
    with pytest.raises(TamperedEnvelope):
        _decrypt(sealed + b"\x00")
    for position in range(len(sealed)):
        flipped = bytearray(sealed)
        flipped[position] ^= 0x80
        with pytest.raises(TamperedEnvelope):
            _decrypt(bytes(flipped), summary)


def test_empty_stream_is_not_an_empty_file():
    with pytest.raises(TamperedEnvelope, match="final chunk is missing"):
        _decrypt(b"")


def test_a_key_holder_forging_a_stream_is_caught_by_the_signed_digest():
    """A co-recipient knows the key and can seal other data; the signed digest refuses it."""
    _, summary = _encrypt(b"genuine attachment" * 10)
    forged, _ = _encrypt(b"forged attachment!" * 10)
    with pytest.raises(TamperedEnvelope, match="discard"):
        _decrypt(forged, summary)
    produced = []
    with pytest.raises(TamperedEnvelope):
        for chunk in decrypt_stream(KEY, io.BytesIO(forged), expected=summary, chunk_size=SMALL):
            produced.append(chunk)
    # The final chunk is withheld when the digest does not match.
    assert len(b"".join(produced)) < 180


class Pattern(io.RawIOBase):
    """``size`` bytes produced on demand: the file never exists in memory."""

    def __init__(self, size: int) -> None:
        self._left = size
        self._block = hashlib.sha256(b"pattern").digest() * (CHUNK_SIZE // 32)

    def readable(self) -> bool:
        return True

    def read(self, size: int = -1) -> bytes:
        size = min(self._left, len(self._block) if size < 0 else size)
        self._left -= size
        return self._block[:size]


class Digest(io.RawIOBase):
    """Hashes what is written, keeps nothing."""

    def __init__(self) -> None:
        self.hash = hashlib.sha256()
        self.size = 0

    def writable(self) -> bool:
        return True

    def write(self, data) -> int:
        self.hash.update(data)
        self.size += len(data)
        return len(data)


@pytest.mark.slow
def test_100_mb_attachment_streams_in_bounded_memory(orgs, directory, now, tmp_path):
    size = 100 * 1000 * 1000
    stored = tmp_path / "attachment.sealed"
    try:
        tracemalloc.start()
        with stored.open("wb") as sink:
            envelope = seal(
                b"see attachment",
                sender=orgs["FR"],
                recipients=[orgs["DE"].public],
                marking="TLP:AMBER",
                now=now,
                attachments=[(Pattern(size), sink)],
            )
        _, sealing_peak = tracemalloc.get_traced_memory()
        tracemalloc.reset_peak()
        opened = open_envelope(envelope, recipient=orgs["DE"], directory=directory, now=now)
        plain = Digest()
        with stored.open("rb") as source:
            assert opened.save_attachment(0, source, plain) == size
        _, opening_peak = tracemalloc.get_traced_memory()
        tracemalloc.stop()
        [entry] = envelope.header.attachments
        assert (entry.length, entry.chunks) == (size, -(-size // CHUNK_SIZE))
        assert stored.stat().st_size == size + entry.chunks * GCM_TAG_BYTES
    finally:
        tracemalloc.stop()
        stored.unlink(missing_ok=True)
    expected = hashlib.sha256()
    source = Pattern(size)
    while block := source.read(CHUNK_SIZE):
        expected.update(block)
    assert plain.hash.digest() == expected.digest()
    mib = 2**20
    print(f"peak traced memory for 100 MB: sealing {sealing_peak / mib:.1f} MiB, ", end="")
    print(f"opening {opening_peak / mib:.1f} MiB")
    assert sealing_peak < 8 * CHUNK_SIZE
    assert opening_peak < 8 * CHUNK_SIZE


def test_attachments_through_an_envelope(orgs, directory, now):
    files = [os.urandom(n) for n in (0, 10, CHUNK_SIZE + 1)]
    sinks = [io.BytesIO() for _ in files]
    envelope = seal(
        b"with files",
        sender=orgs["FR"],
        recipients=[orgs["IT"].public],
        marking="TLP:GREEN",
        now=now,
        attachments=[(io.BytesIO(f), s) for f, s in zip(files, sinks, strict=True)],
    )
    opened = open_envelope(envelope, recipient=orgs["IT"], directory=directory, now=now)
    for index, (data, sink) in enumerate(zip(files, sinks, strict=True)):
        assert b"".join(opened.attachment(index, io.BytesIO(sink.getvalue()))) == data
    # Attachment 1's ciphertext is not attachment 2's: keys differ per index.
    with pytest.raises(TamperedEnvelope):
        b"".join(opened.attachment(1, io.BytesIO(sinks[2].getvalue())))
    with pytest.raises(IndexError):
        opened.attachment(3, io.BytesIO())


def test_an_envelope_refuses_a_co_recipients_forged_attachment(orgs, directory, now):
    """IT holds the content key, so it can seal other bytes under attachment 0's key; the
    digest the sender signed in the header refuses them when the envelope opens them."""
    from crypto.header import ATTACHMENT_CHUNK_SIZE
    from crypto.sealing import _attachment_key

    sink = io.BytesIO()
    envelope = seal(
        b"with a file",
        sender=orgs["FR"],
        recipients=[orgs["IT"].public, orgs["DE"].public],
        marking="TLP:AMBER",
        now=now,
        attachments=[(io.BytesIO(b"genuine attachment" * 10), sink)],
    )
    opened = open_envelope(envelope, recipient=orgs["IT"], directory=directory, now=now)
    forged = io.BytesIO()
    key = _attachment_key(opened.content_key, envelope.id, 0)
    encrypt_stream(
        key, io.BytesIO(b"forged attachment!" * 10), forged, chunk_size=ATTACHMENT_CHUNK_SIZE
    )
    reader = open_envelope(envelope, recipient=orgs["DE"], directory=directory, now=now)
    assert b"".join(reader.attachment(0, io.BytesIO(sink.getvalue()))) == b"genuine attachment" * 10
    with pytest.raises(TamperedEnvelope, match="discard"):
        b"".join(reader.attachment(0, io.BytesIO(forged.getvalue())))
    for beyond in (1, -1):
        with pytest.raises(IndexError) as refused:
            reader.attachment(beyond, io.BytesIO(sink.getvalue()))
        assert str(refused.value) == "envelope has 1 attachment(s)"
