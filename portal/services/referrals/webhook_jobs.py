"""The job queue of webhook deliveries: RQ when ``REDIS_URL`` is set (the worker runs
:func:`run_job`), in-process otherwise (see :func:`webhooks.dispatch`).

A job carries only a delivery id; the body stays in the database. A failed attempt is queued
again for its next time (``enqueue_at``, run by a worker started with its scheduler), and the
cron command ``referrals remind`` dispatches any delivery that is due, so a retry is never lost
if the scheduler is not running.
"""

from __future__ import annotations

from flask import current_app
from redis import Redis
from rq import Queue

from portal.extensions import db
from portal.models import DeliveryState, WebhookDelivery

QUEUE_NAME = "ischia-webhooks"


def queue_enabled() -> bool:
    return bool(current_app.config.get("REDIS_URL"))


def queue() -> Queue:
    return Queue(QUEUE_NAME, connection=Redis.from_url(current_app.config["REDIS_URL"]))


def enqueue(delivery_id: str) -> None:
    queue().enqueue(run_job, delivery_id, result_ttl=0, failure_ttl=86400, job_timeout=120)


def run_job(delivery_id: str) -> None:
    """The worker's job: one attempt now; if it failed, the next one is scheduled."""
    from portal.services.referrals import webhooks

    try:
        state = webhooks.attempt(delivery_id)
        if state == DeliveryState.PENDING.value:
            row = db.session.get(WebhookDelivery, delivery_id)
            if row is not None and row.next_attempt_at is not None:
                queue().enqueue_at(row.next_attempt_at, run_job, delivery_id, result_ttl=0)
    finally:
        db.session.remove()
