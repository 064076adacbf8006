"""The executive summary in words: what a reader takes from the briefing before any chart.

- every bulletin's summary line, oldest first;
- the links between entities that are new since the last briefing of the same selection
  (stated by no bulletin that briefing held), or every link when there was none;
- the people who travelled, with their route and date;
- the online accounts that are new in the same sense.

Pure: it reads opened bulletins and their link graph, never the database or Flask.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any, Generic, Protocol, TypeVar

import graph
from portal.services.briefings.figure import human_label
from portal.services.bulletins.content import BulletinContent, EntityType, RelationType

T = TypeVar("T")

MAX_ITEMS = 12  # per list; the summary says how many more there are


class Opened(Protocol):
    @property
    def id(self) -> str: ...

    @property
    def title(self) -> str: ...

    @property
    def sender_code(self) -> str: ...

    @property
    def created_at(self) -> datetime: ...

    @property
    def content(self) -> BulletinContent | None: ...


@dataclass(frozen=True)
class Previous:
    """The last briefing of the same selection: its copy, when, and which bulletins it held."""

    copy_id: str
    created_at: datetime
    bulletin_ids: frozenset[str]


@dataclass(frozen=True)
class KeyPoint:
    bulletin_id: str
    title: str
    summary: str
    sender_code: str
    day: date


@dataclass(frozen=True)
class Link:
    source: str
    relation: str  # in English; ``kind`` lets the briefing name it in its language
    target: str
    bulletins: int
    kind: str = ""


@dataclass(frozen=True)
class Journey:
    traveller: str  # "" when the bulletin names nobody
    route: str  # "Lyon → Istanbul → Gaziantep"
    on: date | None
    bulletin_id: str


@dataclass(frozen=True)
class Account:
    label: str
    bulletins: int


@dataclass(frozen=True)
class Listed(Generic[T]):
    """The first items of a list and how many there are in all."""

    items: tuple[T, ...]
    total: int

    @property
    def more(self) -> int:
        return self.total - len(self.items)


@dataclass(frozen=True)
class ExecutiveSummary:
    key_points: tuple[KeyPoint, ...]
    new_links: Listed[Link]
    journeys: Listed[Journey]
    new_accounts: Listed[Account]
    previous: Previous | None


def _listed(items: Sequence[T]) -> Listed[T]:
    return Listed(tuple(items[:MAX_ITEMS]), len(items))


def _new(reported_in: set[str], previous: Previous | None) -> bool:
    return previous is None or not (reported_in & previous.bulletin_ids)


def _relation_label(kind: str) -> str:
    try:
        return RelationType(kind).label
    except ValueError:
        return kind.replace("_", " ")


def summarise(
    bulletins: Sequence[Opened], g: Any | None, previous: Previous | None
) -> ExecutiveSummary:
    """The summary of ``bulletins``, whose link graph is ``g`` (None when they name nothing)."""
    points = tuple(
        KeyPoint(b.id, b.title, b.content.summary, b.sender_code, b.created_at.date())
        for b in bulletins
        if b.content is not None
    )
    links: list[Link] = []
    accounts: list[Account] = []
    if g is not None:
        labels = {node: human_label(str(node), data) for node, data in g.nodes(data=True)}
        for u, v, kind, data in g.edges(keys=True, data=True):
            if kind in ("travelled_to", "reported_in") or u == v:
                continue
            reported = set(graph.edge_reports(data))
            if _new(reported, previous):
                relation = _relation_label(str(kind))
                links.append(Link(labels[u], relation, labels[v], len(reported), str(kind)))
        for node, data in g.nodes(data=True):
            if data.get("type") != "account":
                continue
            mentioned = set(data.get("mentions") or ())
            if _new(mentioned, previous):
                accounts.append(Account(labels[node], len(mentioned)))
    links.sort(key=lambda link: (-link.bulletins, link.source, link.relation, link.target))
    accounts.sort(key=lambda account: (-account.bulletins, account.label))
    return ExecutiveSummary(
        key_points=points,
        new_links=_listed(links),
        journeys=_listed(_journeys(bulletins)),
        new_accounts=_listed(accounts),
        previous=previous,
    )


def _journeys(bulletins: Sequence[Opened]) -> list[Journey]:
    found: dict[tuple[str, str, date | None], Journey] = {}
    for b in bulletins:
        if b.content is None:
            continue
        names = {e.ref: e.value for e in b.content.entities}
        for e in b.content.entities:
            if e.type is not EntityType.TRAVEL or not e.destination:
                continue
            traveller = names.get(e.traveller or "", "")  # "": the page says "unnamed"
            stops = [s for s in (e.origin, *e.via, e.destination) if s]
            route = " → ".join(stops)
            found.setdefault((traveller, route, e.on), Journey(traveller, route, e.on, b.id))
    return sorted(found.values(), key=lambda j: (j.on or date.max, j.traveller, j.route))
