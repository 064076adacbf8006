"""Issue 18, part 6: API reads under gunicorn against the floor of an audited read.

Servers, all ``gunicorn -w 2`` on 127.0.0.1 over one SQLite file, measured in the same run with
``wrk -t 2 -c 8``, alternating, ``--rounds`` rounds of ``--seconds`` each:

- ``floor``: ``bench/api_floor_app.py`` (open the same envelope + one audited insert per
  request, group-committed), 4 threads a worker;
- ``api``: this checkout's ``GET /api/v1/bulletins/<id>`` with a token, 4 threads a worker;
- ``api-sync``: the same, sync workers (one request at a time per worker);
- ``before``, ``before-sync``: the same route served by another checkout (``--before``, e.g. the
  main branch before group commit), threaded and sync.

With ``--taxii DB`` (a kept database of sealed bulletins, with ``--master-key`` its key file)
it measures the TAXII ``objects`` page of 50 instead, for this checkout and ``--before``,
against the floor of opening the same envelopes the page opens and committing one audit
record (``api_floor_app.py`` given those bulletins).

    .venv/bin/python bench/api_read_bench.py --before /work/main [--rounds 5] [--seconds 8]

Every server is a child process on 127.0.0.1; nothing is fetched.
"""

from __future__ import annotations

import argparse
import base64
import contextlib
import os
import secrets
import statistics
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path

REPOSITORY = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPOSITORY))
sys.path.insert(0, str(REPOSITORY / "bench"))

import auth_bench  # noqa: E402
import bulletin_bench  # noqa: E402
import interop_bench  # noqa: E402

from portal import create_app  # noqa: E402
from portal.demo import bulletins as demo_bulletins  # noqa: E402
from portal.demo import seeding as demo  # noqa: E402
from portal.services.accounts import api_tokens  # noqa: E402
from portal.services.bulletins.inbox import InboxQuery, matching_ids  # noqa: E402
from portal.services.principals import CLI, Reader  # noqa: E402

BIN = Path(sys.executable).parent


@contextlib.contextmanager
def gunicorn(
    app_spec: str, env: dict[str, str], cwd: Path, threads: int
) -> Iterator[tuple[int, int]]:
    """``auth_bench.gunicorn`` with this checkout (or ``cwd``) on the path and a minute to start."""
    env = {**env, "PYTHONPATH": env.get("PYTHONPATH", str(cwd))}
    with auth_bench.gunicorn(app_spec, env, cwd, threads=threads, startup_s=60) as served:
        yield served


def base_env(url: str, master: bytes) -> dict[str, str]:
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("ISCHIA_", "DATABASE_URL", "SECRET_KEY", "REDIS_URL", "PYTHONPATH"))
    }
    return {
        **env,
        "ISCHIA_API_RATE_LIMIT": "1000000 per minute",  # measure the API, not its limit
        "DATABASE_URL": url,
        "SECRET_KEY": secrets.token_urlsafe(32),
        "ISCHIA_MASTER_KEY": base64.urlsafe_b64encode(master).decode(),
    }


def warm_up(port: int, path: str, headers: dict[str, str]) -> None:
    """Both workers booted and answering 200 (a loaded machine boots them slowly)."""
    for _ in range(6):
        connection = auth_bench.http.client.HTTPConnection("127.0.0.1", port, timeout=120)
        try:
            connection.request("GET", path, headers=headers)
            answer = connection.getresponse()
            answer.read()
            assert answer.status == 200, (port, path, answer.status)
        finally:
            connection.close()


def measure(
    servers: dict[str, tuple[int, int, str, dict[str, str]]],
    rounds: int,
    seconds: int,
    script: Path,
) -> dict[str, tuple[list[float], list[float]]]:
    """Requests/s and worker CPU per request of each server, alternating the order."""
    figures: dict[str, tuple[list[float], list[float]]] = {n: ([], []) for n in servers}
    names = list(servers)
    for port, _, path, headers in servers.values():
        warm_up(port, path, headers)
    for round_ in range(rounds):
        for name in names if round_ % 2 == 0 else reversed(names):
            port, master, path, headers = servers[name]
            before = auth_bench.workers_cpu_seconds(master)
            rate, answered = auth_bench.wrk(port, headers, seconds, script, path)
            figures[name][0].append(rate)
            spent = auth_bench.workers_cpu_seconds(master) - before
            figures[name][1].append(spent / max(answered, 1))
        print(
            f"  round {round_ + 1}: "
            + ", ".join(
                f"{n} {figures[n][0][-1]:.0f}/s ({figures[n][1][-1] * 1000:.2f} ms CPU)"
                for n in names
            )
            + f", {auth_bench.load()}",
            flush=True,
        )
    return figures


def report(figures: dict[str, tuple[list[float], list[float]]], floor: str) -> None:
    medians = {n: statistics.median(rates) for n, (rates, _) in figures.items()}
    for name, (rates, cpu) in figures.items():
        ratios = [rate / f for rate, f in zip(rates, figures[floor][0], strict=True)]
        print(
            f"  {name:<12} median {medians[name]:7.0f} req/s  "
            f"({statistics.median(cpu) * 1000:.2f} ms worker CPU/request); "
            f"of {floor}: median of per-round ratios {statistics.median(ratios):.0%}"
        )


def api_reads(before: Path | None, rounds: int, seconds: int) -> None:
    with tempfile.TemporaryDirectory(prefix="ischia-api-bench-") as folder:
        workdir = Path(folder)
        url = bulletin_bench.migrated(f"sqlite:///{workdir / 'api.db'}")
        master = secrets.token_bytes(32)
        app = create_app(
            {"SQLALCHEMY_DATABASE_URI": url, "SECRET_KEY": "x" * 40, "MASTER_KEY": master}
        )
        with app.app_context():
            demo.seed()
            demo_bulletins.seed_bulletins(50)
            user = interop_bench._analyst()
            reader = Reader.of(user)
            bulletin_id = matching_ids(reader, InboxQuery(), 1)[0]
            token = api_tokens.create(user, CLI, "throughput", days=1).token
        app.extensions["ischia.engine"].dispose()
        env = base_env(url, master)
        floor_env = {**env, "FLOOR_BULLETIN": bulletin_id, "FLOOR_ORG": reader.org_code}
        script = workdir / "count.lua"
        script.write_text(auth_bench.WRK_SCRIPT)
        auth = {"Authorization": f"Bearer {token}"}
        path = f"/api/v1/bulletins/{bulletin_id}"
        plan = [
            ("floor", "api_floor_app:app", REPOSITORY / "bench", floor_env, 4, "/read", {}),
            ("api", "wsgi:app", REPOSITORY, env, 4, path, auth),
            ("api-sync", "wsgi:app", REPOSITORY, env, 1, path, auth),
        ]
        if before is not None:
            plan += [
                ("before", "wsgi:app", before, env, 4, path, auth),
                ("before-sync", "wsgi:app", before, env, 1, path, auth),
            ]
        with contextlib.ExitStack() as stack:
            servers = {}
            for name, spec, cwd, server_env, threads, route, headers in plan:
                if spec == "api_floor_app:app":
                    server_env = {**server_env, "PYTHONPATH": str(REPOSITORY)}
                port, master_pid = stack.enter_context(gunicorn(spec, server_env, cwd, threads))
                servers[name] = (port, master_pid, route, headers)
            print(
                f"API bulletin read, gunicorn -w 2, wrk -t 2 -c 8, {rounds} x {seconds} s, "
                f"{auth_bench.load()}"
            )
            figures = measure(servers, rounds, seconds, script)
    report(figures, "floor")
    if before is not None:
        api = statistics.median(figures["api"][0])
        print(
            f"  api / before-sync (the earlier figure's set-up): "
            f"{api / statistics.median(figures['before-sync'][0]):.1f}x; "
            f"api / before (threaded): {api / statistics.median(figures['before'][0]):.1f}x"
        )


def taxii_pages(
    database: Path, key_file: Path, before: Path | None, rounds: int, seconds: int
) -> None:
    master = key_file.read_bytes()
    url = f"sqlite:///{database}"
    app = create_app({"SQLALCHEMY_DATABASE_URI": url, "SECRET_KEY": "x" * 40, "MASTER_KEY": master})
    with app.app_context():
        user = interop_bench._analyst()
        token = api_tokens.create(user, CLI, "taxii bench", days=1).token
        from sqlalchemy import func, select

        from portal.extensions import db
        from portal.models import Bulletin

        count = db.session.scalar(select(func.count()).select_from(Bulletin))
    headers = {"Authorization": f"Bearer {token}", "Accept": "application/taxii+json;version=2.1"}
    client = app.test_client()
    collections = client.get("/taxii2/api/collections/", headers=headers).json["collections"]
    biggest = max(collections, key=lambda c: c["title"].endswith("IT-MININT"))
    path = (
        f"/taxii2/api/collections/{biggest['id']}/objects/"
        "?limit=50&added_after=2025-06-01T00:00:00Z"
    )
    first = client.get(path, headers=headers)
    assert first.status_code == 200 and len(first.json["objects"]) > 0, first.text[:300]
    objects = len(first.json["objects"])
    with app.app_context():
        opened, reader_org = interop_bench.opened_by_last_page()
    app.extensions["ischia.engine"].dispose()
    env = base_env(url, master)
    floor_env = {
        **env,
        "FLOOR_BULLETIN": ",".join(opened),
        "FLOOR_ORG": reader_org,
        "PYTHONPATH": str(REPOSITORY),
    }
    with tempfile.TemporaryDirectory(prefix="ischia-taxii-bench-") as folder:
        script = Path(folder) / "count.lua"
        script.write_text(auth_bench.WRK_SCRIPT)
        plan = [
            ("floor", "api_floor_app:app", REPOSITORY / "bench", floor_env, 4, "/read", {}),
            ("taxii", "wsgi:app", REPOSITORY, env, 4, path, headers),
            ("taxii-sync", "wsgi:app", REPOSITORY, env, 1, path, headers),
        ]
        if before is not None:
            plan += [
                ("before", "wsgi:app", before, env, 4, path, headers),
                ("before-sync", "wsgi:app", before, env, 1, path, headers),
            ]
        with contextlib.ExitStack() as stack:
            servers = {}
            for name, spec, cwd, server_env, threads, route, route_headers in plan:
                port, pid = stack.enter_context(gunicorn(spec, server_env, cwd, threads))
                servers[name] = (port, pid, route, route_headers)
            print(
                f"TAXII objects page ({objects} objects of {biggest['title']}, "
                f"{len(opened)} bulletins opened; floor: the same {len(opened)} opened and "
                f"one audit record), {count:,} bulletins, gunicorn -w 2, wrk -t 2 -c 8, "
                f"{rounds} x {seconds} s, {auth_bench.load()}"
            )
            figures = measure(servers, rounds, seconds, script)
    report(figures, "floor")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--before", type=Path, help="another checkout to serve the same route")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--seconds", type=int, default=8)
    parser.add_argument("--taxii", type=Path, help="a kept SQLite database of bulletins")
    parser.add_argument("--master-key", type=Path, help="its master key file")
    args = parser.parse_args()
    print(bulletin_bench.machine())
    if args.taxii:
        taxii_pages(args.taxii, args.master_key, args.before, args.rounds, args.seconds)
    else:
        api_reads(args.before, args.rounds, args.seconds)


if __name__ == "__main__":
    main()
