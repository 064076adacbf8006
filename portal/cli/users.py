"""``flask users``: create, list, disable and enable users."""

from __future__ import annotations

import secrets
import sys

import click
from flask.cli import AppGroup

from portal.cli.errors import reported
from portal.models import Role
from portal.services.accounts import directory as accounts
from portal.services.accounts import mfa
from portal.services.principals import CLI

users_group = AppGroup("users", help="Create and manage users.")


@users_group.command("create")
@click.option("--org", "org_code", required=True, help="Organisation code, such as FR-MININT.")
@click.option("--email", required=True)
@click.option("--name", default=None, help="Full name (default: the e-mail address).")
@click.option(
    "--role",
    "roles",
    multiple=True,
    required=True,
    type=click.Choice([r.value for r in Role]),
    help="A role; repeat for several.",
)
@click.option("--password-stdin", is_flag=True, help="Read the password from standard input.")
@click.option(
    "--print-totp-uri",
    is_flag=True,
    help="Enrol the second factor now and print its otpauth:// URI.",
)
def create(
    org_code: str,
    email: str,
    name: str | None,
    roles: tuple[str, ...],
    password_stdin: bool,
    print_totp_uri: bool,
) -> None:
    """Create a user. Without --password-stdin a temporary password is generated and printed."""
    if password_stdin:
        password = sys.stdin.readline().rstrip("\r\n")
        temporary = False
    else:
        password = secrets.token_urlsafe(18)
        temporary = True
    with reported():
        user = accounts.create_user(
            CLI,
            org_code=org_code,
            email=email,
            name=name or email,
            roles=roles,
            password=password,
            must_change_password=temporary,
            enrol_totp=print_totp_uri,
        )
    click.echo(f"created {user.email} in {user.organisation.code} with roles {', '.join(roles)}")
    if temporary:
        click.echo(f"temporary password (must be changed at first sign-in): {password}")
    if print_totp_uri:
        click.echo(mfa.provisioning_uri(user))


@users_group.command("list")
@click.option("--org", "org_code", required=True)
def list_(org_code: str) -> None:
    """List the users of an organisation."""
    with reported():
        org = accounts.organisation_by_code(org_code)
        for user in accounts.users_of(CLI, org.id):
            state = "active" if user.active else "disabled"
            roles = ",".join(sorted(r.value for r in user.roles))
            click.echo(f"{user.email:<40} {state:<9} {roles}")


def _set_active(email: str, active: bool) -> None:
    with reported():
        user = accounts.user_by_email(email)
        accounts.set_active(CLI, user.id, active)
    click.echo(f"{'enabled' if active else 'disabled'} {user.email}")


@users_group.command("disable")
@click.argument("email")
def disable(email: str) -> None:
    """Disable a user and end their sessions at once."""
    _set_active(email, False)


@users_group.command("enable")
@click.argument("email")
def enable(email: str) -> None:
    """Enable a disabled user."""
    _set_active(email, True)
