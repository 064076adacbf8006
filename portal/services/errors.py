"""Typed errors that services raise and views turn into 4xx responses."""

from __future__ import annotations


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

    def __init__(self, message: str = "Not found.", *, field: str | None = None) -> None:
        super().__init__(message, field=field)


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
        message: str = "The request could not be recorded in the audit trail, so nothing is "
        "shown. Try again later.",
        *,
        field: str | None = None,
    ) -> None:
        super().__init__(message, field=field)
