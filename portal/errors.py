"""Error pages: a clear message for the person, and never a stack trace."""

from __future__ import annotations

from flask import Flask, Response, jsonify, render_template, request
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import HTTPException, InternalServerError

from portal.extensions import db
from portal.services.errors import NotFound, ServiceError

API_PREFIXES = ("/api/", "/taxii2/")
MESSAGES = {
    400: "The request could not be understood. Go back and try again.",
    401: "Please sign in.",
    403: "Your roles do not allow you to see this page.",
    404: "There is nothing at this address, or it is not shared with your organisation.",
    405: "This page cannot be used that way.",
    413: "What you sent is too large.",
    429: "Too many attempts. Wait a few minutes, then try again.",
    500: "Something went wrong on our side. Nothing you sent was saved. Try again later.",
}


def _page(
    status: int, message: str | None = None, field: str | None = None
) -> tuple[str | Response, int]:
    text = message or MESSAGES.get(status, MESSAGES[400])
    if request.path.startswith("/taxii2/"):
        # A TAXII error message, in TAXII's media type (TAXII 2.1 section 3.6.1).
        response = jsonify({"title": text, "http_status": str(status)})
        response.headers["Content-Type"] = "application/taxii+json;version=2.1"
        return response, status
    if request.path.startswith(API_PREFIXES):
        # The API answers in JSON, whatever failed.
        return jsonify({"error": {"code": status, "message": text, "field": field}}), status
    return render_template("errors/error.html", status=status, message=text), status


def register(app: Flask) -> None:
    @app.errorhandler(CSRFError)
    def csrf_error(error: CSRFError) -> tuple[str | Response, int]:
        return _page(
            400, "The form expired or did not come from this portal. Reload it and try again."
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
