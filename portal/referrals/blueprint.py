"""The ``referrals`` blueprint object, shared by the view modules of this package."""

from __future__ import annotations

from flask import Blueprint

blueprint = Blueprint("referrals", __name__, url_prefix="/referrals")


def load_views() -> Blueprint:
    """Import every view module so its routes are registered, then return the blueprint."""
    from portal.referrals import (  # noqa: F401
        bulk_views,
        evidence_views,
        mine_views,
        queue_views,
        refer_views,
        transparency_views,
        webhook_views,
    )

    return blueprint
