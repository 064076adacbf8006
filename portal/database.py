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

from portal.group_commit import GroupCommit, Work

_ENGINE_KEY = "ischia.engine"
_GROUP_KEY = "ischia.group_commit"
_WRITE_OPTION = "ischia_write"


class _AppBoundSession(Session):
    """A session that always talks to the engine of the current Flask app."""

    def get_bind(self, *args: Any, **kwargs: Any) -> Engine:
        return current_app.extensions[_ENGINE_KEY]  # type: ignore[no-any-return]


def _app_scope() -> int:
    return id(app_ctx._get_current_object())  # type: ignore[attr-defined]


def make_engine(url: str, *, sqlite_synchronous: str = "FULL", **options: Any) -> Engine:
    """Create an engine with Ischia's per-dialect settings.

    ``sqlite_synchronous`` is SQLite's ``PRAGMA synchronous`` in WAL mode: ``FULL`` (the
    default) syncs the WAL at every commit, so a committed transaction survives a power cut;
    ``NORMAL`` syncs it only at checkpoints, so a commit survives a crash of the process but
    the last ones may be lost with the machine's power.
    """
    if url.startswith("sqlite"):
        if sqlite_synchronous not in ("FULL", "NORMAL", "EXTRA"):
            raise ValueError(
                f"SQLite synchronous must be FULL, NORMAL or EXTRA, not {sqlite_synchronous!r}"
            )
        options.setdefault("connect_args", {}).setdefault("timeout", 30)
        engine = create_engine(url, **options)
        _private_sqlite_files(engine.url.database)
        _configure_sqlite(engine, sqlite_synchronous)
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


def _configure_sqlite(engine: Engine, synchronous: str) -> None:
    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        # Let SQLAlchemy, not the sqlite3 module, decide when transactions begin.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute(f"PRAGMA synchronous={synchronous}")
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
            app.config["SQLALCHEMY_DATABASE_URI"],
            sqlite_synchronous=app.config.get("SQLITE_SYNCHRONOUS", "FULL"),
            **app.config["SQLALCHEMY_ENGINE_OPTIONS"],
        )
        app.extensions[_ENGINE_KEY] = engine
        # The engine is looked up at each commit: a test may swap the app's engine.
        app.extensions[_GROUP_KEY] = GroupCommit(
            lambda: self._write_apart(app.extensions[_ENGINE_KEY])
        )

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

    @staticmethod
    @contextmanager
    def _write_apart(engine: Engine) -> Iterator[Session]:
        """A write transaction on a session and connection of its own (not the request's)."""
        with Session(bind=engine, expire_on_commit=False) as session, session.begin():
            session.connection(execution_options={_WRITE_OPTION: True})
            yield session

    @property
    def group_commit(self) -> GroupCommit:
        return current_app.extensions[_GROUP_KEY]  # type: ignore[no-any-return]

    def commit_together(self, works: list[Work]) -> None:
        """Run ``works`` in a write transaction shared with other requests of this process
        (group commit, :mod:`portal.group_commit`); return once they are committed.

        On SQLite the request's own session may hold a read transaction begun before, whose
        snapshot would not show what was just committed on the group's connection: it is ended
        (as :meth:`write` ends it), so the request reads its own records afterwards. PostgreSQL
        reads each statement at read committed, so nothing is needed there."""
        self.group_commit.submit(works)
        session = self.session()
        if session.in_transaction() and session.get_bind().dialect.name == "sqlite":
            session.commit()
