"""Administration: organisations (sysadmin), users of an organisation (org_admin), audit."""

from __future__ import annotations

import hashlib
from datetime import UTC, date, datetime, time, timedelta

from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, url_for
from flask_login import current_user
from werkzeug.wrappers import Response

from portal.access import roles_required
from portal.admin.forms import (
    ActionForm,
    AuditFilterForm,
    OrganisationForm,
    PasswordResetForm,
    RolesForm,
    UserForm,
    choices,
    role_choices,
)
from portal.models import Role
from portal.principal import current_actor
from portal.services import audit
from portal.services.accounts import directory as accounts
from portal.services.errors import InvalidInput, ServiceError
from portal.services.operations import anchors

blueprint = Blueprint("admin", __name__, url_prefix="/admin")
ADMINS = (Role.ORG_ADMIN, Role.SYSADMIN)


def _is_sysadmin() -> bool:
    return bool(current_user.has_role(Role.SYSADMIN))


def _show_error(form: object, error: ServiceError, default_field: str) -> None:
    field = getattr(form, error.field or default_field, None) or getattr(form, default_field)
    field.errors = [*field.errors, error.message]


def _org_in_scope() -> int:
    """The organisation an admin works on: their own, or (sysadmin) the one asked for."""
    asked = request.args.get("org", type=int)
    if asked is not None and asked != current_user.organisation.id and not _is_sysadmin():
        abort(404)
    return asked if asked is not None else current_user.organisation.id


@blueprint.route("/organisations", methods=["GET", "POST"])
@roles_required(Role.SYSADMIN)
def organisations() -> str | Response:
    """List organisations and create one with its first administrator."""
    form = OrganisationForm()
    if form.validate_on_submit():
        try:
            org = accounts.create_organisation_with_admin(
                current_actor(),
                code=form.code.data or "",
                name=form.name.data or "",
                kind=form.kind.data,
                country=form.country.data,
                admin_email=form.admin_email.data or "",
                admin_name=form.admin_name.data or "",
                admin_password=form.admin_password.data or "",
            )
        except ServiceError as error:
            _show_error(form, error, "code")
        else:
            flash(f"Organisation {org.code} created with its administrator.", "success")
            return redirect(url_for("admin.organisations"))
    return render_template(
        "admin/organisations.html", form=form, organisations=accounts.list_organisations()
    )


@blueprint.route("/users", methods=["GET", "POST"])
@roles_required(*ADMINS)
def users() -> str | Response:
    """Users of the organisation, and a form to add one."""
    org_id = _org_in_scope()
    members = accounts.users_of(current_actor(), org_id)
    form = UserForm()
    form.roles.choices = role_choices(_is_sysadmin())
    if form.validate_on_submit():
        try:
            user = accounts.create_user(
                current_actor(),
                org_id=org_id,
                email=form.email.data or "",
                name=form.name.data or "",
                roles=form.roles.data or [],
                password=form.password.data or "",
            )
        except ServiceError as error:
            _show_error(form, error, "email")
        else:
            flash(
                f"{user.email} can now sign in and will be asked to change the password.", "success"
            )
            return redirect(url_for("admin.users", org=org_id))
    return render_template(
        "admin/users.html",
        form=form,
        users=members,
        org=accounts.organisation_by_id(org_id),
        organisations=accounts.list_organisations() if _is_sysadmin() else [],
    )


@blueprint.route("/users/<int:user_id>", methods=["GET", "POST"])
@roles_required(*ADMINS)
def user(user_id: int) -> str | Response:
    """One user: roles, and buttons to disable, enable, reset the second factor or password."""
    subject = accounts.visible_user(current_actor(), user_id)
    roles_form = RolesForm(prefix="roles")
    roles_form.roles.choices = role_choices(_is_sysadmin() or Role.SYSADMIN in subject.roles)
    if request.method == "GET":
        roles_form.roles.data = [r.value for r in subject.roles]
    elif roles_form.validate_on_submit():
        try:
            accounts.set_roles(current_actor(), user_id, roles_form.roles.data or [])
        except ServiceError as error:
            _show_error(roles_form, error, "roles")
        else:
            flash("Roles saved.", "success")
            return redirect(url_for("admin.user", user_id=user_id))
    return render_template(
        "admin/user.html",
        subject=subject,
        roles_form=roles_form,
        action_form=ActionForm(),
        password_form=PasswordResetForm(prefix="reset"),
    )


@blueprint.route("/users/<int:user_id>/<any(disable,enable,'reset-mfa'):action>", methods=["POST"])
@roles_required(*ADMINS)
def user_action(user_id: int, action: str) -> Response:
    """Disable or enable a user, or make them enrol a new second factor."""
    if not ActionForm().validate_on_submit():
        abort(400)
    if action == "reset-mfa":
        accounts.reset_second_factor(current_actor(), user_id)
        flash("The user will enrol a new authenticator at next sign-in.", "success")
    else:
        accounts.set_active(current_actor(), user_id, action == "enable")
        flash(
            "User enabled." if action == "enable" else "User disabled; their sessions ended.",
            "success",
        )
    return redirect(url_for("admin.user", user_id=user_id))


@blueprint.route("/users/<int:user_id>/password", methods=["POST"])
@roles_required(*ADMINS)
def user_password(user_id: int) -> str | Response:
    """Set a temporary password that the user must change."""
    form = PasswordResetForm(prefix="reset")
    if form.validate_on_submit():
        try:
            accounts.reset_password(current_actor(), user_id, form.password.data or "")
        except InvalidInput as error:
            flash(error.message, "error")
        else:
            flash("Temporary password set; the user's sessions ended.", "success")
    else:
        flash("Enter a temporary password.", "error")
    return redirect(url_for("admin.user", user_id=user_id))


def _day_start(day: date | None) -> datetime | None:
    if day is None:
        return None
    return datetime.combine(day, time.min, tzinfo=UTC)


@blueprint.route("/audit")
@roles_required(*ADMINS)
def audit_trail() -> str:
    """The audit trail of the organisation's users, newest first, with filters."""
    org_id = _org_in_scope()
    form = AuditFilterForm(request.args)
    form.event.choices = choices([("", "Any"), *[(e, e) for e in audit.event_names()]])
    page = max(request.args.get("page", 1, type=int), 1)
    size = current_app.config["AUDIT_PAGE_SIZE"]
    records: list[object] = []
    if form.validate():
        until = _day_start(form.until.data)
        filters = audit.AuditFilter(
            event=form.event.data or None,
            email=form.email.data or None,
            outcome=form.outcome.data or None,
            since=_day_start(form.since.data),
            until=until + timedelta(days=1) if until else None,
        )
        records = list(audit.organisation_trail(org_id, filters, page, size))
    args = {k: v for k, v in request.args.items() if k != "page"}
    return render_template(
        "admin/audit.html",
        form=form,
        records=records[:size],
        has_next=len(records) > size,
        page=page,
        args=args,
        org=accounts.organisation_by_id(org_id),
        organisations=accounts.list_organisations() if _is_sysadmin() else [],
    )


@blueprint.route("/checkpoints")
@roles_required(*ADMINS)
def checkpoints() -> str:
    """The signed checkpoints of the audit chain, to download and keep outside the portal."""
    ed25519, mldsa65 = anchors.public_keys()
    return render_template(
        "admin/checkpoints.html",
        stored=[item for item in anchors.stored() if item.checkpoint is not None],
        ed25519=ed25519.hex(),
        mldsa65_digest=hashlib.sha256(mldsa65).hexdigest(),
    )


@blueprint.route("/checkpoints/<name>")
@roles_required(*ADMINS)
def checkpoint_file(name: str) -> Response:
    response = Response(anchors.read(name), mimetype="application/json")
    response.headers["Content-Disposition"] = f"attachment; filename={name}"
    return response
