"""Pages where a user makes, lists and revokes their own API tokens (HTML pages in the
reader's language, unlike the JSON API beside them: portal/catalogues.py extracts them)."""

from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, url_for
from flask_babel import gettext
from flask_login import current_user
from flask_wtf import FlaskForm
from werkzeug.wrappers import Response
from wtforms import BooleanField, IntegerField, StringField
from wtforms.validators import DataRequired, Length, NumberRange

from portal.access import signed_in
from portal.i18n import REQUIRED
from portal.principal import current_actor
from portal.services.accounts import api_tokens
from portal.services.errors import ServiceError

blueprint = Blueprint("tokens", __name__, url_prefix="/account/tokens")


class TokenForm(FlaskForm):
    name = StringField(
        "Name (what will use it)", validators=[DataRequired(REQUIRED), Length(max=100)]
    )
    days = IntegerField(
        "Expires after (days)",
        default=api_tokens.DEFAULT_DAYS,
        validators=[NumberRange(1, api_tokens.MAX_DAYS)],
    )
    write = BooleanField("Allow writing (post, acknowledge), not only reading")


class RevokeForm(FlaskForm):
    pass


def _page(form: TokenForm, new_token: str | None = None, status: int = 200) -> tuple[str, int]:
    user = current_user.user
    return render_template(
        "tokens/index.html",
        form=form,
        revoke_form=RevokeForm(),
        tokens=api_tokens.listed(user),
        new_token=new_token,
    ), status


@blueprint.route("/", methods=["GET"])
@signed_in
def index() -> tuple[str, int]:
    """The user's API tokens, and a form to make one."""
    return _page(TokenForm())


@blueprint.route("/", methods=["POST"])
@signed_in
def create() -> tuple[str, int]:
    """Make a token and show it once."""
    form = TokenForm()
    if not form.validate():
        return _page(form, status=400)
    try:
        made = api_tokens.create(
            current_user.user,
            current_actor(),
            form.name.data or "",
            days=form.days.data or api_tokens.DEFAULT_DAYS,
            write=bool(form.write.data),
        )
    except ServiceError as error:
        form.name.errors = [*form.name.errors, error.message]
        return _page(form, status=error.status)
    return _page(TokenForm(formdata=None), new_token=made.token)


@blueprint.route("/<int:token_id>/revoke", methods=["POST"])
@signed_in
def revoke(token_id: int) -> Response:
    """Revoke one of the user's tokens at once."""
    if not RevokeForm().validate():
        flash(gettext("The form expired: try again."), "error")
    else:
        api_tokens.revoke(current_user.user, current_actor(), token_id)
        flash(gettext("Token revoked."), "success")
    return redirect(url_for("tokens.index"))
