"""What a service call left in the database, for the service-level tests.

Call inside an application context. :func:`snapshot` reads every row of every table on a
connection of its own, so only what was committed counts; :func:`unchanged` asserts that a
block (a refused call) committed nothing at all, audit records included.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from portal.extensions import db
from portal.models import AuditRecord, Base, Bulletin
from portal.services.principals import Actor, Reader

Snapshot = dict[str, list[tuple[Any, ...]]]


def snapshot() -> Snapshot:
    """Every committed row of every table, in primary-key order."""
    with db.engine.connect() as connection:
        return {
            table.name: [
                tuple(row)
                for row in connection.execute(select(table).order_by(*table.primary_key.columns))
            ]
            for table in Base.metadata.sorted_tables
        }


@contextmanager
def unchanged() -> Iterator[None]:
    """Assert that nothing was committed inside the block (put ``pytest.raises`` inside)."""
    before = snapshot()
    yield
    after = snapshot()
    changed = sorted(name for name in before if before[name] != after[name])
    assert not changed, f"rows written to {', '.join(changed)}"


def records(*events: str) -> list[AuditRecord]:
    """The committed audit records, oldest first (only ``events``, if named)."""
    query = select(AuditRecord).order_by(AuditRecord.seq)
    if events:
        query = query.where(AuditRecord.event.in_(events))
    with Session(db.engine) as session:
        return list(session.scalars(query))


def only_record(event: str) -> AuditRecord:
    """The one committed audit record of ``event`` (fails if there are none or several)."""
    found = records(event)
    assert len(found) == 1, f"{len(found)} records of {event}"
    return found[0]


def actor_of(reader: Reader, ip: str | None = None) -> Actor:
    """The actor a view builds for a signed-in reader."""
    return Actor(reader.user_id, reader.email, reader.org_id, ip)


def flip_content(bulletin_id: str) -> None:
    """Change one bit of a bulletin's stored ciphertext, as an attacker with the database might."""
    with db.write() as session:
        bulletin = session.get_one(Bulletin, bulletin_id)
        content = bulletin.content
        assert content is not None
        middle = len(content) // 2
        bulletin.content = content[:middle] + bytes([content[middle] ^ 1]) + content[middle + 1 :]
