"""Group commit of audit records: batches, failures inside a batch, and one chain across
threads and processes, on SQLite and PostgreSQL."""

from __future__ import annotations

import multiprocessing
import threading
import time
from pathlib import Path

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from portal.extensions import db
from portal.models import AuditRecord
from portal.services import audit, audit_commit
from portal.services.errors import AuditUnavailable, Conflict
from portal.services.principals import CLI
from tests.conftest import new_app, test_config


def _record(n: int):  # type: ignore[no-untyped-def]
    def work(session: Session) -> None:
        audit.record(session, "test.grouped", CLI, details={"n": n})

    return work


def _numbers(app) -> list[int]:  # type: ignore[no-untyped-def]
    with app.app_context():
        rows = db.session.scalars(select(AuditRecord).order_by(AuditRecord.seq))
        return [row.details["n"] for row in rows]


def _verified(app) -> int:  # type: ignore[no-untyped-def]
    with app.app_context():
        report = audit.verify_chain()
        count = db.session.scalar(select(func.count()).select_from(AuditRecord))
    assert report.problem is None
    assert count == report.head_seq
    return int(count or 0)


def _wait_for(condition, seconds: float = 30) -> None:  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, "the other requests never queued"
        time.sleep(0.005)


def _submit_behind_a_slow_leader(app, follower_works):  # type: ignore[no-untyped-def]
    """A first request leads a commit that waits until every follower has queued; the followers
    then commit together in one batch. Returns each follower's outcome (None or its error)."""
    group = app.extensions["ischia.group_commit"]
    followers = len(follower_works)
    outcomes: list[BaseException | None] = [None] * followers

    def hold(session: Session) -> None:
        audit.record(session, "test.grouped", CLI, details={"n": 0})
        _wait_for(lambda: len(group._queue) == followers)

    def lead() -> None:
        with app.app_context():
            audit_commit.commit(hold)

    def follow(index: int) -> None:
        with app.app_context():
            try:
                audit_commit.commit(follower_works[index])
            except BaseException as exc:
                outcomes[index] = exc

    leader = threading.Thread(target=lead)
    leader.start()
    _wait_for(lambda: group._leading)
    threads = [threading.Thread(target=follow, args=(i,)) for i in range(followers)]
    for thread in threads:
        thread.start()
    for thread in [leader, *threads]:
        thread.join(timeout=60)
    return outcomes


def test_requests_waiting_together_are_committed_in_one_transaction(app):
    group = app.extensions["ischia.group_commit"]
    outcomes = _submit_behind_a_slow_leader(app, [_record(n) for n in (1, 2, 3, 4)])
    assert outcomes == [None] * 4
    assert (group.batches, group.items) == (2, 5)
    assert sorted(_numbers(app)) == [0, 1, 2, 3, 4]
    assert _verified(app) == 5


def test_a_failing_request_in_a_batch_loses_only_its_own_records(app):
    def refused(session: Session) -> None:
        audit.record(session, "test.grouped", CLI, details={"n": 2})
        raise Conflict("refused after its record was written")

    outcomes = _submit_behind_a_slow_leader(app, [_record(1), refused, _record(3)])
    assert outcomes[0] is None and outcomes[2] is None
    assert isinstance(outcomes[1], Conflict)
    assert sorted(_numbers(app)) == [0, 1, 3]
    assert _verified(app) == 3


def test_a_record_that_cannot_be_written_raises_and_keeps_nothing(app):
    with app.app_context():
        with db.write() as session:
            audit.record(session, "test.grouped", CLI, details={"n": 0})
        _break_the_head()
        audit_commit.defer(_record(1))
        with pytest.raises(AuditUnavailable):
            audit_commit.commit(_record(2))
        assert audit_commit.pending() == 0
    assert _numbers(app) == [0]


def _break_the_head() -> None:
    """Take the chain's head row away: no record can be appended until it is back."""
    from portal.models import AuditHead

    with db.write() as session:
        session.execute(AuditHead.__table__.delete())


def _append_from_a_process(url: str, master_key: bytes, folder: str, who: int) -> None:
    """A second portal process (a gunicorn worker): threads append through group commit."""
    app = new_app(test_config(url, master_key, Path(folder)))
    errors: list[BaseException] = []

    def work(thread: int) -> None:
        try:
            with app.app_context():
                for i in range(10):
                    audit_commit.commit(_record(who * 1000 + thread * 100 + i))
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=work, args=(t,)) for t in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    app.extensions["ischia.engine"].dispose()
    if errors:
        raise SystemExit(f"process {who}: {errors[0]!r}")


def test_processes_appending_at_once_keep_one_verified_chain(
    app, database_url, master_key, tmp_path
):
    context = multiprocessing.get_context("spawn")
    processes = [
        context.Process(
            target=_append_from_a_process, args=(database_url, master_key, str(tmp_path), who)
        )
        for who in (1, 2, 3)
    ]
    for process in processes:
        process.start()
    for process in processes:
        process.join(timeout=300)
    assert [p.exitcode for p in processes] == [0, 0, 0]
    numbers = _numbers(app)
    assert sorted(numbers) == sorted(
        who * 1000 + t * 100 + i for who in (1, 2, 3) for t in range(4) for i in range(10)
    )
    assert _verified(app) == 120
