"""``flask audit``: verify the chain and print signed checkpoints."""

from __future__ import annotations

import sys
from typing import IO

import click
from flask.cli import AppGroup

from portal.cli.errors import reported
from portal.services import audit

audit_group = AppGroup("audit", help="Verify the tamper-evident audit log.")


@audit_group.command("verify")
@click.option(
    "--checkpoint",
    "checkpoint_file",
    type=click.File("r"),
    multiple=True,
    help="A checkpoint printed earlier by 'audit checkpoint'; repeat for several.",
)
def verify(checkpoint_file: tuple[IO[str], ...]) -> None:
    """Check every record; exit 1 naming the first one edited, deleted, inserted or reordered."""
    report = audit.verify_chain()
    problems = []
    if report.problem is not None:
        problems.append(f"record #{report.problem.seq}: {report.problem.message}")
    with reported():
        for handle in checkpoint_file:
            found = audit.check_against_checkpoint(handle.read())
            if found:
                problems.append(found)
    if problems:
        for problem in problems:
            click.echo(f"TAMPERED: {problem}", err=True)
        sys.exit(1)
    head = f"#{report.head_seq} {report.head_hash.hex()}"
    click.echo(f"audit chain intact: {report.count} records, head {head}")


@audit_group.command("checkpoint")
def checkpoint() -> None:
    """Print the current head, signed with keys that are not in the database. Keep it elsewhere."""
    with reported():
        click.echo(audit.checkpoint().to_json())
