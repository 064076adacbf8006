"""Forms for signing in and managing one's own credentials."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import EmailField, PasswordField, StringField
from wtforms.validators import DataRequired, Length

from portal.i18n import REQUIRED
from portal.services.accounts.passwords import MAX_LENGTH


class LoginForm(FlaskForm):
    email = EmailField(_l("E-mail address"), validators=[DataRequired(REQUIRED), Length(max=254)])
    password = PasswordField(
        _l("Password"), validators=[DataRequired(REQUIRED), Length(max=MAX_LENGTH * 4)]
    )


class CodeForm(FlaskForm):
    code = StringField(
        _l("Six-digit code from your authenticator app"),
        validators=[DataRequired(REQUIRED), Length(min=6, max=7)],
        # The page exists for this one field: the cursor starts there.
        render_kw={"autocomplete": "one-time-code", "inputmode": "numeric", "autofocus": True},
    )


class ChangePasswordForm(FlaskForm):
    current_password = PasswordField(
        _l("Current password"), validators=[DataRequired(REQUIRED), Length(max=MAX_LENGTH * 4)]
    )
    new_password = PasswordField(
        _l("New password (12 to 128 characters; a passphrase is best)"),
        validators=[DataRequired(REQUIRED), Length(max=MAX_LENGTH * 4)],
        render_kw={"autocomplete": "new-password"},
    )


class LogoutForm(FlaskForm):
    """Only the CSRF token: logging out is a state change."""
