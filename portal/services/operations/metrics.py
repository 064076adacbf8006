"""What /metrics reports besides requests: queue lengths, the link graphs held in this
process or in the graph processes (whether each answers), and referral items whose deadline
has passed or falls within the hour.

Each value is read when Prometheus scrapes, so it is as fresh as the scrape.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from flask import current_app
from redis import Redis
from redis.exceptions import RedisError
from sqlalchemy import func, select

from portal.extensions import db
from portal.models import ItemState, ReferralItem, utcnow
from portal.services.analysis import graph_client, org_graphs
from portal.services.briefings import job_queue
from portal.services.errors import GraphUnavailable
from portal.services.referrals import bulk, webhook_jobs

OPEN_STATES = (ItemState.RECEIVED.value, ItemState.CLAIMED.value)


@dataclass(frozen=True)
class Deadlines:
    overdue: int
    due_within_hour: int


def referral_deadlines() -> Deadlines:
    """Open items (received or claimed, not waiting on a question) past or near their deadline.

    An item waiting on the referrer's answer has its clock stopped, so it is not counted.
    """
    now = utcnow()
    session = db.session()
    base = select(func.count()).select_from(ReferralItem).where(ReferralItem.state.in_(OPEN_STATES))
    overdue = session.scalar(base.where(ReferralItem.deadline_at <= now)) or 0
    soon = (
        session.scalar(
            base.where(ReferralItem.deadline_at > now).where(
                ReferralItem.deadline_at <= now + timedelta(hours=1)
            )
        )
        or 0
    )
    return Deadlines(int(overdue), int(soon))


def queue_lengths() -> dict[str, int] | None:
    """Jobs waiting in each RQ queue, or None without Redis (work runs in the request)."""
    url = current_app.config.get("REDIS_URL")
    if not url:
        return None
    connection = Redis.from_url(url, socket_timeout=2, socket_connect_timeout=2)
    names = (job_queue.QUEUE_NAME, bulk.QUEUE_NAME, webhook_jobs.QUEUE_NAME)
    try:
        # A synchronous client: llen returns an int (redis-py types it for async too).
        return {name: int(connection.llen(f"rq:queue:{name}")) for name in names}  # type: ignore[arg-type]
    except RedisError:
        return None


@dataclass(frozen=True)
class GraphProcess:
    """One graph process as the metrics see it (``warming``/``built`` None when it is down)."""

    socket: str
    up: bool
    warming: bool | None = None
    built: int | None = None


def graph_processes() -> list[GraphProcess]:
    """Each configured graph process: whether it answers and is still building (``warming``
    None when it answers in a way this release does not read)."""
    found = []
    for address in graph_client.addresses(current_app.config):
        state = graph_client.probe(address, timeout=2.0)
        known = state.answers and state.understood
        found.append(
            GraphProcess(address, state.answers, state.warming if known else None, state.built)
        )
    return found


def graph_cache_sizes() -> list[org_graphs.CacheSize]:
    """The graphs held in this process or, where graph processes hold them, in those that
    answer (a web worker then holds none)."""
    addresses = graph_client.addresses(current_app.config)
    if not addresses:
        return org_graphs.cache_sizes()
    held = []
    for address in addresses:
        try:
            held += [
                org_graphs.CacheSize(int(e["org_id"]), int(e["nodes"]), int(e["edges"]))
                for e in graph_client.sizes(address)
            ]
        except (GraphUnavailable, *graph_client.UNREADABLE):
            continue  # reported by ischia_graph_process_up (and _building left out)
    return held
