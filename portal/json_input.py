"""Reading JSON from a request: one parser for the whole portal, and one helper for the views.

:class:`GuardedJSON` is the app's JSON provider, so every ``request.get_json`` goes through it.
It turns what Python's parser accepts but the portal cannot serve into a plain ``ValueError``
(which Flask answers with a 400, or ``None`` when ``silent``): nesting deeper than
:data:`MAX_DEPTH` (which would otherwise end in a ``RecursionError`` here or further on), and
strings holding a lone surrogate such as ``"\\ud800"`` (valid JSON escapes, but no UTF-8 text,
so they would fail when sealed or stored).

Views read a body with :func:`json_object`, which says in a 400 what was wrong.
"""

from __future__ import annotations

from typing import Any

from flask import current_app, request
from flask.json.provider import DefaultJSONProvider

from portal.services.errors import InvalidInput

MAX_DEPTH = 64


class UnreadableJSON(ValueError):
    """JSON that parses in Python but that the portal refuses (too deep, not UTF-8 text)."""


def check(value: Any) -> None:
    """Raise :class:`UnreadableJSON` if ``value`` nests too deeply or holds a non-UTF-8 string."""
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
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        raise UnreadableJSON("The JSON holds a lone surrogate, which is not text.") from None


class GuardedJSON(DefaultJSONProvider):
    """Flask's JSON provider, whose ``loads`` refuses what :func:`check` refuses."""

    def loads(self, s: str | bytes, **kwargs: Any) -> Any:
        try:
            value = super().loads(s, **kwargs)
        except RecursionError:
            raise UnreadableJSON(f"The JSON nests deeper than {MAX_DEPTH} levels.") from None
        check(value)
        return value


def json_object(*, force: bool = False) -> dict[str, Any]:
    """The request's JSON body, which must be an object: an :class:`InvalidInput` (400) saying
    what is wrong otherwise. ``force`` reads the body whatever its content type (TAXII's)."""
    if not force and not request.is_json:
        raise InvalidInput("Send a JSON object, with Content-Type: application/json.")
    try:
        data = current_app.json.loads(request.get_data(cache=True))
    except UnreadableJSON as error:
        raise InvalidInput(str(error)) from None
    except ValueError:
        raise InvalidInput("The body is not valid JSON.") from None
    if not isinstance(data, dict):
        raise InvalidInput("Send a JSON object.")
    return data
