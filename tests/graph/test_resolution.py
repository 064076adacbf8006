# ruff: noqa: RUF001 - Cyrillic queries on purpose
"""Possible-same-person suggestions, confirmed merges (and undoing them), and search."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from graph.build import add_bulletin, apply_merges, build_graph, node_of, person_mentions
from graph.findings import shared_entities, timeline
from graph.merges import ConfirmedMerge, PersonMerges, person_mention_id
from graph.model import Bulletin, Entity, Provenance
from graph.resolution import SCORE_EXPLAINED, name_reason, possible_same_person
from graph.search import find_nodes
from tests.graph import scenario

WHEN = datetime(2025, 4, 1, 9, 30, tzinfo=UTC)


def merge(a: str, b: str) -> ConfirmedMerge:
    return ConfirmedMerge(a, b, "analyst@fr.example", WHEN, note="same kunya, same account")


def test_al_adnani_in_three_scripts_is_suggested_not_merged() -> None:
    g = build_graph(scenario.ALL)
    pairs = {(m.first, m.second): m for m in possible_same_person(g)}
    for pair in (
        ("person:DE-1:adnani", "person:FR-1:adnani"),
        ("person:DE-1:adnani", "person:UK-1:adnani"),
        ("person:FR-1:adnani", "person:UK-1:adnani"),
    ):
        assert pair in pairs
        assert pairs[pair].name_score >= 0.85
    # Still three nodes: a suggestion changes nothing.
    assert {"person:DE-1:adnani", "person:FR-1:adnani", "person:UK-1:adnani"} <= set(g)


def test_evidence_beyond_the_name_is_given() -> None:
    g = build_graph(scenario.ALL)
    match = possible_same_person(g, person="person:FR-1:karim")[0]
    assert (match.first, match.second) == ("person:FR-1:karim", "person:UK-1:karim")
    assert "same date of birth 1990-04-02" in match.reasons
    assert "both use +33 6 12 34 56 78" in match.reasons
    assert match.first_mentions == ("person:FR-1:karim",)
    assert match.score > 0.6 * match.name_score  # the evidence adds to the name


def test_different_people_are_not_suggested() -> None:
    g = build_graph(scenario.ALL)
    suggested = {frozenset((m.first, m.second)) for m in possible_same_person(g)}
    assert frozenset(("person:US-1:a", "person:US-1:b")) not in suggested
    assert not any("person:FR-1:yassine" in pair for pair in suggested)


def test_a_different_date_of_birth_lowers_the_score() -> None:
    def person(bid: str, born: date) -> Bulletin:
        return Bulletin(
            Provenance(bid, "FR", date(2025, 1, 1), "TLP:AMBER"),
            (Entity("p", "person", name="Abu Muhammad al-Adnani", date_of_birth=born),),
        )

    g = build_graph([person("B-1", date(1977, 1, 1)), person("B-2", date(1988, 8, 8))])
    assert possible_same_person(g) == []
    [match] = possible_same_person(g, threshold=0.5)
    assert "different dates of birth" in match.reasons


def test_rejected_pairs_are_not_suggested_again() -> None:
    g = build_graph(scenario.ALL)
    rejected = [frozenset(("person:FR-1:adnani", "person:UK-1:adnani"))]
    pairs = {(m.first, m.second) for m in possible_same_person(g, rejected=rejected)}
    assert ("person:FR-1:adnani", "person:UK-1:adnani") not in pairs
    assert ("person:DE-1:adnani", "person:FR-1:adnani") in pairs


def test_confirmed_merge_joins_nodes_and_revoking_splits_them() -> None:
    g = build_graph(scenario.ALL)
    merges = PersonMerges([merge("person:UK-1:adnani", "person:FR-1:adnani")])
    apply_merges(g, merges)
    assert "person:UK-1:adnani" not in g
    node = node_of(g, "person:UK-1:adnani")
    assert node == "person:FR-1:adnani"
    assert person_mentions(g, node) == {"person:FR-1:adnani", "person:UK-1:adnani"}
    assert g.has_edge(node, "account:x:adnani_media", key="uses_account")
    assert g.has_edge(node, "account:telegram:adnani_media", key="uses_account")
    assert merges.decisions_within(person_mentions(g, node))[0].decided_by == "analyst@fr.example"
    merges.revoke("person:FR-1:adnani", "person:UK-1:adnani")
    apply_merges(g, merges)
    assert {"person:FR-1:adnani", "person:UK-1:adnani"} <= set(g)
    assert not g.has_edge("person:FR-1:adnani", "account:x:adnani_media")
    fresh = build_graph(scenario.ALL)
    assert sorted(g.edges(keys=True)) == sorted(fresh.edges(keys=True))


def test_merges_are_honoured_whatever_the_arrival_order() -> None:
    merges = PersonMerges([merge("person:UK-1:adnani", "person:FR-1:adnani")])
    g = build_graph([], merges=merges)
    add_bulletin(g, scenario.UK_1)
    assert "person:UK-1:adnani" in g
    add_bulletin(g, scenario.FR_1)
    # The node takes the smallest mention id once both are present.
    assert "person:UK-1:adnani" not in g
    assert node_of(g, "person:UK-1:adnani") == "person:FR-1:adnani"


def test_merges_are_transitive_and_validated() -> None:
    merges = PersonMerges([merge("person:A:p", "person:B:p"), merge("person:B:p", "person:C:p")])
    assert merges.group_of("person:A:p") == {"person:A:p", "person:B:p", "person:C:p"}
    assert len(merges) == 2
    assert merges.restricted_to(["person:A:p", "person:C:p"]).group_of("person:A:p") == {
        "person:A:p"
    }
    with pytest.raises(ValueError, match="itself"):
        merge("person:A:p", "person:A:p")
    with pytest.raises(ValueError, match="not a person"):
        merge("account:x:a", "person:A:p")
    assert person_mention_id("B-1", "p2") == "person:B-1:p2"


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("@ADNANI_MEDIA", "account:telegram:adnani_media"),
        ("https://t.me/s/adnani_media", "account:telegram:adnani_media"),
        ("+33 6 12 34 56 78", "phone:+33612345678"),
        ("أبو محمد العدناني", "person:DE-1:adnani"),
        ("Абу Мухаммад аль-Аднани", "person:FR-1:adnani"),
        ("abou mohamed al adnani", "person:UK-1:adnani"),
        ("Taha Falaha", "person:DE-1:adnani"),
        ("raqq", "location:raqqa"),
        ("Karim Benali", "person:FR-1:karim"),
    ],
)
def test_search_by_any_identifier_or_name(query: str, expected: str) -> None:
    g = build_graph(scenario.ALL)
    hits = [h.node for h in find_nodes(g, query)]
    assert expected in hits


def test_search_ranks_exact_identifiers_first_and_finds_nothing_for_nonsense() -> None:
    g = build_graph(scenario.ALL)
    hits = find_nodes(g, "adnani_media")
    assert hits[0].score == 1.0
    assert {h.node for h in hits if h.score == 1.0} == {
        "account:telegram:adnani_media",
        "account:x:adnani_media",
    }
    assert find_nodes(g, "zzqx wvvb") == []
    assert find_nodes(g, "   ") == []


def test_shared_entities_of_the_scenario() -> None:
    g = build_graph(scenario.ALL)
    shared = {s.node: s for s in shared_entities(g)}
    assert shared["phone:+33612345678"].organisations == ("FR", "UK")
    assert shared["phone:+33612345678"].persons == ("person:FR-1:karim", "person:UK-1:karim")
    assert shared["account:telegram:adnani_media"].organisations == ("DE", "FR")
    assert "account:x:adnani_media" not in shared  # one organisation, one person
    assert next(iter(shared)) in ("account:telegram:adnani_media", "phone:+33612345678")


def test_timeline_of_the_scenario() -> None:
    g = build_graph(scenario.ALL)
    events = timeline(g)
    assert [e.on for e in events] == sorted(e.on for e in events)
    assert (events[0].on, events[0].kind) == (date(2024, 6, 1), "member_of")
    journey = next(e for e in events if e.kind == "journey")
    assert journey.nodes == (
        "person:FR-1:yassine",
        "location:paris",
        "location:istanbul",
        "location:raqqa",
    )
    assert journey.on == date(2024, 12, 1)
    undated = next(e for e in events if e.kind == "uses_account" and e.bulletin_id == "FR-1")
    assert undated.dated_by_report and undated.on == date(2025, 1, 10)
    karim = timeline(g, {"person:FR-1:karim", "person:FR-1:yassine"})
    assert {e.kind for e in karim} == {"recruited", "journey", "bulletin"}


def test_identical_names_are_said_to_be_the_same_and_the_score_is_explained() -> None:
    assert name_reason(("Hasan Al Ghatufi", "Hasan  Al Ghatufi")) == (
        "same name as written: Hasan Al Ghatufi"
    )
    assert name_reason(("Hasan al-Ghatufi", "Hassan al-Ghatufi")) == (
        "names Hasan al-Ghatufi / Hassan al-Ghatufi"
    )
    for words in ("0.6", "raise", "lower", "date of birth"):
        assert words in SCORE_EXPLAINED
