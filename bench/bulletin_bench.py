"""Issue 4 figures: posting a bulletin through HTTP, the inbox at 100,000 bulletins, seed-demo.

1. Post a bulletin with 20 entities to 9 recipients through the compose form (Flask test client,
   signed in through the real login, CSRF on): p50/p95 on SQLite and PostgreSQL (target p50
   < 25 ms), and the share of the request spent in ``crypto.seal``.
2. Inbox page (50 rows) with 100,000 bulletins in the database, signed in as an analyst: p50
   on both databases (target < 50 ms) with the title cache warm and cold, and the query plans
   of the inbox's queries. The 100,000 bulletins are really sealed by ``seed-demo``'s own path
   into /tmp/ischia-bench/ (kept and reused by later runs); PostgreSQL gets a copy of the same
   rows, keys included, so its bulletins verify as well.
3. ``seed-demo --bulletins 10000`` in a fresh database: time and bulletins/s.

Run from the repository root (PostgreSQL on 127.0.0.1:5432 unless --no-postgres)::

    .venv/bin/python bench/bulletin_bench.py [--runs 3] [--only post,inbox,seed]

Every loop is bounded in count, and only 127.0.0.1 is contacted.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import platform
import re
import secrets
import statistics
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

REPOSITORY = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPOSITORY))

import pyotp  # noqa: E402
from flask import Flask  # noqa: E402
from flask.testing import FlaskClient  # noqa: E402
from sqlalchemy import Engine, event, func, insert, select, text  # noqa: E402

from portal import create_app, schema  # noqa: E402
from portal.database import make_engine  # noqa: E402
from portal.demo import bulletins as demo_bulletins  # noqa: E402
from portal.demo import seeding as demo  # noqa: E402
from portal.models import Base, Bulletin, utcnow  # noqa: E402
from portal.services.accounts import directory as accounts  # noqa: E402
from portal.services.accounts import mfa  # noqa: E402
from portal.services.bulletins import sealing  # noqa: E402
from portal.services.principals import CLI  # noqa: E402

POSTGRES_ADMIN = "postgresql+psycopg://postgres@127.0.0.1:5432/test"
WORK = Path("/tmp/ischia-bench")
CSRF = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')
SENDER = "IT-MININT"
EXTRA_MEMBER = "ES-MIR"  # the demo has 8 possible recipients for IT-MININT; the figure wants 9


# --- set-up ---------------------------------------------------------------------------


def master_key() -> bytes:
    """One master key for every bench database, so the kept databases stay readable."""
    WORK.mkdir(mode=0o700, exist_ok=True)
    path = WORK / "master.key"
    if not path.exists():
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "wb") as handle:
            handle.write(secrets.token_bytes(32))
    return path.read_bytes()


def portal_app(url: str) -> Flask:
    return create_app(
        {
            "SECRET_KEY": "bulletin-bench-" + "x" * 32,
            "SQLALCHEMY_DATABASE_URI": url,
            "MASTER_KEY": master_key(),
        }
    )


def migrated(url: str) -> str:
    engine = make_engine(url)
    schema.upgrade(engine)
    engine.dispose()
    return url


def postgres_url(name: str) -> str:
    return POSTGRES_ADMIN.rsplit("/", 1)[0] + "/" + name


@contextlib.contextmanager
def admin() -> Iterator[Engine]:
    engine = make_engine(POSTGRES_ADMIN, isolation_level="AUTOCOMMIT")
    try:
        yield engine
    finally:
        engine.dispose()


@contextlib.contextmanager
def fresh_database(backend: str) -> Iterator[str]:
    """An empty, migrated database, dropped (or deleted) afterwards."""
    if backend == "sqlite":
        path = WORK / f"fresh-{secrets.token_hex(4)}.db"
        try:
            yield migrated(f"sqlite:///{path}")
        finally:
            for suffix in ("", "-wal", "-shm"):
                Path(f"{path}{suffix}").unlink(missing_ok=True)
        return
    name = f"ischia_bench_{secrets.token_hex(6)}"
    with admin() as engine, engine.connect() as connection:
        connection.exec_driver_sql(f'CREATE DATABASE "{name}"')
    try:
        yield migrated(postgres_url(name))
    finally:
        with admin() as engine, engine.connect() as connection:
            connection.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def signed_in(app: Flask, email: str) -> FlaskClient:
    """Sign in through /login and /login/verify, as a browser would."""
    client = app.test_client()
    client.environ_base["HTTP_USER_AGENT"] = "ischia-bench/1"

    def post(path: str, data: dict[str, str]) -> None:
        page = client.get(path)
        token = CSRF.search(page.text)
        assert token, f"no CSRF token on {path}"
        answer = client.post(path, data={**data, "csrf_token": token.group(1)})
        assert answer.status_code == 302, f"{path}: {answer.status_code}"

    post("/login", {"email": email, "password": demo.DEMO_PASSWORD})
    post("/login/verify", {"code": unused_code(app, email)})
    return client


def unused_code(app: Flask, email: str) -> str:
    """A second-factor code not used yet (each is accepted once), waiting for one if needed."""
    for _ in range(3):
        with app.app_context():
            user = accounts.user_by_email(email)
            now_step = int(time.time()) // 30
            step = max(now_step - 1, user.totp_last_step + 1)
            if step <= now_step + 1:
                return str(pyotp.TOTP(mfa.secret(user)).at(step * 30))
        time.sleep(30 - time.time() % 30 + 0.5)
    raise RuntimeError(f"no unused second-factor code for {email}")


def percentile(samples: list[float], fraction: float) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, round(fraction * (len(ordered) - 1)))]


def ms(seconds: float) -> str:
    return f"{seconds * 1000:.1f} ms"


# --- 1. posting through the compose form ------------------------------------------------

PERSONS = [
    ("يوسف الحنابي", "Yusuf al-Hanabi; Youssef Al Hanabi", "Abu Hamza al-Hanabi", "SY", "recruiter"),  # noqa: E501
    ("Julien MARCHET", "Julien Marchet", "Abou Brahim Al Qirwini", "FR", "foreign_fighter"),
    ("Руслан Кимов", "Ruslan Kimov; Rouslan Kimov; Ruslan Kimow", "", "RU", "facilitator"),
    ("佐藤 健太", "Kenta Sato; SATŌ Kenta", "", "JP", "financier"),
]  # fmt: skip
ACCOUNTS = [
    ("telegram", "https://t.me/cedar_lantern_77"),
    ("x", "@dune_echo"),
    ("tiktok", "https://www.tiktok.com/@willow_quill"),
    ("instagram", "the_harbor_mosaic"),
    ("youtube", "@fajr_nomad"),
    ("facebook", "https://www.facebook.com/sabil.raven.512"),
    ("vk", "vk.com/kestrel_anchor"),
    ("whatsapp", "+44 7700 900123"),
]


def twenty_entities() -> tuple[list[dict[str, str]], list[dict[str, str]]]:
    """4 persons, 8 accounts, 3 phones, 2 e-mails, a group, a URL and a journey: 20."""
    entities: list[dict[str, str]] = []
    for value, spellings, alias, nationality, role in PERSONS:
        entities.append(
            {
                "type": "person",
                "value": value,
                "transliterations": spellings,
                "aliases": alias,
                "nationality": nationality,
                "role": role,
                "date_of_birth": "1994-05-17",
            }
        )
    entities += [{"type": "account", "platform": p, "value": v} for p, v in ACCOUNTS]
    entities += [
        {"type": "phone", "value": "+33 6 39 98 12 34"},
        {"type": "phone", "value": "+44 7700 900456"},
        {"type": "phone", "value": "+1 202 555 0143"},
        {"type": "email", "value": "yusuf.hanabi42@mailbox.example"},
        {"type": "email", "value": "kimov.r@postfach.example"},
        {"type": "group", "value": "CEDAR network", "aliases": "Katibat al-Safali"},
        {"type": "url", "value": "https://orchard-nakhla.example/library/12"},
        {
            "type": "travel",
            "traveller": "e2",
            "origin": "Lyon",
            "via": "Istanbul; Gaziantep",
            "destination": "Idlib",
            "on": "2026-02-03",
        },
    ]
    relations = [{"source": "e1", "type": "uses_account", "target": f"e{i}"} for i in (5, 6, 7)]
    relations += [
        {"source": "e2", "type": "uses_account", "target": "e8"},
        {"source": "e3", "type": "uses_account", "target": "e12"},
        {"source": "e1", "type": "recruited", "target": "e2", "on": "2025-11-20"},
        {"source": "e3", "type": "contacted", "target": "e2", "on": "2026-01-30"},
        {"source": "e4", "type": "financed", "target": "e3"},
        {"source": "e1", "type": "member_of", "target": "e18"},
        {"source": "e2", "type": "travelled_to", "target": "e19"},
    ]
    return entities, relations


def compose_form(token: str, recipients: list[str], number: int) -> dict[str, Any]:
    entities, relations = twenty_entities()
    data: dict[str, Any] = {
        "csrf_token": token,
        "title": f"Recruiter moved his channel (bench {number})",
        "summary": "A recruiter of the CEDAR network moved his Telegram channel.",
        "body": "## Summary\n\nThe channel **moved** on 3 March.\n\n- one\n- two\n",
        "category": "recruitment",
        "marking": "TLP:AMBER",
        "grading_source": "B",
        "grading_information": "2",
        "grading_handling": "H0",
        "recipients": recipients,
        "retain_until": (utcnow() + timedelta(days=365)).date().isoformat(),
        "send": "1",
    }
    for i, entity in enumerate(entities):
        data[f"entities-{i}-ref"] = f"e{i + 1}"
        data.update({f"entities-{i}-{k}": v for k, v in entity.items()})
    for i, relation in enumerate(relations):
        data.update({f"relations-{i}-{k}": v for k, v in relation.items()})
    return data


class SealTimer:
    """Wraps the ``seal`` that the posting service calls, to measure crypto's share."""

    def __init__(self) -> None:
        self.seconds = 0.0
        self.calls = 0
        self._original: Callable[..., Any] = sealing.seal

    def __enter__(self) -> SealTimer:
        def timed(*args: Any, **kwargs: Any) -> Any:
            started = time.perf_counter()
            try:
                return self._original(*args, **kwargs)
            finally:
                self.seconds += time.perf_counter() - started
                self.calls += 1

        sealing.seal = timed  # type: ignore[assignment]
        return self

    def __exit__(self, *_exc: object) -> None:
        sealing.seal = self._original  # type: ignore[assignment]


def http_post_route(app: Flask) -> bool:
    rules = [r for r in app.url_map.iter_rules() if r.endpoint == "bulletins.compose"]
    return any("POST" in (r.methods or ()) for r in rules)


def post_bench(backend: str, posts: int, warmup: int) -> dict[str, float]:
    with fresh_database(backend) as url:
        app = portal_app(url)
        with app.app_context():
            demo.seed()
            accounts.create_organisation(
                CLI, code=EXTRA_MEMBER, name="Ministerio del Interior", kind="member", country="ES"
            )
            codes = [o.code for o in accounts.list_organisations() if o.kind.value != "platform"]
        recipients = sorted(code for code in codes if code != SENDER)
        assert len(recipients) == 9, recipients
        if not http_post_route(app):
            raise SystemExit("bulletins.compose takes no POST yet: nothing to measure over HTTP")
        client = signed_in(app, demo.demo_email(demo.Role.LIAISON, SENDER))
        token = CSRF.search(client.get("/bulletins/new").text)
        assert token
        samples: list[float] = []
        with SealTimer() as timer:
            for number in range(warmup + posts):
                form = compose_form(token.group(1), recipients, number)
                if number == warmup:
                    timer.seconds, timer.calls = 0.0, 0
                started = time.perf_counter()
                answer = client.post(
                    "/bulletins/new", data=form, content_type="multipart/form-data"
                )
                elapsed = time.perf_counter() - started
                assert answer.status_code == 302, (answer.status_code, answer.text[-2000:])
                if number >= warmup:
                    samples.append(elapsed)
        engine = app.extensions["ischia.engine"]
        with engine.connect() as connection:
            stored = connection.execute(select(func.count()).select_from(Bulletin)).scalar_one()
        assert stored == warmup + posts, stored
        engine.dispose()
    return {
        "p50": percentile(samples, 0.5),
        "p95": percentile(samples, 0.95),
        "crypto share": timer.seconds / sum(samples),
        "seal mean": timer.seconds / timer.calls,
    }


# --- 2. the inbox at 100,000 bulletins ------------------------------------------------


def _progress(done: int, total: int, seconds: float) -> None:
    if done % 5000 < 500 or done == total:
        print(f"    {done}/{total} sealed, {done / seconds:.0f}/s", flush=True)


def inbox_sqlite(count: int) -> tuple[str, dict[str, float]]:
    """The kept SQLite database of ``count`` demo bulletins; made (and timed) if missing."""
    path = WORK / f"inbox-{count}.db"
    done = WORK / f"inbox-{count}.json"
    url = f"sqlite:///{path}"
    if done.exists():
        return url, json.loads(done.read_text())
    for suffix in ("", "-wal", "-shm"):
        Path(f"{path}{suffix}").unlink(missing_ok=True)
    print(f"  sealing {count} demo bulletins into {path} (kept for later runs)", flush=True)
    app = portal_app(migrated(url))
    with app.app_context():
        demo.seed()
        report = demo_bulletins.seed_bulletins(count, batch=500, progress=_progress)
    app.extensions["ischia.engine"].dispose()
    figures = {"seconds": report.seconds, "per_second": report.per_second, "load": _load()}
    done.write_text(json.dumps(figures))
    return url, figures


def inbox_postgres(count: int, source_url: str) -> tuple[str, float | None]:
    """A PostgreSQL database holding a row-for-row copy of the SQLite one (keys included)."""
    name = f"ischia_bench_inbox_{count}"
    url = postgres_url(name)
    with admin() as engine, engine.connect() as connection:
        exists = connection.execute(
            text("SELECT 1 FROM pg_database WHERE datname = :n"), {"n": name}
        ).scalar()
    if exists:
        engine = make_engine(url)
        with engine.connect() as connection:
            have = connection.execute(select(func.count()).select_from(Bulletin)).scalar_one()
        engine.dispose()
        if have == count:
            return url, None
        with admin() as engine, engine.connect() as connection:
            connection.exec_driver_sql(f'DROP DATABASE "{name}" WITH (FORCE)')
    with admin() as engine, engine.connect() as connection:
        connection.exec_driver_sql(f'CREATE DATABASE "{name}"')
    migrated(url)
    print(f"  copying the {count} bulletins to PostgreSQL database {name}", flush=True)
    started = time.perf_counter()
    source, target = make_engine(source_url), make_engine(url)
    with source.connect() as reading, target.begin() as writing:
        for table in Base.metadata.sorted_tables:
            writing.execute(table.delete())
        for table in Base.metadata.sorted_tables:
            rows = reading.execute(select(table).execution_options(yield_per=5000))
            for chunk in rows.mappings().partitions():
                writing.execute(insert(table), [dict(row) for row in chunk])
        for table in Base.metadata.sorted_tables:
            column = table.autoincrement_column
            if column is not None:
                # Table and column names come from our own metadata, not from input.
                last = f"SELECT MAX({column.name}) FROM {table.name}"  # noqa: S608
                writing.exec_driver_sql(
                    f"SELECT setval(pg_get_serial_sequence('{table.name}', '{column.name}'), "
                    f"COALESCE(({last}), 0) + 1, false)"
                )
        writing.exec_driver_sql("ANALYZE")
    source.dispose()
    target.dispose()
    return url, time.perf_counter() - started


class Statements:
    """Collects the SELECTs that requests send to the database, and how long each took."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self.seen: list[tuple[str, Any, float]] = []

    def _before(self, conn: Any, _cursor: Any, *_: Any) -> None:
        conn.info["bench.started"] = time.perf_counter()

    def _after(self, conn: Any, _cursor: Any, statement: str, parameters: Any, *_: Any) -> None:
        if statement.lstrip().upper().startswith("SELECT"):
            took = time.perf_counter() - conn.info.pop("bench.started")
            self.seen.append((statement, parameters, took))

    def __enter__(self) -> Statements:
        event.listen(self.engine, "before_cursor_execute", self._before)
        event.listen(self.engine, "after_cursor_execute", self._after)
        return self

    def __exit__(self, *_exc: object) -> None:
        event.remove(self.engine, "before_cursor_execute", self._before)
        event.remove(self.engine, "after_cursor_execute", self._after)

    def slowest(self, count: int = 3) -> list[str]:
        ranked = sorted(self.seen, key=lambda item: -item[2])[:count]
        return [
            f"{took * 1000:7.1f} ms  {' '.join(st.split())[:110]} ..." for st, _, took in ranked
        ]


def query_plans(engine: Engine, statements: list[tuple[str, Any, float]]) -> list[str]:
    """EXPLAIN QUERY PLAN (SQLite) / EXPLAIN ANALYZE (PostgreSQL) of the inbox's queries."""
    sqlite = engine.dialect.name == "sqlite"
    prefix = "EXPLAIN QUERY PLAN " if sqlite else "EXPLAIN (ANALYZE, COSTS OFF) "
    plans, done = [], set()
    with engine.connect() as connection:
        for statement, parameters, _took in statements:
            if "bulletin_" not in statement or statement in done:
                continue
            done.add(statement)
            rows = connection.exec_driver_sql(prefix + statement, parameters).all()
            lines = [f"{r[1]:>3} {r[3]}" if sqlite else r[0] for r in rows]
            flat = " ".join(statement.split())
            plans.append(f"  query: {flat[:300]}{' ...' if len(flat) > 300 else ''}")
            plans += [f"    {line}" for line in lines]
    return plans


def sqlite_statistics(url: str, analyzed: bool) -> None:
    """With or without the planner statistics of ANALYZE (SQLite never gathers them itself)."""
    engine = make_engine(url)
    with engine.begin() as connection:
        if analyzed:
            connection.exec_driver_sql("ANALYZE")
        elif connection.exec_driver_sql(
            "SELECT 1 FROM sqlite_master WHERE name = 'sqlite_stat1'"
        ).first():
            connection.exec_driver_sql("DELETE FROM sqlite_stat1")
    engine.dispose()


def inbox_bench(url: str, requests: int, cold_requests: int) -> dict[str, Any]:
    app = portal_app(url)
    engine = app.extensions["ischia.engine"]
    client = signed_in(app, demo.demo_email(demo.Role.ANALYST, "FR-MININT"))
    with app.app_context():
        from portal.services.bulletins import inbox

        reader_user = accounts.user_by_email(demo.demo_email(demo.Role.ANALYST, "FR-MININT"))
        page = inbox.inbox_page(inbox.Reader.of(reader_user), inbox.InboxQuery())
        assert len(page.rows) == inbox.PAGE_SIZE == 50, len(page.rows)
        visible = page.total
    with engine.connect() as connection:
        total = connection.execute(select(func.count()).select_from(Bulletin)).scalar_one()
    cold: list[float] = []
    for _ in range(cold_requests):
        app.extensions.pop("ischia.inbox_titles", None)  # every title opened and verified
        started = time.perf_counter()
        answer = client.get("/bulletins/")
        cold.append(time.perf_counter() - started)
        assert answer.status_code == 200, answer.status_code
    warm: list[float] = []
    for _ in range(requests):
        started = time.perf_counter()
        answer = client.get("/bulletins/")
        warm.append(time.perf_counter() - started)
        assert answer.status_code == 200, answer.status_code
    with Statements(engine) as statements:
        started = time.perf_counter()
        client.get("/bulletins/")
        traced = time.perf_counter() - started
    plans = query_plans(engine, statements.seen)
    engine.dispose()
    sql = sum(took for _, _, took in statements.seen)
    return {
        "bulletins": total,
        "visible": visible,
        "warm p50": percentile(warm, 0.5),
        "warm p95": percentile(warm, 0.95),
        "cold p50": percentile(cold, 0.5),
        "plans": plans,
        "queries": len(statements.seen),
        "split": f"one warm page: {traced * 1000:.0f} ms, of which SELECTs {sql * 1000:.0f} ms",
        "slowest": statements.slowest(),
    }


# --- 3. seed-demo --bulletins N -----------------------------------------------------------

SUMMARY = re.compile(r"demo bulletins: (\d+) sealed .* in ([\d.]+) s \((\d+) bulletins/s\)")


def seed_bench(backend: str, count: int) -> dict[str, float]:
    with fresh_database(backend) as url:
        app = portal_app(url)
        started = time.perf_counter()
        result = app.test_cli_runner().invoke(args=["seed-demo", "--bulletins", str(count)])
        elapsed = time.perf_counter() - started
        assert result.exit_code == 0, result.output
        match = SUMMARY.search(result.output)
        assert match, result.output
        app.extensions["ischia.engine"].dispose()
    return {
        "command": elapsed,
        "bulletins": float(match.group(1)),
        "seeding": float(match.group(2)),
        "per_second": float(match.group(1)) / float(match.group(2)),
    }


# --- running and reporting ------------------------------------------------------------


def _load() -> str:
    return " ".join(Path("/proc/loadavg").read_text().split()[:3])


def machine() -> str:
    model = subprocess.run(["lscpu"], capture_output=True, text=True, check=False).stdout
    name = re.search(r"Model name:\s*(.+)", model)
    return (
        f"{platform.node()}: {os.cpu_count()} CPUs ({name.group(1) if name else '?'}), "
        f"Python {platform.python_version()}, load {_load()}, {time.strftime('%Y-%m-%d %H:%M')}"
    )


def median_of(runs: list[dict[str, Any]], key: str) -> float:
    return statistics.median(run[key] for run in runs)


def report(title: str, runs: list[dict[str, Any]], keys: dict[str, Callable[..., str]]) -> None:
    print(f"  {title}")
    for key, fmt in keys.items():
        values = ", ".join(fmt(run[key]) for run in runs)
        print(f"    {key:<14} runs: {values}   median {fmt(median_of(runs, key))}")


def percent(value: float) -> str:
    return f"{value * 100:.0f}%"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--posts", type=int, default=60)
    parser.add_argument("--inbox-bulletins", type=int, default=100_000)
    parser.add_argument("--inbox-requests", type=int, default=40)
    parser.add_argument("--seed-bulletins", type=int, default=10_000)
    parser.add_argument("--only", default="post,inbox,seed")
    parser.add_argument("--no-postgres", action="store_true")
    options = parser.parse_args()
    parts = set(options.only.split(","))
    backends = ["sqlite"] + ([] if options.no_postgres else ["postgresql"])
    os.environ.setdefault("OMP_NUM_THREADS", "1")
    master_key()  # creates the working directory too
    print(machine(), flush=True)
    if "post" in parts:
        print("1. post a bulletin, 20 entities, 9 recipients, through POST /bulletins/new")
        for backend in backends:
            runs = [post_bench(backend, options.posts, 5) for _ in range(options.runs)]
            report(backend, runs, {"p50": ms, "p95": ms, "crypto share": percent, "seal mean": ms})
        print(f"  load {_load()}", flush=True)
    if "inbox" in parts:
        count = options.inbox_bulletins
        print(f"2. inbox page of 50 rows with {count} bulletins in the database")
        sqlite_url, made = inbox_sqlite(count)
        print(f"  sealed {count} with the demo path: {made['seconds']:.0f} s, "
              f"{made['per_second']:.0f} bulletins/s (load then {made['load']})")  # fmt: skip
        variants: list[tuple[str, str, Callable[[], None]]] = [
            ("sqlite, no statistics", sqlite_url, lambda: sqlite_statistics(sqlite_url, False)),
            ("sqlite, after ANALYZE", sqlite_url, lambda: sqlite_statistics(sqlite_url, True)),
        ]
        if not options.no_postgres:
            pg_url, copied = inbox_postgres(count, sqlite_url)
            if copied is not None:
                print(f"  copied to PostgreSQL (then ANALYZE) in {copied:.0f} s")
            variants.append(("postgresql", pg_url, lambda: None))
        for backend, url, prepare in variants:
            prepare()
            runs = [inbox_bench(url, options.inbox_requests, 5) for _ in range(options.runs)]
            print(f"  {backend}: {runs[0]['bulletins']} bulletins, {runs[0]['visible']} "
                  f"visible to FR-MININT, {runs[0]['queries']} SELECTs per page")  # fmt: skip
            report(backend, runs, {"warm p50": ms, "warm p95": ms, "cold p50": ms})
            print(f"    {runs[-1]['split']}; the slowest:")
            print("\n".join(f"    {line}" for line in runs[-1]["slowest"]))
            print("\n".join(runs[-1]["plans"]))
        print(f"  load {_load()}", flush=True)
    if "seed" in parts:
        print(f"3. seed-demo --bulletins {options.seed_bulletins} in a fresh database")
        for backend in backends:
            runs = [seed_bench(backend, options.seed_bulletins) for _ in range(options.runs)]
            seconds = lambda v: f"{v:.0f} s"  # noqa: E731
            report(backend, runs, {"command": seconds, "seeding": seconds,
                                   "per_second": lambda v: f"{v:.0f}/s"})  # fmt: skip
        print(f"  load {_load()}", flush=True)


if __name__ == "__main__":
    main()
