"""HTTP security headers set on every response."""

from __future__ import annotations

from flask import Flask, has_request_context, request
from flask.sessions import SecureCookieSessionInterface
from itsdangerous import URLSafeTimedSerializer
from werkzeug.wrappers import Response

_SERIALIZER_KEY = "ischia.session_serializer"

CONTENT_SECURITY_POLICY = "; ".join(
    [
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self'",
        "img-src 'self' data:",
        "font-src 'self'",
        "connect-src 'self'",
        "object-src 'none'",
        "base-uri 'none'",
        "frame-ancestors 'none'",
        "form-action 'self'",
    ]
)


def set_security_headers(response: Response) -> Response:
    headers = response.headers
    headers["Content-Security-Policy"] = CONTENT_SECURITY_POLICY
    headers["Strict-Transport-Security"] = "max-age=63072000; includeSubDomains"
    headers["X-Content-Type-Options"] = "nosniff"
    headers["Referrer-Policy"] = "no-referrer"
    headers["X-Frame-Options"] = "DENY"
    headers["Cross-Origin-Opener-Policy"] = "same-origin"
    headers["Cross-Origin-Resource-Policy"] = "same-origin"
    headers["Permissions-Policy"] = "camera=(), microphone=(), geolocation=(), payment=()"
    if request.endpoint not in ("static", "auth.script_messages_file"):
        # Pages may carry what a signed-in user saw: no browser or proxy may keep them. The
        # scripts' messages are the same for everyone, like the static files.
        headers["Cache-Control"] = "no-store"
        headers["Pragma"] = "no-cache"
    return response


class SessionCookies(SecureCookieSessionInterface):
    """Session cookies are Secure whenever the request came over https, not only in production.

    The signing serializer is made once per set of keys rather than twice per request as Flask
    does (building one costs more than checking a signature with it); a change of
    ``SECRET_KEY`` or ``SECRET_KEY_FALLBACKS`` makes a new one.
    """

    def get_signing_serializer(self, app: Flask) -> URLSafeTimedSerializer | None:
        keys = (app.secret_key, tuple(app.config["SECRET_KEY_FALLBACKS"] or ()))
        cached = app.extensions.get(_SERIALIZER_KEY)
        if cached is None or cached[0] != keys:
            cached = (keys, super().get_signing_serializer(app))
            app.extensions[_SERIALIZER_KEY] = cached
        return cached[1]

    def get_cookie_secure(self, app: Flask) -> bool:
        return bool(
            app.config["SESSION_COOKIE_SECURE"] or (has_request_context() and request.is_secure)
        )
