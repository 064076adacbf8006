"""Referred accounts and URLs in the referring organisation's own link graph.

Each item an organisation referred becomes one record of its graph, ``referral:<item id>``,
reported by that organisation: the referred URL (or, for an account, the profile) and the
account named with it, normalised by ``graph/`` exactly as bulletins' entities are, so a
recruiter's account named in a bulletin and the same account referred to a platform are one
node. Each node a referral reaches carries ``referrals``: how many items were referred, to
which platforms, and what became of them ("14 removed").

Only the organisation's own items are read (``referrer_org_id``), so no other organisation's
graph ever gains a node, an attribute or a count from them. The referral records never leave
the graph: an item is never deleted, only withdrawn, which the summary says.

Keeping it current costs one index lookup per use of the graph (the ledger's highest id,
:func:`due`); when the ledger grew, only the items with new entries are read again
(:func:`update`).
"""

from __future__ import annotations

import gc
import time
from collections import Counter
from collections.abc import Collection, Iterable
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Any

from flask_babel import gettext, ngettext
from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select

import graph
from graph.normalise.accounts import platform_of_url
from graph.normalise.urls import parse_url
from portal.extensions import db
from portal.models import ItemState, Organisation, ReferralItem, ReferralLedgerEntry
from portal.services.principals import Reader
from portal.services.referrals.vocabulary import OPEN, ContentType

PREFIX = "referral:"
GRACE_S = 60.0  # longer than any transaction that writes to the ledger
LAG = 2_500  # ledger ids below the first, complete reading that are counted again
CHUNK = 500  # item ids per query
MARKING: graph.Marking = "TLP:AMBER"  # seen by the referrer and the platform only
ATTRIBUTE = "referrals"

# How a summary names where an item stands (decided items by their outcome).
WORDS = {
    "removed": _l("removed"),
    "access_disabled": _l("access disabled"),
    "restricted": _l("restricted"),
    "account_suspended": _l("account suspended"),
    "no_violation": _l("no violation found"),
    "not_our_service": _l("not the platform's service"),
    "already_gone": _l("already gone"),
    "technical_impossibility": _l("not removed (technical impossibility)"),
    "force_majeure": _l("not removed (force majeure)"),
    "scrutiny_requested": _l("scrutiny requested"),
    "reinstated": _l("reinstated after a takedown"),
    "question": _l("question from the platform open"),
    "open": _l("awaiting a decision"),
    "withdrawn": _l("withdrawn"),
}
ORDER = tuple(WORDS)


def is_referral(record_id: str) -> bool:
    """Whether a graph record (a "bulletin" id) is one of the organisation's referrals."""
    return record_id.startswith(PREFIX)


@dataclass(frozen=True)
class _Item:
    id: str
    url: str
    account: str | None
    content_type: str
    received_at: datetime
    state: str
    outcome: str | None
    platform: str


def _items(reader: Reader, ids: Collection[str] | None = None) -> list[_Item]:
    """The organisation's items (those of ``ids`` only, when given), oldest first."""
    if ids is not None and not ids:
        return []
    query = (
        select(
            ReferralItem.id,
            ReferralItem.url,
            ReferralItem.account,
            ReferralItem.content_type,
            ReferralItem.received_at,
            ReferralItem.state,
            ReferralItem.outcome,
            Organisation.code,
        )
        .join(Organisation, Organisation.id == ReferralItem.platform_org_id)
        .where(ReferralItem.referrer_org_id == reader.org_id)
        .order_by(ReferralItem.received_at, ReferralItem.id)
    )
    if ids is None:
        return [_Item(*row) for row in db.session().execute(query)]
    chosen = sorted(ids)
    found: list[_Item] = []
    for start in range(0, len(chosen), CHUNK):
        part = query.where(ReferralItem.id.in_(chosen[start : start + CHUNK]))
        found.extend(_Item(*row) for row in db.session().execute(part))
    return sorted(found, key=lambda item: (item.received_at, item.id))


def _platform(url: str) -> str | None:
    try:
        return platform_of_url(parse_url(url))
    except graph.NotNormalisable:
        return None


def record(item: _Item, org_code: str) -> graph.Bulletin:
    """The graph's record of one referred item: its URL (or the account it is) and the
    account named with it, with no relation between them that the referral did not state."""
    kind: graph.EntityType = "account" if item.content_type == ContentType.ACCOUNT.value else "url"
    entities = [_keyed(graph.Entity("content", kind, value=item.url))]
    if item.account:
        named = graph.Entity("account", "account", value=item.account, platform=_platform(item.url))
        entities.append(_keyed(named))
    provenance = graph.Provenance(f"{PREFIX}{item.id}", org_code, item.received_at.date(), MARKING)
    return graph.Bulletin(provenance, tuple(entities))


def _keyed(entity: graph.Entity) -> graph.Entity:
    """``entity`` with its canonical key, as bulletins' entities have it; none when it does not
    normalise (the graph then shows it as written, never merged)."""
    try:
        key = graph.entity_key(entity)
    except graph.NotNormalisable:
        return entity
    return replace(entity, key=key)


def _nodes(g: Any, part: graph.Bulletin) -> tuple[str, ...]:
    """The nodes ``part`` reached: each entity's key, or its as-written node."""
    found = []
    for entity in part.entities:
        key = entity.key or f"{entity.type}:{part.bulletin_id}:{entity.ref}"
        if key in g:
            found.append(key)
    return tuple(found)


def _standing(item: _Item) -> str:
    if item.state == ItemState.REINSTATED.value:
        return "reinstated"
    if item.state == ItemState.WITHDRAWN.value:
        return "withdrawn"
    if item.state == ItemState.QUESTION.value:
        return "question"
    if item.state in OPEN or item.outcome is None:
        return "open"
    return item.outcome


def summary(items: Iterable[_Item]) -> dict[str, Any]:
    """What the organisation's referrals of one node came to, with a sentence for people."""
    listed = list(items)
    standing = Counter(_standing(item) for item in listed)
    platforms = sorted({item.platform for item in listed})
    parts = [
        gettext("%(count)s %(outcome)s", count=standing[word], outcome=WORDS[word])
        for word in ORDER
        if standing[word]
    ]
    count = len(listed)
    text = ngettext(
        "%(num)s item referred to %(platforms)s: %(outcomes)s",
        "%(num)s items referred to %(platforms)s: %(outcomes)s",
        count,
        platforms=", ".join(platforms),
        outcomes=", ".join(parts),
    )
    return {
        "items": count,
        "outcomes": {word: standing[word] for word in ORDER if standing[word]},
        "platforms": platforms,
        "first": min(item.received_at for item in listed).date().isoformat(),
        "last": max(item.received_at for item in listed).date().isoformat(),
        "text": text,
    }


@dataclass
class Links:
    """What one organisation's graph holds of its referrals, and how far the ledger was read.

    Ledger ids are drawn when an entry is written and become visible when its transaction
    commits, which on PostgreSQL need not be in id order. So the ids above a *floor* (the
    highest id seen at least :data:`GRACE_S` seconds earlier: writes to the ledger take
    milliseconds, a bulk intake of 2,000 rows seconds; or :data:`LAG` below the first reading)
    are remembered, and for :data:`GRACE_S` after the ledger last grew each use of the graph
    counts them again: an id that appeared below the highest is read then.
    """

    nodes: dict[str, tuple[str, ...]] = field(default_factory=dict)  # item -> nodes it reached
    items_of: dict[str, set[str]] = field(default_factory=dict)  # node -> items
    facts: dict[str, _Item] = field(default_factory=dict)  # item -> where it stands
    watermark: int | None = None  # the ledger's highest id when last read; None: never read
    since: float = float("-inf")  # when the watermark last moved (time.monotonic)
    marks: list[tuple[float, int]] = field(default_factory=list)  # (when, watermark)
    first: int = 0  # the watermark of the first, complete reading
    seen: set[int] = field(default_factory=set)  # ledger ids above the floor already read

    def scan_from(self, now: float) -> int:
        settled = [mark for when, mark in self.marks if now - when >= GRACE_S]
        return max(settled) if settled else max(0, self.first - LAG)

    def seen_above(self, floor: int) -> int:
        return sum(1 for ledger_id in self.seen if ledger_id > floor)


def latest() -> int:
    """The ledger's highest id (an index lookup): it moves whenever any item changes."""
    return int(db.session().scalar(select(func.max(ReferralLedgerEntry.id))) or 0)


def _count_above(floor: int) -> int:
    query = select(func.count()).select_from(ReferralLedgerEntry)
    return int(db.session().scalar(query.where(ReferralLedgerEntry.id > floor)) or 0)


def due(links: Links) -> bool:
    """Whether the ledger may hold changes to the organisation's items not yet in the graph:
    one index lookup, and shortly after the ledger grew, a count of its newest ids."""
    if links.watermark is None:
        return True
    if latest() != links.watermark:
        return True
    now = time.monotonic()
    if now - links.since >= GRACE_S:
        return False
    floor = links.scan_from(now)
    return _count_above(floor) != links.seen_above(floor)


def settled(links: Links) -> None:
    """Take the ledger as read up to now, without reading it (a graph installed whole)."""
    links.watermark = latest()
    links.first = links.watermark


def _entries_above(reader: Reader, floor: int) -> list[tuple[int, str, bool]]:
    """(id, item, whether the item is the organisation's) of every ledger entry above
    ``floor``: the ledger's primary key, and each entry's item by its own."""
    rows = db.session().execute(
        select(
            ReferralLedgerEntry.id,
            ReferralLedgerEntry.item_id,
            ReferralItem.referrer_org_id == reader.org_id,
        )
        .join(ReferralItem, ReferralItem.id == ReferralLedgerEntry.item_id)
        .where(ReferralLedgerEntry.id > floor)
    )
    return [(ledger_id, item_id, bool(ours)) for ledger_id, item_id, ours in rows]


def update(g: Any, reader: Reader, links: Links) -> bool:
    """Bring ``g`` up to date with the organisation's items: a record for each new item, and
    the summary of every node whose items changed. Returns whether records were added (the
    graph's structure changed); a changed outcome only changes summaries."""
    top = latest()  # read before the items, so nothing committed up to it is missed
    now = time.monotonic()
    if links.watermark is None:
        links.first = top
        floor = links.scan_from(now)
        links.seen = {ledger_id for ledger_id, _, _ in _entries_above(reader, floor)}
        items = _items(reader)
    else:
        floor = links.scan_from(now)
        fresh = [row for row in _entries_above(reader, floor) if row[0] not in links.seen]
        links.seen.update(ledger_id for ledger_id, _, _ in fresh)
        items = _items(reader, {item_id for _, item_id, ours in fresh if ours})
    added = False
    touched: set[str] = set()
    collecting = gc.isenabled()
    gc.disable()  # many new records at once: no cycle collection over the growing graph
    try:
        for item in items:
            if item.id not in links.nodes:
                part = record(item, reader.org_code)
                graph.add_bulletin(g, part)
                links.nodes[item.id] = _nodes(g, part)
                for node in links.nodes[item.id]:
                    links.items_of.setdefault(node, set()).add(item.id)
                added = True
            if links.facts.get(item.id) != item:
                links.facts[item.id] = item
                touched.update(links.nodes[item.id])
        for node in touched:
            if node in g:
                g.nodes[node][ATTRIBUTE] = summary(links.facts[i] for i in links.items_of[node])
    finally:
        if collecting:
            gc.enable()
    if top != links.watermark:
        links.since = now
        links.marks.append((now, top))
    # Keep the newest settled mark, every newer one, and the ids above the floor.
    older = [mark for mark in links.marks if now - mark[0] >= GRACE_S]
    links.marks = older[-1:] + [mark for mark in links.marks if now - mark[0] < GRACE_S]
    floor = links.scan_from(now)
    links.seen = {ledger_id for ledger_id in links.seen if ledger_id > floor}
    links.watermark = top
    return added
