"""Running the Alembic migrations in ``migrations/`` against the app's database."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Connection, Engine, text

from portal import REPOSITORY

MIGRATIONS = REPOSITORY / "migrations"


def _config(connection: Connection, master_key: bytes | None = None) -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.attributes["connection"] = connection
    # Migrations that seal data already stored read the master key here (None: not given).
    config.attributes["master_key"] = master_key
    return config


@contextmanager
def _migration_connection(engine: Engine) -> Iterator[Connection]:
    with engine.connect() as connection:
        if connection.dialect.name != "sqlite":
            yield connection
            return
        # Batch migrations rebuild tables, so foreign keys are checked once at the end instead.
        # The pragma only works outside a transaction: send it on the raw driver connection.
        raw = connection.connection.driver_connection
        if raw is None:  # only for a connection already closed or invalidated
            raise RuntimeError("no open SQLite connection to migrate")
        raw.execute("PRAGMA foreign_keys=OFF")
        try:
            yield connection
        finally:
            connection.commit()
            problems = raw.execute("PRAGMA foreign_key_check").fetchall()
            raw.execute("PRAGMA foreign_keys=ON")
        if problems:
            raise RuntimeError(f"foreign key violations after migration: {problems}")


def upgrade(engine: Engine, revision: str = "head", *, master_key: bytes | None = None) -> None:
    with _migration_connection(engine) as connection:
        command.upgrade(_config(connection, master_key), revision)


def downgrade(engine: Engine, revision: str, *, master_key: bytes | None = None) -> None:
    with _migration_connection(engine) as connection:
        command.downgrade(_config(connection, master_key), revision)


def current_revision(engine: Engine) -> str | None:
    with engine.connect() as connection:
        return MigrationContext.configure(connection).get_current_revision()


def head_revision() -> str | None:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    return ScriptDirectory.from_config(config).get_current_head()


def is_current(engine: Engine) -> bool:
    return current_revision(engine) == head_revision()


def table_names(engine: Engine) -> list[str]:
    with engine.connect() as connection:
        if connection.dialect.name == "sqlite":
            rows = connection.execute(text("SELECT name FROM sqlite_master WHERE type='table'"))
        else:
            rows = connection.execute(
                text("SELECT tablename FROM pg_tables WHERE schemaname = current_schema()")
            )
        return sorted(row[0] for row in rows)
