"""Bulletin views: compose and amend (being written)."""

from __future__ import annotations

from portal.access import roles_required
from portal.bulletins.blueprint import blueprint
from portal.models import Role


@blueprint.route("/new")
@roles_required(Role.LIAISON)
def compose() -> str:
    """Write a new bulletin."""
    return "Compose"
