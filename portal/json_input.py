"""Reading JSON from a request: one parser for the whole portal, and one helper for the views.

:class:`GuardedJSON` is the app's JSON provider, so every ``request.get_json`` goes through
:func:`portal.services.json_text.loads`: JSON nested too deeply or holding a lone surrogate is
a ``ValueError``, which Flask answers with a 400 (or ``None`` when ``silent``), never a 500.

Views read a body with :func:`json_object`, which says in a 400 what was wrong.
"""

from __future__ import annotations

from typing import Any

from flask import current_app, request
from flask.json.provider import DefaultJSONProvider

from portal.services import json_text
from portal.services.errors import InvalidInput


class GuardedJSON(DefaultJSONProvider):
    """Flask's JSON provider, whose ``loads`` refuses what :func:`json_text.check` refuses."""

    def loads(self, s: str | bytes, **kwargs: Any) -> Any:
        return json_text.loads(s, **kwargs)


def json_object(*, force: bool = False) -> dict[str, Any]:
    """The request's JSON body, which must be an object: an :class:`InvalidInput` (400) saying
    what is wrong otherwise. ``force`` reads the body whatever its content type (TAXII's)."""
    if not force and not request.is_json:
        raise InvalidInput("Send a JSON object, with Content-Type: application/json.")
    try:
        data = current_app.json.loads(request.get_data(cache=True))
    except json_text.UnreadableJSON as error:
        raise InvalidInput(str(error)) from None
    except ValueError:
        raise InvalidInput("The body is not valid JSON.") from None
    if not isinstance(data, dict):
        raise InvalidInput("Send a JSON object.")
    return data
