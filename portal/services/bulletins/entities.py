"""From what a bulletin says to what ``graph/`` works with: graph entities, and the canonical
identifier keys that become blind-index tokens.

Persons are never merged by name; their name keys are still indexed, so a search for a name in
any script can say that it also appears in bulletins the asker cannot read.
"""

from __future__ import annotations

from datetime import date

import graph
from graph.model import ENTITY_TYPES
from portal.services.bulletins.content import BulletinContent, Entity, EntityType


def graph_type(entity_type: EntityType) -> graph.EntityType:
    """The graph's name for ``entity_type``: all have one but a travel event (a journey)."""
    name = entity_type.value
    if name not in ENTITY_TYPES:
        raise graph.InvalidBulletin(f"unknown type {name!r}")  # as graph.Entity would say
    return name


def graph_entity(entity: Entity) -> graph.Entity | None:
    """The graph's view of ``entity``; None for a travel event (it becomes a journey)."""
    if entity.type is EntityType.TRAVEL:
        return None
    return graph.Entity(
        ref=entity.ref,
        type=graph_type(entity.type),
        value=entity.value,
        aliases=entity.aliases,
        transliterations=entity.transliterations,
        nationality=entity.nationality,
        date_of_birth=entity.date_of_birth,
        role=entity.role.value if entity.role else None,
        platform=entity.platform.value if entity.platform else None,
    )


def _place_keys(entity: Entity) -> set[str]:
    places = [entity.origin, *entity.via, entity.destination]
    keys = set()
    for place in places:
        if place:
            key = graph.entity_key(graph.Entity(ref="place", type="location", value=place))
            if key:
                keys.add(key)
    return keys


def name_keys(names: tuple[str, ...]) -> set[str]:
    return {f"name:{key}" for name in names if (key := graph.name_key(name))}


def identifier_keys(entity: Entity, default_region: str | None = None) -> set[str]:
    """Canonical keys of one entity: its identifier, a person's name keys, a journey's places."""
    if entity.type is EntityType.TRAVEL:
        return _place_keys(entity)
    node = graph_entity(entity)
    if node is None:
        return set()
    if entity.type is EntityType.PERSON:
        return name_keys(node.all_names)
    try:
        key = graph.entity_key(node, default_region=default_region)
    except graph.NotNormalisable:
        return set()
    return {key} if key else set()


def content_keys(content: BulletinContent, default_region: str | None = None) -> set[str]:
    keys: set[str] = set()
    for entity in content.entities:
        keys |= identifier_keys(entity, default_region)
    return keys


def graph_bulletin(
    bulletin_id: str, org_code: str, reported_on: date, marking: str, content: BulletinContent
) -> graph.Bulletin:
    """What ``graph/`` builds from one opened bulletin.

    A travel event names its places in words; each place becomes a location entity of the
    bulletin (the graph merges equal places across bulletins by their canonical key).
    """
    entities = [node for e in content.entities if (node := graph_entity(e)) is not None]
    travels = []
    for entity in content.entities:
        if entity.type is not EntityType.TRAVEL or not entity.traveller or not entity.destination:
            continue
        stops: dict[str, str] = {}
        places = [("origin", entity.origin), *((f"via{i}", p) for i, p in enumerate(entity.via))]
        for name, place in [*places, ("destination", entity.destination)]:
            if place:
                ref = f"{entity.ref}:{name}"
                stops[name] = ref
                entities.append(graph.Entity(ref=ref, type="location", value=place))
        travels.append(
            graph.TravelEvent(
                traveller=entity.traveller,
                destination=stops["destination"],
                origin=stops.get("origin"),
                via=tuple(ref for name, ref in stops.items() if name.startswith("via")),
                on=entity.on,
            )
        )
    # The graph keeps every relation of every bulletin: they name their entities by the
    # entities' own ref strings and share date objects, rather than each holding copies.
    refs = {e.ref: e.ref for e in entities}
    return graph.Bulletin(
        provenance=graph.Provenance(bulletin_id, org_code, reported_on, marking),  # type: ignore[arg-type]
        entities=tuple(entities),
        relations=tuple(
            graph.Relation(
                r.type.value,
                refs.get(r.source, r.source),
                refs.get(r.target, r.target),
                shared_date(r.on),
            )
            for r in content.relations
        ),
        travels=tuple(travels),
    )


_DATES: dict[date, date] = {}


def shared_date(day: date | None) -> date | None:
    """One date object per day for all the relations in the process (a few thousand days)."""
    if day is None:
        return None
    if len(_DATES) > 100_000:
        _DATES.clear()
    return _DATES.setdefault(day, day)
