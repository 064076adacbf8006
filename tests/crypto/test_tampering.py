"""Every alteration of a sealed envelope makes opening fail with a typed error."""

from __future__ import annotations

import base64
import json
from dataclasses import replace
from itertools import count

import pytest

from crypto import (
    BadSignature,
    Envelope,
    EnvelopeError,
    TamperedEnvelope,
    UnsupportedSuite,
    grant,
    open_envelope,
    seal,
)
from crypto.canonical import canonical_json
from crypto.keys import Directory, PrivateBundle
from crypto.primitives import AuthenticationFailed
from crypto.records import SignaturePair
from crypto.sealing import _wrap_info
from crypto.verify import verify_envelope
from tests.crypto.support import leaves, replaced, variants

TYPED = (
    "BadSignature",
    "TamperedEnvelope",
    "UnsupportedSuite",
    "UnknownKeyVersion",
    "NotARecipient",
    "Shredded",
)


@pytest.fixture
def sealed(orgs, now):
    """FR sealed for DE and IT."""
    return seal(
        b"payload: 64 bytes of bulletin text, padded out to sixty-four!!!",
        sender=orgs["FR"],
        recipients=[orgs["DE"].public, orgs["IT"].public],
        marking="TLP:AMBER",
        now=now,
        fields={"bulletin": "B-1", "category": "incitement"},
    )


@pytest.fixture
def granted(sealed, orgs, directory, now):
    """``sealed``, then released to US: every kind of field is present."""
    return grant(
        sealed, originator=orgs["FR"], recipient=orgs["US"].public, directory=directory, now=now
    )


def _reopen(doc, reader, directory, now):
    envelope = Envelope.from_dict(doc)
    return open_envelope(envelope, recipient=reader, directory=directory, now=now)


@pytest.mark.slow
def test_flipping_any_byte_of_any_field_fails(granted, orgs, directory, now):
    readers = [orgs[o] for o in ("FR", "DE", "IT", "US")]
    doc = granted.to_dict()
    for reader in readers:
        assert _reopen(doc, reader, directory, now).payload.startswith(b"payload")
    tried = count()
    fields_seen = set()
    for path, value in leaves(doc):
        fields_seen.add(tuple(p for p in path if isinstance(p, str)))
        for variant in variants(value):
            reader = readers[next(tried) % len(readers)]
            with pytest.raises(EnvelopeError) as failure:
                _reopen(replaced(doc, path, variant), reader, directory, now)
            assert type(failure.value).__name__ in TYPED, (path, failure.value)
    assert next(tried) > 10_000
    assert {"header", "content", "signature"} <= {f[0] for f in fields_seen}
    assert ("key_records", "signature", "ml_dsa_65") in fields_seen
    assert ("wrapped_keys", "enc") in fields_seen


def test_removing_or_adding_any_field_fails(granted, orgs, directory, now):
    doc = granted.to_dict()

    def objects(node, path=()):
        if isinstance(node, dict):
            yield path, node
            for key, value in node.items():
                yield from objects(value, (*path, key))
        elif isinstance(node, list):
            for index, value in enumerate(node):
                yield from objects(value, (*path, index))

    for path, node in list(objects(doc)):
        for key in node:
            altered = json.loads(json.dumps(doc))
            target = altered
            for step in path:
                target = target[step]
            del target[key]
            with pytest.raises(EnvelopeError):
                _reopen(altered, orgs["US"], directory, now)
        altered = json.loads(json.dumps(doc))
        target = altered
        for step in path:
            target = target[step]
        target["note"] = "added"
        with pytest.raises(TamperedEnvelope):
            _reopen(altered, orgs["US"], directory, now)


@pytest.mark.parametrize("half", ["ed25519", "ml_dsa_65"])
@pytest.mark.parametrize("how", ["removed", "emptied", "from another envelope"])
def test_one_of_the_two_signatures_missing_or_foreign_fails(
    half, how, granted, orgs, directory, now
):
    other = seal(b"other", sender=orgs["FR"], recipients=[], marking="TLP:AMBER", now=now)
    for where in (("signature",), ("key_records", 0, "signature")):
        doc = granted.to_dict()
        target = doc
        for step in where:
            target = target[step]
        if how == "removed":
            del target[half]
        elif how == "emptied":
            target[half] = ""
        else:
            target[half] = other.to_dict()["signature"][half]
        with pytest.raises(BadSignature):
            _reopen(doc, orgs["US"], directory, now)


def test_signature_pair_needs_both_halves_to_verify(granted, orgs):
    statement = granted.signed_statement()
    good = granted.signature
    for pair in (
        SignaturePair(good.ed25519, b""),
        SignaturePair(b"", good.ml_dsa_65),
        SignaturePair(good.ed25519, good.ml_dsa_65[:-1]),
    ):
        with pytest.raises(BadSignature):
            pair.verify(orgs["FR"].public, statement, "test")
    good.verify(orgs["FR"].public, statement, "test")


def _with_header(envelope: Envelope, change) -> dict:
    header = json.loads(envelope.header_bytes)
    change(header)
    doc = envelope.to_dict()
    doc["header"] = base64.b64encode(canonical_json(header)).decode()
    return doc


def test_changing_the_suite_string_is_refused_not_downgraded(granted, orgs, directory, now):
    suite = granted.header.suite
    for i in range(len(suite)):
        changed = suite[:i] + chr(ord(suite[i]) ^ 1) + suite[i + 1 :]

        def change(header, changed=changed):
            header["suite"] = changed

        with pytest.raises(UnsupportedSuite, match="not supported"):
            _reopen(_with_header(granted, change), orgs["DE"], directory, now)
    for other in ("", "ischia-0", "ischia-2:hpke(x25519,hkdf-sha256,aes-128-gcm)", 1, None):

        def change(header, other=other):
            header["suite"] = other

        with pytest.raises(UnsupportedSuite):
            _reopen(_with_header(granted, change), orgs["DE"], directory, now)


def test_a_later_format_is_refused(granted, orgs, directory, now):
    def change(header):
        header["format"] = 2

    with pytest.raises(UnsupportedSuite, match="format"):
        _reopen(_with_header(granted, change), orgs["DE"], directory, now)


def test_header_field_changes_are_caught(sealed, orgs, directory, now):
    changes = [
        (lambda h: h.__setitem__("marking", "TLP:CLEAR"), BadSignature),
        (lambda h: h.__setitem__("expires_at", "2099-01-01T00:00:00Z"), BadSignature),
        (lambda h: h["fields"].__setitem__("category", "propaganda"), BadSignature),
        (lambda h: h["sender"].__setitem__("fingerprint", "0" * 64), BadSignature),
        # Dropping a recipient leaves its wrapped key unvouched for: refused before signatures.
        (lambda h: h["recipients"].pop(), TamperedEnvelope),
    ]
    for change, error in changes:
        with pytest.raises(error):
            _reopen(_with_header(sealed, change), orgs["DE"], directory, now)


def test_an_impostor_resigning_as_the_sender_fails(granted, orgs, directory, now):
    impostor = replace(orgs["DE"], org="FR")
    forged = replace(granted, signature=SignaturePair.sign(impostor, granted.signed_statement()))
    with pytest.raises(BadSignature, match="does not verify"):
        open_envelope(forged, recipient=orgs["DE"], directory=directory, now=now)


def test_swapping_wrapped_keys_between_envelopes_fails(orgs, directory, now):
    first, second = (
        seal(text, sender=orgs["FR"], recipients=[orgs["DE"].public], marking="TLP:AMBER", now=now)
        for text in (b"first", b"second")
    )

    def de_key(envelope):
        return next(w for w in envelope.wrapped_keys if w.org == "DE")

    swapped = replace(
        first,
        wrapped_keys=tuple(de_key(second) if w.org == "DE" else w for w in first.wrapped_keys),
    )
    with pytest.raises(TamperedEnvelope, match="not one the sender"):
        open_envelope(swapped, recipient=orgs["DE"], directory=directory, now=now)
    # Even past the digest check, HPKE's info binds the key to its envelope and recipient.
    de = orgs["DE"]
    info = _wrap_info(first.header.suite, first.id, "DE", 1, de.public.fingerprint)
    with pytest.raises(AuthenticationFailed):
        de.decryption_key.unwrap(de_key(second).enc, info)
    moved = _wrap_info(first.header.suite, first.id, "IT", 1, de.public.fingerprint)
    with pytest.raises(AuthenticationFailed):
        de.decryption_key.unwrap(de_key(first).enc, moved)
    assert len(de.decryption_key.unwrap(de_key(first).enc, info)) == 32


def test_a_wrapped_key_relabelled_for_another_recipient_fails(orgs, directory, now):
    envelope = seal(
        b"x", sender=orgs["FR"], recipients=[orgs["DE"].public], marking="TLP:AMBER", now=now
    )
    relabelled = replace(
        envelope,
        wrapped_keys=tuple(
            replace(w, org="IT") if w.org == "DE" else w for w in envelope.wrapped_keys
        ),
    )
    with pytest.raises(TamperedEnvelope):
        open_envelope(relabelled, recipient=orgs["IT"], directory=directory, now=now)


def test_content_from_another_envelope_fails(orgs, directory, now):
    first, second = (
        seal(text, sender=orgs["FR"], recipients=[orgs["DE"].public], marking="TLP:AMBER", now=now)
        for text in (b"first", b"second")
    )
    with pytest.raises(BadSignature):
        open_envelope(
            replace(first, content=second.content),
            recipient=orgs["DE"],
            directory=directory,
            now=now,
        )


def test_errors_name_the_failure_without_secrets(granted, orgs, directory, now):
    doc = granted.to_dict()
    doc["signature"]["ml_dsa_65"] = doc["key_records"][0]["signature"]["ml_dsa_65"]
    with pytest.raises(BadSignature) as failure:
        _reopen(doc, orgs["DE"], directory, now)
    message = str(failure.value)
    assert "ML-DSA-65" in message and "FR v1" in message
    assert doc["signature"]["ml_dsa_65"][:16] not in message


# -- verify_envelope's refusals, word for word (mutation testing: bench/mutation.sh) ----------
# Each forgery below is caught by one check of crypto/verify.py; the message is compared whole,
# so that the check that refused it (not a later one) is the one named.


def test_a_header_naming_another_sender_key_is_refused_before_any_signature(sealed, orgs, now):
    """The directory's FR v1 is another key than the one the header names (a directory
    swapped or a header forged): refused on the fingerprint, before the signatures."""
    other = PrivateBundle.from_seed(b"\x01" * 32, "FR", 1, now).public
    directory = Directory([other, orgs["DE"].public, orgs["IT"].public])
    with pytest.raises(BadSignature) as refused:
        verify_envelope(sealed, directory)
    assert str(refused.value) == (
        f"envelope {sealed.id} names a FR v1 key other than the one in the directory "
        "(fingerprints differ)"
    )


def test_the_envelope_signature_refusal_names_the_envelope(granted, orgs, directory):
    impostor = replace(orgs["DE"], org="FR")
    forged = replace(granted, signature=SignaturePair.sign(impostor, granted.signed_statement()))
    with pytest.raises(BadSignature) as refused:
        verify_envelope(forged, directory)
    assert str(refused.value) == (
        f"the Ed25519 signature on envelope {granted.id} does not verify under FR v1"
    )


def test_two_wrapped_keys_for_one_organisation_and_version_are_refused(sealed, directory):
    de = next(w for w in sealed.wrapped_keys if w.org == "DE")
    doubled = replace(sealed, wrapped_keys=(*sealed.wrapped_keys, de))
    with pytest.raises(TamperedEnvelope) as refused:
        verify_envelope(doubled, directory)
    assert str(refused.value) == "envelope holds two keys for DE v1"


def test_a_wrapped_key_nobody_vouches_for_is_refused_by_name(sealed, directory):
    foreign = replace(sealed.wrapped_keys[0], org="UK")
    with pytest.raises(TamperedEnvelope) as refused:
        verify_envelope(replace(sealed, wrapped_keys=(*sealed.wrapped_keys, foreign)), directory)
    assert str(refused.value) == (
        "the wrapped key for UK v1 is not one the sender or a signed record vouches for"
    )


def _with_record(envelope: Envelope, **changes) -> Envelope:
    record = envelope.key_records[0]
    return replace(envelope, key_records=(replace(record, **changes), *envelope.key_records[1:]))


@pytest.mark.parametrize("field", ["envelope_id", "header_sha256"])
def test_a_record_of_another_envelope_is_refused_on_either_binding(granted, directory, field):
    """Either binding alone (the envelope's id, or its header's hash) differing is enough."""
    value = "0" * 32 if field == "envelope_id" else bytes(32)
    with pytest.raises(TamperedEnvelope) as refused:
        verify_envelope(_with_record(granted, **{field: value}), directory)
    assert (
        str(refused.value)
        == f"grant record #0 of envelope {granted.id} belongs to another envelope"
    )


def test_a_record_naming_a_signing_key_other_than_the_directorys_is_refused(granted, directory):
    signer = replace(granted.key_records[0].signer, fingerprint=bytes(32))
    with pytest.raises(BadSignature) as refused:
        verify_envelope(_with_record(granted, signer=signer), directory)
    assert str(refused.value) == (
        f"grant record #0 of envelope {granted.id} names a signing key other than the directory's"
    )


def test_a_record_signature_refusal_names_the_record(granted, directory):
    with pytest.raises(BadSignature) as refused:
        verify_envelope(_with_record(granted, signature=granted.signature), directory)
    assert str(refused.value) == (
        f"the Ed25519 signature on grant record #0 of envelope {granted.id} does not verify "
        "under FR v1"
    )


def test_a_verification_names_the_signer_and_who_may_open(granted, orgs, directory):
    verification = verify_envelope(granted, directory)
    assert verification.sender == orgs["FR"].public
    assert verification.header == granted.header
    assert {(a.org, a.key_version, a.via) for a in verification.access} == {
        ("FR", 1, "header"),
        ("DE", 1, "header"),
        ("IT", 1, "header"),
        ("US", 1, "grant"),
    }
