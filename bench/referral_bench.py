"""Issue 14 figure: bulk intake of 2,000 URLs (a referral action day), end to end.

For each run a fresh CSV of ``--rows`` new URLs (a quarter with a SHA-256 hash) goes through
``bulk.submit`` and ``bulk.run`` as the API calls them: parse and check every row, stage the
job, then store the rows a chunk per transaction (cases, case keys, items, one signed referral
per chunk, a ledger entry and an audit record per item, the report) until every row is
committed. Target: at most 10 s.

In the same run, the same rows (as many referrals, cases, case keys, items, ledger entries,
audit records, the job and its report rows, with fresh ids) are inserted with SQLAlchemy Core,
one ``executemany`` per table in one transaction: the floor of writing those rows at all.
Target: intake at most 5x that. The items-only floor (the ``referral_items`` rows alone) is
printed too.

Run from the repository root::

    .venv/bin/python bench/referral_bench.py [--runs 5] [--rows 2000]
        [--postgres postgresql://postgres@127.0.0.1:5432/test] [--profile]

With ``--postgres`` (a database the bench may create scratch databases from) the figures are
measured on PostgreSQL too. Only 127.0.0.1 is contacted.
"""

from __future__ import annotations

import argparse
import contextlib
import cProfile
import hashlib
import os
import platform
import pstats
import secrets
import statistics
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

REPOSITORY = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPOSITORY))

from flask import Flask  # noqa: E402
from sqlalchemy import func, insert, select  # noqa: E402
from sqlalchemy.engine import make_url  # noqa: E402

from portal import create_app, schema  # noqa: E402
from portal.database import make_engine  # noqa: E402
from portal.extensions import db  # noqa: E402
from portal.models import (  # noqa: E402
    AuditRecord,
    Referral,
    ReferralBulkJob,
    ReferralBulkRow,
    ReferralCase,
    ReferralCaseKey,
    ReferralItem,
    ReferralLedgerEntry,
    User,
    utcnow,
)
from portal.services.accounts import directory as accounts  # noqa: E402
from portal.services.principals import CLI, Actor, Reader  # noqa: E402
from portal.services.referrals import bulk  # noqa: E402

HEADER = "url,category,content_type,account,language,attributed_group,reason,hashes\n"
CATEGORIES = ("recruitment", "incitement", "propaganda", "attack_instructions", "financing")


def portal_app(url: str) -> Flask:
    return create_app(
        {
            "SECRET_KEY": "referral-bench-" + "x" * 32,
            "SQLALCHEMY_DATABASE_URI": url,
            "MASTER_KEY": secrets.token_bytes(32),
            "ARGON2_MEMORY_COST_KIB": 19456,
            "ARGON2_TIME_COST": 2,
        }
    )


@contextlib.contextmanager
def database(backend: str, admin_url: str | None, work: Path) -> Iterator[str]:
    """A fresh migrated database, removed afterwards."""
    if backend == "sqlite":
        url = f"sqlite:///{work / f'bench-{secrets.token_hex(4)}.db'}"
        cleanup = None
    else:
        assert admin_url is not None
        admin_url = admin_url.replace("postgresql://", "postgresql+psycopg://", 1)
        name = f"ischia_bench_{secrets.token_hex(6)}"
        admin = make_engine(admin_url, isolation_level="AUTOCOMMIT")
        with admin.connect() as connection:
            connection.exec_driver_sql(f'CREATE DATABASE "{name}"')
        url = make_url(admin_url).set(database=name).render_as_string(hide_password=False)
        cleanup = (admin, name)
    engine = make_engine(url)
    schema.upgrade(engine)
    engine.dispose()
    try:
        yield url
    finally:
        if cleanup is not None:
            admin, name = cleanup
            with admin.connect() as connection:
                connection.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
            admin.dispose()


def parties(app: Flask) -> int:
    with app.app_context():
        for code, kind, country in (("DE-BMI", "member", "DE"), ("PLATFORM-X", "platform", "US")):
            accounts.create_organisation(
                CLI, code=code, name=f"{code} org", kind=kind, country=country
            )
        user = accounts.create_user(
            CLI,
            org_code="DE-BMI",
            email="liaison@de-bmi.example",
            name="Liaison",
            roles=("liaison",),
            password="correct horse battery staple",
        )
        return user.id


def csv_text(run: str, rows: int) -> str:
    lines = [HEADER]
    for n in range(rows):
        digest = hashlib.sha256(f"{run}/{n}".encode()).hexdigest() if n % 4 == 0 else ""
        lines.append(
            f"https://video{n % 17}.example/{run}/watch?v={n},{CATEGORIES[n % 5]},video,"
            f"@channel{n % 50},ar,Example Front,Action day referral {n},{digest}\n"
        )
    return "".join(lines)


def intake(app: Flask, user_id: int, text: str) -> tuple[float, str]:
    with app.app_context():
        user = db.session.get_one(User, user_id)
        reader, actor = Reader.of(user), Actor.of(user)
        upload = bulk.BulkUpload(
            platform="PLATFORM-X", kind="referral", data=text.encode(), label="bench"
        )
        start = time.perf_counter()
        job = bulk.submit(reader, actor, upload).job
        done = bulk.run(job.id)
        elapsed = time.perf_counter() - start
        assert done.state == "done" and done.accepted == text.count("\n") - 1, done.error
        return elapsed, done.id


def counts(app: Flask) -> dict[str, int]:
    with app.app_context():
        return {
            model.__tablename__: db.session.scalar(select(func.count()).select_from(model)) or 0
            for model in (
                Referral,
                ReferralCase,
                ReferralCaseKey,
                ReferralItem,
                ReferralLedgerEntry,
                AuditRecord,
                ReferralBulkJob,
                ReferralBulkRow,
            )
        }


def core_rows(app: Flask, user_id: int, rows: int, referrals: int, tag: str) -> dict[str, Any]:
    """The rows one intake of ``rows`` URLs writes, with fresh ids, as plain dicts."""
    with app.app_context():
        user = db.session.get_one(User, user_id)
        org_id, platform_id = user.organisation_id, 2
        seq0 = (db.session.scalar(select(func.max(AuditRecord.seq))) or 0) + 10_000_000
    now = utcnow()
    due = now + timedelta(hours=24)
    referral_ids = [uuid.uuid4().hex for _ in range(referrals)]
    job_id = uuid.uuid4().hex
    out: dict[str, Any] = {
        "referrals": [
            {
                "id": rid,
                "kind": "referral",
                "referrer_org_id": org_id,
                "referrer_user_id": user_id,
                "platform_org_id": platform_id,
                "legal_basis": None,
                "received_at": now,
                "statement": "x" * 6000,
            }
            for rid in referral_ids
        ],
        "cases": [],
        "keys": [],
        "items": [],
        "ledger": [],
        "audit": [],
        "job": {
            "id": job_id,
            "org_id": org_id,
            "user_id": user_id,
            "platform_org_id": platform_id,
            "kind": "referral",
            "legal_basis": None,
            "label": "bench",
            "source_format": "csv",
            "filename": None,
            "state": "done",
            "rows_total": rows,
            "rows_done": rows,
            "accepted": rows,
            "duplicates": 0,
            "refused": 0,
            "created_at": now,
        },
        "rows": [],
    }
    for n in range(rows):
        case_id, item_id = uuid.uuid4().hex, uuid.uuid4().hex
        url = f"https://video{n % 17}.example/{tag}/watch?v={n}"
        out["cases"].append({"id": case_id, "platform_org_id": platform_id, "created_at": now})
        out["keys"].append(
            {"platform_org_id": platform_id, "key": f"url:{url}", "case_id": case_id}
        )
        if n % 4 == 0:
            out["keys"].append(
                {"platform_org_id": platform_id, "key": f"sha256:{tag}{n:060d}", "case_id": case_id}
            )
        out["items"].append(
            {
                "id": item_id,
                "referral_id": referral_ids[n * referrals // rows],
                "position": n,
                "platform_org_id": platform_id,
                "referrer_org_id": org_id,
                "case_id": case_id,
                "kind": "referral",
                "url": url,
                "url_key": f"url:{url}",
                "account": f"@channel{n % 50}",
                "content_type": "video",
                "category": CATEGORIES[n % 5],
                "language": "ar",
                "attributed_group": "Example Front",
                "reason": f"Action day referral {n}",
                "hashes": [],
                "received_at": now,
                "deadline_at": due,
                "state": "received",
            }
        )
        out["ledger"].append(
            {
                "item_id": item_id,
                "at": now,
                "event": "received",
                "org_id": org_id,
                "user_id": user_id,
                "details": {"platform": "PLATFORM-X", "deadline": due.isoformat()},
            }
        )
        out["audit"].append(
            {
                "seq": seq0 + n,
                "at": now,
                "event": "referral.received",
                "outcome": "success",
                "actor_user_id": user_id,
                "actor_email": "liaison@de-bmi.example",
                "actor_org_id": org_id,
                "subject_user_id": None,
                "subject_org_id": platform_id,
                "ip": None,
                "details": {"item": item_id, "referral": referral_ids[0], "ledger_id": n},
                "prev_hash": b"\0" * 32,
                "hash": b"\1" * 32,
            }
        )
        out["rows"].append(
            {
                "job_id": job_id,
                "row": n + 2,
                "url": url,
                "status": "accepted",
                "fields": None,
                "item_id": item_id,
                "case_id": case_id,
                "column": None,
                "message": None,
            }
        )
    return out


def core_insert(app: Flask, rows: dict[str, Any], *, items_only: bool) -> float:
    """Insert ``rows`` with SQLAlchemy Core, one executemany per table, in one transaction."""
    with app.app_context():
        engine = db.engine
        if items_only:
            # The items need their referral and cases: written first, outside the clock.
            with engine.begin() as connection:
                connection.execute(insert(Referral.__table__), rows["referrals"])
                connection.execute(insert(ReferralCase.__table__), rows["cases"])
            start = time.perf_counter()
            with engine.begin() as connection:
                connection.execute(insert(ReferralItem.__table__), rows["items"])
            return time.perf_counter() - start
        start = time.perf_counter()
        with engine.begin() as connection:
            connection.execute(insert(ReferralBulkJob.__table__), [rows["job"]])
            connection.execute(insert(ReferralBulkRow.__table__), rows["rows"])
            connection.execute(insert(Referral.__table__), rows["referrals"])
            connection.execute(insert(ReferralCase.__table__), rows["cases"])
            connection.execute(insert(ReferralCaseKey.__table__), rows["keys"])
            connection.execute(insert(ReferralItem.__table__), rows["items"])
            connection.execute(insert(ReferralLedgerEntry.__table__), rows["ledger"])
            connection.execute(insert(AuditRecord.__table__), rows["audit"])
        return time.perf_counter() - start


def measure(backend: str, url: str, runs: int, rows: int, profile: bool) -> dict[str, float]:
    app = portal_app(url)
    user_id = parties(app)
    intakes: list[float] = []
    cores: list[float] = []
    items_only: list[float] = []
    # A warm-up run: the organisation's keys are made on its first referral, not on an action day.
    intake(app, user_id, csv_text("warmup", 20))
    for run in range(runs):
        before = counts(app)
        text = csv_text(f"run{run}", rows)
        if profile and run == 0:
            profiler = cProfile.Profile()
            profiler.enable()
        elapsed, _ = intake(app, user_id, text)
        if profile and run == 0:
            profiler.disable()
            pstats.Stats(profiler).sort_stats("cumulative").print_stats(25)
        after = counts(app)
        written = {name: after[name] - before[name] for name in after}
        same = core_rows(app, user_id, rows, written["referrals"], f"core{run}")
        core = core_insert(app, same, items_only=False)
        floor = core_insert(app, core_rows(app, user_id, rows, 1, f"items{run}"), items_only=True)
        intakes.append(elapsed)
        cores.append(core)
        items_only.append(floor)
        print(
            f"  {backend} run {run + 1}: intake {elapsed:.2f} s; Core same rows {core:.3f} s "
            f"(x{elapsed / core:.1f}); Core items only {floor:.3f} s (x{elapsed / floor:.1f}); "
            f"rows written {written}",
            flush=True,
        )
    with app.app_context():
        db.engine.dispose()
    return {
        "intake": statistics.median(intakes),
        "core": statistics.median(cores),
        "items": statistics.median(items_only),
        "ratio": statistics.median(i / c for i, c in zip(intakes, cores, strict=True)),
        "ratio_items": statistics.median(i / c for i, c in zip(intakes, items_only, strict=True)),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--rows", type=int, default=2000)
    parser.add_argument("--postgres", help="an admin URL of PostgreSQL on 127.0.0.1")
    parser.add_argument("--profile", action="store_true", help="profile the first SQLite run")
    args = parser.parse_args()
    print(
        f"{platform.node()} {platform.machine()}, {os.cpu_count()} cores, Python "
        f"{platform.python_version()}, load average {os.getloadavg()[0]:.2f}; "
        f"{args.rows} rows, {args.runs} runs (median)"
    )
    backends = ["sqlite"] + (["postgresql"] if args.postgres else [])
    results = {}
    with tempfile.TemporaryDirectory(prefix="ischia-referral-bench-") as tmp:
        for backend in backends:
            with database(backend, args.postgres, Path(tmp)) as url:
                results[backend] = measure(
                    backend, url, args.runs, args.rows, args.profile and backend == "sqlite"
                )
    print(f"load average at the end {os.getloadavg()[0]:.2f}")
    print(
        "| database | intake of 2,000 URLs (median) | Core, same rows | ratio "
        "| Core, items only | ratio |"
    )
    print("|---|---|---|---|---|---|")
    for backend, r in results.items():
        print(
            f"| {backend} | {r['intake']:.2f} s | {r['core']:.3f} s | {r['ratio']:.1f}x "
            f"| {r['items']:.3f} s | {r['ratio_items']:.1f}x |"
        )


if __name__ == "__main__":
    main()
