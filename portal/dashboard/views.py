"""The dashboard: who you are, what you may do, and your recent sign-in activity."""

from __future__ import annotations

from flask import Blueprint, current_app, render_template, url_for
from flask_login import current_user

from portal.access import signed_in
from portal.principal import current_reader
from portal.services.accounts import activity
from portal.services.referrals import overview

blueprint = Blueprint("dashboard", __name__)


@blueprint.route("/")
@signed_in
def index() -> str:
    """The home page after sign-in."""
    return render_template(
        "dashboard/index.html",
        sign_ins=activity.recent_sign_ins(current_user.id),
        session_started=current_user.session_record.created_at,
        referrals=overview.summary(current_reader()),
        queue_url=_queue_url(),
    )


def _queue_url() -> str | None:
    """The platform's queue page, once the portal has it."""
    if "referrals.queue" in current_app.view_functions:
        return url_for("referrals.queue")
    return None
