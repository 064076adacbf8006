"""Briefing copies: who had which PDF made, from which bulletins, signed with which digests.

Revision ID: 0003_briefings
Revises: 0002_bulletins
Create Date: 2026-11-29
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003_briefings"
down_revision = "0002_bulletins"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "briefing_copies",
        sa.Column("id", sa.String(length=16), nullable=False),
        sa.Column("org_id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("finished_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("marking", sa.String(length=16), nullable=False),
        sa.Column("bulletin_ids", sa.JSON(), nullable=False),
        sa.Column("page_count", sa.Integer(), nullable=True),
        sa.Column("size", sa.Integer(), nullable=True),
        sa.Column("content_sha256", sa.String(length=64), nullable=True),
        sa.Column("pdf_sha256", sa.String(length=64), nullable=True),
        sa.Column("error", sa.String(length=300), nullable=True),
        sa.ForeignKeyConstraint(
            ["org_id"], ["organisations.id"], name=op.f("fk_briefing_copies_org_id_organisations")
        ),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_briefing_copies_user_id_users")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_briefing_copies")),
    )
    op.create_index(
        "ix_briefing_copies_user", "briefing_copies", ["user_id", "created_at"], unique=False
    )


def downgrade() -> None:
    op.drop_index("ix_briefing_copies_user", table_name="briefing_copies")
    op.drop_table("briefing_copies")
