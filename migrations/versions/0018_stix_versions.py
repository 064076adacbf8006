"""The STIX report a bulletin was sealed from over TAXII, and that report's version.

A client that posts the same report again (same id) with a newer ``modified`` amends the
bulletin it made, rather than sealing a new one; the same version again seals nothing. The
report's id and version are the source's identifiers, stored in the clear like the other
listing columns; what the report says stays sealed.

Revision ID: 0018_stix_versions
Revises: 0017_sealed_reasons
Create Date: 2026-12-03
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0018_stix_versions"
down_revision = "0017_sealed_reasons"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("bulletins") as batch:
        batch.add_column(sa.Column("stix_report_id", sa.String(120), nullable=True))
        batch.add_column(sa.Column("stix_modified", sa.String(40), nullable=True))
    op.create_index(
        "ix_bulletins_sender_stix_report", "bulletins", ["sender_org_id", "stix_report_id"]
    )


def downgrade() -> None:
    op.drop_index("ix_bulletins_sender_stix_report", table_name="bulletins")
    with op.batch_alter_table("bulletins") as batch:
        batch.drop_column("stix_modified")
        batch.drop_column("stix_report_id")
