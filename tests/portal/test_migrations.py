"""The schema comes from migrations: forward, back and forward again, matching the models."""

from __future__ import annotations

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext

from portal import schema
from portal.database import make_engine
from portal.models import Base
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
