"""Issue 2 figures: what a login costs, and what an authenticated page costs.

1. Argon2id hash and verify time with the portal's default parameters (target 50-250 ms).
2. Dashboard latency in-process (Flask test client, signed-in user), p50 and p95, on SQLite and
   PostgreSQL (target p50 < 10 ms).
3. Requests/s of the authenticated dashboard under gunicorn (2 workers, 127.0.0.1) against a bare
   Flask "hello" app served the same way in the same run, measured with wrk (target >= 50%), with
   the CPU time the gunicorn workers spent per request (from /proc) and the load average, since
   the machine may be shared. A third server, ``session_floor_app``, is the least a signed-in
   page of this stack does (flask-login, the cookie session, one SQLAlchemy lookup, no page): its
   ratio to hello bounds what any authenticated page can reach.

Run from the repository root (needs ``wrk``; PostgreSQL on 127.0.0.1:5432 unless --no-postgres)::

    .venv/bin/python bench/auth_bench.py [--no-postgres] [--rounds 3] [--seconds 10]

Every loop is bounded in count and time, and only 127.0.0.1 is contacted.
"""

from __future__ import annotations

import argparse
import base64
import contextlib
import http.client
import os
import platform
import re
import secrets
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

REPOSITORY = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPOSITORY))
sys.path.insert(0, str(REPOSITORY / "bench"))  # the baseline apps beside this script

import session_floor_app  # noqa: E402
from flask import Flask  # noqa: E402
from flask.testing import FlaskClient  # noqa: E402

from portal import create_app, schema  # noqa: E402
from portal.database import make_engine  # noqa: E402
from portal.services.accounts import directory as accounts  # noqa: E402
from portal.services.accounts import mfa, passwords  # noqa: E402
from portal.services.principals import CLI  # noqa: E402

LABELS = {"hello": "hello", "floor": "session floor", "portal": "dashboard"}
POSTGRES_ADMIN = "postgresql+psycopg://postgres@127.0.0.1:5432/test"
BIN = Path(sys.executable).parent
EMAIL = "bench.analyst@fr.example.org"
PASSWORD = "quiet orchard lantern 2026"
USER_AGENT = "ischia-bench/1"  # session protection binds the session to address and agent
CSRF = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')
WRK_SCRIPT = """
local threads = {}
function setup(thread) table.insert(threads, thread) end
function init(args) not_ok = 0 end
function response(status, headers, body)
  if status ~= 200 then not_ok = not_ok + 1 end
end
function done(summary, latency, requests)
  local total = 0
  for _, thread in ipairs(threads) do total = total + thread:get("not_ok") end
  io.write(string.format("NOT_200 %d\\n", total))
end
"""


def load() -> str:
    return "load " + " ".join(f"{value:.2f}" for value in os.getloadavg())


def milliseconds(seconds: float) -> str:
    return f"{seconds * 1000:.1f} ms"


def percentile(samples: list[float], fraction: float) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, round(fraction * (len(ordered) - 1)))]


def portal_config(database_url: str, secret_key: str, master_key: bytes) -> dict[str, Any]:
    """Everything else, Argon2id parameters included, stays at the portal's defaults."""
    return {
        "SECRET_KEY": secret_key,
        "SQLALCHEMY_DATABASE_URI": database_url,
        "MASTER_KEY": master_key,
    }


def migrated(url: str) -> str:
    engine = make_engine(url)
    schema.upgrade(engine)
    engine.dispose()
    return url


@contextlib.contextmanager
def postgres_database() -> Iterator[str]:
    admin = make_engine(POSTGRES_ADMIN, isolation_level="AUTOCOMMIT")
    name = f"ischia_bench_{secrets.token_hex(6)}"
    with admin.connect() as connection:
        connection.exec_driver_sql(f'CREATE DATABASE "{name}"')
    try:
        yield POSTGRES_ADMIN.rsplit("/", 1)[0] + "/" + name
    finally:
        with admin.connect() as connection:
            connection.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.dispose()


def add_user(app: Flask) -> None:
    with app.app_context():
        accounts.create_organisation(CLI, code="FR-MININT", name="Ministère", kind="member")
        accounts.create_user(
            CLI,
            org_code="FR-MININT",
            email=EMAIL,
            name="Bench Analyst",
            roles=["analyst", "liaison"],
            password=PASSWORD,
            must_change_password=False,
            enrol_totp=True,
        )


def signed_in_client(app: Flask) -> FlaskClient:
    """Sign in through /login and /login/verify, as a browser would."""
    client = app.test_client()
    client.environ_base["HTTP_USER_AGENT"] = USER_AGENT

    def post(path: str, data: dict[str, str]) -> None:
        page = client.get(path)
        token = CSRF.search(page.text)
        assert token, f"no CSRF token on {path}"
        answer = client.post(path, data={**data, "csrf_token": token.group(1)})
        assert answer.status_code == 302, f"{path}: {answer.status_code}"

    post("/login", {"email": EMAIL, "password": PASSWORD})
    with app.app_context():
        code = mfa.current_code(accounts.user_by_email(EMAIL))
    post("/login/verify", {"code": code})
    check = client.get("/")
    assert check.status_code == 200 and "Welcome, Bench Analyst" in check.text, check.status_code
    return client


# 1. Argon2id ---------------------------------------------------------------------------------


def argon2_figures(app: Flask, runs: int) -> dict[str, float]:
    with app.app_context():
        config = app.config
        print(
            f"Argon2id m={config['ARGON2_MEMORY_COST_KIB']} KiB, t={config['ARGON2_TIME_COST']},"
            f" p={config['ARGON2_PARALLELISM']} (portal defaults), median of {runs} runs"
        )
        hashes, verifies = [], []
        for _ in range(runs):
            started = time.perf_counter()
            stored = passwords.hash_password(PASSWORD)
            hashes.append(time.perf_counter() - started)
            started = time.perf_counter()
            assert passwords.verify_password(stored, PASSWORD)
            verifies.append(time.perf_counter() - started)
    figures = {"hash": statistics.median(hashes), "verify": statistics.median(verifies)}
    print(f"  hash   {milliseconds(figures['hash'])}   (min {milliseconds(min(hashes))})")
    print(f"  verify {milliseconds(figures['verify'])}   (min {milliseconds(min(verifies))})")
    return figures


# 2. In-process latency -----------------------------------------------------------------------


def latency(get: Callable[[], Any], requests: int, warm_up: int = 20) -> tuple[float, float]:
    for _ in range(warm_up):
        get()
    samples = []
    deadline = time.monotonic() + 60
    for _ in range(requests):
        started = time.perf_counter()
        get()
        samples.append(time.perf_counter() - started)
        if time.monotonic() > deadline:
            break
    return percentile(samples, 0.50), percentile(samples, 0.95)


def dashboard_latency(app: Flask, label: str, requests: int) -> tuple[float, float]:
    client = signed_in_client(app)

    def get() -> None:
        answer = client.get("/")
        assert answer.status_code == 200

    p50, p95 = latency(get, requests)
    print(f"  dashboard on {label:<10} p50 {milliseconds(p50)}  p95 {milliseconds(p95)}")
    return p50, p95


def hello_latency(requests: int) -> tuple[float, float]:
    from hello_app import app as hello

    client = hello.test_client()
    p50, p95 = latency(lambda: client.get("/"), requests)
    print(f"  bare hello (reference) p50 {milliseconds(p50)}  p95 {milliseconds(p95)}")
    return p50, p95


# 3. gunicorn throughput ----------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def fetch(port: int, headers: dict[str, str]) -> tuple[int, str]:
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    try:
        connection.request("GET", "/", headers=headers)
        answer = connection.getresponse()
        return answer.status, answer.read().decode("utf-8", "replace")
    finally:
        connection.close()


def floor_sign_in(port: int) -> dict[str, str]:
    """Sign in to the session floor app; the headers that carry its session cookie."""
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    try:
        connection.request("POST", "/sign-in", headers={"User-Agent": USER_AGENT})
        answer = connection.getresponse()
        answer.read()
        cookie = answer.getheader("Set-Cookie", "").split(";", 1)[0]
        assert answer.status == 200 and cookie, answer.status
    finally:
        connection.close()
    return {"Cookie": cookie, "User-Agent": USER_AGENT}


def workers_cpu_seconds(master: int) -> float:
    """User + system CPU time of the gunicorn master's children (its workers), from /proc."""
    ticks = os.sysconf("SC_CLK_TCK")
    children = Path(f"/proc/{master}/task/{master}/children").read_text().split()
    total = 0
    for pid in children:
        with contextlib.suppress(OSError):
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
            total += int(fields[11]) + int(fields[12])  # utime, stime
    return total / ticks


@contextlib.contextmanager
def gunicorn(
    app_spec: str, env: dict[str, str], cwd: Path, *, threads: int = 1, startup_s: float = 30
) -> Iterator[tuple[int, int]]:
    """Two gunicorn workers (``threads`` each) serving ``app_spec`` on a free local port."""
    port = free_port()
    command = [str(BIN / "gunicorn"), "-w", "2", "-b", f"127.0.0.1:{port}"]
    if threads > 1:
        command += ["--threads", str(threads)]
    server = subprocess.Popen([*command, "--log-level", "warning", app_spec], cwd=cwd, env=env)
    try:
        deadline = time.monotonic() + startup_s
        while True:
            with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), 1):
                break
            if server.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"gunicorn for {app_spec} did not start")
            time.sleep(0.2)
        yield port, server.pid
    finally:
        server.terminate()
        try:
            server.wait(timeout=15)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait(timeout=5)


def wrk(
    port: int, headers: dict[str, str], seconds: int, script: Path, path: str = "/"
) -> tuple[float, int]:
    """Requests/s and the number of requests answered (every answer must be a 200)."""
    command = ["wrk", "-t", "2", "-c", "8", "-d", f"{seconds}s", "-s", str(script)]
    for name, value in headers.items():
        command += ["-H", f"{name}: {value}"]
    output = subprocess.run(
        [*command, f"http://127.0.0.1:{port}{path}"],
        capture_output=True,
        text=True,
        check=True,
        timeout=seconds + 30,
    ).stdout
    rate = re.search(r"Requests/sec:\s+([\d.]+)", output)
    done = re.search(r"(\d+) requests in", output)
    not_ok = re.search(r"NOT_200 (\d+)", output)
    assert rate and done and not_ok, output
    assert int(not_ok.group(1)) == 0, f"{not_ok.group(1)} answers were not 200:\n{output}"
    return float(rate.group(1)), int(done.group(1))


def throughput(workdir: Path, rounds: int, seconds: int, master_key: bytes) -> dict[str, Any]:
    """The portal (SQLite file, signed-in cookie) against hello, alternating, same wrk load."""
    secret_key = secrets.token_urlsafe(32)
    url = migrated(f"sqlite:///{workdir / 'gunicorn.db'}")
    app = create_app(portal_config(url, secret_key, master_key))
    add_user(app)
    client = signed_in_client(app)
    cookie = client.get_cookie(app.config["SESSION_COOKIE_NAME"])
    assert cookie is not None
    headers = {"Cookie": f"{cookie.key}={cookie.value}", "User-Agent": USER_AGENT}
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("ISCHIA_", "DATABASE_URL", "SECRET_KEY", "REDIS_URL"))
    }
    portal_env = {
        **env,
        "DATABASE_URL": url,
        "SECRET_KEY": secret_key,
        "ISCHIA_MASTER_KEY": base64.urlsafe_b64encode(master_key).decode(),
    }
    floor_url = f"sqlite:///{workdir / 'floor.db'}"
    session_floor_app.create_database(floor_url)
    floor_env = {**env, "FLOOR_DATABASE_URL": floor_url, "SECRET_KEY": secret_key}
    script = workdir / "count.lua"
    script.write_text(WRK_SCRIPT)
    names = ("hello", "floor", "portal")
    rates: dict[str, list[float]] = {name: [] for name in names}
    cpu: dict[str, list[float]] = {name: [] for name in names}
    with (
        gunicorn("wsgi:app", portal_env, REPOSITORY) as (portal_port, portal_master),
        gunicorn("hello_app:app", env, REPOSITORY / "bench") as (hello_port, hello_master),
        gunicorn("session_floor_app:app", floor_env, REPOSITORY / "bench") as (
            floor_port,
            floor_master,
        ),
    ):
        status, body = fetch(portal_port, headers)
        assert status == 200 and "Welcome, Bench Analyst" in body, (status, body[:300])
        assert fetch(hello_port, {})[0] == 200
        floor_headers = floor_sign_in(floor_port)
        assert fetch(floor_port, floor_headers) == (200, "Hello, Bench Analyst")
        targets = {
            "portal": (portal_port, portal_master, headers),
            "hello": (hello_port, hello_master, {}),
            "floor": (floor_port, floor_master, floor_headers),
        }
        for round_ in range(rounds):
            order = list(names) if round_ % 2 == 0 else list(reversed(names))
            for name in order:
                port, master, extra = targets[name]
                before = workers_cpu_seconds(master)
                rate, answered = wrk(port, extra, seconds, script)
                rates[name].append(rate)
                cpu[name].append((workers_cpu_seconds(master) - before) / answered)
            print(
                f"  round {round_ + 1}: "
                + ", ".join(
                    f"{LABELS[name]} {rates[name][-1]:.0f} req/s"
                    f" ({cpu[name][-1] * 1000:.2f} ms worker CPU/request)"
                    for name in names
                )
                + f", {load()}"
            )
        status, body = fetch(portal_port, headers)
        assert status == 200 and "Welcome, Bench Analyst" in body, "the session did not survive"
    floor = statistics.median(rates["floor"])
    hello, portal = statistics.median(rates["hello"]), statistics.median(rates["portal"])
    print(
        f"  median: hello {hello:.0f} req/s, authenticated dashboard {portal:.0f} req/s,"
        f" ratio {portal / hello:.0%}  (target >= 50%)"
    )
    print(
        f"  session floor (flask-login + one SQLAlchemy lookup, no page) {floor:.0f} req/s,"
        f" ratio {floor / hello:.0%} of hello; the dashboard reaches {portal / floor:.0%} of it"
    )
    print(
        "  median worker CPU per request: "
        + ", ".join(f"{LABELS[n]} {statistics.median(cpu[n]) * 1000:.2f} ms" for n in names)
    )
    return {
        "hello": hello,
        "portal": portal,
        "floor": floor,
        "ratio": portal / hello,
        "rates": rates,
        "cpu": cpu,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--no-postgres", action="store_true", help="skip the PostgreSQL figure")
    parser.add_argument("--argon2-runs", type=int, default=7)
    parser.add_argument("--requests", type=int, default=300, help="in-process requests per DB")
    parser.add_argument("--rounds", type=int, default=3, help="wrk rounds per server")
    parser.add_argument("--seconds", type=int, default=10, help="duration of one wrk round")
    args = parser.parse_args()
    print(f"Ischia auth bench · {platform.node()} · {os.cpu_count()} CPUs · Python {sys.version}")
    print(f"Start: {load()}")
    master_key = secrets.token_bytes(32)
    with tempfile.TemporaryDirectory(prefix="ischia-bench-") as directory:
        workdir = Path(directory)
        sqlite_url = migrated(f"sqlite:///{workdir / 'inprocess.db'}")
        sqlite_app = create_app(portal_config(sqlite_url, secrets.token_urlsafe(32), master_key))

        print("\n1. Login cost")
        argon2_figures(sqlite_app, args.argon2_runs)

        print(f"\n2. Dashboard in-process, {args.requests} requests (target p50 < 10 ms)")
        add_user(sqlite_app)
        dashboard_latency(sqlite_app, "SQLite", args.requests)
        if not args.no_postgres:
            with postgres_database() as url:
                pg_config = portal_config(migrated(url), secrets.token_urlsafe(32), master_key)
                pg_app = create_app(pg_config)
                add_user(pg_app)
                dashboard_latency(pg_app, "PostgreSQL", args.requests)
                pg_app.extensions["ischia.engine"].dispose()
        hello_latency(args.requests)

        print(
            f"\n3. gunicorn -w 2 on 127.0.0.1, wrk -t 2 -c 8,"
            f" {args.rounds} x {args.seconds} s each, {load()}"
        )
        throughput(workdir, args.rounds, args.seconds, master_key)


if __name__ == "__main__":
    main()
