"""Bulletin views: inbox, reading, acknowledging, attachments (being written)."""

from __future__ import annotations

from portal.access import signed_in
from portal.bulletins.blueprint import blueprint


@blueprint.route("/")
@signed_in
def inbox() -> str:
    """The organisation's inbox."""
    return "Inbox"
