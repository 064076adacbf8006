"""Write the published test vectors in ``tests/crypto/vectors/``.

Run ``python -m tests.crypto.generate_vectors`` from the repository root. Keys, envelope ids,
content keys and nonces come from fixed seeds; HPKE encapsulation and ML-DSA signing are
randomised by design, so a new run writes different (equally valid) envelopes. The committed
files are the reference: ``test_vectors.py`` re-opens them, and another implementation can
check itself against them (see ``vectors/README.md``).
"""

from __future__ import annotations

import base64
import hashlib
import io
import json
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from crypto import Directory, Envelope, PrivateBundle, grant, rewrap, shred
from crypto.canonical import format_time
from crypto.sealing import _seal
from crypto.stream import CHUNK_SIZE, encrypt_stream

VECTORS = Path(__file__).parent / "vectors"
CREATED = datetime(2026, 11, 1, 8, 0, tzinfo=UTC)
SEALED = datetime(2026, 11, 29, 9, 30, tzinfo=UTC)
OPEN_AT = SEALED + timedelta(days=1)


def seed(name: str) -> bytes:
    return hashlib.sha256(f"ischia test vector/{name}".encode()).digest()


def key(org: str, version: int = 1) -> PrivateBundle:
    return PrivateBundle.from_seed(seed(f"{org}/v{version}"), org, version, CREATED)


def b64(data: bytes) -> str:
    return base64.b64encode(data).decode()


def pattern(length: int) -> bytes:
    """The plaintext of the stream vector: byte i is (i * 7 + 3) mod 256."""
    return bytes((i * 7 + 3) % 256 for i in range(length))


def keys_section(bundles: list[PrivateBundle]) -> list[dict[str, Any]]:
    return [
        {
            "org": b.org,
            "version": b.version,
            "created_at": format_time(b.created_at),
            "seed": b.seed.hex(),
            "fingerprint_sha256": b.public.fingerprint_hex,
            "fingerprint_text": b.public.fingerprint_text,
        }
        for b in bundles
    ]


def sealed(
    payload: bytes, label: str, sender: PrivateBundle, **options: Any
) -> tuple[Envelope, bytes]:
    content_key = seed(f"{label}/content-key")
    envelope = _seal(
        payload,
        sender=sender,
        now=SEALED,
        expires_at=options.pop("expires_at", None),
        fields=options.pop("fields", {}),
        attachments=options.pop("attachments", ()),
        envelope_id=seed(f"{label}/envelope-id")[:16].hex(),
        content_key=content_key,
        nonce=seed(f"{label}/nonce")[:12],
        **options,
    )
    return envelope, content_key


def reader(org: str, *versions: int) -> dict[str, Any]:
    return {"org": org, "versions": list(versions)}


def vector(
    name: str,
    description: str,
    bundles: list[PrivateBundle],
    envelope: Envelope,
    content_key: bytes,
    plaintext: bytes,
    opens_for: list[dict[str, Any]],
    does_not_open_for: list[dict[str, Any]],
    must_fail: list[dict[str, Any]] = (),  # type: ignore[assignment]
    attachments: list[dict[str, str]] = (),  # type: ignore[assignment]
) -> None:
    doc = {
        "vector": "ischia-envelope-vector/1",
        "name": name,
        "description": description,
        "keys": keys_section(bundles),
        "directory": json.loads(Directory(b.public for b in bundles).to_json()),
        "envelope": envelope.to_dict(),
        "attachments": list(attachments),
        "expected": {
            "header": json.loads(envelope.header_bytes),
            "header_sha256": envelope.header_sha256.hex(),
            "content_key": content_key.hex(),
            "plaintext": b64(plaintext),
            "open_at": format_time(OPEN_AT),
            "opens_for": opens_for,
            "does_not_open_for": does_not_open_for,
        },
        "must_fail": list(must_fail),
    }
    (VECTORS / f"{name}.json").write_text(json.dumps(doc, indent=1) + "\n")


def failing(
    description: str,
    envelope: Envelope,
    change: Callable[[dict[str, Any]], None],
    as_: dict[str, Any],
    error: str,
) -> dict[str, Any]:
    doc = envelope.to_dict()
    change(doc)
    return {"description": description, "envelope": doc, "open_as": as_, "error": error}


def basic() -> None:
    fr, de, it = key("FR"), key("DE"), key("IT")
    payload = b"Bulletin B-2026-0042: recruitment channel @example, TLP:AMBER."
    envelope, content_key = sealed(
        payload,
        "basic",
        fr,
        recipients=[de.public],
        marking="TLP:AMBER",
        fields={"bulletin": "B-2026-0042", "category": "recruitment"},
    )
    other, _ = sealed(b"another", "basic/other", fr, recipients=[de.public], marking="TLP:AMBER")

    def header_with(field: str, value: Any) -> Callable[[dict[str, Any]], None]:
        def change(doc: dict[str, Any]) -> None:
            import rfc8785

            header = json.loads(base64.b64decode(doc["header"]))
            header[field] = value
            doc["header"] = b64(rfc8785.dumps(header))

        return change

    def flip_content(doc: dict[str, Any]) -> None:
        data = bytearray(base64.b64decode(doc["content"]))
        data[0] ^= 1
        doc["content"] = b64(bytes(data))

    def drop_mldsa(doc: dict[str, Any]) -> None:
        del doc["signature"]["ml_dsa_65"]

    def swap_key(doc: dict[str, Any]) -> None:
        doc["wrapped_keys"][0] = other.to_dict()["wrapped_keys"][0]

    def flip_wrapped(doc: dict[str, Any]) -> None:
        data = bytearray(base64.b64decode(doc["wrapped_keys"][0]["enc"]))
        data[-1] ^= 1
        doc["wrapped_keys"][0]["enc"] = b64(bytes(data))

    suite = envelope.header.suite
    vector(
        "basic",
        "FR seals a short bulletin for DE. FR (the sender always keeps a copy) and DE open it.",
        [fr, de, it],
        envelope,
        content_key,
        payload,
        [reader("FR", 1), reader("DE", 1)],
        [{**reader("IT", 1), "error": "NotARecipient"}],
        [
            failing(
                "suite string altered",
                envelope,
                header_with("suite", suite.replace("1", "2", 1)),
                reader("DE", 1),
                "UnsupportedSuite",
            ),
            failing(
                "marking lowered, signature not redone",
                envelope,
                header_with("marking", "TLP:CLEAR"),
                reader("DE", 1),
                "BadSignature",
            ),
            failing(
                "first content byte flipped",
                envelope,
                flip_content,
                reader("DE", 1),
                "BadSignature",
            ),
            failing(
                "ML-DSA-65 signature removed", envelope, drop_mldsa, reader("DE", 1), "BadSignature"
            ),
            failing(
                "DE's wrapped key taken from another envelope",
                envelope,
                swap_key,
                reader("DE", 1),
                "TamperedEnvelope",
            ),
            failing(
                "last byte of DE's wrapped key flipped",
                envelope,
                flip_wrapped,
                reader("DE", 1),
                "TamperedEnvelope",
            ),
        ],
    )


def grant_and_rewrap() -> None:
    fr, de, it, jp, de2 = key("FR"), key("DE"), key("IT"), key("JP"), key("DE", 2)
    directory = Directory(b.public for b in (fr, de, it, jp, de2))
    payload = b"Foreign fighter travel: route via ... (multi-recipient bulletin)"
    envelope, content_key = sealed(
        payload,
        "grant-and-rewrap",
        fr,
        recipients=[de.public, it.public],
        marking="TLP:AMBER+STRICT",
        expires_at=SEALED + timedelta(days=365),
        fields={"bulletin": "B-2026-0043", "category": "foreign fighter travel"},
    )
    granted = grant(envelope, originator=fr, recipient=jp.public, directory=directory, now=SEALED)
    moved = rewrap(granted, old=de, new=de2, directory=directory, now=SEALED + timedelta(hours=1))
    grant_record = moved.to_dict()["key_records"][0]

    def forged_grant(doc: dict[str, Any]) -> None:
        doc["key_records"][0] = {
            **grant_record,
            "signer": moved.to_dict()["key_records"][1]["signer"],
        }

    vector(
        "grant-and-rewrap",
        "FR seals for DE and IT, releases to JP (grant record signed by FR), then DE rotates its "
        "key and re-wraps its copy for DE v2 (re-wrap record signed by DE v2).",
        [fr, de, it, jp, de2],
        moved,
        content_key,
        payload,
        [reader("FR", 1), reader("DE", 2), reader("DE", 1, 2), reader("IT", 1), reader("JP", 1)],
        [
            {**reader("DE", 1), "error": "UnknownKeyVersion"},
            {**reader("US", 1), "error": "NotARecipient"},
        ],
        [
            failing(
                "grant record claims another signer",
                moved,
                forged_grant,
                reader("JP", 1),
                "BadSignature",
            )
        ],
    )


def attachment() -> None:
    fr, ca = key("FR"), key("CA")
    files = [b"%PDF-1.7 briefing ... " * 100, b""]
    sinks = [io.BytesIO() for _ in files]
    payload = (
        b'{"title": "Explosive-device manual referral", "attachments": ["manual.pdf", "empty.txt"]}'
    )
    envelope, content_key = sealed(
        payload,
        "attachment",
        fr,
        recipients=[ca.public],
        marking="TLP:RED",
        attachments=[(io.BytesIO(f), s) for f, s in zip(files, sinks, strict=True)],
    )
    vector(
        "attachment",
        "FR seals a referral for CA with two streamed attachments (one chunk each; the second is "
        "empty). Each attachment key is HKDF-SHA256(content key, info).",
        [fr, ca],
        envelope,
        content_key,
        payload,
        [reader("CA", 1), reader("FR", 1)],
        [],
        attachments=[
            {"plaintext": b64(f), "ciphertext": b64(s.getvalue())}
            for f, s in zip(files, sinks, strict=True)
        ],
    )


def shredded() -> None:
    fr, de = key("FR"), key("DE")
    payload = b"Retracted bulletin"
    envelope, content_key = sealed(
        payload, "shredded", fr, recipients=[de.public], marking="TLP:GREEN"
    )
    vector(
        "shredded",
        "A retracted envelope: every wrapped key removed. It verifies; nobody opens it.",
        [fr, de],
        shred(envelope),
        content_key,
        payload,
        [],
        [{**reader("FR", 1), "error": "Shredded"}, {**reader("DE", 1), "error": "Shredded"}],
    )


def stream() -> None:
    """A fully deterministic vector for the chunked attachment encryption alone."""
    stream_key = seed("stream/key")
    length = 2 * CHUNK_SIZE + 1000
    sink = io.BytesIO()
    summary = encrypt_stream(stream_key, io.BytesIO(pattern(length)), sink)
    sealed_stream = sink.getvalue()
    step = CHUNK_SIZE + 16
    chunks = [sealed_stream[i : i + step] for i in range(0, len(sealed_stream), step)]
    doc = {
        "vector": "ischia-stream-vector/1",
        "description": "STREAM over AES-256-GCM: chunk i sealed with nonce i (11 bytes, "
        "big-endian) || last (1 byte), associated data 'ischia/attachment-chunk/v1'. "
        "Plaintext byte j is (j * 7 + 3) mod 256.",
        "key": stream_key.hex(),
        "chunk_size": CHUNK_SIZE,
        "plaintext_length": length,
        "plaintext_sha256": hashlib.sha256(pattern(length)).hexdigest(),
        "ciphertext_length": len(sealed_stream),
        "ciphertext_sha256": summary.sha256.hex(),
        "chunk_tags": [c[-16:].hex() for c in chunks],
        "last_chunk": b64(chunks[-1]),
    }
    (VECTORS / "stream.json").write_text(json.dumps(doc, indent=1) + "\n")


def main() -> None:
    VECTORS.mkdir(exist_ok=True)
    basic()
    grant_and_rewrap()
    attachment()
    shredded()
    stream()


if __name__ == "__main__":
    main()
