"""Sealed reasons: three columns of free text that may name an entity were stored in clear.

- ``access_requests.reason`` (why an organisation asks for a bulletin) becomes
  ``reason_sealed``, bound to the bulletin and the asking organisation;
- ``person_decisions.note`` (an analyst's note on a same-person decision) becomes
  ``note_sealed``, bound to the organisation and the pair of mentions ("" becomes NULL);
- ``bulletins.ended_reason`` (a retraction's reason, on the tombstone) becomes
  ``ended_reason_sealed``, bound to the version's id.

Each is AES-256-GCM under its own key derived from the derivation root, the sealing of
``portal.services.sealed_text``, written out here so that this migration keeps doing what it did
when the service changes. Existing rows are converted, which needs the derivation root:
``flask db upgrade`` hands it over (``schema.upgrade(engine, master_key=...)``, the root that
``portal.vault.derivation_root`` finds). A database with text in these columns and no key is
refused, naming the command to run; one without needs none.

The audit records of earlier retractions named the reason in their details; they are left as
they are (the audit chain's hashes cover them, and migrations do not rewrite it).

Revision ID: 0017_sealed_reasons
Revises: 0016_concurrency_uniques
Create Date: 2026-12-03
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from alembic import context, op

from crypto.secretbox import SecretBox

revision = "0017_sealed_reasons"
down_revision = "0016_concurrency_uniques"
branch_labels = None
depends_on = None

ACCESS_REQUEST_REASON = b"access-request-reasons"
PERSON_DECISION_NOTE = b"person-decision-notes"
RETRACTION_REASON = b"retraction-reasons"

# (table, clear column, sealed column, the clear column's type)
COLUMNS = [
    ("access_requests", "reason", "reason_sealed", sa.String(length=500)),
    ("person_decisions", "note", "note_sealed", sa.String(length=500)),
    ("bulletins", "ended_reason", "ended_reason_sealed", sa.Text()),
]


def _access_request_context(bulletin_id: str, requester_org_id: int) -> bytes:
    return b"access-request:bulletin:%s:org:%d" % (bulletin_id.encode(), requester_org_id)


def _person_decision_context(org_id: int, first: str, second: str) -> bytes:
    return b"person-decision:org:%d:%s\n%s" % (org_id, first.encode(), second.encode())


def _retraction_context(bulletin_id: str) -> bytes:
    return b"retraction:bulletin:%s" % bulletin_id.encode()


def _root(rows: int) -> bytes | None:
    """The derivation root ``flask db upgrade`` passes as ``master_key``; None with no rows."""
    root = context.config.attributes.get("master_key")
    if root is None and rows:
        raise RuntimeError(
            f"{rows} reasons and notes must be sealed under the master key: "
            "run `flask --app wsgi db upgrade` (it reads the key), not Alembic alone."
        )
    return root


def _count(connection: sa.Connection, table: str, column: str, *, text: bool) -> int:
    """Rows of ``table`` with something in ``column`` (text: not NULL and not empty)."""
    value = sa.column(column, sa.Text() if text else sa.LargeBinary())
    where = value.is_not(None) & (value != "") if text else value.is_not(None)
    query = sa.select(sa.func.count()).select_from(sa.table(table, value)).where(where)
    return int(connection.execute(query).scalar() or 0)


def _rows(connection: sa.Connection, sql: str) -> list[Any]:
    return list(connection.execute(sa.text(sql)).all())


def upgrade() -> None:
    connection = op.get_bind()
    clear = sum(_count(connection, t, column, text=True) for t, column, _, _ in COLUMNS)
    root = _root(clear)
    for table, _, sealed, _ in COLUMNS:
        with op.batch_alter_table(table) as batch:
            batch.add_column(sa.Column(sealed, sa.LargeBinary(), nullable=True))
    if clear and root is not None:  # _root refused rows without a key
        requests = SecretBox(root, ACCESS_REQUEST_REASON)
        for row_id, bulletin_id, org_id, reason in _rows(
            connection,
            "SELECT id, bulletin_id, requester_org_id, reason FROM access_requests "
            "WHERE reason IS NOT NULL AND reason <> ''",
        ):
            connection.execute(
                sa.text("UPDATE access_requests SET reason_sealed = :s WHERE id = :i"),
                {
                    "s": requests.seal(
                        str(reason).encode(), _access_request_context(str(bulletin_id), int(org_id))
                    ),
                    "i": row_id,
                },
            )
        notes = SecretBox(root, PERSON_DECISION_NOTE)
        for row_id, org_id, first, second, note in _rows(
            connection,
            "SELECT id, org_id, first, second, note FROM person_decisions "
            "WHERE note IS NOT NULL AND note <> ''",
        ):
            connection.execute(
                sa.text("UPDATE person_decisions SET note_sealed = :s WHERE id = :i"),
                {
                    "s": notes.seal(
                        str(note).encode(),
                        _person_decision_context(int(org_id), str(first), str(second)),
                    ),
                    "i": row_id,
                },
            )
        reasons = SecretBox(root, RETRACTION_REASON)
        for bulletin_id, reason in _rows(
            connection,
            "SELECT id, ended_reason FROM bulletins "
            "WHERE ended_reason IS NOT NULL AND ended_reason <> ''",
        ):
            connection.execute(
                sa.text("UPDATE bulletins SET ended_reason_sealed = :s WHERE id = :i"),
                {
                    "s": reasons.seal(str(reason).encode(), _retraction_context(str(bulletin_id))),
                    "i": bulletin_id,
                },
            )
    for table, column, _, _ in COLUMNS:
        with op.batch_alter_table(table) as batch:
            batch.drop_column(column)


def downgrade() -> None:
    connection = op.get_bind()
    sealed = sum(_count(connection, t, column, text=False) for t, _, column, _ in COLUMNS)
    root = _root(sealed)
    for table, column, _, kind in COLUMNS:
        with op.batch_alter_table(table) as batch:
            batch.add_column(sa.Column(column, kind, nullable=True))
    if sealed and root is not None:
        requests = SecretBox(root, ACCESS_REQUEST_REASON)
        for row_id, bulletin_id, org_id, blob in _rows(
            connection,
            "SELECT id, bulletin_id, requester_org_id, reason_sealed FROM access_requests "
            "WHERE reason_sealed IS NOT NULL",
        ):
            context_bytes = _access_request_context(str(bulletin_id), int(org_id))
            connection.execute(
                sa.text("UPDATE access_requests SET reason = :t WHERE id = :i"),
                {"t": requests.open(bytes(blob), context_bytes).decode(), "i": row_id},
            )
        notes = SecretBox(root, PERSON_DECISION_NOTE)
        for row_id, org_id, first, second, blob in _rows(
            connection,
            "SELECT id, org_id, first, second, note_sealed FROM person_decisions "
            "WHERE note_sealed IS NOT NULL",
        ):
            context_bytes = _person_decision_context(int(org_id), str(first), str(second))
            connection.execute(
                sa.text("UPDATE person_decisions SET note = :t WHERE id = :i"),
                {"t": notes.open(bytes(blob), context_bytes).decode(), "i": row_id},
            )
        reasons = SecretBox(root, RETRACTION_REASON)
        for bulletin_id, blob in _rows(
            connection,
            "SELECT id, ended_reason_sealed FROM bulletins WHERE ended_reason_sealed IS NOT NULL",
        ):
            text = reasons.open(bytes(blob), _retraction_context(str(bulletin_id)))
            connection.execute(
                sa.text("UPDATE bulletins SET ended_reason = :t WHERE id = :i"),
                {"t": text.decode(), "i": bulletin_id},
            )
    connection.execute(sa.text("UPDATE person_decisions SET note = '' WHERE note IS NULL"))
    with op.batch_alter_table("person_decisions") as batch:
        batch.alter_column("note", existing_type=sa.String(length=500), nullable=False)
    for table, _, column, _ in COLUMNS:
        with op.batch_alter_table(table) as batch:
            batch.drop_column(column)
