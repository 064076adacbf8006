"""kill -9 under load: nothing a client was told is stored may be lost.

For each database (SQLite file, PostgreSQL), a freshly seeded small instance (four ministries,
one liaison officer and one write token each) is served by gunicorn with 4 workers on
127.0.0.1 (a random free port). 20 client threads (5 per ministry) post bulletins to two other
ministries through the API and acknowledge the bulletins posted to theirs. At a random moment
the whole server (master and workers: its process group) gets SIGKILL: between 0.5 and 6 s
after half the clients have had a first answer from it. While it is down, the
database is checked against what the clients were told:

- every bulletin answered ``201`` is there, opens for a recipient and verifies (signature,
  wrapped key, ciphertext);
- every acknowledgement answered ``200`` (or ``409 already acknowledged``, which says one is
  stored) is there;
- ``flask audit verify`` passes (the whole hash chain).

Then the server is started again and the clients go on; 20 kills per database by default.
Requests cut by a kill have no answer and promise nothing; they are counted, not checked.

    .venv/bin/python bench/crash_test.py [--kills 20] [--backend sqlite --backend postgresql]

PostgreSQL is the server of ``TEST_DATABASE_URL`` (default postgres@127.0.0.1:5432/test): a
database of its own is created and dropped. Only 127.0.0.1 is contacted.
"""

from __future__ import annotations

import argparse
import base64
import contextlib
import http.client
import json
import os
import random
import secrets
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

REPOSITORY = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPOSITORY))

from sqlalchemy import select  # noqa: E402
from sqlalchemy.engine import make_url  # noqa: E402

from portal import create_app, schema  # noqa: E402
from portal.database import make_engine  # noqa: E402
from portal.extensions import db  # noqa: E402
from portal.models import Acknowledgement, Bulletin, Organisation  # noqa: E402
from portal.services.accounts import api_tokens  # noqa: E402
from portal.services.accounts import directory as accounts  # noqa: E402
from portal.services.bulletins.reading import Unopened, open_bulletin  # noqa: E402
from portal.services.principals import CLI  # noqa: E402

BIN = Path(sys.executable).parent
MINISTRIES = ("IT-MININT", "FR-MININT", "DE-BMI", "UK-HO")
CLIENTS = 20
WORKERS = 4
START_TIMEOUT = 120.0
REQUEST_TIMEOUT = 60.0


@dataclass
class Ledger:
    """What the server answered, shared by the client threads."""

    lock: threading.Lock = field(default_factory=threading.Lock)
    # bulletin id -> (sender, recipients), for every 201
    posted: dict[str, tuple[str, tuple[str, ...]]] = field(default_factory=dict)
    # (bulletin id, organisation) for every 200, or 409 "already acknowledged"
    acknowledged: set[tuple[str, str]] = field(default_factory=set)
    answers: int = 0  # every request answered, whatever the status
    cut: int = 0  # requests without an answer (the kill came first)
    refused: dict[int, int] = field(default_factory=dict)  # other statuses, by status

    def to_acknowledge(self, org: str, rng: random.Random) -> str | None:
        with self.lock:
            waiting = [
                bulletin_id
                for bulletin_id, (_, recipients) in self.posted.items()
                if org in recipients and (bulletin_id, org) not in self.acknowledged
            ]
        return rng.choice(waiting) if waiting else None


@dataclass
class Server:
    """Where the clients send requests now; ``up`` is cleared while the server is down."""

    port: int = 0
    up: threading.Event = field(default_factory=threading.Event)
    stop: threading.Event = field(default_factory=threading.Event)


@dataclass
class Outcome:
    backend: str
    kills: int = 0
    posted: int = 0
    acknowledged: int = 0
    cut: int = 0
    lost_bulletins: list[str] = field(default_factory=list)
    unverified: list[str] = field(default_factory=list)
    lost_acknowledgements: list[tuple[str, str]] = field(default_factory=list)
    audit_failures: list[str] = field(default_factory=list)
    refused: dict[int, int] = field(default_factory=dict)

    @property
    def lost(self) -> int:
        return (
            len(self.lost_bulletins)
            + len(self.unverified)
            + len(self.lost_acknowledgements)
            + len(self.audit_failures)
        )


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _request(
    port: int, method: str, path: str, token: str, body: dict[str, Any] | None = None
) -> tuple[int, dict[str, Any]]:
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=REQUEST_TIMEOUT)
    try:
        headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}
        connection.request(method, path, json.dumps(body) if body else None, headers)
        answer = connection.getresponse()
        raw = answer.read()
        try:
            data = json.loads(raw) if raw else {}
        except ValueError:
            data = {}
        return answer.status, data
    finally:
        connection.close()


def _document(rng: random.Random, org: str, n: int) -> dict[str, Any]:
    handle = f"@crash_{org.split('-')[0].lower()}_{n}_{rng.randrange(10**6)}"
    return {
        "title": f"{org} crash-test bulletin {n}",
        "summary": "Posted while the server is killed at random.",
        "body": "A recruiter moved his channel again.",
        "entities": [
            {"ref": "p1", "type": "person", "value": f"Person {n}"},
            {"ref": "a1", "type": "account", "platform": "telegram", "value": handle},
        ],
        "relations": [{"source": "p1", "type": "uses_account", "target": "a1"}],
        "grading": {"source": "B", "information": "2", "handling": "H0"},
    }


def client(number: int, org: str, token: str, server: Server, ledger: Ledger, seed: int) -> None:
    """Post (40%) or acknowledge (60%) until told to stop; record every answer."""
    rng = random.Random(seed * 1000 + number)
    others = [code for code in MINISTRIES if code != org]
    sent = 0
    while not server.stop.is_set():
        if not server.up.wait(timeout=0.5):
            continue
        port = server.port
        target = ledger.to_acknowledge(org, rng) if rng.random() < 0.6 else None
        try:
            if target is None:
                sent += 1
                recipients = tuple(sorted(rng.sample(others, 2)))
                status, data = _request(
                    port,
                    "POST",
                    "/api/v1/bulletins",
                    token,
                    {
                        "document": _document(rng, org, sent),
                        "category": "recruitment",
                        "marking": "TLP:AMBER",
                        "recipients": list(recipients),
                    },
                )
                with ledger.lock:
                    ledger.answers += 1
                    if status == 201:
                        ledger.posted[data["id"]] = (org, recipients)
                if status == 201:
                    continue
            else:
                status, data = _request(
                    port, "POST", f"/api/v1/bulletins/{target}/acknowledge", token
                )
                message = str(data.get("error", {}).get("message", ""))
                stored = status == 200 or (status == 409 and "already acknowledged" in message)
                with ledger.lock:
                    ledger.answers += 1
                    if stored:
                        ledger.acknowledged.add((target, org))
                if stored:
                    continue
        except ConnectionRefusedError:  # never reached a server: it is down, or not yet up
            time.sleep(0.05)
            continue
        except (OSError, http.client.HTTPException):  # sent, but no answer: the kill came
            with ledger.lock:
                ledger.cut += 1
            continue
        with ledger.lock:
            ledger.refused[status] = ledger.refused.get(status, 0) + 1


def seed_instance(url: str, master_key: bytes, secret_key: str) -> dict[str, str]:
    """Migrate, create the ministries, their officers and write tokens; returns the tokens."""
    engine = make_engine(url)
    schema.upgrade(engine)
    engine.dispose()
    app = create_app(config(url, master_key, secret_key))
    tokens = {}
    with app.app_context():
        for code in MINISTRIES:
            accounts.create_organisation(CLI, code=code, name=f"{code} ministry", kind="member")
            user = accounts.create_user(
                CLI,
                org_code=code,
                email=f"officer@{code.lower()}.example",
                name=f"{code} officer",
                roles=["liaison", "analyst"],
                password=secrets.token_urlsafe(16),
                must_change_password=False,
                enrol_totp=True,
            )
            tokens[code] = api_tokens.create(user, CLI, "crash test", days=1, write=True).token
    app.extensions["ischia.engine"].dispose()
    return tokens


def config(url: str, master_key: bytes, secret_key: str) -> dict[str, Any]:
    return {"SQLALCHEMY_DATABASE_URI": url, "MASTER_KEY": master_key, "SECRET_KEY": secret_key}


def server_env(url: str, master_key: bytes, secret_key: str) -> dict[str, str]:
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("ISCHIA_", "DATABASE_URL", "SECRET_KEY", "REDIS_URL"))
    }
    return {
        **env,
        "DATABASE_URL": url,
        "SECRET_KEY": secret_key,
        "ISCHIA_MASTER_KEY": base64.urlsafe_b64encode(master_key).decode(),
        "ISCHIA_API_RATE_LIMIT": "1000000 per minute",  # the load, not the limit, is tested
    }


def start(
    env: dict[str, str], workers: int, token: str, log: Path, *, preload: bool = True
) -> tuple[subprocess.Popen[bytes], int]:
    """gunicorn in a process group of its own, once it answers an API request.

    ``--preload`` imports the portal once in the master before forking the workers (the
    portal opens no connection while it is built): on a shared 2-core machine four workers
    importing it at once take over a minute to start, one import a quarter of that. The kill
    and what is checked after it are the same either way.
    """
    port = free_port()
    command = [str(BIN / "gunicorn"), "-w", str(workers), "-b", f"127.0.0.1:{port}"]
    if preload:
        command.append("--preload")
    with log.open("ab") as output:
        process = subprocess.Popen(
            [*command, "--log-level", "warning", "wsgi:app"],
            cwd=REPOSITORY,
            env=env,
            stdout=output,
            stderr=output,
            start_new_session=True,
        )
    deadline = time.monotonic() + START_TIMEOUT
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"gunicorn exited with {process.returncode}; see {log}")
        with contextlib.suppress(OSError, http.client.HTTPException):
            if _request(port, "GET", "/api/v1/bulletins?limit=1", token)[0] == 200:
                return process, port
        time.sleep(0.2)
    kill(process)
    raise RuntimeError(f"gunicorn did not answer within {START_TIMEOUT:.0f} s; see {log}")


def kill(process: subprocess.Popen[bytes]) -> None:
    """SIGKILL to the master and every worker at once (the process group), then reap."""
    with contextlib.suppress(ProcessLookupError):
        os.killpg(process.pid, signal.SIGKILL)
    process.wait(timeout=30)
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:  # the workers, reparented, die with the group
        try:
            os.killpg(process.pid, 0)
        except ProcessLookupError:
            return
        time.sleep(0.05)
    raise RuntimeError("gunicorn workers survived SIGKILL")


def check(app: Any, ledger: Ledger, outcome: Outcome, checked: set[str]) -> None:
    """Compare the database with every 2xx the clients received (server down)."""
    with ledger.lock:
        posted = dict(ledger.posted)
        acknowledged = set(ledger.acknowledged)
    with app.app_context():
        session = db.session()
        rows = {
            bulletin.id: bulletin
            for bulletin in session.scalars(select(Bulletin).where(Bulletin.id.in_(posted)))
        }
        for bulletin_id, (_, recipients) in posted.items():
            bulletin = rows.get(bulletin_id)
            if bulletin is None:
                if bulletin_id not in outcome.lost_bulletins:
                    outcome.lost_bulletins.append(bulletin_id)
                continue
            if bulletin_id in checked:
                continue
            opened = open_bulletin(session, recipients[0], bulletin)
            if isinstance(opened, Unopened):
                outcome.unverified.append(bulletin_id)
            checked.add(bulletin_id)
        codes = {
            row.id: row.code for row in session.execute(select(Organisation.id, Organisation.code))
        }
        stored = {
            (row.bulletin_id, codes[row.org_id])
            for row in session.execute(select(Acknowledgement.bulletin_id, Acknowledgement.org_id))
        }
        outcome.lost_acknowledgements = sorted(acknowledged - stored)
        db.session.remove()
    verified = app.test_cli_runner().invoke(args=["audit", "verify"])
    if verified.exit_code != 0:
        outcome.audit_failures.append(verified.output.strip())
    outcome.posted, outcome.acknowledged = len(posted), len(acknowledged)


def warm(ledger: Ledger, clients: int, timeout: float = 60.0) -> None:
    """Wait until half the clients have had an answer from the restarted server.

    A worker's first requests are slow (lazy imports, keys loaded and unwrapped); on a loaded
    machine a kill timed from the start alone would mostly hit servers still warming up.
    """
    with ledger.lock:
        wanted = ledger.answers + max(1, clients // 2)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with ledger.lock:
            if ledger.answers >= wanted:
                return
        time.sleep(0.05)


@contextlib.contextmanager
def database(backend: str, folder: Path) -> Iterator[str]:
    if backend == "sqlite":
        yield f"sqlite:///{folder / 'crash.db'}"
        return
    admin_url = os.environ.get("TEST_DATABASE_URL", "postgresql://postgres@127.0.0.1:5432/test")
    admin_url = admin_url.replace("postgresql://", "postgresql+psycopg://", 1)
    admin = make_engine(admin_url, isolation_level="AUTOCOMMIT")
    name = f"ischia_crash_{secrets.token_hex(6)}"
    with admin.connect() as connection:
        connection.exec_driver_sql(f'CREATE DATABASE "{name}"')
    try:
        yield make_url(admin_url).set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as connection:
            connection.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.dispose()


def run(
    backend: str,
    kills: int,
    *,
    clients: int = CLIENTS,
    workers: int = WORKERS,
    load: tuple[float, float] = (0.5, 6.0),
    preload: bool = True,
    seed: int | None = None,
    say: Callable[[str], None] = print,
) -> Outcome:
    """``kills`` runs of load-then-SIGKILL on a fresh instance; what was lost, if anything."""
    seed = secrets.randbelow(10**6) if seed is None else seed
    rng = random.Random(seed)
    outcome = Outcome(backend)
    with tempfile.TemporaryDirectory() as folder, database(backend, Path(folder)) as url:
        master_key, secret_key = secrets.token_bytes(32), secrets.token_urlsafe(32)
        tokens = seed_instance(url, master_key, secret_key)
        env = server_env(url, master_key, secret_key)
        checker = create_app(config(url, master_key, secret_key))
        log = Path(folder) / "gunicorn.log"
        ledger, server, checked = Ledger(), Server(), set[str]()
        threads = [
            threading.Thread(
                target=client,
                args=(n, MINISTRIES[n % len(MINISTRIES)], tokens[MINISTRIES[n % len(MINISTRIES)]]),
                kwargs={"server": server, "ledger": ledger, "seed": seed},
                daemon=True,
            )
            for n in range(clients)
        ]
        for thread in threads:
            thread.start()
        try:
            for number in range(1, kills + 1):
                process, server.port = start(
                    env, workers, tokens[MINISTRIES[0]], log, preload=preload
                )
                server.up.set()
                warm(ledger, clients)
                time.sleep(rng.uniform(*load))
                kill(process)
                server.up.clear()
                outcome.kills = number
                check(checker, ledger, outcome, checked)
                outcome.cut, outcome.refused = ledger.cut, dict(ledger.refused)
                say(
                    f"{backend} kill {number}/{kills}: {outcome.posted} bulletins and "
                    f"{outcome.acknowledged} acknowledgements confirmed so far, "
                    f"{outcome.cut} requests cut, lost {outcome.lost}"
                )
        finally:
            server.stop.set()
            server.up.set()
            for thread in threads:
                thread.join(timeout=REQUEST_TIMEOUT + 5)
            checker.extensions["ischia.engine"].dispose()
    return outcome


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--kills", type=int, default=20, help="kills per database (20)")
    parser.add_argument("--backend", action="append", choices=["sqlite", "postgresql"])
    parser.add_argument("--seed", type=int, default=None)
    parser.add_argument(
        "--no-preload", action="store_true", help="each worker imports the portal itself"
    )
    args = parser.parse_args()
    outcomes = [
        run(backend, args.kills, seed=args.seed, preload=not args.no_preload)
        for backend in args.backend or ["sqlite", "postgresql"]
    ]
    print()
    print("| database | kills | bulletins confirmed | acknowledgements confirmed | cut | lost |")
    print("|---|---|---|---|---|---|")
    for o in outcomes:
        print(f"| {o.backend} | {o.kills} | {o.posted} | {o.acknowledged} | {o.cut} | {o.lost} |")
    for o in outcomes:
        if o.refused:
            print(f"{o.backend}: other answers {dict(sorted(o.refused.items()))}")
        for name in ("lost_bulletins", "unverified", "lost_acknowledgements", "audit_failures"):
            if getattr(o, name):
                print(f"{o.backend} {name}: {getattr(o, name)[:10]}")
    total_kills = sum(o.kills for o in outcomes)
    total_lost = sum(o.lost for o in outcomes)
    print(f"\n{total_lost} lost in {total_kills} kills")
    sys.exit(1 if total_lost else 0)


if __name__ == "__main__":
    main()
