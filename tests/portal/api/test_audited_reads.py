"""Every API read is in the audit chain before its answer leaves: one commit per request for
the token's use and the read, shared by concurrent requests; no record, no content."""

from __future__ import annotations

import threading

from sqlalchemy import func, select

from portal.extensions import db
from portal.models import AuditHead, AuditRecord, ReadReceipt
from portal.services import audit
from tests.portal.api.conftest import bearer

TAXII = {"Accept": "application/taxii+json;version=2.1"}


def _events(app) -> list[tuple[str, str | None]]:  # type: ignore[no-untyped-def]
    with app.app_context():
        rows = db.session.scalars(select(AuditRecord).order_by(AuditRecord.seq))
        return [(r.event, r.details.get("endpoint") or r.details.get("bulletin")) for r in rows]


def _break_the_head(app) -> None:  # type: ignore[no-untyped-def]
    with app.app_context(), db.write() as session:
        session.execute(AuditHead.__table__.delete())


def test_a_read_commits_the_token_use_and_the_read_together(app, client, desk, token):
    bid = desk.post()
    secret = token("fr.analyst")
    group = app.extensions["ischia.group_commit"]
    before = _events(app)
    batches = group.batches
    response = client.get(f"/api/v1/bulletins/{bid}", headers=bearer(secret))
    assert response.status_code == 200 and response.json["content"]
    assert _events(app)[len(before) :] == [
        ("api_token.used", "api.get_bulletin"),
        ("bulletin.read", bid),
    ]
    assert group.batches == batches + 1  # one write transaction for both records


def test_a_read_that_cannot_be_audited_answers_an_error_and_no_content(app, client, desk, token):
    bid = desk.post(title="Never shown unaudited")
    secret = token("fr.analyst")
    records = len(_events(app))
    _break_the_head(app)
    response = client.get(f"/api/v1/bulletins/{bid}", headers=bearer(secret))
    assert response.status_code == 503
    assert "audit" in response.json["error"]["message"]
    assert "Never shown unaudited" not in response.text and "content" not in response.json
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(ReadReceipt)) == 0
    assert len(_events(app)) == records


def test_a_listing_whose_token_use_cannot_be_audited_answers_nothing(app, client, desk, token):
    desk.post(title="Listed title")
    secret = token("fr.analyst")
    _break_the_head(app)
    listing = client.get("/api/v1/bulletins", headers=bearer(secret))
    assert listing.status_code == 503 and "Listed title" not in listing.text
    collections = client.get("/taxii2/api/collections/", headers={**bearer(secret), **TAXII})
    assert collections.status_code == 503
    assert collections.json["http_status"] == "503" and "collections" not in collections.json


def test_concurrent_readers_are_all_in_the_verified_chain(app, desk, token):
    bids = [desk.post(title=f"Bulletin {i}") for i in range(2)]
    secrets = [token("fr.analyst"), token("de.analyst")]
    readers, per_reader = 6, 5
    start = threading.Barrier(readers)
    statuses: list[int] = []
    errors: list[BaseException] = []

    def read(index: int) -> None:
        client = app.test_client()
        try:
            start.wait(timeout=60)
            for i in range(per_reader):
                bid = bids[(index + i) % len(bids)]
                answer = client.get(f"/api/v1/bulletins/{bid}", headers=bearer(secrets[index % 2]))
                statuses.append(answer.status_code)
        except BaseException as exc:
            errors.append(exc)

    before = len(_events(app))
    threads = [threading.Thread(target=read, args=(i,)) for i in range(readers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=300)
    assert errors == [] and statuses == [200] * (readers * per_reader)
    events = _events(app)[before:]
    assert sum(1 for event, _ in events if event == "api_token.used") == readers * per_reader
    assert sum(1 for event, _ in events if event == "bulletin.read") == readers * per_reader
    with app.app_context():
        report = audit.verify_chain()
    assert report.problem is None and report.head_seq == len(_events(app))
