"""An igraph copy of a link graph, cached next to it, for the heavy whole-graph analytics.

NetworkX stays the model: the portal builds, changes, filters and exports
NetworkX graphs. Components, PageRank, communities and betweenness on a large
graph, though, are one to three orders of magnitude faster in igraph's C core,
so :mod:`graph.analytics` dispatches them to igraph when a graph is large (or
when asked). The conversion is kept in a cache keyed by the graph object and
:func:`graph.build.graph_version`: a second call on an unchanged graph costs
nothing, and any change to the graph makes the next call convert again.

The igraph copy is the entity graph (no bulletin nodes) as a simple undirected
graph, the same as :func:`graph.subgraphs.undirected_simple` gives in NetworkX.

Examples
--------
>>> import networkx as nx
>>> g = nx.MultiDiGraph([("a", "b"), ("b", "a"), ("b", "c")])
>>> mirror = igraph_mirror(g)
>>> mirror.graph.vcount(), mirror.graph.ecount()
(3, 2)
>>> mirror.nodes[0]
'a'
"""

from __future__ import annotations

import random
import threading
import weakref
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from operator import itemgetter
from typing import Any, Final, Literal, TypeVar

import igraph  # type: ignore[import-untyped]

from graph.subgraphs import entity_graph

__all__ = [
    "ACCELERATE_ABOVE_NODES",
    "Backend",
    "IgraphMirror",
    "igraph_mirror",
    "seeded_igraph",
    "use_igraph",
]

_T = TypeVar("_T")

Backend = Literal["auto", "networkx", "igraph"]
"""Which library computes a whole-graph measure."""

ACCELERATE_ABOVE_NODES: Final[int] = 5_000
"""Above this many nodes, ``backend="auto"`` computes with igraph."""


def use_igraph(g: Any, backend: Backend) -> bool:
    """Whether a whole-graph measure of ``g`` should run in igraph for ``backend``."""
    if backend not in ("auto", "networkx", "igraph"):
        raise ValueError(f"unknown backend {backend!r}")
    if backend == "auto":
        # len() of a graph is O(1); counting edges is O(nodes) in NetworkX.
        return bool(len(g) > ACCELERATE_ABOVE_NODES)
    return backend == "igraph"


@dataclass(frozen=True, slots=True)
class IgraphMirror:
    """An undirected simple igraph copy and the node id of each igraph vertex index."""

    graph: Any
    nodes: tuple[str, ...]

    def names(self, indices: Any) -> list[str]:
        """Node ids of igraph vertex ``indices``."""
        nodes = self.nodes
        return [nodes[i] for i in indices]

    def name_set(self, indices: list[int]) -> set[str]:
        """Node ids of igraph vertex ``indices``, as a set (fast for millions)."""
        if len(indices) == 1:
            return {self.nodes[indices[0]]}
        return set(itemgetter(*indices)(self.nodes)) if indices else set()


_cache: weakref.WeakKeyDictionary[Any, tuple[object, IgraphMirror]] = weakref.WeakKeyDictionary()
_cache_lock = threading.Lock()
_rng_lock = threading.Lock()


def _version(g: Any) -> object:
    version = g.graph.get("version")
    if version is None or not hasattr(g, "_succ") or type(g._succ) is not dict:
        # A graph built by hand (no version counter) or a view is converted every time.
        return object()
    return version


def _convert(g: Any) -> IgraphMirror:
    view = entity_graph(g)
    nodes = tuple(view)
    index = {node: i for i, node in enumerate(nodes)}
    if view is g and hasattr(g, "_succ") and type(g._succ) is dict:
        # Fast path over the adjacency dicts of a real graph (no view filters to apply).
        pairs = [(index[u], index[v]) for u, nbrs in g._succ.items() for v in nbrs if u != v]
    else:
        pairs = [(index[u], index[v]) for u, v in view.edges() if u != v]
    mirror = igraph.Graph(n=len(nodes), edges=pairs, directed=False)
    mirror.simplify(multiple=True, loops=True)
    return IgraphMirror(mirror, nodes)


def igraph_mirror(g: Any) -> IgraphMirror:
    """The cached igraph copy of ``g``'s entity graph, converted if ``g`` changed.

    Parameters
    ----------
    g : networkx.MultiDiGraph or a view of one

    Returns
    -------
    IgraphMirror
    """
    version = _version(g)
    with _cache_lock:
        cached = _cache.get(g)
    if cached is not None and cached[0] == version:
        return cached[1]
    mirror = _convert(g)
    with _cache_lock:
        _cache[g] = (version, mirror)
    return mirror


@contextmanager
def _seeded(seed: int) -> Iterator[None]:
    with _rng_lock:
        igraph.set_random_number_generator(random.Random(seed))  # noqa: S311 - not for secrets
        try:
            yield
        finally:
            igraph.set_random_number_generator(random)


def seeded_igraph(seed: int, compute: Callable[[], _T]) -> _T:
    """Run ``compute`` with igraph's random numbers drawn from ``random.Random(seed)``.

    igraph's generator is process-global, so calls are serialised by a lock.
    """
    with _seeded(seed):
        return compute()
