"""Personal API tokens on the web: how the ``api`` and ``taxii`` blueprints authenticate every
request, and how they are rate-limited. Never a cookie.

A token goes in ``Authorization: Bearer <token>`` or as the password of HTTP Basic. An
identifier (user id, e-mail, organisation code) is never a credential, and no other header
changes who is asking. Requests are limited per token.
"""

from __future__ import annotations

import base64
import binascii
import hashlib

from flask import Blueprint, Response, current_app, g, jsonify, request

from portal.access import rule_for
from portal.models import User
from portal.services import audit_commit
from portal.services.accounts import api_tokens
from portal.services.errors import AuditUnavailable
from portal.services.principals import Actor, Reader


def credential() -> str | None:
    """The token the request carries, as a Bearer token or the password of HTTP Basic."""
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


def rate_key() -> str:
    """Rate-limit key: the token itself (hashed), however it is sent, or the address."""
    token = credential()
    if token:
        return "api:" + hashlib.sha256(token.encode("utf-8", "replace")).hexdigest()
    return "api-anonymous:" + (request.remote_addr or "")


def rate_limit() -> str:
    return str(current_app.config["API_RATE_LIMIT"])


def _error(status: int, message: str) -> Response:
    if request.path.startswith("/taxii2/"):
        response = jsonify({"title": message, "http_status": str(status)})
        response.headers["Content-Type"] = "application/taxii+json;version=2.1"
    else:
        response = jsonify({"error": {"code": status, "message": message, "field": None}})
    response.status_code = status
    return response


def _unauthorised() -> tuple[Response, int]:
    response = _error(401, "A valid API token is required.")
    response.headers["WWW-Authenticate"] = 'Bearer realm="ischia", Basic realm="ischia"'
    return response, 401


def authenticate() -> tuple[Response, int] | None:
    """``before_request`` of the token blueprints: every token route goes through here first."""
    audit_commit.begin()
    rule = rule_for(current_app, request.endpoint or "")
    if rule is None or not rule.api_token:
        return None  # the OpenAPI description (public), or a 404 from routing
    token = credential()
    use = (
        api_tokens.authenticate(token, ip=request.remote_addr, endpoint=request.endpoint)
        if token
        else None
    )
    if use is None:
        return _unauthorised()
    g.api_use = use
    return None


def commit_audit(response: Response) -> Response:
    """``after_request`` of the token blueprints: the token's use (and any other deferred
    record) is committed before the answer leaves; if it cannot be, the answer is an error
    that carries none of the content."""
    try:
        audit_commit.flush()
    except AuditUnavailable as exc:
        current_app.logger.error("audit records could not be committed: %s", exc.__cause__)
        return _error(exc.status, exc.message)
    return response


def end_request(_exc: BaseException | None) -> None:
    """``teardown_request``: nothing deferred outlives its request."""
    audit_commit.discard()


def guard(blueprint: Blueprint) -> None:
    """Authenticate every request of ``blueprint`` by token, and audit it before answering."""
    blueprint.before_request(authenticate)
    blueprint.after_request(commit_audit)
    blueprint.teardown_request(end_request)


def _use() -> api_tokens.TokenUse:
    use: api_tokens.TokenUse = g.api_use
    return use


def user() -> User:
    """The token's user, once :func:`authenticate` has let the request through."""
    return _use().user


def reader() -> Reader:
    return Reader.of(_use().user)


def actor() -> Actor:
    return Actor.of(_use().user, request.remote_addr)


def can_write() -> bool:
    """True when the token has the write scope."""
    return _use().can_write
