"""``flask --app wsgi worker``: the job-queue worker for large briefings (needs REDIS_URL)."""

from __future__ import annotations

import click
from flask import current_app
from flask.cli import with_appcontext
from rq import SimpleWorker

from portal.briefings import delivery


@click.command("worker")
@with_appcontext
@click.option("--burst", is_flag=True, help="Stop when the queue is empty.")
def worker(burst: bool) -> None:
    """Run queued briefings in this process, with the portal's configuration."""
    if not current_app.config.get("REDIS_URL"):
        raise click.ClickException("REDIS_URL is not set: briefings render in the request.")
    queue = delivery.queue()
    # SimpleWorker runs each job in this process (which already holds the app context);
    # WeasyPrint itself runs in the renderer's limited child process.
    SimpleWorker([queue], connection=queue.connection).work(burst=burst)
