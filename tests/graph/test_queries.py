"""Ego networks and paths, against NetworkX's own answers on small graphs."""

from __future__ import annotations

import random
from datetime import date
from itertools import islice, pairwise

import networkx as nx
import pytest

from graph.build import build_graph
from graph.queries import (
    NoSuchNode,
    PathLimitReached,
    ego_network,
    k_shortest_paths,
    shortest_path,
    shortest_paths,
)
from graph.subgraphs import undirected_simple
from tests.graph import scenario
from tests.graph.test_analytics import random_multi


def test_all_shortest_paths_known_answer() -> None:
    # Two routes of length 3 from a to z, one of length 4.
    g = nx.MultiDiGraph([("a", "b"), ("b", "c"), ("c", "z"), ("a", "d"), ("e", "d"), ("e", "z")])
    g.add_edges_from([("a", "f"), ("f", "g"), ("g", "h"), ("h", "z")])
    assert shortest_paths(g, "a", "z") == [["a", "b", "c", "z"], ["a", "d", "e", "z"]]
    assert shortest_path(g, "z", "a") == ["z", "c", "b", "a"]
    assert shortest_paths(g, "a", "a") == [["a"]]


def test_shortest_paths_stop_at_their_step_and_time_limits() -> None:
    g = nx.MultiDiGraph(list(pairwise(f"n{i:02}" for i in range(12))))
    # 11 steps from end to end: found within 11, stopped within 10, found again in time.
    assert shortest_paths(g, "n00", "n11", max_steps=11) == [[f"n{i:02}" for i in range(12)]]
    with pytest.raises(PathLimitReached, match="no path within 10 steps found in time"):
        shortest_paths(g, "n00", "n11", max_steps=10)
    with pytest.raises(PathLimitReached):
        shortest_paths(g, "n00", "n11", deadline=0.0)  # a deadline long past


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_all_shortest_paths_match_networkx(seed: int) -> None:
    g = random_multi(60, 90, seed)
    simple = undirected_simple(g)
    rng = random.Random(seed)
    nodes = sorted(g)
    for _ in range(40):
        a, b = rng.choice(nodes), rng.choice(nodes)
        try:
            expected = sorted(nx.all_shortest_paths(simple, a, b))
        except nx.NetworkXNoPath:
            expected = []
        assert shortest_paths(g, a, b, limit=None) == expected


def test_limit_caps_the_number_of_paths() -> None:
    # A ladder with many equally short routes.
    g = nx.MultiDiGraph()
    for i in range(6):
        g.add_edges_from(
            [
                (f"l{i}", f"l{i + 1}"),
                (f"r{i}", f"r{i + 1}"),
                (f"l{i}", f"r{i + 1}"),
                (f"r{i}", f"l{i + 1}"),
            ]
        )
    assert len(shortest_paths(g, "l0", "l6", limit=None)) == 32
    assert len(shortest_paths(g, "l0", "l6", limit=5)) == 5


def test_unconnected_nodes_have_no_path() -> None:
    g = nx.MultiDiGraph([("a", "b"), ("x", "y")])
    assert shortest_paths(g, "a", "y") == []
    assert shortest_path(g, "a", "y") is None
    assert k_shortest_paths(g, "a", "y", backend="networkx") == []
    assert k_shortest_paths(g, "a", "y", backend="igraph") == []


def test_unknown_nodes_are_reported() -> None:
    g = nx.MultiDiGraph([("a", "b")])
    with pytest.raises(NoSuchNode):
        shortest_paths(g, "a", "nobody")
    with pytest.raises(NoSuchNode):
        ego_network(g, "nobody")


@pytest.mark.parametrize("seed", [4, 5])
def test_k_shortest_paths_match_networkx_lengths(seed: int) -> None:
    g = random_multi(50, 110, seed)
    simple = undirected_simple(g)
    rng = random.Random(seed)
    nodes = sorted(g)
    for _ in range(15):
        a, b = rng.choice(nodes), rng.choice(nodes)
        if a == b or not nx.has_path(simple, a, b):
            continue
        expected = [len(p) for p in islice(nx.shortest_simple_paths(simple, a, b), 6)]
        for backend in ("networkx", "igraph"):
            paths = k_shortest_paths(g, a, b, k=6, backend=backend)  # type: ignore[arg-type]
            assert [len(p) for p in paths] == expected
            assert len({tuple(p) for p in paths}) == len(paths)
            for path in paths:
                assert path[0] == a and path[-1] == b and len(set(path)) == len(path)
                assert all(simple.has_edge(u, v) for u, v in pairwise(path))


@pytest.mark.parametrize("radius", [0, 1, 2, 3])
def test_ego_network_matches_networkx(radius: int) -> None:
    g = random_multi(80, 120, 6)
    simple = undirected_simple(g)
    for centre in sorted(g)[:20]:
        expected = set(nx.ego_graph(simple, centre, radius=radius))
        ego = ego_network(g, centre, radius=radius)
        assert set(ego) == expected
        assert ego.number_of_edges() == g.subgraph(expected).number_of_edges()


def test_ego_network_keeps_provenance_and_skips_bulletin_nodes() -> None:
    g = build_graph(scenario.ALL)
    ego = ego_network(g, "account:telegram:adnani_media", radius=1)
    assert set(ego) == {"account:telegram:adnani_media", "person:FR-1:adnani", "person:DE-1:adnani"}
    assert ego.nodes["person:FR-1:adnani"]["label"] == "Abu Muhammad al-Adnani"
    with_bulletins = ego_network(
        g, "account:telegram:adnani_media", radius=1, include_bulletins=True
    )
    assert {"bulletin:FR-1", "bulletin:DE-1"} <= set(with_bulletins)


def test_ego_network_filters() -> None:
    g = build_graph(scenario.ALL)
    karim = "person:FR-1:karim"
    everything = set(ego_network(g, karim, radius=1))
    assert everything == {karim, "person:FR-1:adnani", "person:FR-1:yassine", "phone:+33612345678"}
    persons = set(ego_network(g, karim, radius=1, node_types={"person"}))
    assert persons == {karim, "person:FR-1:adnani", "person:FR-1:yassine"}
    recruited = set(ego_network(g, karim, radius=1, relation_types={"recruited"}))
    assert recruited == {karim, "person:FR-1:yassine"}
    autumn = set(ego_network(g, karim, radius=1, since=date(2024, 10, 1), until=date(2024, 12, 31)))
    # The phone relation is undated: it counts with its bulletin's date, 2025-01-10.
    assert autumn == {karim, "person:FR-1:yassine"}
    # Through the shared phone, UK's Karim is two hops away, but only on UK's word.
    two_hops = set(ego_network(g, karim, radius=2))
    assert "person:UK-1:karim" in two_hops
    assert "person:UK-1:karim" not in set(ego_network(g, karim, radius=2, organisations={"FR"}))
    assert "person:UK-1:karim" not in set(ego_network(g, karim, radius=2, markings={"TLP:AMBER"}))


def test_ego_network_max_nodes_keeps_the_best_connected() -> None:
    g = nx.MultiDiGraph([("centre", f"leaf{i}") for i in range(10)])
    g.add_edges_from([("leaf3", "x"), ("leaf3", "y"), ("leaf7", "x")])
    ego = ego_network(g, "centre", radius=1, max_nodes=3)
    assert set(ego) == {"centre", "leaf3", "leaf7"}
