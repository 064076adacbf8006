"""/healthz, /readyz and /metrics: status, content, and who may read the metrics."""

from __future__ import annotations

import os
import secrets

from flask import Flask

from tests.conftest import new_app, test_config

TOKEN = "metrics-" + secrets.token_urlsafe(16)
REDIS_URL = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/15")


def test_healthz_answers_without_signing_in(client):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.get_json() == {"status": "ok"}


def test_readyz_reports_each_check(client, people):
    people.org("FR-MININT")  # an organisation with keys: the master key check opens them
    response = client.get("/readyz")
    assert response.status_code == 200, response.text
    body = response.get_json()
    assert body["status"] == "ready"
    assert body["checks"]["database"]["ok"] is True
    assert body["checks"]["master_key"] == {"ok": True, "detail": "opens the organisation keys"}
    assert body["checks"]["graph"] == {"ok": True, "detail": "in-process"}
    assert "redis" not in body["checks"]


def test_readyz_fails_under_a_wrong_master_key(app, people, database_url, tmp_path, shared_engine):
    people.org("FR-MININT")
    wrong = new_app(test_config(database_url, secrets.token_bytes(32), tmp_path))
    wrong.extensions["ischia.engine"].dispose()
    wrong.extensions["ischia.engine"] = shared_engine
    response = wrong.test_client().get("/readyz")
    assert response.status_code == 503
    check = response.get_json()["checks"]["master_key"]
    assert check == {"ok": False, "detail": "does not open the organisation keys in the database"}


def _with(app: Flask, **config: object) -> Flask:
    app.config.update(config)
    return app


def test_readyz_checks_redis_when_configured(app):
    client = _with(app, REDIS_URL=REDIS_URL).test_client()
    assert client.get("/readyz").get_json()["checks"]["redis"] == {"ok": True, "detail": "answers"}
    # A port nothing listens on: Redis is configured but down, so the portal is not ready.
    down = _with(app, REDIS_URL="redis://127.0.0.1:9/0").test_client().get("/readyz")
    assert down.status_code == 503
    assert down.get_json()["checks"]["redis"]["ok"] is False


def test_metrics_are_off_until_configured(client):
    response = client.get("/metrics")
    assert response.status_code == 403
    assert "ISCHIA_METRICS_TOKEN" in response.get_json()["error"]["message"]


def test_metrics_refuse_a_missing_or_wrong_token(app):
    client = _with(app, METRICS_TOKEN=TOKEN).test_client()
    assert client.get("/metrics").status_code == 401
    wrong = client.get("/metrics", headers={"Authorization": "Bearer not-" + TOKEN})
    assert wrong.status_code == 401
    assert wrong.headers["WWW-Authenticate"].startswith("Bearer")


def test_metrics_by_address(app):
    client = _with(app, METRICS_ALLOW_FROM=("10.9.8.7",)).test_client()
    assert client.get("/metrics").status_code == 403  # the test client is 127.0.0.1
    allowed = client.get("/metrics", environ_base={"REMOTE_ADDR": "10.9.8.7"})
    assert allowed.status_code == 200
    assert allowed.mimetype == "text/plain"


def test_metrics_count_requests_by_route_rule_never_the_raw_path(app, people):
    client = _with(app, METRICS_TOKEN=TOKEN).test_client()
    secret_id = secrets.token_hex(16)
    client.get(f"/bulletins/{secret_id}")  # redirected to sign in: still counted, by its rule
    client.get("/healthz")
    text = client.get("/metrics", headers={"Authorization": f"Bearer {TOKEN}"}).text
    assert secret_id not in text
    assert 'ischia_http_requests_total{endpoint="/healthz",method="GET",status="200"}' in text
    assert 'endpoint="/bulletins/<bulletin_id>"' in text
    assert 'ischia_http_request_duration_seconds_bucket{endpoint="/healthz"' in text


def test_metrics_report_deadlines_and_graph_caches(app):
    client = _with(app, METRICS_TOKEN=TOKEN).test_client()
    text = client.get("/metrics", headers={"Authorization": f"Bearer {TOKEN}"}).text
    assert 'ischia_referral_items_deadline{when="overdue"} 0.0' in text
    assert 'ischia_referral_items_deadline{when="within_hour"} 0.0' in text
    assert "ischia_graph_cache_graphs" in text
    assert "ischia_queue_jobs" not in text  # no Redis: work runs in the request


def test_metrics_report_queue_lengths_with_redis(app):
    client = _with(app, METRICS_TOKEN=TOKEN, REDIS_URL=REDIS_URL).test_client()
    text = client.get("/metrics", headers={"Authorization": f"Bearer {TOKEN}"}).text
    assert 'ischia_queue_jobs{queue="ischia-briefings"}' in text
    assert 'ischia_queue_jobs{queue="ischia-webhooks"}' in text


def test_no_organisation_yet_is_ready(client):
    body = client.get("/readyz").get_json()
    assert body["checks"]["master_key"]["detail"] == "loaded; no organisation keys yet"


MULTIPROCESS_SCRIPT = """
import os, sys
from portal import create_app, schema
from portal.extensions import db
app = create_app({
    "SECRET_KEY": "s", "SQLALCHEMY_DATABASE_URI": sys.argv[1], "MASTER_KEY": bytes(32),
    "MASTER_KEY_FILE": sys.argv[2] + "/unused.key", "METRICS_TOKEN": "t",
})
with app.app_context():
    schema.upgrade(db.engine)
client = app.test_client()
for _ in range(int(sys.argv[3])):
    client.get("/healthz")
if sys.argv[4] == "scrape":
    sys.stdout.write(client.get("/metrics", headers={"Authorization": "Bearer t"}).text)
"""


def test_metrics_add_up_every_worker_in_multiprocess_mode(tmp_path):
    """Two processes (as two gunicorn workers) count into PROMETHEUS_MULTIPROC_DIR; the one
    that answers the scrape reports both."""
    import subprocess
    import sys

    shared = tmp_path / "metrics"
    shared.mkdir()
    env = {**os.environ, "PROMETHEUS_MULTIPROC_DIR": str(shared)}
    url = f"sqlite:///{tmp_path / 'ischia.db'}"

    def worker(requests: int, scrape: bool) -> str:
        done = subprocess.run(
            [
                sys.executable,
                "-c",
                MULTIPROCESS_SCRIPT,
                url,
                str(tmp_path),
                str(requests),
                "scrape" if scrape else "count",
            ],
            env=env,
            capture_output=True,
            text=True,
            check=True,
        )
        return done.stdout

    worker(3, scrape=False)
    text = worker(2, scrape=True)
    line = 'ischia_http_requests_total{endpoint="/healthz",method="GET",status="200"} 5.0'
    assert line in text
