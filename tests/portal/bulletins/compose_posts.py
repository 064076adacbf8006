"""Posting the compose form as a browser would, and counting what a post wrote."""

from __future__ import annotations

import io
from datetime import timedelta
from typing import Any

from sqlalchemy import func, select

from portal.extensions import db
from portal.models import (
    Attachment,
    AuditRecord,
    Bulletin,
    BulletinKey,
    BulletinRecipient,
    BulletinToken,
    utcnow,
)
from portal.services.bulletins import reading
from portal.services.principals import Actor
from tests.portal.bulletins.conftest import CANARY
from tests.portal.bulletins.form_state import FormState, structure
from tests.portal.conftest import csrf_token

ENTITIES: list[dict[str, str]] = [
    {
        "type": "person",
        "value": "Abu Example",
        "aliases": "Abu Ex; A. Example",
        "transliterations": "أبو مثال",
        "nationality": "sy",
        "date_of_birth": "1990-02-03",
        "role": "recruiter",
    },
    {"type": "account", "platform": "telegram", "value": "@example_media"},
    {"type": "person"},  # an untouched row: ignored
    {"type": "phone", "value": "+33 6 12 34 56 78"},
    {
        "type": "travel",
        "traveller": "e1",
        "origin": "Milano",
        "via": "Istanbul; Gaziantep",
        "destination": "Idlib",
        "on": "2024-03-01",
    },
]
RELATIONS = [
    {"source": "e1", "type": "uses_account", "target": "e2"},
    {"source": "", "type": "member_of", "target": ""},  # empty: ignored
    {"source": "e1", "type": "contacted", "target": "e4", "on": "2024-02-20"},
]


def rows(prefix: str, items: list[dict[str, str]], refs: bool) -> dict[str, str]:
    data = {}
    for i, item in enumerate(items):
        if refs:
            data[f"{prefix}-{i}-ref"] = f"e{i + 1}"
        for name, value in item.items():
            data[f"{prefix}-{i}-{name}"] = value
    return data


def fields(token: str, **changes: Any) -> dict[str, Any]:
    """A complete compose post; ``changes`` replace fields (None removes one)."""
    entities = changes.pop("entities", ENTITIES)
    relations = changes.pop("relations", RELATIONS)
    data: dict[str, Any] = {
        "csrf_token": token,
        "title": f"Recruiter moved his channel {CANARY}",
        "summary": "A recruiter moved his Telegram channel.",
        "body": "The channel **moved** on 3 March.",
        "category": "recruitment",
        "marking": "TLP:AMBER",
        "grading_source": "B",
        "grading_information": "2",
        "grading_handling": "H2",
        "tags": 'group:jihadist="islamic-state"\nplatform:messaging',
        "recipients": ["FR-MININT", "DE-BMI"],
        "retain_until": (utcnow() + timedelta(days=365)).date().isoformat(),
        "send": "1",
        **rows("entities", entities, refs=True),
        **rows("relations", relations, refs=False),
    }
    for name, value in changes.items():
        if value is None:
            data.pop(name, None)
        else:
            data[name] = value
    return data


def counts(app) -> tuple[int, ...]:
    with app.app_context():
        session = db.session()
        return tuple(
            session.scalar(select(func.count()).select_from(model))
            for model in (
                Bulletin,
                BulletinKey,
                BulletinRecipient,
                BulletinToken,
                Attachment,
                AuditRecord,
            )
        )


def page_token(client, url: str = "/bulletins/new") -> str:
    page = client.get(url)
    assert page.status_code == 200, page.status_code
    return csrf_token(page.text)


def post(client, data: dict[str, Any], url: str = "/bulletins/new", files=()):
    body = dict(data)
    body["attachments"] = [(io.BytesIO(content), name) for name, content in files]
    return client.post(url, data=body, content_type="multipart/form-data")


def latest(app) -> Bulletin:
    with app.app_context():
        return db.session.scalars(
            select(Bulletin).order_by(Bulletin.created_at.desc(), Bulletin.version.desc())
        ).first()


def read_as(app, desk, who: str, bulletin_id: str) -> reading.ReadResult:
    with app.app_context():
        reader = desk.reader(who)
        return reading.read_bulletin(reader, Actor(reader.user_id), bulletin_id)


def no_inline_code(html: str) -> None:
    """The strict CSP allows no inline script, style attribute or event handler."""
    assert " style=" not in html and "<style" not in html
    for tag, attributes in structure(html):
        assert not [a for a in attributes if a.startswith("on")], tag
        assert tag != "script" or "src" in attributes


def form_values(html: str) -> dict[str, Any]:
    """A re-post of every value a page's form holds (lists only where several are checked)."""
    state = FormState(html)
    return {
        name: v if len(v) > 1 or name in ("recipients", "groups") else v[0]
        for name, v in state.values.items()
    }
