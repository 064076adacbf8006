"""Sealing and opening: round trips, header contents, and the arguments seal refuses."""

from __future__ import annotations

import os
from datetime import timedelta

import pytest

from crypto import (
    Envelope,
    EnvelopeExpired,
    NotARecipient,
    open_envelope,
    seal,
    verify_envelope,
)
from crypto.header import SUITE_V1


def test_round_trip_for_1_to_50_recipients(many_orgs, directory, now):
    sender, *others = many_orgs.values()
    for count in range(1, 51):
        recipients = [b.public for b in others[: count - 1]]
        payload = f"bulletin for {count} organisations".encode()
        envelope = seal(payload, sender=sender, recipients=recipients, marking="TLP:GREEN", now=now)
        exported = Envelope.from_json(envelope.to_json())
        assert len(exported.header.recipients) == count
        for reader in [sender, *others[: count - 1]]:
            opened = open_envelope(exported, recipient=reader, directory=directory, now=now)
            assert opened.payload == payload


@pytest.mark.parametrize("size", [0, 1, 4096, 10 * 1024 * 1024])
def test_payload_sizes(size, orgs, directory, now):
    payload = os.urandom(size)
    envelope = seal(
        payload, sender=orgs["FR"], recipients=[orgs["DE"].public], marking="TLP:RED", now=now
    )
    exported = Envelope.from_json(envelope.to_json())
    assert open_envelope(exported, recipient=orgs["DE"], directory=directory, now=now).payload == (
        payload
    )


def test_header_records_what_the_issue_lists(orgs, now):
    expiry = now + timedelta(days=30)
    envelope = seal(
        b"x",
        sender=orgs["FR"],
        recipients=[orgs["DE"].public, orgs["IT"].public],
        marking="TLP:AMBER+STRICT",
        now=now,
        expires_at=expiry,
        fields={"bulletin": "B-2026-0042", "category": "recruitment", "priority": 2},
    )
    header = envelope.header
    assert header.format == 1
    assert header.suite == SUITE_V1
    assert len(header.envelope_id) == 32
    assert (header.sender.org, header.sender.key_version) == ("FR", 1)
    assert header.sender.fingerprint == orgs["FR"].public.fingerprint
    assert [r.org for r in header.recipients] == ["DE", "FR", "IT"]
    assert {r.org: r.wrapped_key_sha256 for r in header.recipients} == {
        w.org: w.sha256 for w in envelope.wrapped_keys
    }
    assert header.marking == "TLP:AMBER+STRICT"
    assert (header.created_at, header.expires_at) == (now, expiry)
    assert dict(header.fields) == {
        "bulletin": "B-2026-0042",
        "category": "recruitment",
        "priority": 2,
    }
    assert envelope.header_bytes == header.canonical()


def test_sender_can_always_open_its_own_envelope(orgs, directory, now):
    envelope = seal(b"mine", sender=orgs["FR"], recipients=[], marking="TLP:RED", now=now)
    assert [w.org for w in envelope.wrapped_keys] == ["FR"]
    assert open_envelope(envelope, recipient=orgs["FR"], directory=directory, now=now).payload == (
        b"mine"
    )


def test_the_sender_public_bundle_alone_is_enough_to_open(orgs, now):
    envelope = seal(
        b"x", sender=orgs["FR"], recipients=[orgs["DE"].public], marking="TLP:CLEAR", now=now
    )
    opened = open_envelope(envelope, recipient=orgs["DE"], directory=orgs["FR"].public, now=now)
    assert opened.payload == b"x"


def test_expired_envelope_does_not_open(orgs, directory, now):
    envelope = seal(
        b"x",
        sender=orgs["FR"],
        recipients=[orgs["DE"].public],
        marking="TLP:AMBER",
        now=now,
        expires_at=now + timedelta(hours=1),
    )
    later = now + timedelta(hours=1)
    assert verify_envelope(envelope, directory).is_expired(later)
    with pytest.raises(EnvelopeExpired, match="expired"):
        open_envelope(envelope, recipient=orgs["DE"], directory=directory, now=later)
    opened = open_envelope(
        envelope, recipient=orgs["DE"], directory=directory, now=later - timedelta(seconds=1)
    )
    assert opened.payload == b"x"


def test_non_recipient_cannot_open(orgs, directory, now):
    envelope = seal(
        b"x", sender=orgs["FR"], recipients=[orgs["DE"].public], marking="TLP:AMBER", now=now
    )
    with pytest.raises(NotARecipient, match="US is not a recipient"):
        open_envelope(envelope, recipient=orgs["US"], directory=directory, now=now)


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        ({"marking": "SECRET"}, "marking"),
        ({"marking": "tlp:amber"}, "marking"),
        ({"envelope_id": "not-hex"}, "envelope_id"),
        ({"expires_at": "PAST"}, "expires_at"),
        ({"fields": {"x": 1.5}}, "header field"),
        ({"fields": {"x": 2**60}}, "I-JSON"),
        ({"fields": {"": "empty name"}}, "header field names"),
        ({"fields": {"x": "\ud800"}}, "Unicode"),
    ],
)
def test_seal_refuses_bad_arguments(arguments, message, orgs, now):
    if arguments.get("expires_at") == "PAST":
        arguments["expires_at"] = now - timedelta(seconds=1)
    options = {"marking": "TLP:AMBER", **arguments}
    with pytest.raises(ValueError, match=message):
        seal(b"x", sender=orgs["FR"], recipients=[orgs["DE"].public], now=now, **options)


def test_seal_refuses_two_keys_for_one_organisation(orgs, now):
    from tests.crypto.conftest import bundle

    with pytest.raises(ValueError, match="listed twice"):
        seal(
            b"x",
            sender=orgs["FR"],
            recipients=[orgs["DE"].public, bundle("DE", 2).public],
            marking="TLP:AMBER",
            now=now,
        )


def test_seal_refuses_a_naive_clock(orgs, now):
    with pytest.raises(ValueError, match="timezone-aware"):
        seal(
            b"x",
            sender=orgs["FR"],
            recipients=[],
            marking="TLP:AMBER",
            now=now.replace(tzinfo=None),
        )


def test_two_seals_of_one_payload_share_nothing(orgs, now):
    first, second = (
        seal(b"same", sender=orgs["FR"], recipients=[], marking="TLP:AMBER", now=now)
        for _ in range(2)
    )
    assert first.id != second.id
    assert first.content != second.content
    assert first.wrapped_keys[0].enc != second.wrapped_keys[0].enc


def test_nothing_secret_in_reprs_or_errors(orgs, directory, now):
    envelope = seal(
        b"TOP SECRET PAYLOAD", sender=orgs["FR"], recipients=[], marking="TLP:RED", now=now
    )
    opened = open_envelope(envelope, recipient=orgs["FR"], directory=directory, now=now)
    seed = orgs["FR"].seed
    texts = [repr(orgs["FR"]), repr(opened), repr(envelope), repr(opened.verification)]
    with pytest.raises(NotARecipient) as refused:
        open_envelope(envelope, recipient=orgs["DE"], directory=directory, now=now)
    texts.append(str(refused.value))
    for text in texts:
        assert "TOP SECRET" not in text
        assert seed.hex() not in text
        assert opened.content_key.hex() not in text
        assert repr(seed) not in text
        assert repr(opened.content_key) not in text
