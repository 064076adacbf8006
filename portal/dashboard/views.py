"""The dashboard: the officer's desk. What waits for them (unread and unacknowledged
bulletins, access requests to answer, referrals due or waiting), the answers to their own
organisation's requests, what their organisation sent lately, and their sign-in activity."""

from __future__ import annotations

from flask import Blueprint, current_app, render_template, url_for
from flask_login import current_user

from portal.access import signed_in
from portal.models import Role
from portal.principal import current_reader
from portal.services.accounts import activity
from portal.services.bulletins import inbox
from portal.services.discovery import access_requests
from portal.services.referrals import overview

blueprint = Blueprint("dashboard", __name__)

LISTED = 5  # rows per list on the desk


@blueprint.route("/")
@signed_in
def index() -> str:
    """The home page after sign-in."""
    reader = current_reader()
    bulletins = reader.sees_bulletins
    return render_template(
        "dashboard/index.html",
        sign_ins=activity.recent_sign_ins(current_user.id),
        session_started=current_user.session_record.created_at,
        referrals=overview.summary(reader),
        queue_url=_queue_url(),
        counts=inbox.desk_counts(reader) if bulletins else None,
        unread=inbox.keyset_page(reader, inbox.InboxQuery(unread=True), None, LISTED)
        if bulletins
        else [],
        sent=inbox.keyset_page(reader, inbox.InboxQuery(box=inbox.Box.SENT), None, LISTED)
        if bulletins
        else [],
        pending_requests=access_requests.pending_count(reader),
        answers_to_us=access_requests.own_requests(reader)[:LISTED] if bulletins else [],
        liaison=reader.has_role(Role.LIAISON),
    )


def _queue_url() -> str | None:
    """The platform's queue page, once the portal has it."""
    if "referrals.queue" in current_app.view_functions:
        return url_for("referrals.queue")
    return None
