"""``flask seed-demo`` and ``flask demo totp``: demo data and demo second-factor codes."""

from __future__ import annotations

import click
from flask import current_app
from flask.cli import AppGroup, with_appcontext

from portal.cli.errors import reported
from portal.services import accounts, demo, mfa


@click.command("seed-demo")
@with_appcontext
def seed_demo() -> None:
    """Create the demo organisations and one demo user per role (idempotent)."""
    if current_app.config["PRODUCTION"]:
        raise click.ClickException("seed-demo is refused in production (ISCHIA_PRODUCTION is on)")
    orgs, users = demo.seed()
    click.echo(f"demo data: {orgs} organisations and {users} users created")


demo_group = AppGroup("demo", help="Helpers for the demo data.")


@demo_group.command("logins")
def logins() -> None:
    """Print the demo logins and their shared password."""
    click.echo(f"password for every demo user: {demo.DEMO_PASSWORD}")
    for login in demo.demo_logins():
        click.echo(f"  {login.email:<34} {login.role.label}")


@demo_group.command("totp")
@click.argument("email")
def totp(email: str) -> None:
    """Print the current second-factor code of a demo user (demo mode only)."""
    if not current_app.config["DEMO"]:
        raise click.ClickException("demo codes are shown only in demo mode (ISCHIA_DEMO=1)")
    with reported():
        user = accounts.user_by_email(email)
    if not user.demo:
        raise click.ClickException(f"--email: {user.email} is not a demo user")
    click.echo(mfa.current_code(user))
