"""Signed checkpoints kept outside the database: what they catch that the chain alone cannot,
what they refuse, and who may download them."""

from __future__ import annotations

import json
import secrets
import threading
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import delete, select, update

from portal.cli.worker import _checkpoints as worker_checkpoints
from portal.extensions import db
from portal.models import AuditHead, AuditRecord, User
from portal.services import audit
from portal.services.accounts import api_tokens
from portal.services.errors import InvalidInput
from portal.services.operations import anchors
from portal.services.principals import CLI
from tests.conftest import new_app, test_config
from tests.portal.conftest import sign_in
from tests.portal.test_audit import append, problem, rewrite_tail


def stored_files(app) -> list[Path]:
    return sorted(Path(app.config["CHECKPOINT_DIR"]).glob("checkpoint-*.json"))


def test_checkpoint_command_stores_a_signed_checkpoint_outside_the_database(app, runner):
    append(app, 3)
    result = runner.invoke(args=["audit", "checkpoint"])
    assert result.exit_code == 0, result.output
    [path] = stored_files(app)
    assert path.name.startswith("checkpoint-000000000003-")
    assert json.loads(path.read_text())["seq"] == 3
    assert json.loads(result.stdout) == json.loads(path.read_text())
    verified = runner.invoke(args=["audit", "verify"])
    assert verified.exit_code == 0, verified.output
    assert "matches 1 signed checkpoint(s)" in verified.output


def test_truncation_with_the_head_rolled_back_is_caught_by_a_stored_checkpoint(app, runner):
    append(app, 6)
    assert runner.invoke(args=["audit", "checkpoint"]).exit_code == 0
    with app.app_context(), db.write() as session:
        # Delete the two newest records and roll the head back to the record before them.
        session.execute(delete(AuditRecord).where(AuditRecord.seq > 4))
        last = session.scalar(select(AuditRecord.hash).where(AuditRecord.seq == 4))
        session.execute(update(AuditHead).values(seq=4, hash=last))
    assert problem(app) is None  # the chain alone is consistent
    caught = runner.invoke(args=["audit", "verify"])
    assert caught.exit_code == 1
    assert "TAMPERED: entry #6, vouched for by the checkpoint of" in caught.output
    assert "is gone" in caught.output


def test_a_recomputed_chain_is_caught_by_a_stored_checkpoint(app, runner):
    append(app, 5)
    assert runner.invoke(args=["audit", "checkpoint"]).exit_code == 0
    with app.app_context(), db.write() as session:
        rewrite_tail(session, 1 + 1)
    assert problem(app) is None
    caught = runner.invoke(args=["audit", "verify"])
    assert caught.exit_code == 1
    assert "entry #5 differs from the checkpoint" in caught.output
    assert "rewritten" in caught.output


def test_a_checkpoint_with_a_bad_signature_is_refused(app, runner, tmp_path):
    append(app, 2)
    text = runner.invoke(args=["audit", "checkpoint"]).stdout
    doc = json.loads(text)
    doc["head"] = "00" * 32  # claims another head under the old signatures
    forged = tmp_path / "forged.json"
    forged.write_text(json.dumps(doc))
    refused = runner.invoke(args=["audit", "verify", "--checkpoint", str(forged)])
    assert refused.exit_code == 1
    assert f"checkpoint {forged}: checkpoint signature does not verify" in refused.output
    # The same forgery planted in the checkpoint directory is reported, not trusted.
    [path] = stored_files(app)
    path.write_text(json.dumps(doc))
    planted = runner.invoke(args=["audit", "verify"])
    assert planted.exit_code == 1
    assert f"stored checkpoint {path.name}: checkpoint signature does not verify" in planted.output


def test_a_checkpoint_signed_under_another_master_key_is_refused(app, database_url, tmp_path):
    append(app, 2)
    other = new_app(test_config(database_url, secrets.token_bytes(32), tmp_path / "other"))
    with other.app_context():
        foreign = audit.checkpoint().to_json()
    other.extensions["ischia.engine"].dispose()
    with app.app_context(), pytest.raises(InvalidInput, match="keys other than the trusted"):
        anchors.check(foreign, "checkpoint given")


def test_a_malformed_checkpoint_is_refused_with_its_source(app, runner, tmp_path):
    junk = tmp_path / "junk.json"
    junk.write_text("{not json")
    refused = runner.invoke(args=["audit", "verify", "--checkpoint", str(junk)])
    assert refused.exit_code == 1
    assert f"checkpoint {junk}: checkpoint is malformed" in refused.output


def test_anchoring_is_due_hourly(app):
    append(app, 1)
    with app.app_context():
        assert anchors.due()
        assert anchors.anchor_if_due() is not None
        assert not anchors.due()
        assert anchors.anchor_if_due() is None
        app.config["CHECKPOINT_INTERVAL"] = timedelta(0)
        assert anchors.due()
    assert len(stored_files(app)) == 1


def test_admins_list_and_download_checkpoints(app, client, people, runner):
    people.user("admin@fr.example", "org_admin")
    people.user("analyst@fr.example", "analyst")
    append(app, 2)
    runner.invoke(args=["audit", "checkpoint"])
    [path] = stored_files(app)
    sign_in(client, people, "analyst@fr.example")
    assert client.get("/admin/checkpoints").status_code == 403
    sign_in(client, people, "admin@fr.example")
    page = client.get("/admin/checkpoints")
    assert page.status_code == 200
    assert path.name in page.text
    download = client.get(f"/admin/checkpoints/{path.name}")
    assert download.status_code == 200
    assert download.get_data() == path.read_bytes()
    assert client.get("/admin/checkpoints/..%2Fmaster.key").status_code == 404
    absent = "checkpoint-000000000009-20260101T000000Z.json"
    assert client.get(f"/admin/checkpoints/{absent}").status_code == 404


def test_the_api_serves_checkpoints_to_a_token(app, client, people, runner):
    user_id = people.user("analyst@fr.example", "analyst")
    append(app, 3)
    runner.invoke(args=["audit", "checkpoint"])
    [path] = stored_files(app)
    assert client.get("/api/v1/audit/checkpoints").status_code == 401
    with app.app_context():
        secret = api_tokens.create(db.session.get_one(User, user_id), CLI, "mirror").token
    headers = {"Authorization": f"Bearer {secret}"}
    listing = client.get("/api/v1/audit/checkpoints", headers=headers)
    assert listing.status_code == 200
    [item] = listing.get_json()["checkpoints"]
    assert (item["name"], item["seq"]) == (path.name, json.loads(path.read_text())["seq"])
    one = client.get(item["url"], headers=headers)
    assert one.status_code == 200 and one.get_data() == path.read_bytes()
    assert client.get("/api/v1/audit/checkpoints/nope.json", headers=headers).status_code == 404
    with app.app_context():
        anchors.verify_text(one.get_data(as_text=True))  # verifies under the portal's keys


class _OneTurn(threading.Event):
    """A stop event whose first wait times out at once and whose second says stop."""

    def __init__(self) -> None:
        super().__init__()
        self.turns = 0

    def wait(self, timeout: float | None = None) -> bool:
        self.turns += 1
        return self.turns > 1


def test_the_worker_signs_a_checkpoint_when_one_is_due(app):
    append(app, 2)
    worker_checkpoints(app, _OneTurn())
    assert len(stored_files(app)) == 1
    worker_checkpoints(app, _OneTurn())  # within the interval: none more
    assert len(stored_files(app)) == 1
