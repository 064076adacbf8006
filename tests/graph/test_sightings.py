"""Sightings in the graph: they follow the node of the entity sighted, through merges; a
sighting whose bulletin is not in the graph is not kept; the timeline lists them; every change
moves the version."""

from __future__ import annotations

from datetime import date

import graph
from graph import Bulletin, Entity, Provenance, Relation, Sighting


def report(bid: str, org: str, phone: str = "+33 6 12 34 56 78") -> Bulletin:
    return Bulletin(
        Provenance(bid, org, date(2026, 4, 1), "TLP:AMBER"),
        (Entity("p", "person", name="Karim"), Entity("t1", "phone", value=phone)),
        (Relation("contacted", "p", "t1", date(2026, 3, 1)),),
    )


def test_a_sighting_reaches_the_node_of_its_entity_and_the_timeline():
    g = graph.build_graph([report("B-1", "FR"), report("B-2", "UK")])
    before = graph.graph_version(g)
    kept = graph.set_sightings(
        g,
        [
            Sighting("s1", "B-1", "t1", date(2026, 5, 2), "Lyon", "FR", "DE"),
            Sighting("s2", "B-2", "p", date(2026, 5, 3), "Calais", None, "FR"),
            Sighting("s3", "B-9", "t1", date(2026, 5, 4), "Nowhere", None, "FR"),  # not in g
            Sighting("s4", "B-1", "zz", date(2026, 5, 4), "Nowhere", None, "FR"),  # no such ref
        ],
    )
    assert kept == 2 and graph.graph_version(g) > before
    assert [s.id for s in graph.sightings_of(g, "phone:+33612345678")] == ["s1"]
    assert [s.id for s in graph.sightings_of(g, "person:B-2:p")] == ["s2"]
    events = [e for e in graph.timeline(g) if e.kind == "sighting"]
    assert [(e.on, e.nodes, e.organisation, e.detail) for e in events] == [
        (date(2026, 5, 2), ("phone:+33612345678",), "DE", "Lyon (FR)"),
        (date(2026, 5, 3), ("person:B-2:p",), "FR", "Calais"),
    ]
    only_phone = graph.timeline(g, ["phone:+33612345678"])
    assert [e.kind for e in only_phone if e.kind == "sighting"] == ["sighting"]
    same = graph.graph_version(g)
    graph.set_sightings(g, list(g.graph["sightings"]))
    assert graph.graph_version(g) == same  # nothing changed, nothing to recompute


def test_a_sighting_follows_a_merged_person_and_leaves_with_its_bulletin():
    g = graph.build_graph([report("B-1", "FR"), report("B-2", "UK", "+44 7700 900123")])
    graph.set_sightings(g, [Sighting("s1", "B-2", "p", date(2026, 5, 2), "Dover")])
    graph.apply_merges(
        g,
        graph.PersonMerges(
            [graph.ConfirmedMerge("person:B-1:p", "person:B-2:p", "analyst", date(2026, 5, 5))]
        ),
    )
    merged = graph.node_of(g, "person:B-2:p")
    assert merged == "person:B-1:p"
    assert [s.id for s in graph.sightings_of(g, merged)] == ["s1"]
    graph.remove_bulletin(g, "B-2")
    assert graph.sightings_of(g, "person:B-1:p") == []
    assert [e for e in graph.timeline(g) if e.kind == "sighting"] == []
