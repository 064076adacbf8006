"""Backups: made while the portal runs, restored into a new instance where every bulletin opens
and verifies; refused into a database that holds anything, or from a newer schema."""

from __future__ import annotations

import base64
import gzip
import io
import json
import tarfile
from pathlib import Path

import pytest
from sqlalchemy import select
from sqlalchemy.engine import make_url

from portal import schema
from portal.database import make_engine
from portal.extensions import db
from portal.models import Bulletin, BulletinRecipient, Organisation
from portal.services.bulletins.reading import OpenedBulletin, open_bulletin
from tests.conftest import new_app, test_config
from tests.portal.bulletins.conftest import PNG, Desk


@pytest.fixture
def posted(app, people, desk_world) -> list[str]:
    desk = Desk.loaded(app, people, desk_world)
    return [
        desk.post(title="First"),
        desk.post("fr.officer", ("IT-MININT",), title="Second", uploads=[("photo.png", PNG)]),
        desk.post("de.officer", ("UK-HO", "FR-MININT"), title="Third"),
    ]


def _fresh_app(new_database, database_url: str, master_key: bytes, tmp_path: Path):
    backend = make_url(database_url).get_backend_name()
    return new_app(test_config(new_database(backend), master_key, tmp_path / "fresh"))


def test_a_backup_restores_into_a_new_instance_where_every_bulletin_opens(
    app, runner, posted, new_database, database_url, master_key, tmp_path
):
    archive = tmp_path / "portal.backup"
    made = runner.invoke(args=["backup", "create", str(archive)])
    assert made.exit_code == 0, made.output
    assert archive.stat().st_mode & 0o777 == 0o600
    with tarfile.open(archive, "r:gz") as tar:
        manifest = json.loads(tar.extractfile("manifest.json").read())
        payload = tar.extractfile(manifest["payload"]).read()
    assert manifest["schema_revision"] == schema.head_revision()
    assert manifest["master_key_included"] is False
    for form in (master_key, base64.urlsafe_b64encode(master_key), master_key.hex().encode()):
        assert form not in payload and form not in gzip.decompress(archive.read_bytes())

    fresh = _fresh_app(new_database, database_url, master_key, tmp_path)
    try:
        restored = fresh.test_cli_runner().invoke(args=["backup", "restore", str(archive)])
        assert restored.exit_code == 0, restored.output
        with fresh.app_context():
            bulletins = db.session.scalars(select(Bulletin)).all()
            assert sorted(b.id for b in bulletins) == sorted(posted)
            opened = 0
            for bulletin in bulletins:
                orgs = db.session.scalars(
                    select(Organisation.code)
                    .join(BulletinRecipient, BulletinRecipient.org_id == Organisation.id)
                    .where(BulletinRecipient.bulletin_id == bulletin.id)
                ).all()
                for code in orgs:
                    result = open_bulletin(db.session(), code, bulletin)
                    assert isinstance(result, OpenedBulletin), (bulletin.id, code, result)
                    opened += 1
            assert opened == 3 + 2 + 3  # each recipient and the sender
        verified = fresh.test_cli_runner().invoke(args=["audit", "verify"])
        assert verified.exit_code == 0, verified.output
        if fresh.extensions["ischia.engine"].dialect.name == "sqlite":
            database = make_url(fresh.config["SQLALCHEMY_DATABASE_URI"]).database
            assert Path(database).stat().st_mode & 0o777 == 0o600
    finally:
        fresh.extensions["ischia.engine"].dispose()


def test_restore_refuses_a_database_that_holds_anything(app, runner, posted, tmp_path):
    archive = tmp_path / "portal.backup"
    assert runner.invoke(args=["backup", "create", str(archive)]).exit_code == 0
    refused = runner.invoke(args=["backup", "restore", str(archive)])
    assert refused.exit_code != 0
    assert "--database: the database is not empty (rows in" in refused.output
    assert "restore only into a new, empty database" in refused.output
    with app.app_context():
        assert len(db.session.scalars(select(Bulletin)).all()) == 3  # untouched


def _rewrite(archive: Path, target: Path, **changes: object) -> None:
    with tarfile.open(archive, "r:gz") as tar:
        manifest = json.loads(tar.extractfile("manifest.json").read())
        payload_name = manifest["payload"]
        payload = tar.extractfile(payload_name).read()
    manifest.update(changes)
    if changes.get("payload_sha256") == "damaged":
        manifest["payload_sha256"] = "0" * 64
    with tarfile.open(target, "w:gz") as tar:
        for name, data in (
            ("manifest.json", json.dumps(manifest).encode()),
            (payload_name, payload),
        ):
            info = tarfile.TarInfo(name)
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))


def test_restore_refuses_a_newer_schema_and_a_damaged_backup(
    app, runner, posted, new_database, database_url, master_key, tmp_path
):
    archive = tmp_path / "portal.backup"
    assert runner.invoke(args=["backup", "create", str(archive)]).exit_code == 0
    newer, damaged = tmp_path / "newer.backup", tmp_path / "damaged.backup"
    _rewrite(archive, newer, schema_revision="9999_from_the_future")
    _rewrite(archive, damaged, payload_sha256="damaged")
    junk = tmp_path / "junk.backup"
    junk.write_bytes(b"not a backup")
    fresh = _fresh_app(new_database, database_url, master_key, tmp_path)
    try:
        fresh_runner = fresh.test_cli_runner()
        result = fresh_runner.invoke(args=["backup", "restore", str(newer)])
        assert result.exit_code != 0
        assert "newer schema (revision 9999_from_the_future)" in result.output
        result = fresh_runner.invoke(args=["backup", "restore", str(damaged)])
        assert result.exit_code != 0 and "does not match its manifest's SHA-256" in result.output
        result = fresh_runner.invoke(args=["backup", "restore", str(junk)])
        assert result.exit_code != 0 and "is not a readable backup" in result.output
        engine = make_engine(fresh.config["SQLALCHEMY_DATABASE_URI"])
        assert schema.table_names(engine) in ([], ["sqlite_sequence"])  # nothing was written
        engine.dispose()
    finally:
        fresh.extensions["ischia.engine"].dispose()
