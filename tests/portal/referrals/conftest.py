"""Referral fixtures: ministries (two of them competent authorities), an observer, two
platforms with their liaison officers, and referrals made through the services."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import pytest
from flask import Flask

from portal.extensions import db
from portal.models import User
from portal.services.accounts import directory as accounts
from portal.services.principals import CLI, Reader
from portal.services.referrals import authorities, intake
from portal.services.referrals.intake import ItemDraft, ReferralDraft, Referred
from tests.portal.conftest import People
from tests.portal.service_checks import actor_of

NOW = datetime(2026, 12, 3, 9, 0, tzinfo=UTC)
ORGS = (
    ("DE-BMI", "member", "DE"),
    ("FR-MININT", "member", "FR"),
    ("IT-MININT", "member", "IT"),
    ("UK-HO", "member", "GB"),
    ("EU-HOME", "observer", None),
    ("PLATFORM-X", "platform", "US"),
    ("PLATFORM-Y", "platform", "US"),
)


def item(url: str = "https://video.example/watch?v=abc123", **extra: Any) -> ItemDraft:
    fields: dict[str, Any] = {
        "content_type": "video",
        "category": "recruitment",
        "reason": "Recruitment video with a call to travel.",
        "language": "ar",
        "attributed_group": "Example Front",
    }
    fields.update(extra)
    return ItemDraft(url=url, **fields)


@dataclass
class World:
    app: Flask
    people: People
    users: dict[str, int] = field(default_factory=dict)

    def setup(self) -> World:
        with self.app.app_context():
            for code, kind, country in ORGS:
                accounts.create_organisation(
                    CLI, code=code, name=f"{code} org", kind=kind, country=country
                )
        for who, code, role in (
            ("de", "DE-BMI", "liaison"),
            ("de.analyst", "DE-BMI", "analyst"),
            ("fr", "FR-MININT", "liaison"),
            ("it", "IT-MININT", "liaison"),
            ("uk", "UK-HO", "liaison"),
            ("eu", "EU-HOME", "liaison"),
            ("x", "PLATFORM-X", "platform_liaison"),
            ("x2", "PLATFORM-X", "platform_liaison"),
            ("x.admin", "PLATFORM-X", "org_admin"),
            ("y", "PLATFORM-Y", "platform_liaison"),
        ):
            self.users[who] = self.people.user(f"{who}@{code.lower()}.example", role, org=code)
        self.users["sysadmin"] = self.people.user(
            "root@ops.example", "sysadmin", org="OPS", kind="member"
        )
        with self.app.app_context():
            for code in ("DE-BMI", "FR-MININT"):
                authorities.set_competent_authority(CLI, code, True)
        return self

    def reader(self, who: str) -> Reader:
        return Reader.of(db.session.get_one(User, self.users[who]))

    def refer(
        self,
        who: str = "de",
        items: Sequence[ItemDraft] | None = None,
        *,
        platform: str = "PLATFORM-X",
        kind: str = "referral",
        legal_basis: str | None = None,
        now: datetime = NOW,
    ) -> Referred:
        """Call inside an application context."""
        reader = self.reader(who)
        draft = ReferralDraft(
            platform=platform,
            kind=kind,
            items=list(items) if items is not None else [item()],
            legal_basis=legal_basis,
        )
        return intake.refer(reader, actor_of(reader), draft, now=now)

    def order(
        self, who: str = "de", items: Sequence[ItemDraft] | None = None, **kw: Any
    ) -> Referred:
        kw.setdefault("legal_basis", "Regulation (EU) 2021/784, Art. 3; BMI order 17/2026")
        return self.refer(who, items, kind="removal_order", **kw)


@pytest.fixture
def world(app: Flask, people: People) -> World:
    return World(app, people).setup()
