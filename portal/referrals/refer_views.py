"""Referring content: the page a ministry's or observer's liaison officer refers one or many
items to a platform on, and the referral as it was sent, with its signature checked.

The referrer is always the signed-in officer's organisation: the form has no field for it.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from flask import current_app, flash, redirect, render_template, request, url_for
from flask_babel import ngettext
from werkzeug.wrappers import Response

from portal.access import roles_required
from portal.models import Role
from portal.principal import current_actor, current_reader
from portal.referrals.blueprint import blueprint
from portal.referrals.refer_forms import (
    CATEGORIES,
    CONTENT_TYPES,
    EVENTS,
    KINDS,
    ORDER_HINT,
    OUTCOMES,
    STATES,
    Problem,
    ReferForm,
)
from portal.services.referrals import referring
from portal.services.referrals.referring import DraftProblems
from portal.services.transparency import figures

Page = tuple[str, int]
_WORDS: dict[str, dict[str, Any]] = {
    "content_type": CONTENT_TYPES,
    "category": CATEGORIES,
    "kind": KINDS,
    "outcome": OUTCOMES,
    "state": STATES,
    "event": EVENTS,
}


@blueprint.app_template_filter("referral_word")
def referral_word(code: str | None, vocabulary: str) -> str:
    """The words for a referral vocabulary's code (the code itself if it has none)."""
    if not code:
        return "—"
    return str(_WORDS[vocabulary].get(code, code))


@blueprint.app_template_filter("time_span")
def time_span(span: timedelta | None) -> str:
    """A duration as people say it: 42 s, 17 min, 3 h 05 min, 2 d 4 h (the transparency
    figures' wording)."""
    return "—" if span is None else figures.duration(span.total_seconds())


@blueprint.app_template_global("has_endpoint")
def has_endpoint(endpoint: str) -> bool:
    """Whether a page is part of this portal (links to pages other blueprints may add)."""
    return endpoint in current_app.view_functions


def _page(form: ReferForm, status: int, problems: list[Problem] | None = None) -> Page:
    offered = referring.choices(current_reader())
    form.offer(offered.platforms, offered.may_order)
    html = render_template(
        "referrals/refer.html",
        form=form,
        problems=problems or [],
        may_order=offered.may_order,
        groups=offered.groups,
        order_hint=ORDER_HINT,
    )
    return html, status


@blueprint.route("/new", methods=["GET", "POST"])
@roles_required(Role.LIAISON)
def refer() -> Page | Response:
    """Refer one or many content items to a platform, as a referral or a removal order."""
    form = ReferForm()
    if request.method == "GET":
        form.kind.data = "referral"
        return _page(form, 200)
    if "add_item" in request.form:
        form.add_row()
        return _page(form, 200)
    if not form.validate():
        found = [Problem("", str(m)) for errors in form.errors.values() for m in errors]
        return _page(form, 400, found)
    draft, layout = form.draft()
    try:
        referred = referring.refer(current_reader(), current_actor(), draft)
    except DraftProblems as refused:
        return _page(form, refused.status, form.show(refused.problems, layout))
    count = len(referred.items)
    flash(
        ngettext(
            "%(num)s item signed and sent to %(platform)s.",
            "%(num)s items signed and sent to %(platform)s.",
            count,
            platform=draft.platform.upper(),
        ),
        "success",
    )
    return redirect(url_for("referrals.sent", referral_id=referred.referral.id))


@blueprint.route("/sent/<referral_id>")
@roles_required(Role.LIAISON)
def sent(referral_id: str) -> str:
    """A referral the organisation sent: its items, deadlines and the signature check."""
    return render_template(
        "referrals/refer_sent.html", sent=referring.sent(current_reader(), referral_id)
    )
