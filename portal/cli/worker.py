"""``flask --app wsgi worker``: the job-queue worker for large briefings, bulk referral
uploads and platforms' webhook deliveries (needs REDIS_URL), the hourly checkpoint of the audit
chain, and the watchlist e-mails that are due."""

from __future__ import annotations

import logging
import threading

import click
from flask import Flask, current_app
from flask.cli import with_appcontext
from rq import SimpleWorker

from portal.extensions import db
from portal.services.briefings import job_queue
from portal.services.operations import anchors
from portal.services.referrals import bulk, webhook_jobs
from portal.services.watchlists import mail


@click.command("worker")
@with_appcontext
@click.option("--burst", is_flag=True, help="Stop when the queue is empty.")
def worker(burst: bool) -> None:
    """Run queued briefings, bulk referral uploads and webhook deliveries in this process, with
    the portal's configuration. Without --burst it also runs the scheduler that brings back
    webhook deliveries whose retry time has come, and signs a checkpoint of the audit chain
    whenever none was signed within CHECKPOINT_INTERVAL."""
    if not job_queue.queue_enabled():
        raise click.ClickException("REDIS_URL is not set: briefings render in the request.")
    queue = job_queue.queue()
    # SimpleWorker runs each job in this process (which already holds the app context);
    # WeasyPrint itself runs in the renderer's limited child process.
    queues = [queue, bulk.queue(), webhook_jobs.queue()]
    stop = threading.Event()
    if not burst:
        app = current_app._get_current_object()  # type: ignore[attr-defined]
        threading.Thread(target=_checkpoints, args=(app, stop), daemon=True).start()
        threading.Thread(target=_watch_mail, args=(app, stop), daemon=True).start()
    try:
        SimpleWorker(queues, connection=queue.connection).work(
            burst=burst, with_scheduler=not burst
        )
    finally:
        stop.set()


def _checkpoints(app: Flask, stop: threading.Event, every_s: float = 60.0) -> None:
    """Sign a checkpoint of the audit chain whenever the newest is older than the interval."""
    while not stop.wait(every_s):
        with app.app_context():
            try:
                anchors.anchor_if_due()
            except Exception:  # the next minute tries again; the worker's jobs go on
                logging.getLogger(__name__).exception("signing an audit checkpoint failed")
            finally:
                db.session.remove()


def _watch_mail(app: Flask, stop: threading.Event, every_s: float = 30.0) -> None:
    """Send the watchlist e-mails that are due (the outbox), every ``every_s`` seconds."""
    while not stop.wait(every_s):
        with app.app_context():
            try:
                mail.send_due()
            except Exception:  # the next round tries again; each e-mail keeps its own state
                logging.getLogger(__name__).exception("sending watchlist e-mails failed")
            finally:
                db.session.remove()
