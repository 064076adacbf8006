"""The ``bulletins`` blueprint object, shared by the view modules of this package."""

from __future__ import annotations

from flask import Blueprint

blueprint = Blueprint("bulletins", __name__, url_prefix="/bulletins")


def load_views() -> Blueprint:
    """Import every view module so its routes are registered, then return the blueprint."""
    from portal.bulletins import (  # noqa: F401
        comment_views,
        compose,
        filters,
        groups,
        keys,
        lifecycle,
        views,
    )

    return blueprint
