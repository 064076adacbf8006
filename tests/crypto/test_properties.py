"""Property-based tests: any payload, recipient set and header fields round-trip; others fail."""

from __future__ import annotations

import io
from datetime import timedelta

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from crypto import Envelope, NotARecipient, TamperedEnvelope, open_envelope, seal
from crypto.header import MARKINGS
from crypto.keys import Directory
from crypto.stream import decrypt_stream, encrypt_stream
from tests.crypto.conftest import NOW, ORGS, POOL

DIRECTORY = Directory(b.public for b in POOL.values())
SETTINGS = settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])

text = st.text(st.characters(exclude_categories=("Cs",)), max_size=40)
scalars = st.one_of(st.none(), st.booleans(), st.integers(-(2**53) + 1, 2**53 - 1), text)
field_names = st.text(st.characters(exclude_categories=("Cs", "Cc")), min_size=1, max_size=64)


@SETTINGS
@given(
    payload=st.binary(max_size=5000),
    sender=st.sampled_from(ORGS),
    recipients=st.sets(st.sampled_from(ORGS), max_size=len(ORGS)),
    marking=st.sampled_from(MARKINGS),
    fields=st.dictionaries(field_names, scalars, max_size=6),
    lifetime=st.one_of(st.none(), st.integers(1, 10**8)),
)
def test_seal_then_open_round_trips(payload, sender, recipients, marking, fields, lifetime):
    expires = None if lifetime is None else NOW + timedelta(seconds=lifetime)
    envelope = seal(
        payload,
        sender=POOL[sender],
        recipients=[POOL[o].public for o in recipients],
        marking=marking,
        now=NOW,
        expires_at=expires,
        fields=fields,
    )
    exported = Envelope.from_json(envelope.to_json())
    assert exported.header == envelope.header
    readers = recipients | {sender}
    for org in ORGS:
        if org in readers:
            opened = open_envelope(exported, recipient=POOL[org], directory=DIRECTORY, now=NOW)
            assert opened.payload == payload
            assert dict(opened.header.fields) == fields
            assert opened.header.marking == marking
            assert opened.header.expires_at == expires
        else:
            with pytest.raises(NotARecipient):
                open_envelope(exported, recipient=POOL[org], directory=DIRECTORY, now=NOW)


@SETTINGS
@given(
    data=st.binary(max_size=2000),
    chunk_size=st.integers(1, 300),
    position=st.integers(min_value=0),
    bit=st.integers(0, 7),
)
def test_streams_round_trip_and_any_flipped_bit_is_caught(data, chunk_size, position, bit):
    key = bytes(32)
    sink = io.BytesIO()
    summary = encrypt_stream(key, io.BytesIO(data), sink, chunk_size=chunk_size)
    sealed = sink.getvalue()
    plain = decrypt_stream(key, io.BytesIO(sealed), expected=summary, chunk_size=chunk_size)
    assert b"".join(plain) == data
    flipped = bytearray(sealed)
    flipped[position % len(sealed)] ^= 1 << bit
    with pytest.raises(TamperedEnvelope):
        b"".join(
            decrypt_stream(key, io.BytesIO(bytes(flipped)), expected=summary, chunk_size=chunk_size)
        )
