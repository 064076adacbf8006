"""The schema comes from migrations: forward, back and forward again, matching the models."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import func, insert, select, text
from sqlalchemy.exc import IntegrityError

from portal import schema
from portal.database import make_engine
from portal.models import Base, PersonDecision
from portal.models.base import UTCDateTime
from tests.conftest import BACKENDS


@pytest.mark.parametrize("backend", BACKENDS)
def test_upgrade_downgrade_upgrade(new_database, backend):
    engine = make_engine(new_database(backend))
    try:
        schema.upgrade(engine)
        tables = set(schema.table_names(engine))
        assert {"organisations", "users", "user_roles", "login_sessions", "audit_records"} <= tables
        assert schema.is_current(engine)
        schema.downgrade(engine, "base")
        assert set(schema.table_names(engine)) <= {"alembic_version"}
        assert schema.current_revision(engine) is None
        schema.upgrade(engine)
        assert set(schema.table_names(engine)) == tables
        with engine.connect() as connection:
            head = connection.exec_driver_sql("SELECT seq FROM audit_head WHERE id = 1").scalar()
        assert head == 0
    finally:
        engine.dispose()


@pytest.mark.parametrize("backend", BACKENDS)
def test_migrations_match_the_models(new_database, backend):
    engine = make_engine(new_database(backend))
    try:
        schema.upgrade(engine)
        with engine.connect() as connection:
            context = MigrationContext.configure(connection, opts={"compare_type": True})
            differences = compare_metadata(context, Base.metadata)
        assert differences == []
    finally:
        engine.dispose()


def test_cli_db_commands(runner):
    result = runner.invoke(args=["db", "current"])
    assert result.exit_code == 0 and schema.head_revision() in result.output


@pytest.mark.parametrize("backend", BACKENDS)
def test_saved_investigations_are_sealed_by_the_upgrade(new_database, backend, master_key):
    """An investigation saved in clear before 0013 opens after it, through the service, and no
    byte of its name, notes or nodes is left in the table; downgrading opens it back."""
    import json

    from sqlalchemy import text

    from portal import create_app
    from portal.models import OrgKind, Role
    from portal.services.analysis import investigations
    from portal.services.principals import Reader

    url = new_database(backend)
    engine = make_engine(url)
    nodes = ["account:telegram:canary_handle", "phone:+33612345678"]
    try:
        schema.upgrade(engine, "0012_referral_queue_index")
        with engine.begin() as connection:
            connection.execute(
                text(
                    "INSERT INTO organisations (id, code, name, kind, created_at) "
                    "VALUES (1, 'FR-MININT', 'Intérieur', 'member', CURRENT_TIMESTAMP)"
                )
            )
            connection.execute(
                text(
                    "INSERT INTO users (id, email, name, password_hash, organisation_id, "
                    "active, must_change_password, totp_confirmed, totp_last_step, demo, "
                    "created_at) VALUES (1, 'a@fr.example', 'A', 'x', 1, true, false, false, "
                    "0, false, CURRENT_TIMESTAMP)"
                )
            )
            connection.execute(
                text(
                    "INSERT INTO investigations (id, org_id, name, notes, nodes, created_by, "
                    "created_at, updated_at) VALUES (1, 1, 'Op canary_name', 'canary_notes', "
                    ":nodes, 1, CURRENT_TIMESTAMP, CURRENT_TIMESTAMP)"
                ),
                {"nodes": json.dumps(nodes)},
            )
        with pytest.raises(RuntimeError, match="db upgrade"):
            schema.upgrade(engine)  # no key: refused, nothing half done
        schema.upgrade(engine, master_key=master_key)
        with engine.connect() as connection:
            stored = b"".join(
                bytes(value)
                for value in connection.execute(
                    text("SELECT name_token, sealed FROM investigations")
                ).one()
            )
        assert b"canary" not in stored and b"+336" not in stored
        app = create_app(
            {"SECRET_KEY": "s", "SQLALCHEMY_DATABASE_URI": url, "MASTER_KEY": master_key}
        )
        with app.app_context():
            reader = Reader(
                1, "a@fr.example", 1, "FR-MININT", OrgKind.MEMBER, None, frozenset({Role.ANALYST})
            )
            saved = investigations.one(reader, 1)
            assert (saved.name, saved.notes, saved.nodes) == (
                "Op canary_name",
                "canary_notes",
                nodes,
            )
        app.extensions["ischia.engine"].dispose()
        schema.downgrade(engine, "0012_referral_queue_index", master_key=master_key)
        with engine.connect() as connection:
            row = connection.execute(text("SELECT name, notes, nodes FROM investigations")).one()
        assert row[0] == "Op canary_name" and row[1] == "canary_notes"
    finally:
        engine.dispose()


@pytest.mark.parametrize("backend", BACKENDS)
def test_the_upgrade_keeps_the_earliest_of_duplicate_live_decisions(new_database, backend):
    """Before the unique index, two analysts could store two live decisions on one pair: the
    upgrade keeps the earliest and revokes the later ones at their own time, keeping them."""
    engine = make_engine(new_database(backend))
    times = [datetime(2026, 1, 2, hour, tzinfo=UTC) for hour in range(6)]
    decisions = PersonDecision.__table__
    # The table as 0015 left it: the note was a column of text then (0017 sealed it).
    before = sa.table(
        "person_decisions",
        *(sa.column(c.name, c.type) for c in decisions.columns if c.name != "note_sealed"),
        sa.column("note"),
    )
    try:
        schema.upgrade(engine, "0015_retraction_reason")
        with engine.begin() as connection:
            connection.execute(
                text(
                    "INSERT INTO organisations (id, code, name, kind, created_at) "
                    "VALUES (1, 'FR-MININT', 'FR', 'member', CURRENT_TIMESTAMP)"
                )
            )
            connection.execute(
                text(
                    "INSERT INTO users (id, email, name, password_hash, organisation_id, "
                    "active, must_change_password, totp_confirmed, totp_last_step, demo, "
                    "created_at) VALUES (1, 'a@fr.example', 'A', 'x', 1, true, false, false, "
                    "0, false, CURRENT_TIMESTAMP)"
                )
            )
            pair = {"org_id": 1, "first": "person:a:p1", "second": "person:b:p1", "note": ""}
            rows = [
                {"id": 1, "same": True, "decided_at": times[1]},  # stands
                {"id": 2, "same": False, "decided_at": times[2]},  # a later duplicate
                {"id": 3, "same": True, "decided_at": times[0], "revoked_at": times[1]},
                {"id": 4, "same": True, "decided_at": times[3], "second": "person:c:p1"},
                {"id": 5, "same": True, "decided_at": times[4]},  # another duplicate
            ]
            for row in rows:
                connection.execute(insert(before).values({**pair, "decided_by": 1, **row}))
        schema.upgrade(engine)
        with engine.begin() as connection:
            revoked = {
                row.id: row.revoked_at
                for row in connection.execute(select(decisions.c.id, decisions.c.revoked_at))
            }
            assert revoked == {1: None, 2: times[2], 3: times[1], 4: None, 5: times[4]}
            assert (
                connection.scalar(select(func.count()).where(decisions.c.revoked_by.is_not(None)))
                == 0
            )
        del pair["note"]
        with pytest.raises(IntegrityError), engine.begin() as connection:
            connection.execute(insert(decisions).values({**pair, "decided_by": 1, "same": True}))
    finally:
        engine.dispose()


SEALED_REASONS = {
    "access_requests": ("reason", "reason_sealed", "Asking about canary_request_reason"),
    "person_decisions": ("note", "note_sealed", "canary_decision_note: same birth date"),
    "bulletins": ("ended_reason", "ended_reason_sealed", "canary_retraction: wrong account"),
}


def timed(statement: str) -> sa.TextClause:
    """A statement whose ``:t`` is bound as the models bind times (Python 3.12 deprecates
    sqlite3's own datetime adapter, which an untyped parameter would use)."""
    return text(statement).bindparams(sa.bindparam("t", type_=UTCDateTime()))


@pytest.mark.parametrize("backend", BACKENDS)
def test_reasons_and_notes_are_sealed_by_the_upgrade(new_database, backend, master_key):
    """An access request's reason, a decision's note and a retraction's reason stored in clear
    before 0017 open after it through the services (the migration's contexts are theirs), no
    byte of them is left in their tables, and downgrading opens them back into clear."""
    from portal import create_app
    from portal.extensions import db
    from portal.models import AccessRequest, Bulletin
    from portal.services import sealed_text
    from portal.services.analysis import person_decisions
    from portal.services.bulletins import lifecycle

    url = new_database(backend)
    engine = make_engine(url)
    now = datetime(2026, 1, 2, tzinfo=UTC)
    try:
        schema.upgrade(engine, "0016_concurrency_uniques")
        with engine.begin() as connection:
            connection.execute(
                text(
                    "INSERT INTO organisations (id, code, name, kind, created_at) VALUES "
                    "(1, 'FR-MININT', 'FR', 'member', CURRENT_TIMESTAMP), "
                    "(2, 'IT-MININT', 'IT', 'member', CURRENT_TIMESTAMP)"
                )
            )
            connection.execute(
                text(
                    "INSERT INTO users (id, email, name, password_hash, organisation_id, "
                    "active, must_change_password, totp_confirmed, totp_last_step, demo, "
                    "created_at) VALUES (1, 'a@fr.example', 'A', 'x', 1, true, false, false, "
                    "0, false, CURRENT_TIMESTAMP)"
                )
            )
            bulletin = "b" * 32
            connection.execute(
                timed(
                    "INSERT INTO bulletins (id, sender_org_id, category, marking, created_at, "
                    "expires_at, state, ended_at, ended_reason, series_id, version, "
                    "content_size, entity_count, attachment_count, attachment_size, header, "
                    "signature, key_records) VALUES (:id, 2, 'other', 'TLP:AMBER', :t, :t, "
                    "'retracted', :t, :reason, :id, 1, 0, 0, 0, 0, :h, '', '[]')"
                ),
                {"id": bulletin, "t": now, "reason": SEALED_REASONS["bulletins"][2], "h": b""},
            )
            connection.execute(
                timed(
                    "INSERT INTO access_requests (id, bulletin_id, requester_org_id, "
                    "requester_id, reason, state, created_at) "
                    "VALUES (1, :b, 1, 1, :reason, 'declined', :t)"
                ),
                {"b": bulletin, "reason": SEALED_REASONS["access_requests"][2], "t": now},
            )
            connection.execute(
                timed(
                    "INSERT INTO person_decisions (id, org_id, first, second, same, note, "
                    "decided_by, decided_at) VALUES (1, 1, 'person:a:p1', 'person:b:p1', true, "
                    ":note, 1, :t), (2, 1, 'person:a:p2', 'person:b:p2', false, '', 1, :t)"
                ),
                {"note": SEALED_REASONS["person_decisions"][2], "t": now},
            )
        with pytest.raises(RuntimeError, match="db upgrade"):
            schema.upgrade(engine)  # no key: refused, nothing half done
        assert schema.current_revision(engine) == "0016_concurrency_uniques"
        schema.upgrade(engine, master_key=master_key)
        with engine.connect() as connection:
            for table, (clear, sealed, _) in SEALED_REASONS.items():
                columns = {c["name"] for c in sa.inspect(connection).get_columns(table)}
                assert clear not in columns and sealed in columns
                stored = b"".join(
                    bytes(v)
                    for v in connection.execute(
                        sa.select(sa.column(sealed)).select_from(sa.table(table))
                    ).scalars()
                    if v is not None
                )
                assert b"canary" not in stored and stored
            no_note = text("SELECT note_sealed FROM person_decisions WHERE id = 2")
            assert connection.execute(no_note).scalar() is None
        app = create_app(
            {"SECRET_KEY": "s", "SQLALCHEMY_DATABASE_URI": url, "MASTER_KEY": master_key}
        )
        with app.app_context():
            session = db.session()
            request = session.get_one(AccessRequest, 1)
            assert (
                sealed_text.open_text(
                    sealed_text.ACCESS_REQUEST_REASON,
                    sealed_text.access_request_context(
                        request.bulletin_id, request.requester_org_id
                    ),
                    request.reason_sealed,
                )
                == SEALED_REASONS["access_requests"][2]
            )
            decisions = {d.id: d for d in session.scalars(select(PersonDecision))}
            assert person_decisions.note_of(decisions[1]) == SEALED_REASONS["person_decisions"][2]
            assert person_decisions.note_of(decisions[2]) == ""
            retracted = session.get_one(Bulletin, bulletin)
            assert lifecycle.retraction_reason_of(retracted) == SEALED_REASONS["bulletins"][2]
            session.close()
        app.extensions["ischia.engine"].dispose()
        schema.downgrade(engine, "0016_concurrency_uniques", master_key=master_key)
        with engine.connect() as connection:
            for table, (clear, _, value) in SEALED_REASONS.items():
                found = (
                    connection.execute(sa.select(sa.column(clear)).select_from(sa.table(table)))
                    .scalars()
                    .all()
                )
                assert value in found, table
            notes = connection.execute(text("SELECT note FROM person_decisions ORDER BY id"))
            assert notes.scalars().all() == [SEALED_REASONS["person_decisions"][2], ""]
    finally:
        engine.dispose()
