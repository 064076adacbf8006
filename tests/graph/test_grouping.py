"""Search results group spellings of one name; same-person suggestions are ranked by evidence."""

from __future__ import annotations

from datetime import date

from graph.build import build_graph
from graph.model import Bulletin, Entity, Provenance, Relation
from graph.resolution import possible_same_person
from graph.search import find_nodes, group_hits


def person(
    bid: str,
    name: str,
    *,
    born: date | None = None,
    nation: str | None = None,
    phone: str | None = None,
    place: str | None = None,
) -> Bulletin:
    entities = [Entity("p", "person", name=name, date_of_birth=born, nationality=nation)]
    relations = []
    if phone:
        entities.append(Entity("t", "phone", value=phone))
        relations.append(Relation("uses_phone", "p", "t"))
    if place:
        entities.append(Entity("l", "location", name=place))
        relations.append(Relation("travelled_to", "p", "l"))
    return Bulletin(
        Provenance(bid, "FR", date(2025, 1, 1), "TLP:AMBER"), tuple(entities), tuple(relations)
    )


BORN = date(1990, 4, 2)
GRAPH = [
    person("B-1", "Omar al-Bahhazi", born=BORN, nation="IQ", phone="+9647701234567", place="Mosul"),
    person("B-2", "Umar al-Bahhazi", born=BORN, nation="IQ", phone="+9647701234567", place="Mosul"),
    person("B-3", "Omar al-Bahhazi", nation="IQ"),
    person("B-4", "Omar Bahhazi"),
    person("B-5", "عمر البهازي", born=date(1970, 1, 1)),
    person("B-6", "Omar al-Baghdadi"),
]


def test_spellings_of_one_name_are_one_result_listing_them() -> None:
    g = build_graph(GRAPH, bulletin_nodes=False)
    groups = group_hits(find_nodes(g, "Omar al-Bahhazi"))
    [bahhazi] = [gr for gr in groups if "Omar al-Bahhazi" in gr.variants]
    assert len(bahhazi.nodes) == 5
    assert set(bahhazi.variants) == {
        "Omar al-Bahhazi",
        "Umar al-Bahhazi",
        "Omar Bahhazi",
        "عمر البهازي",
    }
    assert "person:B-6:p" not in bahhazi.nodes  # another name: never grouped with these
    mixed = group_hits(find_nodes(g, "Omar"))
    assert ("Omar al-Baghdadi",) in [gr.variants for gr in mixed]


def test_identifiers_are_never_grouped() -> None:
    g = build_graph(GRAPH, bulletin_nodes=False)
    hits = find_nodes(g, "+9647701234567")
    assert [gr.nodes for gr in group_hits(hits)] == [("phone:+9647701234567",)]


def test_same_person_scores_separate_candidates_by_evidence() -> None:
    g = build_graph(GRAPH, bulletin_nodes=False)
    found = possible_same_person(g, person="person:B-1:p")
    scores = {(m.second if m.first == "person:B-1:p" else m.first): m for m in found}
    strong, nation_only, name_only = (
        scores["person:B-2:p"],
        scores["person:B-3:p"],
        scores["person:B-4:p"],
    )
    assert strong.score > nation_only.score > name_only.score
    assert name_only.score == 0.6 and name_only.reasons == ()
    assert "same date of birth 1990-04-02" in strong.reasons
    assert "same nationality IQ" in strong.reasons
    assert "both use +964 770 123 4567" in strong.reasons
    assert "both linked to Mosul" in strong.reasons
    assert found[0].second == "person:B-2:p" or found[0].first == "person:B-2:p"
    # A different date of birth drops the Arabic spelling below the suggestion threshold.
    assert "person:B-5:p" not in scores
    assert len({m.score for m in found}) == len(found)
