"""A graph that keeps no whole bulletins, and mentions that share how they were written."""

from __future__ import annotations

import dataclasses
from datetime import UTC, date, datetime

import networkx as nx
import pytest

from graph.build import (
    add_bulletin,
    apply_merges,
    build_graph,
    new_graph,
    readable_subgraph,
    remove_bulletin,
)
from graph.merges import ConfirmedMerge, PersonMerges
from graph.model import Bulletin, Entity, Provenance, Relation, TravelEvent
from tests.graph import scenario

WHEN = datetime(2025, 1, 2, tzinfo=UTC)


def _signature(g: nx.MultiDiGraph) -> tuple[object, ...]:
    nodes = sorted(
        (n, d["type"], d["label"], tuple(sorted(d["mentions"])), d["sources"])
        for n, d in g.nodes(data=True)
    )
    edges = sorted((u, v, k, r) for u, v, k, r in g.edges(keys=True, data="reports"))
    journeys = sorted((bid, tuple(trips)) for bid, trips in g.graph["journeys"].items())
    return (tuple(nodes), tuple(edges), tuple(journeys), dict(g.graph["persons"]))


def _bulletin(bid: str, day: int, ref: str, name: str) -> Bulletin:
    return Bulletin(
        Provenance(bid, "FR", date(2025, 1, day), "TLP:AMBER"),
        (
            Entity(ref, "person", name=name),
            Entity(f"a{ref}", "account", platform="telegram", handle="@abu_x"),
            Entity(f"l{ref}", "location", name="Raqqa"),
        ),
        (Relation("uses_account", ref, f"a{ref}", date(2025, 1, day)),),
        (TravelEvent(ref, f"l{ref}", on=date(2024, 12, day)),),
    )


BULLETINS = [_bulletin("B1", 1, "p", "Abu A"), _bulletin("B2", 2, "q", "Abou A")]
MERGED = PersonMerges([ConfirmedMerge("person:B1:p", "person:B2:q", "analyst", WHEN)])


def test_a_graph_without_records_is_the_same_graph() -> None:
    whole = build_graph(scenario.ALL)
    lean = build_graph(scenario.ALL, keep_records=False)
    assert _signature(lean) == _signature(whole)
    for bid, record in lean.graph["bulletins"].items():
        assert record.provenance == whole.graph["bulletins"][bid].provenance
        assert record.relations == () and record.travels == ()
        assert all(e.type == "person" for e in record.entities)


def test_merges_reread_only_the_bulletins_they_change() -> None:
    by_id = {b.bulletin_id: b for b in [*BULLETINS, scenario.FR_1]}
    asked: list[list[str]] = []

    def reload(ids: list[str]) -> list[Bulletin]:
        asked.append(ids)
        return [by_id[i] for i in ids]

    lean = build_graph(by_id.values(), keep_records=False)
    whole = build_graph(by_id.values())
    apply_merges(lean, MERGED, reload=reload)
    apply_merges(whole, MERGED)
    assert asked == [["B1", "B2"]]
    assert "person:B1:p" in lean and "person:B2:q" not in lean
    assert _signature(lean) == _signature(whole)
    apply_merges(lean, PersonMerges(), reload=reload)  # revoked: split back
    apply_merges(whole, PersonMerges())
    assert _signature(lean) == _signature(whole)
    assert "person:B2:q" in lean


def test_a_bulletin_that_no_longer_opens_stays_out_after_a_merge() -> None:
    lean = build_graph(BULLETINS, keep_records=False)
    apply_merges(lean, MERGED, reload=lambda ids: [b for b in BULLETINS if b.bulletin_id == "B1"])
    assert set(lean.graph["bulletins"]) == {"B1"}
    assert "person:B2:q" not in lean and "person:B1:p" in lean
    assert set(lean.nodes["location:raqqa"]["mentions"]) == {"B1"}


def test_without_records_a_merge_needs_a_reload_and_subgraphs_refuse() -> None:
    lean = build_graph(BULLETINS, keep_records=False)
    before = _signature(lean)
    apply_merges(lean, PersonMerges())  # nothing changes: nothing to read back
    assert _signature(lean) == before
    with pytest.raises(ValueError, match="reload"):
        apply_merges(lean, MERGED)
    with pytest.raises(ValueError, match="whole bulletins"):
        readable_subgraph(lean, {"B1"})
    remove_bulletin(lean, "B2")
    assert "person:B2:q" not in lean
    assert set(lean.nodes["account:telegram:abu_x"]["mentions"]) == {"B1"}


def test_mentions_written_alike_share_one_record_and_persons_never_do() -> None:
    g = build_graph(BULLETINS)
    account = g.nodes["account:telegram:abu_x"]["mentions"]
    assert account["B1"] is account["B2"]  # refs differ, the writing does not
    place = g.nodes["location:raqqa"]["mentions"]
    assert place["B1"] is place["B2"]
    other = Bulletin(
        Provenance("B3", "DE", date(2025, 1, 3), "TLP:GREEN"),
        (Entity("x", "account", platform="telegram", handle="t.me/ABU_X"),),
    )
    add_bulletin(g, other)
    assert account["B3"] is not account["B2"]
    assert account["B3"][0].handle == "t.me/ABU_X"  # each way of writing it is kept once
    merged = build_graph(BULLETINS, merges=MERGED)
    mentions = merged.nodes["person:B1:p"]["mentions"]
    assert [e.ref for e in mentions["B1"]] == ["p"] and [e.ref for e in mentions["B2"]] == ["q"]


@pytest.mark.parametrize(
    "field", [f.name for f in dataclasses.fields(Entity) if f.name not in ("ref", "type", "key")]
)
def test_mentions_that_differ_in_any_field_keep_their_own_record(field: str) -> None:
    """A new field of Entity must be compared too, or a mention would show another's writing."""
    values: dict[str, object] = {
        "aliases": ("Abu Y",),
        "transliterations": ("أبو",),
        "date_of_birth": date(1990, 1, 1),
    }
    first = Entity("a", "group", name="Katiba X")
    second = dataclasses.replace(first, ref="b", **{field: values.get(field, "other")})
    if field == "name":
        second = dataclasses.replace(second, name=None, value="Katiba X")  # same node
    g = new_graph(bulletin_nodes=False)
    for bid, entity in (("B1", first), ("B2", second)):
        add_bulletin(g, Bulletin(Provenance(bid, "FR", date(2025, 1, 1), "TLP:AMBER"), (entity,)))
    (node,) = g.nodes
    mentions = g.nodes[node]["mentions"]
    assert mentions["B2"] == (second,) and mentions["B1"] == (first,)
