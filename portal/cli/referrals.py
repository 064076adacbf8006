"""``flask referrals``: the platforms' webhooks, run from cron and by a worker."""

from __future__ import annotations

import click
from flask.cli import AppGroup
from rq import SimpleWorker

from portal.services.referrals import webhook_jobs, webhooks

referrals_group = AppGroup("referrals", help="Referral deliveries to platforms.")


@referrals_group.command("remind")
def remind() -> None:
    """Queue deadline reminders and send every delivery that is due (retries included).

    Meant for cron, every minute: running it again sends nothing twice.
    """
    queued = webhooks.remind()
    click.echo(f"{len(queued)} reminder(s) queued")


@referrals_group.command("webhook-worker")
@click.option("--burst", is_flag=True, help="Stop when the queue is empty.")
def webhook_worker(burst: bool) -> None:
    """Send queued webhook deliveries in this process (needs REDIS_URL)."""
    if not webhook_jobs.queue_enabled():
        raise click.ClickException("REDIS_URL is not set: deliveries are sent in-process.")
    queue = webhook_jobs.queue()
    SimpleWorker([queue], connection=queue.connection).work(burst=burst, with_scheduler=not burst)
