"""``flask orgs``: organisations."""

from __future__ import annotations

import click
from flask.cli import AppGroup

from portal.cli.errors import reported
from portal.models import OrgKind
from portal.services.accounts import directory as accounts
from portal.services.principals import CLI

orgs_group = AppGroup("orgs", help="Create and list organisations.")


@orgs_group.command("create")
@click.option("--code", required=True, help="Short code such as FR-MININT.")
@click.option("--name", required=True, help="Full name.")
@click.option(
    "--kind", type=click.Choice([k.value for k in OrgKind]), default="member", show_default=True
)
@click.option("--country", default=None, help="ISO 3166 two-letter country code.")
def create(code: str, name: str, kind: str, country: str | None) -> None:
    """Create an organisation."""
    with reported():
        org = accounts.create_organisation(CLI, code=code, name=name, kind=kind, country=country)
    click.echo(f"created organisation {org.code} ({org.kind.value})")


@orgs_group.command("list")
def list_() -> None:
    """List organisations."""
    for org in accounts.list_organisations():
        click.echo(f"{org.code:<12} {org.kind.value:<9} {org.country or '--':<3} {org.name}")
