"""``flask --app wsgi worker``: the job-queue worker for large briefings (needs REDIS_URL)."""

from __future__ import annotations

import click
from flask.cli import with_appcontext
from rq import SimpleWorker

from portal.services.briefings import job_queue


@click.command("worker")
@with_appcontext
@click.option("--burst", is_flag=True, help="Stop when the queue is empty.")
def worker(burst: bool) -> None:
    """Run queued briefings in this process, with the portal's configuration."""
    if not job_queue.queue_enabled():
        raise click.ClickException("REDIS_URL is not set: briefings render in the request.")
    queue = job_queue.queue()
    # SimpleWorker runs each job in this process (which already holds the app context);
    # WeasyPrint itself runs in the renderer's limited child process.
    SimpleWorker([queue], connection=queue.connection).work(burst=burst)
