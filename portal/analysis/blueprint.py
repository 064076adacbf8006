"""The ``analysis`` blueprint object."""

from __future__ import annotations

from flask import Blueprint

blueprint = Blueprint("analysis", __name__, url_prefix="/analysis")


def load_views() -> Blueprint:
    from portal.analysis import views  # noqa: F401

    return blueprint
