"""Referrals and removal orders to platforms: referrals, their items, the cases that group
items naming the same content, the append-only ledger of each item's state changes, and the
competent-authority flag of organisations (Regulation (EU) 2021/784).

Revision ID: 0008_referrals
Revises: 0007_recipients_added_index
Create Date: 2026-12-03
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0008_referrals"
down_revision = "0007_recipients_added_index"
branch_labels = None
depends_on = None


def _fk(table: str, column: str, target: str) -> sa.ForeignKeyConstraint:
    return sa.ForeignKeyConstraint(
        [column], [f"{target}.id"], name=op.f(f"fk_{table}_{column}_{target}")
    )


def upgrade() -> None:
    with op.batch_alter_table("organisations") as batch:
        batch.add_column(
            sa.Column(
                "competent_authority", sa.Boolean(), nullable=False, server_default=sa.false()
            )
        )
    op.create_table(
        "referral_cases",
        sa.Column("id", sa.String(length=32), nullable=False),
        sa.Column("platform_org_id", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        _fk("referral_cases", "platform_org_id", "organisations"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_referral_cases")),
    )
    op.create_index(
        op.f("ix_referral_cases_platform_org_id"), "referral_cases", ["platform_org_id"]
    )
    op.create_table(
        "referral_case_keys",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("platform_org_id", sa.Integer(), nullable=False),
        sa.Column("key", sa.String(length=2100), nullable=False),
        sa.Column("case_id", sa.String(length=32), nullable=False),
        _fk("referral_case_keys", "platform_org_id", "organisations"),
        _fk("referral_case_keys", "case_id", "referral_cases"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_referral_case_keys")),
        sa.UniqueConstraint(
            "platform_org_id", "key", name=op.f("uq_referral_case_keys_platform_org_id")
        ),
    )
    op.create_index(op.f("ix_referral_case_keys_case_id"), "referral_case_keys", ["case_id"])
    op.create_table(
        "referrals",
        sa.Column("id", sa.String(length=32), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("referrer_org_id", sa.Integer(), nullable=False),
        sa.Column("referrer_user_id", sa.Integer(), nullable=False),
        sa.Column("platform_org_id", sa.Integer(), nullable=False),
        sa.Column("legal_basis", sa.Text(), nullable=True),
        sa.Column("received_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("statement", sa.Text(), nullable=False),
        _fk("referrals", "referrer_org_id", "organisations"),
        _fk("referrals", "referrer_user_id", "users"),
        _fk("referrals", "platform_org_id", "organisations"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_referrals")),
    )
    op.create_index(op.f("ix_referrals_platform_org_id"), "referrals", ["platform_org_id"])
    op.create_index(
        "ix_referrals_referrer_received", "referrals", ["referrer_org_id", "received_at"]
    )
    op.create_table(
        "referral_items",
        sa.Column("id", sa.String(length=32), nullable=False),
        sa.Column("referral_id", sa.String(length=32), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("platform_org_id", sa.Integer(), nullable=False),
        sa.Column("referrer_org_id", sa.Integer(), nullable=False),
        sa.Column("case_id", sa.String(length=32), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("url", sa.String(length=2048), nullable=False),
        sa.Column("url_key", sa.String(length=2100), nullable=False),
        sa.Column("account", sa.String(length=200), nullable=True),
        sa.Column("content_type", sa.String(length=16), nullable=False),
        sa.Column("category", sa.String(length=32), nullable=False),
        sa.Column("language", sa.String(length=3), nullable=True),
        sa.Column("attributed_group", sa.String(length=200), nullable=True),
        sa.Column("reason", sa.String(length=500), nullable=False),
        sa.Column("hashes", sa.JSON(), nullable=False),
        sa.Column("received_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("deadline_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("first_opened_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("claimed_by_id", sa.Integer(), nullable=True),
        sa.Column("claimed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("outcome", sa.String(length=32), nullable=True),
        sa.Column("outcome_countries", sa.JSON(), nullable=True),
        sa.Column("outcome_note", sa.Text(), nullable=True),
        sa.Column("decided_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("decided_by_id", sa.Integer(), nullable=True),
        _fk("referral_items", "referral_id", "referrals"),
        _fk("referral_items", "platform_org_id", "organisations"),
        _fk("referral_items", "referrer_org_id", "organisations"),
        _fk("referral_items", "case_id", "referral_cases"),
        _fk("referral_items", "claimed_by_id", "users"),
        _fk("referral_items", "decided_by_id", "users"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_referral_items")),
        sa.UniqueConstraint("referral_id", "position", name=op.f("uq_referral_items_referral_id")),
    )
    op.create_index(op.f("ix_referral_items_case_id"), "referral_items", ["case_id"])
    op.create_index(
        op.f("ix_referral_items_referrer_org_id"), "referral_items", ["referrer_org_id"]
    )
    op.create_index(
        "ix_referral_items_platform_deadline",
        "referral_items",
        ["platform_org_id", "deadline_at"],
    )
    op.create_table(
        "referral_ledger",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("item_id", sa.String(length=32), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("event", sa.String(length=32), nullable=False),
        sa.Column("org_id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=True),
        sa.Column("details", sa.JSON(), nullable=False),
        _fk("referral_ledger", "item_id", "referral_items"),
        _fk("referral_ledger", "org_id", "organisations"),
        _fk("referral_ledger", "user_id", "users"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_referral_ledger")),
    )
    op.create_index("ix_referral_ledger_item_id", "referral_ledger", ["item_id", "id"])
    if op.get_bind().dialect.name == "postgresql":
        # The ledger is append-only: the database refuses to change or remove an entry.
        op.execute(
            """
            CREATE FUNCTION referral_ledger_append_only() RETURNS trigger
            LANGUAGE plpgsql AS $$
            BEGIN
                RAISE EXCEPTION 'referral_ledger is append-only: % refused', TG_OP;
            END;
            $$
            """
        )
        op.execute(
            "CREATE TRIGGER referral_ledger_append_only BEFORE UPDATE OR DELETE "
            "ON referral_ledger FOR EACH ROW EXECUTE FUNCTION referral_ledger_append_only()"
        )


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP TRIGGER referral_ledger_append_only ON referral_ledger")
        op.execute("DROP FUNCTION referral_ledger_append_only()")
    op.drop_index("ix_referral_ledger_item_id", table_name="referral_ledger")
    op.drop_table("referral_ledger")
    op.drop_index("ix_referral_items_platform_deadline", table_name="referral_items")
    op.drop_index(op.f("ix_referral_items_referrer_org_id"), table_name="referral_items")
    op.drop_index(op.f("ix_referral_items_case_id"), table_name="referral_items")
    op.drop_table("referral_items")
    op.drop_index("ix_referrals_referrer_received", table_name="referrals")
    op.drop_index(op.f("ix_referrals_platform_org_id"), table_name="referrals")
    op.drop_table("referrals")
    op.drop_index(op.f("ix_referral_case_keys_case_id"), table_name="referral_case_keys")
    op.drop_table("referral_case_keys")
    op.drop_index(op.f("ix_referral_cases_platform_org_id"), table_name="referral_cases")
    op.drop_table("referral_cases")
    with op.batch_alter_table("organisations") as batch:
        batch.drop_column("competent_authority")
