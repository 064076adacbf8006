"""Sightings: an organisation saw an entity of a bulletin somewhere, on a day.

A sighting is dated evidence about one node, reported after the bulletin: "this number was
seen in Lyon on 2 May". It names the entity as the bulletin does (bulletin id and the entity's
``ref``), so it follows the node the entity became, through merges and relabelling; a sighting
whose bulletin is not in the graph is not kept. Sightings are part of the graph's state
(``g.graph["sightings"]``, counted in its version): :func:`sightings_of` gives a node's,
and :func:`graph.timeline` lists each as an event of kind ``"sighting"``.

Examples
--------
>>> from datetime import date
>>> from graph.build import build_graph
>>> from graph.model import Bulletin, Entity, Provenance
>>> g = build_graph([Bulletin(Provenance("B-1", "FR", date(2026, 4, 1), "TLP:AMBER"),
...                           (Entity("t1", "phone", value="+33 6 12 34 56 78"),))])
>>> set_sightings(g, [Sighting("s1", "B-1", "t1", date(2026, 5, 2), "Lyon", "FR", "DE")])
1
>>> [(s.place, s.organisation) for s in sightings_of(g, "phone:+33612345678")]
[('Lyon', 'DE')]
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from typing import Any

from graph.build import node_of
from graph.merges import person_mention_id

__all__ = ["Sighting", "set_sightings", "sighting_node", "sightings_of"]


@dataclass(frozen=True, slots=True)
class Sighting:
    """Where and when ``organisation`` saw entity ``ref`` of bulletin ``bulletin_id``."""

    id: str
    bulletin_id: str
    ref: str
    on: date
    place: str
    country: str | None = None
    organisation: str = ""


def sighting_node(g: Any, sighting: Sighting) -> str | None:
    """The node the sighted entity is in ``g`` (None if its bulletin or entity is not)."""
    bulletin = g.graph["bulletins"].get(sighting.bulletin_id)
    if bulletin is None:
        return None
    persons: dict[str, str] = g.graph["persons"]
    for named in g.graph["touched"].get(sighting.bulletin_id, ()):
        node = persons.get(named, named)
        node = node_of(g, node)
        if node is None:
            continue
        for entity in g.nodes[node].get("mentions", {}).get(sighting.bulletin_id, ()):
            if entity.ref == sighting.ref:
                return node
    mention = person_mention_id(sighting.bulletin_id, sighting.ref)
    return node_of(g, mention) if mention in persons else None


def set_sightings(g: Any, sightings: Iterable[Sighting]) -> int:
    """Replace the sightings of ``g`` in place; returns how many name a node of ``g``."""
    kept = tuple(
        sorted(
            (s for s in sightings if sighting_node(g, s) is not None),
            key=lambda s: (s.on, s.id),
        )
    )
    if kept != g.graph.get("sightings", ()):
        g.graph["sightings"] = kept
        g.graph["version"] += 1
    return len(kept)


def sightings_of(g: Any, node: str) -> list[Sighting]:
    """The sightings of ``node``, oldest first."""
    return [s for s in g.graph.get("sightings", ()) if sighting_node(g, s) == node]
