"""The app's master key, loaded once at start-up, and the keys derived from it.

The master key comes from ``ISCHIA_MASTER_KEY`` or from the key file (created with 0600 rights
on first run); it is never written to the database.
"""

from __future__ import annotations

from pathlib import Path

from flask import Flask, current_app

from crypto.chain import CheckpointSigner
from crypto.masterkey import decode_master_key, load_or_create_master_key
from crypto.secretbox import SecretBox

_KEY = "ischia.master_key"
_SIGNER = "ischia.checkpoint_signer"


def init_app(app: Flask) -> None:
    value = app.config.get("MASTER_KEY")
    if value:
        app.extensions[_KEY] = value if isinstance(value, bytes) else decode_master_key(value)
    else:
        app.extensions[_KEY] = load_or_create_master_key(Path(app.config["MASTER_KEY_FILE"]))


def master_key() -> bytes:
    return current_app.extensions[_KEY]  # type: ignore[no-any-return]


def totp_box() -> SecretBox:
    return SecretBox(master_key(), b"totp")


def briefing_queue_box() -> SecretBox:
    """Seals what a queued briefing leaves in Redis: its request and its finished PDF."""
    return SecretBox(master_key(), b"briefing-queue")


def checkpoint_signer() -> CheckpointSigner:
    signer = current_app.extensions.get(_SIGNER)
    if signer is None:
        signer = current_app.extensions[_SIGNER] = CheckpointSigner(master_key())
    return signer
