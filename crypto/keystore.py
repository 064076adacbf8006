"""Organisation private keys sealed under the master key, and crash-safe key rotations.

Every blob the keystore writes is ``"IKS1" || master key id (8 bytes) || SecretBox output``:
AES-256-GCM under a key HKDF-derived from the 256-bit master key, with the master key id and the
blob's name as associated data. The master key itself never reaches the storage: it comes from
:func:`crypto.masterkey.load_or_create_master_key` or from the environment.

Security property: a stolen storage (database, backup) holds only sealed blobs, which open under
no key but the master key, and a blob copied to another name (another organisation or version)
does not open either. Both rotations are sequences of single atomic writes, each step recorded
in a sealed journal before it is taken, so that after a crash at any point every private key is
still readable (under the old or the new master key) and every envelope still opens (with the
old or the new organisation key); :meth:`Keystore.resume` completes what was interrupted.

Master-key rotation: store the new key durably next to the old one *first* (both must be at hand
until :meth:`Keystore.rotate_master_key` returns), then call it; then retire the old key.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import datetime

from crypto.errors import KeystoreError, UnknownKeyVersion
from crypto.keys import ORG_PATTERN, Directory, PrivateBundle, PublicBundle, PublicKeys
from crypto.release import rewrap
from crypto.secretbox import SecretBox, SecretBoxError, derive_key
from crypto.storage import BlobStorage, EnvelopeRepository

__all__ = ["Keystore", "master_key_id"]

_MAGIC = b"IKS1"
_KEY_ID_BYTES = 8
_MASTER_JOURNAL = "rotations/master"
_SECRETS = "secrets/"


def master_key_id(master_key: bytes) -> bytes:
    """A public 8-byte name for a master key (HKDF output: reveals nothing of the key)."""
    return derive_key(master_key, b"keystore/key-id", _KEY_ID_BYTES)


def _org_prefix(org: str) -> str:
    if not ORG_PATTERN.fullmatch(org):
        raise ValueError("organisation code must be 1-64 letters, digits, '_', '.' or '-'")
    return f"orgs/{org}/"


def _key_name(org: str, version: int, half: str) -> str:
    return f"{_org_prefix(org)}keys/{version:010d}/{half}"


def _journal_name(org: str) -> str:
    _org_prefix(org)
    return f"rotations/org/{org}"


class Keystore:
    """Private key bundles of the organisations this node holds keys for.

    ``master_key`` seals everything written; ``previous_master_keys`` may still open blobs, as
    during an interrupted master-key rotation. The keystore is also a :class:`PublicKeys`.
    """

    def __init__(
        self,
        storage: BlobStorage,
        master_key: bytes,
        *,
        previous_master_keys: Sequence[bytes] = (),
    ) -> None:
        self._storage = storage
        self._master_key = master_key
        self._keys = [master_key, *previous_master_keys]
        self._current_id = master_key_id(master_key)
        self._boxes = {master_key_id(key): SecretBox(key, b"keystore") for key in self._keys}

    # -- sealed blobs ------------------------------------------------------------------------

    @staticmethod
    def _context(key_id: bytes, name: str) -> bytes:
        return b"ischia-keystore/v1\x00" + key_id + b"\x00" + name.encode()

    def _blob_key_id(self, name: str, blob: bytes) -> bytes:
        if len(blob) < len(_MAGIC) + _KEY_ID_BYTES or not blob.startswith(_MAGIC):
            raise KeystoreError(f"stored blob {name} has an unknown format")
        return blob[len(_MAGIC) : len(_MAGIC) + _KEY_ID_BYTES]

    def _read(self, name: str) -> bytes | None:
        blob = self._storage.get(name)
        if blob is None:
            return None
        key_id = self._blob_key_id(name, blob)
        box = self._boxes.get(key_id)
        if box is None:
            raise KeystoreError(
                f"stored blob {name} is sealed under master key {key_id.hex()}, which this "
                "keystore was not given (an interrupted master-key rotation needs both keys)"
            )
        try:
            return box.open(blob[len(_MAGIC) + _KEY_ID_BYTES :], self._context(key_id, name))
        except SecretBoxError:
            raise KeystoreError(
                f"stored blob {name} does not open under master key {key_id.hex()}: it was "
                "altered or copied from another name"
            ) from None

    def _write(self, name: str, plaintext: bytes) -> None:
        box = self._boxes[self._current_id]
        sealed = box.seal(plaintext, self._context(self._current_id, name))
        self._storage.put(name, _MAGIC + self._current_id + sealed)

    def _read_json(self, name: str) -> dict[str, int] | None:
        data = self._read(name)
        return None if data is None else dict(json.loads(data))

    # -- other secrets sealed under the master key --------------------------------------------

    def secret(self, name: str) -> bytes | None:
        """A secret stored with :meth:`store_secret` (re-sealed by master-key rotations)."""
        return self._read(_SECRETS + name)

    def store_secret(self, name: str, value: bytes) -> None:
        self._write(_SECRETS + name, value)

    # -- organisations and bundles -----------------------------------------------------------

    def organisations(self) -> list[str]:
        return sorted({name.split("/")[1] for name in self._storage.names("orgs/")})

    def current_version(self, org: str) -> int:
        data = self._read(_org_prefix(org) + "current")
        if data is None:
            raise UnknownKeyVersion(f"the keystore holds no keys for {org}")
        return int(data)

    def create_organisation(self, org: str, *, now: datetime) -> PublicBundle:
        """Generate version 1 of ``org``'s keys. Re-running after a crash finishes the job."""
        if self._read(_org_prefix(org) + "current") is not None:
            raise KeystoreError(f"the keystore already holds keys for {org}")
        bundle = self._ensure_bundle(org, 1, now)
        self._write(_org_prefix(org) + "current", b"1")
        return bundle.public

    def _ensure_bundle(self, org: str, version: int, now: datetime) -> PrivateBundle:
        data = self._read(_key_name(org, version, "private"))
        if data is None:
            bundle = PrivateBundle.generate(org, version=version, now=now)
            self._write(_key_name(org, version, "private"), bundle.to_json().encode())
        else:
            bundle = PrivateBundle.from_json(data)
        if self._storage.get(_key_name(org, version, "public")) is None:
            self._write(_key_name(org, version, "public"), bundle.public.to_json().encode())
        return bundle

    def private_bundle(self, org: str, version: int | None = None) -> PrivateBundle:
        """``org``'s private bundle at ``version`` (default: the current one, to seal with)."""
        version = self.current_version(org) if version is None else version
        data = self._read(_key_name(org, version, "private"))
        if data is None:
            raise UnknownKeyVersion(
                f"the private key of {org} v{version} is not (or no longer) held"
            )
        bundle = PrivateBundle.from_json(data)
        if (bundle.org, bundle.version) != (org, version):
            raise KeystoreError(f"stored bundle {org} v{version} names another key")
        return bundle

    def private_bundles(self, org: str) -> list[PrivateBundle]:
        """Every private bundle still held for ``org``, newest first: the key ring to open with."""
        versions = sorted(
            {
                int(name.split("/")[3])
                for name in self._storage.names(_org_prefix(org) + "keys/")
                if name.endswith("/private")
            },
            reverse=True,
        )
        return [self.private_bundle(org, version) for version in versions]

    def public_bundle(self, org: str, version: int) -> PublicBundle:
        data = self._read(_key_name(org, version, "public"))
        if data is None:
            return self.private_bundle(org, version).public
        return PublicBundle.from_json(data)

    def directory(self) -> Directory:
        """Every public bundle held, all versions (retired private keys keep their public half)."""
        bundles = []
        for org in self.organisations():
            for name in self._storage.names(_org_prefix(org) + "keys/"):
                if name.endswith("/public"):
                    bundles.append(self.public_bundle(org, int(name.split("/")[3])))
        return Directory(bundles)

    # -- organisation-key rotation ---------------------------------------------------------

    def rotation_in_progress(self, org: str) -> tuple[int, int] | None:
        """``(old, new)`` versions if a rotation of ``org``'s keys has not finished."""
        journal = self._read_json(_journal_name(org))
        return None if journal is None else (journal["from"], journal["to"])

    def start_key_rotation(self, org: str, *, now: datetime) -> PublicBundle:
        """Create ``org``'s next key version and make it current; old versions stay until
        :meth:`finish_key_rotation`. Publish the returned bundle to the senders' directory."""
        if self.rotation_in_progress(org) is not None:
            raise KeystoreError(f"a rotation of {org}'s keys is unfinished: call resume()")
        old = self.current_version(org)
        self._write(_journal_name(org), json.dumps({"from": old, "to": old + 1}).encode())
        return self._continue_start(org, old + 1, now)

    def _continue_start(self, org: str, new: int, now: datetime) -> PublicBundle:
        bundle = self._ensure_bundle(org, new, now)
        if self.current_version(org) != new:
            self._write(_org_prefix(org) + "current", str(new).encode())
        return bundle.public

    def rewrap_pending(
        self,
        org: str,
        envelopes: EnvelopeRepository,
        *,
        now: datetime,
        directory: PublicKeys | None = None,
        limit: int | None = None,
    ) -> int:
        """Move up to ``limit`` envelopes' content keys from ``org``'s old version to the new one.

        ``directory`` must know every envelope's sender (default: this keystore). Returns how
        many envelopes were re-wrapped; each is replaced in ``envelopes`` on its own.
        """
        rotation = self.rotation_in_progress(org)
        if rotation is None:
            return 0
        pending = envelopes.holding_key(org, rotation[0])
        if not pending:
            return 0
        old = self.private_bundle(org, rotation[0])
        new = self.private_bundle(org, rotation[1])
        done = 0
        for envelope_id in pending:
            if limit is not None and done >= limit:
                break
            envelope = envelopes.load(envelope_id)
            envelopes.replace(
                rewrap(envelope, old=old, new=new, directory=directory or self, now=now)
            )
            done += 1
        return done

    def finish_key_rotation(self, org: str, envelopes: EnvelopeRepository) -> bool:
        """Destroy the old private key once no envelope holds a key for it; False if some do."""
        rotation = self.rotation_in_progress(org)
        if rotation is None:
            return True
        if envelopes.holding_key(org, rotation[0]):
            return False
        self._storage.delete(_key_name(org, rotation[0], "private"))
        self._storage.delete(_journal_name(org))
        return True

    def rotate_organisation_key(
        self,
        org: str,
        envelopes: EnvelopeRepository,
        *,
        now: datetime,
        directory: PublicKeys | None = None,
    ) -> PublicBundle:
        """Start, re-wrap everything and finish a rotation of ``org``'s keys in one call."""
        bundle = self.start_key_rotation(org, now=now)
        self.rewrap_pending(org, envelopes, now=now, directory=directory)
        if not self.finish_key_rotation(org, envelopes):
            raise KeystoreError(f"envelopes sealed to the old {org} key arrived during rotation")
        return bundle

    # -- master-key rotation and recovery ----------------------------------------------------

    def rotate_master_key(self, new_master_key: bytes) -> Keystore:
        """Re-seal every blob under ``new_master_key``; returns the keystore to use from now on.

        The new key must already be stored where the next start finds it, together with the old
        one: until this returns, blobs are sealed under either.
        """
        rotated = Keystore(
            self._storage, new_master_key, previous_master_keys=[k for k in self._keys]
        )
        target = rotated._current_id.hex()
        rotated._write(_MASTER_JOURNAL, json.dumps({"to": target}).encode())
        rotated._reseal_all()
        return Keystore(self._storage, new_master_key)

    def _reseal_all(self) -> None:
        for name in self._storage.names():
            blob = self._storage.get(name)
            if name == _MASTER_JOURNAL or blob is None:
                continue
            if self._blob_key_id(name, blob) != self._current_id:
                plaintext = self._read(name)
                if plaintext is not None:
                    self._write(name, plaintext)
        self._storage.delete(_MASTER_JOURNAL)

    def resume(
        self, envelopes: EnvelopeRepository, *, now: datetime, directory: PublicKeys | None = None
    ) -> list[str]:
        """Complete every interrupted rotation; returns what was completed, for the log."""
        completed = []
        blob = self._storage.get(_MASTER_JOURNAL)
        if blob is not None:
            key_id = self._blob_key_id(_MASTER_JOURNAL, blob)
            if key_id != self._current_id:
                raise KeystoreError(
                    f"a master-key rotation to key {key_id.hex()} was interrupted: start with "
                    "that key as the master key and the old one as a previous key"
                )
            self._reseal_all()
            completed.append(f"master key {key_id.hex()}")
        for name in self._storage.names("rotations/org/"):
            org = name.rsplit("/", 1)[1]
            rotation = self.rotation_in_progress(org)
            if rotation is None:
                continue
            self._continue_start(org, rotation[1], now)
            self.rewrap_pending(org, envelopes, now=now, directory=directory)
            if not self.finish_key_rotation(org, envelopes):
                raise KeystoreError(f"envelopes still hold {org} v{rotation[0]} keys")
            completed.append(f"{org} v{rotation[0]} -> v{rotation[1]}")
        return completed
