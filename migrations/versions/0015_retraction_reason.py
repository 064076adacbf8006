"""A retracted bulletin's reason, shown on its tombstone to every recipient.

Revision ID: 0015_retraction_reason
Revises: 0014_login_throttle
Create Date: 2026-12-03
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0015_retraction_reason"
down_revision = "0014_login_throttle"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("bulletins") as batch:
        batch.add_column(sa.Column("ended_reason", sa.Text(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("bulletins") as batch:
        batch.drop_column("ended_reason")
