"""Bulletin views: release, retraction, identifier search with hit/no-hit discovery, access
requests and their answers, and retention expiry on demand.

The read page's panels for these (``_actions.html``, ``_discovery.html``) get
their data from :mod:`.read_page`, like the rest of that page. Release and retraction answer
404 to anyone but the originating organisation, like every route that names a bulletin its
user may not act on.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from flask import flash, redirect, render_template, request, url_for
from flask_babel import gettext, ngettext
from werkzeug.wrappers import Response

# types-WTForms follows WTForms 3.2, which had no SelectChoice (new in 3.3).
from wtforms.fields.choices import SelectChoice  # type: ignore[attr-defined]

from portal.access import roles_required, signed_in
from portal.bulletins.blueprint import blueprint
from portal.bulletins.lifecycle_forms import (
    AccessRequestForm,
    DecisionForm,
    ExpireForm,
    ReleaseForm,
    RetractForm,
    SearchForm,
)
from portal.models import AccessRequest, Role
from portal.principal import current_actor, current_reader
from portal.services.bulletins import lifecycle
from portal.services.bulletins import originator_panel as lifecycle_panel
from portal.services.bulletins.access import visible_bulletin
from portal.services.discovery import access_requests
from portal.services.discovery import hits as discovery
from portal.services.errors import NotFound, ServiceError
from portal.services.principals import Actor, Reader
from portal.services.watchlists import entity_pages

Page = str | tuple[str, int] | Response

# An entity page's reference: URL-safe base64 (portal/services/watchlists/references.py).
_REFERENCE = re.compile(r"[A-Za-z0-9_-]{16,400}")


def _show_error(form: Any, error: ServiceError, default_field: str) -> int:
    field = getattr(form, error.field or "", None) or getattr(form, default_field)
    field.errors = [*field.errors, error.message]
    return error.status


@blueprint.route("/<bulletin_id>/release", methods=["GET", "POST"])
@signed_in
def release(bulletin_id: str) -> Page:
    """Release a bulletin to one more ministry or observer (the originator's liaison officers)."""
    reader = current_reader()
    panel = lifecycle_panel.panel_for(reader, bulletin_id)
    form = ReleaseForm()
    form.org.choices = [SelectChoice("", gettext("Choose an organisation"))] + [
        SelectChoice(c.code, f"{c.code} · {c.name}") for c in panel.choices
    ]
    status = 200
    if request.method == "POST":
        try:
            org = lifecycle.release_to(
                reader,
                current_actor(),
                bulletin_id,
                form.org.data or "",
                confirm_red=bool(form.confirm_red.data),
            )
        except NotFound:
            raise
        except ServiceError as error:
            status = _show_error(form, error, "org")
        else:
            flash(
                gettext("Released to %(org)s: it can now read this bulletin.", org=org.code),
                "success",
            )
            return redirect(url_for("bulletins.read", bulletin_id=bulletin_id))
    return render_template("bulletins/release.html", panel=panel, form=form), status


@blueprint.route("/<bulletin_id>/retract", methods=["GET", "POST"])
@signed_in
def retract(bulletin_id: str) -> Page:
    """Retract a bulletin: shred every version for every organisation (originator only)."""
    reader = current_reader()
    panel = lifecycle_panel.panel_for(reader, bulletin_id)
    form = RetractForm()
    status = 200
    if request.method == "POST" and not form.validate():
        # Every problem at once: a missing reason and an unticked box are shown together.
        status = 400
        if not form.confirm.data:
            form.confirm.errors = [*form.confirm.errors, str(lifecycle.CONFIRM_RETRACT)]
    elif request.method == "POST":
        try:
            shredded = lifecycle.retract(
                reader,
                current_actor(),
                bulletin_id,
                confirmed=bool(form.confirm.data),
                reason=form.reason.data,
            )
        except NotFound:
            raise
        except ServiceError as error:
            status = _show_error(form, error, "confirm")
        else:
            flash(retracted_message(len(shredded)), "success")
            return redirect(url_for("bulletins.read", bulletin_id=bulletin_id))
    return render_template("bulletins/retract.html", panel=panel, form=form), status


def retracted_message(versions: int) -> str:
    if versions == 1:
        return gettext("Retracted: the bulletin's content was destroyed for every organisation.")
    return gettext(
        "Retracted: the content of its %(count)s versions was destroyed for every organisation.",
        count=versions,
    )


@blueprint.route("/search")
@signed_in
def search() -> Page:
    """Look for an identifier or a name: bulletins you can read, and hit/no-hit for the rest."""
    reader = current_reader()
    requests = access_requests.own_requests(reader)  # NotFound for a platform partner
    form = SearchForm(request.args)
    result = None
    status = 200
    if request.args.get("q"):
        if not form.validate():
            status = 400
        else:
            try:
                result = discovery.search(reader, form.q.data or "", form.platform.data or None)
            except ServiceError as error:
                status = _show_error(form, error, "q")
    pages = []
    if result is not None:
        refs = entity_pages.query_references(reader, result.interpretations)
        pages = [(r.label, refs[r.key]) for r in result.interpretations]
    return render_template(
        "bulletins/search.html",
        form=form,
        result=result,
        entity_pages=pages,
        requests=requests,
        red_note=str(discovery.RED_EXCLUDED),
    ), status


def _ask_page(form: AccessRequestForm, status: int, **context: Any) -> tuple[str, int]:
    return render_template("bulletins/ask.html", form=form, **context), status


@blueprint.route("/search/ask", methods=["GET", "POST"])
@signed_in
def ask() -> Page:
    """Ask an organisation for the bulletins it sent that name a searched identifier."""
    reader = current_reader()
    if not reader.sees_bulletins:
        raise NotFound()
    form = AccessRequestForm() if request.method == "POST" else AccessRequestForm(request.args)
    back = url_for("bulletins.search", q=form.q.data, platform=form.platform.data or None)
    if request.method == "GET":
        return _ask_page(form, 200, back=back, subject=form.q.data)
    if not form.validate_on_submit():
        return _ask_page(form, 400, back=back, subject=form.q.data)
    try:
        made = access_requests.ask_about_query(
            reader,
            current_actor(),
            form.q.data or "",
            form.platform.data or None,
            form.org.data or "",
            form.reason.data,
        )
    except NotFound:
        raise
    except ServiceError as error:
        status = _show_error(form, error, "org")
        return _ask_page(form, status, back=back, subject=form.q.data)
    flash(_asked(form.org.data, made), "success")
    return redirect(back)


@blueprint.route("/<bulletin_id>/ask", methods=["GET", "POST"])
@signed_in
def ask_about(bulletin_id: str) -> Page:
    """Ask an organisation for the bulletins it sent that name an entity of this bulletin."""
    reader = current_reader()
    visible_bulletin(reader, bulletin_id)  # 404 before anything else
    form = AccessRequestForm() if request.method == "POST" else AccessRequestForm(request.args)
    back = url_for("bulletins.read", bulletin_id=bulletin_id)
    if request.method == "GET":
        return _ask_page(form, 200, back=back, subject=None)
    if not form.validate_on_submit():
        return _ask_page(form, 400, back=back, subject=None)
    try:
        made = access_requests.ask_about_entity(
            reader,
            current_actor(),
            bulletin_id,
            form.entity.data or "",
            form.org.data or "",
            form.reason.data,
        )
    except NotFound:
        raise
    except ServiceError as error:
        status = _show_error(form, error, "org")
        return _ask_page(form, status, back=back, subject=None)
    flash(_asked(form.org.data, made), "success")
    return redirect(_entity_page() or back)


def _entity_page() -> str | None:
    """Back to the entity page the request was made from (its opaque reference, as that page
    put it in the form; a made-up one leads to that page's own 404)."""
    reference = request.form.get("entity_page", "")
    if not _REFERENCE.fullmatch(reference):
        return None
    return url_for("watchlists.entity", reference=reference)


def _asked(org_code: str | None, made: int) -> str:
    asked = ngettext(
        "Asked %(org)s for access to %(num)s bulletin.",
        "Asked %(org)s for access to %(num)s bulletins.",
        made,
        org=(org_code or "").upper(),
    )
    return f"{asked} {gettext('Its answer appears under Access requests, Outgoing.')}"


def _requests_page(status: int = 200) -> tuple[str, int]:
    pending, decided = access_requests.incoming(current_reader())
    return render_template(
        "bulletins/requests.html", pending=pending, decided=decided, form=DecisionForm()
    ), status


@blueprint.route("/requests")
@roles_required(Role.LIAISON)
def requests() -> Page:
    """Access requests for the organisation's bulletins, to approve or decline."""
    return _requests_page()


@blueprint.route("/requests/outgoing")
@signed_in
def outgoing_requests() -> Page:
    """The requests the organisation made to others, with their answers."""
    reader = current_reader()
    return render_template(
        "bulletins/outgoing_requests.html",
        requests=access_requests.own_requests(reader),  # NotFound for a platform partner
        liaison=reader.has_role(Role.LIAISON),
    )


@blueprint.route("/requests/<int:request_id>/approve", methods=["POST"])
@roles_required(Role.LIAISON)
def approve_request(request_id: int) -> Page:
    """Approve an access request: release the bulletin to the requesting organisation."""
    return _answer(
        access_requests.approve,
        request_id,
        lambda number: gettext(
            "Approved request #%(number)s: the bulletin was released.", number=number
        ),
    )


@blueprint.route("/requests/<int:request_id>/decline", methods=["POST"])
@roles_required(Role.LIAISON)
def decline_request(request_id: int) -> Page:
    """Decline an access request; the requester learns nothing more about the bulletin."""
    return _answer(
        access_requests.decline,
        request_id,
        lambda number: gettext("Declined request #%(number)s.", number=number),
    )


def _answer(
    decide: Callable[[Reader, Actor, int], AccessRequest],
    request_id: int,
    done: Callable[[int], str],
) -> Page:
    """Approve or decline; NotFound propagates (a 404), other refusals re-show the list."""
    try:
        answered = decide(current_reader(), current_actor(), request_id)
    except NotFound:
        raise
    except ServiceError as error:
        flash(error.message, "error")
        return _requests_page(error.status)
    flash(done(answered.id), "success")
    return redirect(url_for("bulletins.requests"))


@blueprint.route("/retention", methods=["GET", "POST"])
@roles_required(Role.SYSADMIN)
def retention() -> Page:
    """Bulletins past their retention date, and a button to shred them now."""
    form = ExpireForm()
    if form.validate_on_submit():
        expired = lifecycle.expire_due(actor=current_actor())
        flash(
            ngettext(
                "Retention expiry: %(num)s bulletin shredded.",
                "Retention expiry: %(num)s bulletins shredded.",
                expired,
            ),
            "success",
        )
        return redirect(url_for("bulletins.retention"))
    return render_template("bulletins/retention.html", form=form, due=lifecycle.due_count())
