"""Sealing small secrets under keys derived from the master key."""

from __future__ import annotations

import json
import secrets
from pathlib import Path

import pytest

from crypto.secretbox import SecretBox, SecretBoxError, derive_key

# Keys derived and a secret sealed by the code already in use (see its "description").
STORED = Path(__file__).parent / "vectors" / "master-key" / "secretbox.json"


@pytest.fixture
def master():
    return secrets.token_bytes(32)


def test_round_trip_and_fresh_nonces(master):
    box = SecretBox(master, b"totp")
    sealed = box.seal(b"JBSWY3DPEHPK3PXP", b"totp:user:42")
    assert box.open(sealed, b"totp:user:42") == b"JBSWY3DPEHPK3PXP"
    assert box.seal(b"JBSWY3DPEHPK3PXP", b"totp:user:42") != sealed
    assert b"JBSWY3DPEHPK3PXP" not in sealed


def test_wrong_context_purpose_or_key_fails(master):
    sealed = SecretBox(master, b"totp").seal(b"secret", b"totp:user:42")
    for box, context in [
        (SecretBox(master, b"totp"), b"totp:user:43"),
        (SecretBox(master, b"other"), b"totp:user:42"),
        (SecretBox(secrets.token_bytes(32), b"totp"), b"totp:user:42"),
    ]:
        with pytest.raises(SecretBoxError, match="does not open"):
            box.open(sealed, context)


def test_every_altered_byte_fails(master):
    box = SecretBox(master, b"totp")
    sealed = box.seal(b"secret", b"ctx")
    for i in range(len(sealed)):
        altered = bytearray(sealed)
        altered[i] ^= 1
        with pytest.raises(SecretBoxError):
            box.open(bytes(altered), b"ctx")
    for short in (b"", sealed[:12], sealed[:-17]):
        with pytest.raises(SecretBoxError):
            box.open(short, b"ctx")


def test_derived_keys_are_independent(master):
    assert derive_key(master, b"a") != derive_key(master, b"b")
    assert derive_key(master, b"a") == derive_key(master, b"a")
    assert len(derive_key(master, b"a", 8)) == 8


def test_keys_and_secrets_stored_earlier_still_derive_and_open():
    doc = json.loads(STORED.read_text())
    master = bytes.fromhex(doc["master_key"])
    for derived in doc["derived_keys"]:
        key = derive_key(master, derived["purpose"].encode(), derived["length"])
        assert key.hex() == derived["key"], derived["purpose"]
    for item in doc["sealed"]:
        box = SecretBox(master, item["purpose"].encode())
        opened = box.open(bytes.fromhex(item["sealed"]), item["context"].encode())
        assert opened.hex() == item["plaintext"]
