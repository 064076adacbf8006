"""The ``api`` blueprint: every request authenticated by a personal API token, never a cookie.

How a token is read, checked and rate-limited is :mod:`portal.token_auth`, shared with the
TAXII server.
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint

from portal import json_input, token_auth
from portal.extensions import csrf
from portal.rate_limits import limit_blueprint

blueprint = Blueprint("api", __name__, url_prefix="/api/v1")
csrf.exempt(blueprint)  # no cookie authenticates here, so there is nothing to forge
limit_blueprint(blueprint, token_auth.rate_limit, key_func=token_auth.rate_key)
token_auth.guard(blueprint)


def json_object() -> dict[str, Any]:
    """The request's JSON body, which must be an object (a 400 saying what is wrong otherwise)."""
    return json_input.json_object()


def require_write() -> None:
    from portal.services.errors import Forbidden

    if not token_auth.can_write():
        raise Forbidden("This token may only read: make a token with the write scope.")


def load_views() -> Blueprint:
    from portal.api import (  # noqa: F401
        attachment_views,
        audit_views,
        briefing_views,
        comment_views,
        graph_views,
        hash_views,
        lifecycle_views,
        openapi,
        referral_views,
        views,
    )

    return blueprint
