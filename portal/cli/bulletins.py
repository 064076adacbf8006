"""``flask bulletins expire``: retention expiry, run from cron.

Every bulletin whose retention date has passed is crypto-shredded (its wrapped keys, content
and attachment ciphertexts deleted; a tombstone stays). Safe to run as often as wanted: a
second run finds nothing left to do.
"""

from __future__ import annotations

from datetime import UTC, datetime

import click
from flask.cli import AppGroup

from portal.cli.errors import reported
from portal.services.bulletins import lifecycle
from portal.services.errors import InvalidInput

bulletins_group = AppGroup("bulletins", help="Bulletin housekeeping: retention expiry.")


def parse_now(text: str | None) -> datetime | None:
    """An ISO 8601 time; a time without a zone is taken as UTC."""
    if text is None:
        return None
    try:
        moment = datetime.fromisoformat(text.strip())
    except ValueError:
        raise InvalidInput(
            f"{text!r} is not an ISO 8601 date and time, such as 2027-01-31T00:00:00Z.",
            field="now",
        ) from None
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


@bulletins_group.command("expire")
@click.option("--dry-run", is_flag=True, help="Only count the bulletins that would expire.")
@click.option(
    "--now",
    "now_text",
    default=None,
    metavar="ISO",
    help="Act as if it were this time (ISO 8601; default: the current time).",
)
def expire(dry_run: bool, now_text: str | None) -> None:
    """Shred every bulletin whose retention date has passed, and print how many."""
    with reported():
        now = parse_now(now_text)
        count = lifecycle.expire_due(now, dry_run=dry_run)
    noun = "bulletin" if count == 1 else "bulletins"
    if dry_run:
        click.echo(f"{count} {noun} would expire (dry run: nothing changed)")
    else:
        click.echo(f"expired {count} {noun}")
