"""``flask hashbanks``: create banks and say which organisations may read them."""

from __future__ import annotations

import click
from flask.cli import AppGroup

from portal.cli.errors import reported
from portal.services.hashbanks import banks
from portal.services.principals import CLI

hashbanks_group = AppGroup("hashbanks", help="Administer the shared hash banks.")


@hashbanks_group.command("create")
@click.option("--owner", required=True, help="Code of the owning organisation.")
@click.option("--name", required=True, help="The bank's name (unique for its owner).")
@click.option("--description", default=None)
@click.option("--reader", "readers", multiple=True, help="An organisation that may read it.")
def create(owner: str, name: str, description: str | None, readers: tuple[str, ...]) -> None:
    """Create a bank owned by an organisation."""
    with reported():
        bank = banks.create_bank(CLI, owner, name, description, readers)
    click.echo(f"created hash bank {bank.id} ({bank.name})")


@hashbanks_group.command("grant")
@click.argument("bank_id", type=int)
@click.argument("org")
def grant(bank_id: int, org: str) -> None:
    """Let ORG read bank BANK_ID."""
    with reported():
        banks.set_reader(CLI, bank_id, org, True)
    click.echo(f"{org.upper()} may read hash bank {bank_id}")


@hashbanks_group.command("revoke")
@click.argument("bank_id", type=int)
@click.argument("org")
def revoke(bank_id: int, org: str) -> None:
    """Stop ORG reading bank BANK_ID."""
    with reported():
        banks.set_reader(CLI, bank_id, org, False)
    click.echo(f"{org.upper()} may no longer read hash bank {bank_id}")


@hashbanks_group.command("list")
def list_() -> None:
    """List the banks, their owners, readers and live entries."""
    for bank, owner, readers, count in banks.all_banks():
        click.echo(f"{bank.id:>4} {owner:<12} {count:>9} {bank.name}  [{' '.join(readers)}]")
