"""``flask --app wsgi worker``: the job-queue worker for large briefings and bulk referral
uploads (needs REDIS_URL)."""

from __future__ import annotations

import click
from flask.cli import with_appcontext
from rq import SimpleWorker

from portal.services.briefings import job_queue
from portal.services.referrals import bulk


@click.command("worker")
@with_appcontext
@click.option("--burst", is_flag=True, help="Stop when the queue is empty.")
def worker(burst: bool) -> None:
    """Run queued briefings and bulk referral uploads in this process, with the portal's
    configuration."""
    if not job_queue.queue_enabled():
        raise click.ClickException("REDIS_URL is not set: briefings render in the request.")
    queue = job_queue.queue()
    # SimpleWorker runs each job in this process (which already holds the app context);
    # WeasyPrint itself runs in the renderer's limited child process.
    queues = [queue, bulk.queue()]
    SimpleWorker(queues, connection=queue.connection).work(burst=burst)
