"""Blind-index tokens: deterministic per key, different across keys and identifiers."""

from __future__ import annotations

import pytest

from crypto.blindindex import BlindIndex


def test_equal_identifiers_give_equal_tokens_under_one_key():
    index = BlindIndex(bytes(range(32)))
    assert index.token("phone:+33612345678") == index.token("phone:+33612345678")
    assert len(index.token("phone:+33612345678")) == 32


def test_tokens_differ_across_identifiers_and_keys():
    one, other = BlindIndex(b"\x01" * 32), BlindIndex(b"\x02" * 32)
    assert one.token("account:x:a") != one.token("account:x:b")
    assert one.token("account:x:a") != other.token("account:x:a")


def test_token_does_not_contain_the_identifier():
    token = BlindIndex(b"\x03" * 32).token("email:someone@example.org")
    assert b"someone" not in token


def test_short_key_is_refused():
    with pytest.raises(ValueError, match="32 bytes"):
        BlindIndex(b"short")
