"""The 256-bit master key that seals every private key and secret kept in the database.

Security property: the master key never enters the database. It is read from a file (created
with 0600 rights on first use, for the embedded default) or from an environment value that the
caller passes in, so a stolen database or backup alone opens nothing.
"""

from __future__ import annotations

import base64
import binascii
import os
import secrets
from pathlib import Path

__all__ = [
    "MASTER_KEY_BYTES",
    "MasterKeyError",
    "decode_master_key",
    "encode_master_key",
    "load_master_keys",
    "load_or_create_master_key",
    "store_master_keys",
]

MASTER_KEY_BYTES = 32


class MasterKeyError(Exception):
    """The master key is missing, unreadable, too widely readable or malformed."""


def decode_master_key(text: str) -> bytes:
    """Decode a master key written as URL-safe base64 (the form this module writes)."""
    try:
        key = base64.urlsafe_b64decode(text.strip().encode("ascii"))
    except (binascii.Error, UnicodeEncodeError, ValueError) as exc:
        raise MasterKeyError("master key is not valid base64") from exc
    if len(key) != MASTER_KEY_BYTES:
        raise MasterKeyError(f"master key must be {MASTER_KEY_BYTES} bytes, got {len(key)}")
    return key


def encode_master_key(key: bytes) -> str:
    if len(key) != MASTER_KEY_BYTES:
        raise MasterKeyError(f"master key must be {MASTER_KEY_BYTES} bytes, got {len(key)}")
    return base64.urlsafe_b64encode(key).decode("ascii")


def load_or_create_master_key(path: Path, *, create: bool = True) -> bytes:
    """Return the master key stored at ``path``, creating it (0600) if absent and allowed."""
    return load_master_keys(path, create=create)[0]


def load_master_keys(path: Path, *, create: bool = True) -> list[bytes]:
    """The keys in the file at ``path``: the current one (first line), then any previous ones
    still at hand during a master-key rotation. Creates the file (0600) if absent and allowed.

    A key file that group or others may read is refused rather than used: that would mean the
    key has already been exposed to other accounts on the machine.
    """
    if create and not path.exists():
        _create_key_file(path)
    try:
        mode = path.stat().st_mode
    except FileNotFoundError as exc:
        raise MasterKeyError(f"master key file {path} does not exist") from exc
    if mode & 0o077:
        raise MasterKeyError(f"master key file {path} is readable by others (chmod 600 it)")
    try:
        text = path.read_text(encoding="ascii")
    except (OSError, UnicodeDecodeError) as exc:
        raise MasterKeyError(f"master key file {path} is unreadable or not ASCII text") from exc
    lines = [line for line in text.splitlines() if line.strip()]
    if not lines:
        raise MasterKeyError(f"master key file {path} is empty")
    return [decode_master_key(line) for line in lines]


def store_master_keys(path: Path, keys: list[bytes]) -> None:
    """Replace the key file with ``keys`` (current first), durably (:func:`write_durably`)."""
    if not keys:
        raise MasterKeyError("a key file needs at least one key")
    data = "".join(encode_master_key(key) + "\n" for key in keys)
    write_durably(path, data.encode("ascii"))


def fsync_directory(directory: Path) -> None:
    fd = os.open(directory, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def write_durably(path: Path, data: bytes, *, mode: int = 0o600) -> None:
    """Replace ``path`` with ``data``: a temporary file written and fsynced, renamed over the
    old one, then the directory fsynced. A crash leaves the old file or the new one, whole;
    never a part, never none."""
    temporary = path.with_name(f".{path.name}.{secrets.token_hex(8)}.tmp")
    fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, mode)
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(temporary, path)
    finally:
        temporary.unlink(missing_ok=True)
    fsync_directory(path.parent)


def _create_key_file(path: Path) -> None:
    """Write a new key beside ``path``, flush it to disk, then link it into place.

    The key file only ever appears complete: another process starting at the same moment reads
    either no file or the whole key (never an empty one), and a crash right after creation cannot
    leave an empty file behind while blobs sealed under the key are already stored. If two
    processes race, the first link wins and the other uses that key.
    """
    temporary = path.with_name(f".{path.name}.{secrets.token_hex(8)}.tmp")
    fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        with os.fdopen(fd, "w", encoding="ascii") as handle:
            handle.write(base64.urlsafe_b64encode(secrets.token_bytes(MASTER_KEY_BYTES)).decode())
            handle.write("\n")
            handle.flush()
            os.fsync(handle.fileno())
        try:
            os.link(temporary, path)
        except FileExistsError:
            return
        directory = os.open(path.parent, os.O_RDONLY)
        try:
            os.fsync(directory)
        finally:
            os.close(directory)
    finally:
        temporary.unlink(missing_ok=True)
