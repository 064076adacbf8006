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
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any

from sqlalchemy import func, select

import graph
from graph.normalise.accounts import platform_of_url
from graph.normalise.urls import parse_url
from portal.extensions import db
from portal.models import ItemState, Organisation, ReferralItem, ReferralLedgerEntry
from portal.services.principals import Reader
from portal.services.referrals.vocabulary import OPEN, ContentType

PREFIX = "referral:"
MARKING: graph.Marking = "TLP:AMBER"  # seen by the referrer and the platform only
ATTRIBUTE = "referrals"

# How a summary names where an item stands (decided items by their outcome).
WORDS = {
    "removed": "removed",
    "access_disabled": "access disabled",
    "restricted": "restricted",
    "account_suspended": "account suspended",
    "no_violation": "no violation found",
    "not_our_service": "not the platform's service",
    "already_gone": "already gone",
    "technical_impossibility": "not removed (technical impossibility)",
    "force_majeure": "not removed (force majeure)",
    "scrutiny_requested": "scrutiny requested",
    "reinstated": "reinstated after a takedown",
    "question": "question from the platform open",
    "open": "awaiting a decision",
    "withdrawn": "withdrawn",
}
ORDER = tuple(WORDS)


def is_referral(record_id: str) -> bool:
    """Whether a graph record (a "bulletin" id) is one of the organisation's referrals."""
    return record_id.startswith(PREFIX)


def stamp(reader: Reader) -> tuple[Any, ...]:
    """Changes whenever the organisation refers an item or anything happens to one of its
    items (every change of state is a ledger entry)."""
    row = (
        db.session()
        .execute(
            select(func.count(), func.max(ReferralLedgerEntry.id))
            .select_from(ReferralLedgerEntry)
            .join(ReferralItem, ReferralItem.id == ReferralLedgerEntry.item_id)
            .where(ReferralItem.referrer_org_id == reader.org_id)
        )
        .one()
    )
    return tuple(row)


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


def _items(reader: Reader) -> list[_Item]:
    rows = db.session().execute(
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
    return [_Item(*row) for row in rows]


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
    parts = [f"{standing[word]} {WORDS[word]}" for word in ORDER if standing[word]]
    count = len(listed)
    text = (
        f"{count} item{'' if count == 1 else 's'} referred to {', '.join(platforms)}: "
        + ", ".join(parts)
    )
    return {
        "items": count,
        "outcomes": {word: standing[word] for word in ORDER if standing[word]},
        "platforms": platforms,
        "first": min(item.received_at for item in listed).date().isoformat(),
        "last": max(item.received_at for item in listed).date().isoformat(),
        "text": text,
    }


def update(g: Any, reader: Reader, known: dict[str, tuple[str, ...]]) -> bool:
    """Add the records of items not yet in ``g`` and set every referred node's summary.

    ``known`` maps the items already added to the nodes they reached; it is kept up to date.
    Returns whether records were added (the graph's structure changed).
    """
    items = _items(reader)
    added = False
    for item in items:
        if item.id in known:
            continue
        part = record(item, reader.org_code)
        graph.add_bulletin(g, part)
        known[item.id] = _nodes(g, part)
        added = True
    by_node: dict[str, list[_Item]] = {}
    for item in items:
        for node in known.get(item.id, ()):
            by_node.setdefault(node, []).append(item)
    for node, data in g.nodes(data=True):
        if ATTRIBUTE in data and node not in by_node:
            del data[ATTRIBUTE]
    for node, referred in by_node.items():
        if node in g:
            g.nodes[node][ATTRIBUTE] = summary(referred)
    return added
