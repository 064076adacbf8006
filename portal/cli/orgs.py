"""``flask orgs``: organisations."""

from __future__ import annotations

import click
from flask.cli import AppGroup

from portal.cli.errors import reported
from portal.models import OrgKind
from portal.services.accounts import directory as accounts
from portal.services.principals import CLI
from portal.services.referrals import authorities
from portal.services.watchlists import mail

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


@orgs_group.command("mail-relay")
@click.option("--org", "org_code", required=True, help="The organisation's code, such as DE-BMI.")
@click.option("--host", default=None, help="The SMTP relay's host name or address.")
@click.option("--port", type=int, default=None, help="Its port (587 for STARTTLS, 25).")
@click.option("--from", "sender", default=None, help="The address watchlist e-mails come from.")
@click.option("--starttls/--no-starttls", default=True, show_default=True)
@click.option("--clear", is_flag=True, help="Send no e-mail: in-portal notifications only.")
def mail_relay(
    org_code: str,
    host: str | None,
    port: int | None,
    sender: str | None,
    starttls: bool,
    clear: bool,
) -> None:
    """Set or clear the SMTP relay through which an organisation's watchlist e-mails go."""
    if not clear and not host:
        raise click.UsageError("Give --host (with --port and --from), or --clear.")
    with reported():
        mail.set_relay(
            CLI, org_code, host=None if clear else host, port=port, sender=sender, starttls=starttls
        )
    click.echo(f"{org_code}: " + ("no mail relay" if clear else f"mail relay {host}:{port}"))
