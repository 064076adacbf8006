"""``flask watches``: the watchlist e-mail outbox."""

from __future__ import annotations

import click
from flask.cli import AppGroup

from portal.services.watchlists import mail

watches_group = AppGroup("watches", help="Watchlist notifications.")


@watches_group.command("send-mail")
def send_mail() -> None:
    """Send every watchlist e-mail that is due (run from cron every minute, or let `flask
    worker` do it); failed attempts are retried later and logged."""
    drained = mail.send_due()
    click.echo(f"sent {drained.sent}, to retry {drained.retried}, given up {drained.failed}")
