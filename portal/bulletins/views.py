"""Bulletin views: the inbox, reading with verification, acknowledging, attachments.

Every route that names a bulletin goes through a service that calls ``visible_bulletin``
first, so a bulletin the user's organisation may not read is a plain 404 on every route.
"""

from __future__ import annotations

from urllib.parse import quote

from babel.numbers import format_decimal
from flask import flash, redirect, render_template, request, url_for
from flask_babel import get_locale, gettext, ngettext
from werkzeug.wrappers import Response

from portal.access import signed_in
from portal.bulletins.blueprint import blueprint
from portal.bulletins.inbox_forms import InboxFilterForm
from portal.bulletins.read_page import read_page
from portal.i18n import number
from portal.principal import current_actor, current_reader
from portal.services.bulletins import acknowledgements, inbox, reading, saved_filters, tags
from portal.services.bulletins import downloads as attachment_download
from portal.services.bulletins.content import Category, Marking
from portal.services.errors import InvalidInput, NotFound, ServiceError
from portal.services.principals import Reader


@blueprint.app_template_filter("tlp_class")
def tlp_class(marking: str) -> str:
    """The CSS class of a marking; an unknown value (a tampered column) gets none of the colours."""
    try:
        return Marking(marking).css
    except ValueError:
        return "tlp-unknown"


@blueprint.app_template_filter("category_label")
def category_label(category: str) -> str:
    try:
        return Category(category).label
    except ValueError:
        return str(gettext("Unknown category"))


@blueprint.app_template_filter("tag_meaning")
def tag_meaning(tag: str) -> str:
    return tags.meaning(tag)


@blueprint.app_template_filter("file_size")
def file_size(size: int) -> str:
    if size < 1024:
        return str(ngettext("%(count)s byte", "%(count)s bytes", size, count=number(size)))
    if size < 1024 * 1024:
        return str(gettext("%(size)s KB", size=_one_decimal(size / 1024)))
    return str(gettext("%(size)s MB", size=_one_decimal(size / (1024 * 1024))))


def _one_decimal(value: float) -> str:
    return format_decimal(round(value, 1), "0.0", locale=get_locale() or "en")


@blueprint.route("/", endpoint="inbox")
@signed_in
def inbox_view() -> str | tuple[str, int]:
    """The organisation's inbox: filters, sorting, pages, unread markers and counts."""
    reader = current_reader()
    if not reader.sees_bulletins:
        return render_template("bulletins/inbox.html", platform=True, form=None, page=None)
    form = InboxFilterForm(request.args, senders=inbox.sender_choices())
    if form.validate():
        try:
            page = inbox.inbox_page(reader, form.query())
        except InvalidInput as error:
            field = getattr(form, error.field or "", None) or form.entity
            field.errors = [*field.errors, error.message]
        else:
            args = {k: v for k, v in request.args.items() if k != "page"}
            return render_template(
                "bulletins/inbox.html",
                platform=False,
                form=form,
                page=page,
                args=args,
                saved=saved_filters.saved_filters(reader),
            )
    return render_template(
        "bulletins/inbox.html", platform=False, form=form, page=None, args={}, saved=[]
    ), 400


@blueprint.route("/<bulletin_id>")
@signed_in
def read(bulletin_id: str) -> str:
    """One bulletin, opened and verified, or the tamper warning with no content."""
    reader = current_reader()
    result = reading.read_bulletin(reader, current_actor(), bulletin_id)
    return _read_page(reader, result)


def _read_page(reader: Reader, result: reading.ReadResult) -> str:
    return render_template("bulletins/read.html", page=read_page(reader, result))


@blueprint.route("/<bulletin_id>/acknowledge", methods=["POST"])
@signed_in
def acknowledge(bulletin_id: str) -> Response:
    """Record "received and actioned" for the user's organisation, once."""
    try:
        receipt = acknowledgements.acknowledge(current_reader(), current_actor(), bulletin_id)
    except NotFound:
        raise
    except ServiceError as error:
        flash(error.message, "error")
    else:
        flash(
            gettext("Acknowledged: received and actioned by %(org)s.", org=receipt.org), "success"
        )
    return redirect(url_for("bulletins.read", bulletin_id=bulletin_id))


@blueprint.route("/<bulletin_id>/attachments/<int:index>")
@signed_in
def attachment(bulletin_id: str, index: int) -> Response | tuple[str, int]:
    """Download one attachment, verified and decrypted, or the tamper warning."""
    reader = current_reader()
    try:
        download = attachment_download.download(reader, current_actor(), bulletin_id, index)
    except attachment_download.AttachmentTampered as error:
        return _read_page(reader, error.result), 409
    ascii_name = download.filename.encode("ascii", "replace").decode().replace('"', "_")
    response = Response(download.data, mimetype=download.content_type)
    response.headers["Content-Disposition"] = (
        f"attachment; filename=\"{ascii_name}\"; filename*=UTF-8''{quote(download.filename)}"
    )
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Cache-Control"] = "no-store"
    return response
