"""Issue 17 figures: what the officer's desk costs on the demo data.

In-process (Flask test client, a signed-in demo liaison officer, the demo's SQLite file under
``instance/`` or ``DATABASE_URL``), median and p95 of:

1. the dashboard (desk counts, unread and sent lists with titles, requests, referrals);
2. a read page of the bulletin with the most entities (discovery for each);
3. the password page, the lightest signed-in page (the menu's counts included), as the floor;
4. the menu's counts alone (``inbox.unread_count`` capped at 99 and the pending requests);
5. the desk's counts alone (``inbox.desk_counts``: unread and unacknowledged, capped at 1,000).

Run from the repository root after ``make demo`` (or ``flask seed-demo``)::

    ISCHIA_DEMO=1 .venv/bin/python bench/desk_bench.py [--requests 30] [--user liaison@de-bmi.demo]

Only 127.0.0.1 (PostgreSQL, if DATABASE_URL names it) is contacted.
"""

from __future__ import annotations

import argparse
import re
import statistics
import time
from collections.abc import Callable

from sqlalchemy import select

from portal import create_app
from portal.extensions import db
from portal.models import Bulletin, User
from portal.services.accounts import mfa
from portal.services.bulletins import inbox
from portal.services.discovery import access_requests
from portal.services.principals import Reader

PASSWORD = "Ischia demo passphrase 2026"  # the demo's shared password


def timed(runs: int, call: Callable[[], object]) -> tuple[float, float]:
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        call()
        times.append((time.perf_counter() - start) * 1000)
    times.sort()
    return statistics.median(times), times[max(0, int(len(times) * 0.95) - 1)]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=30)
    parser.add_argument("--user", default="liaison@de-bmi.demo")
    args = parser.parse_args()
    app = create_app()
    if not app.config["DEMO"]:
        raise SystemExit("Set ISCHIA_DEMO=1: the bench signs in as a demo user.")
    client = app.test_client()
    token = re.compile(
        r'name="csrf_token" type="hidden" value="([^"]+)"|name="csrf_token" value="([^"]+)"'
    )

    def csrf(html: str) -> str:
        found = token.search(html)
        assert found, "no CSRF token"
        return found.group(1) or found.group(2)

    page = client.get("/login").text
    client.post("/login", data={"email": args.user, "password": PASSWORD, "csrf_token": csrf(page)})
    with app.app_context():
        user = db.session.scalars(select(User).where(User.email == args.user)).one()
        code = mfa.current_code(user)
        reader = Reader.of(user)
        biggest = db.session.scalars(
            select(Bulletin.id)
            .where(Bulletin.sender_org_id == user.organisation_id, Bulletin.state == "active")
            .order_by(Bulletin.entity_count.desc())
            .limit(1)
        ).one()
    page = client.get("/login/verify").text
    done = client.post("/login/verify", data={"code": code, "csrf_token": csrf(page)})
    assert done.status_code == 302, done.status_code

    def get(path: str) -> Callable[[], object]:
        def call() -> object:
            response = client.get(path)
            assert response.status_code == 200, (path, response.status_code)
            return response

        return call

    for path in ("/", f"/bulletins/{biggest}", "/account/password"):
        get(path)()  # warm caches (titles, graphs, templates)
    rows = [
        ("dashboard /", timed(args.requests, get("/"))),
        (f"read page ({biggest[:8]}…)", timed(args.requests, get(f"/bulletins/{biggest}"))),
        ("floor: /account/password", timed(args.requests, get("/account/password"))),
    ]
    with app.test_request_context():

        def counts() -> object:
            inbox.unread_count(reader, cap=99)
            return access_requests.pending_count(reader)

        rows.append(("menu counts alone", timed(args.requests, counts)))
        rows.append(("desk counts alone", timed(args.requests, lambda: inbox.desk_counts(reader))))
    backend = app.config["SQLALCHEMY_DATABASE_URI"].split(":")[0]
    print(f"user {args.user}, {args.requests} requests each, database {backend}")
    for name, (p50, p95) in rows:
        print(f"{name:32s} p50 {p50:7.1f} ms   p95 {p95:7.1f} ms")


if __name__ == "__main__":
    main()
