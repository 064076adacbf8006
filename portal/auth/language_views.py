"""Choosing the language of the portal: kept on the account when signed in, and in a cookie
so that the sign-in page speaks it too."""

from __future__ import annotations

import json
from urllib.parse import urlsplit

from flask import Response as FlaskResponse
from flask import abort, flash, redirect, request, url_for
from flask_babel import force_locale, gettext
from flask_login import current_user
from werkzeug.wrappers import Response

from portal.access import public
from portal.auth.views import blueprint
from portal.i18n import COOKIE, language_or_none, script_messages, speaking
from portal.services.accounts import preferences

ONE_YEAR = 365 * 24 * 3600


def _back(target: str | None) -> str:
    """The page the choice was made on, never another site."""
    text = (target or "").strip()
    parts = urlsplit(text)
    if text.startswith("/") and not text.startswith("//") and "\\" not in text:
        if not parts.scheme and not parts.netloc:
            return text
    return url_for("dashboard.index" if current_user.is_authenticated else "auth.login")


@blueprint.route("/language", methods=["POST"])
@public
def choose_language() -> Response:
    # An unknown language is an InvalidInput: the error page says which languages there are.
    if current_user.is_authenticated:
        language = preferences.choose_language(current_user.id, request.form.get("language"))
    else:
        language = preferences.checked_language(request.form.get("language"))
    with force_locale(language):
        flash(gettext("The portal now speaks English."), "success")
    response = redirect(_back(request.form.get("next")))
    response.set_cookie(
        COOKIE,
        language,
        max_age=ONE_YEAR,
        httponly=True,
        samesite="Lax",
        secure=request.is_secure,
    )
    return response


@blueprint.route("/language/<language>/messages.js")
@public
def script_messages_file(language: str) -> FlaskResponse:
    """The messages the browser scripts show, in ``language``: a script, so that the pages'
    Content-Security-Policy (scripts from this site only, none inline) needs no exception, and
    one file per language that every page shares and the browser keeps."""
    if language_or_none(language) is None:
        abort(404)
    with speaking(language):
        table = json.dumps(script_messages(), ensure_ascii=False, sort_keys=True)
    response = FlaskResponse(
        f"window.ischiaMessages = {table};\n", content_type="text/javascript; charset=utf-8"
    )
    if request.args.get("v"):
        response.cache_control.public = True
        response.cache_control.max_age = ONE_YEAR
    return response
