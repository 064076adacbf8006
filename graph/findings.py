"""Findings for the analyst: entities that join reports together, and what happened when.

:func:`shared_entities` lists the accounts, phones, groups... that two or more
organisations reported, or that link two or more persons: where ministries'
pictures overlap. :func:`timeline` lists the dated events of a graph or of part
of it (relations, journeys, bulletins, sightings), oldest first.

Run both on a readable subgraph: counts are counts of what the organisation can
read, never more.

Examples
--------
>>> from datetime import date
>>> from graph.build import build_graph
>>> from graph.model import Bulletin, Entity, Provenance, Relation
>>> def report(bid, org, person):
...     return Bulletin(Provenance(bid, org, date(2025, 1, 1), "TLP:AMBER"),
...         (Entity("p", "person", name=person), Entity("a", "phone", value="+33612345678")),
...         (Relation("contacted", "p", "a", date(2024, 12, 24)),))
>>> g = build_graph([report("B-1", "FR", "Karim"), report("B-2", "UK", "Yassine")])
>>> [(s.node, s.organisations, len(s.persons)) for s in shared_entities(g)]
[('phone:+33612345678', ('FR', 'UK'), 2)]
>>> [(e.on.isoformat(), e.kind) for e in timeline(g)][:2]
[('2024-12-24', 'contacted'), ('2024-12-24', 'contacted')]
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from datetime import date
from typing import Any

from graph.build import REPORTED_IN, Journey
from graph.labels import display_label
from graph.model import Bulletin
from graph.sightings import sighting_node

__all__ = ["SharedEntity", "TimelineEvent", "shared_entities", "timeline"]


@dataclass(frozen=True, slots=True)
class SharedEntity:
    """A non-person node that joins reports: by several organisations, or of several persons."""

    node: str
    type: str
    label: str
    organisations: tuple[str, ...]
    bulletin_ids: tuple[str, ...]
    persons: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class TimelineEvent:
    """One dated event: a relation, a journey, a bulletin or a sighting.

    ``kind`` is the relation type, ``"journey"``, ``"bulletin"`` or ``"sighting"``; ``nodes``
    are the nodes involved (source and target; traveller, origin, stops and
    destination; or the bulletin node); ``dated_by_report`` is true when the
    bulletin gave no date for the event and its own date stands in.
    """

    on: date
    kind: str
    nodes: tuple[str, ...]
    bulletin_id: str
    organisation: str
    dated_by_report: bool
    detail: str | None = None  # a sighting's place (and country)


def shared_entities(
    g: Any,
    *,
    min_organisations: int = 2,
    min_persons: int = 2,
    types: Collection[str] | None = None,
) -> list[SharedEntity]:
    """Entities reported by ``min_organisations`` organisations or linking ``min_persons`` persons.

    Parameters
    ----------
    g : networkx.MultiDiGraph
        A readable subgraph.
    types : collection of str, optional
        Node types to consider; by default every type but person and bulletin.

    Returns
    -------
    list of SharedEntity
        Most organisations first, then most persons, then by node id.
    """
    bulletins: dict[str, Bulletin] = g.graph["bulletins"]
    wanted = None if types is None else frozenset(types)
    found: list[SharedEntity] = []
    for node, data in g.nodes(data=True):
        kind = data["type"]
        if kind in ("person", "bulletin") if wanted is None else kind not in wanted:
            continue
        mentions = data["mentions"]
        organisations = sorted({bulletins[b].provenance.organisation for b in mentions})
        persons = sorted(
            {
                other
                for other in (*g.successors(node), *g.predecessors(node))
                if g.nodes[other]["type"] == "person"
            }
        )
        if len(organisations) >= min_organisations or len(persons) >= min_persons:
            found.append(
                SharedEntity(
                    node,
                    kind,
                    display_label(node, data),
                    tuple(organisations),
                    tuple(sorted(mentions)),
                    tuple(persons),
                )
            )
    return sorted(found, key=lambda s: (-len(s.organisations), -len(s.persons), s.node))


def timeline(g: Any, nodes: Collection[str] | None = None) -> list[TimelineEvent]:
    """Dated events among ``nodes`` (default: the whole graph), oldest first.

    A relation is an event on each date a bulletin gives it (or the bulletin's
    date); a journey is one event; each bulletin is an event on its date. With
    ``nodes``, only relations between two of them, journeys of a traveller among
    them, bulletins naming one of them and sightings of one of them count (a
    sighting's ``organisation`` is who saw it, its ``detail`` where).
    """
    bulletins: dict[str, Bulletin] = g.graph["bulletins"]
    within = None if nodes is None else frozenset(nodes)
    events: list[TimelineEvent] = []

    def add(on: date | None, kind: str, involved: tuple[str, ...], bid: str) -> None:
        provenance = bulletins[bid].provenance
        when = on if on is not None else provenance.reported_on
        events.append(TimelineEvent(when, kind, involved, bid, provenance.organisation, on is None))

    edges = (
        g.edges(keys=True, data="reports")
        if within is None
        else g.subgraph(within).edges(keys=True, data="reports")
    )
    for source, target, kind, reports in edges:
        if kind in (REPORTED_IN, "travelled_to"):
            continue
        for bid, on in zip(reports[::2], reports[1::2], strict=True):
            add(on, kind, (source, target), bid)
    persons: dict[str, str] = g.graph["persons"]
    journeys: dict[str, list[Journey]] = g.graph["journeys"]
    for bid, trips in journeys.items():
        for trip in trips:
            traveller = persons.get(trip.traveller)
            if traveller is None or (within is not None and traveller not in within):
                continue
            stops = (trip.origin, *trip.via, trip.destination)
            add(trip.on, "journey", (traveller, *(s for s in stops if s is not None)), bid)
    for bid, bulletin in bulletins.items():
        named = g.graph["touched"].get(bid, ())
        if within is None or any(persons.get(n, n) in within for n in named):
            add(bulletin.provenance.reported_on, "bulletin", (f"bulletin:{bid}",), bid)
    for sighting in g.graph.get("sightings", ()):
        node = sighting_node(g, sighting)
        if node is None or (within is not None and node not in within):
            continue
        place = f"{sighting.place} ({sighting.country})" if sighting.country else sighting.place
        events.append(
            TimelineEvent(
                sighting.on,
                "sighting",
                (node,),
                sighting.bulletin_id,
                sighting.organisation,
                False,
                place,
            )
        )
    return sorted(events, key=lambda e: (e.on, e.kind, e.nodes, e.bulletin_id))
