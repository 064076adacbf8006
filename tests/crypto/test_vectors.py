"""The published vectors in tests/crypto/vectors/ still open, and still fail where they should."""

from __future__ import annotations

import base64
import hashlib
import io
import json
from pathlib import Path

import pytest
import rfc8785

from crypto import Directory, Envelope, EnvelopeError, PrivateBundle, open_envelope, verify_envelope
from crypto.canonical import parse_time
from crypto.stream import decrypt_stream, encrypt_stream
from tests.crypto.generate_vectors import pattern

VECTORS = Path(__file__).parent / "vectors"
ENVELOPE_VECTORS = sorted(p for p in VECTORS.glob("*.json") if p.name != "stream.json")


def _load(path: Path) -> dict:
    return json.loads(path.read_text())


def _keyring(doc: dict, org: str, versions: list[int]) -> list[PrivateBundle]:
    ring = []
    for entry in doc["keys"]:
        if entry["org"] == org and entry["version"] in versions:
            ring.append(
                PrivateBundle.from_seed(
                    bytes.fromhex(entry["seed"]),
                    org,
                    entry["version"],
                    parse_time(entry["created_at"], "created_at"),
                )
            )
    if not ring:  # an organisation the vector has no keys for: any key will do
        ring.append(
            PrivateBundle.from_seed(
                bytes(32), org, versions[0], parse_time("2026-01-01T00:00:00Z", "t")
            )
        )
    return ring


def test_there_are_vectors():
    assert {p.stem for p in ENVELOPE_VECTORS} >= {
        "basic",
        "grant-and-rewrap",
        "attachment",
        "shredded",
    }


@pytest.mark.parametrize("path", ENVELOPE_VECTORS, ids=lambda p: p.stem)
def test_keys_derive_from_their_seeds(path):
    doc = _load(path)
    directory = Directory.from_json(json.dumps(doc["directory"]))
    for entry in doc["keys"]:
        [bundle] = _keyring(doc, entry["org"], [entry["version"]])
        assert bundle.public == directory.public_bundle(entry["org"], entry["version"])
        assert bundle.public.fingerprint_hex == entry["fingerprint_sha256"]
        assert bundle.public.fingerprint_text == entry["fingerprint_text"]


@pytest.mark.parametrize("path", ENVELOPE_VECTORS, ids=lambda p: p.stem)
def test_envelope_reopens(path):
    doc = _load(path)
    expected = doc["expected"]
    directory = Directory.from_json(json.dumps(doc["directory"]))
    envelope = Envelope.from_dict(doc["envelope"])
    assert json.loads(envelope.header_bytes) == expected["header"]
    assert rfc8785.dumps(expected["header"]) == envelope.header_bytes  # sent in canonical form
    assert envelope.header_sha256.hex() == expected["header_sha256"]
    verify_envelope(envelope, directory)
    now = parse_time(expected["open_at"], "open_at")
    plaintext = base64.b64decode(expected["plaintext"])
    for reader in expected["opens_for"]:
        ring = _keyring(doc, reader["org"], reader["versions"])
        opened = open_envelope(envelope, recipient=ring, directory=directory, now=now)
        assert opened.payload == plaintext
        assert opened.content_key.hex() == expected["content_key"]
        for index, attachment in enumerate(doc["attachments"]):
            source = io.BytesIO(base64.b64decode(attachment["ciphertext"]))
            assert b"".join(opened.attachment(index, source)) == base64.b64decode(
                attachment["plaintext"]
            )
    for reader in expected["does_not_open_for"]:
        ring = _keyring(doc, reader["org"], reader["versions"])
        with pytest.raises(EnvelopeError) as refused:
            open_envelope(envelope, recipient=ring, directory=directory, now=now)
        assert type(refused.value).__name__ == reader["error"]


@pytest.mark.parametrize("path", ENVELOPE_VECTORS, ids=lambda p: p.stem)
def test_negative_cases_fail_with_the_named_error(path):
    doc = _load(path)
    directory = Directory.from_json(json.dumps(doc["directory"]))
    now = parse_time(doc["expected"]["open_at"], "open_at")
    for case in doc["must_fail"]:
        ring = _keyring(doc, case["open_as"]["org"], case["open_as"]["versions"])
        with pytest.raises(EnvelopeError) as refused:
            open_envelope(
                Envelope.from_dict(case["envelope"]), recipient=ring, directory=directory, now=now
            )
        assert type(refused.value).__name__ == case["error"], case["description"]


def test_stream_vector_is_reproduced_exactly():
    doc = _load(VECTORS / "stream.json")
    key = bytes.fromhex(doc["key"])
    plaintext = pattern(doc["plaintext_length"])
    assert hashlib.sha256(plaintext).hexdigest() == doc["plaintext_sha256"]
    sink = io.BytesIO()
    summary = encrypt_stream(key, io.BytesIO(plaintext), sink, chunk_size=doc["chunk_size"])
    sealed = sink.getvalue()
    assert len(sealed) == doc["ciphertext_length"]
    assert summary.sha256.hex() == doc["ciphertext_sha256"]
    step = doc["chunk_size"] + 16
    chunks = [sealed[i : i + step] for i in range(0, len(sealed), step)]
    assert [chunk[-16:].hex() for chunk in chunks] == doc["chunk_tags"]
    assert sealed.endswith(base64.b64decode(doc["last_chunk"]))
    assert b"".join(decrypt_stream(key, io.BytesIO(sealed), expected=summary)) == plaintext
