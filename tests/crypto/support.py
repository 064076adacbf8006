"""Helpers for the tampering tests: every single-byte alteration of a JSON document."""

from __future__ import annotations

import base64
import copy
from collections.abc import Iterator
from typing import Any


def flipped_strings(text: str) -> Iterator[str]:
    """``text`` with each character in turn replaced by another printable one."""
    for i, char in enumerate(text):
        replacement = chr(ord(char) ^ 1) if ord(char) ^ 1 >= 0x20 else "A"
        if replacement == char:
            replacement = "B"
        yield text[:i] + replacement + text[i + 1 :]


def flipped_bytes(data: bytes) -> Iterator[bytes]:
    """``data`` with each byte in turn XORed with 0x01, then an empty and a truncated copy."""
    for i in range(len(data)):
        yield data[:i] + bytes([data[i] ^ 1]) + data[i + 1 :]
    if data:
        yield data[:-1]
        yield b""


def leaves(doc: Any, path: tuple[Any, ...] = ()) -> Iterator[tuple[tuple[Any, ...], Any]]:
    """Every scalar in a JSON document, with its path."""
    if isinstance(doc, dict):
        for key, value in doc.items():
            yield from leaves(value, (*path, key))
    elif isinstance(doc, list):
        for index, value in enumerate(doc):
            yield from leaves(value, (*path, index))
    else:
        yield path, doc


def replaced(doc: Any, path: tuple[Any, ...], value: Any) -> Any:
    """A copy of ``doc`` with the scalar at ``path`` replaced (only the path is copied)."""
    if not path:
        return value
    head, rest = path[0], path[1:]
    result = copy.copy(doc)
    result[head] = replaced(doc[head], rest, value)
    return result


def variants(value: Any) -> Iterator[Any]:
    """Single-byte and single-character alterations of a JSON scalar.

    A base64 string is altered in its decoded bytes (every byte), and re-encoded canonically,
    so the alteration reaches the cryptography instead of stopping at the base64 parser.
    """
    if isinstance(value, bool) or value is None:
        yield not value if isinstance(value, bool) else 0
    elif isinstance(value, int):
        yield value + 1
        yield value - 1
    elif isinstance(value, str):
        decoded = _as_base64(value)
        if decoded is not None and len(decoded) >= 12:
            for data in flipped_bytes(decoded):
                yield base64.b64encode(data).decode()
        else:
            yield from flipped_strings(value)
            yield ""


def _as_base64(text: str) -> bytes | None:
    try:
        data = base64.b64decode(text, validate=True)
    except ValueError:
        return None
    return data if base64.b64encode(data).decode() == text else None
