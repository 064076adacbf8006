"""Error pages: a clear message for the person, and never a stack trace."""

from __future__ import annotations

from flask import Flask, Response, jsonify, render_template, request
from flask_babel import gettext
from flask_babel import lazy_gettext as _l
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import HTTPException, InternalServerError

from portal.extensions import db
from portal.i18n import speaking
from portal.services.errors import NotFound, ServiceError

API_PREFIXES = ("/api/", "/taxii2/")
# Lazy: in the page's language (the JSON API and TAXII answer in English, see ``_page``).
MESSAGES = {
    400: _l("The request could not be understood. Go back and try again."),
    401: _l("Please sign in."),
    403: _l("Your roles do not allow you to see this page."),
    404: _l("There is nothing at this address, or it is not shared with your organisation."),
    405: _l("This page cannot be used that way."),
    413: _l("What you sent is too large."),
    429: _l("Too many attempts. Wait a few minutes, then try again."),
    500: _l("Something went wrong on our side. Nothing you sent was saved. Try again later."),
}


def _sentence(status: int, english: bool) -> str:
    """The status's sentence in the page's language; in English for programs (an address under
    /api/ that matches no view has no blueprint to make its request English)."""
    sentence = MESSAGES.get(status, MESSAGES[400])
    if not english:
        return str(sentence)
    with speaking("en"):
        return str(sentence)


def _page(
    status: int, message: str | None = None, field: str | None = None
) -> tuple[str | Response, int]:
    programs = request.path.startswith(API_PREFIXES)
    text = message or _sentence(status, english=programs)
    if request.path.startswith("/taxii2/"):
        # A TAXII error message, in TAXII's media type (TAXII 2.1 section 3.6.1).
        response = jsonify({"title": text, "http_status": str(status)})
        response.headers["Content-Type"] = "application/taxii+json;version=2.1"
        return response, status
    if programs:
        # The API answers in JSON, whatever failed.
        return jsonify({"error": {"code": status, "message": text, "field": field}}), status
    return render_template("errors/error.html", status=status, message=text), status


def register(app: Flask) -> None:
    @app.errorhandler(CSRFError)
    def csrf_error(error: CSRFError) -> tuple[str | Response, int]:
        return _page(
            400,
            gettext("The form expired or did not come from this portal. Reload it and try again."),
        )

    @app.errorhandler(ServiceError)
    def service_error(error: ServiceError) -> tuple[str | Response, int, dict[str, str]]:
        wait = getattr(error, "retry_after", None)
        headers = {"Retry-After": str(wait)} if wait else {}
        # A bare "Not found." under the page's "Not found" heading said nothing: the sentence
        # of the status says what it may mean.
        bare = isinstance(error, NotFound) and error.message == NotFound().message
        if bare and not request.path.startswith(API_PREFIXES):
            page, status = _page(error.status)
        else:
            page, status = _page(error.status, error.message, error.field)
        return page, status, headers

    @app.errorhandler(HTTPException)
    def http_error(error: HTTPException) -> tuple[str | Response, int]:
        return _page(error.code or 500)

    @app.errorhandler(Exception)
    def unexpected_error(error: Exception) -> tuple[str | Response, int]:
        app.logger.exception("unhandled error", exc_info=error)
        db.session.rollback()
        return _page(InternalServerError.code)
