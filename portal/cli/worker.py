"""``flask --app wsgi worker``: the job-queue worker for large briefings, bulk referral
uploads and platforms' webhook deliveries (needs REDIS_URL)."""

from __future__ import annotations

import click
from flask.cli import with_appcontext
from rq import SimpleWorker

from portal.services.briefings import job_queue
from portal.services.referrals import bulk, webhook_jobs


@click.command("worker")
@with_appcontext
@click.option("--burst", is_flag=True, help="Stop when the queue is empty.")
def worker(burst: bool) -> None:
    """Run queued briefings, bulk referral uploads and webhook deliveries in this process, with
    the portal's configuration. Without --burst it also runs the scheduler that brings back
    webhook deliveries whose retry time has come."""
    if not job_queue.queue_enabled():
        raise click.ClickException("REDIS_URL is not set: briefings render in the request.")
    queue = job_queue.queue()
    # SimpleWorker runs each job in this process (which already holds the app context);
    # WeasyPrint itself runs in the renderer's limited child process.
    queues = [queue, bulk.queue(), webhook_jobs.queue()]
    SimpleWorker(queues, connection=queue.connection).work(burst=burst, with_scheduler=not burst)
