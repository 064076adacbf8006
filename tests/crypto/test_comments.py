"""Comments sealed under an envelope's content key: they open with the same key, envelope id,
comment id and context only; any changed byte, id or context is TamperedEnvelope."""

from __future__ import annotations

import secrets

import pytest

from crypto import TamperedEnvelope
from crypto.comments import comment_digest, open_comment, seal_comment

KEY = secrets.token_bytes(32)
ENVELOPE = "e" * 32
COMMENT = "c" * 32
CONTEXT = b'{"org":"FR"}'


def test_a_comment_opens_with_what_sealed_it():
    sealed = seal_comment(KEY, ENVELOPE, COMMENT, b"seen in Lyon", CONTEXT)
    assert b"seen in Lyon" not in sealed
    assert open_comment(KEY, ENVELOPE, COMMENT, sealed, CONTEXT) == b"seen in Lyon"
    again = seal_comment(KEY, ENVELOPE, COMMENT, b"seen in Lyon", CONTEXT)
    assert again != sealed  # a fresh nonce each time
    assert comment_digest(sealed) != comment_digest(again)
    assert len(comment_digest(sealed)) == 64


@pytest.mark.parametrize(
    "change",
    [
        {"content_key": secrets.token_bytes(32)},  # another envelope's key
        {"envelope_id": "f" * 32},
        {"comment_id": "d" * 32},
        {"context": b'{"org":"DE"}'},
    ],
)
def test_another_key_id_or_context_does_not_open(change):
    sealed = seal_comment(KEY, ENVELOPE, COMMENT, b"text", CONTEXT)
    arguments = {
        "content_key": KEY,
        "envelope_id": ENVELOPE,
        "comment_id": COMMENT,
        "sealed": sealed,
        "context": CONTEXT,
        **change,
    }
    with pytest.raises(TamperedEnvelope):
        open_comment(**arguments)


def test_every_flipped_byte_and_truncation_is_refused():
    sealed = seal_comment(KEY, ENVELOPE, COMMENT, b"text", CONTEXT)
    for index in range(len(sealed)):
        altered = sealed[:index] + bytes([sealed[index] ^ 1]) + sealed[index + 1 :]
        with pytest.raises(TamperedEnvelope):
            open_comment(KEY, ENVELOPE, COMMENT, altered, CONTEXT)
    for length in (0, 1, 12, 28, len(sealed) - 1):
        with pytest.raises(TamperedEnvelope):
            open_comment(KEY, ENVELOPE, COMMENT, sealed[:length], CONTEXT)
