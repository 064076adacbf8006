"""Issue 7 figures: STIX export and import, TAXII pages at 100,000 bulletins, API throughput.

1. Export 1,000 sealed demo bulletins as one STIX 2.1 bundle (decrypt, verify, map): objects/s.
2. Import a 10,000-object bundle shaped like a MISP export (250 persons of interest, 250
   accounts, 1,000 relationships, 8,500 indicators that have no Ischia entity): objects/s.
3. TAXII ``objects`` GET, pages of 100, on the kept database of 100,000 demo bulletins
   (``bulletin_bench.inbox_sqlite``; made on first use, about ten minutes): p50 and p95 over
   --requests pages, following ``next`` from random starting points (target p50 < 100 ms).
4. GET /api/v1/bulletins/<id> with a token under gunicorn (2 workers) on 127.0.0.1, against a
   bare Flask hello served the same way in the same run (needs ``wrk``).
5. Hostile bundles (a 200,000-character name, 40 levels of nesting, 10,001 objects): how long
   the import takes to refuse each, against parsing the same bytes with ``json.loads`` (the
   floor) in the same run. The test suite checks only that they are refused and store nothing.

    .venv/bin/python bench/interop_bench.py [--runs 3] [--requests 50] [--only hostile]

Only local files are touched; nothing is fetched.
"""

from __future__ import annotations

import argparse
import json
import random
import statistics
import sys
import tempfile
import time
import uuid
from pathlib import Path

from sqlalchemy import func, select

REPOSITORY = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPOSITORY))
sys.path.insert(0, str(REPOSITORY / "bench"))

import bulletin_bench  # noqa: E402

from portal.demo import bulletins as demo_bulletins  # noqa: E402
from portal.demo import seeding as demo  # noqa: E402
from portal.extensions import db  # noqa: E402
from portal.models import AuditRecord, Bulletin, Organisation, Role, User  # noqa: E402
from portal.services.accounts import api_tokens  # noqa: E402
from portal.services.bulletins.inbox import InboxQuery, matching_ids  # noqa: E402
from portal.services.bulletins.reading import OpenedBulletin, open_bulletin  # noqa: E402
from portal.services.errors import InvalidInput  # noqa: E402
from portal.services.organisations import keys as org_keys  # noqa: E402
from portal.services.principals import CLI, Reader  # noqa: E402
from portal.services.stix import export, intake  # noqa: E402


def _analyst() -> User:
    email = demo.demo_email(Role.ANALYST, "FR-MININT")
    return db.session.query(User).filter_by(email=email).one()


def misp_like_bundle(size: int = 10_000) -> dict:
    stamp = "2026-05-01T10:00:00.000Z"
    objects: list[dict] = []
    actors, accounts = [], []
    for i in range(250):
        actor = {
            "type": "threat-actor",
            "spec_version": "2.1",
            "id": f"threat-actor--{uuid.uuid4()}",
            "created": stamp,
            "modified": stamp,
            "name": f"Actor {i}",
            "threat_actor_types": ["terrorist"],
        }
        account = {
            "type": "user-account",
            "spec_version": "2.1",
            "id": f"user-account--{uuid.uuid4()}",
            "account_type": "telegram",
            "account_login": f"channel_{i}",
        }
        actors.append(actor)
        accounts.append(account)
    objects += actors + accounts
    for i in range(1_000):
        objects.append(
            {
                "type": "relationship",
                "spec_version": "2.1",
                "id": f"relationship--{uuid.uuid4()}",
                "created": stamp,
                "modified": stamp,
                "relationship_type": "uses",
                "source_ref": actors[i % 250]["id"],
                "target_ref": accounts[(i * 7) % 250]["id"],
            }
        )
    while len(objects) < size:
        objects.append(
            {
                "type": "indicator",
                "spec_version": "2.1",
                "id": f"indicator--{uuid.uuid4()}",
                "created": stamp,
                "modified": stamp,
                "pattern_type": "stix",
                "pattern": f"[url:value = 'https://example.org/{len(objects)}']",
                "valid_from": "2026-05-01T10:00:00Z",
            }
        )
    return {"type": "bundle", "id": f"bundle--{uuid.uuid4()}", "objects": objects}


def stix_figures(runs: int) -> None:
    with tempfile.TemporaryDirectory() as folder:
        url = bulletin_bench.migrated(f"sqlite:///{Path(folder) / 'stix.db'}")
        app = bulletin_bench.portal_app(url)
        with app.app_context():
            demo.seed()
            demo_bulletins.seed_bulletins(2_200)
            reader = Reader.of(_analyst())
            ids = matching_ids(reader, InboxQuery(), 1_000)
            exports = []
            for _ in range(runs):
                started = time.perf_counter()
                bundle = export.bundle(reader, ids)
                exports.append(time.perf_counter() - started)
            count = len(bundle["objects"])
            seconds = statistics.median(exports)
            print(
                f"export: {len(ids)} bulletins, {count:,} objects, median {seconds:.2f} s "
                f"over {runs} runs = {count / seconds:,.0f} objects/s"
            )
    raw = json.dumps(misp_like_bundle()).encode()
    imports = []
    for _ in range(runs):
        started = time.perf_counter()
        draft = intake.draft_from_bundle(raw)
        imports.append(time.perf_counter() - started)
    seconds = statistics.median(imports)
    print(
        f"import: 10,000 objects ({len(raw) / 2**20:.1f} MB), a draft of "
        f"{len(draft.document['entities'])} entities and {len(draft.document['relations'])} "
        f"relations, {sum(draft.ignored.values()):,} ignored; median {seconds:.2f} s = "
        f"{10_000 / seconds:,.0f} objects/s"
    )


def _nested(levels: int) -> object:
    value: object = "x"
    for _ in range(levels):
        value = {"a": value}
    return value


HOSTILE = {
    "a 200,000-character name": [
        {"type": "threat-actor", "id": "threat-actor--bad", "name": "x" * 200_000}
    ],
    "40 levels of nesting": [{"type": "note", "id": "note--1", "x": _nested(40)}],
    "10,001 objects": [{"type": "url", "spec_version": "2.1", "value": "https://a.example"}]
    * 10_001,
}


def hostile_figures(runs: int) -> None:
    """Refusal time of each hostile bundle, as a ratio to json.loads of the same bytes."""
    for name, objects in HOSTILE.items():
        raw = json.dumps({"type": "bundle", "objects": objects}).encode()
        refusals, floors = [], []
        for _ in range(max(runs, 5)):
            started = time.perf_counter()
            json.loads(raw)
            floors.append(time.perf_counter() - started)
            started = time.perf_counter()
            try:
                intake.draft_from_bundle(raw)
            except InvalidInput:
                pass
            else:
                raise SystemExit(f"hostile bundle ({name}) was accepted")
            refusals.append(time.perf_counter() - started)
        refusal, floor = statistics.median(refusals), statistics.median(floors)
        print(
            f"hostile: {name} ({len(raw) / 2**10:,.0f} KiB) refused in {refusal * 1000:.2f} ms, "
            f"json.loads floor {floor * 1000:.2f} ms, ratio {refusal / floor:.1f}"
        )


_IMPORT_CHILD = """
import json, resource, sys, time
sys.path.insert(0, sys.argv[1])
from portal.services.stix import intake
raw = open(sys.argv[2], "rb").read()
started = time.perf_counter()
if sys.argv[3] == "import":
    draft = intake.draft_from_bundle(raw)
    kept = len(draft.document["entities"]), len(draft.document["relations"]), len(draft.report)
else:
    kept = (len(json.loads(raw)["objects"]), 0, 0)
seconds = time.perf_counter() - started
rss_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
print(json.dumps({"seconds": seconds, "rss_mb": rss_mb, "kept": kept}))
"""


def import_figures(runs: int, size: int = 5_000) -> None:
    """Import of a ``size``-object bundle in a fresh interpreter each run: time and peak RSS,
    against a floor that only loads the same JSON (same imports) in the same run."""
    import subprocess

    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "bundle.json"
        path.write_text(json.dumps(misp_like_bundle(size)))
        results: dict[str, list[dict]] = {"import": [], "floor": []}
        for _ in range(runs):
            for mode in ("floor", "import"):
                done = subprocess.run(
                    [sys.executable, "-c", _IMPORT_CHILD, str(REPOSITORY), str(path), mode],
                    capture_output=True,
                    text=True,
                    check=True,
                )
                results[mode].append(json.loads(done.stdout))
        size_mb = path.stat().st_size / 2**20
    seconds = statistics.median(r["seconds"] for r in results["import"])
    rss = statistics.median(r["rss_mb"] for r in results["import"])
    floor_rss = statistics.median(r["rss_mb"] for r in results["floor"])
    floor_seconds = statistics.median(r["seconds"] for r in results["floor"])
    entities, relations, outcomes = results["import"][0]["kept"]
    print(
        f"import: {size:,} objects ({size_mb:.1f} MB) -> {entities} entities, {relations} "
        f"relations, {outcomes:,} report lines; median {seconds:.2f} s over {runs} runs "
        f"(json.loads floor {floor_seconds:.2f} s); peak RSS {rss:.0f} MB (floor: the same "
        f"interpreter loading the JSON only, {floor_rss:.0f} MB)"
    )


def opened_by_last_page() -> tuple[list[str], str]:
    """The bulletins the last TAXII page opened (its audit record names them), and the reader's
    organisation: what the floor opens."""
    record = db.session.scalars(
        select(AuditRecord)
        .where(AuditRecord.event == "taxii.objects_read")
        .order_by(AuditRecord.seq.desc())
        .limit(1)
    ).one()
    org = db.session.get(Organisation, record.actor_org_id)
    assert org is not None
    return list(record.details["bulletins"]), org.code


def _floor(reader_org: str, bulletin_ids: list[str]) -> float:
    """Seconds to open the same envelopes alone (rows read, key ring loaded once, decrypted,
    both signatures verified, content parsed): what no page can go below."""
    began = time.perf_counter()
    session = db.session()
    keyring = org_keys.keyring(reader_org)
    for bulletin_id in bulletin_ids:
        bulletin = session.get(Bulletin, bulletin_id)
        assert bulletin is not None
        opened = open_bulletin(session, reader_org, bulletin, keyring=keyring)
        assert isinstance(opened, OpenedBulletin), opened
    seconds = time.perf_counter() - began
    db.session.remove()
    return seconds


def taxii_figures(requests: int, bulletins: int = 100_000, limit: int = 100) -> None:
    """p50 and p95 of TAXII object pages in process, each with its floor (the same envelopes
    opened alone, right after it)."""
    url, _ = bulletin_bench.inbox_sqlite(bulletins)
    bulletin_bench.migrated(url)  # a kept database made by an older revision gets the new indexes
    app = bulletin_bench.portal_app(url)
    with app.app_context():
        user = _analyst()
        secret = api_tokens.create(user, CLI, "interop bench", days=1).token
        have = db.session.scalar(select(func.count()).select_from(Bulletin))
    client = app.test_client()
    headers = {"Authorization": f"Bearer {secret}", "Accept": "application/taxii+json;version=2.1"}
    collections = client.get("/taxii2/api/collections/", headers=headers).json["collections"]
    biggest = max(collections, key=lambda c: c["title"].endswith("IT-MININT"))
    base = f"/taxii2/api/collections/{biggest['id']}/objects/"
    rng = random.Random(7)
    samples, floors, opened_counts = [], [], []
    months = [f"2025-{m:02d}-01T00:00:00Z" for m in range(1, 13)] + [None]
    while len(samples) < requests:
        start = rng.choice(months)
        query = {"limit": limit, **({"added_after": start} if start else {})}
        for _ in range(3):  # a first page and two more through ``next``
            began = time.perf_counter()
            response = client.get(base, query_string=query, headers=headers)
            samples.append(time.perf_counter() - began)
            assert response.status_code == 200, response.text
            with app.app_context():
                opened, reader_org = opened_by_last_page()
                floors.append(_floor(reader_org, opened))
            opened_counts.append(len(opened))
            body = response.json
            if not body.get("next"):
                break
            query = {"limit": limit, "next": body["next"]}

    def quantile(values: list[float], q: float) -> float:
        ordered = sorted(values)
        return ordered[round(q * (len(ordered) - 1))] * 1000

    print(
        f"TAXII objects, pages of {limit}, {have:,} bulletins ({biggest['title']}), "
        f"{statistics.median(opened_counts):.0f} bulletins opened a page (median): "
        f"p50 {quantile(samples, 0.5):.1f} ms, p95 {quantile(samples, 0.95):.1f} ms over "
        f"{len(samples)} pages (target p50 < 50 ms); floor (the same envelopes opened alone) "
        f"p50 {quantile(floors, 0.5):.1f} ms; page / floor (median of per-page ratios) "
        f"{statistics.median(s / f for s, f in zip(samples, floors, strict=True)):.1f}x; "
        f"{bulletin_bench._load()}"
    )


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--requests", type=int, default=50)
    parser.add_argument("--only", choices=["stix", "taxii", "api", "hostile", "import"])
    parser.add_argument("--seconds", type=int, default=10)
    parser.add_argument("--bulletins", type=int, default=100_000, help="TAXII: bulletins seeded")
    parser.add_argument("--limit", type=int, default=100, help="TAXII: objects a page")
    args = parser.parse_args()
    print(bulletin_bench.machine())
    if args.only in (None, "import"):
        import_figures(args.runs)
    if args.only in (None, "stix"):
        stix_figures(args.runs)
    if args.only in (None, "taxii"):
        taxii_figures(args.requests, args.bulletins, args.limit)
    if args.only in (None, "api"):
        api_throughput(args.runs, args.seconds)
    if args.only in (None, "hostile"):
        hostile_figures(args.runs)


def api_throughput(rounds: int, seconds: int) -> None:
    """GET /api/v1/bulletins/<id> under gunicorn (2 workers) against a bare Flask hello."""
    import base64
    import os
    import secrets as secret_bytes

    import auth_bench

    with tempfile.TemporaryDirectory() as folder:
        workdir = Path(folder)
        url = bulletin_bench.migrated(f"sqlite:///{workdir / 'api.db'}")
        master = secret_bytes.token_bytes(32)
        secret_key = secret_bytes.token_urlsafe(32)
        app = bulletin_bench.create_app(
            {"SQLALCHEMY_DATABASE_URI": url, "SECRET_KEY": secret_key, "MASTER_KEY": master}
        )
        with app.app_context():
            demo.seed()
            demo_bulletins.seed_bulletins(50)
            user = _analyst()
            bulletin_id = matching_ids(Reader.of(user), InboxQuery(), 1)[0]
            token = api_tokens.create(user, CLI, "throughput", days=1).token
        app.extensions["ischia.engine"].dispose()
        env = {k: v for k, v in os.environ.items() if not k.startswith(("ISCHIA_", "DATABASE_URL"))}
        portal_env = {
            **env,
            "ISCHIA_API_RATE_LIMIT": "1000000 per minute",  # measure the API, not its limit
            "DATABASE_URL": url,
            "SECRET_KEY": secret_key,
            "ISCHIA_MASTER_KEY": base64.urlsafe_b64encode(master).decode(),
        }
        script = workdir / "count.lua"
        script.write_text(auth_bench.WRK_SCRIPT)

        def run_wrk(port: int, path: str, headers: dict[str, str]) -> float:
            return auth_bench.wrk(port, headers, seconds, script, path)[0]

        rates: dict[str, list[float]] = {"api": [], "hello": []}
        with (
            auth_bench.gunicorn("wsgi:app", portal_env, REPOSITORY) as (api_port, _),
            auth_bench.gunicorn("hello_app:app", env, REPOSITORY / "bench") as (hello_port, _),
        ):
            auth = {"Authorization": f"Bearer {token}"}
            for round_ in range(rounds):
                rates["hello"].append(run_wrk(hello_port, "/", {}))
                rates["api"].append(run_wrk(api_port, f"/api/v1/bulletins/{bulletin_id}", auth))
                print(
                    f"  round {round_ + 1}: hello {rates['hello'][-1]:.0f} req/s, "
                    f"API bulletin GET {rates['api'][-1]:.0f} req/s"
                )
    hello, api = statistics.median(rates["hello"]), statistics.median(rates["api"])
    print(
        f"API GET /api/v1/bulletins/<id> under gunicorn -w 2: {api:.0f} req/s against "
        f"bare Flask {hello:.0f} req/s = {api / hello:.0%} of the ceiling (report)"
    )


if __name__ == "__main__":
    main()
