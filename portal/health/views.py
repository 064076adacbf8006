"""``/healthz`` (the process answers), ``/readyz`` (it can serve: database, master key, Redis
when configured; ``degraded`` when only the graph processes are down or building) and
``/metrics`` (Prometheus, behind a token or an allowed address)."""

from __future__ import annotations

import hmac

from flask import Blueprint, current_app, jsonify, request
from werkzeug.wrappers import Response

from portal import monitoring
from portal.access import public
from portal.extensions import csrf
from portal.services.operations import health

blueprint = Blueprint("health", __name__)
csrf.exempt(blueprint)


@blueprint.route("/healthz")
@public
def healthz() -> Response:
    """Up: the process answers. Touches nothing else, so a slow database never fails it."""
    return jsonify({"status": "ok"})


@blueprint.route("/readyz")
@public
def readyz() -> tuple[Response, int]:
    checks = health.readiness()
    ready = all(check.ok for check in checks if check.required)
    whole = all(check.ok for check in checks)
    body = {
        "status": "not ready" if not ready else "ready" if whole else "degraded",
        "checks": {c.name: {"ok": c.ok, "detail": c.detail} for c in checks},
    }
    return jsonify(body), 200 if ready else 503


def _refusal() -> tuple[Response, int] | None:
    """None if the scraper may read the metrics; otherwise the answer that says why not."""
    token = current_app.config.get("METRICS_TOKEN")
    allowed = tuple(current_app.config.get("METRICS_ALLOW_FROM") or ())
    if not token and not allowed:
        message = "Metrics are off: set ISCHIA_METRICS_TOKEN or ISCHIA_METRICS_ALLOW_FROM."
        return jsonify({"error": {"code": 403, "message": message}}), 403
    if allowed and request.remote_addr in allowed:
        return None
    scheme, _, given = request.headers.get("Authorization", "").partition(" ")
    if token and scheme.lower() == "bearer" and hmac.compare_digest(given.strip(), str(token)):
        return None
    message = "A valid metrics token is required." if token else "Not an allowed address."
    response = jsonify({"error": {"code": 401 if token else 403, "message": message}})
    if token:
        response.headers["WWW-Authenticate"] = 'Bearer realm="ischia-metrics"'
    return response, 401 if token else 403


@blueprint.route("/metrics")
@public
def metrics() -> Response | tuple[Response, int]:
    refused = _refusal()
    if refused is not None:
        return refused
    return Response(monitoring.exposition(), mimetype="text/plain; version=0.0.4; charset=utf-8")
