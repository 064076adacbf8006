"""Watchlists: watched identifiers (blind-index token and sealed key only), the notifications
they bring, an outbox of e-mails sent after commit, and each organisation's mail relay.

Revision ID: 0021_watchlists
Revises: 0018_stix_versions
Create Date: 2026-12-04
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0021_watchlists"
down_revision = "0018_stix_versions"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("organisations") as batch:
        batch.add_column(sa.Column("smtp_host", sa.String(255), nullable=True))
        batch.add_column(sa.Column("smtp_port", sa.Integer(), nullable=True))
        batch.add_column(sa.Column("smtp_from", sa.String(254), nullable=True))
        batch.add_column(
            sa.Column("smtp_starttls", sa.Boolean(), nullable=False, server_default=sa.true())
        )
    op.create_table(
        "watches",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column(
            "user_id", sa.Integer(), sa.ForeignKey("users.id", ondelete="CASCADE"), nullable=False
        ),
        sa.Column("org_id", sa.Integer(), sa.ForeignKey("organisations.id"), nullable=False),
        sa.Column("token", sa.LargeBinary(32), nullable=False),
        sa.Column("sealed", sa.LargeBinary(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.UniqueConstraint("user_id", "token"),
    )
    op.create_index("ix_watches_user_id", "watches", ["user_id"])
    op.create_index("ix_watches_org_token", "watches", ["org_id", "token"])
    op.create_table(
        "watch_notifications",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column(
            "user_id", sa.Integer(), sa.ForeignKey("users.id", ondelete="CASCADE"), nullable=False
        ),
        sa.Column(
            "watch_id",
            sa.Integer(),
            sa.ForeignKey("watches.id", ondelete="SET NULL"),
            nullable=True,
        ),
        sa.Column(
            "bulletin_id",
            sa.String(32),
            sa.ForeignKey("bulletins.id", ondelete="CASCADE"),
            nullable=False,
        ),
        sa.Column("event", sa.String(16), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("seen_at", sa.DateTime(timezone=True), nullable=True),
        sa.UniqueConstraint("user_id", "bulletin_id"),
    )
    op.create_index(
        "ix_watch_notifications_user_seen", "watch_notifications", ["user_id", "seen_at"]
    )
    op.create_table(
        "watch_mails",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column(
            "notification_id",
            sa.Integer(),
            sa.ForeignKey("watch_notifications.id", ondelete="CASCADE"),
            nullable=False,
        ),
        sa.Column("state", sa.String(16), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("next_attempt_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("sent_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("last_error", sa.Text(), nullable=True),
    )
    op.create_index("ix_watch_mails_state_next", "watch_mails", ["state", "next_attempt_at"])


def downgrade() -> None:
    op.drop_index("ix_watch_mails_state_next", table_name="watch_mails")
    op.drop_table("watch_mails")
    op.drop_index("ix_watch_notifications_user_seen", table_name="watch_notifications")
    op.drop_table("watch_notifications")
    op.drop_index("ix_watches_org_token", table_name="watches")
    op.drop_index("ix_watches_user_id", table_name="watches")
    op.drop_table("watches")
    with op.batch_alter_table("organisations") as batch:
        batch.drop_column("smtp_starttls")
        batch.drop_column("smtp_from")
        batch.drop_column("smtp_port")
        batch.drop_column("smtp_host")
