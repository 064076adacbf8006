"""Bulletin views: the sharing groups an organisation's administrator keeps.

Liaison officers pick these groups in the compose form; the list, creation, changes and
deletion live here. Another organisation's group answers 404.
"""

from __future__ import annotations

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext
from werkzeug.wrappers import Response

from portal.access import roles_required
from portal.bulletins.blueprint import blueprint
from portal.bulletins.forms import ActionForm, GroupForm, organisation_label
from portal.models import Role
from portal.principal import current_actor, current_reader
from portal.services.errors import NotFound, ServiceError
from portal.services.organisations import sharing_groups
from portal.services.organisations.sharing_groups import GroupView
from portal.services.principals import Reader

Page = tuple[str, int]


def _group_form(reader: Reader, prefix: str, group: GroupView | None = None) -> GroupForm:
    """A group's form: from the request if it is the one posted, else from the stored group."""
    posted = request.method == "POST" and any(k.startswith(prefix + "-") for k in request.form)
    if posted:
        form = GroupForm(prefix=prefix)
    elif group is not None:
        form = GroupForm(
            formdata=None, prefix=prefix, data={"name": group.name, "members": group.member_codes}
        )
    else:
        form = GroupForm(formdata=None, prefix=prefix)
    form.members.choices = [
        (o.code, organisation_label(o)) for o in sharing_groups.recipient_organisations(reader)
    ]
    return form


def _show_error(form: GroupForm, error: ServiceError) -> None:
    target = form.members if error.field == "members" else form.name
    target.errors = [*target.errors, error.message]


def _page(reader: Reader, status: int = 200, **forms: GroupForm) -> Page:
    """The list with an edit form per group and the create form; ``forms`` replace defaults."""
    groups = sharing_groups.groups_of(reader)
    edit_forms = {g.id: forms.get(f"g{g.id}") or _group_form(reader, f"g{g.id}", g) for g in groups}
    html = render_template(
        "bulletins/groups.html",
        groups=groups,
        edit_forms=edit_forms,
        opened=next((int(k[1:]) for k in forms if k.startswith("g")), None),
        new_form=forms.get("new") or _group_form(reader, "new"),
        action_form=ActionForm(formdata=None),
    )
    return html, status


@blueprint.route("/groups", methods=["GET", "POST"])
@roles_required(Role.ORG_ADMIN)
def groups() -> Page | Response:
    """List the organisation's sharing groups, and create one."""
    reader = current_reader(bulletins=True)
    if request.method == "GET":
        return _page(reader)
    form = _group_form(reader, "new")
    if not form.validate():
        return _page(reader, 400, new=form)
    try:
        sharing_groups.create_group(
            reader, current_actor(), form.name.data or "", form.members.data or []
        )
    except NotFound:
        raise
    except ServiceError as error:
        _show_error(form, error)
        return _page(reader, error.status, new=form)
    name = repr(" ".join((form.name.data or "").split()))
    flash(gettext("Sharing group %(name)s created.", name=name), "success")
    return redirect(url_for("bulletins.groups"))


@blueprint.route("/groups/<int:group_id>", methods=["POST"])
@roles_required(Role.ORG_ADMIN)
def group(group_id: int) -> Page | Response:
    """Rename a sharing group or change its members."""
    reader = current_reader(bulletins=True)
    prefix = f"g{group_id}"
    form = _group_form(reader, prefix)
    if not form.validate():
        return _page(reader, 400, **{prefix: form})
    try:
        sharing_groups.change_group(
            reader, current_actor(), group_id, form.name.data or "", form.members.data or []
        )
    except NotFound:
        raise
    except ServiceError as error:
        _show_error(form, error)
        return _page(reader, error.status, **{prefix: form})
    flash(gettext("Sharing group saved."), "success")
    return redirect(url_for("bulletins.groups"))


@blueprint.route("/groups/<int:group_id>/delete", methods=["POST"])
@roles_required(Role.ORG_ADMIN)
def group_delete(group_id: int) -> Response:
    """Delete a sharing group (bulletins already sent keep their recipients)."""
    reader = current_reader(bulletins=True)
    if not ActionForm().validate():
        abort(400)
    name = sharing_groups.delete_group(reader, current_actor(), group_id)
    flash(gettext("Sharing group %(name)s deleted.", name=repr(name)), "success")
    return redirect(url_for("bulletins.groups"))
