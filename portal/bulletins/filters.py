"""Saved inbox filters: save the inbox's current filters under a name, or delete one."""

from __future__ import annotations

from typing import Any

from flask import flash, redirect, render_template, request, url_for
from flask_babel import gettext
from werkzeug.wrappers import Response

from portal.access import signed_in
from portal.bulletins.blueprint import blueprint
from portal.bulletins.inbox_forms import InboxFilterForm
from portal.principal import current_reader
from portal.services.bulletins import inbox, saved_filters
from portal.services.errors import NotFound, ServiceError


@blueprint.route("/filters", methods=["POST"])
@signed_in
def save_filter() -> Response | tuple[str, int]:
    """Save the filters the inbox shows now under the name given."""
    reader = current_reader()
    if not reader.sees_bulletins:
        raise NotFound()
    form = InboxFilterForm(request.form, senders=inbox.sender_choices())
    name = request.form.get("name", "")
    if not form.validate():
        return _refused(
            gettext("Some filters could not be used: correct them in the inbox first."), 400
        )
    try:
        saved = saved_filters.save_filter(reader, name, form.query())
    except ServiceError as error:
        return _refused(error.message, error.status)
    flash(gettext("Filter “%(name)s” saved.", name=saved.name), "success")
    # Any, or mypy checks the str values against url_for's own options (_external is a bool).
    query: dict[str, Any] = saved.args()
    return redirect(url_for("bulletins.inbox", **query))


def _refused(problem: str, status: int) -> tuple[str, int]:
    return render_template("bulletins/filter_refused.html", problem=problem), status


@blueprint.route("/filters/<int:filter_id>/delete", methods=["POST"])
@signed_in
def delete_filter(filter_id: int) -> Response:
    """Delete one of the user's saved filters."""
    saved_filters.delete_filter(current_reader(), filter_id)
    flash(gettext("Filter deleted."), "success")
    return redirect(url_for("bulletins.inbox"))
