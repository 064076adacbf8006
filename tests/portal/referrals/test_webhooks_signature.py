"""The offline verifier of webhook signatures (crypto.webhook): what a receiver runs, with
nothing but the published key and its own clock."""

from __future__ import annotations

import secrets

import pytest

from crypto.webhook import WebhookPublicKey, WebhookSignatureError, WebhookSigner, verify

BODY = b'{"delivery":"abc","event":"referral.items.new"}'
T = 1_796_288_400


@pytest.fixture(scope="module")
def signer() -> WebhookSigner:
    return WebhookSigner(secrets.token_bytes(32))


def test_the_key_follows_from_the_master_key_and_round_trips(signer):
    master = secrets.token_bytes(32)
    assert WebhookSigner(master).public_key == WebhookSigner(master).public_key
    assert WebhookSigner(master).public_key.kid != signer.public_key.kid
    published = signer.public_key.to_json()
    assert WebhookPublicKey.from_json(published) == signer.public_key
    forged = published.replace(signer.public_key.kid, "0" * 16)
    with pytest.raises(WebhookSignatureError, match="id does not match"):
        WebhookPublicKey.from_json(forged)
    with pytest.raises(WebhookSignatureError):
        WebhookPublicKey.from_json("not json")


def test_a_signature_holds_for_its_body_and_time_only(signer):
    key = signer.public_key
    header = signer.sign(BODY, T)
    assert verify(header, BODY, key, now=T) == T
    assert verify(header, BODY, key, now=T + 300) == T  # five minutes late: still accepted
    for now in (T + 301, T - 301):  # a replay, or a clock far ahead
        with pytest.raises(WebhookSignatureError, match="replay"):
            verify(header, BODY, key, now=now)
    with pytest.raises(WebhookSignatureError, match="does not verify"):
        verify(header, BODY + b" ", key, now=T)
    moved = header.replace(f"t={T}", f"t={T + 60}")  # a fresher time on an old signature
    with pytest.raises(WebhookSignatureError, match="does not verify"):
        verify(moved, BODY, key, now=T + 60)


@pytest.mark.parametrize(
    "mangle",
    [
        lambda h: "",
        lambda h: h.replace("t=", "x="),
        lambda h: h + ", t=1",
        lambda h: h.split(", mldsa65=")[0],
        lambda h: h.replace("t=", "t=-"),
        lambda h: h.replace("ed25519=", "ed25519=!!"),
    ],
)
def test_a_malformed_header_is_refused(signer, mangle):
    with pytest.raises(WebhookSignatureError):
        verify(mangle(signer.sign(BODY, T)), BODY, signer.public_key, now=T)
