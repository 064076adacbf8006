"""``flask seed-demo`` and ``flask demo totp``: demo data and demo second-factor codes."""

from __future__ import annotations

import click
from flask import current_app
from flask.cli import AppGroup, with_appcontext

from portal.cli.errors import reported
from portal.demo import bulletins as demo_bulletins
from portal.demo import hashbanks as demo_hashbanks
from portal.demo import referrals as demo_referrals
from portal.demo import seeding as demo
from portal.services.accounts import directory as accounts
from portal.services.accounts import mfa


@click.command("seed-demo")
@click.option(
    "--bulletins",
    type=click.IntRange(min=0),
    default=300,
    show_default=True,
    help="How many synthetic bulletins to seal and post (none if demo bulletins exist).",
)
@click.option(
    "--referrals",
    type=click.IntRange(min=0),
    default=400,
    show_default=True,
    help="How many demo referrals and removal orders to the platforms (none if some exist).",
)
@click.option(
    "--hashes",
    type=click.IntRange(min=0),
    default=5000,
    show_default=True,
    help="PDQ hashes in each of the two demo hash banks (none if they exist).",
)
@with_appcontext
def seed_demo(bulletins: int, referrals: int, hashes: int) -> None:
    """Create the demo organisations, one demo user per role, demo bulletins and demo referrals
    (idempotent)."""
    if current_app.config["PRODUCTION"]:
        raise click.ClickException("seed-demo is refused in production (ISCHIA_PRODUCTION is on)")
    orgs, users = demo.seed()
    click.echo(f"demo data: {orgs} organisations and {users} users created")
    with reported():
        report = demo_bulletins.seed_bulletins(bulletins, progress=_Progress())
    if report.skipped:
        click.echo("demo bulletins: some exist already, none added")
    elif bulletins:
        click.echo(
            f"demo bulletins: {report.bulletins} sealed and posted "
            f"({report.amendments} amended versions), {report.entities} entity mentions, "
            f"{report.identifiers} distinct identifiers, {report.read_receipts} read receipts, "
            f"{report.acknowledgements} acknowledgements in {report.seconds:.1f} s "
            f"({report.per_second:.0f} bulletins/s)"
        )
    with reported():
        made = demo_referrals.seed_referrals(referrals)
    if made.skipped:
        click.echo("demo referrals: some exist already, none added")
    elif referrals:
        click.echo(
            f"demo referrals: {made.referrals} ({made.orders} removal orders) with {made.items} "
            f"items, {made.decided} decided, {made.open} open or withdrawn, "
            f"{made.shared_cases} cases referred by several organisations, "
            f"{made.action_days} action days uploaded, in {made.seconds:.1f} s"
        )
    with reported():
        banks = demo_hashbanks.seed_hash_banks(hashes)
    if banks.skipped:
        click.echo("demo hash banks: they exist already, none added")
    elif hashes:
        click.echo(
            f"demo hash banks: {banks.banks} with {banks.entries} PDQ hashes "
            f"({banks.linked} linked to referral cases); try the matcher with "
            "`flask --app wsgi demo sample-image sample.jpg`"
        )


class _Progress:
    """Prints how far seeding is, every few seconds and at the end."""

    def __init__(self, every: float = 5.0) -> None:
        self.every = every
        self.last = 0.0

    def __call__(self, done: int, total: int, seconds: float) -> None:
        if done < total and seconds - self.last < self.every:
            return
        self.last = seconds
        rate = done / seconds if seconds else 0.0
        click.echo(f"  {done}/{total} bulletins sealed and posted ({rate:.0f}/s)")


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


@demo_group.command("sample-image")
@click.argument("path", type=click.Path(dir_okay=False, writable=True))
def sample_image(path: str) -> None:
    """Write a JPEG of one demo bank image, slightly altered, to try the hash matcher with."""
    with open(path, "wb") as out:
        out.write(demo_hashbanks.sample_image())
    click.echo(f"{path}: upload it on Hash banks > Match; it matches a 'propaganda still' entry")
