"""The platform queue's index: a platform's items by state, then deadline, with their case, so
the open items due first (and their cases) are read from the index alone, without walking the
platform's decided history that sorts before them.

Revision ID: 0012_referral_queue_index
Revises: 0011_referral_evidence_webhooks
Create Date: 2026-12-03
"""

from __future__ import annotations

from alembic import op

revision = "0012_referral_queue_index"
down_revision = "0011_referral_evidence_webhooks"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index(
        "ix_referral_items_platform_state_deadline",
        "referral_items",
        ["platform_org_id", "state", "deadline_at", "case_id"],
    )


def downgrade() -> None:
    op.drop_index("ix_referral_items_platform_state_deadline", table_name="referral_items")
