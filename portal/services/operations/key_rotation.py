"""Key rotations from the command line, on a portal that keeps serving.

Organisation keys: :class:`crypto.Keystore` makes the next version current, re-wraps every
envelope's content key (bulletins and referral evidence) from the old version to the new one,
then destroys the old private key. Each of those steps is one committed transaction of its own,
recorded in the keystore's sealed journal first, so a crash between any two leaves every
envelope openable (with the old key or the new) and rerunning the command finishes the job.
Readers load the key ring before the envelope, so they never meet an envelope whose key left
the ring after they read it.

Master key: the new key is written to the key file next to the old one first (durably: a
temporary file, fsync, rename, fsync of the directory), then every keystore blob is re-sealed
under it in one transaction, with the derivation root kept sealed beside them (so blind
indexes, TOTP secrets and checkpoint keys do not change). Every process reads the file again
when it changes and opens blobs under either key. ``retire-master`` drops the old key from the
file once no process can still be writing under it.

One rotation runs at a time (:func:`locks.rotation_lock`). ``step`` is called before each
durable write: the tests inject a crash there.
"""

from __future__ import annotations

import json
import secrets
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import or_, select

from crypto import Envelope, Keystore
from crypto.keystore import master_key_id
from crypto.masterkey import MASTER_KEY_BYTES, load_master_keys, store_master_keys
from portal import vault
from portal.extensions import db
from portal.models import Bulletin, BulletinKey, Organisation, ReferralEvidence, utcnow
from portal.services import audit
from portal.services.bulletins import store as bulletin_store
from portal.services.errors import Conflict, InvalidInput, NotFound
from portal.services.operations.locks import rotation_lock
from portal.services.organisations import keys as org_keys
from portal.services.organisations.keys import DatabaseBlobs
from portal.services.principals import CLI

Step = Callable[[], None]
ROUNDS = 5  # re-wrap passes for envelopes sealed to the old key while the rotation ran


def _no_step() -> None:
    return None


class StepBlobs:
    """Keystore storage in which every write is a committed transaction of its own."""

    def __init__(self, step: Step) -> None:
        self._step = step

    def get(self, name: str) -> bytes | None:
        return DatabaseBlobs(db.session()).get(name)

    def put(self, name: str, blob: bytes) -> None:
        self._step()
        with db.write() as session:
            DatabaseBlobs(session).put(name, blob)

    def delete(self, name: str) -> None:
        self._step()
        with db.write() as session:
            DatabaseBlobs(session).delete(name)

    def names(self, prefix: str = "") -> list[str]:
        return DatabaseBlobs(db.session()).names(prefix)


class PortalEnvelopes:
    """The sealed envelopes an organisation-key rotation moves: bulletins and referral evidence.
    Each replacement is one committed transaction."""

    def __init__(self, step: Step) -> None:
        self._step = step

    def holding_key(self, org: str, key_version: int) -> list[str]:
        session = db.session()
        found = set(
            session.scalars(
                select(BulletinKey.bulletin_id).where(
                    BulletinKey.org_code == org, BulletinKey.key_version == key_version
                )
            )
        )
        org_id = session.scalar(select(Organisation.id).where(Organisation.code == org))
        rows = session.execute(
            select(ReferralEvidence.id, ReferralEvidence.envelope).where(
                or_(
                    ReferralEvidence.referrer_org_id == org_id,
                    ReferralEvidence.platform_org_id == org_id,
                )
            )
        )
        for evidence_id, text in rows:
            wrapped = json.loads(text).get("wrapped_keys", [])
            if any((w.get("org"), w.get("key_version")) == (org, key_version) for w in wrapped):
                found.add(evidence_id)
        return sorted(found)

    def load(self, envelope_id: str) -> Envelope:
        session = db.session()
        bulletin = session.get(Bulletin, envelope_id)
        if bulletin is not None:
            return bulletin_store.envelope_of(session, bulletin)
        evidence = session.get(ReferralEvidence, envelope_id)
        if evidence is None:
            raise KeyError(envelope_id)
        return Envelope.from_json(evidence.envelope)

    def replace(self, envelope: Envelope) -> None:
        self._step()
        with db.write() as session:
            bulletin = session.get(Bulletin, envelope.id)
            if bulletin is not None:
                bulletin_store.replace_keys(session, bulletin, envelope)
                return
            evidence = session.get(ReferralEvidence, envelope.id)
            if evidence is None:
                raise KeyError(envelope.id)
            evidence.envelope = envelope.to_json()


@dataclass(frozen=True)
class Rotated:
    org: str
    old: int
    new: int
    resumed: list[str]


def rotate_organisation(code: str, step: Step = _no_step) -> Rotated:
    """Rotate ``code``'s keys, or finish its interrupted rotation (rerunning after a crash)."""
    session = db.session()
    org = session.scalar(select(Organisation).where(Organisation.code == code))
    if org is None:
        raise NotFound(f"no organisation has the code {code!r}", field="org")
    with rotation_lock(db.engine):
        current, *previous = vault.master_keys()
        store = Keystore(StepBlobs(step), current, previous_master_keys=previous)
        envelopes = PortalEnvelopes(step)
        directory = org_keys.directory()
        if not org_keys.has_keys(code):
            raise InvalidInput(f"{code} has no keys yet: nothing to rotate", field="org")
        interrupted = store.rotation_in_progress(code)
        resumed = store.resume(envelopes, now=utcnow(), directory=directory)
        if interrupted is not None:
            old, new = interrupted
        else:
            old = store.current_version(code)
            store.start_key_rotation(code, now=utcnow())
            new = old + 1
            for _ in range(ROUNDS):
                store.rewrap_pending(code, envelopes, now=utcnow(), directory=directory)
                if store.finish_key_rotation(code, envelopes):
                    break
            else:
                raise Conflict(
                    f"envelopes sealed to {code}'s old key kept arriving: run the command again"
                )
        with db.write() as write:
            audit.record(
                write,
                "keys.rotated",
                CLI,
                subject_org=org.id,
                details={"org": code, "from": old, "to": new},
            )
    return Rotated(code, old, new, resumed)


def _require_key_file() -> Path:
    path = vault.key_file()
    if path is None:
        raise InvalidInput(
            "the master key comes from ISCHIA_MASTER_KEY: rotation writes the key file, so "
            "point ISCHIA_MASTER_KEY_FILE at it instead (or rotate in your secret store)",
            field="master_key",
        )
    return path


class _FusedBlobs(DatabaseBlobs):
    """The keystore's storage inside the caller's one transaction, with a step before each
    write (a crash there rolls the whole transaction back)."""

    def __init__(self, step: Step) -> None:
        super().__init__(db.session())
        self._step = step

    def put(self, name: str, blob: bytes) -> None:
        self._step()
        super().put(name, blob)

    def delete(self, name: str) -> None:
        self._step()
        super().delete(name)


def _reseal_under(current: bytes, previous: list[bytes], step: Step) -> None:
    """Keep the derivation root, and re-seal every blob under ``current``, in one transaction."""
    with db.write() as session:
        store = Keystore(_FusedBlobs(step), current, previous_master_keys=previous)
        if store.secret(vault.ROOT_SECRET) is None:
            store.store_secret(vault.ROOT_SECRET, vault.derivation_root())
        store.rotate_master_key(current)
        audit.record(
            session, "keys.master_rotated", CLI, details={"key_id": master_key_id(current).hex()}
        )


def rotate_master(step: Step = _no_step) -> str:
    """Rotate the master key (or finish an interrupted rotation); the new key's public id."""
    path = _require_key_file()
    with rotation_lock(db.engine):
        vault.derivation_root()  # known before the key file changes
        keys = load_master_keys(path, create=False)
        if len(keys) == 1:
            step()
            store_master_keys(path, [secrets.token_bytes(MASTER_KEY_BYTES), keys[0]])
            keys = load_master_keys(path, create=False)
        _reseal_under(keys[0], keys[1:], step)
    return master_key_id(keys[0]).hex()


def retire_previous_master_keys(step: Step = _no_step) -> int:
    """Drop previous keys from the key file once every blob is sealed under the current one.
    Returns how many keys were dropped (0 if there were none)."""
    path = _require_key_file()
    with rotation_lock(db.engine):
        keys = load_master_keys(path, create=False)
        if len(keys) == 1:
            return 0
        _reseal_under(keys[0], keys[1:], step)  # anything sealed under an old key since
        step()
        store_master_keys(path, keys[:1])
    return len(keys) - 1
