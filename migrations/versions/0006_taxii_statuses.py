"""TAXII 2.1 status resources.

Revision ID: 0006_taxii_statuses
Revises: 0005_api_tokens
Create Date: 2026-11-29
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0006_taxii_statuses"
down_revision = "0005_api_tokens"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "taxii_statuses",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("total", sa.Integer(), nullable=False),
        sa.Column("successes", sa.JSON(), nullable=False),
        sa.Column("failures", sa.JSON(), nullable=False),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_taxii_statuses_user_id_users")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_taxii_statuses")),
    )
    op.create_index(op.f("ix_taxii_statuses_user_id"), "taxii_statuses", ["user_id"], unique=False)


def downgrade() -> None:
    op.drop_index(op.f("ix_taxii_statuses_user_id"), table_name="taxii_statuses")
    op.drop_table("taxii_statuses")
