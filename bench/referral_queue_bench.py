"""Issue 14 figure: the platform's referral queue page with 100,000 open items (target p50 < 50 ms).

One platform (META) has --open open items (received or claimed; a twentieth of them removal
orders, a few hundred overdue, one in ten sharing a case with another item) and --history
decided ones (its history), and another platform (GOOGLE) has --other items. The rows are
written with SQLAlchemy Core in the shape ``intake.refer`` gives them (the page neither opens
nor verifies a signature, so the statement is a placeholder). META's liaison officer signs in
through the real login; ``GET /referrals/queue`` is timed through the Flask test client, with
the default filters and with a few others, --requests times per run, --runs runs; p50 and p90
are printed, and the floor: the bare SQL of one page (50 rows of META's items by deadline,
``SELECT ... ORDER BY deadline_at LIMIT 51``), and the queue's own SQL (``list_queue``) without
HTTP or template. Query plans of the queue's statements are printed with --plans.

Run from the repository root (PostgreSQL on 127.0.0.1:5432 unless --no-postgres)::

    .venv/bin/python bench/referral_queue_bench.py [--runs 3] [--open 100000] [--plans]

Only 127.0.0.1 is contacted.
"""

from __future__ import annotations

import argparse
import os
import platform
import random
import statistics
import sys
import time
import uuid
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

REPOSITORY = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPOSITORY))
sys.path.insert(0, str(REPOSITORY / "bench"))

import bulletin_bench  # noqa: E402
from flask import Flask  # noqa: E402
from sqlalchemy import Engine, event, insert, select, text  # noqa: E402

from portal.demo import seeding as demo  # noqa: E402
from portal.extensions import db  # noqa: E402
from portal.models import (  # noqa: E402
    Organisation,
    Referral,
    ReferralCase,
    ReferralItem,
    User,
)
from portal.services.accounts import directory as accounts  # noqa: E402
from portal.services.principals import CLI, Reader  # noqa: E402
from portal.services.referrals import queue  # noqa: E402
from portal.services.referrals.queue import QueueFilter  # noqa: E402

PLATFORM = "META"
LIAISON = "trust@meta.example"
CATEGORIES = (
    "recruitment",
    "incitement",
    "attack_instructions",
    "weapons_manual",
    "propaganda",
    "financing",
    "other",
)
QUERIES: tuple[tuple[str, dict[str, str]], ...] = (
    ("default (all states, page 1)", {}),
    ("page 20", {"page": "20"}),
    ("removal orders", {"kind": "removal_order"}),
    ("overdue only", {"overdue": "1"}),
    ("claimed by me", {"mine": "1"}),
    ("financing", {"category": "financing"}),
    ("decided (history)", {"state": "decided"}),
)


def seed(
    app: Flask, n_open: int, n_history: int, n_other: int, now: datetime, *, analyze: bool
) -> None:
    rng = random.Random(14)
    with app.app_context():
        orgs = {}
        for code, kind in (("DE-BMI", "member"), ("FR-MININT", "member")):
            orgs[code] = accounts.create_organisation(
                CLI, code=code, name=code, kind=kind, country=code[:2]
            ).id
        for code in (PLATFORM, "GOOGLE"):
            orgs[code] = accounts.create_organisation(
                CLI, code=code, name=code, kind="platform", country="US"
            ).id
        referrer_user = accounts.create_user(
            CLI,
            org_code="DE-BMI",
            email="officer@de.example",
            name="Officer",
            roles=("liaison",),
            password=demo.DEMO_PASSWORD,
        ).id
        liaison = accounts.create_user(
            CLI,
            org_code=PLATFORM,
            email=LIAISON,
            name="Trust",
            roles=("platform_liaison",),
            password=demo.DEMO_PASSWORD,
            enrol_totp=True,
            must_change_password=False,
        ).id
        referrers = [orgs["DE-BMI"], orgs["FR-MININT"]]
        session = db.session()
        started = time.perf_counter()

        def batch(platform_code: str, count: int, decided: bool) -> None:
            platform_id = orgs[platform_code]
            cases: list[dict[str, Any]] = []
            referrals: list[dict[str, Any]] = []
            items: list[dict[str, Any]] = []
            referral: dict[str, Any] = {}
            previous_case = ""
            for n in range(count):
                if n % 100 == 0:
                    order = rng.random() < 0.05 and not decided
                    received = (
                        now - timedelta(minutes=rng.uniform(0, 70))
                        if order
                        else now - timedelta(hours=rng.uniform(0, 30 if not decided else 2000))
                    )
                    referral = {
                        "id": uuid.uuid4().hex,
                        "kind": "removal_order" if order else "referral",
                        "referrer_org_id": rng.choice(referrers),
                        "referrer_user_id": referrer_user,
                        "platform_org_id": platform_id,
                        "legal_basis": "Regulation (EU) 2021/784, Art. 3" if order else None,
                        "received_at": received,
                        "statement": "{}",
                    }
                    referrals.append(referral)
                    due = received + (timedelta(hours=1) if order else timedelta(hours=24))
                if n and rng.random() < 0.1:
                    case_id = previous_case  # the same content as the item before
                else:
                    case_id = uuid.uuid4().hex
                    cases.append({"id": case_id, "platform_org_id": platform_id, "created_at": now})
                previous_case = case_id
                state = "decided" if decided else ("claimed" if rng.random() < 0.02 else "received")
                items.append(
                    {
                        "id": uuid.uuid4().hex,
                        "referral_id": referral["id"],
                        "position": n % 100,
                        "platform_org_id": platform_id,
                        "referrer_org_id": referral["referrer_org_id"],
                        "case_id": case_id,
                        "kind": referral["kind"],
                        "url": f"https://video.example/watch?v={platform_code}{decided}{n}",
                        "url_key": f"url:https://video.example/watch?v={platform_code}{decided}{n}",
                        "account": None,
                        "content_type": "video",
                        "category": rng.choice(CATEGORIES),
                        "language": "ar",
                        "attributed_group": "Example Front",
                        "reason": "Recruitment video with a call to travel.",
                        "hashes": [],
                        "received_at": referral["received_at"],
                        "deadline_at": due,
                        "state": state,
                        "claimed_by_id": liaison if state == "claimed" else None,
                        "outcome": "removed" if decided else None,
                        "decided_at": referral["received_at"] + timedelta(hours=2)
                        if decided
                        else None,
                    }
                )
            for table, rows in (
                (ReferralCase, cases),
                (Referral, referrals),
                (ReferralItem, items),
            ):
                for start in range(0, len(rows), 5000):
                    session.execute(insert(table), rows[start : start + 5000])
            session.commit()

        batch(PLATFORM, n_open, decided=False)
        batch(PLATFORM, n_history, decided=True)
        batch("GOOGLE", n_other, decided=False)
        session.commit()
        if analyze:  # as autovacuum would have by now: statistics and the visibility map
            with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as raw:
                raw.execute(text("VACUUM ANALYZE"))
        print(
            f"seeded {n_open:,} open + {n_history:,} decided items for {PLATFORM}, "
            f"{n_other:,} for GOOGLE in {time.perf_counter() - started:.0f} s"
        )


def percentile(samples: list[float], share: float) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))]


def timed(call: Callable[[], object], count: int) -> list[float]:
    call()  # warm
    samples = []
    for _ in range(count):
        started = time.perf_counter()
        call()
        samples.append((time.perf_counter() - started) * 1000)
    return samples


def record_statements(
    engine: Engine,
) -> tuple[list[tuple[str, Any]], Callable[..., None]]:
    seen: list[tuple[str, Any]] = []

    def before(conn: Any, cursor: Any, statement: str, parameters: Any, *args: Any) -> None:
        if statement.lstrip().upper().startswith("SELECT"):
            seen.append((statement, parameters))

    event.listen(engine, "before_cursor_execute", before)
    return seen, before


def print_plans(engine: Engine, seen: list[tuple[str, Any]]) -> None:
    prefix = "EXPLAIN QUERY PLAN " if engine.dialect.name == "sqlite" else "EXPLAIN ANALYZE "
    raw = engine.raw_connection()
    try:
        for statement, parameters in seen:
            cursor = raw.cursor()
            cursor.execute(prefix + statement, parameters)
            print("--- " + " ".join(statement.split())[:160] + " ...")
            for row in cursor.fetchall():
                print("    " + " | ".join(str(c) for c in row))
            cursor.close()
    finally:
        raw.close()


def run(backend: str, args: argparse.Namespace) -> dict[str, list[float]]:
    now = datetime.now(UTC)
    results: dict[str, list[float]] = {}
    bulletin_bench.master_key()  # and the work folder the databases go in
    with bulletin_bench.fresh_database(backend) as url:
        app = bulletin_bench.portal_app(url)
        # SQLite never gathers planner statistics by itself; PostgreSQL's autovacuum does.
        seed(app, args.open, args.history, args.other, now, analyze=backend != "sqlite")
        client = bulletin_bench.signed_in(app, LIAISON)
        with app.app_context():
            reader = Reader.of(db.session.scalars(select(User).where(User.email == LIAISON)).one())
            meta = db.session.scalars(
                select(Organisation).where(Organisation.code == PLATFORM)
            ).one()
            floor_sql = (
                select(ReferralItem)
                .where(ReferralItem.platform_org_id == meta.id)
                .order_by(ReferralItem.deadline_at, ReferralItem.id)
                .limit(51)
            )

            def floor() -> None:
                list(db.session.scalars(floor_sql))
                db.session.rollback()

            def service() -> None:
                queue.list_queue(reader)
                db.session.rollback()

            results["floor: bare SQL of one page"] = timed(floor, args.requests)
            results["list_queue (service, no HTTP)"] = timed(service, args.requests)
            if args.plans:
                seen, listener = record_statements(db.engine)
                for filters in (
                    QueueFilter(),
                    QueueFilter(overdue=True),
                    QueueFilter(category="financing"),
                    QueueFilter(claimed_by=reader.user_id),
                ):
                    queue.list_queue(reader, filters)
                db.session.rollback()
                event.remove(db.engine, "before_cursor_execute", listener)
                print_plans(db.engine, list(seen))
        for name, query in QUERIES:

            def page(query: dict[str, str] = query) -> None:
                answer = client.get("/referrals/queue", query_string=query)
                assert answer.status_code == 200, answer.text[:500]

            results[f"GET /referrals/queue {name}"] = timed(page, args.requests)
        app.extensions["ischia.engine"].dispose()
    return results


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--requests", type=int, default=30)
    parser.add_argument("--open", type=int, default=100_000)
    parser.add_argument("--history", type=int, default=100_000)
    parser.add_argument("--other", type=int, default=20_000)
    parser.add_argument("--no-postgres", action="store_true")
    parser.add_argument("--no-sqlite", action="store_true")
    parser.add_argument("--plans", action="store_true")
    args = parser.parse_args()
    print(
        f"machine: {platform.node()} {platform.machine()}, Python {platform.python_version()}, "
        f"{time.strftime('%Y-%m-%d %H:%M')}, load {os.getloadavg()[0]:.1f}"
    )
    backends = ([] if args.no_sqlite else ["sqlite"]) + ([] if args.no_postgres else ["postgresql"])
    for backend in backends:
        runs = []
        for number in range(args.runs):
            print(f"== {backend}, run {number + 1} (load {os.getloadavg()[0]:.1f})")
            results = run(backend, args)
            for name, samples in results.items():
                print(
                    f"{name:48s} p50 {statistics.median(samples):7.1f} ms   "
                    f"p90 {percentile(samples, 0.9):7.1f} ms"
                )
            runs.append(results)
        print(f"== {backend}: median over {args.runs} runs of each p50 / p90")
        for name in runs[0]:
            p50 = statistics.median(statistics.median(r[name]) for r in runs)
            p90 = statistics.median(percentile(r[name], 0.9) for r in runs)
            print(f"{name:48s} p50 {p50:7.1f} ms   p90 {p90:7.1f} ms")


if __name__ == "__main__":
    main()
