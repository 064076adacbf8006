"""Readiness: can this process serve? The database answers, the master key opens what the
database holds, Redis answers when it is configured; the graph processes answer and have built
their graphs when graphs are held outside this process.

The graph check is not required: while a graph process is down or building, bulletins,
referrals and briefings still work and only the workspace answers 503, so the portal reports
itself ``degraded`` (200) rather than being taken out of its load balancer.

Each check says what it found in words an operator can act on, never a secret or a stack.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

from flask import current_app
from redis import Redis
from redis.exceptions import RedisError
from sqlalchemy import select, text
from sqlalchemy.exc import SQLAlchemyError

from crypto import KeystoreError
from portal.extensions import db
from portal.models import KeyBlob
from portal.services.analysis import graph_client
from portal.services.organisations import keys as org_keys


@dataclass(frozen=True)
class Check:
    name: str
    ok: bool
    detail: str
    required: bool = True


def _database() -> Check:
    try:
        db.session.execute(text("SELECT 1"))
    except SQLAlchemyError as exc:
        db.session.rollback()
        return Check("database", False, f"does not answer: {type(exc).__name__}")
    return Check("database", True, db.engine.dialect.name)


def _master_key() -> Check:
    """The key is loaded, and it opens an organisation's key blob (a wrong key would not)."""
    try:
        name = db.session.scalar(
            select(KeyBlob.name).where(KeyBlob.name.like("orgs/%/current")).limit(1)
        )
        if name is None:
            return Check("master_key", True, "loaded; no organisation keys yet")
        org_keys.keystore().current_version(name.split("/")[1])
    except KeystoreError:
        return Check("master_key", False, "does not open the organisation keys in the database")
    except SQLAlchemyError:
        db.session.rollback()
        return Check("master_key", False, "not checked: the database does not answer")
    return Check("master_key", True, "opens the organisation keys")


def _redis() -> Check | None:
    url = current_app.config.get("REDIS_URL")
    if not url:
        return None
    try:
        Redis.from_url(url, socket_timeout=2, socket_connect_timeout=2).ping()
    except RedisError as exc:
        return Check("redis", False, f"does not answer: {type(exc).__name__}")
    return Check("redis", True, "answers")


_PROBED: dict[str, tuple[float, graph_client.ProcessState]] = {}
PROBE_FOR_S = 5.0  # a probe's answer is reused this long: /readyz is public and frequent


def forget_probes() -> None:
    """Ask the graph processes again at the next /readyz (tests, after a restart)."""
    _PROBED.clear()


def _probed(address: str) -> graph_client.ProcessState:
    now = time.monotonic()
    kept = _PROBED.get(address)
    if kept is not None and now - kept[0] < PROBE_FOR_S:
        return kept[1]
    found = graph_client.probe(address, timeout=0.5)
    _PROBED[address] = (now, found)
    return found


def _graphs() -> Check:
    """The graph processes answer and have built their graphs. In words only (no paths, no
    counts: the probe is public); ``flask graphs status`` and /metrics say more."""
    addresses = graph_client.addresses(current_app.config)
    if not addresses:
        return Check("graph", True, "in-process", required=False)
    states = [_probed(address) for address in addresses]
    if not all(s.answers for s in states):
        detail = "a graph process does not answer"
    elif not all(s.understood for s in states):
        detail = "a graph process of another release answers"
    elif any(s.failed for s in states):
        detail = "a graph process could not build its graphs; they are built when asked for"
    elif any(s.warming for s in states):
        detail = "graphs are being built"
    else:
        detail = "the graph processes answer, every graph built"
    return Check("graph", all(s.ready for s in states), detail, required=False)


def readiness() -> list[Check]:
    """Every check, in a fixed order."""
    checks = [_database(), _master_key()]
    redis_check = _redis()
    if redis_check is not None:
        checks.append(redis_check)
    checks.append(_graphs())
    return checks
