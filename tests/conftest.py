"""Fixtures shared by the whole suite: one database per backend, apps built from a config."""

from __future__ import annotations

import os
import secrets
from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa
from sqlalchemy.engine import make_url

from portal import create_app, schema
from portal.database import make_engine
from portal.models import AuditHead, Base

BACKENDS = ["sqlite"] + (["postgresql"] if os.environ.get("TEST_DATABASE_URL") else [])


def _postgres_admin_url() -> str:
    url = os.environ["TEST_DATABASE_URL"]
    return url.replace("postgresql://", "postgresql+psycopg://", 1)


@pytest.fixture(scope="session")
def new_database(tmp_path_factory: pytest.TempPathFactory) -> Iterator[object]:
    """A factory of empty databases: ``new_database(backend)`` returns a URL; all are dropped."""
    created: list[str] = []
    admin = (
        make_engine(_postgres_admin_url(), isolation_level="AUTOCOMMIT")
        if len(BACKENDS) > 1
        else None
    )

    def make(backend: str) -> str:
        if backend == "sqlite":
            return f"sqlite:///{tmp_path_factory.mktemp('db') / 'ischia.db'}"
        assert admin is not None
        name = f"ischia_test_{secrets.token_hex(6)}"
        with admin.connect() as connection:
            connection.exec_driver_sql(f'CREATE DATABASE "{name}"')
        created.append(name)
        return (
            make_url(_postgres_admin_url()).set(database=name).render_as_string(hide_password=False)
        )

    yield make
    if admin is not None:
        with admin.connect() as connection:
            for name in created:
                connection.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.dispose()


@pytest.fixture(scope="session", params=BACKENDS)
def database_url(request: pytest.FixtureRequest, new_database) -> str:  # type: ignore[no-untyped-def]
    """A migrated database for each backend; tests get it emptied (see ``app``)."""
    url = new_database(request.param)
    engine = make_engine(url)
    schema.upgrade(engine)
    engine.dispose()
    return url


@pytest.fixture(scope="session")
def master_key() -> bytes:
    return secrets.token_bytes(32)


def test_config(
    database_url: str, master_key: bytes, tmp_path: Path, **overrides: object
) -> dict[str, object]:
    config: dict[str, object] = {
        "TESTING": True,
        "SECRET_KEY": secrets.token_urlsafe(32),
        "SQLALCHEMY_DATABASE_URI": database_url,
        "MASTER_KEY": master_key,
        "MASTER_KEY_FILE": str(tmp_path / "unused.key"),
        # The floor the policy allows: keeps the suite fast while testing the real algorithm.
        "ARGON2_MEMORY_COST_KIB": 19456,
        "ARGON2_TIME_COST": 2,
    }
    config.update(overrides)
    return config


test_config.__test__ = False  # type: ignore[attr-defined]


def empty_database(engine: sa.Engine) -> None:
    """Delete every row and reset the audit head: each test starts from an empty schema."""
    with engine.begin() as connection:
        if connection.dialect.name == "postgresql":
            names = ", ".join(f'"{t.name}"' for t in Base.metadata.sorted_tables)
            connection.exec_driver_sql(f"TRUNCATE {names} RESTART IDENTITY CASCADE")
        else:
            for table in reversed(Base.metadata.sorted_tables):
                connection.execute(table.delete())
        connection.execute(sa.insert(AuditHead).values(id=1, seq=0, hash=bytes(32)))


@pytest.fixture
def app(database_url: str, master_key: bytes, tmp_path: Path) -> Iterator[object]:
    application = create_app(test_config(database_url, master_key, tmp_path))
    engine = application.extensions["ischia.engine"]
    empty_database(engine)
    yield application
    engine.dispose()


@pytest.fixture
def client(app):  # type: ignore[no-untyped-def]
    return app.test_client()


@pytest.fixture
def runner(app):  # type: ignore[no-untyped-def]
    return app.test_cli_runner()
