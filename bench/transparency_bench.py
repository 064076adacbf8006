"""Issue 14, transparency and links into intelligence: what the figures and the graph cost.

Fills a fresh database (SQLite file, then PostgreSQL on 127.0.0.1) with ``--items`` referral
items of one ministry to three platforms over the last year (15% removal orders), each with its
"received" and, for four in five, its "decided" ledger entry, inserted with SQLAlchemy Core.
Then times, median of ``--rounds``:

- the transparency figures (``figures.compute``) of the ministry for the year, of one platform
  for the year, and of the ministry for the last 90 days, and the three SVG charts;
- the stamp the workspace checks on every request (``referral_links.stamp``);
- adding all of the ministry's items to an empty link graph (``referral_links.update``, the
  first use of the workspace in a process), the check made on every later use
  (``referral_links.due``), and the incremental update after one more decision.

Run from the repository root::

    .venv/bin/python bench/transparency_bench.py [--items 100000] [--no-postgres]
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

REPOSITORY = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPOSITORY))
sys.path.insert(0, str(REPOSITORY / "bench"))

import bulletin_bench  # noqa: E402
from sqlalchemy import insert, select, update  # noqa: E402

import graph  # noqa: E402
from portal.extensions import db  # noqa: E402
from portal.models import (  # noqa: E402
    Organisation,
    Referral,
    ReferralCase,
    ReferralItem,
    ReferralLedgerEntry,
    User,
)
from portal.services.accounts import directory as accounts  # noqa: E402
from portal.services.analysis import referral_links  # noqa: E402
from portal.services.principals import CLI, Reader  # noqa: E402
from portal.services.transparency import charts  # noqa: E402
from portal.services.transparency import figures as tf  # noqa: E402

NOW = datetime(2026, 12, 3, 12, 0, tzinfo=UTC)
PLATFORMS = ("PLATFORM-X", "PLATFORM-Y", "PLATFORM-Z")
OUTCOMES = (
    ["removed"] * 12
    + ["restricted"] * 2
    + ["account_suspended"]
    + ["no_violation"] * 2
    + ["already_gone"]
)
CATEGORIES = ("recruitment", "incitement", "propaganda", "attack_instructions", "financing")


def timed(call: Callable[[], object], rounds: int) -> float:
    samples = []
    for _ in range(rounds):
        started = time.perf_counter()
        call()
        samples.append(time.perf_counter() - started)
    return statistics.median(samples)


def fill(items: int) -> None:
    session = db.session()
    org = {
        code: session.scalar(select(Organisation.id).where(Organisation.code == code))
        for code in ("DE-BMI", *PLATFORMS)
    }
    user = session.scalar(select(User.id).where(User.email == "bench@de.example"))
    rng = random.Random(14)
    referrals, cases, rows, ledger = [], [], [], []
    referral_id = ""
    for n in range(items):
        platform_code = PLATFORMS[n % 3]
        received = NOW - timedelta(seconds=rng.randrange(365 * 86400))
        order = rng.random() < 0.15
        kind = "removal_order" if order else "referral"
        if n % 50 == 0:
            referral_id = uuid.uuid4().hex
            referrals.append(
                {
                    "id": referral_id,
                    "kind": kind,
                    "referrer_org_id": org["DE-BMI"],
                    "referrer_user_id": user,
                    "platform_org_id": org[platform_code],
                    "legal_basis": None,
                    "received_at": received,
                    "statement": "{}",
                }
            )
        item_id, case_id = uuid.uuid4().hex, uuid.uuid4().hex
        cases.append({"id": case_id, "platform_org_id": org[platform_code], "created_at": received})
        decided = rng.random() < 0.8
        took = timedelta(seconds=rng.expovariate(1 / (1800 if order else 20000)))
        url = f"https://video.example/watch?v={item_id[:12]}"
        rows.append(
            {
                "id": item_id,
                "referral_id": referral_id,
                "position": n % 50,
                "platform_org_id": org[platform_code],
                "referrer_org_id": org["DE-BMI"],
                "case_id": case_id,
                "kind": kind,
                "url": url,
                "url_key": "url:" + url,
                "account": f"@recruiter_{n % 5000}",
                "content_type": "video",
                "category": CATEGORIES[n % len(CATEGORIES)],
                "language": "ar",
                "attributed_group": None,
                "reason": "bench",
                "hashes": [],
                "received_at": received,
                "deadline_at": received + timedelta(hours=1 if order else 24),
                "state": "decided" if decided else "received",
                "outcome": rng.choice(OUTCOMES) if decided else None,
                "decided_at": received + took if decided else None,
            }
        )
        ledger.append(
            {
                "item_id": item_id,
                "at": received,
                "event": "received",
                "org_id": org["DE-BMI"],
                "details": {},
            }
        )
        if decided:
            ledger.append(
                {
                    "item_id": item_id,
                    "at": received + took,
                    "event": "decided",
                    "org_id": org[platform_code],
                    "details": {},
                }
            )
    with db.write() as writing:
        for table, values in (
            (ReferralCase, cases),
            (Referral, referrals),
            (ReferralItem, rows),
            (ReferralLedgerEntry, ledger),
        ):
            for start in range(0, len(values), 5000):
                writing.execute(insert(table), values[start : start + 5000])


def run(backend: str, args: argparse.Namespace) -> None:
    with bulletin_bench.fresh_database(backend) as url:
        app = bulletin_bench.portal_app(url)
        with app.app_context():
            accounts.create_organisation(CLI, code="DE-BMI", name="DE", kind="member", country="DE")
            for code in PLATFORMS:
                accounts.create_organisation(CLI, code=code, name=code, kind="platform")
            accounts.create_user(
                CLI,
                org_code="DE-BMI",
                email="bench@de.example",
                name="Bench",
                roles=["liaison"],
                password="quiet orchard lantern 2026",
            )
            started = time.perf_counter()
            fill(args.items)
            print(
                f"{backend}: {args.items:,} items inserted in {time.perf_counter() - started:.1f} s"
            )
            # As autovacuum (or a DBA after a bulk load) would: statistics for the planner.
            with db.engine.connect() as connection:
                connection.exec_driver_sql("ANALYZE")
                connection.commit()
        with app.app_context():
            reader = Reader.of(accounts.user_by_email("bench@de.example"))
            year = tf.period("2026", NOW)
            recent = tf.period("90d", NOW)
            ministry = tf.scope(reader, "ministry", "DE-BMI")
            x = tf.scope(reader, "platform", "PLATFORM-X")
            found = tf.compute(ministry, year, NOW)
            assert found.referred > 0
            for label, call in (
                ("figures, ministry, year", lambda: tf.compute(ministry, year, NOW)),
                ("figures, one platform, year", lambda: tf.compute(x, year, NOW)),
                ("figures, ministry, 90 days", lambda: tf.compute(ministry, recent, NOW)),
                ("three SVG charts", lambda: charts.all_charts(found)),
            ):
                print(f"  {label}: {1000 * timed(call, args.rounds):.1f} ms")
            print(
                f"  ({found.referred:,} items in the year; p50/p90 on PLATFORM-X: "
                f"{tf.duration(found.timings[0].p50)} / {tf.duration(found.timings[0].p90)})"
            )
            g = graph.new_graph(bulletin_nodes=False)
            links = referral_links.Links()
            started = time.perf_counter()
            referral_links.update(g, reader, links)
            built = time.perf_counter() - started
            print(
                f"  graph: all {len(links.nodes):,} referred items -> {g.number_of_nodes():,} "
                f"nodes in {built:.2f} s (first use of the workspace in a process)"
            )
            print(
                f"  per use of the graph, nothing changed, within {referral_links.GRACE_S:.0f} s "
                f"of the ledger growing (due: highest id, and a count of the newest): "
                f"{1000 * timed(lambda: referral_links.due(links), args.rounds):.2f} ms"
            )
            links.since = float("-inf")  # the ledger last grew long ago
            print(
                f"  per use of the graph, nothing changed, settled (due: highest id only): "
                f"{1000 * timed(lambda: referral_links.due(links), args.rounds):.2f} ms"
            )
            item = db.session.scalars(
                select(ReferralItem).where(ReferralItem.state == "received")
            ).first()
            assert item is not None
            with db.write() as writing:
                writing.execute(
                    update(ReferralItem)
                    .where(ReferralItem.id == item.id)
                    .values(state="decided", outcome="removed", decided_at=NOW)
                )
                writing.execute(
                    insert(ReferralLedgerEntry),
                    [
                        {
                            "item_id": item.id,
                            "at": NOW,
                            "event": "decided",
                            "org_id": item.platform_org_id,
                            "details": {},
                        }
                    ],
                )
            started = time.perf_counter()
            referral_links.update(g, reader, links)
            once = time.perf_counter() - started
            print(f"  one decision reaches the graph (incremental update): {1000 * once:.1f} ms")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--items", type=int, default=100_000)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--no-postgres", action="store_true")
    args = parser.parse_args()
    print(
        f"machine: {platform.node()}, {os.cpu_count()} CPUs, Python {platform.python_version()}, "
        f"load average {os.getloadavg()[0]:.2f}, {time.strftime('%Y-%m-%d %H:%M')}"
    )
    run("sqlite", args)
    if not args.no_postgres:
        run("postgresql", args)
    print(f"load average at the end {os.getloadavg()[0]:.2f}")


if __name__ == "__main__":
    main()
