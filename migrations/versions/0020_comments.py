"""Comments and sightings on bulletins, sealed under the commented version's content key.

Revision ID: 0020_comments
Revises: 0018_stix_versions
Create Date: 2026-12-04
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0020_comments"
down_revision = "0018_stix_versions"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "bulletin_comments",
        sa.Column("id", sa.String(32), primary_key=True),
        sa.Column("series_id", sa.String(32), nullable=False),
        sa.Column(
            "bulletin_id",
            sa.String(32),
            sa.ForeignKey("bulletins.id", ondelete="CASCADE"),
            nullable=False,
        ),
        sa.Column("org_id", sa.Integer, sa.ForeignKey("organisations.id"), nullable=False),
        sa.Column("author_id", sa.Integer, sa.ForeignKey("users.id"), nullable=True),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("sealed", sa.LargeBinary, nullable=False),
        sa.Column("statement", sa.Text, nullable=False),
    )
    op.create_index(
        "ix_bulletin_comments_series_created",
        "bulletin_comments",
        ["series_id", "created_at", "id"],
    )
    op.create_index("ix_bulletin_comments_bulletin_id", "bulletin_comments", ["bulletin_id"])


def downgrade() -> None:
    op.drop_index("ix_bulletin_comments_bulletin_id", table_name="bulletin_comments")
    op.drop_index("ix_bulletin_comments_series_created", table_name="bulletin_comments")
    op.drop_table("bulletin_comments")
