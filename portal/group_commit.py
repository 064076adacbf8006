"""Group commit: the writes of concurrent requests in one process committed together.

A request hands its writes (functions of a session) to :meth:`GroupCommit.submit` and waits.
The first waiting thread becomes the leader: it takes every item queued so far, runs each in a
savepoint of one write transaction, commits once, wakes the others, and hands the lead on. So
the cost of a durable commit (an fsync of the WAL on SQLite, of the WAL on PostgreSQL) is paid
once per batch instead of once per request, and every request still returns only after its own
writes are committed; an item that fails is rolled back to its savepoint and its request gets
the error, while the rest of the batch commits.

Nothing here knows Flask: the transaction is opened by the function given to the constructor.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence
from contextlib import AbstractContextManager

from sqlalchemy.orm import Session

Work = Callable[[Session], None]


class _Item:
    __slots__ = ("done", "error", "works")

    def __init__(self, works: Sequence[Work]) -> None:
        self.works = works
        self.done = False
        self.error: BaseException | None = None


class GroupCommit:
    """One per process and database; ``transaction()`` opens a write transaction of its own."""

    def __init__(self, transaction: Callable[[], AbstractContextManager[Session]]) -> None:
        self._transaction = transaction
        self._ready = threading.Condition(threading.Lock())
        self._queue: list[_Item] = []
        self._leading = False
        self.batches = 0  # how many transactions committed, for tests and benchmarks
        self.items = 0

    def submit(self, works: Sequence[Work]) -> None:
        """Run ``works`` in one savepoint of a shared transaction; return once it is committed.

        Raises what the works raised (nothing of them is kept), or what the commit raised.
        """
        item = _Item(works)
        with self._ready:
            self._queue.append(item)
            while not item.done and self._leading:
                self._ready.wait()
            if item.done:
                if item.error is not None:
                    raise item.error
                return
            self._leading = True
            batch, self._queue = self._queue, []
        try:
            self._write(batch)
        finally:
            with self._ready:
                for queued in batch:
                    queued.done = True
                self._leading = False
                self._ready.notify_all()
        if item.error is not None:
            raise item.error

    def _write(self, batch: list[_Item]) -> None:
        try:
            with self._transaction() as session:
                if len(batch) == 1:
                    _run(session, batch[0])
                    if batch[0].error is not None:
                        raise batch[0].error
                else:
                    for item in batch:
                        _run_in_savepoint(session, item)
        except BaseException as exc:  # the commit failed: nothing of the batch is kept
            for item in batch:
                if item.error is None:
                    item.error = exc
            if not isinstance(exc, Exception):
                raise
            return
        self.batches += 1
        self.items += len(batch)


def _run(session: Session, item: _Item) -> None:
    try:
        for work in item.works:
            work(session)
    except Exception as exc:
        item.error = exc


def _run_in_savepoint(session: Session, item: _Item) -> None:
    try:
        with session.begin_nested():
            for work in item.works:
                work(session)
    except Exception as exc:
        item.error = exc
