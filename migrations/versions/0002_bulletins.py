"""Bulletins: sealed envelopes in parts, recipients, wrapped keys, blind-index tokens,
attachments, reading activity, access requests, sharing groups, the keystore's blobs, and an
index for a user's own audit records (the dashboard lists their recent sign-ins).

Revision ID: 0002_bulletins
Revises: 0001_foundation
Create Date: 2026-11-29
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002_bulletins"
down_revision = "0001_foundation"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "key_blobs",
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("blob", sa.LargeBinary(), nullable=False),
        sa.PrimaryKeyConstraint("name", name=op.f("pk_key_blobs")),
    )
    op.create_table(
        "sharing_groups",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("owner_org_id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["owner_org_id"],
            ["organisations.id"],
            name=op.f("fk_sharing_groups_owner_org_id_organisations"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_sharing_groups")),
        sa.UniqueConstraint("owner_org_id", "name", name=op.f("uq_sharing_groups_owner_org_id")),
    )
    op.create_table(
        "bulletins",
        sa.Column("id", sa.String(length=32), nullable=False),
        sa.Column("sender_org_id", sa.Integer(), nullable=False),
        sa.Column("author_id", sa.Integer(), nullable=True),
        sa.Column("category", sa.String(length=32), nullable=False),
        sa.Column("marking", sa.String(length=20), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("ended_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("series_id", sa.String(length=32), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("supersedes_id", sa.String(length=32), nullable=True),
        sa.Column("content_size", sa.Integer(), nullable=False),
        sa.Column("entity_count", sa.Integer(), nullable=False),
        sa.Column("attachment_count", sa.Integer(), nullable=False),
        sa.Column("attachment_size", sa.Integer(), nullable=False),
        sa.Column("header", sa.LargeBinary(), nullable=False),
        sa.Column("signature", sa.Text(), nullable=False),
        sa.Column("content", sa.LargeBinary(), nullable=True),
        sa.Column("key_records", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(
            ["author_id"], ["users.id"], name=op.f("fk_bulletins_author_id_users")
        ),
        sa.ForeignKeyConstraint(
            ["sender_org_id"],
            ["organisations.id"],
            name=op.f("fk_bulletins_sender_org_id_organisations"),
        ),
        sa.ForeignKeyConstraint(
            ["supersedes_id"], ["bulletins.id"], name=op.f("fk_bulletins_supersedes_id_bulletins")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_bulletins")),
        sa.UniqueConstraint("supersedes_id", name=op.f("uq_bulletins_supersedes_id")),
    )
    with op.batch_alter_table("bulletins", schema=None) as batch_op:
        batch_op.create_index(
            "ix_bulletins_sender_created", ["sender_org_id", "created_at", "id"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_bulletins_series_id"), ["series_id"], unique=False)
        batch_op.create_index(
            "ix_bulletins_state_expires", ["state", "expires_at", "id"], unique=False
        )
        batch_op.create_index("ix_bulletins_category", ["category", "id"], unique=False)
        batch_op.create_index("ix_bulletins_marking", ["marking", "id"], unique=False)

    op.create_table(
        "sharing_group_members",
        sa.Column("group_id", sa.Integer(), nullable=False),
        sa.Column("org_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["group_id"],
            ["sharing_groups.id"],
            name=op.f("fk_sharing_group_members_group_id_sharing_groups"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["org_id"],
            ["organisations.id"],
            name=op.f("fk_sharing_group_members_org_id_organisations"),
        ),
        sa.PrimaryKeyConstraint("group_id", "org_id", name=op.f("pk_sharing_group_members")),
    )
    op.create_table(
        "access_requests",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("bulletin_id", sa.String(length=32), nullable=False),
        sa.Column("requester_org_id", sa.Integer(), nullable=False),
        sa.Column("requester_id", sa.Integer(), nullable=False),
        sa.Column("reason", sa.String(length=500), nullable=True),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("decided_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("decided_by_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["bulletin_id"],
            ["bulletins.id"],
            name=op.f("fk_access_requests_bulletin_id_bulletins"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["decided_by_id"], ["users.id"], name=op.f("fk_access_requests_decided_by_id_users")
        ),
        sa.ForeignKeyConstraint(
            ["requester_id"], ["users.id"], name=op.f("fk_access_requests_requester_id_users")
        ),
        sa.ForeignKeyConstraint(
            ["requester_org_id"],
            ["organisations.id"],
            name=op.f("fk_access_requests_requester_org_id_organisations"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_access_requests")),
    )
    with op.batch_alter_table("access_requests", schema=None) as batch_op:
        batch_op.create_index(
            "ix_access_requests_bulletin_org", ["bulletin_id", "requester_org_id"], unique=False
        )

    op.create_table(
        "acknowledgements",
        sa.Column("bulletin_id", sa.String(length=32), nullable=False),
        sa.Column("org_id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["bulletin_id"],
            ["bulletins.id"],
            name=op.f("fk_acknowledgements_bulletin_id_bulletins"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["org_id"], ["organisations.id"], name=op.f("fk_acknowledgements_org_id_organisations")
        ),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_acknowledgements_user_id_users")
        ),
        sa.PrimaryKeyConstraint("bulletin_id", "org_id", name=op.f("pk_acknowledgements")),
    )
    op.create_table(
        "attachments",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("bulletin_id", sa.String(length=32), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("size", sa.Integer(), nullable=False),
        sa.Column("sealed_size", sa.Integer(), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.ForeignKeyConstraint(
            ["bulletin_id"],
            ["bulletins.id"],
            name=op.f("fk_attachments_bulletin_id_bulletins"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_attachments")),
    )
    with op.batch_alter_table("attachments", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_attachments_bulletin_id"), ["bulletin_id"], unique=False
        )

    op.create_table(
        "bulletin_keys",
        sa.Column("bulletin_id", sa.String(length=32), nullable=False),
        sa.Column("org_code", sa.String(length=32), nullable=False),
        sa.Column("key_version", sa.Integer(), nullable=False),
        sa.Column("enc", sa.LargeBinary(), nullable=False),
        sa.ForeignKeyConstraint(
            ["bulletin_id"],
            ["bulletins.id"],
            name=op.f("fk_bulletin_keys_bulletin_id_bulletins"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint(
            "bulletin_id", "org_code", "key_version", name=op.f("pk_bulletin_keys")
        ),
    )
    with op.batch_alter_table("bulletin_keys", schema=None) as batch_op:
        batch_op.create_index(
            "ix_bulletin_keys_org_version", ["org_code", "key_version"], unique=False
        )

    op.create_table(
        "bulletin_recipients",
        sa.Column("bulletin_id", sa.String(length=32), nullable=False),
        sa.Column("org_id", sa.Integer(), nullable=False),
        sa.Column("via", sa.String(length=16), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("added_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("added_by_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["added_by_id"], ["users.id"], name=op.f("fk_bulletin_recipients_added_by_id_users")
        ),
        sa.ForeignKeyConstraint(
            ["bulletin_id"],
            ["bulletins.id"],
            name=op.f("fk_bulletin_recipients_bulletin_id_bulletins"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["org_id"],
            ["organisations.id"],
            name=op.f("fk_bulletin_recipients_org_id_organisations"),
        ),
        sa.PrimaryKeyConstraint("bulletin_id", "org_id", name=op.f("pk_bulletin_recipients")),
    )
    with op.batch_alter_table("bulletin_recipients", schema=None) as batch_op:
        batch_op.create_index(
            "ix_bulletin_recipients_org_created",
            ["org_id", "created_at", "bulletin_id", "via"],
            unique=False,
        )

    op.create_table(
        "bulletin_tokens",
        sa.Column("token", sa.LargeBinary(length=32), nullable=False),
        sa.Column("bulletin_id", sa.String(length=32), nullable=False),
        sa.ForeignKeyConstraint(
            ["bulletin_id"],
            ["bulletins.id"],
            name=op.f("fk_bulletin_tokens_bulletin_id_bulletins"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("token", "bulletin_id", name=op.f("pk_bulletin_tokens")),
    )
    with op.batch_alter_table("bulletin_tokens", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_bulletin_tokens_bulletin_id"), ["bulletin_id"], unique=False
        )

    op.create_table(
        "read_receipts",
        sa.Column("bulletin_id", sa.String(length=32), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("org_id", sa.Integer(), nullable=False),
        sa.Column("read_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["bulletin_id"],
            ["bulletins.id"],
            name=op.f("fk_read_receipts_bulletin_id_bulletins"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["org_id"], ["organisations.id"], name=op.f("fk_read_receipts_org_id_organisations")
        ),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_read_receipts_user_id_users")
        ),
        sa.PrimaryKeyConstraint("bulletin_id", "user_id", name=op.f("pk_read_receipts")),
    )
    with op.batch_alter_table("read_receipts", schema=None) as batch_op:
        batch_op.create_index("ix_read_receipts_user", ["user_id", "bulletin_id"], unique=False)
    op.create_table(
        "attachment_chunks",
        sa.Column("attachment_id", sa.Integer(), nullable=False),
        sa.Column("seq", sa.Integer(), nullable=False),
        sa.Column("data", sa.LargeBinary(), nullable=False),
        sa.ForeignKeyConstraint(
            ["attachment_id"],
            ["attachments.id"],
            name=op.f("fk_attachment_chunks_attachment_id_attachments"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("attachment_id", "seq", name=op.f("pk_attachment_chunks")),
    )
    with op.batch_alter_table("audit_records", schema=None) as batch_op:
        batch_op.create_index(
            "ix_audit_records_subject_user_seq", ["subject_user_id", "seq"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("audit_records", schema=None) as batch_op:
        batch_op.drop_index("ix_audit_records_subject_user_seq")
    for table in (
        "attachment_chunks",
        "read_receipts",
        "bulletin_tokens",
        "bulletin_recipients",
        "bulletin_keys",
        "attachments",
        "acknowledgements",
        "access_requests",
        "sharing_group_members",
        "bulletins",
        "sharing_groups",
        "key_blobs",
    ):
        op.drop_table(table)
