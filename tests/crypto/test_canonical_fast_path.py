"""canonical_json writes plain values (no floats) with the standard library's encoder: the
bytes must be exactly RFC 8785's, as the ``rfc8785`` package writes them, whatever the value."""

from __future__ import annotations

import rfc8785
from hypothesis import given, settings
from hypothesis import strategies as st

from crypto.canonical import _plain, canonical_json

ANY_TEXT = st.text(st.characters(codec="utf-8"), max_size=12) | st.sampled_from(
    ["", "é", "\u2028\u2029", "\x00\x1f\x7f\b\t\n\f\r", '"\\/', "\U0001f600", "\ue000"]
)
SCALARS = (
    st.none() | st.booleans() | st.integers(min_value=-(2**53) + 1, max_value=2**53 - 1) | ANY_TEXT
)
VALUES = st.recursive(
    SCALARS,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(ANY_TEXT, inner, max_size=4),
    max_leaves=20,
)


@settings(max_examples=400, deadline=None)
@given(VALUES)
def test_the_fast_path_writes_what_rfc8785_writes(value):
    assert canonical_json(value) == rfc8785.dumps(value)


def test_what_the_fast_path_leaves_to_rfc8785():
    assert _plain({"a": [1, "b", None, True, {"c": "é"}]})
    for value in (
        1.5,
        {"a": 0.0},
        2**53,
        -(2**53),
        {"é": 1},
        {"\U0001f600": 1},
        ("a",),
        "\ud800",
        {1: "a"},
    ):
        assert not _plain(value), value
    assert canonical_json({"b": 1.5, "a": 2**52}) == rfc8785.dumps({"b": 1.5, "a": 2**52})
