"""Fixtures shared by the whole suite: one database per backend, apps built from a config."""

from __future__ import annotations

import os
import secrets
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Generic, TypeVar

import pytest
import sqlalchemy as sa
from flask import Flask
from jinja2 import BytecodeCache
from jinja2.bccache import Bucket
from sqlalchemy.engine import make_url
from werkzeug.routing import Rule

from portal import create_app, schema
from portal.database import make_engine
from tests.databases import Snapshot, empty_database, load_snapshot, take_snapshot

BACKENDS = ["sqlite"] + (["postgresql"] if os.environ.get("TEST_DATABASE_URL") else [])


def _own_redis_database() -> None:
    """Under pytest-xdist each worker gets a Redis database of its own (the job-queue tests
    empty theirs): worker gwN takes database B - N, B being TEST_REDIS_URL's (15 by default).
    Test modules read TEST_REDIS_URL when imported, after this conftest."""
    worker = os.environ.get("PYTEST_XDIST_WORKER", "")
    if not worker.startswith("gw"):
        return
    url = make_url(os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/15"))
    base = int(url.database or 15)
    index = base - int(worker[2:])
    if index < 0:
        raise RuntimeError(f"TEST_REDIS_URL's database {base} leaves none for worker {worker}")
    os.environ["TEST_REDIS_URL"] = url.set(database=str(index)).render_as_string(
        hide_password=False
    )


_own_redis_database()


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
        "CHECKPOINT_DIR": str(tmp_path / "checkpoints"),
        # The floor the policy allows: keeps the suite fast while testing the real algorithm.
        "ARGON2_MEMORY_COST_KIB": 19456,
        "ARGON2_TIME_COST": 2,
    }
    config.update(overrides)
    return config


test_config.__test__ = False  # type: ignore[attr-defined]


class CompiledTemplates(BytecodeCache):
    """Jinja's compiled templates, kept in memory for the whole session.

    Each test builds its own app, and each app's Jinja environment would compile every template
    it renders again (most of a page's first render). Jinja checks each entry against the
    template's source, so an edited template is compiled afresh.
    """

    def __init__(self) -> None:
        self._code: dict[str, bytes] = {}

    def load_bytecode(self, bucket: Bucket) -> None:
        code = self._code.get(bucket.key)
        if code is not None:
            bucket.bytecode_from_string(code)

    def dump_bytecode(self, bucket: Bucket) -> None:
        self._code[bucket.key] = bucket.bytecode_to_string()


TEMPLATES = CompiledTemplates()


def _share_url_builders() -> None:
    """Each test builds its own app, and Werkzeug compiles a URL builder for each of the
    portal's 700-odd rules in every app: nine tenths of ``create_app``'s time. A builder is
    Python code generated from the rule alone (its parsed parts, defaults and whether unknown
    arguments are appended) and takes the rule as its first argument, so the same rule gets
    the same function: the session keeps one per rule. The portal itself builds one app per
    process and is not changed."""
    original = Rule._compile_builder
    builders: dict[tuple[object, ...], Callable[..., tuple[str, str]]] = {}

    def shared(self: Rule, append_unknown: bool = True) -> Callable[..., tuple[str, str]]:
        defaults = tuple(sorted((k, repr(v)) for k, v in (self.defaults or {}).items()))
        key = (self.rule, self.host, self.subdomain, tuple(self._trace), defaults, append_unknown)
        builder = builders.get(key)
        if builder is None:
            builder = builders[key] = original(self, append_unknown)
        return builder

    Rule._compile_builder = shared  # type: ignore[method-assign]


_share_url_builders()


def new_app(config: dict[str, object]) -> Flask:
    """``create_app(config)`` sharing the session's compiled templates."""
    application = create_app(config)
    application.jinja_env.bytecode_cache = TEMPLATES
    return application


T = TypeVar("T")


@dataclass(frozen=True)
class World(Generic[T]):
    """A database state built once per backend, and what its builder returned (ids and such)."""

    name: str
    snapshot: Snapshot
    value: T

    def load(self, app: Flask) -> None:
        """Put this world into ``app``'s database, emptied by the ``app`` fixture."""
        load_snapshot(app.extensions["ischia.engine"], self.snapshot)


class Worlds:
    """Builds each named world once per backend, in a scratch database of its own.

    A builder gets an app on the emptied scratch database (with the world it is built ``on``
    loaded first) and does there what the fixture used to do in every test; the rows it leaves
    become the world's snapshot, which fixtures load into each test's own emptied database.
    """

    def __init__(self, make_database: Callable[[], str], master_key: bytes, tmp: Path) -> None:
        self._make_database = make_database
        self._url: str | None = None
        self._master_key = master_key
        self._tmp = tmp
        self._built: dict[str, World[object]] = {}

    def build(
        self, name: str, builder: Callable[[Flask], T], *, on: World[object] | None = None
    ) -> World[T]:
        if name in self._built:
            return self._built[name]  # type: ignore[return-value]
        if self._url is None:
            self._url = self._make_database()
        application = new_app(test_config(self._url, self._master_key, self._tmp / name))
        engine = application.extensions["ischia.engine"]
        try:
            empty_database(engine)
            if on is not None:
                on.load(application)
            value = builder(application)
            world = World(name, take_snapshot(engine), value)
        finally:
            engine.dispose()
        self._built[name] = world  # type: ignore[assignment]
        return world


@pytest.fixture(scope="session")
def worlds(
    database_url: str, new_database, master_key: bytes, tmp_path_factory: pytest.TempPathFactory
) -> Worlds:  # type: ignore[no-untyped-def]
    """The worlds of ``database_url``'s backend (built on first use, by the fixtures using them)."""
    backend = make_url(database_url).get_backend_name()

    def scratch() -> str:
        url = new_database(backend)
        engine = make_engine(url)
        schema.upgrade(engine)
        engine.dispose()
        return url

    return Worlds(scratch, master_key, tmp_path_factory.mktemp("worlds"))


@pytest.fixture(scope="session")
def shared_engine(database_url: str) -> Iterator[sa.Engine]:
    """The engine of every ``app`` of a backend: one pool and one SQL compilation cache, as for
    all requests of a portal process (a new engine per test compiled every statement again)."""
    engine = make_engine(database_url)
    yield engine
    engine.dispose()


@pytest.fixture
def app(
    database_url: str, master_key: bytes, tmp_path: Path, shared_engine: sa.Engine
) -> Iterator[object]:
    application = new_app(test_config(database_url, master_key, tmp_path))
    application.extensions["ischia.engine"].dispose()  # never connected
    application.extensions["ischia.engine"] = shared_engine
    empty_database(shared_engine)
    yield application


@pytest.fixture
def client(app):  # type: ignore[no-untyped-def]
    return app.test_client()


@pytest.fixture
def runner(app):  # type: ignore[no-untyped-def]
    return app.test_cli_runner()
