"""Committing a request's audit records, together with other requests' (group commit).

A token request's use is recorded by :func:`defer` when the token is checked, and committed
with the request's own records (a read, its receipt) in the one write transaction that
:func:`commit` joins: one commit per request, and one fsync for every request of the process
that waited at the same time (:mod:`portal.group_commit`). What was deferred and never joined
a commit is committed by :func:`flush`, which the token blueprints call before any answer
leaves. Either call returns only once the records are durable; if they cannot be written it
raises :class:`AuditUnavailable` and the caller shows nothing.

The chain stays one chain across processes: each record still takes the head row's lock
(``audit.record``), now once per request instead of twice.
"""

from __future__ import annotations

from contextvars import ContextVar

from sqlalchemy.exc import SQLAlchemyError

from portal.extensions import db
from portal.group_commit import Work
from portal.services.errors import AuditUnavailable, ServiceError

_deferred: ContextVar[list[Work] | None] = ContextVar("ischia_deferred_audit", default=None)


def begin() -> None:
    """Start a request: nothing deferred (a thread serves many requests in turn)."""
    _deferred.set([])


def defer(work: Work) -> None:
    """Record ``work`` with the request's next commit (or its :func:`flush`)."""
    pending = _deferred.get()
    if pending is None:
        pending = []
        _deferred.set(pending)
    pending.append(work)


def pending() -> int:
    """How many deferred writes wait for a commit."""
    return len(_deferred.get() or [])


def commit(*works: Work) -> None:
    """Commit what was deferred, then ``works``, in one transaction shared with concurrent
    requests; return once durable. A :class:`ServiceError` a work raises is passed on (nothing
    of this request is kept); any database failure is :class:`AuditUnavailable`."""
    batch = [*(_deferred.get() or []), *works]
    _deferred.set([])
    if not batch:
        return
    try:
        db.commit_together(batch)
    except ServiceError:
        raise
    except (SQLAlchemyError, OSError, LookupError) as exc:
        raise AuditUnavailable() from exc


def flush() -> None:
    """Commit whatever was deferred and has not been committed yet."""
    if _deferred.get():
        commit()


def discard() -> None:
    """End a request; anything still deferred was never answered for (an unhandled error)."""
    _deferred.set(None)
