"""The ``api`` blueprint: every request authenticated by a personal API token, never a cookie.

A token goes in ``Authorization: Bearer <token>`` or as the password of HTTP Basic. An
identifier (user id, e-mail, organisation code) is never a credential, and no other header
changes who is asking. Requests are limited per token.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
from typing import Any

from flask import Blueprint, Response, current_app, g, jsonify, request

from portal.access import rule_for
from portal.extensions import csrf
from portal.rate_limits import limit_blueprint
from portal.services.accounts import api_tokens
from portal.services.principals import Actor, Reader

blueprint = Blueprint("api", __name__, url_prefix="/api/v1")
csrf.exempt(blueprint)  # no cookie authenticates here, so there is nothing to forge


def _token_key() -> str:
    """Rate-limit key: the token itself (hashed), however it is sent, or the address."""
    token = _credential()
    if token:
        return "api:" + hashlib.sha256(token.encode("utf-8", "replace")).hexdigest()
    return "api-anonymous:" + (request.remote_addr or "")


def _rate() -> str:
    return str(current_app.config["API_RATE_LIMIT"])


limit_blueprint(blueprint, _rate, key_func=_token_key)


def _credential() -> str | None:
    header = request.headers.get("Authorization", "")
    scheme, _, value = header.partition(" ")
    if scheme.lower() == "bearer":
        return value.strip() or None
    if scheme.lower() == "basic":
        try:
            decoded = base64.b64decode(value.strip(), validate=True).decode("utf-8")
        except (binascii.Error, UnicodeDecodeError):
            return None
        return decoded.partition(":")[2] or None
    return None


def _unauthorised() -> tuple[Response, int]:
    message = "A valid API token is required."
    if request.path.startswith("/taxii2/"):
        response = jsonify({"title": message, "http_status": "401"})
        response.headers["Content-Type"] = "application/taxii+json;version=2.1"
    else:
        response = jsonify({"error": {"code": 401, "message": message, "field": None}})
    response.headers["WWW-Authenticate"] = 'Bearer realm="ischia", Basic realm="ischia"'
    return response, 401


@blueprint.before_request
def authenticate() -> tuple[Response, int] | None:
    """Every token route of this blueprint (and of TAXII's) goes through here first."""
    rule = rule_for(current_app, request.endpoint or "")
    if rule is None or not rule.api_token:
        return None  # the OpenAPI description (public), or a 404 from routing
    token = _credential()
    use = (
        api_tokens.authenticate(token, ip=request.remote_addr, endpoint=request.endpoint)
        if token
        else None
    )
    if use is None:
        return _unauthorised()
    g.api_use = use
    return None


def reader() -> Reader:
    return Reader.of(g.api_use.user)


def actor() -> Actor:
    return Actor.of(g.api_use.user, request.remote_addr)


def json_object() -> dict[str, Any]:
    """The request's JSON body, which must be an object (a 400 otherwise)."""
    from portal.services.errors import InvalidInput

    data = request.get_json(silent=True)
    if not isinstance(data, dict):
        raise InvalidInput("Send a JSON object.")
    return data


def require_write() -> None:
    from portal.services.errors import Forbidden

    if not g.api_use.can_write:
        raise Forbidden("This token may only read: make a token with the write scope.")


def load_views() -> Blueprint:
    from portal.api import (  # noqa: F401
        attachment_views,
        briefing_views,
        graph_views,
        lifecycle_views,
        openapi,
        views,
    )

    return blueprint
