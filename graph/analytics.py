"""Whole-graph analytics: components, brokers, influence and cells (communities).

All of them measure the *entity graph* (bulletin nodes left out) as a simple
undirected graph: who is connected to whom, whatever the direction of the
relation and however many bulletins state it. Pass a readable subgraph, or a
filtered view of one (:func:`graph.subgraphs.filtered`), to measure that part only.

Backends: ``"networkx"`` computes on :func:`graph.subgraphs.undirected_simple`, and
is the reference; ``"igraph"`` computes on the cached igraph copy
(:mod:`graph.accelerate`); ``"auto"`` (the default) takes igraph for graphs of
more than :data:`ACCELERATE_ABOVE_NODES` nodes. The tests check that both give
the same answers. Whole-graph results on a graph of millions of edges take
seconds: run them as background work and cache them by
:func:`graph.build.graph_version`.

Examples
--------
>>> import networkx as nx
>>> g = nx.MultiDiGraph([("a", "b"), ("b", "c"), ("x", "y")])
>>> [sorted(c) for c in components(g)]
[['a', 'b', 'c'], ['x', 'y']]
>>> brokers(g)[0][0]
'b'
"""

from __future__ import annotations

import random
from itertools import groupby
from typing import Any, Literal

import networkx as nx  # type: ignore[import-untyped]

from graph.accelerate import (
    ACCELERATE_ABOVE_NODES,
    Backend,
    igraph_mirror,
    seeded_igraph,
    use_igraph,
)
from graph.findings import SharedEntity, TimelineEvent, shared_entities, timeline
from graph.queries import NoSuchNode, ego_network, k_shortest_paths, shortest_path, shortest_paths
from graph.subgraphs import undirected_simple

__all__ = [
    "ACCELERATE_ABOVE_NODES",
    "Backend",
    "CommunityMethod",
    "NoSuchNode",
    "SharedEntity",
    "TimelineEvent",
    "betweenness",
    "brokers",
    "communities",
    "components",
    "ego_network",
    "influence",
    "k_shortest_paths",
    "modularity",
    "pagerank",
    "shared_entities",
    "shortest_path",
    "shortest_paths",
    "timeline",
]

CommunityMethod = Literal["leiden", "louvain"]
"""How :func:`communities` finds cells."""


def _ranked(scores: dict[str, float], top: int | None) -> list[tuple[str, float]]:
    ranked = sorted(scores.items(), key=lambda item: (-item[1], item[0]))
    return ranked if top is None else ranked[:top]


def components(g: Any, *, backend: Backend = "auto") -> list[set[str]]:
    """Connected components (ignoring direction), largest first, ties by smallest node.

    Returns
    -------
    list of set of str
    """
    if use_igraph(g, backend):
        mirror = igraph_mirror(g)
        found = [mirror.name_set(c) for c in mirror.graph.connected_components()]
    else:
        found = [set(c) for c in nx.connected_components(undirected_simple(g))]
    return _largest_first(found)


def _largest_first(found: list[set[str]]) -> list[set[str]]:
    """Sorted by size, largest first, and equal sizes by smallest node: the smallest node is
    looked for only among components of equal size (the giant one has none to tie with, and
    finding its smallest of a million ids took as long as igraph's whole search)."""
    found.sort(key=len, reverse=True)
    ordered: list[set[str]] = []
    for _, same_size in groupby(found, key=len):
        group = list(same_size)
        if len(group) > 1:
            group.sort(key=min)
        ordered.extend(group)
    return ordered


def _sources(nodes: list[str], k: int | None, seed: int) -> list[str] | None:
    if k is None or k >= len(nodes):
        return None
    return random.Random(seed).sample(sorted(nodes), k)  # noqa: S311 - sampling, not secrets


def betweenness(
    g: Any, *, k: int | None = None, seed: int = 0, backend: Backend = "auto"
) -> dict[str, float]:
    """Normalised betweenness centrality, exact or estimated from ``k`` sampled sources.

    Parameters
    ----------
    k : int, optional
        Number of source nodes to sample (the estimate of Brandes and Pich);
        exact when ``None`` or at least the number of nodes. Use 256 or so on
        graphs of more than some ten thousand nodes.
    seed : int
        Seed of the sample: the same seed gives the same sources, so the same
        answer, with either backend.

    Returns
    -------
    dict
        Node id → betweenness, normalised as :func:`networkx.betweenness_centrality`
        normalises it (so ``k=None`` matches it exactly).
    """
    if use_igraph(g, backend):
        mirror = igraph_mirror(g)
        nodes = list(mirror.nodes)
    else:
        simple = undirected_simple(g)
        nodes = list(simple)
    n = len(nodes)
    sources = _sources(nodes, k, seed)
    if use_igraph(g, backend):
        if sources is None:
            raw = mirror.graph.betweenness(directed=False)
        else:
            index = {node: i for i, node in enumerate(nodes)}
            raw = mirror.graph.betweenness(directed=False, sources=[index[s] for s in sources])
            # Paths from k sampled sources stand for paths from all n (Brandes and Pich).
            raw = [value * n / len(sources) for value in raw]
        scores = dict(zip(nodes, raw, strict=True))
    elif sources is None:
        scores = nx.betweenness_centrality(simple, normalized=False)
    else:
        raw = nx.betweenness_centrality_subset(simple, sources, nodes, normalized=False)
        scores = {node: value * n / len(sources) for node, value in raw.items()}
    scale = 2.0 / ((n - 1) * (n - 2)) if n > 2 else 1.0
    return {node: float(value) * scale for node, value in scores.items()}


def brokers(
    g: Any,
    *,
    top: int | None = 20,
    k: int | None = None,
    seed: int = 0,
    backend: Backend = "auto",
) -> list[tuple[str, float]]:
    """The nodes that most often lie between others: highest betweenness first.

    See :func:`betweenness` for ``k``, ``seed`` and ``backend``.

    Returns
    -------
    list of (str, float)
        ``(node, betweenness)``, highest first, ties by node id; ``top`` of them.
    """
    return _ranked(betweenness(g, k=k, seed=seed, backend=backend), top)


def pagerank(g: Any, *, damping: float = 0.85, backend: Backend = "auto") -> dict[str, float]:
    """PageRank of every node of the undirected entity graph (sums to 1).

    Returns
    -------
    dict
        Node id → PageRank.
    """
    if use_igraph(g, backend):
        mirror = igraph_mirror(g)
        values = mirror.graph.pagerank(directed=False, damping=damping)
        return dict(zip(mirror.nodes, (float(v) for v in values), strict=True))
    simple = undirected_simple(g)
    return {
        n: float(v) for n, v in nx.pagerank(simple, alpha=damping, tol=1e-10, max_iter=1000).items()
    }


def influence(
    g: Any, *, top: int | None = 20, damping: float = 0.85, backend: Backend = "auto"
) -> list[tuple[str, float]]:
    """The most influential nodes by PageRank, highest first, ties by node id."""
    return _ranked(pagerank(g, damping=damping, backend=backend), top)


def communities(
    g: Any,
    *,
    seed: int = 0,
    resolution: float = 1.0,
    method: CommunityMethod = "leiden",
    backend: Backend = "auto",
) -> list[set[str]]:
    """Cells: communities of the undirected entity graph that maximise modularity, seeded.

    Parameters
    ----------
    seed : int
        The same seed on the same graph gives the same cells.
    resolution : float
        Above 1, smaller cells; below 1, larger ones.
    method : {"leiden", "louvain"}
        ``"leiden"`` (the default) is Louvain with a refinement step (Traag,
        Waltman and van Eck, 2019): its cells are always internally connected,
        and on hub-dominated graphs it is one to two orders of magnitude faster
        than igraph's Louvain. It runs in igraph only. ``"louvain"`` runs in
        either backend; NetworkX's Louvain is the reference the tests compare with.
    backend : {"auto", "networkx", "igraph"}
        ``"auto"`` takes igraph for Leiden and for large graphs.

    Returns
    -------
    list of set of str
        Largest first, ties by smallest node id; isolated nodes are cells of one.

    Raises
    ------
    ValueError
        For Leiden with ``backend="networkx"``, or an unknown method.
    """
    if method not in ("leiden", "louvain"):
        raise ValueError(f"unknown community method {method!r}")
    if method == "leiden" and backend == "networkx":
        raise ValueError("Leiden runs in igraph only; use method='louvain' with NetworkX")
    if method == "leiden" or use_igraph(g, backend):
        mirror = igraph_mirror(g)

        def run() -> Any:
            if method == "leiden":
                return mirror.graph.community_leiden(
                    objective_function="modularity", resolution=resolution, n_iterations=2
                )
            return mirror.graph.community_multilevel(resolution=resolution)

        clustering = seeded_igraph(seed, run)
        found = [mirror.name_set(members) for members in clustering]
    else:
        simple = undirected_simple(g)
        found = [
            set(c)
            for c in nx.community.louvain_communities(simple, resolution=resolution, seed=seed)
        ]
    return sorted(found, key=lambda c: (-len(c), min(c)))


def modularity(g: Any, cells: list[set[str]]) -> float:
    """Modularity of a partition of the entity graph (to compare partitions)."""
    simple = undirected_simple(g)
    return float(nx.community.modularity(simple, cells))
