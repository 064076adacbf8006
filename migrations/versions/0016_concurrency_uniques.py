"""Unique indexes that leave one result when two people act on the same thing at once.

- ``bulletins (series_id, version)``: one row per version of a series. It replaces the plain
  index on ``series_id`` (the new one serves the same lookups). No existing database can hold
  two rows with one series and version: every amendment supersedes exactly one version (the
  unique ``supersedes_id``) and takes its series and its version + 1. The upgrade checks
  anyway and stops with the duplicated series named, rather than touch sealed bulletins.
- ``person_decisions (org_id, first, second) WHERE revoked_at IS NULL``: at most one live
  "same person" decision per pair. Two analysts deciding at the same moment could store two
  before this index (PostgreSQL's READ COMMITTED let both see none). The upgrade first
  revokes each later duplicate, keeping the earliest decision, which stood first: the later
  row is kept on record with ``revoked_at`` set to its own ``decided_at`` (it never took
  effect) and no ``revoked_by`` (no person revoked it; this upgrade did). No audit record is
  written: the audit chain is the portal's, and migrations do not extend it.

Revision ID: 0016_concurrency_uniques
Revises: 0015_retraction_reason
Create Date: 2026-12-03
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0016_concurrency_uniques"
down_revision = "0015_retraction_reason"
branch_labels = None
depends_on = None

_LIVE = "revoked_at IS NULL"


def _refuse_duplicate_versions() -> None:
    duplicate = (
        op.get_bind()
        .execute(
            sa.text(
                "SELECT series_id, version FROM bulletins GROUP BY series_id, version "
                "HAVING COUNT(*) > 1 ORDER BY series_id, version"
            )
        )
        .first()
    )
    if duplicate is not None:
        raise RuntimeError(
            f"Bulletin series {duplicate[0]} has more than one version {duplicate[1]}: "
            "this database was changed outside the portal. Nothing was migrated."
        )


def _revoke_duplicate_decisions() -> None:
    op.execute(
        "UPDATE person_decisions SET revoked_at = decided_at "
        "WHERE revoked_at IS NULL AND EXISTS ("
        "SELECT 1 FROM person_decisions AS earlier "
        "WHERE earlier.org_id = person_decisions.org_id "
        "AND earlier.first = person_decisions.first "
        "AND earlier.second = person_decisions.second "
        "AND earlier.revoked_at IS NULL AND earlier.id < person_decisions.id)"
    )


def upgrade() -> None:
    _refuse_duplicate_versions()
    op.drop_index("ix_bulletins_series_id", table_name="bulletins")
    op.create_index(
        "uq_bulletins_series_version", "bulletins", ["series_id", "version"], unique=True
    )
    _revoke_duplicate_decisions()
    op.create_index(
        "uq_person_decisions_live_pair",
        "person_decisions",
        ["org_id", "first", "second"],
        unique=True,
        sqlite_where=sa.text(_LIVE),
        postgresql_where=sa.text(_LIVE),
    )


def downgrade() -> None:
    op.drop_index("uq_person_decisions_live_pair", table_name="person_decisions")
    op.drop_index("uq_bulletins_series_version", table_name="bulletins")
    op.create_index("ix_bulletins_series_id", "bulletins", ["series_id"], unique=False)
