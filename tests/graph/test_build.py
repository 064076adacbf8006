"""Building the graph: typed nodes, merged identifiers, provenance, incremental add and remove."""

from __future__ import annotations

from datetime import UTC, date

import networkx as nx
import pytest

from graph.build import (
    DuplicateBulletin,
    UnknownBulletin,
    add_bulletin,
    build_graph,
    edge_provenance,
    edge_reports,
    graph_version,
    new_graph,
    node_bulletins,
    node_of,
    node_organisations,
    node_provenance,
    readable_subgraph,
    remove_bulletin,
)
from graph.model import Bulletin, Entity, InvalidBulletin, Provenance, Relation, TravelEvent
from tests.graph import scenario

TG = "account:telegram:adnani_media"
PHONE = "phone:+33612345678"


def _signature(g: nx.MultiDiGraph) -> tuple[object, ...]:
    """Everything observable about a graph, independent of insertion order."""
    nodes = sorted(
        (n, d["type"], d["label"], tuple(sorted(d["mentions"]))) for n, d in g.nodes(data=True)
    )
    edges = sorted((u, v, k, r) for u, v, k, r in g.edges(keys=True, data="reports"))
    return (tuple(nodes), tuple(edges))


def test_identifiers_from_different_bulletins_are_one_node() -> None:
    g = build_graph(scenario.ALL)
    assert [p.bulletin_id for p in node_provenance(g, TG)] == ["FR-1", "DE-1"]
    assert node_provenance(g, TG)[1].marking == "TLP:RED"
    assert node_bulletins(g, TG) == {"FR-1", "DE-1"}
    assert node_organisations(g, TG) == {"FR", "DE"}
    # The FR bulletin's national number and the UK bulletin's international one meet.
    assert node_bulletins(g, PHONE) == {"FR-1", "UK-1"}
    assert g.nodes[PHONE]["type"] == "phone"
    assert g.nodes["account:x:adnani_media"]["type"] == "account"


def test_persons_are_never_merged_by_name() -> None:
    g = build_graph(scenario.ALL)
    persons = [n for n, t in g.nodes(data="type") if t == "person"]
    assert "person:FR-1:adnani" in persons
    assert "person:DE-1:adnani" in persons
    assert "person:UK-1:adnani" in persons
    assert len(persons) == 9


def test_node_types_and_bulletin_nodes() -> None:
    g = build_graph(scenario.ALL)
    types = {t for _, t in g.nodes(data="type")}
    assert types == {"person", "account", "group", "phone", "email", "location", "bulletin"}
    bulletin = g.nodes["bulletin:DE-1"]
    assert (bulletin["organisation"], bulletin["marking"]) == ("DE", "TLP:RED")
    assert g.has_edge(TG, "bulletin:DE-1", key="reported_in")
    assert g.has_edge(TG, "bulletin:FR-1", key="reported_in")
    without = build_graph(scenario.ALL, bulletin_nodes=False)
    assert not any(t == "bulletin" for _, t in without.nodes(data="type"))


def test_edges_are_typed_and_carry_provenance() -> None:
    g = build_graph(scenario.ALL)
    assert g.has_edge("person:FR-1:karim", "person:FR-1:yassine", key="recruited")
    assert g.edges["person:FR-1:karim", "person:FR-1:yassine", "recruited"]["type"] == "recruited"
    provenance = edge_provenance(g, "person:UK-1:karim", PHONE, "uses_account")
    assert provenance.bulletin_ids == ("UK-1",)
    assert provenance.organisations == ("UK",)
    assert provenance.markings == ("TLP:GREEN",)
    assert provenance.dates == (date(2025, 2, 1),)


def test_the_same_relation_from_two_bulletins_is_one_edge_with_two_reports() -> None:
    def report(bid: str, org: str, on: date) -> Bulletin:
        return Bulletin(
            Provenance(bid, org, date(2025, 1, 1), "TLP:AMBER"),
            (
                Entity("a", "phone", value="+33612345678"),
                Entity("b", "phone", value="+491701234567"),
            ),
            (Relation("contacted", "a", "b", on),),
        )

    g = build_graph([report("B-1", "FR", date(2024, 5, 1)), report("B-2", "DE", date(2024, 5, 2))])
    edges = list(g.edges("phone:+33612345678", keys=True, data="reports"))
    contacted = [e for e in edges if e[2] == "contacted"]
    assert len(contacted) == 1
    assert contacted[0][3] == ("B-1", date(2024, 5, 1), "B-2", date(2024, 5, 2))
    assert edge_reports(g.edges[contacted[0][:3]]) == {
        "B-1": date(2024, 5, 1),
        "B-2": date(2024, 5, 2),
    }


def test_travel_events_become_edges_to_stops_and_destination() -> None:
    g = build_graph(scenario.ALL)
    yassine = "person:FR-1:yassine"
    assert g.has_edge(yassine, "location:istanbul", key="travelled_to")
    assert g.has_edge(yassine, "location:raqqa", key="travelled_to")
    assert not g.has_edge(yassine, "location:paris", key="travelled_to")
    assert g.graph["journeys"]["FR-1"][0].origin == "location:paris"


def test_incremental_add_equals_a_rebuild_in_any_order() -> None:
    g = new_graph()
    for bulletin in reversed(scenario.ALL):
        add_bulletin(g, bulletin)
    assert _signature(g) == _signature(build_graph(scenario.ALL))


def test_labels_do_not_depend_on_arrival_order() -> None:
    g = new_graph()
    add_bulletin(g, scenario.UK_1)
    add_bulletin(g, scenario.FR_1)
    assert g.nodes["location:raqqa"]["label"] == "Raqqa"
    assert g.nodes["group:amaq"]["label"] == "Amaq"


def test_remove_bulletin_undoes_add() -> None:
    g = build_graph([scenario.FR_1, scenario.UK_1, scenario.US_1])
    before = _signature(g)
    version = graph_version(g)
    add_bulletin(g, scenario.DE_1)
    assert scenario.CANARY_ACCOUNT in g
    assert graph_version(g) > version
    remove_bulletin(g, "DE-1")
    assert _signature(g) == before
    assert scenario.CANARY_ACCOUNT not in g
    assert node_bulletins(g, TG) == {"FR-1"}
    assert "bulletin:DE-1" not in g


def test_remove_keeps_what_other_bulletins_report() -> None:
    g = build_graph(scenario.ALL)
    remove_bulletin(g, "FR-1")
    assert PHONE in g
    assert node_bulletins(g, PHONE) == {"UK-1"}
    assert "person:FR-1:karim" not in g
    assert "location:raqqa" not in g
    assert "FR-1" not in g.graph["journeys"]


def test_duplicate_and_unknown_bulletins_are_refused() -> None:
    g = build_graph([scenario.FR_1])
    with pytest.raises(DuplicateBulletin):
        add_bulletin(g, scenario.FR_1)
    with pytest.raises(UnknownBulletin):
        remove_bulletin(g, "XX-9")


def test_readable_subgraph_keeps_only_readable_reports() -> None:
    g = build_graph(scenario.ALL)
    fr = readable_subgraph(g, scenario.READABLE["FR"])
    assert node_bulletins(fr, TG) == {"FR-1"}
    assert node_bulletins(fr, PHONE) == {"FR-1", "UK-1"}
    assert "person:DE-1:adnani" not in fr
    assert set(fr.graph["bulletins"]) == {"FR-1", "UK-1"}
    assert _signature(fr) == _signature(build_graph([scenario.FR_1, scenario.UK_1]))


def test_unresolvable_identifiers_stay_as_written_and_unmerged() -> None:
    bulletin = Bulletin(
        Provenance("IT-1", "IT", date(2025, 1, 1), "TLP:AMBER"),
        (Entity("p", "phone", value="not a number"), Entity("q", "person", name="X")),
        (Relation("uses_account", "q", "p"),),
    )
    g = build_graph([bulletin])
    assert "phone:IT-1:p" in g
    assert g.nodes["phone:IT-1:p"]["label"] == "phone:IT-1:p"


def test_precomputed_keys_are_trusted() -> None:
    bulletin = Bulletin(
        Provenance("IT-2", "IT", date(2025, 1, 1), "TLP:AMBER"),
        (Entity("a", "account", handle="whatever", key="account:telegram:adnani_media"),),
    )
    g = build_graph([bulletin, scenario.FR_1])
    assert node_bulletins(g, TG) == {"IT-2", "FR-1"}


def test_node_of_resolves_keys_and_mentions() -> None:
    g = build_graph(scenario.ALL)
    assert node_of(g, TG) == TG
    assert node_of(g, "person:FR-1:karim") == "person:FR-1:karim"
    assert node_of(g, "account:telegram:nobody") is None


def test_invalid_bulletins_are_refused() -> None:
    provenance = Provenance("B", "FR", date(2025, 1, 1), "TLP:AMBER")
    with pytest.raises(InvalidBulletin):
        Bulletin(provenance, (Entity("a", "person"),), (Relation("contacted", "a", "zz"),))
    with pytest.raises(InvalidBulletin):
        Bulletin(provenance, (Entity("a", "person"), Entity("a", "group")))
    with pytest.raises(InvalidBulletin):
        Bulletin(
            provenance,
            (Entity("a", "group"), Entity("b", "location")),
            travels=(TravelEvent("a", "b"),),
        )
    with pytest.raises(InvalidBulletin):
        Provenance("B", "FR", date(2025, 1, 1), "TLP:PURPLE")  # type: ignore[arg-type]
    with pytest.raises(InvalidBulletin):
        Entity("a", "vehicle")  # type: ignore[arg-type]


def test_adjacency_written_by_the_builder_is_what_networkx_expects() -> None:
    g = build_graph(scenario.ALL)
    add_bulletin(g, Bulletin(Provenance("IT-3", "IT", date(2025, 4, 4), "TLP:CLEAR")))
    remove_bulletin(g, "UK-1")
    assert set(g._succ) == set(g._pred) == set(g._node)
    for source, around in g._succ.items():
        for target, keys in around.items():
            assert g._pred[target][source] is keys
    for target, around in g._pred.items():
        for source, keys in around.items():
            assert g._succ[source][target] is keys
    copy = nx.MultiDiGraph(g)
    assert sorted(copy.edges(keys=True)) == sorted(g.edges(keys=True))
    assert (
        sum(d for _, d in g.in_degree()) == sum(d for _, d in g.out_degree()) == g.number_of_edges()
    )


def test_entities_described_by_value_alone_are_named_by_it() -> None:
    bulletin = Bulletin(
        Provenance("FR-9", "FR", date(2025, 5, 5), "TLP:AMBER"),
        (
            Entity("p", "person", value="Abu Bakr al-Baghdadi"),
            Entity("a", "account", value="https://t.me/Baghdadi_Media"),
            Entity("l", "location", value="Mosul"),
        ),
        (Relation("uses_account", "p", "a"), Relation("travelled_to", "p", "l")),
    )
    g = build_graph([bulletin])
    assert g.nodes["person:FR-9:p"]["label"] == "Abu Bakr al-Baghdadi"
    assert g.has_edge("person:FR-9:p", "account:telegram:baghdadi_media", key="uses_account")
    assert g.nodes["location:mosul"]["label"] == "Mosul"


def test_two_mentions_of_one_bulletin_confirmed_as_one_person() -> None:
    """A merge group with two mentions in one bulletin, the later one with the smaller id."""
    from datetime import datetime

    from graph.merges import ConfirmedMerge, PersonMerges

    when = datetime(2025, 1, 2, tzinfo=UTC)
    merges = PersonMerges([ConfirmedMerge("person:B-1:e2", "person:B-1:e10", "analyst", when)])
    bulletin = Bulletin(
        Provenance("B-1", "FR", date(2025, 1, 1), "TLP:AMBER"),
        (
            Entity("e2", "person", name="Abu X"),
            Entity("e10", "person", name="Abou X"),
            Entity("a1", "account", platform="telegram", handle="@abu_x"),
            Entity("a2", "account", platform="telegram", handle="@abou_x"),
        ),
        (Relation("uses_account", "e2", "a1"), Relation("uses_account", "e10", "a2")),
    )
    for g in (build_graph([bulletin], merges=merges), new_graph(merges=merges)):
        if not len(g):
            add_bulletin(g, bulletin)
        persons = [n for n, t in g.nodes(data="type") if t == "person"]
        assert persons == ["person:B-1:e10"]
        assert set(g.successors("person:B-1:e10")) >= {
            "account:telegram:abu_x",
            "account:telegram:abou_x",
        }
        remove_bulletin(g, "B-1")
        assert len(g) == 0


def test_removing_the_bulletin_that_named_a_merged_person_relabels_it() -> None:
    """The merged node is renamed to its smallest remaining mention and relabelled from it."""
    from datetime import UTC, datetime

    from graph.merges import ConfirmedMerge, PersonMerges

    when = datetime(2025, 1, 2, tzinfo=UTC)

    def named(bid: str, day: int, name: str) -> Bulletin:
        return Bulletin(
            Provenance(bid, "FR", date(2025, 1, day), "TLP:AMBER"),
            (Entity("p", "person", name=name),),
        )

    merges = PersonMerges(
        [
            ConfirmedMerge("person:B1:p", "person:B2:p", "analyst", when),
            ConfirmedMerge("person:B2:p", "person:B3:p", "analyst", when),
        ]
    )
    g = build_graph(
        [named("B1", 1, "Abu A"), named("B2", 2, "Abou B")], merges=merges, bulletin_nodes=False
    )
    assert g.nodes["person:B1:p"]["label"] == "Abu A"
    remove_bulletin(g, "B1")
    assert list(g.nodes) == ["person:B2:p"]
    assert (g.nodes["person:B2:p"]["label"], g.nodes["person:B2:p"]["label_from"]) == (
        "Abou B",
        "B2",
    )
    add_bulletin(g, named("B3", 3, "Abu C"))  # joins the renamed node
    assert list(g.nodes) == ["person:B2:p"] and g.nodes["person:B2:p"]["label"] == "Abou B"
