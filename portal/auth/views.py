"""Sign-in (password, then TOTP), enrolment, sign-out and password change."""

from __future__ import annotations

import time
from typing import Any

from flask import (
    Blueprint,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_babel import gettext
from flask_login import current_user, login_user, logout_user
from werkzeug.wrappers import Response

from portal.access import public, signed_in
from portal.auth.forms import ChangePasswordForm, CodeForm, LoginForm
from portal.models import User
from portal.principal import Principal, current_actor
from portal.rate_limits import limit_view
from portal.services.accounts import authentication, mfa
from portal.services.errors import InvalidInput, LoginRefused

blueprint = Blueprint("auth", __name__)
PENDING = "pending_login"
PENDING_SECONDS = 300


def _login_ip_limit() -> str:
    return str(current_app.config["RATELIMIT_LOGIN_PER_IP"])


def _pending_user() -> User | None:
    pending = session.get(PENDING)
    if not pending or time.time() - pending["at"] > PENDING_SECONDS:
        session.pop(PENDING, None)
        return None
    return authentication.pending_user(pending["user_id"])


def _form_page(template: str, **context: Any) -> tuple[str, int]:
    """The form's page: 200 when asked for, 400 when what was sent was refused (a wrong
    password, code or field alike, so the status tells an unknown account from nothing)."""
    return render_template(template, **context), 400 if request.method == "POST" else 200


@blueprint.route("/login", methods=["GET", "POST"])
@limit_view(_login_ip_limit, methods=["POST"])
@public
def login() -> tuple[str, int] | Response:
    """First factor: e-mail address and password."""
    if current_user.is_authenticated:
        return redirect(url_for("dashboard.index"))
    form = LoginForm()
    if form.validate_on_submit():
        try:
            user = authentication.check_password(
                form.email.data or "", form.password.data or "", request.remote_addr
            )
        except LoginRefused as refused:
            form.password.errors = [*form.password.errors, refused.message]
        else:
            session.clear()  # a fresh session: nothing from before sign-in survives
            session[PENDING] = {"user_id": user.id, "at": time.time()}
            target = "auth.verify" if user.totp_confirmed else "auth.enrol"
            return redirect(url_for(target))
    return _form_page("auth/login.html", form=form)


def _finish_login(user: User, form: CodeForm) -> Response | None:
    try:
        started = authentication.check_second_factor(
            user.id,
            form.code.data or "",
            request.remote_addr,
            request.user_agent.string,
            demo_mode=current_app.config["DEMO"],
        )
    except InvalidInput as refused:
        form.code.errors = [*form.code.errors, refused.message]
        return None
    session.clear()
    login_user(Principal(started.user, started.record, started.token))
    return redirect(url_for("dashboard.index"))


@blueprint.route("/login/verify", methods=["GET", "POST"])
@limit_view(_login_ip_limit, methods=["POST"])
@public
def verify() -> tuple[str, int] | Response:
    """Second factor for a user who has enrolled."""
    user = _pending_user()
    if user is None or not user.totp_confirmed:
        return redirect(url_for("auth.login"))
    form = CodeForm()
    if form.validate_on_submit() and (done := _finish_login(user, form)) is not None:
        return done
    demo_code = mfa.current_code(user) if current_app.config["DEMO"] and user.demo else None
    return _form_page("auth/verify.html", form=form, demo_code=demo_code)


@blueprint.route("/login/enrol", methods=["GET", "POST"])
@limit_view(_login_ip_limit, methods=["POST"])
@public
def enrol() -> tuple[str, int] | Response:
    """First sign-in: scan the QR code, then confirm with a code."""
    user = _pending_user()
    if user is None or user.totp_confirmed:
        return redirect(url_for("auth.login"))
    form = CodeForm()
    if user.totp_secret_sealed is None:
        # A reload shows the same key, so a code from an app that scanned it still works.
        user = authentication.prepare_enrolment(user.id)
    elif form.validate_on_submit() and (done := _finish_login(user, form)) is not None:
        return done
    return _form_page(
        "auth/enrol.html", form=form, qr_svg=mfa.qr_svg(user), secret=mfa.secret(user)
    )


@blueprint.route("/logout", methods=["POST"])
@signed_in
def logout() -> Response:
    """End the session on the server, then in the browser."""
    authentication.end_session(current_user.session_record.id, "logout", current_actor())
    logout_user()
    session.clear()
    flash(gettext("You are signed out."), "info")
    response = redirect(url_for("auth.login"))
    response.headers["Clear-Site-Data"] = '"cache", "storage"'
    return response


@blueprint.route("/account/password", methods=["GET", "POST"])
@signed_in
def change_password() -> tuple[str, int] | Response:
    """Change one's own password (required after an administrator set a temporary one)."""
    form = ChangePasswordForm()
    if form.validate_on_submit():
        try:
            authentication.change_password(
                current_user.id,
                form.current_password.data or "",
                form.new_password.data or "",
                request.remote_addr,
                keep_session_id=current_user.session_record.id,
            )
        except InvalidInput as refused:
            getattr(form, refused.field or "new_password").errors.append(refused.message)
        else:
            flash(gettext("Your password was changed. Your other sessions were ended."), "success")
            return redirect(url_for("dashboard.index"))
    return _form_page("auth/change_password.html", form=form)
