"""Bulletin fixtures: ministries with keys, their officers, and bulletins posted through the
services exactly as the compose form posts them."""

from __future__ import annotations

import io
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import pytest
from flask import Flask

from portal.extensions import db
from portal.models import Bulletin, User
from portal.services.bulletins import sealing
from portal.services.bulletins.attachments import Upload
from portal.services.principals import Actor, Reader
from tests.conftest import World
from tests.portal.conftest import People

CANARY = "CANARY-7f3a9c"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64
GRADING = {"source": "B", "information": "2", "handling": "H0"}


def document(title: str = "Recruiter active on Telegram", **extra: Any) -> dict[str, Any]:
    """A bulletin with a person, an account, a phone and relations between them."""
    return {
        "title": title,
        "summary": "A recruiter moved his channel.",
        "body": "The channel **moved** on 3 March.",
        "entities": [
            {"ref": "p1", "type": "person", "value": "Abu Example", "role": "recruiter"},
            {"ref": "a1", "type": "account", "platform": "telegram", "value": "@example_media"},
            {"ref": "t1", "type": "phone", "value": "+33 6 12 34 56 78"},
        ],
        "relations": [
            {"source": "p1", "type": "uses_account", "target": "a1"},
            {"source": "p1", "type": "contacted", "target": "t1"},
        ],
        "grading": dict(GRADING),
        **extra,
    }


@dataclass
class Desk:
    """Ministries (IT, FR, DE, UK), one officer and one analyst each, and a platform."""

    app: Flask
    people: People
    users: dict[str, int] = field(default_factory=dict)

    def setup(self) -> Desk:
        for code in ("IT-MININT", "FR-MININT", "DE-BMI", "UK-HO"):
            tag = code.split("-")[0].lower()
            self.users[f"{tag}.officer"] = self.people.user(
                f"officer@{tag}.example", "liaison", org=code
            )
            self.users[f"{tag}.analyst"] = self.people.user(
                f"analyst@{tag}.example", "analyst", org=code
            )
        self.users["platform"] = self.people.user(
            "trust@platform.example", "platform_liaison", org="PLATFORM-X", kind="platform"
        )
        return self

    @classmethod
    def loaded(cls, app: Flask, people: People, world: World[dict[str, int]]) -> Desk:
        """The desk as :meth:`setup` makes it, loaded from ``desk_world`` (built once)."""
        world.load(app)
        return cls(app, people, dict(world.value))

    def reader(self, who: str) -> Reader:
        with self.app.app_context():
            user = db.session.get(User, self.users[who])
            assert user is not None
            return Reader.of(user)

    def post(
        self,
        who: str = "it.officer",
        recipients: Sequence[str] = ("FR-MININT", "DE-BMI"),
        *,
        marking: str = "TLP:AMBER",
        category: str = "recruitment",
        uploads: Sequence[tuple[str, bytes]] = (),
        **document_fields: Any,
    ) -> str:
        with self.app.app_context():
            reader = self.reader(who)
            draft = sealing.Draft(
                document=document(**document_fields),
                category=category,
                marking=marking,
                recipients=list(recipients),
                uploads=[Upload(name, io.BytesIO(data)) for name, data in uploads],
            )
            bulletin: Bulletin = sealing.post_bulletin(reader, Actor(reader.user_id), draft)
            return bulletin.id


@pytest.fixture
def desk(app: Flask, people: People, desk_world: World[dict[str, int]]) -> Desk:
    return Desk.loaded(app, people, desk_world)
