"""Briefing views: compose and download, the queue's status page, and verification.

A briefing that names a bulletin the organisation may not read is a plain 404 (the services
raise NotFound); a copy is only ever shown or sent to the user it was made for.
"""

from __future__ import annotations

from flask import current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from werkzeug.wrappers import Response

from portal.access import roles_required, signed_in
from portal.briefings.blueprint import blueprint
from portal.briefings.forms import BriefingForm, VerifyForm
from portal.models import BriefingState
from portal.principal import current_actor, current_reader
from portal.rate_limits import limit_view
from portal.services.analysis import investigations
from portal.services.briefings import BRIEFING_ROLES, copies, job_queue, signing
from portal.services.briefings.making import filename
from portal.services.briefings.requesting import BriefingNotMade, request_briefing
from portal.services.briefings.selection import Source
from portal.services.bulletins import inbox, saved_filters
from portal.services.errors import GraphUnavailable, InvalidInput, NotFound, ServiceError
from portal.services.principals import Reader

BRIEFERS = sorted(BRIEFING_ROLES)
MADE_COOKIE = "ischia-briefing-made"
# What each state of a copy means to its reader (the status page and the recent copies).
STATES = {
    BriefingState.QUEUED.value: _l("Waiting for a worker"),
    BriefingState.RENDERING.value: _l("Rendering"),
    BriefingState.READY.value: _l("Ready"),
    BriefingState.DELIVERED.value: _l("Downloaded"),
    BriefingState.FAILED.value: _l("Failed"),
}


def _investigations(reader: Reader) -> list[tuple[int, str]]:
    if not reader.sees_bulletins:
        return []
    return [(saved.id, saved.name) for saved in investigations.listed(reader)]


def _pdf_response(pdf: bytes, name: str) -> Response:
    response = Response(pdf, mimetype="application/pdf")
    response.headers["Content-Disposition"] = f'attachment; filename="{name}"'
    response.headers["Cache-Control"] = "no-store"
    response.headers["X-Content-Type-Options"] = "nosniff"
    return response


def _candidates(reader: Reader, form: BriefingForm) -> inbox.InboxPage | None:
    try:
        return inbox.inbox_page(reader, form.inbox_query())
    except InvalidInput:
        return None


def _compose_page(form: BriefingForm, status: int = 200) -> tuple[str, int]:
    reader = current_reader()
    return render_template(
        "briefings/new.html",
        form=form,
        page=_candidates(reader, form) if reader.sees_bulletins else None,
        chosen=set(form.bulletin_ids.data or ()),
        recent=copies.recent_copies(reader),
        saved=saved_filters.saved_filters(reader),
        briefing_states=STATES,
    ), status


@blueprint.route("/", endpoint="index", methods=["GET"])
@roles_required(*BRIEFERS)
def index() -> tuple[str, int]:
    """Compose a briefing: pick bulletins, a filter or an entity; the user's recent copies."""
    form = BriefingForm(
        request.args,
        meta={"csrf": False},
        senders=inbox.sender_choices(),
        investigations=_investigations(current_reader()),
    )
    form.bulletin_ids.data = request.args.getlist("bulletin")
    if request.args.get("investigation") and not request.args.get("source"):
        form.source.data = Source.INVESTIGATION.value
    saved = request.args.get("saved", type=int)
    if saved is not None and 0 < saved < 2**31:
        form.apply(saved_filters.saved_filter(current_reader(), saved).query)
    try:
        form.inbox_query()
    except InvalidInput as error:  # a box, category or marking not on offer
        field = getattr(form, error.field or "", None) or form.box
        field.errors = [*field.errors, error.message]
        return _compose_page(form, 400)
    return _compose_page(form)


@blueprint.route("/", methods=["POST"])
@roles_required(*BRIEFERS)
def create() -> Response | tuple[str, int]:
    """Make the briefing: render and download it now, or queue it and show its progress."""
    form = BriefingForm(
        senders=inbox.sender_choices(), investigations=_investigations(current_reader())
    )
    if not form.validate():
        return _compose_page(form, 400)
    reader = current_reader()
    actor = current_actor()
    briefing = form.briefing_request()
    try:
        requested = request_briefing(reader, actor, current_user.user, briefing)
    except BriefingNotMade as error:
        page = render_template("briefings/failed.html", copy=error.copy, message=error.message)
        return page, error.status
    except (NotFound, GraphUnavailable):
        raise  # the error page (503 with Retry-After while the graph process is down)
    except ServiceError as error:  # the choice was refused before anything was recorded
        field = getattr(form, error.field or "", None) or form.title
        field.errors = [*field.errors, error.message]
        return _compose_page(form, error.status)
    if requested.made is None:
        return redirect(url_for("briefings.status", copy_id=requested.copy.id))
    response = _pdf_response(requested.made.pdf, filename(requested.copy))
    # Read by the page's script (briefing.js), which then shows the copy's page: the download
    # is confirmed and what it contains said. The copy id is printed on every page anyway.
    response.set_cookie(
        MADE_COOKIE,
        requested.copy.id,
        max_age=120,
        path=url_for("briefings.index"),
        secure=bool(current_app.config["SESSION_COOKIE_SECURE"]),
        httponly=False,
        samesite="Strict",
    )
    return response


@blueprint.route("/<copy_id>")
@roles_required(*BRIEFERS)
def status(copy_id: str) -> str:
    """A queued briefing's progress, and its download link once it is ready."""
    copy = copies.own_copy(current_reader(), copy_id)
    pending = copy.state in {BriefingState.QUEUED.value, BriefingState.RENDERING.value}
    return render_template(
        "briefings/status.html",
        copy=copy,
        pending=pending,
        made=request.args.get("made") == "1",
        queue=job_queue.queue_enabled(),
        briefing_states=STATES,
    )


@blueprint.route("/<copy_id>/download")
@roles_required(*BRIEFERS)
def download(copy_id: str) -> Response:
    """Send a briefing the queue made (decrypted from the queue's store) and audit it."""
    copy = copies.own_copy(current_reader(), copy_id)
    if copy.state not in {BriefingState.READY.value, BriefingState.DELIVERED.value}:
        raise NotFound()
    pdf = job_queue.queued_pdf(copy)
    if pdf is None:
        flash(gettext("This briefing is no longer kept: make it again."), "error")
        return redirect(url_for("briefings.index"))
    copies.record_download(copy, current_actor())
    return _pdf_response(pdf, filename(copy))


def _verify_limit() -> str:
    return str(current_app.config["BRIEFING_VERIFY_LIMIT"])


def _verify_key() -> str:
    """Per signed-in user (sign-in is checked before any view runs): behind a proxy every
    user has the same address, and one user must not use up everyone's checks."""
    return f"briefing-verify:{current_user.id}"


@blueprint.route("/verify", methods=["GET", "POST"])
@limit_view(_verify_limit, methods=["POST"], key_func=_verify_key)
@signed_in
def verify() -> tuple[str, int]:
    """Check that a PDF is an unaltered briefing of this portal, and for whom it was made."""
    form = VerifyForm()
    verdict = problem = record = None
    if request.method == "POST":
        if not form.validate():
            return render_template("briefings/verify.html", form=form), 400
        data = form.pdf.data.read(signing.MAX_FILE + 1)
        try:
            verdict = signing.verify_with_portal_keys(data)
        except signing.NotVerified as error:
            problem = str(error)
        else:
            record = copies.find_copy(verdict.copy_id)
        copies.record_verification(
            current_actor(),
            data,
            record,
            problem,
            whole=len(data) <= signing.MAX_FILE,
        )
    status_code = 422 if problem else 200
    return render_template(
        "briefings/verify.html", form=form, verdict=verdict, problem=problem, record=record
    ), status_code
