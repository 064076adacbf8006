"""Bulk intake of referrals (referral action days): a job per upload with its progress, and a
row per uploaded row, staged and then reported.

Revision ID: 0009_referral_bulk
Revises: 0008_referrals
Create Date: 2026-12-03
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0009_referral_bulk"
down_revision = "0008_referrals"
branch_labels = None
depends_on = None


def _fk(table: str, column: str, target: str) -> sa.ForeignKeyConstraint:
    return sa.ForeignKeyConstraint(
        [column], [f"{target}.id"], name=op.f(f"fk_{table}_{column}_{target}")
    )


def upgrade() -> None:
    op.create_table(
        "referral_bulk_jobs",
        sa.Column("id", sa.String(length=32), nullable=False),
        sa.Column("org_id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("platform_org_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("legal_basis", sa.Text(), nullable=True),
        sa.Column("label", sa.String(length=200), nullable=True),
        sa.Column("source_format", sa.String(length=8), nullable=False),
        sa.Column("filename", sa.String(length=200), nullable=True),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("rows_total", sa.Integer(), nullable=False),
        sa.Column("rows_done", sa.Integer(), nullable=False),
        sa.Column("accepted", sa.Integer(), nullable=False),
        sa.Column("duplicates", sa.Integer(), nullable=False),
        sa.Column("refused", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("finished_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("error", sa.String(length=300), nullable=True),
        _fk("referral_bulk_jobs", "org_id", "organisations"),
        _fk("referral_bulk_jobs", "user_id", "users"),
        _fk("referral_bulk_jobs", "platform_org_id", "organisations"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_referral_bulk_jobs")),
    )
    op.create_index(
        "ix_referral_bulk_jobs_org_created", "referral_bulk_jobs", ["org_id", "created_at"]
    )
    op.create_table(
        "referral_bulk_rows",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("job_id", sa.String(length=32), nullable=False),
        sa.Column("row", sa.Integer(), nullable=False),
        sa.Column("url", sa.String(length=2048), nullable=True),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("fields", sa.JSON(), nullable=True),
        sa.Column("item_id", sa.String(length=32), nullable=True),
        sa.Column("case_id", sa.String(length=32), nullable=True),
        sa.Column("column", sa.String(length=64), nullable=True),
        sa.Column("message", sa.String(length=500), nullable=True),
        _fk("referral_bulk_rows", "job_id", "referral_bulk_jobs"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_referral_bulk_rows")),
        sa.UniqueConstraint("job_id", "row", name=op.f("uq_referral_bulk_rows_job_id")),
    )


def downgrade() -> None:
    op.drop_table("referral_bulk_rows")
    op.drop_index("ix_referral_bulk_jobs_org_created", table_name="referral_bulk_jobs")
    op.drop_table("referral_bulk_jobs")
