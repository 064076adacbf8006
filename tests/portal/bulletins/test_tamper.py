"""Tamper evidence through HTTP: one changed byte in any stored part of a bulletin, or a changed
clear column, and the read page shows the tamper warning with no content, the inbox says
"failed verification", and the attachment download refuses."""

from __future__ import annotations

import json

import pytest
from sqlalchemy import select

from portal.extensions import db
from portal.models import AuditRecord, Bulletin, BulletinKey
from tests.portal.bulletins.conftest import PNG
from tests.portal.bulletins.sessions import Clients

TITLE = "Tamper canary title"
SECRETS = (TITLE, "Summary canary", "Body canary", "Entity canary", "@canary_handle", "canary.png")


@pytest.fixture
def clients(app, people, desk):
    return Clients(app, people)


def _flip(value: bytes, at: int) -> bytes:
    return value[:at] + bytes([value[at] ^ 0x01]) + value[at + 1 :]


def _tamper(session, bulletin: Bulletin, part: str) -> None:
    if part == "content":
        bulletin.content = _flip(bulletin.content, len(bulletin.content) // 2)
    elif part == "header":
        bulletin.header = _flip(bulletin.header, len(bulletin.header) // 2)
    elif part == "wrapped key":
        key = session.scalar(
            select(BulletinKey).where(
                BulletinKey.bulletin_id == bulletin.id, BulletinKey.org_code == "FR-MININT"
            )
        )
        key.enc = _flip(key.enc, len(key.enc) - 3)
    elif part == "signature":
        signature = json.loads(bulletin.signature)
        name = sorted(signature)[0]
        value = signature[name]
        # Change one character of one signature, keeping the JSON well-formed.
        swapped = "A" if value[10] != "A" else "B"
        signature[name] = value[:10] + swapped + value[11:]
        bulletin.signature = json.dumps(signature, sort_keys=True)
    elif part == "marking":
        bulletin.marking = "TLP:CLEAR"
    elif part == "category":
        bulletin.category = "other"
    else:  # pragma: no cover
        raise AssertionError(part)


@pytest.mark.parametrize(
    "part", ["content", "header", "wrapped key", "signature", "marking", "category"]
)
def test_any_change_shows_the_tamper_warning_and_no_content(app, desk, clients, part):
    bulletin_id = desk.post(
        title=TITLE,
        summary="Summary canary",
        body="Body canary",
        marking="TLP:RED",
        entities=[
            {"ref": "p1", "type": "person", "value": "Entity canary"},
            {"ref": "a1", "type": "account", "platform": "telegram", "value": "@canary_handle"},
        ],
        relations=[{"source": "p1", "type": "uses_account", "target": "a1"}],
        uploads=[("canary.png", PNG)],
    )
    fr = clients["fr.analyst"]
    # Seen once intact, so the inbox's cache of verified titles holds this title.
    assert TITLE in fr.get("/bulletins/").text
    with app.app_context(), db.write() as session:
        _tamper(session, session.get(Bulletin, bulletin_id), part)

    page = fr.get(f"/bulletins/{bulletin_id}")
    assert page.status_code == 200
    assert 'class="tamper-warning" role="alert"' in page.text
    assert "failed verification" in page.text
    for secret in SECRETS:
        assert secret not in page.text, (part, secret)
    assert "Verified: signed by" not in page.text and "Acknowledge:" not in page.text

    listing = fr.get("/bulletins/").text
    assert "Failed verification" in listing and TITLE not in listing

    download = fr.get(f"/bulletins/{bulletin_id}/attachments/0")
    assert download.status_code == 409 and PNG not in download.data
    assert 'role="alert"' in download.text and TITLE not in download.text

    with app.app_context():
        reads = list(
            db.session.scalars(select(AuditRecord).where(AuditRecord.event == "bulletin.read"))
        )
    assert reads[-1].outcome == "failure" and reads[-1].details["result"] == "tampered"


def test_a_tampered_bulletin_cannot_be_acknowledged(app, desk, clients):
    bulletin_id = desk.post(title=TITLE)
    with app.app_context(), db.write() as session:
        _tamper(session, session.get(Bulletin, bulletin_id), "content")
    fr = clients["fr.analyst"]
    page = fr.post(
        f"/bulletins/{bulletin_id}/acknowledge",
        data={"csrf_token": clients.token("fr.analyst")},
        follow_redirects=True,
    )
    assert "failed verification" in page.text and TITLE not in page.text
    assert "Received and actioned by" not in page.text


def test_a_changed_key_of_one_organisation_fails_verification_for_all(app, desk, clients):
    bulletin_id = desk.post(title=TITLE)
    with app.app_context(), db.write() as session:
        _tamper(session, session.get(Bulletin, bulletin_id), "wrapped key")
    # The wrapped keys are signed as a set: a changed one fails verification for everyone.
    for who in ("fr.analyst", "de.analyst", "it.analyst"):
        page = clients[who].get(f"/bulletins/{bulletin_id}").text
        assert 'role="alert"' in page and TITLE not in page, who
