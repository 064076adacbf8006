"""The keystore: sealing at rest, and rotations that survive a crash between any two steps."""

from __future__ import annotations

import secrets
from datetime import timedelta

import pytest

from crypto import (
    Keystore,
    KeystoreError,
    MemoryEnvelopes,
    MemoryStorage,
    UnknownKeyVersion,
    grant,
    open_envelope,
    seal,
)
from crypto.keystore import master_key_id
from tests.crypto.crashes import (
    Crash,
    CrashingEnvelopes,
    CrashingStorage,
    Fuse,
    copy_storage,
)

ORGS = ("DE", "FR", "IT")


@pytest.fixture
def master():
    return secrets.token_bytes(32)


@pytest.fixture
def populated(master, now):
    """A keystore holding three organisations' keys, and envelopes sealed among them."""
    storage = MemoryStorage()
    keystore = Keystore(storage, master)
    for org in ORGS:
        keystore.create_organisation(org, now=now)
    envelopes = MemoryEnvelopes()
    plan = [("FR", ["DE"]), ("FR", ["DE", "IT"]), ("DE", ["IT"]), ("IT", ["FR"]), ("DE", [])]
    for index, (sender, recipients) in enumerate(plan):
        envelope = seal(
            f"bulletin {index}".encode(),
            sender=keystore.private_bundle(sender),
            recipients=[keystore.public_bundle(o, 1) for o in recipients],
            marking="TLP:AMBER",
            now=now,
        )
        envelopes.add(envelope)
    # One envelope reaches DE through a grant rather than the header.
    released = grant(
        envelopes.load(next(e.id for e in envelopes if e.header.sender.org == "IT")),
        originator=keystore.private_bundle("IT"),
        recipient=keystore.public_bundle("DE", 1),
        directory=keystore,
        now=now,
    )
    envelopes.replace(released)
    return storage, envelopes


def _readable_everything(keystore: Keystore, envelopes: MemoryEnvelopes, now) -> int:
    """Open every envelope as every organisation that holds a key for it; count the openings."""
    directory = keystore.directory()
    opened = 0
    for envelope in envelopes:
        for org in sorted({w.org for w in envelope.wrapped_keys}):
            result = open_envelope(
                envelope, recipient=keystore.private_bundles(org), directory=directory, now=now
            )
            assert result.payload.startswith(b"bulletin")
            opened += 1
    return opened


def test_keys_round_trip_through_the_store(populated, master, now):
    storage, envelopes = populated
    keystore = Keystore(storage, master)
    assert keystore.organisations() == list(ORGS)
    assert keystore.current_version("DE") == 1
    assert keystore.private_bundle("DE").public == keystore.public_bundle("DE", 1)
    assert [b.org for b in keystore.directory()] == list(ORGS)
    assert _readable_everything(keystore, envelopes, now) == 11


def test_the_stored_blob_alone_opens_nothing(populated, master):
    storage, _ = populated
    keystore = Keystore(storage, master)
    seed = keystore.private_bundle("DE").seed
    for name in storage.names():
        blob = storage.get(name)
        assert seed not in blob and seed.hex().encode() not in blob
        assert b'"seed"' not in blob and b"ischia-org" not in blob
    stranger = Keystore(storage, secrets.token_bytes(32))
    with pytest.raises(KeystoreError, match="was not given"):
        stranger.private_bundle("DE")
    # Same key id, other key: impossible in practice; a blob altered in place must not open.
    name = "orgs/DE/keys/0000000001/private"
    blob = bytearray(storage.get(name))
    blob[-1] ^= 1
    storage.put(name, bytes(blob))
    with pytest.raises(KeystoreError, match="altered or copied"):
        keystore.private_bundle("DE")


def test_a_blob_copied_to_another_name_does_not_open(populated, master):
    storage, _ = populated
    storage.put("orgs/DE/keys/0000000001/private", storage.get("orgs/IT/keys/0000000001/private"))
    with pytest.raises(KeystoreError, match="altered or copied"):
        Keystore(storage, master).private_bundle("DE")


def test_create_twice_is_refused(populated, master, now):
    storage, _ = populated
    with pytest.raises(KeystoreError, match="already holds"):
        Keystore(storage, master).create_organisation("DE", now=now)


def test_unknown_organisation_and_version(populated, master):
    storage, _ = populated
    keystore = Keystore(storage, master)
    with pytest.raises(UnknownKeyVersion):
        keystore.private_bundle("US")
    with pytest.raises(UnknownKeyVersion):
        keystore.private_bundle("DE", 2)
    with pytest.raises(ValueError):
        keystore.current_version("../etc")


def test_organisation_key_rotation(populated, master, now):
    storage, envelopes = populated
    keystore = Keystore(storage, master)
    later = now + timedelta(days=90)
    new = keystore.rotate_organisation_key("DE", envelopes, now=later)
    assert (new.org, new.version, new.created_at) == ("DE", 2, later)
    assert keystore.current_version("DE") == 2
    assert [b.version for b in keystore.private_bundles("DE")] == [2]
    assert keystore.public_bundle("DE", 1).version == 1  # old public half kept for verification
    assert envelopes.holding_key("DE", 1) == []
    assert len(envelopes.holding_key("DE", 2)) == 5
    assert _readable_everything(keystore, envelopes, later) == 11
    assert keystore.rotation_in_progress("DE") is None


def test_rotation_in_stages_keeps_old_envelopes_open(populated, master, now):
    storage, envelopes = populated
    keystore = Keystore(storage, master)
    keystore.start_key_rotation("DE", now=now)
    with pytest.raises(KeystoreError, match="unfinished"):
        keystore.start_key_rotation("DE", now=now)
    assert keystore.rewrap_pending("DE", envelopes, now=now, limit=1) == 1
    assert not keystore.finish_key_rotation("DE", envelopes)
    assert [b.version for b in keystore.private_bundles("DE")] == [2, 1]
    assert _readable_everything(keystore, envelopes, now) == 11
    assert keystore.rewrap_pending("DE", envelopes, now=now) == 4
    assert keystore.finish_key_rotation("DE", envelopes)
    assert _readable_everything(keystore, envelopes, now) == 11
    with pytest.raises(UnknownKeyVersion):
        keystore.private_bundle("DE", 1)


def test_master_key_rotation(populated, master, now):
    storage, envelopes = populated
    new_master = secrets.token_bytes(32)
    rotated = Keystore(storage, master).rotate_master_key(new_master)
    new_id = master_key_id(new_master)
    assert all(storage.get(name)[4:12] == new_id for name in storage.names())
    assert _readable_everything(rotated, envelopes, now) == 11
    with pytest.raises(KeystoreError, match="was not given"):
        Keystore(storage, master).private_bundle("DE")


def _crash_points(run, make_state, check_after_crash, check_done):
    """Run ``run`` with a crash after 0, 1, 2, ... steps until it completes untouched."""
    for steps in range(200):
        state = make_state()
        fuse = Fuse(steps)
        try:
            run(state, fuse)
        except Crash:
            check_after_crash(state, steps)
            continue
        assert not fuse.blown
        check_done(state)
        return steps
    raise AssertionError("the operation never completed")


def test_organisation_rotation_survives_a_crash_at_every_step(populated, master, now):
    base_storage, base_envelopes = populated
    later = now + timedelta(days=1)

    def make_state():
        return copy_storage(base_storage), MemoryEnvelopes(list(base_envelopes))

    def run(state, fuse):
        storage, envelopes = state
        keystore = Keystore(CrashingStorage(storage, fuse), master)
        keystore.rotate_organisation_key("DE", CrashingEnvelopes(envelopes, fuse), now=later)

    def after_crash(state, steps):
        storage, envelopes = state
        restarted = Keystore(storage, master)
        assert _readable_everything(restarted, envelopes, later) == 11, steps
        assert restarted.resume(envelopes, now=later) or steps == 0
        check_done(state)

    def check_done(state):
        storage, envelopes = state
        keystore = Keystore(storage, master)
        assert keystore.rotation_in_progress("DE") is None
        if keystore.current_version("DE") == 1:  # crashed before anything was written
            return
        assert [b.version for b in keystore.private_bundles("DE")] == [2]
        assert envelopes.holding_key("DE", 1) == []
        assert _readable_everything(keystore, envelopes, later) == 11

    steps = _crash_points(run, make_state, after_crash, check_done)
    # journal, new private, new public, current, 5 envelopes, old private, journal = 11 steps
    assert steps == 11


def test_master_rotation_survives_a_crash_at_every_step(populated, master, now):
    base_storage, envelopes = populated
    new_master = secrets.token_bytes(32)

    def run(storage, fuse):
        Keystore(CrashingStorage(storage, fuse), master).rotate_master_key(new_master)

    def after_crash(storage, steps):
        # Restarted with the new key and the old one, as the procedure requires.
        both = Keystore(storage, new_master, previous_master_keys=[master])
        assert _readable_everything(both, envelopes, now) == 11, steps
        if storage.get("rotations/master") is not None:
            with pytest.raises(KeystoreError, match="interrupted"):
                Keystore(storage, master, previous_master_keys=[new_master]).resume(
                    envelopes, now=now
                )
        both.resume(envelopes, now=now)
        if storage.get("rotations/master") is None and steps > 0:
            check_done(storage)

    def check_done(storage):
        alone = Keystore(storage, new_master)
        assert _readable_everything(alone, envelopes, now) == 11
        with pytest.raises(KeystoreError):
            Keystore(storage, master).private_bundle("FR")

    steps = _crash_points(run, lambda: copy_storage(base_storage), after_crash, check_done)
    # the journal, nine blobs (3 organisations x current, private, public), the journal again
    assert steps == 11


def test_rotation_of_an_organisation_during_an_unfinished_master_rotation(populated, master, now):
    storage, envelopes = populated
    new_master = secrets.token_bytes(32)
    fuse = Fuse(4)
    with pytest.raises(Crash):
        Keystore(CrashingStorage(storage, fuse), master).rotate_master_key(new_master)
    both = Keystore(storage, new_master, previous_master_keys=[master])
    both.rotate_organisation_key("IT", envelopes, now=now)
    assert both.resume(envelopes, now=now) == [f"master key {master_key_id(new_master).hex()}"]
    assert _readable_everything(Keystore(storage, new_master), envelopes, now) == 11


def test_crash_while_creating_an_organisation_is_finished_on_retry(master, now):
    for steps in range(3):
        storage = MemoryStorage()
        with pytest.raises(Crash):
            Keystore(CrashingStorage(storage, Fuse(steps)), master).create_organisation(
                "DE", now=now
            )
        assert "orgs/DE/current" not in storage.names()
        keystore = Keystore(storage, master)
        written = keystore.private_bundle("DE", 1) if steps else None
        bundle = keystore.create_organisation("DE", now=now)
        assert keystore.current_version("DE") == 1
        if written is not None:  # the key made before the crash is the one kept
            assert bundle == written.public
