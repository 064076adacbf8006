"""Canonical encodings and strict parsing."""

from __future__ import annotations

import base64
from datetime import UTC, datetime, timedelta, timezone

import pytest

from crypto.canonical import (
    b64decode,
    b64encode,
    canonical_json,
    format_time,
    parse_time,
    strict_loads,
)
from crypto.errors import TamperedEnvelope


def test_rfc8785_examples():
    # Key order by UTF-16 code units, ES6 number and string forms (RFC 8785, section 3.2).
    assert canonical_json({"b": 2, "a": 1, "\u20ac": 3, "\U0001f600": 4, "\ufb33": 5}) == (
        '{"a":1,"b":2,"\u20ac":3,"\U0001f600":4,"\ufb33":5}'.encode()
    )
    assert canonical_json({"s": '\u2028\n\x1f"\\'}) == b'{"s":"\xe2\x80\xa8\\n\\u001f\\"\\\\"}'
    assert (
        canonical_json([True, False, None, -0, 2**53 - 1])
        == b"[true,false,null,0,9007199254740991]"
    )


@pytest.mark.parametrize(
    "text",
    ['{"a":1,"a":2}', '{"a":1.5}', '{"a":1e3}', '{"a":NaN}', '{"a":Infinity}', "{", b"\xff"],
)
def test_strict_loads_refuses_ambiguous_json(text):
    with pytest.raises(TamperedEnvelope):
        strict_loads(text, "test")


def test_base64_has_one_spelling():
    assert b64decode(b64encode(b"\x00\x01\x02"), "x") == b"\x00\x01\x02"
    canonical = b64encode(b"\xff")  # "/w=="
    sloppy = canonical[:1] + "x" + canonical[2:]  # same byte, other padding bits
    assert base64.b64decode(sloppy) == b"\xff"
    for text in (sloppy, "/w", " /w==", "/w==\n", "-_==", 12):
        with pytest.raises(TamperedEnvelope):
            b64decode(text, "x")


def test_times_have_one_form():
    moment = datetime(2026, 11, 29, 9, 30, 5, 999, tzinfo=UTC)
    assert format_time(moment) == "2026-11-29T09:30:05Z"
    paris = moment.astimezone(timezone(timedelta(hours=1)))
    assert format_time(paris) == "2026-11-29T09:30:05Z"
    assert parse_time("2026-11-29T09:30:05Z", "t") == moment.replace(microsecond=0)
    for text in ("2026-11-29T09:30:05", "2026-11-29 09:30:05Z", "2026-02-30T00:00:00Z",
                 "2026-11-29T09:30:05.1Z", "2026-11-29T09:30:05+00:00", 0):  # fmt: skip
        with pytest.raises(TamperedEnvelope):
            parse_time(text, "t")
    with pytest.raises(ValueError):
        format_time(datetime(2026, 1, 1))  # naive on purpose
