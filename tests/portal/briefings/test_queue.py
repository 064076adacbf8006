"""With REDIS_URL set, large briefings go through RQ: a status page, an encrypted result, a
download that is audited. Runs against the real Redis on 127.0.0.1."""

from __future__ import annotations

import os
import zlib

import pytest
from redis import Redis
from sqlalchemy import select

from portal.extensions import db
from portal.models import AuditRecord, BriefingCopy, User
from portal.services.briefings.signing import verify_with_portal_keys
from tests.portal.briefings.pdf_text import page_texts

REDIS_URL = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/15")


@pytest.fixture
def queued_app(app):
    app.config.update(REDIS_URL=REDIS_URL, BRIEFING_QUEUE_ABOVE=1)
    Redis.from_url(REDIS_URL).flushdb()
    yield app
    Redis.from_url(REDIS_URL).flushdb()


def _everything_in_redis() -> bytes:
    redis = Redis.from_url(REDIS_URL)
    blobs = []
    for key in redis.scan_iter():
        kind = redis.type(key)
        if kind == b"string":
            blobs.append(redis.get(key) or b"")
        elif kind == b"hash":
            blobs.extend(v for v in redis.hgetall(key).values())
        elif kind == b"list":
            blobs.extend(redis.lrange(key, 0, -1))
    # RQ compresses job data with zlib: look inside too, so a clear title cannot hide there.
    opened = []
    for blob in blobs:
        try:
            opened.append(zlib.decompress(blob))
        except zlib.error:
            opened.append(blob)
    return b"".join(opened)


def test_a_large_briefing_is_queued_made_by_the_worker_and_downloaded(queued_app, desk, clients):
    ids = [desk.post(title=f"Queued title {i}") for i in range(3)]
    client = clients["fr.analyst"]
    data = {
        "csrf_token": clients.token("fr.analyst"),
        "title": "Secret cover title",
        "source": "selection",
        "bulletin_ids": ids,
    }
    response = client.post("/briefings/", data=data)
    assert response.status_code == 302
    status_url = response.headers["Location"]
    copy_id = status_url.rstrip("/").rsplit("/", 1)[1]
    waiting = client.get(status_url)
    assert "Waiting for a worker" in waiting.text and 'http-equiv="refresh"' in waiting.text
    assert client.get(f"/briefings/{copy_id}/download").status_code == 404
    assert b"Secret cover title" not in _everything_in_redis()

    result = queued_app.test_cli_runner().invoke(args=["worker", "--burst"])
    assert result.exit_code == 0, result.output

    ready = client.get(status_url)
    assert "Ready" in ready.text and "Download the PDF" in ready.text
    stored = _everything_in_redis()
    assert b"%PDF" not in stored and b"Secret cover title" not in stored
    pdf = client.get(f"/briefings/{copy_id}/download")
    assert pdf.status_code == 200 and pdf.data.startswith(b"%PDF")
    assert pdf.headers["Cache-Control"] == "no-store"
    with queued_app.app_context():
        verdict = verify_with_portal_keys(pdf.data)
        assert verdict.copy_id == copy_id
        copy = db.session.get(BriefingCopy, copy_id)
        assert copy is not None and copy.state == "delivered" and copy.page_count
        events = [r.event for r in db.session.scalars(select(AuditRecord))]
    assert events.count("briefing.downloaded") == 1
    assert clients["de.analyst"].get(f"/briefings/{copy_id}/download").status_code == 404


def test_the_worker_refuses_to_run_without_redis(app):
    result = app.test_cli_runner().invoke(args=["worker", "--burst"])
    assert result.exit_code != 0 and "REDIS_URL is not set" in result.output


def test_a_small_briefing_still_renders_in_the_request(queued_app, desk, clients):
    bid = desk.post()
    data = {"csrf_token": clients.token("fr.analyst"), "title": "Small", "bulletin_ids": [bid]}
    response = clients["fr.analyst"].post("/briefings/", data=data | {"source": "selection"})
    assert response.status_code == 200 and response.data.startswith(b"%PDF")


def _queue(clients, who, **fields):
    data = {"csrf_token": clients.token(who), "title": "Queued", "source": "selection"} | fields
    response = clients[who].post("/briefings/", data=data)
    assert response.status_code == 302, response.text
    return response.headers["Location"].rstrip("/").rsplit("/", 1)[1]


def test_the_worker_renders_what_was_recorded_not_what_the_filter_finds_later(
    queued_app, desk, clients, tmp_path
):
    desk.post(title="Green one", category="financing", marking="TLP:GREEN")
    desk.post(title="Green two", category="financing", marking="TLP:GREEN")
    copy_id = _queue(clients, "fr.analyst", source="filter", category="financing", box="all")
    desk.post(title="Red newcomer", category="financing", marking="TLP:RED")
    assert queued_app.test_cli_runner().invoke(args=["worker", "--burst"]).exit_code == 0
    pdf = clients["fr.analyst"].get(f"/briefings/{copy_id}/download")
    path = tmp_path / "q.pdf"
    path.write_bytes(pdf.data)
    texts = page_texts(path)
    assert "Green one" in "".join(texts) and "Red newcomer" not in "".join(texts)
    assert all("TLP:GREEN" in text and "TLP:RED" not in text for text in texts)


def test_one_skipped_job_does_not_stall_the_next(queued_app, desk, clients, people):
    first = [desk.post(title=f"First {i}") for i in range(2)]
    second = [desk.post(title=f"Second {i}", recipients=("DE-BMI",)) for i in range(2)]
    skipped = _queue(clients, "fr.analyst", bulletin_ids=first)
    made = _queue(clients, "de.analyst", bulletin_ids=second)
    with queued_app.app_context():
        user = db.session.get(User, desk.users["fr.analyst"])
        user.active = False
        db.session.commit()
    assert queued_app.test_cli_runner().invoke(args=["worker", "--burst"]).exit_code == 0
    with queued_app.app_context():
        assert db.session.get(BriefingCopy, skipped).state == "failed"
        assert db.session.get(BriefingCopy, made).state == "ready"


def test_a_queue_that_cannot_be_reached_is_a_clear_503_and_the_copy_failed(app, desk, clients):
    app.config.update(REDIS_URL="redis://127.0.0.1:9/0", BRIEFING_QUEUE_ABOVE=0)
    bid = desk.post()
    data = {"csrf_token": clients.token("fr.analyst"), "title": "x", "source": "selection"}
    response = clients["fr.analyst"].post("/briefings/", data=data | {"bulletin_ids": [bid]})
    assert response.status_code == 503 and "cannot be reached" in response.text
    with app.app_context():
        assert db.session.scalars(select(BriefingCopy.state)).one() == "failed"


def test_the_worker_writes_the_briefing_in_the_language_it_was_asked_in(
    queued_app, desk, clients, tmp_path
):
    ids = [desk.post(title=f"Bulletin {i}") for i in range(2)]
    data = {"csrf_token": clients.token("fr.analyst"), "title": "Lagebild", "source": "selection"}
    response = clients["fr.analyst"].post(
        "/briefings/", data=data | {"bulletin_ids": ids}, headers={"Accept-Language": "de"}
    )
    assert response.status_code == 302, response.text
    copy_id = response.headers["Location"].rstrip("/").rsplit("/", 1)[1]
    with queued_app.app_context():
        assert db.session.get(BriefingCopy, copy_id).language == "de"
    # The worker runs outside any request: the copy's language, not the worker's, is written.
    assert queued_app.test_cli_runner().invoke(args=["worker", "--burst"]).exit_code == 0
    status = clients["fr.analyst"].get(f"/briefings/{copy_id}")
    assert "Deutsch" in status.text and "Download the PDF" in status.text
    path = tmp_path / "de.pdf"
    path.write_bytes(clients["fr.analyst"].get(f"/briefings/{copy_id}/download").data)
    text = " ".join(" ".join(page_texts(path)).split())
    assert "Zusammenfassung" in text and "Kernpunkte" in text and "Ischia-Lagebericht" in text
    assert "Executive summary" not in text
