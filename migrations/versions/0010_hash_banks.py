"""Shared hash banks: banks, the organisations that may read them, and their entries (MD5,
SHA-256 and PDQ hashes, removed entries kept for incremental download).

Revision ID: 0010_hash_banks
Revises: 0009_referral_bulk
Create Date: 2026-12-03
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0010_hash_banks"
down_revision = "0009_referral_bulk"
branch_labels = None
depends_on = None


def _fk(table: str, column: str, target: str) -> sa.ForeignKeyConstraint:
    return sa.ForeignKeyConstraint(
        [column], [f"{target}.id"], name=op.f(f"fk_{table}_{column}_{target}")
    )


def upgrade() -> None:
    op.create_table(
        "hash_banks",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("owner_org_id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=120), nullable=False),
        sa.Column("description", sa.Text(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("change_counter", sa.Integer(), nullable=False),
        sa.Column("live_entries", sa.Integer(), nullable=False),
        _fk("hash_banks", "owner_org_id", "organisations"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_hash_banks")),
        sa.UniqueConstraint("owner_org_id", "name", name=op.f("uq_hash_banks_owner_org_id")),
    )
    op.create_table(
        "hash_bank_readers",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("bank_id", sa.Integer(), nullable=False),
        sa.Column("org_id", sa.Integer(), nullable=False),
        _fk("hash_bank_readers", "bank_id", "hash_banks"),
        _fk("hash_bank_readers", "org_id", "organisations"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_hash_bank_readers")),
        sa.UniqueConstraint("bank_id", "org_id", name=op.f("uq_hash_bank_readers_bank_id")),
    )
    op.create_index(op.f("ix_hash_bank_readers_org_id"), "hash_bank_readers", ["org_id"])
    op.create_table(
        "hash_entries",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("bank_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=8), nullable=False),
        sa.Column("value", sa.String(length=64), nullable=False),
        sa.Column("quality", sa.Integer(), nullable=True),
        sa.Column("low_quality", sa.Boolean(), nullable=False),
        sa.Column("label", sa.String(length=200), nullable=True),
        sa.Column("case_id", sa.String(length=32), nullable=True),
        sa.Column("item_id", sa.String(length=32), nullable=True),
        sa.Column("added_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("added_by_id", sa.Integer(), nullable=True),
        sa.Column("added_by_org_id", sa.Integer(), nullable=True),
        sa.Column("removed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("removed_by_id", sa.Integer(), nullable=True),
        sa.Column("change_seq", sa.Integer(), nullable=False),
        _fk("hash_entries", "bank_id", "hash_banks"),
        _fk("hash_entries", "case_id", "referral_cases"),
        _fk("hash_entries", "item_id", "referral_items"),
        _fk("hash_entries", "added_by_id", "users"),
        _fk("hash_entries", "added_by_org_id", "organisations"),
        _fk("hash_entries", "removed_by_id", "users"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_hash_entries")),
    )
    op.create_index("ix_hash_entries_bank_change", "hash_entries", ["bank_id", "change_seq"])
    op.create_index("ix_hash_entries_kind_value", "hash_entries", ["kind", "value"])


def downgrade() -> None:
    op.drop_index("ix_hash_entries_kind_value", table_name="hash_entries")
    op.drop_index("ix_hash_entries_bank_change", table_name="hash_entries")
    op.drop_table("hash_entries")
    op.drop_index(op.f("ix_hash_bank_readers_org_id"), table_name="hash_bank_readers")
    op.drop_table("hash_bank_readers")
    op.drop_table("hash_banks")
