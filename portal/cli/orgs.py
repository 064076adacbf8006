"""``flask orgs``: organisations."""

from __future__ import annotations

import click
from flask.cli import AppGroup

from portal.cli.errors import reported
from portal.models import OrgKind
from portal.services.accounts import directory as accounts
from portal.services.principals import CLI
from portal.services.referrals import authorities

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


@orgs_group.command("competent-authority")
@click.option("--org", "org_code", required=True, help="The organisation's code, such as DE-BMI.")
@click.option(
    "--set/--clear",
    "competent",
    default=None,
    help="Name it a competent authority that may issue removal orders (Regulation (EU) "
    "2021/784), or take that away.",
)
def competent_authority(org_code: str, competent: bool | None) -> None:
    """Set or clear an organisation's competent-authority flag (audited)."""
    if competent is None:
        raise click.UsageError("Give --set or --clear.")
    with reported():
        org = authorities.set_competent_authority(CLI, org_code, competent)
    if org.competent_authority:
        click.echo(f"{org.code} is a competent authority: it may issue removal orders")
    else:
        click.echo(f"{org.code} is not a competent authority: it may not issue removal orders")
