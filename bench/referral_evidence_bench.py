"""Referral evidence and webhook figures (issue 14, no targets named: measured to be known).

1. Attaching evidence (hash, seal to two organisations, store in 1 MiB chunk rows, join the
   case) and downloading it (verify, decrypt, check the hash), for 1 MB and 20 MB files.
2. Signing one webhook body (Ed25519 + ML-DSA-65) and verifying it offline.
3. One in-process delivery to a listener on 127.0.0.1: claim, sign, POST, record the attempt.

Run from the repository root, SQLite in a temporary directory (PostgreSQL with --postgres)::

    .venv/bin/python bench/referral_evidence_bench.py [--postgres] [--rounds 5]

Only 127.0.0.1 is contacted.
"""

from __future__ import annotations

import argparse
import io
import os
import secrets
import statistics
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

REPOSITORY = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPOSITORY))

from sqlalchemy import select  # noqa: E402

from crypto.webhook import verify  # noqa: E402
from portal import create_app, schema  # noqa: E402
from portal.database import make_engine  # noqa: E402
from portal.extensions import db  # noqa: E402
from portal.models import User, WebhookDelivery  # noqa: E402
from portal.services.accounts import directory as accounts  # noqa: E402
from portal.services.principals import CLI, Actor, Reader  # noqa: E402
from portal.services.referrals import evidence, intake, webhooks  # noqa: E402
from portal.services.referrals.intake import ItemDraft, ReferralDraft  # noqa: E402

POSTGRES_ADMIN = "postgresql+psycopg://postgres@127.0.0.1:5432/test"


def median_ms(run: Callable[[], object], rounds: int) -> float:
    times = []
    for _ in range(rounds):
        started = time.perf_counter()
        run()
        times.append((time.perf_counter() - started) * 1000)
    return statistics.median(times)


class Sink(BaseHTTPRequestHandler):
    def do_POST(self) -> None:
        self.rfile.read(int(self.headers.get("Content-Length", "0")))
        self.send_response(204)
        self.end_headers()

    def log_message(self, *args: object) -> None:
        pass


def refer_one(reader: Reader, actor: Actor, now: datetime | None = None) -> str:
    draft = ReferralDraft(
        "PLATFORM-X",
        "referral",
        [ItemDraft(f"https://v.example/{secrets.token_hex(6)}", "video", "other", "Recruitment.")],
    )
    return intake.refer(reader, actor, draft, now=now).items[0].id


def evidence_round(reader: Reader, actor: Actor, size_mb: int, rounds: int) -> tuple[float, float]:
    """Medians of refer + attach, then of download, for a file of ``size_mb``."""
    data = secrets.token_bytes(size_mb * 1024 * 1024)
    ids: list[tuple[str, str]] = []

    def attach_one() -> None:
        item_id = refer_one(reader, actor)
        upload = evidence.EvidenceUpload("c.mp4", io.BytesIO(data))
        ids.append((item_id, evidence.attach(reader, actor, item_id, upload).id))

    attach_ms = median_ms(attach_one, rounds)
    pending = iter(ids)

    def download_one() -> None:
        item_id, evidence_id = next(pending)
        assert len(evidence.download(reader, actor, item_id, evidence_id).data) == len(data)

    return attach_ms, median_ms(download_one, rounds)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--postgres", action="store_true")
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="ischia-evidence-bench-"))
    if args.postgres:
        name = f"ischia_bench_{secrets.token_hex(6)}"
        admin = make_engine(POSTGRES_ADMIN, isolation_level="AUTOCOMMIT")
        with admin.connect() as connection:
            connection.exec_driver_sql(f'CREATE DATABASE "{name}"')
        url = POSTGRES_ADMIN.rsplit("/", 1)[0] + "/" + name
    else:
        url = f"sqlite:///{work / 'bench.db'}"
    engine = make_engine(url)
    schema.upgrade(engine)
    engine.dispose()
    app = create_app(
        {
            "TESTING": True,
            "SECRET_KEY": "evidence-bench-" + "x" * 32,
            "SQLALCHEMY_DATABASE_URI": url,
            "MASTER_KEY": secrets.token_bytes(32),
            "WEBHOOK_ALLOW_LOOPBACK_HTTP": True,
        }
    )
    server = ThreadingHTTPServer(("127.0.0.1", 0), Sink)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    print(f"backend: {'postgresql' if args.postgres else 'sqlite'}; load average {os.getloadavg()}")
    try:
        with app.app_context():
            accounts.create_organisation(CLI, code="DE-BMI", name="DE", kind="member", country="DE")
            accounts.create_organisation(
                CLI, code="PLATFORM-X", name="X", kind="platform", country="US"
            )
            de = accounts.create_user(
                CLI,
                email="de@de.example",
                name="DE",
                org_code="DE-BMI",
                roles=["liaison"],
                password="bench password " + secrets.token_hex(8),
            )
            admin_user = accounts.create_user(
                CLI,
                email="admin@x.example",
                name="X",
                org_code="PLATFORM-X",
                roles=["org_admin"],
                password="bench password " + secrets.token_hex(8),
            )
            reader = Reader.of(db.session.get_one(User, de.id))
            actor = Actor(reader.user_id, reader.email, reader.org_id, None)
            for size_mb in (1, 20):
                attach_ms, download_ms = evidence_round(reader, actor, size_mb, args.rounds)
                print(
                    f"evidence {size_mb:>2} MB: refer+attach {attach_ms:8.1f} ms, "
                    f"download {download_ms:8.1f} ms (median of {args.rounds})"
                )
            signer = webhooks.signer()
            body = b'{"event":"referral.items.new","items":[' + b'{"id":"x"},' * 99 + b"{}]}"
            stamp = int(time.time())
            sign_ms = median_ms(lambda: signer.sign(body, stamp), 50)
            header = signer.sign(body, stamp)
            verify_ms = median_ms(
                lambda: verify(header, body, signer.public_key, now=time.time()), 50
            )
            print(
                f"webhook sign {sign_ms:.2f} ms, offline verify {verify_ms:.2f} ms (median of 50)"
            )

            def deliver_one() -> None:
                refer_one(reader, actor, datetime.now(UTC))

            without_hook = median_ms(deliver_one, 20)
            platform = Reader.of(db.session.get_one(User, admin_user.id))
            webhooks.register(
                platform,
                Actor(platform.user_id, platform.email, platform.org_id, None),
                f"http://127.0.0.1:{server.server_address[1]}/hook",
            )

            with_hook = median_ms(deliver_one, 20)
            states = set(db.session.scalars(select(WebhookDelivery.state)))
            print(
                f"refer one item: {without_hook:.1f} ms without an endpoint, {with_hook:.1f} ms "
                f"with an in-process delivery to 127.0.0.1 (median of 20; deliveries {states})"
            )
    finally:
        server.shutdown()
        if args.postgres:
            with admin.connect() as connection:
                connection.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
            admin.dispose()


if __name__ == "__main__":
    main()
