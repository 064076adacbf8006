"""Benchmark of PDQ matching at radius 31 (issue 14, "Hash matching").

For each size N (default 1,000,000; add 10000000 for the 10M case) it makes, with a fixed
seed, N random 256-bit hashes and 1,000 random queries, and plants near-duplicates of the
queries in the bank: one per query at distance ``q % 40`` (0..31 within the radius, 32..39 just
above it), and for every fifth query another at ``q % 32``. Then, in one run:

- builds the portal's index (``portal.services.hashbanks.pdq_index``, multi-index hashing on
  NumPy, in the layout it picks for the size) and reports its time, its arrays' bytes and the
  resident memory it added;
- matches the 1,000 queries in one batch, ``--runs`` times (median), and 200 single queries
  (p50) through the index alone;
- the floors, same data, same run: faiss ``IndexBinaryFlat`` (exhaustive scan:
  ``range_search``, and ``search`` for the 10 nearest, its other path), faiss
  ``IndexBinaryMultiHash`` (16 tables of 16 bits, ``nflip=1``: exact at radius 31), and a
  NumPy popcount scan (a sample of queries);
- checks exactness: the index's answers for all 1,000 queries against the flat scan's
  (itself checked against the NumPy scan on the sample), pair by pair with distances;
- with ``--api`` (1M only): a SQLite bank of the same hashes behind the portal, single
  lookups through ``POST /api/v1/hashes/match`` with the Flask test client, index warm.

``faiss-cpu`` is a bench dependency only (``pip install -e .[bench]``).
Run: ``python bench/hash_bench.py --sizes 1000000 10000000 --runs 5 --api``
"""

from __future__ import annotations

import argparse
import gc
import os
import platform
import statistics
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

REPOSITORY = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPOSITORY))

try:  # the flat-scan floors need faiss-cpu; the API figure (--sizes --api) does not
    import faiss
except ImportError:  # pragma: no cover
    faiss = None

from portal.services.hashbanks import pdq_index  # noqa: E402
from portal.services.hashbanks.pdq_index import PdqIndex  # noqa: E402

SEED = 20261203
QUERIES = 1000
RADIUS = 31


def rss_mb() -> float:
    with open("/proc/self/status", encoding="ascii") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return 0.0


def flip(rng: np.random.Generator, words: np.ndarray, bits: int) -> np.ndarray:
    raw = words.copy().view(np.uint8)
    for position in rng.choice(256, bits, replace=False):
        raw[position // 8] ^= np.uint8(1 << (position % 8))
    return raw.view(np.uint64)


def make_data(n: int) -> tuple[np.ndarray, np.ndarray, int]:
    rng = np.random.default_rng(SEED + n)
    hashes = rng.integers(0, 2**64, size=(n, 4), dtype=np.uint64)
    queries = rng.integers(0, 2**64, size=(QUERIES, 4), dtype=np.uint64)
    places = rng.choice(n, size=2 * QUERIES, replace=False)
    planted = 0
    for q in range(QUERIES):
        hashes[places[q]] = flip(rng, queries[q], q % 40)
        planted += 1
        if q % 5 == 0:
            hashes[places[QUERIES + q]] = flip(rng, queries[q], q % 32)
            planted += 1
    return hashes, queries, planted


def as_bytes(words: np.ndarray) -> np.ndarray:
    return np.ascontiguousarray(words).view(np.uint8).reshape(len(words), 32)


def pairs_of_index(index: PdqIndex, queries: np.ndarray) -> set[tuple[int, int, int]]:
    q, rows, d = index.search_arrays(queries, RADIUS)
    return set(zip(q.tolist(), index.ids[rows].tolist(), d.tolist(), strict=True))


def pairs_of_faiss(
    lims: np.ndarray, dist: np.ndarray, ids: np.ndarray
) -> set[tuple[int, int, int]]:
    out = set()
    for q in range(len(lims) - 1):
        for k in range(lims[q], lims[q + 1]):
            out.add((q, int(ids[k]), int(dist[k])))
    return out


def timed(function, runs: int) -> tuple[float, object]:  # type: ignore[no-untyped-def]
    times = []
    result = None
    for _ in range(runs):
        gc.collect()
        started = time.perf_counter()
        result = function()
        times.append(time.perf_counter() - started)
    return statistics.median(times), result


def line(label: str, seconds: float, count: int = QUERIES, extra: str = "") -> float:
    rate = count / seconds
    print(f"  {label:<44} {seconds * 1000:9.1f} ms / {count} = {rate:9,.0f} lookups/s {extra}")
    return rate


def bench_size(n: int, runs: int, multihash: bool) -> dict[str, float]:
    print(f"\n== {n:,} PDQ hashes, {QUERIES} queries, radius {RADIUS} ==")
    started = time.perf_counter()
    hashes, queries, planted = make_data(n)
    print(f"  data: {time.perf_counter() - started:.1f} s, {planted} planted near-duplicates")
    figures: dict[str, float] = {}

    gc.collect()
    before = rss_mb()
    started = time.perf_counter()
    index = PdqIndex(hashes, range(n))
    build = time.perf_counter() - started
    grown = rss_mb() - before
    figures["index_mb"] = index.nbytes / 2**20
    print(
        f"  index build {build:.1f} s; arrays {index.nbytes / 2**20:,.0f} MiB "
        f"(hashes {index.words.nbytes / 2**20:,.0f}, chunk tables "
        f"{(index.order.nbytes + sum(s.nbytes for s in index.starts)) / 2**20:,.0f}); "
        f"RSS +{grown:,.0f} MiB"
    )
    _, lengths = index.probe_sizes(queries)
    layout = index.layout
    print(
        f"  layout: {len(layout.widths)} chunks of {sorted(set(layout.widths))} bits, neighbours"
        f" within {layout.reach}; {lengths.shape[1]:,} buckets a query, "
        f"{lengths.sum() / QUERIES:,.0f} candidates a query"
    )
    index.search_arrays(queries[:50], RADIUS)  # warm the allocator
    seconds, mine = timed(lambda: pairs_of_index(index, queries), runs)
    figures["index"] = line("index, batch of 1,000 (median)", seconds)
    singles = []
    for q in range(200):
        started = time.perf_counter()
        index.search_arrays(queries[q : q + 1], RADIUS)
        singles.append(time.perf_counter() - started)
    print(f"  index, single query: p50 {statistics.median(singles) * 1000:.2f} ms")
    figures["single_ms"] = statistics.median(singles) * 1000

    flat = faiss.IndexBinaryFlat(256)
    flat.add(as_bytes(hashes))
    qbytes = as_bytes(queries)
    seconds, found = timed(lambda: flat.range_search(qbytes, RADIUS + 1), runs)
    figures["flat"] = line(
        "faiss IndexBinaryFlat range_search (median)",
        seconds,
        extra=f"({faiss.omp_get_max_threads()} threads)",
    )
    lims, dist, ids = found  # type: ignore[misc]
    theirs = pairs_of_faiss(lims, dist, ids)
    # The same exhaustive scan asked for the 10 nearest instead of a radius (another code path
    # of faiss, a heap per query): a floor too, though it answers another question.
    seconds, _ = timed(lambda: flat.search(qbytes, 10), runs)
    figures["flat_knn"] = line("faiss IndexBinaryFlat search k=10 (median)", seconds)
    flat.reset()
    gc.collect()

    sample = 20 if n <= 2_000_000 else 5
    started = time.perf_counter()
    scan = pdq_index.brute_force(hashes, np.arange(n, dtype=np.int64), queries[:sample], RADIUS)
    figures["numpy_scan"] = line(
        "NumPy popcount scan (sample)", time.perf_counter() - started, sample
    )
    scanned = {(q, i, d) for q, found_q in enumerate(scan) for d, i in found_q}
    assert scanned == {p for p in theirs if p[0] < sample}, "faiss flat differs from NumPy"
    within = sum(1 for q in range(QUERIES) if q % 40 <= RADIUS)
    print(
        f"  exact: index == flat scan on all {QUERIES} queries: {mine == theirs} "
        f"({len(theirs)} pairs; {within} planted within the radius); flat == NumPy scan on "
        f"{sample}: True"
    )
    assert mine == theirs, "the index is not exact"

    if multihash:
        started = time.perf_counter()
        multi = faiss.IndexBinaryMultiHash(256, 16, 16)
        multi.nflip = 1
        multi.add(as_bytes(hashes))
        print(f"  faiss IndexBinaryMultiHash build {time.perf_counter() - started:.1f} s")
        seconds, found = timed(lambda: multi.range_search(qbytes, RADIUS + 1), max(1, runs // 2))
        figures["multihash"] = line("faiss IndexBinaryMultiHash(16x16, nflip=1)", seconds)
        lims, dist, ids = found  # type: ignore[misc]
        print(f"  multihash exact: {pairs_of_faiss(lims, dist, ids) == theirs}")
        multi.reset()
        gc.collect()
    print(
        f"  index / flat range: {figures['index'] / figures['flat']:.2f}x; "
        f"index / flat k=10: {figures['index'] / figures['flat_knn']:.2f}x; "
        f"instances for 4,000 lookups/s: {int(np.ceil(4000 / figures['index']))}"
    )
    return figures


def bench_api(n: int, lookups: int) -> None:
    """Single lookups through the API on a bank of ``n`` PDQ hashes (SQLite), index warm."""
    from sqlalchemy import insert, update

    from bench.bulletin_bench import migrated, portal_app
    from portal.extensions import db
    from portal.models import HashBank, HashEntry, utcnow
    from portal.services.accounts import directory as accounts
    from portal.services.hashbanks import banks
    from portal.services.principals import CLI

    print(f"\n== API: POST /api/v1/hashes/match, one PDQ per request, {n:,} in the bank ==")
    hashes, queries, _ = make_data(n)
    values = pdq_index.to_hex(hashes)
    with tempfile.TemporaryDirectory() as folder:
        app = portal_app(migrated(f"sqlite:///{Path(folder) / 'hash.db'}"))
        # Hundreds of lookups in seconds from one token: the API's per-token limit is not
        # what is measured here.
        app.config["API_RATE_LIMIT"] = "1000000 per minute"
        with app.app_context():
            accounts.create_organisation(CLI, code="DE-BMI", name="DE", kind="member", country="DE")
            accounts.create_organisation(
                CLI, code="META", name="Meta", kind="platform", country="US"
            )
            bank = banks.create_bank(CLI, "DE-BMI", "bench", readers=["META"])
            bank_id = bank.id
            started = time.perf_counter()
            now = utcnow()
            for first in range(0, n, 50_000):
                db.session.execute(
                    insert(HashEntry),
                    [
                        {
                            "bank_id": bank.id,
                            "kind": "pdq",
                            "value": values[k],
                            "quality": 100,
                            "low_quality": False,
                            "added_at": now,
                            "change_seq": k + 1,
                        }
                        for k in range(first, min(n, first + 50_000))
                    ],
                )
            db.session.execute(update(HashBank).values(change_counter=n, live_entries=n))
            db.session.commit()
            print(f"  {n:,} entries inserted in {time.perf_counter() - started:.1f} s")
        token = _platform_token(app)
        client = app.test_client()
        headers = {"Authorization": f"Bearer {token}"}
        gc.collect()
        before = rss_mb()
        started = time.perf_counter()
        first = client.post("/api/v1/hashes/match", json={"pdq": values[0]}, headers=headers)
        assert first.status_code == 200, first.text
        print(
            f"  first lookup (loads and indexes the bank): {time.perf_counter() - started:.1f} s,"
            f" RSS +{rss_mb() - before:,.0f} MiB"
        )
        query_hex = pdq_index.to_hex(queries)

        def timed_lookups(label: str) -> None:
            times = []
            matched = 0
            for k in range(lookups):
                body = {"pdq": query_hex[k % QUERIES]}
                started = time.perf_counter()
                answer = client.post("/api/v1/hashes/match", json=body, headers=headers)
                times.append(time.perf_counter() - started)
                assert answer.status_code == 200, (answer.status_code, answer.text)
                matched += bool(answer.get_json()["results"][0]["matches"])
            times.sort()
            print(
                f"  {lookups} lookups, {label}: p50 {statistics.median(times) * 1000:.2f} ms, "
                f"p95 {times[int(0.95 * len(times))] * 1000:.2f} ms; {matched} with a match"
            )

        timed_lookups("SQLite synchronous=FULL (the default)")
        # The token's audited use is the request's one commit: with synchronous=NORMAL the
        # WAL is synced at checkpoints, not at each commit (durable against a crash of the
        # portal, not a power cut). Same app, same warm index.
        from portal.database import make_engine

        full_engine = app.extensions["ischia.engine"]
        app.extensions["ischia.engine"] = make_engine(
            str(full_engine.url), sqlite_synchronous="NORMAL"
        )
        timed_lookups("SQLite synchronous=NORMAL")
        app.extensions["ischia.engine"].dispose()
        app.extensions["ischia.engine"] = full_engine
        commits = []
        with app.app_context():
            from portal.services import audit
            from portal.services.principals import CLI as NOBODY

            for _ in range(100):
                started = time.perf_counter()
                with db.write() as session:
                    audit.record(session, "bench.commit", NOBODY)
                commits.append(time.perf_counter() - started)
        print(
            f"  one audited commit alone (synchronous=FULL): "
            f"p50 {statistics.median(commits) * 1000:.2f} ms"
        )
        # Where the time goes: the API's fixed cost per request (token check, its audited
        # write and commit, the rate limit) on a cheap authenticated route, and the match
        # service alone, in the same run.
        with app.app_context():
            from portal.services.hashbanks.banks import cursor_for

            latest = cursor_for(bank_id, n)
        floor = []
        for _ in range(lookups):
            started = time.perf_counter()
            client.get(f"/api/v1/hash-banks/{bank_id}/changes?since={latest}", headers=headers)
            floor.append(time.perf_counter() - started)
        floor_ms = statistics.median(floor) * 1000
        print(f"  floor, GET .../changes with nothing new (same token): p50 {floor_ms:.2f} ms")
        with app.app_context():
            from sqlalchemy import select

            from portal.models import User
            from portal.services.hashbanks import matching
            from portal.services.principals import Reader

            user = db.session.scalar(select(User).where(User.email == "meta@meta.example"))
            reader = Reader.of(user)
            service = []
            for k in range(lookups):
                started = time.perf_counter()
                matching.match(reader, pdq=[query_hex[k % QUERIES]])
                service.append(time.perf_counter() - started)
                db.session.remove()
        print(f"  the match service alone: p50 {statistics.median(service) * 1000:.2f} ms")


def _platform_token(app) -> str:  # type: ignore[no-untyped-def]
    from sqlalchemy import select

    from portal.extensions import db
    from portal.models import User
    from portal.services.accounts import api_tokens
    from portal.services.principals import CLI
    from tests.portal.conftest import People

    people = People(app)
    people.user("meta@meta.example", "platform_liaison", org="META", kind="platform")
    with app.app_context():
        user = db.session.scalar(select(User).where(User.email == "meta@meta.example"))
        assert user is not None
        return api_tokens.create(user, CLI, "hash bench", days=1).token


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--sizes", type=int, nargs="*", default=[1_000_000])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--no-multihash", action="store_true")
    parser.add_argument("--api", action="store_true", help="also time the API at 1M")
    parser.add_argument("--api-size", type=int, default=1_000_000)
    parser.add_argument("--api-lookups", type=int, default=300)
    args = parser.parse_args()
    print(
        f"{platform.node()} {platform.processor() or platform.machine()}, {os.cpu_count()} cores,"
        f" Python {platform.python_version()}, NumPy {np.__version__},"
        f" faiss {getattr(faiss, '__version__', 'absent')}"
    )
    print(f"load average at start: {os.getloadavg()}")
    for n in args.sizes:
        bench_size(n, args.runs, not args.no_multihash)
        gc.collect()
    if args.api:
        bench_api(args.api_size, args.api_lookups)
    print(f"\nload average at end: {os.getloadavg()}; peak RSS {_peak_mb():,.0f} MiB")


def _peak_mb() -> float:
    with open("/proc/self/status", encoding="ascii") as status:
        for row in status:
            if row.startswith("VmHWM:"):
                return int(row.split()[1]) / 1024
    return 0.0


if __name__ == "__main__":
    main()
