"""``flask tokens create|list|revoke``: personal API tokens from the command line."""

from __future__ import annotations

import click
from flask.cli import AppGroup

from portal.cli.errors import reported
from portal.services.accounts import api_tokens
from portal.services.accounts import directory as accounts
from portal.services.principals import CLI

tokens_group = AppGroup("tokens", help="Personal API tokens: create (printed once), list, revoke.")


@tokens_group.command("create")
@click.argument("email")
@click.option("--name", required=True, help="What will use the token.")
@click.option(
    "--expires",
    "days",
    type=int,
    default=api_tokens.DEFAULT_DAYS,
    show_default=True,
    help=f"Days until it expires (at most {api_tokens.MAX_DAYS}).",
)
@click.option("--write", is_flag=True, help="Allow writing (post, acknowledge), not only reading.")
def create(email: str, name: str, days: int, write: bool) -> None:
    """Make a token for EMAIL and print it (it is never shown again)."""
    with reported():
        user = accounts.user_by_email(email)
        made = api_tokens.create(user, CLI, name, days=days, write=write)
    click.echo(made.token)
    click.echo(f"token {made.id} for {user.email}, expires {made.expires_at:%Y-%m-%d}", err=True)


@tokens_group.command("list")
@click.argument("email")
def list_tokens(email: str) -> None:
    """The tokens of EMAIL (never the secrets)."""
    with reported():
        user = accounts.user_by_email(email)
        for token in api_tokens.listed(user):
            state = "revoked" if token.revoked_at else f"expires {token.expires_at:%Y-%m-%d}"
            scope = "read,write" if token.can_write else "read"
            click.echo(f"{token.id}\t{token.prefix}…\t{token.name}\t{scope}\t{state}")


@tokens_group.command("revoke")
@click.argument("email")
@click.argument("token_id", type=int)
def revoke(email: str, token_id: int) -> None:
    """Revoke token TOKEN_ID of EMAIL."""
    with reported():
        api_tokens.revoke(accounts.user_by_email(email), CLI, token_id)
    click.echo(f"token {token_id} revoked")
