"""The app's master key, loaded at start-up and whenever its key file changes, and the keys
derived from it.

The master key comes from ``ISCHIA_MASTER_KEY`` or from the key file (created with 0600 rights
on first run); it is never written to the database. During a master-key rotation the key file
holds the new key on its first line and the previous one after it: both open what the database
holds, so a process that reads the file at any moment opens everything. Each process looks at
the file's identity (inode, size, time) before it uses the keys, and reads it again when it
changed, so a rotation made by ``flask keys rotate-master`` reaches running workers.

The keys derived for other purposes (blind index, TOTP secrets, the briefing queue, checkpoint
and webhook signatures) come from the *derivation root*: the first master key this portal had,
kept sealed in the keystore once the master key was first rotated. Rotating the master key thus
re-seals the keystore without changing a blind index, a TOTP secret or a checkpoint key.
"""

from __future__ import annotations

from pathlib import Path

from flask import Flask, current_app
from sqlalchemy import select

from crypto.chain import CheckpointSigner
from crypto.keystore import Keystore
from crypto.masterkey import decode_master_key, load_master_keys
from crypto.secretbox import SecretBox
from portal.extensions import db
from portal.models import KeyBlob

_KEYS = "ischia.master_keys"
_STAT = "ischia.master_key_stat"
_ROOT = "ischia.derivation_root"
_SIGNER = "ischia.checkpoint_signer"
ROOT_SECRET = "derivation-root"  # noqa: S105  (a blob name, not a secret)


def _stat(path: Path) -> tuple[int, int, int] | None:
    try:
        found = path.stat()
    except FileNotFoundError:
        return None
    return (found.st_ino, found.st_mtime_ns, found.st_size)


def init_app(app: Flask) -> None:
    value = app.config.get("MASTER_KEY")
    if value:
        key = value if isinstance(value, bytes) else decode_master_key(value)
        app.extensions[_KEYS] = [key]
        app.extensions[_STAT] = None
    else:
        path = Path(app.config["MASTER_KEY_FILE"])
        app.extensions[_KEYS] = load_master_keys(path)
        app.extensions[_STAT] = _stat(path)


def key_file() -> Path | None:
    """The key file the keys come from, or None when they come from the environment."""
    if current_app.config.get("MASTER_KEY"):
        return None
    return Path(current_app.config["MASTER_KEY_FILE"])


def master_keys() -> list[bytes]:
    """The current master key, then any previous one still at hand (during a rotation)."""
    extensions = current_app.extensions
    path = key_file()
    if path is not None:
        now = _stat(path)
        if now is not None and now != extensions[_STAT]:
            extensions[_KEYS] = load_master_keys(path, create=False)
            extensions[_STAT] = now
    return extensions[_KEYS]  # type: ignore[no-any-return]


def master_key() -> bytes:
    return master_keys()[0]


class _RootBlob:
    """Read-only storage of the one keystore blob that holds the derivation root."""

    def get(self, name: str) -> bytes | None:
        return db.session.scalar(select(KeyBlob.blob).where(KeyBlob.name == name))

    def put(self, name: str, blob: bytes) -> None:
        raise NotImplementedError

    def delete(self, name: str) -> None:
        raise NotImplementedError

    def names(self, prefix: str = "") -> list[str]:
        raise NotImplementedError


def derivation_root() -> bytes:
    """What the other keys derive from: the sealed root once the master key was rotated, and
    before that the oldest key in hand (the current one, or the previous one mid-rotation)."""
    root = current_app.extensions.get(_ROOT)
    if root is None:
        keys = master_keys()
        stored = Keystore(_RootBlob(), keys[0], previous_master_keys=keys[1:]).secret(ROOT_SECRET)
        root = current_app.extensions[_ROOT] = stored if stored is not None else keys[-1]
    return root


def totp_box() -> SecretBox:
    return SecretBox(derivation_root(), b"totp")


def briefing_queue_box() -> SecretBox:
    """Seals what a queued briefing leaves in Redis: its request and its finished PDF."""
    return SecretBox(derivation_root(), b"briefing-queue")


def checkpoint_signer() -> CheckpointSigner:
    signer = current_app.extensions.get(_SIGNER)
    if signer is None:
        signer = current_app.extensions[_SIGNER] = CheckpointSigner(derivation_root())
    return signer
