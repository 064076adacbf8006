"""At rest: what a bulletin says is nowhere in the database files in clear.

A canary string goes into the title, the summary, the body, an entity and an attachment's bytes.
Right after the post, without a checkpoint, neither the SQLite file nor its write-ahead log
holds it (in UTF-8, UTF-16, hexadecimal or base64), nor does a ``pg_dump`` of PostgreSQL.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
import shutil
import subprocess
from pathlib import Path

import pytest
from sqlalchemy import select
from sqlalchemy.engine import make_url

from portal.extensions import db
from portal.models import BulletinToken, KeyBlob
from portal.services.organisations import keys as org_keys
from tests.portal.bulletins.conftest import PNG


def encodings(text: str) -> dict[str, bytes]:
    """The forms in which a leak of ``text`` would show in a file or a dump."""
    raw = text.encode()
    forms = {
        "utf-8": raw,
        "utf-16-le": text.encode("utf-16-le"),
        "utf-16-be": text.encode("utf-16-be"),
        "hex": raw.hex().encode(),
        "HEX": raw.hex().upper().encode(),
    }
    for offset in range(3):
        # The base64 characters that depend on the canary's bytes only, at each alignment.
        encoded = base64.b64encode(b"\0" * offset + raw)
        forms[f"base64+{offset}"] = encoded[4 if offset else 0 : -4]
    return forms


def leaks(data: bytes, text: str) -> list[str]:
    return [name for name, form in encodings(text).items() if form in data]


def post_canary(desk, canary: str) -> str:
    handle = canary.lower().replace("-", "_")
    return desk.post(
        title=f"Recruiter {canary} moved channels",
        summary=f"Summary naming {canary}.",
        body=f"The account **{canary}** posted again.",
        entities=[
            {"ref": "p1", "type": "person", "value": f"Abu {canary}", "role": "recruiter"},
            {"ref": "a1", "type": "account", "platform": "telegram", "value": f"@{handle}"},
            {"ref": "t1", "type": "phone", "value": "+44 7700 900123"},
        ],
        uploads=[("photo.png", PNG + canary.encode())],
    )


def database_dump(app) -> bytes:
    """The bytes an attacker with the database would read, taken right after the write."""
    url = make_url(app.config["SQLALCHEMY_DATABASE_URI"])
    if url.get_backend_name() == "sqlite":
        path = Path(url.database or "")
        wal = path.with_name(path.name + "-wal")
        assert wal.exists() and wal.stat().st_size > 0, "the WAL is part of what must be clean"
        files = [path, wal, path.with_name(path.name + "-shm")]
        return b"".join(f.read_bytes() for f in files if f.exists())
    pg_dump = shutil.which("pg_dump")
    if pg_dump is None:
        pytest.fail("pg_dump is not on PATH")
    target = url.set(drivername="postgresql").render_as_string(hide_password=False)
    done = subprocess.run([pg_dump, "--dbname", target], capture_output=True, check=True)
    return done.stdout


def test_canary_is_absent_from_the_database_files(app, desk):
    canary = f"CANARY-{secrets.token_hex(8)}"
    bulletin_id = post_canary(desk, canary)
    data = database_dump(app)
    # The clear listing data is there, so these are the files the bulletin was written to.
    assert bulletin_id.encode() in data
    assert leaks(data, canary) == []
    assert leaks(data, canary.lower().replace("-", "_")) == []


def test_a_clear_write_would_be_caught(app, desk):
    """The same check on the same files does see a value stored in clear, as text and bytes."""
    canary = f"CANARY-{secrets.token_hex(8)}"
    post_canary(desk, canary)
    with app.app_context(), db.write() as session:
        session.add(KeyBlob(name="probe", blob=canary.encode()))
    found = leaks(database_dump(app), canary)
    sqlite = make_url(app.config["SQLALCHEMY_DATABASE_URI"]).get_backend_name() == "sqlite"
    assert ("utf-8" if sqlite else "hex") in found  # pg_dump writes bytea in hexadecimal


def test_the_leak_check_finds_what_it_looks_for():
    canary = f"CANARY-{secrets.token_hex(8)}"
    for form in encodings(canary).values():
        assert leaks(b"prefix " + form + b" suffix", canary)
    for offset in range(3):
        stored = base64.b64encode(b"x" * offset + canary.encode() + b"tail")
        assert f"base64+{offset}" in leaks(stored, canary)


def test_blind_index_tokens_are_keyed_not_the_identifier(app, desk):
    canary = f"CANARY-{secrets.token_hex(8)}"
    bulletin_id = post_canary(desk, canary)
    account_key = f"account:telegram:{canary.lower().replace('-', '_')}"
    with app.app_context():
        tokens = set(
            db.session().scalars(
                select(BulletinToken.token).where(BulletinToken.bulletin_id == bulletin_id)
            )
        )
        assert org_keys.blind_index().token(account_key) in tokens
    plain = account_key.encode()
    assert all(len(token) == 32 for token in tokens)
    assert plain not in tokens and hashlib.sha256(plain).digest() not in tokens
    # Not an HMAC under a key anyone could guess either.
    assert hmac.new(b"", plain, hashlib.sha256).digest() not in tokens


def test_referral_evidence_is_absent_from_the_database_files(app, people):
    """A referral's evidence: its bytes and its filename carry the canary; the referral
    tables and the evidence rows hold neither in clear, while the item's URL is there."""
    import io

    from portal.services.referrals import evidence
    from tests.portal.referrals.conftest import World, item
    from tests.portal.service_checks import actor_of

    world = World(app, people).setup()
    canary = f"CANARY-{secrets.token_hex(8)}"
    url = f"https://video.example/watch?v={secrets.token_hex(6)}"
    with app.app_context():
        target = world.refer("de", [item(url)]).items[0]
        reader = world.reader("de")
        evidence.attach(
            reader,
            actor_of(reader),
            target.id,
            evidence.EvidenceUpload(
                f"{canary}.mp4", io.BytesIO(b"\0\0\0\x18ftypmp42" + canary.encode() * 50)
            ),
        )
    data = database_dump(app)
    assert url.encode() in data and target.id.encode() in data
    assert leaks(data, canary) == []


def instance_and_logs(app, caplog_text: str) -> bytes:
    """The other places a leak would land: the instance folder (keys, files the portal keeps
    next to the database) and what the portal logged during the test."""
    from portal import REPOSITORY

    found = [caplog_text.encode()]
    for folder in {Path(app.instance_path), REPOSITORY / "instance"}:
        if folder.is_dir():
            found += [f.read_bytes() for f in folder.rglob("*") if f.is_file()]
    return b"".join(found)


def test_a_saved_investigation_is_absent_from_the_database_files(app, desk, caplog):
    """Saved through the workspace's route: its name, notes and nodes (identifier keys such as
    ``account:telegram:...`` and ``phone:+44...``) are nowhere in clear, in the database, its
    write-ahead log, the instance folder or the logs; the investigation reopens."""
    import logging

    from portal.services.analysis import org_graphs
    from tests.portal.bulletins.sessions import Clients

    caplog.set_level(logging.DEBUG)
    canary = f"CANARY-{secrets.token_hex(8)}"
    handle = canary.lower().replace("-", "_")
    post_canary(desk, canary)
    org_graphs.forget()
    clients = Clients(app, desk.people)
    analyst = clients["fr.analyst"]
    nodes = [f"account:telegram:{handle}", "phone:+447700900123"]
    saved = analyst.post(
        "/analysis/investigations",
        json={"name": f"Op {canary}", "notes": f"Notes on {canary}", "nodes": nodes},
        headers={"X-CSRFToken": clients.token("fr.analyst")},
    )
    assert saved.status_code == 201, saved.text
    opened = analyst.get(f"/analysis/investigations/{saved.json['id']}").json
    assert opened["name"] == f"Op {canary}" and opened["notes"] == f"Notes on {canary}"
    org_graphs.forget()
    data = database_dump(app) + instance_and_logs(app, caplog.text)
    assert leaks(data, canary) == []
    assert leaks(data, handle) == []
    assert leaks(data, "phone:+447700900123") == []
