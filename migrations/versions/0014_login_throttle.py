"""Sign-in failures counted per e-mail address as typed (a keyed token) and client address, for
unknown addresses as for accounts, so that the throttle answers both alike.

The table only ever holds the last day's failures, which start again from none: the old rows
(per account, without the client address) are not carried over.

Revision ID: 0014_login_throttle
Revises: 0013_sealed_investigation_nodes
Create Date: 2026-12-03
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0014_login_throttle"
down_revision = "0013_sealed_investigation_nodes"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.drop_index("ix_login_failures_user_at", table_name="login_failures")
    op.drop_table("login_failures")
    op.create_table(
        "login_failures",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("subject", sa.LargeBinary(length=32), nullable=False),
        sa.Column("ip", sa.String(length=45), nullable=True),
        sa.Column("user_id", sa.Integer(), nullable=True),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_login_failures_user_id_users")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_login_failures")),
    )
    op.create_index("ix_login_failures_subject_at", "login_failures", ["subject", "at"])
    op.create_index("ix_login_failures_subject_ip_at", "login_failures", ["subject", "ip", "at"])


def downgrade() -> None:
    op.drop_index("ix_login_failures_subject_ip_at", table_name="login_failures")
    op.drop_index("ix_login_failures_subject_at", table_name="login_failures")
    op.drop_table("login_failures")
    op.create_table(
        "login_failures",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_login_failures_user_id_users")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_login_failures")),
    )
    op.create_index("ix_login_failures_user_at", "login_failures", ["user_id", "at"])
