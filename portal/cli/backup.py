"""``flask backup``: a consistent online copy of the database, and its restore."""

from __future__ import annotations

from pathlib import Path

import click
from flask.cli import AppGroup

from portal.cli.errors import reported
from portal.extensions import db
from portal.services.operations import backup as backups

backup_group = AppGroup("backup", help="Back up the database, or restore a backup.")


@backup_group.command("create")
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
def create(file: Path) -> None:
    """Write a backup of the database to FILE while the portal runs. The master key is not in
    it: keep the key apart from the backups, or they open nothing."""
    with reported():
        manifest = backups.create(db.engine, file)
    click.echo(
        f"backup written to {file}: {manifest.backend}, schema {manifest.revision}, "
        f"audit head #{manifest.audit_seq}, {manifest.size} bytes"
    )


@backup_group.command("restore")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
def restore(file: Path) -> None:
    """Restore FILE into this portal's database, which must be new and empty. Start the portal
    with the master key of the portal that made the backup."""
    with reported():
        manifest = backups.restore(db.engine, file)
    click.echo(
        f"restored {file}: schema {manifest.revision} (now at head), audit head "
        f"#{manifest.audit_seq}. Run 'flask audit verify' next."
    )
