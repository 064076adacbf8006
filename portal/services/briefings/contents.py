"""Opening a briefing's bulletins for the reader's organisation, and its link graph.

Each bulletin is decrypted with the organisation's key ring and both signatures verified, as
on the read page. A bulletin that fails verification stays in the briefing as a warning with
no content, never as text that nobody vouched for.
"""

from __future__ import annotations

import hashlib
from collections import Counter
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Any

from sqlalchemy import select

import graph
from crypto.canonical import canonical_json
from portal.extensions import db
from portal.models import Bulletin, Organisation
from portal.services.briefings import figure as figures
from portal.services.briefings.summary import ExecutiveSummary, Previous, summarise
from portal.services.bulletins.content import BulletinContent
from portal.services.bulletins.entities import graph_bulletin
from portal.services.bulletins.reading import TAMPERED, SealCheck, Unopened, open_bulletin
from portal.services.principals import Reader

FIGURE_ENTITIES = figures.TOP_ENTITIES  # beyond this a printed figure is ink, not information


@dataclass(frozen=True)
class BriefedBulletin:
    """One bulletin as the briefing shows it: opened and verified, or a warning."""

    id: str
    version: int
    sender_code: str
    sender_name: str
    category: str
    marking: str
    created_at: datetime
    expires_at: datetime | None
    content: BulletinContent | None = None
    seal: SealCheck | None = None
    problem: str | None = None
    payload_sha256: str | None = None  # of the verified plaintext, for the appendix

    @property
    def title(self) -> str:
        return self.content.title if self.content is not None else f"Bulletin {self.id}"


@dataclass(frozen=True)
class BriefingContents:
    bulletins: list[BriefedBulletin]
    summary: ExecutiveSummary
    figure: figures.Figure | None = None  # the link graph of the briefing's entities
    by_category: Counter[str] = field(default_factory=Counter)
    by_sender: Counter[str] = field(default_factory=Counter)
    by_month: Counter[str] = field(default_factory=Counter)

    @property
    def verified(self) -> int:
        return sum(1 for b in self.bulletins if b.content is not None)

    @property
    def figure_svg(self) -> str | None:
        return figures.to_svg(self.figure) if self.figure is not None else None

    @property
    def figure_nodes(self) -> int:
        return len(self.figure.nodes) if self.figure is not None else 0

    @property
    def figure_total_nodes(self) -> int:
        return self.figure.total if self.figure is not None else 0


def _open(
    org_code: str, bulletin: Bulletin, sender: Organisation, now: datetime
) -> BriefedBulletin:
    base = BriefedBulletin(
        id=bulletin.id,
        version=bulletin.version,
        sender_code=sender.code,
        sender_name=sender.name,
        category=bulletin.category,
        marking=bulletin.marking,
        created_at=bulletin.created_at,
        expires_at=bulletin.expires_at,
    )
    opened = open_bulletin(db.session(), org_code, bulletin, now=now)
    if isinstance(opened, Unopened):
        return replace(base, problem=TAMPERED)
    digest = hashlib.sha256(opened.envelope.payload).hexdigest()
    return replace(base, content=opened.content, seal=opened.seal, payload_sha256=digest)


def link_graph(bulletins: list[BriefedBulletin]) -> Any | None:
    """The graph of the entities the verified bulletins name; None when they name none."""
    parts = [
        graph_bulletin(b.id, b.sender_code, b.created_at.date(), b.marking, b.content)
        for b in bulletins
        if b.content is not None and b.content.entities
    ]
    if not parts:
        return None
    g = graph.build_graph(parts, bulletin_nodes=False)
    return g if g.number_of_nodes() else None


def open_bulletins(
    reader: Reader,
    bulletins: list[Bulletin],
    now: datetime,
    previous: Previous | None = None,
) -> BriefingContents:
    """Open, verify and summarise ``bulletins`` (already checked readable by the reader);
    ``previous`` is the last briefing of the same selection, for what is new since."""
    session = db.session()
    sender_ids = {b.sender_org_id for b in bulletins}
    rows = session.scalars(select(Organisation).where(Organisation.id.in_(sender_ids)))
    senders = {org.id: org for org in rows}
    opened = [_open(reader.org_code, b, senders[b.sender_org_id], now) for b in bulletins]
    g = link_graph(opened)
    return BriefingContents(
        bulletins=opened,
        summary=summarise(opened, g, previous),
        figure=figures.lay_out(g, limit=FIGURE_ENTITIES) if g is not None else None,
        by_category=Counter(b.category for b in opened),
        by_sender=Counter(b.sender_code for b in opened),
        by_month=Counter(b.created_at.strftime("%Y-%m") for b in opened),
    )


def content_digest(manifest: dict[str, object]) -> str:
    """SHA-256 of the RFC 8785 encoding of what the briefing says and for whom."""
    return hashlib.sha256(canonical_json(manifest)).hexdigest()


@dataclass(frozen=True)
class Heading:
    """What a copy says about itself: which copy, its title and note, marking, for whom, when."""

    copy_id: str
    title: str
    cover_note: str
    marking: str
    prepared_for: str
    org_code: str
    created_at: datetime


def manifest(contents: BriefingContents, heading: Heading) -> dict[str, object]:
    """Everything the briefing states, as JSON: its digest is printed in the appendix."""
    return {
        "copy": heading.copy_id,
        "title": heading.title,
        "cover_note": heading.cover_note,
        "marking": heading.marking,
        "prepared_for": heading.prepared_for,
        "org": heading.org_code,
        "created_at": heading.created_at.isoformat(),
        "compared_with": previous.copy_id if (previous := contents.summary.previous) else None,
        "bulletins": [
            {
                "id": b.id,
                "sender": b.sender_code,
                "marking": b.marking,
                "verified": b.content is not None,
                "payload_sha256": b.payload_sha256,
            }
            for b in contents.bulletins
        ],
    }
