"""Administration: organisations (sysadmin), users of an organisation (org_admin), audit."""

from __future__ import annotations

import hashlib
from datetime import UTC, date, datetime, time, timedelta

from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext
from flask_login import current_user
from werkzeug.wrappers import Response

from portal.access import roles_required
from portal.admin.forms import (
    KIND_LABELS,
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
from portal.rate_limits import limit_view
from portal.services import audit, audit_trail
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
            flash(
                gettext("Organisation %(code)s created with its administrator.", code=org.code),
                "success",
            )
            return redirect(url_for("admin.organisations"))
    return render_template(
        "admin/organisations.html",
        form=form,
        organisations=accounts.list_organisations(),
        kinds=KIND_LABELS,
    )


@blueprint.route("/users", methods=["GET", "POST"])
@roles_required(*ADMINS)
def users() -> str | Response:
    """Users of the organisation, and a form to add one."""
    org_id = _org_in_scope()
    members = accounts.users_of(current_actor(), org_id)
    org = accounts.organisation_by_id(org_id)
    form = UserForm()
    form.roles.choices = role_choices(_is_sysadmin(), accounts.roles_for(org.kind))
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
                gettext(
                    "%(email)s can now sign in and will be asked to change the password.",
                    email=user.email,
                ),
                "success",
            )
            return redirect(url_for("admin.users", org=org_id))
    return render_template(
        "admin/users.html",
        form=form,
        users=members,
        org=org,
        organisations=accounts.list_organisations() if _is_sysadmin() else [],
    )


@blueprint.route("/users/<int:user_id>", methods=["GET", "POST"])
@roles_required(*ADMINS)
def user(user_id: int) -> str | Response:
    """One user: roles, and buttons to disable, enable, reset the second factor or password."""
    subject = accounts.visible_user(current_actor(), user_id)
    roles_form = RolesForm(prefix="roles")
    roles_form.roles.choices = role_choices(
        _is_sysadmin() or Role.SYSADMIN in subject.roles,
        accounts.roles_for(subject.organisation.kind) | subject.roles,
    )
    if request.method == "GET":
        roles_form.roles.data = [r.value for r in subject.roles]
    elif roles_form.validate_on_submit():
        try:
            accounts.set_roles(current_actor(), user_id, roles_form.roles.data or [])
        except ServiceError as error:
            _show_error(roles_form, error, "roles")
        else:
            flash(gettext("Roles saved."), "success")
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
        flash(gettext("The user will enrol a new authenticator at next sign-in."), "success")
    else:
        accounts.set_active(current_actor(), user_id, action == "enable")
        flash(
            gettext("User enabled.")
            if action == "enable"
            else gettext("User disabled; their sessions ended."),
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
            flash(gettext("Temporary password set; the user's sessions ended."), "success")
    else:
        flash(gettext("Enter a temporary password."), "error")
    return redirect(url_for("admin.user", user_id=user_id))


def _day_start(day: date | None) -> datetime | None:
    if day is None:
        return None
    return datetime.combine(day, time.min, tzinfo=UTC)


def _audit_scope() -> int | None:
    """The organisation whose records are shown; None: every organisation, what a system
    administrator sees unless they pick one."""
    if _is_sysadmin() and request.args.get("org", "all") == "all":
        return None
    return _org_in_scope()


def _audit_filter(form: AuditFilterForm) -> audit_trail.TrailFilter:
    until = _day_start(form.until.data)
    return audit_trail.TrailFilter(
        org_id=_audit_scope(),
        event=form.event.data or None,
        email=form.email.data or None,
        outcome=form.outcome.data or None,
        since=_day_start(form.since.data),
        until=until + timedelta(days=1) if until else None,
    )


def _audit_form() -> AuditFilterForm:
    form = AuditFilterForm(request.args)
    form.event.choices = choices(
        [("", gettext("Any")), *[(e, audit_trail.event_label(e)) for e in audit.event_names()]]
    )
    return form


@blueprint.route("/audit", endpoint="audit_trail")
@roles_required(*ADMINS)
def audit_trail_page() -> tuple[str, int]:
    """The audit trail of the organisation (or, for a system administrator, of every one),
    newest first, with filters, a CSV export and a check of the chain."""
    return _audit_page(None)


def _audit_page(chain: audit_trail.ChainCheck | None) -> tuple[str, int]:
    form = _audit_form()
    page = max(request.args.get("page", 1, type=int), 1)
    size = current_app.config["AUDIT_PAGE_SIZE"]
    rows: list[audit_trail.TrailRow] = []
    has_next = False
    valid = form.validate()
    if valid:
        rows, has_next = audit_trail.page(_audit_filter(form), page, size)
    scope = _audit_scope()
    return render_template(
        "admin/audit.html",
        form=form,
        records=rows,
        has_next=has_next,
        page=page,
        args={k: v for k, v in request.args.items() if k != "page"},
        org=accounts.organisation_by_id(scope) if scope is not None else None,
        organisations=accounts.list_organisations() if _is_sysadmin() else [],
        chain=chain,
        verify_form=ActionForm(),
    ), (200 if valid else 400)


@blueprint.route("/audit.csv")
@roles_required(*ADMINS)
def audit_csv() -> Response | tuple[str, int]:
    """The filtered trail as CSV (at most ``EXPORT_LIMIT`` rows, newest first)."""
    form = _audit_form()
    if not form.validate():
        return audit_trail_page()[0], 400
    scope = _audit_scope()
    name = accounts.organisation_by_id(scope).code if scope is not None else "all"
    response = Response(audit_trail.csv_export(_audit_filter(form)), mimetype="text/csv")
    response.headers["Content-Disposition"] = f'attachment; filename="audit-{name}.csv"'
    response.headers["Cache-Control"] = "no-store"
    return response


def _verify_limit() -> str:
    return str(current_app.config["AUDIT_VERIFY_LIMIT"])


def _verify_key() -> str:
    """Per administrator: the check reads every record of the chain, and one person pressing
    the button again and again must not load the database for everyone."""
    return f"audit-verify:{current_user.id}"


@blueprint.route("/audit/verify", methods=["POST"])
@limit_view(_verify_limit, methods=["POST"], key_func=_verify_key)
@roles_required(*ADMINS)
def audit_verify() -> tuple[str, int]:
    """Check the whole hash chain now and show the result above the trail."""
    if not ActionForm().validate_on_submit():
        abort(400)
    return _audit_page(audit_trail.check_chain())


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
