"""``flask audit``: verify the chain, against every signed checkpoint, and sign checkpoints."""

from __future__ import annotations

import sys
from typing import IO

import click
from flask.cli import AppGroup

from portal.cli.errors import reported
from portal.services import audit
from portal.services.operations import anchors

audit_group = AppGroup("audit", help="Verify the tamper-evident audit log.")


@audit_group.command("verify")
@click.option(
    "--checkpoint",
    "checkpoint_file",
    type=click.File("r"),
    multiple=True,
    help="A checkpoint kept elsewhere (downloaded, or printed by 'audit checkpoint'); repeat "
    "for several. The ones in CHECKPOINT_DIR are always checked.",
)
def verify(checkpoint_file: tuple[IO[str], ...]) -> None:
    """Check every record, then the chain against every checkpoint given and stored; exit 1
    naming the first record edited, deleted, inserted or reordered, or the checkpoint that
    the log no longer matches."""
    report = audit.verify_chain()
    problems = []
    if report.problem is not None:
        problems.append(f"record #{report.problem.seq}: {report.problem.message}")
    with reported():
        for handle in checkpoint_file:
            found = anchors.check(handle.read(), f"checkpoint {handle.name}")
            if found:
                problems.append(found)
    problems.extend(anchors.check_stored())
    if problems:
        for problem in problems:
            click.echo(f"TAMPERED: {problem}", err=True)
        sys.exit(1)
    head = f"#{report.head_seq} {report.head_hash.hex()}"
    checked = len(checkpoint_file) + len(anchors.stored())
    click.echo(
        f"audit chain intact: {report.count} records, head {head}, "
        f"matches {checked} signed checkpoint(s)"
    )


@audit_group.command("checkpoint")
@click.option("--if-due", is_flag=True, help="Only if none was signed within the interval.")
def checkpoint(if_due: bool) -> None:
    """Sign the current head (keys not in the database), store it in CHECKPOINT_DIR and print
    it. Run hourly from cron; keep CHECKPOINT_DIR on other storage than the database."""
    with reported():
        if if_due and not anchors.due():
            click.echo("a checkpoint was signed within the interval: none needed", err=True)
            return
        point, path = anchors.anchor()
    click.echo(point.to_json())
    click.echo(f"stored in {path}", err=True)
