"""Bulletin views: compose a new bulletin, and amend one of your organisation's.

The sender is always the signed-in officer's organisation and the author the officer: the form
has no field for either, and request fields that try to set them are never read.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date

from flask import current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext
from werkzeug.wrappers import Response

from portal.access import roles_required, signed_in
from portal.bulletins.blueprint import blueprint
from portal.bulletins.entity_forms import (
    ENTITY_LABELS,
    FIELD_TYPES,
    VALUE_LABELS,
    entity_row_data,
    relation_row_data,
)
from portal.bulletins.forms import ComposeForm, Problem, attachments_hint
from portal.i18n import number
from portal.models import Bulletin, Role, utcnow
from portal.principal import current_actor, current_reader
from portal.safe_markdown import render
from portal.services.bulletins import amendments, sealing
from portal.services.bulletins.amendments import CurrentVersion
from portal.services.bulletins.content import Marking, parse
from portal.services.bulletins.grading import Grading, Handling, Information, Source
from portal.services.bulletins.tags import choices as tag_choices
from portal.services.errors import InvalidInput
from portal.services.organisations import sharing_groups
from portal.services.stix import intake as stix_intake

Page = tuple[str, int]


def _form(data: dict[str, object] | None = None) -> ComposeForm:
    # The choices are offered when the page is drawn (_page): checking a POST needs none.
    form = ComposeForm(data=data) if data is not None else ComposeForm()
    form.assign_refs()
    return form


def _bulletin_url(bulletin_id: str) -> str:
    # The reading page is another view module's; until it exists, land in the inbox.
    if "bulletins.read" in current_app.view_functions:
        return url_for("bulletins.read", bulletin_id=bulletin_id)
    return url_for("bulletins.inbox")


def _page(
    form: ComposeForm,
    status: int,
    *,
    problems: list[Problem] | None = None,
    preview: object = None,
    current: CurrentVersion | None = None,
    imported: str | None = None,
    import_report: stix_intake.ImportedDraft | None = None,
) -> Page:
    reader = current_reader()
    groups = sharing_groups.groups_of(reader)
    form.offer(sharing_groups.recipient_organisations(reader), groups)
    html = render_template(
        "bulletins/compose.html",
        form=form,
        problems=problems or [],
        preview=preview,
        current=current,
        import_report=import_report,
        back_url=_bulletin_url(current.bulletin.id) if current else None,
        group_members={g.id: ", ".join(g.member_codes) for g in groups},
        markings={m.value: m for m in Marking},
        grading_meanings={
            **{m.value: m.meaning for m in Source},
            **{m.value: m.meaning for m in Information},
            **{m.value: m.meaning for m in Handling},
        },
        tag_choices=tag_choices(),
        entity_labels={t.value: str(label) for t, label in ENTITY_LABELS.items()},
        value_labels={t.value: str(label) for t, label in VALUE_LABELS.items()},
        field_types=FIELD_TYPES,
        attachments_hint=attachments_hint(),
        files_dropped=request.method == "POST" and bool(form.uploads()),
        imported=imported,
    )
    return html, status


def _submitted(
    form: ComposeForm,
    save: Callable[[sealing.Draft], Bulletin],
    done: Callable[[Bulletin], str],
    current: CurrentVersion | None = None,
) -> Page | Response:
    """A POST: an intermediate step (add a row, preview), or the bulletin to seal."""
    if "add_entity" in request.form:
        form.entities.append_entry()
        form.assign_refs()
        return _page(form, 200, current=current)
    if "add_relation" in request.form:
        form.relations.append_entry()
        return _page(form, 200, current=current)
    if "preview" in request.form:
        return _page(form, 200, preview=render(form.body.data or ""), current=current)
    if not form.validate():
        if form.csrf_token.errors:
            return _page(form, 400, problems=form.problems(), current=current)
        # Everything else the officer typed is checked too, so every error shows at once.
        found = form.problems()
        draft, layout = form.draft()
        later = [e for e in sealing.problems(current_reader(), draft) if e.field != "retain_until"]
        shown = form.in_form_order(found + [form.show_error(error, layout) for error in later])
        return _page(form, 400, problems=shown, current=current)
    draft, layout = form.draft()
    try:
        bulletin = save(draft)
    except InvalidInput as error:
        errors = sealing.problems(current_reader(), draft)
        if error.field not in {e.field for e in errors}:
            errors.insert(0, error)  # an attachment, or a rule problems() does not repeat
        shown = form.in_form_order([form.show_error(e, layout) for e in errors])
        return _page(form, 400, problems=shown, current=current)
    flash(done(bulletin), "success")
    return redirect(_bulletin_url(bulletin.id))


@blueprint.route("/new", methods=["GET", "POST"])
@roles_required(Role.LIAISON)
def compose() -> Page | Response:
    """Write a bulletin, seal it and send it to the chosen organisations."""
    reader = current_reader()
    form = _form()
    if request.method == "GET":
        form.prefill(
            marking=Marking.AMBER.value,
            retain_until=(utcnow() + sealing.DEFAULT_RETENTION).date(),
        )
        return _page(form, 200)
    return _submitted(
        form,
        lambda draft: sealing.post_bulletin(reader, current_actor(), draft),
        lambda _: gettext("The bulletin was sealed, signed and sent."),
    )


@blueprint.route("/new/import", methods=["POST"])
@roles_required(Role.LIAISON)
def import_stix() -> Page:
    """Fill the compose form from a STIX 2.1 bundle, for the officer to review; nothing is sent."""
    upload = request.files.get("bundle")
    raw = upload.read(stix_intake.MAX_BYTES + 1) if upload else b""
    try:
        if not raw:
            raise InvalidInput(gettext("Choose a STIX bundle file."), field="bundle")
        draft = stix_intake.draft_from_bundle(raw)
        content = parse(draft.document)
    except InvalidInput as error:
        form = _form()
        form.prefill(marking=Marking.AMBER.value, retain_until=_default_retention())
        return _page(form, 400, problems=[Problem("stix-bundle", error.message)])
    data = {
        "title": content.title,
        "summary": content.summary,
        "body": content.body,
        # Labels are the source's: a category is chosen only when one names Ischia's.
        "category": draft.category or "other",
        # No marking in the bundle: none is chosen for the officer, who must pick one.
        "marking": draft.marking or "",
        "retain_until": _default_retention(),
        "entities": [entity_row_data(e) for e in content.entities],
        "relations": [relation_row_data(r) for r in content.relations],
        "tags": "\n".join(content.tags),
    }
    form = ComposeForm(formdata=None, data=data)
    form.grading_data(content.grading.document() if content.grading else None)
    form.assign_refs()
    counts = draft.summary()
    notice = gettext(
        "Imported %(entities)s entities and %(relations)s relations from %(objects)s objects "
        "(%(outcomes)s). Review them and what became of each object below, choose the "
        "recipients, then seal.",
        entities=number(len(content.entities)),
        relations=number(len(content.relations)),
        objects=number(len({o.id for o in draft.report})),
        outcomes=", ".join(f"{n} {outcome}" for outcome, n in sorted(counts.items())),
    )
    return _page(form, 200, imported=notice, import_report=draft)


def _default_retention() -> date:
    return (utcnow() + sealing.DEFAULT_RETENTION).date()


def _amend_data(current: CurrentVersion) -> dict[str, object]:
    content, bulletin = current.content, current.bulletin
    return {
        "title": content.title,
        "summary": content.summary,
        "body": content.body,
        "category": bulletin.category,
        "marking": bulletin.marking,
        "recipients": list(current.recipients),
        "retain_until": bulletin.expires_at.date(),
        "entities": [entity_row_data(e) for e in content.entities],
        "relations": [relation_row_data(r) for r in content.relations],
        "keep_attachments": True,
        "tags": "\n".join(content.tags),
        **grading_form_data(content.grading),
    }


def grading_form_data(grading: Grading | None) -> dict[str, object]:
    """The amend form shows the current version's grading, to keep or change."""
    values = grading.document() if grading else {}
    return {f"grading_{k}": values.get(k) or "" for k in _GRADING_PARTS}


_GRADING_PARTS = ("source", "information", "handling", "conditions")


@blueprint.route("/<bulletin_id>/amend", methods=["GET", "POST"])
@signed_in
def amend(bulletin_id: str) -> Page | Response:
    """Replace one of your organisation's bulletins with a new, separately signed version."""
    reader = current_reader()
    # Visibility and ownership first: anyone else gets 404, whatever their roles.
    current = amendments.current_version(
        reader, bulletin_id, current_actor() if request.method == "GET" else None
    )
    if request.method == "GET":
        return _page(_form(_amend_data(current)), 200, current=current)
    form = _form()
    return _submitted(
        form,
        lambda draft: amendments.amend(
            reader,
            current_actor(),
            bulletin_id,
            draft,
            keep_attachments=bool(form.keep_attachments.data),
        ),
        lambda new: gettext(
            "Version %(new)s was sealed and sent; version %(old)s is kept, marked superseded.",
            new=new.version,
            old=new.version - 1,
        ),
        current,
    )
