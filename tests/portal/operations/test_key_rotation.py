"""Key rotation from the command line: organisation keys and the master key, with a crash
injected before every durable step, every bulletin readable after each crash, and the rotation
finished by running the command again."""

from __future__ import annotations

from pathlib import Path

import pytest
from flask import Flask
from sqlalchemy import select

from crypto.keystore import master_key_id
from crypto.masterkey import load_master_keys, store_master_keys
from portal import vault
from portal.extensions import db
from portal.models import (
    Bulletin,
    BulletinKey,
    BulletinRecipient,
    Investigation,
    KeyBlob,
    Organisation,
    User,
)
from portal.services.accounts import mfa
from portal.services.analysis import investigations
from portal.services.bulletins.reading import OpenedBulletin, open_bulletin
from portal.services.errors import Conflict
from portal.services.operations import key_rotation
from portal.services.operations.locks import rotation_lock
from portal.services.organisations import keys as org_keys
from tests.conftest import new_app, test_config
from tests.crypto.crashes import Crash, Fuse
from tests.portal.bulletins.conftest import Desk


@pytest.fixture
def desk(app, people, desk_world) -> Desk:
    desk = Desk.loaded(app, people, desk_world)
    desk.post(title="To FR and DE")
    desk.post("fr.officer", ("IT-MININT",), title="From FR")
    desk.post("de.officer", ("UK-HO", "FR-MININT"), title="To UK and FR")
    return desk


def assert_every_bulletin_opens(app: Flask) -> int:
    with app.app_context():
        opened = 0
        for bulletin in db.session.scalars(select(Bulletin)):
            orgs = db.session.scalars(
                select(Organisation.code)
                .join(BulletinRecipient, BulletinRecipient.org_id == Organisation.id)
                .where(BulletinRecipient.bulletin_id == bulletin.id)
            )
            for code in orgs:
                result = open_bulletin(db.session(), code, bulletin)
                assert isinstance(result, OpenedBulletin), (bulletin.id, code, result)
                opened += 1
        db.session.remove()
        return opened


def test_rotating_an_organisation_key_from_the_command_line(app, runner, desk):
    done = runner.invoke(args=["keys", "rotate", "--org", "FR-MININT"])
    assert done.exit_code == 0, done.output
    assert "FR-MININT keys rotated: v1 -> v2" in done.output
    with app.app_context():
        assert org_keys.keystore().current_version("FR-MININT") == 2
        held = {(k.org_code, k.key_version) for k in db.session.scalars(select(BulletinKey))}
        assert ("FR-MININT", 1) not in held and ("FR-MININT", 2) in held
        assert not any(n.endswith("0000000001/private") for n in org_keys.store_names("FR-MININT"))
    assert assert_every_bulletin_opens(app) == 8
    desk.post("it.officer", ("FR-MININT",), title="After the rotation")
    assert assert_every_bulletin_opens(app) == 10
    assert runner.invoke(args=["audit", "verify"]).exit_code == 0


def test_an_unknown_organisation_is_named(runner, desk):
    refused = runner.invoke(args=["keys", "rotate", "--org", "XX-NONE"])
    assert refused.exit_code != 0
    assert "--org: no organisation has the code 'XX-NONE'" in refused.output


def test_organisation_rotation_survives_a_crash_at_every_step(app, desk):
    version, crashes = 1, 0
    while True:
        fuse = Fuse(crashes)
        with app.app_context():
            try:
                key_rotation.rotate_organisation("FR-MININT", step=fuse.tick)
            except Crash:
                db.session.rollback()
            db.session.remove()
        # Whatever step the crash cut short, every recipient still opens every bulletin.
        assert assert_every_bulletin_opens(app) == 8
        if fuse.blown:
            with app.app_context():
                key_rotation.rotate_organisation("FR-MININT")  # the operator runs it again
                db.session.remove()
        version += 1
        with app.app_context():
            store = org_keys.keystore()
            assert store.current_version("FR-MININT") == version
            assert store.rotation_in_progress("FR-MININT") is None
            versions = {
                k.key_version
                for k in db.session.scalars(
                    select(BulletinKey).where(BulletinKey.org_code == "FR-MININT")
                )
            }
            assert versions == {version}
            db.session.remove()
        assert assert_every_bulletin_opens(app) == 8
        if not fuse.blown:
            break
        crashes += 1
    assert crashes >= 7  # journal, two key halves, current, three envelopes, old key, journal


def test_a_second_rotation_waits_for_the_first(app, desk):
    with app.app_context():
        with rotation_lock(db.engine):
            with pytest.raises(Conflict, match="another key rotation is running"):
                key_rotation.rotate_organisation("FR-MININT")


def test_master_rotation_refuses_a_key_from_the_environment(runner):
    refused = runner.invoke(args=["keys", "rotate-master"])
    assert refused.exit_code != 0
    assert "--master-key: the master key comes from ISCHIA_MASTER_KEY" in refused.output


def _keyed_app(app: Flask, key_file: Path, tmp_path: Path) -> Flask:
    """A process of the portal that reads its master key from ``key_file`` (a restart)."""
    keyed = new_app(
        test_config(
            app.config["SQLALCHEMY_DATABASE_URI"],
            b"",
            tmp_path,
            MASTER_KEY=None,
            MASTER_KEY_FILE=str(key_file),
        )
    )
    keyed.extensions["ischia.engine"].dispose()
    keyed.extensions["ischia.engine"] = app.extensions["ischia.engine"]
    return keyed


def _sealed_under(app: Flask) -> set[str]:
    with app.app_context():
        ids = {blob[4:12].hex() for blob in db.session.scalars(select(KeyBlob.blob))}
        db.session.remove()
        return ids


def _derived(app: Flask, user_id: int) -> tuple[bytes, str, tuple[bytes, bytes]]:
    """What must not change with the master key: the blind index, TOTP, checkpoint keys."""
    with app.app_context():
        user = db.session.get_one(User, user_id)
        found = (
            org_keys.blind_index().token("email:someone@example.org"),
            mfa.secret(user),
            vault.checkpoint_signer().public_keys,
        )
        db.session.remove()
        return found


def test_master_rotation_survives_a_crash_at_every_step(app, desk, master_key, tmp_path):
    key_file = tmp_path / "master.key"
    store_master_keys(key_file, [master_key])
    user_id = desk.users["fr.analyst"]
    before = _derived(_keyed_app(app, key_file, tmp_path), user_id)
    crashes = 0
    while True:
        fuse = Fuse(crashes)
        process = _keyed_app(app, key_file, tmp_path)
        with process.app_context():
            try:
                key_rotation.rotate_master(step=fuse.tick)
                key_rotation.retire_previous_master_keys(step=fuse.tick)
            except Crash:
                db.session.rollback()
            db.session.remove()
        restarted = _keyed_app(app, key_file, tmp_path)  # after the crash, from the key file
        assert assert_every_bulletin_opens(restarted) == 8
        assert _derived(restarted, user_id) == before
        if fuse.blown:
            with restarted.app_context():
                key_rotation.rotate_master()  # run again: finishes (or starts) the rotation
                key_rotation.retire_previous_master_keys()
                db.session.remove()
        keys = load_master_keys(key_file, create=False)
        assert len(keys) == 1 and keys[0] != master_key
        final = _keyed_app(app, key_file, tmp_path)
        assert _sealed_under(final) == {master_key_id(keys[0]).hex()}
        assert assert_every_bulletin_opens(final) == 8
        assert _derived(final, user_id) == before
        if not fuse.blown:
            break
        crashes += 1
    assert crashes >= 10


def test_rotate_master_from_the_command_line_keeps_the_old_key_until_retired(
    app, desk, master_key, tmp_path
):
    key_file = tmp_path / "master.key"
    store_master_keys(key_file, [master_key])
    process = _keyed_app(app, key_file, tmp_path)
    analyst = desk.reader("fr.analyst")
    with process.app_context():  # an investigation saved before: sealed under a derived key
        row = Investigation(
            org_id=analyst.org_id,
            name_token=investigations.name_token(analyst.org_id, "Before"),
            sealed=investigations.seal(analyst.org_id, "Before", "kept", ["email:a@b.example"]),
            created_by=analyst.user_id,
        )
        with db.write() as session:
            session.add(row)
        saved_id = row.id
        db.session.remove()
    runner = process.test_cli_runner()
    done = runner.invoke(args=["keys", "rotate-master"])
    assert done.exit_code == 0, done.output
    new, old = load_master_keys(key_file, create=False)
    assert old == master_key and key_file.stat().st_mode & 0o777 == 0o600
    assert f"sealed under key {master_key_id(new).hex()}" in done.output
    # A process started before the rotation reads the changed file and opens everything.
    assert assert_every_bulletin_opens(process) == 8
    retired = runner.invoke(args=["keys", "retire-master"])
    assert retired.exit_code == 0 and "retired 1 previous master key(s)" in retired.output
    assert load_master_keys(key_file, create=False) == [new]
    restarted = _keyed_app(app, key_file, tmp_path)
    assert assert_every_bulletin_opens(restarted) == 8
    with restarted.app_context():
        saved = investigations.one(analyst, saved_id)
        assert (saved.name, saved.notes, saved.nodes) == ("Before", "kept", ["email:a@b.example"])
        db.session.remove()
    assert runner.invoke(args=["audit", "verify"]).exit_code == 0
