"""``flask db``: apply or revert the schema migrations."""

from __future__ import annotations

import click
from flask.cli import AppGroup
from sqlalchemy.exc import SQLAlchemyError

from portal import schema, vault
from portal.extensions import db


def _sealing_root() -> bytes | None:
    """What migrations that seal stored rows derive their keys from, as the portal does (the
    derivation root, stable across master-key rotations); None before the tables exist."""
    try:
        return vault.derivation_root()
    except SQLAlchemyError:
        db.session.rollback()
        return None


db_group = AppGroup("db", help="Create, upgrade or downgrade the database schema.")


@db_group.command("upgrade")
@click.argument("revision", default="head")
def upgrade(revision: str) -> None:
    """Apply migrations up to REVISION (default: the latest)."""
    schema.upgrade(db.engine, revision, master_key=_sealing_root())
    click.echo(f"database at revision {schema.current_revision(db.engine)}")


@db_group.command("downgrade")
@click.argument("revision")
def downgrade(revision: str) -> None:
    """Revert migrations down to REVISION ('base' removes every table)."""
    schema.downgrade(db.engine, revision, master_key=_sealing_root())
    click.echo(f"database at revision {schema.current_revision(db.engine)}")


@db_group.command("current")
def current() -> None:
    """Print the revision the database is at."""
    click.echo(schema.current_revision(db.engine) or "base (empty)")
