"""Typed errors that services raise and views turn into 4xx responses."""

from __future__ import annotations

from typing import Any

from flask_babel import lazy_gettext

# Default messages, put in words when raised: in the language of the request that meets them.
NOT_FOUND = lazy_gettext("Not found.")
GRAPH_UNAVAILABLE = lazy_gettext(
    "The link graph is being rebuilt or restarted. Try again in a few seconds."
)
AUDIT_UNAVAILABLE = lazy_gettext(
    "The request could not be recorded in the audit trail, so nothing is shown. Try again later."
)


def _in_words(message: Any) -> str:
    """A lazy default message in the current language; in English where the application has
    no translations set up (outside an application, or in a bare one)."""
    try:
        return str(message)
    except (KeyError, RuntimeError):
        return str(message._args[0])


class ServiceError(Exception):
    """Base class: ``status`` is the HTTP status a view should answer with."""

    status = 400

    def __init__(self, message: str, *, field: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.field = field


class InvalidInput(ServiceError):
    status = 400


class NotFound(ServiceError):
    """Absent, or present but not visible to the caller: the two are never told apart."""

    status = 404

    def __init__(self, message: str | None = None, *, field: str | None = None) -> None:
        # Resolved when raised, so the message is in the language of the request that meets it.
        super().__init__(message or _in_words(NOT_FOUND), field=field)


class Forbidden(ServiceError):
    status = 403


class Conflict(ServiceError):
    status = 409


class LoginRefused(ServiceError):
    status = 401


class TooManyAttempts(ServiceError):
    status = 429


class AuditUnavailable(ServiceError):
    """The audit record of a read or action could not be committed: nothing is answered."""

    status = 503

    def __init__(
        self,
        message: str | None = None,
        *,
        field: str | None = None,
    ) -> None:
        super().__init__(message or _in_words(AUDIT_UNAVAILABLE), field=field)


class GraphUnavailable(ServiceError):
    """The graph process is down, restarting or still building the organisation's graph."""

    status = 503

    def __init__(
        self,
        message: str | None = None,
        *,
        field: str | None = None,
        retry_after: int = 5,
    ) -> None:
        super().__init__(message or _in_words(GRAPH_UNAVAILABLE), field=field)
        self.retry_after = retry_after
