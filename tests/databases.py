"""Emptying a test database, and snapshots of one to load into another.

A snapshot is every row of every table of the schema, plus the positions of PostgreSQL's
sequences: what a fixture built once per backend (see ``Worlds`` in ``tests/conftest.py``)
leaves behind. Loading it into an emptied database gives each test that state in a few
milliseconds, with the same ids, keys, sealed blobs and audit chain as if the test had built
it itself.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa

from portal.models import AuditHead, Base

_HEAD = AuditHead.__table__


def _sequences(connection: sa.Connection) -> list[str]:
    query = "SELECT sequencename FROM pg_sequences WHERE schemaname = current_schema()"
    return [row[0] for row in connection.exec_driver_sql(query)]


def _set_sequences(connection: sa.Connection, values: Sequence[tuple[str, int | None]]) -> None:
    """Each sequence to hand out ``value + 1`` next, or to start again at 1 for None (one
    round trip; ``setval`` writes no new file, unlike ``ALTER SEQUENCE ... RESTART``)."""
    if values:
        calls = ", ".join(
            f"setval('\"{name}\"', {int(value)})"
            if value is not None
            else f"setval('\"{name}\"', 1, false)"
            for name, value in values
        )
        connection.exec_driver_sql(f"SELECT {calls}")


def empty_database(engine: sa.Engine) -> None:
    """Delete every row and reset the audit head: each test starts from an empty schema.

    On PostgreSQL the sequences restart too, as ``TRUNCATE ... RESTART IDENTITY`` would;
    ``DELETE`` of the few rows a test leaves costs milliseconds where ``TRUNCATE`` of every
    table costs most of a second (it creates new files for each table and its indexes).
    """
    with engine.begin() as connection:
        if connection.dialect.name == "postgresql":
            # The referral ledger's trigger refuses every DELETE, as it should in the portal;
            # a test database is emptied as its owner, with user triggers off for this
            # transaction only.
            connection.exec_driver_sql("SET LOCAL session_replication_role = replica")
        for table in reversed(Base.metadata.sorted_tables):
            connection.execute(table.delete())
        if connection.dialect.name == "postgresql":
            _set_sequences(connection, [(name, None) for name in _sequences(connection)])
        connection.execute(sa.insert(_HEAD).values(id=1, seq=0, hash=bytes(32)))


@dataclass(frozen=True)
class Snapshot:
    """The rows of each table, in an order they can be inserted in, and the sequences."""

    tables: tuple[tuple[str, tuple[Mapping[str, Any], ...]], ...]
    sequences: tuple[tuple[str, int], ...]

    def rows(self, table: str) -> tuple[Mapping[str, Any], ...]:
        return dict(self.tables)[table]


def _insertion_order(table: sa.Table, rows: Sequence[Mapping[str, Any]]) -> list[Mapping[str, Any]]:
    """Rows that refer to rows of their own table (an amendment to the bulletin it supersedes)
    after the rows they refer to: the database checks each foreign key as the row goes in."""
    links = [
        (fk.parent.key, fk.column.key) for fk in table.foreign_keys if fk.column.table is table
    ]
    if not links:
        return list(rows)
    ordered: list[Mapping[str, Any]] = []
    placed: set[tuple[str, Any]] = set()
    waiting = list(rows)
    while waiting:
        ready = [
            row
            for row in waiting
            if all(row[child] is None or (parent, row[child]) in placed for child, parent in links)
        ]
        if not ready:
            raise ValueError(f"rows of {table.name} refer to rows that are not in the snapshot")
        for row in ready:
            ordered.append(row)
            placed.update((parent, row[parent]) for _, parent in links)
        waiting = [row for row in waiting if all(row is not r for r in ready)]
    return ordered


def take_snapshot(engine: sa.Engine) -> Snapshot:
    """Every row of every table of ``engine``'s database, read in one transaction."""
    with engine.connect() as connection:
        tables = []
        for table in Base.metadata.sorted_tables:
            rows = [dict(row) for row in connection.execute(sa.select(table)).mappings()]
            tables.append((table.name, tuple(_insertion_order(table, rows))))
        sequences: tuple[tuple[str, int], ...] = ()
        if connection.dialect.name == "postgresql":
            query = (
                "SELECT sequencename, last_value FROM pg_sequences"
                " WHERE schemaname = current_schema() AND last_value IS NOT NULL"
            )
            sequences = tuple((row[0], row[1]) for row in connection.exec_driver_sql(query))
    return Snapshot(tuple(tables), sequences)


def load_snapshot(engine: sa.Engine, snapshot: Snapshot) -> None:
    """Insert ``snapshot`` into ``engine``'s database, which must be empty (``empty_database``).

    Anything written since it was emptied makes this fail: the audit head has moved on, or a
    row collides with one of the snapshot's.
    """
    tables = Base.metadata.tables
    with engine.begin() as connection:
        (head,) = snapshot.rows(_HEAD.name)
        moved = connection.execute(
            sa.update(_HEAD)
            .where(_HEAD.c.id == head["id"], _HEAD.c.seq == 0)
            .values(seq=head["seq"], hash=head["hash"])
        )
        if moved.rowcount != 1:
            raise RuntimeError("a snapshot loads into an emptied database only")
        for name, rows in snapshot.tables:
            if rows and name != _HEAD.name:
                connection.execute(sa.insert(tables[name]), list(rows))
        if connection.dialect.name == "postgresql":
            _set_sequences(connection, snapshot.sequences)
