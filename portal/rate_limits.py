"""Every request-rate limit of the portal, applied here, so that other requests skip the limiter.

Flask-Limiter checks each request in a ``before_request`` hook, also on the many views that carry
no limit, and that bookkeeping was close to a tenth of a page's time. Limits are therefore applied
only through :func:`limit_view` and :func:`limit_blueprint`, which remember what they limit, and
:func:`unlimited`, registered as Flask-Limiter's request filter, lets every other request through
without a lookup.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any, ParamSpec, TypeVar

from flask import Blueprint, current_app, request

from portal.extensions import limiter

_P = ParamSpec("_P")
_R = TypeVar("_R")
_limited_views: set[Callable[..., Any]] = set()
_limited_blueprints: set[str] = set()


def limit_view(
    limit: Callable[[], str], **options: Any
) -> Callable[[Callable[_P, _R]], Callable[_P, _R]]:
    """Flask-Limiter's ``limit`` decorator for one view, recorded (place it under ``route``)."""

    def decorate(view: Callable[_P, _R]) -> Callable[_P, _R]:
        limited = limiter.limit(limit, **options)(view)
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
    # Blueprints by their own names, as Flask-Limiter knows them, however they are registered.
    blueprints = current_app.blueprints
    return not any(
        name in blueprints and blueprints[name].name in _limited_blueprints
        for name in request.blueprints
    )


def refuse_global_limits(config: Mapping[str, Any]) -> None:
    """Default and application-wide limits would apply to every view, which the filter above
    would skip: they are refused at start-up rather than silently not applied."""
    for name in ("RATELIMIT_DEFAULT", "RATELIMIT_APPLICATION"):
        if config.get(name):
            raise RuntimeError(f"{name} is not supported: apply limits through portal.rate_limits")
