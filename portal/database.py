"""The SQLAlchemy engine and request-scoped session, bound to a Flask app.

SQLite runs in WAL mode with foreign keys on, in files only the portal's user can read (0600).
Its transactions start deferred (readers never block each other), and :meth:`Database.write`
starts ``BEGIN IMMEDIATE`` so that a writer takes the write lock before it reads what it will
change: the read-then-write race that would otherwise fail with "database is locked" mid-
transaction cannot happen.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from flask import Flask, current_app
from flask.globals import app_ctx
from sqlalchemy import Engine, create_engine, event
from sqlalchemy.orm import Session, scoped_session, sessionmaker

_ENGINE_KEY = "ischia.engine"
_WRITE_OPTION = "ischia_write"


class _AppBoundSession(Session):
    """A session that always talks to the engine of the current Flask app."""

    def get_bind(self, *args: Any, **kwargs: Any) -> Engine:
        return current_app.extensions[_ENGINE_KEY]  # type: ignore[no-any-return]


def _app_scope() -> int:
    return id(app_ctx._get_current_object())  # type: ignore[attr-defined]


def make_engine(url: str, **options: Any) -> Engine:
    """Create an engine with Ischia's per-dialect settings."""
    if url.startswith("sqlite"):
        options.setdefault("connect_args", {}).setdefault("timeout", 30)
        engine = create_engine(url, **options)
        _private_sqlite_files(engine.url.database)
        _configure_sqlite(engine)
        return engine
    options.setdefault("pool_pre_ping", True)
    return create_engine(url, **options)


def _private_sqlite_files(database: str | None) -> None:
    """The SQLite file, its write-ahead log and shared memory are readable by the portal's user
    only (0600, like the master key): created so, or tightened if they were left wider.

    SQLite gives the -wal and -shm files the database file's mode when it creates them.
    """
    if not database or database == ":memory:" or database.startswith("file:"):
        return
    path = Path(database)
    if not path.parent.is_dir():
        return  # SQLite will say the directory is missing
    try:
        os.close(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600))
    except FileExistsError:
        pass
    for name in (path, path.with_name(path.name + "-wal"), path.with_name(path.name + "-shm")):
        try:
            if name.stat().st_mode & 0o077:
                name.chmod(0o600)
        except FileNotFoundError:
            continue


def _configure_sqlite(engine: Engine) -> None:
    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        # Let SQLAlchemy, not the sqlite3 module, decide when transactions begin.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA synchronous=FULL")
        cursor.execute("PRAGMA busy_timeout=30000")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(connection: Any) -> None:
        immediate = connection.get_execution_options().get(_WRITE_OPTION)
        connection.exec_driver_sql("BEGIN IMMEDIATE" if immediate else "BEGIN")


class Database:
    """Owns the engine of each app and one session per application context."""

    def __init__(self) -> None:
        self.session: scoped_session[Session] = scoped_session(
            sessionmaker(class_=_AppBoundSession, expire_on_commit=False),
            scopefunc=_app_scope,
        )

    def init_app(self, app: Flask) -> None:
        engine = make_engine(
            app.config["SQLALCHEMY_DATABASE_URI"], **app.config["SQLALCHEMY_ENGINE_OPTIONS"]
        )
        app.extensions[_ENGINE_KEY] = engine

        @app.teardown_appcontext
        def _remove_session(_exc: BaseException | None) -> None:
            self.session.remove()

    @property
    def engine(self) -> Engine:
        return current_app.extensions[_ENGINE_KEY]  # type: ignore[no-any-return]

    @contextmanager
    def write(self) -> Iterator[Session]:
        """One write transaction: commits on success, rolls back everything on error.

        On SQLite any read-only transaction still open is ended first, so that the write lock
        is taken at BEGIN and the data read inside is current; on PostgreSQL it goes on.
        """
        session = self.session()
        if session.in_transaction() and self.engine.dialect.name != "sqlite":
            # PostgreSQL (READ COMMITTED) lets the open transaction go on writing: each statement
            # sees what is committed, and ending it first would cost a commit and a checkout.
            # The commit is inside the try: a constraint that fails only at its final flush
            # (a duplicate name) is rolled back too, leaving the session usable afterwards.
            try:
                yield session
                session.commit()
            except BaseException:
                session.rollback()
                raise
            return
        if session.in_transaction():
            session.commit()
        with session.begin():
            session.connection(execution_options={_WRITE_OPTION: True})
            yield session
