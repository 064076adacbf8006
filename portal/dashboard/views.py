"""The dashboard: who you are, what you may do, and your recent sign-in activity."""

from __future__ import annotations

from flask import Blueprint, render_template
from flask_login import current_user

from portal.access import signed_in
from portal.services.accounts import activity

blueprint = Blueprint("dashboard", __name__)


@blueprint.route("/")
@signed_in
def index() -> str:
    """The home page after sign-in."""
    return render_template(
        "dashboard/index.html",
        sign_ins=activity.recent_sign_ins(current_user.id),
        session_started=current_user.session_record.created_at,
    )
