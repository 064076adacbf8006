"""One key rotation at a time across every process and host: a PostgreSQL advisory lock, or
an exclusive file lock beside the SQLite database (the database's own hosts share its file)."""

from __future__ import annotations

import fcntl
import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from sqlalchemy import Engine, text

from portal.services.errors import Conflict

# An arbitrary 64-bit number that names Ischia's key-rotation lock among advisory locks.
ROTATION_LOCK_ID = 0x15C41A_0001


@contextmanager
def rotation_lock(engine: Engine) -> Iterator[None]:
    """Held for the whole rotation; a second rotation is refused at once, not queued."""
    busy = Conflict("another key rotation is running: wait for it to finish, then run it again")
    if engine.dialect.name == "postgresql":
        with engine.connect() as connection:
            got = connection.scalar(
                text("SELECT pg_try_advisory_lock(:id)"), {"id": ROTATION_LOCK_ID}
            )
            connection.commit()
            if not got:
                raise busy
            try:
                yield
            finally:
                connection.execute(text("SELECT pg_advisory_unlock(:id)"), {"id": ROTATION_LOCK_ID})
                connection.commit()
        return
    database = engine.url.database
    path = Path(f"{database}.rotation-lock") if database and database != ":memory:" else None
    if path is None:
        yield
        return
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise busy from None
        yield
    finally:
        os.close(fd)
