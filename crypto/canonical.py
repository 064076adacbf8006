"""Canonical encodings shared by every signed or authenticated structure.

Security property: what is signed is always the RFC 8785 canonical JSON of a value, so two
implementations produce the same bytes; what is *read* is parsed strictly (no duplicate keys,
no floats, no NaN, base64 that re-encodes to the very same text, timestamps in exactly one
form), so a document has one meaning and a flipped byte cannot slip through as an equivalent
spelling of the same value.

Examples
--------
>>> canonical_json({"b": 1, "a": [True, None, "é"]})
b'{"a":[true,null,"\\xc3\\xa9"],"b":1}'
>>> b64decode(b64encode(b"\\x00\\xff"), "example")
b'\\x00\\xff'
>>> format_time(parse_time("2026-11-29T04:53:51Z", "example"))
'2026-11-29T04:53:51Z'
"""

from __future__ import annotations

import base64
import binascii
import json
import re
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any, NoReturn

import rfc8785

from crypto.errors import TamperedEnvelope

__all__ = [
    "JsonObject",
    "b64decode",
    "b64encode",
    "canonical_json",
    "expect_int",
    "expect_list",
    "expect_object",
    "expect_str",
    "format_time",
    "parse_time",
    "strict_loads",
]

JsonObject = dict[str, Any]
_TIME = re.compile(r"\A\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z\Z")


_SURROGATE = re.compile("[\ud800-\udfff]")
_I_JSON_MAX = 2**53 - 1


def _plain(value: Any) -> bool:
    """Whether ``json.dumps`` writes ``value`` byte for byte as RFC 8785 does: dicts with ASCII
    keys (so code-point order is UTF-16 order), lists, strings without lone surrogates,
    booleans, None and integers inside I-JSON's range; no floats, no subclasses."""
    stack = [value]
    while stack:
        item = stack.pop()
        kind = type(item)
        if kind is str:
            if not item.isascii() and _SURROGATE.search(item):
                return False
        elif kind is dict:
            for key, child in item.items():
                if type(key) is not str or not key.isascii():
                    return False
                stack.append(child)
        elif kind is list:
            stack.extend(item)
        elif kind is int:
            if not -_I_JSON_MAX <= item <= _I_JSON_MAX:
                return False
        elif kind is not bool and item is not None:
            return False
    return True


def canonical_json(value: Any) -> bytes:
    """The RFC 8785 (JSON Canonicalization Scheme) encoding of ``value``.

    Values made only of objects, arrays, strings, booleans, null and integers (every signed
    structure of Ischia, and every audit record) are written by the standard library's C
    encoder, whose output for them is exactly RFC 8785's (sorted keys, no spaces, the same
    escapes); anything else (floats above all) goes through ``rfc8785``. The test suite checks
    the two agree on generated values.
    """
    if _plain(value):
        return json.dumps(
            value, ensure_ascii=False, sort_keys=True, separators=(",", ":"), allow_nan=False
        ).encode("utf-8")
    return rfc8785.dumps(value)


def _refuse_float(text: str) -> NoReturn:
    raise ValueError(f"floating-point number {text[:20]} is not allowed")


def _refuse_constant(text: str) -> NoReturn:
    raise ValueError(f"{text} is not allowed")


def _unique_keys(pairs: list[tuple[str, Any]]) -> JsonObject:
    result: JsonObject = {}
    for key, value in pairs:
        if key in result:
            raise ValueError(f"duplicate key {key[:40]!r}")
        result[key] = value
    return result


def strict_loads(text: str | bytes, what: str) -> Any:
    """Parse JSON refusing duplicate keys, floats and non-finite constants.

    Raises :class:`~crypto.errors.TamperedEnvelope` naming ``what`` if the text is not such JSON.
    """
    try:
        return json.loads(
            text,
            object_pairs_hook=_unique_keys,
            parse_float=_refuse_float,
            parse_constant=_refuse_constant,
        )
    except (ValueError, UnicodeDecodeError, RecursionError) as exc:
        raise TamperedEnvelope(f"{what} is not valid JSON: {exc}") from None


def b64encode(data: bytes) -> str:
    """Standard base64 with padding, as every ``b64`` field of Ischia's documents is written."""
    return base64.b64encode(data).decode("ascii")


def b64decode(text: object, what: str) -> bytes:
    """Decode a base64 field, refusing any spelling other than the one :func:`b64encode` writes."""
    if not isinstance(text, str):
        raise TamperedEnvelope(f"{what} must be a base64 string")
    try:
        data = base64.b64decode(text, validate=True)
    except (binascii.Error, ValueError):
        raise TamperedEnvelope(f"{what} is not valid base64") from None
    if b64encode(data) != text:
        raise TamperedEnvelope(f"{what} is not canonical base64")
    return data


def format_time(moment: datetime) -> str:
    """``YYYY-MM-DDTHH:MM:SSZ`` in UTC; naive datetimes are refused (their zone is a guess)."""
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise ValueError("a timezone-aware datetime is required")
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def parse_time(text: object, what: str) -> datetime:
    """Parse a timestamp written by :func:`format_time`, and only that form."""
    if not isinstance(text, str) or not _TIME.match(text):
        raise TamperedEnvelope(f"{what} must be a UTC time written as YYYY-MM-DDTHH:MM:SSZ")
    try:
        return datetime.fromisoformat(text[:-1]).replace(tzinfo=UTC)
    except ValueError:
        raise TamperedEnvelope(f"{what} is not a real date and time") from None


def expect_object(value: object, keys: frozenset[str], what: str) -> Mapping[str, Any]:
    """``value`` as a JSON object with exactly ``keys``: a missing or an extra key is refused."""
    if not isinstance(value, dict):
        raise TamperedEnvelope(f"{what} must be a JSON object")
    if value.keys() != keys:
        missing = sorted(keys - value.keys())
        extra = sorted(value.keys() - keys)
        detail = "; ".join(
            part
            for part in (
                f"missing {', '.join(missing)}" if missing else "",
                f"unexpected {', '.join(k[:40] for k in extra)}" if extra else "",
            )
            if part
        )
        raise TamperedEnvelope(f"{what} has the wrong fields ({detail})")
    return value


def expect_int(value: object, what: str, *, minimum: int = 0) -> int:
    """A JSON integer (not a boolean) no smaller than ``minimum`` and inside I-JSON's range."""
    if type(value) is not int or not minimum <= value <= 2**53 - 1:
        raise TamperedEnvelope(f"{what} must be an integer from {minimum} to 2**53-1")
    return value


def expect_str(value: object, what: str, *, pattern: re.Pattern[str] | None = None) -> str:
    """A JSON string, optionally matching ``pattern`` in full."""
    if not isinstance(value, str) or (pattern is not None and not pattern.fullmatch(value)):
        raise TamperedEnvelope(
            f"{what} must be a string{' of the expected form' if pattern else ''}"
        )
    return value


def expect_list(value: object, what: str) -> list[Any]:
    if not isinstance(value, list):
        raise TamperedEnvelope(f"{what} must be a JSON array")
    return value
