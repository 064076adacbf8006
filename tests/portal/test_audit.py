"""The audit chain in the database: appends, tampering of every kind, checkpoints, concurrency."""

from __future__ import annotations

import secrets
import threading
from pathlib import Path

import pytest
from sqlalchemy import delete, func, select, update

from crypto.chain import GENESIS_HASH, ChainBreak, CheckpointSigner, link
from portal.extensions import db
from portal.models import AuditHead, AuditRecord
from portal.services import audit
from portal.services.errors import InvalidInput
from portal.services.principals import CLI, Actor


def append(app, n: int) -> None:
    with app.app_context():
        for i in range(n):
            with db.write() as session:
                audit.record(session, "test.event", CLI, details={"n": i, "name": "Ünïcødé ✓"})


def problem(app):
    with app.app_context():
        return audit.verify_chain().problem


def test_an_untouched_chain_verifies(app):
    append(app, 6)
    with app.app_context():
        report = audit.verify_chain()
    assert report.problem is None and report.count == 6 and report.head_seq == 6


def test_an_edited_record_is_named(app):
    append(app, 6)
    with app.app_context(), db.write() as session:
        session.execute(
            update(AuditRecord).where(AuditRecord.seq == 3).values(event="nothing.happened")
        )
    found = problem(app)
    assert (found.seq, found.kind) == (3, "edited")


def test_an_edited_detail_is_named(app):
    append(app, 6)
    with app.app_context(), db.write() as session:
        session.execute(update(AuditRecord).where(AuditRecord.seq == 5).values(details={"n": 99}))
    found = problem(app)
    assert (found.seq, found.kind) == (5, "edited")


def test_a_record_edited_and_rehashed_is_named(app):
    append(app, 6)
    with app.app_context(), db.write() as session:
        row = session.get(AuditRecord, 3)
        row.event = "nothing.happened"
        row.hash = link(row.prev_hash, row.chain_fields())
    found = problem(app)
    assert (found.seq, found.kind) == (3, "unlinked")


def test_a_deleted_record_is_named(app):
    append(app, 6)
    with app.app_context(), db.write() as session:
        session.execute(delete(AuditRecord).where(AuditRecord.seq == 4))
    found = problem(app)
    assert (found.seq, found.kind) == (4, "deleted")


def test_deleting_the_last_record_is_caught_by_the_head(app):
    append(app, 6)
    with app.app_context(), db.write() as session:
        session.execute(delete(AuditRecord).where(AuditRecord.seq == 6))
    assert problem(app) == ChainBreak(6, "deleted", "entry #6 was deleted")


def test_a_head_that_names_another_hash_is_caught(app):
    append(app, 4)
    with app.app_context(), db.write() as session:
        session.execute(update(AuditHead).values(hash=bytes(32)))
    assert problem(app) == ChainBreak(4, "edited", "the chain head does not match its last entry")


def test_an_empty_chain_verifies_and_deleting_every_record_does_not(app):
    with app.app_context(), db.write() as session:
        session.execute(delete(AuditRecord))
        session.execute(update(AuditHead).values(seq=0, hash=GENESIS_HASH))
    with app.app_context():
        report = audit.verify_chain()
    assert (report.count, report.head_seq, report.problem) == (0, 0, None)
    append(app, 2)
    with app.app_context(), db.write() as session:
        session.execute(delete(AuditRecord))
    assert problem(app) == ChainBreak(1, "deleted", "entry #1 was deleted")


def shift(session, from_seq: int, by: int) -> None:
    """Renumber records from ``from_seq`` on, as an attacker would to make room."""
    session.execute(
        update(AuditRecord).where(AuditRecord.seq >= from_seq).values(seq=AuditRecord.seq + 1000)
    )
    session.execute(
        update(AuditRecord)
        .where(AuditRecord.seq >= 1000 + from_seq)
        .values(seq=AuditRecord.seq - 1000 + by)
    )


def test_an_inserted_record_is_named(app):
    append(app, 6)
    with app.app_context(), db.write() as session:
        previous = session.get(AuditRecord, 2)
        shift(session, 3, 1)
        forged = AuditRecord(
            seq=3,
            at=previous.at,
            event="login.success",
            outcome="success",
            details={},
            prev_hash=previous.hash,
        )
        forged.hash = link(previous.hash, forged.chain_fields())
        session.add(forged)
    found = problem(app)
    assert (found.seq, found.kind) == (3, "inserted")


def test_swapped_records_are_named(app):
    append(app, 6)
    with app.app_context(), db.write() as session:
        session.execute(update(AuditRecord).where(AuditRecord.seq == 3).values(seq=-3))
        session.execute(update(AuditRecord).where(AuditRecord.seq == 4).values(seq=3))
        session.execute(update(AuditRecord).where(AuditRecord.seq == -3).values(seq=4))
    found = problem(app)
    assert (found.seq, found.kind) == (3, "reordered")


def rewrite_tail(session, from_seq: int) -> None:
    """Edit a record and re-link every later one, including the head: a consistent forgery."""
    rows = session.scalars(
        select(AuditRecord).where(AuditRecord.seq >= from_seq).order_by(AuditRecord.seq)
    ).all()
    prev = session.get(AuditRecord, from_seq - 1).hash
    rows[0].event = "nothing.happened"
    for row in rows:
        row.prev_hash = prev
        row.hash = prev = link(prev, row.chain_fields())
    session.execute(update(AuditHead).values(hash=prev))


def test_a_signed_checkpoint_detects_a_rewritten_tail(app):
    append(app, 6)
    with app.app_context():
        signed = audit.checkpoint()
        point = signed.to_json()
        assert audit.check_against_checkpoint(point) is None
    with app.app_context(), db.write() as session:
        rewrite_tail(session, 3)
    assert problem(app) is None  # the chain alone is consistent again
    with app.app_context():
        found = audit.check_against_checkpoint(point)
    assert found == (
        f"entry #6 differs from the checkpoint of {signed.at}: "
        "the log was rewritten from that point or earlier"
    )


def test_a_forged_checkpoint_is_refused(app):
    append(app, 2)
    from portal.services.errors import InvalidInput

    with app.app_context():
        point = audit.checkpoint().to_json().replace('"seq": 2', '"seq": 1')
        with pytest.raises(InvalidInput, match="signature"):
            audit.check_against_checkpoint(point)


def test_cli_verify_and_checkpoint(app, runner, tmp_path):
    append(app, 4)
    intact = runner.invoke(args=["audit", "verify"])
    assert intact.exit_code == 0 and "4 records" in intact.output
    point = runner.invoke(args=["audit", "checkpoint"])
    assert point.exit_code == 0
    saved = tmp_path / "checkpoint.json"
    saved.write_text(point.stdout)
    assert runner.invoke(args=["audit", "verify", "--checkpoint", str(saved)]).exit_code == 0
    for stored in Path(app.config["CHECKPOINT_DIR"]).iterdir():
        stored.unlink()  # only the copy kept elsewhere is left
    with app.app_context(), db.write() as session:
        rewrite_tail(session, 2)
    assert runner.invoke(args=["audit", "verify"]).exit_code == 0
    caught = runner.invoke(args=["audit", "verify", "--checkpoint", str(saved)])
    assert caught.exit_code == 1 and "TAMPERED" in caught.output
    with app.app_context(), db.write() as session:
        session.execute(update(AuditRecord).where(AuditRecord.seq == 2).values(outcome="failure"))
    edited = runner.invoke(args=["audit", "verify"])
    assert edited.exit_code == 1 and "record #2" in edited.output


def test_concurrent_appends_never_fork_the_chain(app):
    threads, per_thread = 4, 15
    errors: list[BaseException] = []

    def work() -> None:
        try:
            append(app, per_thread)
        except BaseException as exc:
            errors.append(exc)

    workers = [threading.Thread(target=work) for _ in range(threads)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(timeout=120)
    assert errors == []
    with app.app_context():
        report = audit.verify_chain()
        count = db.session.scalar(select(func.count()).select_from(AuditRecord))
    assert report.problem is None
    assert count == report.head_seq == threads * per_thread


def test_a_failed_transaction_leaves_no_audit_record(app):
    with app.app_context():
        with pytest.raises(RuntimeError), db.write() as session:
            audit.record(session, "test.event", Actor(user_id=None))
            raise RuntimeError("the change it recorded failed")
        assert db.session.scalar(select(func.count()).select_from(AuditRecord)) == 0
        assert db.session.get(AuditHead, 1).seq == 0


def test_a_checkpoint_signed_by_another_key_is_refused(app):
    append(app, 2)
    with app.app_context():
        head = audit.checkpoint()
        # Validly signed, over the real head, but not by this portal's checkpoint keys.
        stranger = CheckpointSigner(secrets.token_bytes(32)).sign(head.seq, head.head, head.at)
        with pytest.raises(InvalidInput, match="other than the trusted") as refused:
            audit.check_against_checkpoint(stranger.to_json())
        assert refused.value.field == "checkpoint"
        assert audit.check_against_checkpoint(head.to_json()) is None


def test_a_missing_head_is_reported_as_an_empty_deleted_chain(app):
    append(app, 3)
    with app.app_context(), db.write() as session:
        session.execute(delete(AuditHead))
    with app.app_context():
        report = audit.verify_chain()
    assert (report.count, report.head_seq, report.head_hash) == (0, 0, GENESIS_HASH)
    assert report.problem == ChainBreak(0, "deleted", "the chain head is gone")


def test_records_are_checked_in_sequence_order_whatever_their_storage_order(app):
    """An edited-then-restored record is stored last on PostgreSQL (a new row version at the
    end of the table): the check must still read the records in their sequence order."""
    append(app, 5)
    for outcome in ("failure", "success"):
        with app.app_context(), db.write() as session:
            session.execute(update(AuditRecord).where(AuditRecord.seq == 2).values(outcome=outcome))
    assert problem(app) is None
