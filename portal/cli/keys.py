"""``flask keys``: rotate an organisation's keys or the master key while the portal serves."""

from __future__ import annotations

import click
from flask.cli import AppGroup

from portal.cli.errors import reported
from portal.services.operations import key_rotation

keys_group = AppGroup("keys", help="Rotate organisation keys and the master key.")


@keys_group.command("rotate")
@click.option("--org", "org", required=True, help="The organisation's code.")
def rotate(org: str) -> None:
    """Give ORG a new key version, move every envelope to it and destroy the old private key.
    If a rotation was interrupted, this finishes it instead."""
    with reported():
        done = key_rotation.rotate_organisation(org)
    for line in done.resumed:
        click.echo(f"finished an interrupted rotation: {line}")
    click.echo(f"{done.org} keys rotated: v{done.old} -> v{done.new}")


@keys_group.command("rotate-master")
def rotate_master() -> None:
    """Write a new master key to the key file (the old one stays after it) and re-seal every
    key under it. If a rotation was interrupted, this finishes it. Then back up the key file,
    and run 'keys retire-master' once every portal process has restarted."""
    with reported():
        key_id = key_rotation.rotate_master()
    click.echo(f"master key rotated: every key is sealed under key {key_id}")
    click.echo("the previous key stays in the key file until 'flask keys retire-master'")


@keys_group.command("retire-master")
def retire_master() -> None:
    """Remove the previous master key from the key file (after re-sealing anything still
    sealed under it). Run it once every portal process has restarted after 'rotate-master'."""
    with reported():
        dropped = key_rotation.retire_previous_master_keys()
    click.echo(f"retired {dropped} previous master key(s)" if dropped else "no previous key held")
