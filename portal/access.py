"""Access rules: every view declares who may reach it, and a view that declares nothing is denied.

Rules are attached to view functions by the decorators below and enforced for every request by
:func:`enforce`, registered in the factory. A test walks ``app.url_map`` and fails on any view
without a rule, so a forgotten decorator is caught before it ships.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, TypeVar

from flask import Flask, abort, current_app, redirect, request, url_for
from flask_login import current_user
from werkzeug.wrappers import Response

from portal.extensions import login_manager
from portal.models import Role

View = TypeVar("View", bound=Callable[..., Any])
_ATTRIBUTE = "ischia_access_rule"
_PUBLIC_ENDPOINTS = "ischia.public_endpoints"
# Pages a user who must change their password may still reach.
_PASSWORD_CHANGE_ENDPOINTS = frozenset({"auth.change_password", "auth.logout", "static"})


@dataclass(frozen=True)
class Rule:
    public: bool = False
    roles: frozenset[Role] = frozenset()
    # Authenticated by a personal API token (portal.token_auth), never by the session cookie.
    api_token: bool = False


def _attach(rule: Rule) -> Callable[[View], View]:
    def decorate(view: View) -> View:
        setattr(view, _ATTRIBUTE, rule)
        return view

    return decorate


public = _attach(Rule(public=True))
signed_in = _attach(Rule())
api_token = _attach(Rule(api_token=True))


def roles_required(*roles: Role) -> Callable[[View], View]:
    """Any one of ``roles`` is enough."""
    return _attach(Rule(roles=frozenset(roles)))


def allow_public_endpoint(app: Flask, endpoint: str) -> None:
    """For views that are not our functions (Flask's static files)."""
    app.extensions.setdefault(_PUBLIC_ENDPOINTS, set()).add(endpoint)


def rule_for(app: Flask, endpoint: str) -> Rule | None:
    if endpoint in app.extensions.get(_PUBLIC_ENDPOINTS, set()):
        return Rule(public=True)
    view = app.view_functions.get(endpoint)
    return getattr(view, _ATTRIBUTE, None)


def enforce() -> Response | None:
    """``before_request``: deny by default, then apply the view's rule."""
    if request.endpoint is None:
        return None  # routing failed: Flask answers 404 or 405
    rule = rule_for(current_app, request.endpoint)
    if rule is None:
        abort(404)
    if rule.public or rule.api_token:
        return None  # a token route checks its token itself (portal.token_auth)
    if not current_user.is_authenticated:
        return login_manager.unauthorized()  # type: ignore[no-any-return]
    if current_user.must_change_password and request.endpoint not in _PASSWORD_CHANGE_ENDPOINTS:
        return redirect(url_for("auth.change_password"))
    if rule.roles and not current_user.has_role(*rule.roles):
        abort(403)
    return None
