"""Every request-rate limit of the portal, applied here, so that other requests skip the limiter.

Flask-Limiter checks each request in a ``before_request`` hook, also on the many views that carry
no limit, and that bookkeeping was close to a tenth of a page's time. Limits are therefore applied
only through :func:`limit_view` and :func:`limit_blueprint`, which remember what they limit, and
:func:`unlimited`, registered as Flask-Limiter's request filter, lets every other request through
without a lookup.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

from flask import Blueprint, current_app, request

from portal.extensions import limiter

_View = TypeVar("_View", bound=Callable[..., Any])
_limited_views: set[Callable[..., Any]] = set()
_limited_blueprints: set[str] = set()


def limit_view(limit: Callable[[], str], **options: Any) -> Callable[[_View], _View]:
    """Flask-Limiter's ``limit`` decorator for one view, recorded (place it under ``route``)."""

    def decorate(view: _View) -> _View:
        limited: _View = limiter.limit(limit, **options)(view)
        _limited_views.add(limited)
        return limited

    return decorate


def limit_blueprint(blueprint: Blueprint, limit: Callable[[], str], **options: Any) -> None:
    """Flask-Limiter's ``limit`` on every view of ``blueprint``, recorded."""
    limiter.limit(limit, **options)(blueprint)
    _limited_blueprints.add(blueprint.name)


@limiter.request_filter
def unlimited() -> bool:
    """True when no limit applies to this request's view, so Flask-Limiter skips it."""
    view = current_app.view_functions.get(request.endpoint or "")
    if view is not None and view in _limited_views:
        return False
    return _limited_blueprints.isdisjoint(request.blueprints)
