"""The ``watchlists`` blueprint object, shared by the view modules of this package."""

from __future__ import annotations

from flask import Blueprint

blueprint = Blueprint("watchlists", __name__)


def load_views() -> Blueprint:
    """Import every view module so its routes are registered, then return the blueprint."""
    from portal.watchlists import views  # noqa: F401

    return blueprint
