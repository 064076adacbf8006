"""Saved investigations sealed: their name, notes and nodes (identifier keys such as
``account:telegram:...`` or ``phone:+33...``) were stored in clear; they become one sealed
payload and a keyed blind-index token of the name (unique per organisation).

Existing rows are converted here, which needs the master key: ``flask db upgrade`` hands it
over (``schema.upgrade(engine, master_key=...)``). A database with investigations and no key
is refused, naming the command to run; an empty one needs none. The sealing is the one of
``portal.services.analysis.investigations``, written out here so that this migration keeps
doing what it did when the service changes.

Revision ID: 0013_sealed_investigation_nodes
Revises: 0012_referral_queue_index
Create Date: 2026-12-03
"""

from __future__ import annotations

import json

import sqlalchemy as sa
from alembic import context, op

from crypto.blindindex import BlindIndex
from crypto.secretbox import SecretBox, derive_key

revision = "0013_sealed_investigation_nodes"
down_revision = "0012_referral_queue_index"
branch_labels = None
depends_on = None

PURPOSE = b"investigations"


def _master_key(rows: int) -> bytes | None:
    key = context.config.attributes.get("master_key")
    if key is None and rows:
        raise RuntimeError(
            f"{rows} saved investigations must be sealed under the master key: "
            "run `flask --app wsgi db upgrade` (it reads the key), not Alembic alone."
        )
    return key


def _context(org_id: int) -> bytes:
    return b"investigation:org:%d" % org_id


def upgrade() -> None:
    connection = op.get_bind()
    old = connection.execute(
        sa.text("SELECT id, org_id, name, notes, nodes FROM investigations")
    ).all()
    key = _master_key(len(old))
    with op.batch_alter_table("investigations") as batch:
        batch.add_column(sa.Column("name_token", sa.LargeBinary(length=32), nullable=True))
        batch.add_column(sa.Column("sealed", sa.LargeBinary(), nullable=True))
    if old and key is not None:  # _master_key refused rows without a key
        box = SecretBox(key, PURPOSE)
        index = BlindIndex(derive_key(key, b"blind-index", 32))
        for row_id, org_id, name, notes, nodes in old:
            nodes = json.loads(nodes) if isinstance(nodes, str) else nodes
            plain = json.dumps({"name": name, "notes": notes, "nodes": nodes}).encode()
            connection.execute(
                sa.text("UPDATE investigations SET name_token = :t, sealed = :s WHERE id = :i"),
                {
                    "t": index.token(f"investigation:{org_id}:{name}"),
                    "s": box.seal(plain, _context(org_id)),
                    "i": row_id,
                },
            )
    with op.batch_alter_table("investigations") as batch:
        batch.drop_constraint("uq_investigations_org_id", type_="unique")
        batch.drop_column("name")
        batch.drop_column("notes")
        batch.drop_column("nodes")
        batch.alter_column("name_token", existing_type=sa.LargeBinary(length=32), nullable=False)
        batch.alter_column("sealed", existing_type=sa.LargeBinary(), nullable=False)
        batch.create_unique_constraint("uq_investigations_org_id", ["org_id", "name_token"])


def downgrade() -> None:
    connection = op.get_bind()
    sealed = connection.execute(sa.text("SELECT id, org_id, sealed FROM investigations")).all()
    key = _master_key(len(sealed))
    with op.batch_alter_table("investigations") as batch:
        batch.add_column(sa.Column("name", sa.String(length=120), nullable=True))
        batch.add_column(sa.Column("notes", sa.Text(), nullable=True))
        batch.add_column(sa.Column("nodes", sa.JSON(), nullable=True))
    if sealed and key is not None:
        box = SecretBox(key, PURPOSE)
        table = sa.table(
            "investigations",
            sa.column("id", sa.Integer()),
            sa.column("name", sa.String()),
            sa.column("notes", sa.Text()),
            sa.column("nodes", sa.JSON()),
        )
        for row_id, org_id, blob in sealed:
            opened = json.loads(box.open(blob, _context(org_id)))
            connection.execute(
                table.update()
                .where(table.c.id == row_id)
                .values(name=opened["name"], notes=opened["notes"], nodes=opened["nodes"])
            )
    with op.batch_alter_table("investigations") as batch:
        batch.drop_constraint("uq_investigations_org_id", type_="unique")
        batch.drop_column("name_token")
        batch.drop_column("sealed")
        batch.alter_column("name", existing_type=sa.String(length=120), nullable=False)
        batch.alter_column("notes", existing_type=sa.Text(), nullable=False)
        batch.alter_column("nodes", existing_type=sa.JSON(), nullable=False)
        batch.create_unique_constraint("uq_investigations_org_id", ["org_id", "name"])
