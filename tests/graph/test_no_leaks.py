"""Cross-organisation: nothing that only a DE bulletin says reaches another organisation.

The canary account, e-mail address and person appear only in DE-1. For every
other organisation, every output the library offers — the graph, JSON, GraphML,
GEXF, CSV, SVG, search, suggestions, shared entities, timeline, analytics, ego
networks and paths — is rendered to text and searched for any trace of DE-1.
DE itself, which can read DE-1, is the positive control: the same search finds
the canary there, so the check is able to fail.
"""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from graph.analytics import brokers, communities, components, influence
from graph.build import build_graph, node_organisations, person_mentions, readable_subgraph
from graph.drawing import to_svg
from graph.export import to_csv, to_gexf, to_graphml, to_json
from graph.findings import shared_entities, timeline
from graph.merges import ConfirmedMerge, PersonMerges
from graph.queries import ego_network, k_shortest_paths, shortest_paths
from graph.resolution import possible_same_person
from graph.search import find_nodes
from tests.graph import scenario

DE_ONLY = (*scenario.CANARY_STRINGS, "Taha Falaha", "أبو محمد العدناني", "TLP:RED")

# Every merge an analyst at DE could have confirmed, including across organisations.
MERGES = PersonMerges(
    [
        ConfirmedMerge(
            "person:DE-1:adnani",
            "person:FR-1:adnani",
            "analyst@de",
            datetime(2025, 3, 1, tzinfo=UTC),
        ),
        ConfirmedMerge(
            "person:DE-1:adnani",
            "person:UK-1:adnani",
            "analyst@de",
            datetime(2025, 3, 1, tzinfo=UTC),
        ),
    ]
)


def everything_shown_to(view: object) -> str:
    """Every output of the library for one organisation's graph, as one text."""
    from networkx import MultiDiGraph

    assert isinstance(view, MultiDiGraph)
    outputs: list[object] = [
        sorted(view.nodes(data=True), key=lambda item: item[0]),
        sorted(view.edges(keys=True, data=True), key=lambda item: item[:3]),
        view.graph,
        to_json(view),
        to_graphml(view).decode(),
        to_gexf(view).decode(),
        to_csv(view),
        to_svg(view, title="view"),
        shared_entities(view, min_organisations=1, min_persons=1),
        timeline(view),
        components(view),
        brokers(view, top=None),
        influence(view, top=None),
        communities(view),
        possible_same_person(view, threshold=0.0),
    ]
    for query in (
        scenario.CANARY_HANDLE,
        f"@{scenario.CANARY_HANDLE}",
        f"https://t.me/{scenario.CANARY_HANDLE}",
        "canary.de@example.org",
        scenario.CANARY_NAME,
        "Kanarien",
        "Taha Falaha",
        "أبو محمد العدناني",
        scenario.CANARY_ACCOUNT,
        "person:DE-1:canary",
        "bulletin:DE-1",
    ):
        outputs.append(find_nodes(view, query, min_score=0.0))
    nodes = sorted(view.nodes)
    for node in nodes:
        ego = ego_network(view, node, radius=2, include_bulletins=True)
        outputs.append(sorted(ego.edges(keys=True)))
    people = [n for n in nodes if view.nodes[n]["type"] == "person"]
    for source in people:
        for target in people:
            outputs.append(shortest_paths(view, source, target))
            outputs.append(k_shortest_paths(view, source, target, k=3))
    return "\n".join(map(str, outputs))


@pytest.fixture(scope="module", params=[PersonMerges(), MERGES], ids=["unmerged", "merged"])
def full_graph(request: pytest.FixtureRequest) -> object:
    return build_graph(scenario.ALL, merges=request.param)


@pytest.mark.parametrize("organisation", ["FR", "UK", "US", "JP", "IT"])
def test_no_trace_of_a_de_only_bulletin(full_graph: object, organisation: str) -> None:
    view = readable_subgraph(full_graph, scenario.READABLE[organisation])
    assert scenario.CANARY_ACCOUNT not in view
    assert scenario.CANARY_EMAIL not in view
    shown = everything_shown_to(view)
    for secret in DE_ONLY:
        assert secret not in shown, f"{secret!r} leaked to {organisation}"


def test_de_sees_its_canary(full_graph: object) -> None:
    view = readable_subgraph(full_graph, scenario.READABLE["DE"])
    shown = everything_shown_to(view)
    for secret in DE_ONLY:
        assert secret in shown


def test_counts_are_counts_of_what_is_readable(full_graph: object) -> None:
    fr = readable_subgraph(full_graph, scenario.READABLE["FR"])
    account = "account:telegram:adnani_media"
    assert node_organisations(fr, account) == {"FR"}
    shared = {s.node: s for s in shared_entities(fr, min_organisations=1, min_persons=1)}
    assert shared[account].organisations == ("FR",)
    assert shared[account].bulletin_ids == ("FR-1",)
    # In the full graph the same account is reported by two organisations.
    assert node_organisations(full_graph, account) == {"FR", "DE"}


def test_a_merge_through_an_unreadable_mention_is_not_shown() -> None:
    g = build_graph(scenario.ALL, merges=MERGES)
    assert "person:DE-1:adnani" in g  # the smallest member names the merged node
    assert person_mentions(g, "person:DE-1:adnani") == {
        "person:DE-1:adnani",
        "person:FR-1:adnani",
        "person:UK-1:adnani",
    }
    fr = readable_subgraph(g, scenario.READABLE["FR"])
    # FR=DE and DE=UK do not make FR=UK for FR: only DE-1 justifies it.
    assert person_mentions(fr, "person:FR-1:adnani") == {"person:FR-1:adnani"}
    assert "person:UK-1:adnani" in fr
    assert fr.nodes["person:FR-1:adnani"]["label"] == "Abu Muhammad al-Adnani"


def test_an_organisations_own_merge_between_readable_mentions_is_honoured() -> None:
    when = datetime(2025, 3, 2, tzinfo=UTC)
    own = PersonMerges(
        [ConfirmedMerge("person:UK-1:adnani", "person:FR-1:adnani", "analyst@fr", when)]
    )
    g = build_graph(scenario.ALL, merges=MERGES)
    fr = readable_subgraph(g, scenario.READABLE["FR"], merges=own)
    assert person_mentions(fr, "person:FR-1:adnani") == {"person:FR-1:adnani", "person:UK-1:adnani"}
    assert "person:UK-1:adnani" not in fr
