"""Hash bank pages: the banks one may read, matching an image or pasted hashes, a bank's
entries, adding and removing them, and its CSV export.

Every bank the organisation may not read is a 404 (the services raise NotFound). An uploaded
image is hashed in memory and never stored.
"""

from __future__ import annotations

from flask import current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext, ngettext
from werkzeug.datastructures import FileStorage
from werkzeug.wrappers import Response

from portal.access import roles_required
from portal.hashbanks.blueprint import blueprint
from portal.hashbanks.forms import ActionForm, AddEntriesForm, MatchForm, pasted_lines
from portal.models import Role
from portal.principal import current_actor, current_reader
from portal.services.errors import Forbidden, InvalidInput, NotFound, ServiceError
from portal.services.hashbanks import banks, matching
from portal.services.hashbanks.hashing import hash_image

BANK_USERS = (Role.LIAISON, Role.ANALYST, Role.PLATFORM_LIAISON)
Page = tuple[str, int]


def _read(upload: FileStorage | None) -> bytes:
    if upload is None or not upload.filename:
        return b""
    data: bytes = upload.read(int(current_app.config["HASH_IMAGE_MAX_BYTES"]) + 1)
    return data


def _index_page(
    form: MatchForm, status: int = 200, results: list[matching.MatchResult] | None = None
) -> Page:
    reader = current_reader()
    return render_template(
        "hashbanks/index.html",
        form=form,
        banks=banks.list_banks(reader),
        results=results,
        distance=matching.radius(),
    ), status


@blueprint.route("/", methods=["GET"])
@roles_required(*BANK_USERS)
def index() -> Page:
    """The banks the organisation owns or may read, and the match form."""
    return _index_page(MatchForm())


def _show(form: MatchForm | AddEntriesForm, error: ServiceError) -> None:
    name = (error.field or "").split(" ")[0]
    name = {"image": "images"}.get(name, name) if isinstance(form, AddEntriesForm) else name
    target = getattr(form, name, None)
    if target is None or not hasattr(target, "errors"):
        target = form.hashes
    target.errors = [*target.errors, error.message]


@blueprint.route("/match", methods=["POST"])
@roles_required(*BANK_USERS)
def match() -> Page:
    """Match an uploaded image, or pasted hashes, against every readable bank."""
    form = MatchForm()
    if not form.validate():
        return _index_page(form, 400)
    reader = current_reader()
    data = _read(form.image.data)
    lines = pasted_lines(form.hashes.data)
    try:
        if data:
            results = matching.match_image(reader, data)
        elif lines:
            kind = form.kind.data or "pdq"
            results = matching.match(
                reader,
                pdq=lines if kind == "pdq" else (),
                md5=lines if kind == "md5" else (),
                sha256=lines if kind == "sha256" else (),
            )
        else:
            raise InvalidInput(gettext("Choose an image or paste a hash."), field="image")
    except NotFound:
        raise
    except ServiceError as error:
        _show(form, error)
        return _index_page(form, error.status)
    return _index_page(form, 200, results)


def _bank_page(bank_id: int, form: AddEntriesForm | None = None, status: int = 200) -> Page:
    reader = current_reader()
    summary = banks.bank_summary(reader, bank_id)
    page = banks.entry_page(reader, bank_id, request.args.get("page", 1, type=int) or 1)
    return render_template(
        "hashbanks/bank.html",
        bank=summary,
        page=page,
        form=form or AddEntriesForm(),
        action_form=ActionForm(),
    ), status


@blueprint.route("/<int:bank_id>", methods=["GET"])
@roles_required(*BANK_USERS)
def bank(bank_id: int) -> Page:
    """A bank's entries, and (for its owner's liaison officers) adding and removing them."""
    return _bank_page(bank_id)


def _drafts(form: AddEntriesForm) -> list[banks.EntryDraft]:
    label = form.label.data or None
    case = (form.case.data or "").strip() or None
    drafts = [
        banks.EntryDraft(kind=form.kind.data or "pdq", value=line, label=label, case_id=case)
        for line in pasted_lines(form.hashes.data)
    ]
    for upload in form.images.data or []:
        data = _read(upload)
        if not data:
            continue
        hashed = hash_image(data, "images")
        drafts += [
            banks.EntryDraft("pdq", hashed.pdq, hashed.quality, label, case),
            banks.EntryDraft("sha256", hashed.sha256, None, label, case),
            banks.EntryDraft("md5", hashed.md5, None, label, case),
        ]
    return drafts


@blueprint.route("/<int:bank_id>/entries", methods=["POST"])
@roles_required(Role.LIAISON, Role.PLATFORM_LIAISON)
def add(bank_id: int) -> Page | Response:
    """Add pasted hashes or the hashes of uploaded images: all of them, or none."""
    reader = current_reader()
    summary = banks.bank_summary(reader, bank_id)  # 404 before anything about the form
    if not summary.writable:  # refused before any upload is decoded and hashed
        raise Forbidden(gettext("Only the owner's liaison officers change a bank's entries."))
    form = AddEntriesForm()
    if not form.validate():
        return _bank_page(bank_id, form, 400)
    try:
        added = banks.add_entries(reader, current_actor(), bank_id, _drafts(form))
    except NotFound:
        raise
    except ServiceError as error:
        _show(form, error)
        return _bank_page(bank_id, form, error.status)
    flash(ngettext("%(num)s entry added.", "%(num)s entries added.", len(added)), "success")
    return redirect(url_for("hashbanks.bank", bank_id=bank_id))


@blueprint.route("/<int:bank_id>/entries/<int:entry_id>/remove", methods=["POST"])
@roles_required(Role.LIAISON, Role.PLATFORM_LIAISON)
def remove(bank_id: int, entry_id: int) -> Response:
    """Remove an entry (kept as removed, so platforms that downloaded it learn of it)."""
    form = ActionForm()
    if not form.validate():
        raise InvalidInput(gettext("The form has expired: reload the page."), field="csrf_token")
    banks.remove_entry(current_reader(), current_actor(), bank_id, entry_id)
    flash(gettext("Entry removed."), "success")
    return redirect(url_for("hashbanks.bank", bank_id=bank_id))


@blueprint.route("/<int:bank_id>/export.csv", methods=["GET"])
@roles_required(*BANK_USERS)
def export(bank_id: int) -> Response:
    """The bank's live entries as CSV."""
    name, text = banks.export_csv(current_reader(), current_actor(), bank_id)
    safe = "".join(c if c.isalnum() or c in "-_" else "-" for c in name)[:60] or "bank"
    response = Response(text, mimetype="text/csv")
    response.headers["Content-Disposition"] = f'attachment; filename="hash-bank-{safe}.csv"'
    response.headers["Cache-Control"] = "no-store"
    return response
