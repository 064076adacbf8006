"""An index on when each bulletin reached each organisation (TAXII's date_added).

Revision ID: 0007_recipients_added_index
Revises: 0006_taxii_statuses
Create Date: 2026-11-29
"""

from __future__ import annotations

from alembic import op

revision = "0007_recipients_added_index"
down_revision = "0006_taxii_statuses"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index(
        "ix_bulletin_recipients_org_added",
        "bulletin_recipients",
        ["org_id", "added_at", "bulletin_id"],
        unique=False,
    )


def downgrade() -> None:
    op.drop_index("ix_bulletin_recipients_org_added", table_name="bulletin_recipients")
