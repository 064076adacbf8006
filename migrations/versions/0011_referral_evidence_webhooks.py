"""Sealed evidence on referral items (envelope and ciphertext chunks), and platforms' signed
webhooks: the endpoint, the deliveries queued for it and every attempt.

Revision ID: 0011_referral_evidence_webhooks
Revises: 0010_hash_banks
Create Date: 2026-12-03
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0011_referral_evidence_webhooks"
down_revision = "0010_hash_banks"
branch_labels = None
depends_on = None


def _fk(table: str, column: str, target: str, **kw: str) -> sa.ForeignKeyConstraint:
    return sa.ForeignKeyConstraint(
        [column], [f"{target}.id"], name=op.f(f"fk_{table}_{column}_{target}"), **kw
    )


def upgrade() -> None:
    op.create_table(
        "referral_evidence",
        sa.Column("id", sa.String(length=32), nullable=False),
        sa.Column("item_id", sa.String(length=32), nullable=False),
        sa.Column("referrer_org_id", sa.Integer(), nullable=False),
        sa.Column("platform_org_id", sa.Integer(), nullable=False),
        sa.Column("uploaded_by_id", sa.Integer(), nullable=False),
        sa.Column("uploaded_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("size", sa.Integer(), nullable=False),
        sa.Column("sealed_size", sa.Integer(), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("md5", sa.String(length=32), nullable=False),
        sa.Column("envelope", sa.Text(), nullable=False),
        _fk("referral_evidence", "item_id", "referral_items"),
        _fk("referral_evidence", "referrer_org_id", "organisations"),
        _fk("referral_evidence", "platform_org_id", "organisations"),
        _fk("referral_evidence", "uploaded_by_id", "users"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_referral_evidence")),
    )
    op.create_index(op.f("ix_referral_evidence_item_id"), "referral_evidence", ["item_id"])
    op.create_table(
        "referral_evidence_chunks",
        sa.Column("evidence_id", sa.String(length=32), nullable=False),
        sa.Column("seq", sa.Integer(), nullable=False),
        sa.Column("data", sa.LargeBinary(), nullable=False),
        _fk("referral_evidence_chunks", "evidence_id", "referral_evidence", ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("evidence_id", "seq", name=op.f("pk_referral_evidence_chunks")),
    )
    op.create_table(
        "webhook_endpoints",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("org_id", sa.Integer(), nullable=False),
        sa.Column("url", sa.String(length=2048), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("created_by_id", sa.Integer(), nullable=True),
        _fk("webhook_endpoints", "org_id", "organisations"),
        _fk("webhook_endpoints", "created_by_id", "users"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_webhook_endpoints")),
        sa.UniqueConstraint("org_id", name=op.f("uq_webhook_endpoints_org_id")),
    )
    op.create_table(
        "webhook_deliveries",
        sa.Column("id", sa.String(length=32), nullable=False),
        sa.Column("endpoint_id", sa.Integer(), nullable=False),
        sa.Column("event", sa.String(length=32), nullable=False),
        sa.Column("item_id", sa.String(length=32), nullable=True),
        sa.Column("dedupe", sa.String(length=80), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("next_attempt_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("delivered_at", sa.DateTime(timezone=True), nullable=True),
        _fk("webhook_deliveries", "endpoint_id", "webhook_endpoints", ondelete="CASCADE"),
        _fk("webhook_deliveries", "item_id", "referral_items"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_webhook_deliveries")),
        sa.UniqueConstraint(
            "endpoint_id", "dedupe", name=op.f("uq_webhook_deliveries_endpoint_id")
        ),
    )
    op.create_index(
        "ix_webhook_deliveries_state_next", "webhook_deliveries", ["state", "next_attempt_at"]
    )
    op.create_table(
        "webhook_attempts",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("delivery_id", sa.String(length=32), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("status_code", sa.Integer(), nullable=True),
        sa.Column("error", sa.String(length=300), nullable=True),
        sa.Column("duration_ms", sa.Integer(), nullable=False),
        sa.Column("next_attempt_at", sa.DateTime(timezone=True), nullable=True),
        _fk("webhook_attempts", "delivery_id", "webhook_deliveries", ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_webhook_attempts")),
    )
    op.create_index(op.f("ix_webhook_attempts_delivery_id"), "webhook_attempts", ["delivery_id"])


def downgrade() -> None:
    op.drop_index(op.f("ix_webhook_attempts_delivery_id"), table_name="webhook_attempts")
    op.drop_table("webhook_attempts")
    op.drop_index("ix_webhook_deliveries_state_next", table_name="webhook_deliveries")
    op.drop_table("webhook_deliveries")
    op.drop_table("webhook_endpoints")
    op.drop_table("referral_evidence_chunks")
    op.drop_index(op.f("ix_referral_evidence_item_id"), table_name="referral_evidence")
    op.drop_table("referral_evidence")
