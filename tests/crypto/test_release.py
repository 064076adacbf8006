"""Grants, re-wraps and shredding: who holds the content key after sealing."""

from __future__ import annotations

from dataclasses import replace

import pytest

from crypto import (
    BadSignature,
    Envelope,
    EnvelopeExpired,
    NotARecipient,
    NotTheOriginator,
    Shredded,
    TamperedEnvelope,
    UnknownKeyVersion,
    grant,
    open_envelope,
    rewrap,
    seal,
    shred,
    verify_envelope,
)
from crypto.keys import Directory
from crypto.records import KeyRecord
from tests.crypto.conftest import bundle


@pytest.fixture
def envelope(orgs, now):
    return seal(
        b"bulletin", sender=orgs["FR"], recipients=[orgs["DE"].public], marking="TLP:AMBER", now=now
    )


def test_grant_releases_without_reencrypting(envelope, orgs, directory, now):
    granted = grant(
        envelope, originator=orgs["FR"], recipient=orgs["JP"].public, directory=directory, now=now
    )
    assert granted.content == envelope.content
    assert granted.header_bytes == envelope.header_bytes
    assert granted.signature == envelope.signature
    [record] = granted.key_records
    assert (record.kind, record.org, record.signer.org) == ("grant", "JP", "FR")
    exported = Envelope.from_json(granted.to_json())
    for reader in ("FR", "DE", "JP"):
        opened = open_envelope(exported, recipient=orgs[reader], directory=directory, now=now)
        assert opened.payload == b"bulletin"
    access = {(a.org, a.via) for a in verify_envelope(exported, directory).access}
    assert access == {("DE", "header"), ("FR", "header"), ("JP", "grant")}


def test_grant_twice_is_a_no_op(envelope, orgs, directory, now):
    once = grant(
        envelope, originator=orgs["FR"], recipient=orgs["JP"].public, directory=directory, now=now
    )
    assert (
        grant(
            once, originator=orgs["FR"], recipient=orgs["JP"].public, directory=directory, now=now
        )
        is once
    )


def test_only_the_originator_may_grant(envelope, orgs, directory, now):
    with pytest.raises(NotTheOriginator, match="only FR may release"):
        grant(
            envelope,
            originator=orgs["DE"],
            recipient=orgs["JP"].public,
            directory=directory,
            now=now,
        )


def test_a_grant_forged_by_a_recipient_fails(envelope, orgs, directory, now):
    """DE can unwrap the content key, so it could wrap it for JP; its grant must not count."""
    genuine = grant(
        envelope, originator=orgs["FR"], recipient=orgs["JP"].public, directory=directory, now=now
    )
    [record] = genuine.key_records
    forged_record = KeyRecord.create(
        "grant",
        envelope_id=envelope.id,
        header_sha256=envelope.header_sha256,
        recipient=orgs["JP"].public,
        wrapped=genuine.wrapped_keys[2],
        signer=orgs["DE"],
        now=now,
    )
    forged = replace(genuine, key_records=(forged_record,))
    with pytest.raises(BadSignature, match="not by the originator FR"):
        open_envelope(forged, recipient=orgs["JP"], directory=directory, now=now)
    # Claiming to be FR while signing with DE's keys fails on the signature itself.
    impostor = replace(forged_record, signer=record.signer, signature=forged_record.signature)
    with pytest.raises(BadSignature, match="does not verify"):
        open_envelope(
            replace(genuine, key_records=(impostor,)),
            recipient=orgs["JP"],
            directory=directory,
            now=now,
        )


def test_a_grant_cannot_be_replayed_onto_another_envelope(envelope, orgs, directory, now):
    granted = grant(
        envelope, originator=orgs["FR"], recipient=orgs["JP"].public, directory=directory, now=now
    )
    other = seal(
        b"other", sender=orgs["FR"], recipients=[orgs["DE"].public], marking="TLP:AMBER", now=now
    )
    replayed = replace(
        other,
        wrapped_keys=(*other.wrapped_keys, granted.wrapped_keys[2]),
        key_records=granted.key_records,
    )
    with pytest.raises(TamperedEnvelope, match="belongs to another envelope"):
        open_envelope(replayed, recipient=orgs["JP"], directory=directory, now=now)


def test_grant_after_expiry_is_refused(orgs, directory, now):
    from datetime import timedelta

    envelope = seal(
        b"x",
        sender=orgs["FR"],
        recipients=[],
        marking="TLP:AMBER",
        now=now,
        expires_at=now + timedelta(days=1),
    )
    with pytest.raises(EnvelopeExpired):
        grant(
            envelope,
            originator=orgs["FR"],
            recipient=orgs["JP"].public,
            directory=directory,
            now=now + timedelta(days=2),
        )


def test_shredded_envelope_opens_for_nobody(envelope, orgs, directory, now):
    granted = grant(
        envelope, originator=orgs["FR"], recipient=orgs["JP"].public, directory=directory, now=now
    )
    shredded = Envelope.from_json(shred(granted).to_json())
    assert shredded.wrapped_keys == ()
    assert verify_envelope(shredded, directory).shredded
    for reader in ("FR", "DE", "JP", "US"):
        with pytest.raises(Shredded, match="shredded"):
            open_envelope(shredded, recipient=orgs[reader], directory=directory, now=now)
    with pytest.raises(Shredded):
        grant(
            shredded,
            originator=orgs["FR"],
            recipient=orgs["IT"].public,
            directory=directory,
            now=now,
        )


def test_shredding_one_organisation_revokes_it_alone(envelope, orgs, directory, now):
    revoked = shred(envelope, orgs=["DE"])
    with pytest.raises(NotARecipient):
        open_envelope(revoked, recipient=orgs["DE"], directory=directory, now=now)
    assert (
        open_envelope(revoked, recipient=orgs["FR"], directory=directory, now=now).payload
        == b"bulletin"
    )


def test_rewrap_moves_a_copy_to_the_new_key_version(envelope, orgs, now):
    de2 = bundle("DE", 2)
    directory = Directory([orgs["FR"].public, orgs["DE"].public, de2.public])
    moved = rewrap(envelope, old=orgs["DE"], new=de2, directory=directory, now=now)
    assert {(w.org, w.key_version) for w in moved.wrapped_keys} == {("DE", 2), ("FR", 1)}
    assert moved.key_records[-1].kind == "rewrap"
    exported = Envelope.from_json(moved.to_json())
    assert (
        open_envelope(exported, recipient=de2, directory=directory, now=now).payload == b"bulletin"
    )
    assert (
        open_envelope(exported, recipient=[orgs["DE"], de2], directory=directory, now=now).payload
        == b"bulletin"
    )
    with pytest.raises(UnknownKeyVersion, match="v2; the key ring has v1"):
        open_envelope(exported, recipient=orgs["DE"], directory=directory, now=now)
    # The opener's own new public bundle is enough even if the directory lags behind.
    lagging = Directory([orgs["FR"].public])
    assert open_envelope(exported, recipient=de2, directory=lagging, now=now).payload == b"bulletin"
    # A grant made after the rotation still verifies: records stack.
    granted = grant(
        exported, originator=orgs["FR"], recipient=orgs["IT"].public, directory=directory, now=now
    )
    directory.add(orgs["IT"].public)
    assert (
        open_envelope(granted, recipient=orgs["IT"], directory=directory, now=now).payload
        == b"bulletin"
    )


def test_a_rewrap_record_must_be_signed_by_the_new_key_itself(envelope, orgs, now):
    de2, de3 = bundle("DE", 2), bundle("DE", 3)
    directory = Directory([orgs["FR"].public, orgs["DE"].public, de2.public, de3.public])
    moved = rewrap(envelope, old=orgs["DE"], new=de2, directory=directory, now=now)
    record = moved.key_records[-1]
    wrong_signer = KeyRecord.create(
        "rewrap",
        envelope_id=moved.id,
        header_sha256=moved.header_sha256,
        recipient=de2.public,
        wrapped=next(w for w in moved.wrapped_keys if w.org == "DE"),
        signer=orgs["FR"],
        now=now,
    )
    with pytest.raises(BadSignature, match="itself"):
        open_envelope(
            replace(moved, key_records=(wrong_signer,)), recipient=de2, directory=directory, now=now
        )
    assert record.signer.key_version == 2


def test_a_key_wrapped_for_another_key_of_the_same_version_does_not_open(
    envelope, orgs, directory, now
):
    """A keystore reset that reuses version numbers is caught by the fingerprint."""
    reset = replace(orgs["DE"], seed=bytes(32))
    with pytest.raises(UnknownKeyVersion, match="fingerprints differ"):
        open_envelope(envelope, recipient=reset, directory=directory, now=now)


def test_rewrap_rejects_nonsense(envelope, orgs, directory, now):
    with pytest.raises(ValueError):
        rewrap(envelope, old=orgs["DE"], new=orgs["DE"], directory=directory, now=now)
    with pytest.raises(ValueError):
        rewrap(envelope, old=orgs["DE"], new=orgs["IT"], directory=directory, now=now)


def test_a_key_ring_without_any_held_version_names_every_version_held(envelope, orgs, now):
    """Mid-rotation an envelope may hold DE's key at two versions; a ring with neither is told
    both (and what it has), in order."""
    both, _, directory = _held_at_two_versions(envelope, orgs, now)
    de3, de4 = bundle("DE", 3), bundle("DE", 4)
    with pytest.raises(UnknownKeyVersion) as refused:
        open_envelope(both, recipient=[de3, de4], directory=directory, now=now)
    assert str(refused.value) == (
        f"envelope {envelope.id} holds DE's content key for v1, v2; the key ring has v3, v4"
    )


def test_a_signed_grant_of_another_key_opens_nothing(envelope, orgs, directory, now):
    """The originator itself grants JP a key that is not the content key: every signature
    checks out, and the content does not decrypt; nothing is returned."""
    import secrets

    from crypto.release import _with_keys
    from crypto.sealing import wrap_content_key

    wrong = wrap_content_key(
        secrets.token_bytes(32), envelope.header.suite, envelope.id, orgs["JP"].public
    )
    record = KeyRecord.create(
        "grant",
        envelope_id=envelope.id,
        header_sha256=envelope.header_sha256,
        recipient=orgs["JP"].public,
        wrapped=wrong,
        signer=orgs["FR"],
        now=now,
    )
    bad = _with_keys(envelope, added=wrong, record=record)
    with pytest.raises(TamperedEnvelope) as refused:
        open_envelope(bad, recipient=orgs["JP"], directory=directory, now=now)
    assert str(refused.value) == f"the content of envelope {envelope.id} does not decrypt"


def _held_at_two_versions(envelope, orgs, now):
    """``envelope`` with DE's content key at v1 (the sender's) and v2 (re-wrapped, vouched)."""
    from crypto.release import _with_keys
    from crypto.sealing import unwrap_content_key, wrap_content_key

    de2 = bundle("DE", 2)
    directory = Directory([orgs["FR"].public, orgs["DE"].public, de2.public])
    _, key = unwrap_content_key(envelope, {1: orgs["DE"]}, directory, now=None)
    wrapped = wrap_content_key(key, envelope.header.suite, envelope.id, de2.public)
    record = KeyRecord.create(
        "rewrap",
        envelope_id=envelope.id,
        header_sha256=envelope.header_sha256,
        recipient=de2.public,
        wrapped=wrapped,
        signer=de2,
        now=now,
    )
    return _with_keys(envelope, added=wrapped, record=record), de2, directory


def test_the_newest_version_held_is_the_one_unwrapped(envelope, orgs, now):
    """A ring holding DE v1 and v2 opens with v2; its v1 here is another key than the one
    the envelope was wrapped for, so using v1 would be refused, by name."""
    from crypto.keys import PrivateBundle

    both, de2, directory = _held_at_two_versions(envelope, orgs, now)
    stale = PrivateBundle.from_seed(b"\x02" * 32, "DE", 1, now)
    opened = open_envelope(both, recipient=[stale, de2], directory=directory, now=now)
    assert opened.payload == b"bulletin"
    assert open_envelope(both, recipient=[de2, stale], directory=directory, now=now).payload
    with pytest.raises(UnknownKeyVersion) as refused:
        open_envelope(both, recipient=stale, directory=directory, now=now)
    assert str(refused.value) == (
        f"envelope {envelope.id} was wrapped for another DE v1 key than the one at hand "
        "(fingerprints differ)"
    )


def test_a_vouched_key_that_does_not_unwrap_is_refused_by_name(envelope, orgs, directory, now):
    """The originator grants JP a key actually wrapped for IT: vouched and signed, it does not
    unwrap under JP's key."""
    from crypto.records import WrappedKey
    from crypto.release import _with_keys
    from crypto.sealing import unwrap_content_key, wrap_content_key

    _, key = unwrap_content_key(envelope, {1: orgs["DE"]}, directory, now=None)
    for_it = wrap_content_key(key, envelope.header.suite, envelope.id, orgs["IT"].public)
    labelled = WrappedKey("JP", 1, for_it.enc)
    record = KeyRecord.create(
        "grant",
        envelope_id=envelope.id,
        header_sha256=envelope.header_sha256,
        recipient=orgs["JP"].public,
        wrapped=labelled,
        signer=orgs["FR"],
        now=now,
    )
    bad = _with_keys(envelope, added=labelled, record=record)
    with pytest.raises(TamperedEnvelope) as refused:
        open_envelope(bad, recipient=orgs["JP"], directory=directory, now=now)
    assert str(refused.value) == "the content key wrapped for JP v1 does not open"


def test_a_vouched_key_of_the_wrong_length_is_refused_by_name(envelope, orgs, directory, now):
    from crypto.release import _with_keys
    from crypto.sealing import wrap_content_key

    short = wrap_content_key(b"k" * 16, envelope.header.suite, envelope.id, orgs["JP"].public)
    record = KeyRecord.create(
        "grant",
        envelope_id=envelope.id,
        header_sha256=envelope.header_sha256,
        recipient=orgs["JP"].public,
        wrapped=short,
        signer=orgs["FR"],
        now=now,
    )
    with pytest.raises(TamperedEnvelope) as refused:
        open_envelope(
            _with_keys(envelope, added=short, record=record),
            recipient=orgs["JP"],
            directory=directory,
            now=now,
        )
    assert str(refused.value) == "the content key wrapped for JP has the wrong length"


def test_a_key_ring_is_one_organisations_bundles(orgs):
    from crypto.sealing import keyring_of

    de2 = bundle("DE", 2)
    assert keyring_of(orgs["DE"]) == {1: orgs["DE"]}
    assert keyring_of([de2, orgs["DE"]]) == {1: orgs["DE"], 2: de2}
    with pytest.raises(ValueError) as empty:
        keyring_of([])
    assert str(empty.value) == "no private key bundle was given"
    with pytest.raises(ValueError) as mixed:
        keyring_of([orgs["DE"], orgs["IT"]])
    assert str(mixed.value) == "a key ring holds the bundles of one organisation"
