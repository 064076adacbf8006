"""Whole-graph analytics: known answers on small graphs; igraph against the NetworkX reference."""

from __future__ import annotations

import math
from itertools import combinations

import networkx as nx
import pytest

from graph.accelerate import igraph_mirror
from graph.analytics import (
    betweenness,
    brokers,
    communities,
    components,
    influence,
    modularity,
    pagerank,
)
from graph.build import add_bulletin, build_graph
from graph.subgraphs import undirected_simple
from tests.graph import scenario

BACKENDS = ["networkx", "igraph"]


def multi(edges: list[tuple[str, str]], isolated: tuple[str, ...] = ()) -> nx.MultiDiGraph:
    g = nx.MultiDiGraph()
    g.add_nodes_from(isolated)
    g.add_edges_from(edges)
    return g


def barbell() -> nx.MultiDiGraph:
    """Two cliques of four joined through one bridge node ``b``."""
    left = [(f"l{i}", f"l{j}") for i, j in combinations(range(4), 2)]
    right = [(f"r{i}", f"r{j}") for i, j in combinations(range(4), 2)]
    return multi([*left, *right, ("l0", "b"), ("b", "r0")])


def ring_of_cliques(cliques: int = 4, size: int = 5) -> nx.MultiDiGraph:
    edges = []
    for c in range(cliques):
        members = [f"c{c}n{i}" for i in range(size)]
        edges += list(combinations(members, 2))
        edges.append((f"c{c}n0", f"c{(c + 1) % cliques}n1"))
    return multi(edges)


def random_multi(n: int, m: int, seed: int) -> nx.MultiDiGraph:
    simple = nx.gnm_random_graph(n, m, seed=seed, directed=True)
    g = nx.MultiDiGraph()
    g.add_nodes_from(f"n{i:03d}" for i in simple)
    g.add_edges_from((f"n{u:03d}", f"n{v:03d}") for u, v in simple.edges())
    # Parallel and reciprocal edges must not change anything.
    g.add_edges_from((f"n{v:03d}", f"n{u:03d}") for u, v in list(simple.edges())[:10])
    return g


@pytest.mark.parametrize("backend", BACKENDS)
def test_components_known_answer(backend: str) -> None:
    g = multi([("a", "b"), ("b", "c"), ("c", "a"), ("c", "d"), ("x", "y"), ("y", "z")], ("lone",))
    found = components(g, backend=backend)  # type: ignore[arg-type]
    assert found == [{"a", "b", "c", "d"}, {"x", "y", "z"}, {"lone"}]


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_components_match_networkx(seed: int) -> None:
    g = random_multi(120, 100, seed)
    reference = sorted(
        nx.connected_components(undirected_simple(g)), key=lambda c: (-len(c), min(c))
    )
    assert components(g, backend="igraph") == reference
    assert components(g, backend="networkx") == reference


@pytest.mark.parametrize("backend", BACKENDS)
def test_the_bridge_is_the_top_broker(backend: str) -> None:
    g = barbell()
    top = brokers(g, top=3, backend=backend)  # type: ignore[arg-type]
    assert top[0][0] == "b"
    assert {top[1][0], top[2][0]} == {"l0", "r0"}
    # b lies on every path between the 4 left and 4 right nodes: 16 of the 28 pairs.
    assert math.isclose(top[0][1], 16 / 28)


@pytest.mark.parametrize("seed", [4, 5])
def test_exact_betweenness_matches_networkx(seed: int) -> None:
    g = random_multi(80, 160, seed)
    reference = nx.betweenness_centrality(undirected_simple(g))
    for backend in BACKENDS:
        found = betweenness(g, backend=backend)  # type: ignore[arg-type]
        assert found.keys() == reference.keys()
        for node, value in reference.items():
            assert math.isclose(found[node], value, abs_tol=1e-9), (backend, node)


def test_sampled_betweenness_is_the_same_on_both_backends_and_exact_with_all_sources() -> None:
    g = random_multi(150, 400, 6)
    by_networkx = betweenness(g, k=40, seed=3, backend="networkx")
    by_igraph = betweenness(g, k=40, seed=3, backend="igraph")
    for node, value in by_networkx.items():
        assert math.isclose(by_igraph[node], value, abs_tol=1e-9)
    assert by_networkx != betweenness(g, k=40, seed=4, backend="networkx")
    everyone = betweenness(g, k=150, backend="igraph")
    reference = nx.betweenness_centrality(undirected_simple(g))
    assert all(math.isclose(everyone[n], v, abs_tol=1e-9) for n, v in reference.items())


@pytest.mark.parametrize("seed", range(5))
def test_sampled_betweenness_still_finds_the_hub_between_cells(seed: int) -> None:
    edges = []
    for c in range(3):
        members = [f"c{c}n{i}" for i in range(10)]
        edges += [*combinations(members, 2), (members[0], "hub")]
    g = multi(edges)
    for backend in BACKENDS:
        top = brokers(g, k=8, seed=seed, backend=backend, top=1)  # type: ignore[arg-type]
        assert top[0][0] == "hub"


@pytest.mark.parametrize("seed", [7, 8])
def test_pagerank_matches_networkx(seed: int) -> None:
    g = random_multi(100, 250, seed)
    reference = nx.pagerank(undirected_simple(g), tol=1e-12, max_iter=1000)
    for backend in BACKENDS:
        found = pagerank(g, backend=backend)  # type: ignore[arg-type]
        assert math.isclose(sum(found.values()), 1.0, abs_tol=1e-9)
        for node, value in reference.items():
            assert math.isclose(found[node], value, abs_tol=1e-6), (backend, node)


def test_influence_ranks_the_hub_first() -> None:
    g = multi([("hub", f"leaf{i}") for i in range(6)] + [("leaf0", "leaf1")])
    for backend in BACKENDS:
        assert influence(g, top=1, backend=backend)[0][0] == "hub"  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("method", "backend"), [("louvain", "networkx"), ("louvain", "igraph"), ("leiden", "igraph")]
)
def test_communities_find_the_cliques(method: str, backend: str) -> None:
    g = ring_of_cliques()
    cells = communities(g, seed=1, method=method, backend=backend)  # type: ignore[arg-type]
    expected = sorted(({f"c{c}n{i}" for i in range(5)} for c in range(4)), key=min)
    assert sorted(cells, key=min) == expected
    assert cells == communities(g, seed=1, method=method, backend=backend)  # type: ignore[arg-type]


@pytest.mark.parametrize("seed", [9, 10])
def test_igraph_cells_are_as_good_as_networkx_louvain(seed: int) -> None:
    g = random_multi(200, 500, seed)
    reference = modularity(g, communities(g, method="louvain", backend="networkx"))
    for method in ("louvain", "leiden"):
        cells = communities(g, method=method, backend="igraph")  # type: ignore[arg-type]
        assert modularity(g, cells) > reference - 0.03
        assert sorted(n for cell in cells for n in cell) == sorted(g)


def test_communities_are_reproducible_and_refuse_what_they_cannot_do() -> None:
    g = random_multi(200, 500, 11)
    assert communities(g, seed=3) == communities(g, seed=3)
    with pytest.raises(ValueError, match="igraph only"):
        communities(g, method="leiden", backend="networkx")
    with pytest.raises(ValueError, match="method"):
        communities(g, method="spectral")  # type: ignore[arg-type]


def test_the_mirror_is_cached_until_the_graph_changes() -> None:
    g = build_graph([scenario.FR_1])
    first = igraph_mirror(g)
    assert igraph_mirror(g) is first
    add_bulletin(g, scenario.UK_1)
    second = igraph_mirror(g)
    assert second is not first
    assert second.graph.vcount() == len([n for n, t in g.nodes(data="type") if t != "bulletin"])


def test_analytics_leave_bulletin_nodes_out() -> None:
    g = build_graph(scenario.ALL)
    nodes = {n for cell in components(g, backend="igraph") for n in cell}
    assert not any(n.startswith("bulletin:") for n in nodes)
    assert nodes == {n for cell in components(g, backend="networkx") for n in cell}
    # Without bulletin nodes, US-1's pair is its own component.
    assert {"person:US-1:a", "person:US-1:b"} in components(g)


def test_unknown_backend_is_refused() -> None:
    with pytest.raises(ValueError, match="backend"):
        components(barbell(), backend="gpu")  # type: ignore[arg-type]
