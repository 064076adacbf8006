"""Parsing JSON that people send: what Python's parser accepts but the portal cannot serve.

Nesting deeper than :data:`MAX_DEPTH` (which ends in a ``RecursionError`` in the parser, or
further on in code that walks the value) and strings holding a lone surrogate such as
``"\\ud800"`` (valid JSON escapes, but not UTF-8 text, so they fail when sealed or stored) and
strings holding NUL (``"\\u0000"``: no text the portal keeps may hold one, and PostgreSQL refuses
it in any text column) are refused with :class:`UnreadableJSON`, a ``ValueError`` that says which.
"""

from __future__ import annotations

import json
from typing import Any

MAX_DEPTH = 64


class UnreadableJSON(ValueError):
    """JSON that the portal refuses: not JSON, too deep, or not UTF-8 text."""


def loads(data: str | bytes, **kwargs: Any) -> Any:
    """``json.loads`` that raises :class:`UnreadableJSON` for all that :func:`check` refuses."""
    try:
        value = json.loads(data, **kwargs)
    except RecursionError:
        raise UnreadableJSON(f"The JSON nests deeper than {MAX_DEPTH} levels.") from None
    check(value)
    return value


def check(value: Any) -> None:
    """Raise :class:`UnreadableJSON` if ``value`` nests too deeply or holds a string that is not
    text (a lone surrogate, or NUL)."""
    stack: list[tuple[Any, int]] = [(value, 1)]
    while stack:
        item, depth = stack.pop()
        if isinstance(item, str):
            _text(item)
        elif isinstance(item, dict | list):
            if depth > MAX_DEPTH:
                raise UnreadableJSON(f"The JSON nests deeper than {MAX_DEPTH} levels.")
            if isinstance(item, dict):
                for key, inner in item.items():
                    _text(key)
                    stack.append((inner, depth + 1))
            else:
                stack.extend((inner, depth + 1) for inner in item)


def _text(text: str) -> None:
    if "\x00" in text:
        raise UnreadableJSON("The JSON holds a NUL character (\\u0000), which no text may hold.")
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        raise UnreadableJSON("The JSON holds a lone surrogate, which is not text.") from None
