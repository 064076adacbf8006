"""Signed statements: both signatures, the domain and the signer's key all bind."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest

from crypto import BadSignature, Directory, TamperedEnvelope, UnknownKeyVersion
from crypto.canonical import b64encode as _b64
from crypto.keys import PrivateBundle
from crypto.statement import SignedStatement, sign_statement, verify_statement

NOW = datetime(2026, 11, 1, tzinfo=UTC)
DOMAIN = "ischia/briefing/v1"


@pytest.fixture(scope="module")
def fr() -> PrivateBundle:
    return PrivateBundle.generate("FR", now=NOW)


@pytest.fixture(scope="module")
def signed(fr):
    return sign_statement(DOMAIN, {"copy": "a1b2", "pages": 3, "for": "Amélie"}, fr)


def _edited(signed: SignedStatement, **changes) -> SignedStatement:
    doc = json.loads(signed.to_json())
    doc.update(changes)
    return SignedStatement.from_json(json.dumps(doc))


def test_round_trip_verifies_and_returns_the_claims(fr, signed):
    parsed = SignedStatement.from_json(signed.to_json())
    assert verify_statement(parsed, DOMAIN, Directory([fr.public])) == {
        "copy": "a1b2",
        "pages": 3,
        "for": "Amélie",
    }


def test_a_changed_claim_fails(fr, signed):
    forged = _edited(signed, claims={**signed.claims, "pages": 4})
    with pytest.raises(BadSignature):
        verify_statement(forged, DOMAIN, fr.public)


def test_another_domain_fails(fr, signed):
    with pytest.raises(BadSignature, match="not"):
        verify_statement(signed, "ischia/other/v1", fr.public)
    relabelled = _edited(signed, domain="ischia/other/v1")
    with pytest.raises(BadSignature):
        verify_statement(relabelled, "ischia/other/v1", fr.public)


def test_another_organisations_key_fails(signed):
    de = PrivateBundle.generate("DE", now=NOW)
    claimed_by_de = _edited(signed, org="DE")
    with pytest.raises(BadSignature):
        verify_statement(claimed_by_de, DOMAIN, de.public)


def test_a_signature_by_another_key_does_not_pass_for_the_named_one(fr, signed):
    de = PrivateBundle.generate("DE", now=NOW)
    by_de = sign_statement(DOMAIN, dict(signed.claims), de)
    # Relabelled as FR's, with FR's fingerprint: only the signature itself can tell.
    forged = SignedStatement(
        **{**by_de.__dict__, "org": "FR", "fingerprint": fr.public.fingerprint}
    )
    with pytest.raises(BadSignature, match="does not verify"):
        verify_statement(forged, DOMAIN, fr.public)


@pytest.mark.parametrize("claims", ['{"n": 18014398509481984}', '{"s": "\\ud800"}'])
def test_claims_that_cannot_be_canonical_are_refused_as_malformed(signed, claims):
    doc = signed.to_json().replace('"claims":{', '"claims":' + claims[:-1] + ",", 1)
    with pytest.raises(TamperedEnvelope):
        SignedStatement.from_json(doc)


def test_a_missing_key_version_is_named(fr, signed):
    with pytest.raises(UnknownKeyVersion):
        verify_statement(_edited(signed, key_version=2), DOMAIN, fr.public)


def test_one_flipped_signature_byte_fails(fr, signed):
    for name in ("ed25519", "ml_dsa_65"):
        raw = bytearray(getattr(signed, name))
        raw[5] ^= 1
        broken = SignedStatement(**{**signed.__dict__, name: bytes(raw)})
        with pytest.raises(BadSignature):
            verify_statement(broken, DOMAIN, fr.public)


@pytest.mark.parametrize(
    "text",
    ["", "[]", '{"kind": "x"}', '{"kind": "ischia-signed-statement/v1", "claims": 1}', "1e999"],
)
def test_malformed_documents_are_refused(text):
    with pytest.raises(TamperedEnvelope):
        SignedStatement.from_json(text)


def test_the_signed_message_is_fixed_byte_for_byte():
    """A known answer: a statement signed today must verify in every later version, so the
    signed encoding (prefix, field names, order) may never change, not even consistently."""
    key = PrivateBundle.from_seed(bytes(32), "FR", 1, datetime(2026, 1, 1, tzinfo=UTC))
    signed = sign_statement(DOMAIN, {"copy": "c1", "pages": 3}, key)
    assert signed.signed_bytes() == (
        b'ischia/statement/v1\x00{"claims":{"copy":"c1","pages":3},"signer":'
        b'{"domain":"ischia/briefing/v1","fingerprint":'
        b'"e731adc1db17f9e8f1de4577ab9d56d9986bc777f76f9e968b7024ddec765c2a",'
        b'"key_version":1,"org":"FR"}}'
    )
    # Ed25519 is deterministic: the same key and message give this signature, always.
    assert signed.ed25519.hex() == (
        "85fe5d3adff1f6e0f2b8981fc4a849b58268b0033c5700e83829edc67ef41a17"
        "ab2ccee6a2b3bbbf05684e4a2ebc26a438f342c64a927cf7190816d60e9cfb06"
    )


def test_a_statement_naming_another_keys_fingerprint_is_refused_as_such(fr, signed):
    de = PrivateBundle.generate("DE", now=NOW)
    renamed = _edited(signed, fingerprint=_b64(de.public.fingerprint))
    refusal = r"^statement names a key fingerprint that is not the signer's$"
    with pytest.raises(BadSignature, match=refusal):
        verify_statement(renamed, DOMAIN, fr.public)
