"""Seed many demo bulletins fast: the sealing spread over processes, the storing in this one.

The same bulletins as ``seed_bulletins`` (the demo plan, checked by the posting service's
``check_draft``, sealed with ``crypto.seal``, stored with the service's row builders, audit
records chained), only the CPU part (checking, sealing, blind-index keys) runs in ``--workers``
processes, each with its own app on the same database (read only), while this process stores
batches of 500 in order. Nothing the pages read is faked: every bulletin opens and verifies.

    .venv/bin/python bench/bulk_seed.py 100000 [--workers 3]

makes (or reuses) ``/tmp/ischia-bench/inbox-100000.db``, the kept database
``bulletin_bench.inbox_sqlite`` and ``interop_bench --only taxii`` read, with the bench master key.
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import sys
import threading
from collections.abc import Iterable, Iterator
from dataclasses import replace
from pathlib import Path
from typing import Any, cast

REPOSITORY = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPOSITORY))
sys.path.insert(0, str(REPOSITORY / "bench"))

import bulletin_bench  # noqa: E402

from crypto import Envelope  # noqa: E402
from portal.demo import bulletins as demo_bulletins  # noqa: E402
from portal.demo import seeding as demo  # noqa: E402
from portal.demo.plan import Planned  # noqa: E402
from portal.extensions import db  # noqa: E402

IN_FLIGHT = 2_000  # planned bulletins handed out and not yet stored: bounds the memory

_worker: dict[str, Any] = {}


def _start_worker(url: str, work: Path) -> None:
    bulletin_bench.WORK = work  # the same master key as the parent's
    app = bulletin_bench.portal_app(url)
    context = app.app_context()
    context.push()
    _worker["app"], _worker["context"] = app, context


def _seal(planned: Planned) -> tuple[demo_bulletins.Sealed, dict[str, Any]]:
    """One bulletin sealed in a worker; the envelope travels as its exported form."""
    # The keys are loaded on the first bulletin: seed_bulletins makes any missing ones
    # before it hands out the first.
    if "desk" not in _worker:
        _worker["desk"] = demo_bulletins._Desk.load(db.session())
    sealed = demo_bulletins.seal_planned(_worker["desk"], planned)
    db.session.remove()  # read only: nothing kept between bulletins
    return replace(sealed, envelope=cast(Envelope, None)), sealed.envelope.to_dict()


class ParallelSealer:
    """A ``seed_bulletins`` sealer: a pool of processes, results in plan order."""

    def __init__(self, pool: Any) -> None:
        self.pool = pool
        self.slots = threading.Semaphore(IN_FLIGHT)

    def _bounded(self, planned: Iterator[Planned]) -> Iterator[Planned]:
        for one in planned:
            self.slots.acquire()
            yield one

    def __call__(self, planned: Iterator[Planned]) -> Iterable[demo_bulletins.Sealed]:
        for sealed, envelope in self.pool.imap(_seal, self._bounded(planned), chunksize=25):
            self.slots.release()
            yield replace(sealed, envelope=Envelope.from_dict(envelope))


def seed(count: int, workers: int) -> tuple[str, dict[str, float]]:
    path = bulletin_bench.WORK / f"inbox-{count}.db"
    done = bulletin_bench.WORK / f"inbox-{count}.json"
    url = f"sqlite:///{path}"
    if done.exists():
        print(f"  {path} is already seeded", flush=True)
        return url, json.loads(done.read_text())
    for suffix in ("", "-wal", "-shm"):
        Path(f"{path}{suffix}").unlink(missing_ok=True)
    print(f"  sealing {count} demo bulletins into {path} with {workers} processes", flush=True)
    app = bulletin_bench.portal_app(bulletin_bench.migrated(url))
    with app.app_context():
        demo.seed()
        context = multiprocessing.get_context("spawn")
        with context.Pool(
            workers, initializer=_start_worker, initargs=(url, bulletin_bench.WORK)
        ) as pool:
            report = demo_bulletins.seed_bulletins(
                count, batch=500, progress=bulletin_bench._progress, sealer=ParallelSealer(pool)
            )
    app.extensions["ischia.engine"].dispose()
    figures = {
        "seconds": report.seconds,
        "per_second": report.per_second,
        "load": bulletin_bench._load(),
        "workers": workers,
    }
    done.write_text(json.dumps(figures))
    print(f"  {report}", flush=True)
    return url, figures


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("count", type=int)
    parser.add_argument("--workers", type=int, default=3)
    args = parser.parse_args()
    print(seed(args.count, args.workers))


if __name__ == "__main__":
    main()
