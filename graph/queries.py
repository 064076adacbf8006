"""Interactive queries: the neighbourhood of an entity and the paths between two.

These answer while the analyst waits, so they touch only the part of the graph
they need: a breadth-first search from the centre for an ego network, and a
breadth-first search from both ends for shortest paths (on a graph of five
million edges, milliseconds). Direction is ignored — a recruiter and a recruit
are connected either way — and bulletin nodes are not crossed.

Examples
--------
>>> import networkx as nx
>>> g = nx.MultiDiGraph([("a", "b"), ("c", "b"), ("a", "d"), ("d", "c")])
>>> shortest_paths(g, "a", "c")
[['a', 'b', 'c'], ['a', 'd', 'c']]
>>> sorted(ego_network(g, "a", radius=1))
['a', 'b', 'd']
"""

from __future__ import annotations

import heapq
import time
import warnings
from collections.abc import Callable, Collection, Iterable, Iterator
from datetime import date
from itertools import islice
from typing import Any

import networkx as nx  # type: ignore[import-untyped]

from graph.accelerate import Backend, igraph_mirror, use_igraph
from graph.subgraphs import entity_graph, filtered, undirected_simple

__all__ = [
    "NoSuchNode",
    "ego_network",
    "ego_view",
    "k_shortest_paths",
    "shortest_path",
    "shortest_paths",
]


class NoSuchNode(KeyError):
    """The node asked for is not in the graph (or not in the readable part of it)."""


def _neighbours(g: Any, include_bulletins: bool = False) -> Callable[[str], Iterable[str]]:
    """A function giving the undirected neighbours of a node, fast on plain graphs."""
    if type(getattr(g, "_succ", None)) is dict and type(getattr(g, "_pred", None)) is dict:
        succ, pred = g._succ, g._pred
        if include_bulletins or not g.graph.get("bulletin_nodes", False):

            def around(node: str) -> Iterable[str]:
                yield from succ[node]
                yield from pred[node]

            return around

        def around_entities(node: str) -> Iterable[str]:
            # Bulletin nodes are the only ids with this prefix (keys start with their type).
            for other in succ[node]:
                if not other.startswith("bulletin:"):
                    yield other
            for other in pred[node]:
                if not other.startswith("bulletin:"):
                    yield other

        return around_entities
    view = g if include_bulletins else entity_graph(g)
    if view.is_directed():
        return lambda node: [*view.successors(node), *view.predecessors(node)]
    return lambda node: list(view.neighbors(node))


def _reach(g: Any, node: str) -> int:
    """How many nodes ``node`` touches (cheaper than NetworkX's multigraph degree)."""
    if type(getattr(g, "_succ", None)) is dict:
        return len(g._succ[node]) + len(g._pred[node])
    return int(g.degree(node))


def _require(g: Any, *nodes: str) -> None:
    for node in nodes:
        if node not in g:
            raise NoSuchNode(node)


def ego_network(
    g: Any,
    center: str,
    radius: int = 2,
    *,
    node_types: Collection[str] | None = None,
    relation_types: Collection[str] | None = None,
    since: date | None = None,
    until: date | None = None,
    organisations: Collection[str] | None = None,
    markings: Collection[str] | None = None,
    include_bulletins: bool = False,
    max_nodes: int | None = None,
) -> Any:
    """The neighbourhood of ``center`` up to ``radius`` hops, through the filters given.

    Parameters
    ----------
    g : networkx.MultiDiGraph
        A readable subgraph (or a view of one).
    center : str
        Node id (see :func:`graph.build.node_of` for keys and mention ids).
    radius : int
        Hops, ignoring direction.
    node_types, relation_types, since, until, organisations, markings
        As in :func:`graph.subgraphs.filtered`; the centre is kept whatever its type.
    include_bulletins : bool
        Also cross and return bulletin nodes.
    max_nodes : int, optional
        Stop growing when the next ring would exceed this; the last ring is cut
        to its highest-degree nodes (ties by id), so a hub stays drawable.

    Returns
    -------
    networkx.MultiDiGraph
        The subgraph induced by the nodes reached: a new graph whose node and
        edge attribute records are ``g``'s own (read them, do not change them).

    Raises
    ------
    NoSuchNode
        When ``center`` is not in ``g``.
    """
    _require(g, center)
    if radius < 0:
        raise ValueError("radius must be at least 0")
    view = _filtered_view(
        g,
        center,
        {
            "node_types": node_types,
            "relation_types": relation_types,
            "since": since,
            "until": until,
            "organisations": organisations,
            "markings": markings,
        },
    )
    seen, _ = _grow(view, center, radius, include_bulletins, max_nodes, count=False)
    if view is g and type(getattr(g, "_succ", None)) is dict:
        return _induced(g, seen)
    return view.subgraph(seen).copy()


_FILTERS = ("node_types", "relation_types", "since", "until", "organisations", "markings")


def _filtered_view(g: Any, center: str, filters: dict[str, Any]) -> Any:
    """``g`` through the filters given (the centre kept whatever its type), or ``g`` itself."""
    unknown = set(filters) - set(_FILTERS) - {"include_bulletins"}
    if unknown:
        raise TypeError(f"unknown filter {sorted(unknown)[0]!r}")
    chosen = {name: filters.get(name) for name in _FILTERS}
    if all(value is None for value in chosen.values()):
        return g
    return filtered(g, keep=(center,), **chosen)


def _grow(
    view: Any,
    center: str,
    radius: int,
    include_bulletins: bool,
    max_nodes: int | None,
    *,
    count: bool,
) -> tuple[set[str], int]:
    """The nodes kept (at most ``max_nodes``) and, with ``count``, how many the radius reaches
    (without ``count``, the second value is only a lower bound).

    When a ring does not fit, its strongest ties are kept: the nodes linked to most nodes of
    the ring before, then the best connected overall, then by id.
    """
    around = _neighbours(view, include_bulletins)
    seen = {center}
    reached = {center}
    ring = [center]
    capped = False
    for _ in range(radius):
        found: dict[str, int] = {}
        for node in ring:
            for other in around(node):
                if other not in reached:
                    found[other] = found.get(other, 0) + 1
        if not found:
            break
        reached.update(found)
        ring = list(found)
        if capped:
            continue
        if max_nodes is not None and len(seen) + len(found) > max_nodes:
            room = max(max_nodes - len(seen), 0)
            seen.update(
                heapq.nsmallest(room, found, key=lambda n: (-found[n], -_reach(view, n), n))
            )
            capped = True
            if not count:
                break
            continue
        seen.update(found)
    return seen, len(reached)


def ego_view(
    g: Any,
    center: str,
    radius: int = 2,
    *,
    max_nodes: int,
    **filters: Any,
) -> tuple[Any, int]:
    """:func:`ego_network` cut to ``max_nodes``, and how many nodes the radius reaches in all.

    The count lets a view say "showing 40 of 2,140". Filters are :func:`ego_network`'s.

    >>> import networkx as nx
    >>> g = nx.MultiDiGraph([("c", f"n{i}") for i in range(9)] + [("c", "n1"), ("n1", "x")])
    >>> sub, total = ego_view(g, "c", radius=2, max_nodes=3)
    >>> sorted(sub), total
    (['c', 'n0', 'n1'], 11)
    """
    _require(g, center)
    if radius < 0:
        raise ValueError("radius must be at least 0")
    view = _filtered_view(g, center, filters)
    seen, total = _grow(
        view, center, radius, bool(filters.get("include_bulletins")), max_nodes, count=True
    )
    if view is g and type(getattr(g, "_succ", None)) is dict:
        return _induced(g, seen), total
    return view.subgraph(seen).copy(), total


def _induced(g: Any, nodes: set[str]) -> Any:
    """The subgraph of plain graph ``g`` induced by ``nodes``, as a new graph, quickly.

    For a hub, scanning its thousands of neighbours would cost more than
    checking the few selected nodes, so the shorter side is scanned.
    """
    sub = g.__class__()
    sub.graph.update(g.graph)
    for node in sorted(nodes):
        sub.add_node(node)
        sub._node[node] = g._node[node]
    succ = g._succ
    for u in sub:
        around = succ[u]
        if len(around) > len(nodes):
            pairs = ((v, around[v]) for v in nodes if v in around)
        else:
            pairs = ((v, keys) for v, keys in around.items() if v in nodes)
        for v, keys in pairs:
            for key, data in keys.items():
                sub.add_edge(u, v, key=key)
                sub._succ[u][v][key] = data
    return sub


class PathLimitReached(Exception):
    """No path within ``steps`` steps was found before the step or time limit."""

    def __init__(self, steps: int) -> None:
        super().__init__(f"no path within {steps} steps found in time")
        self.steps = steps


def _layers_meet(
    around: Callable[[str], Iterable[str]],
    source: str,
    target: str,
    *,
    max_steps: int | None = None,
    deadline: float | None = None,
) -> tuple[dict[str, list[str]], dict[str, list[str]], list[str]]:
    """Bidirectional breadth-first search, one whole layer at a time, until the sides meet.

    Returns each side's predecessors (every shortest way back to its end) and the
    nodes where the sides met, which lie on every shortest path.
    """
    pred_s: dict[str, list[str]] = {source: []}
    pred_t: dict[str, list[str]] = {target: []}
    front_s, front_t = [source], [target]
    steps = 0
    while front_s and front_t:
        if max_steps is not None and steps >= max_steps:
            raise PathLimitReached(steps)
        steps += 1
        grow_source = len(front_s) <= len(front_t)
        front, mine, theirs = (
            (front_s, pred_s, pred_t) if grow_source else (front_t, pred_t, pred_s)
        )
        layer: dict[str, list[str]] = {}
        for seen, node in enumerate(front):
            if deadline is not None and not seen % 1024 and time.monotonic() > deadline:
                raise PathLimitReached(steps)
            for other in around(node):
                if other in mine:
                    continue
                back = layer.get(other)
                if back is None:
                    layer[other] = [node]
                elif back[-1] != node:
                    back.append(node)
        mine.update(layer)
        meet = sorted(node for node in layer if node in theirs)
        if grow_source:
            front_s = list(layer)
        else:
            front_t = list(layer)
        if meet:
            return pred_s, pred_t, meet
    return pred_s, pred_t, []


def _walks(pred: dict[str, list[str]], node: str) -> Iterator[list[str]]:
    """Every shortest walk from the BFS root to ``node``, root first."""
    back = pred[node]
    if not back:
        yield [node]
        return
    for previous in sorted(set(back)):
        for walk in _walks(pred, previous):
            yield [*walk, node]


def shortest_paths(
    g: Any,
    source: str,
    target: str,
    *,
    limit: int | None = 100,
    max_steps: int | None = None,
    deadline: float | None = None,
) -> list[list[str]]:
    """All shortest paths between two nodes (ignoring direction), up to ``limit``.

    With ``max_steps`` (path length) or ``deadline`` (a ``time.monotonic()`` value), a search
    that reaches either before the two sides meet raises :class:`PathLimitReached`.

    Returns
    -------
    list of list of str
        Paths as node lists from ``source`` to ``target``, in a fixed order
        (lexicographic by node id); empty if the nodes are not connected.

    Raises
    ------
    NoSuchNode
        When either node is not in ``g``.
    """
    _require(g, source, target)
    if source == target:
        return [[source]]
    pred_s, pred_t, meet = _layers_meet(
        _neighbours(g), source, target, max_steps=max_steps, deadline=deadline
    )

    def every() -> Iterator[list[str]]:
        for middle in meet:
            for left in _walks(pred_s, middle):
                for right in _walks(pred_t, middle):
                    yield left + right[-2::-1]

    found = sorted(islice(every(), limit) if limit is not None else every())
    return found


def shortest_path(g: Any, source: str, target: str) -> list[str] | None:
    """One shortest path (the first of :func:`shortest_paths`), or ``None``."""
    paths = shortest_paths(g, source, target, limit=1)
    return paths[0] if paths else None


def k_shortest_paths(
    g: Any, source: str, target: str, k: int = 5, *, backend: Backend = "auto"
) -> list[list[str]]:
    """The ``k`` shortest simple paths between two nodes, shortest first (Yen's algorithm).

    Ignores direction and bulletin nodes. Among paths of equal length the
    order is the backend's, so compare lengths, not positions, across backends.

    Raises
    ------
    NoSuchNode
        When either node is not in ``g``.
    """
    _require(g, source, target)
    if k < 1:
        return []
    if source != target and shortest_path(g, source, target) is None:
        return []
    if use_igraph(g, backend):
        mirror = igraph_mirror(g)
        index = {node: i for i, node in enumerate(mirror.nodes)}
        with warnings.catch_warnings():
            # igraph warns when fewer than k paths exist; fewer paths is the answer then.
            warnings.simplefilter("ignore", RuntimeWarning)
            paths = mirror.graph.get_k_shortest_paths(
                index[source], to=index[target], k=k, mode="all"
            )
        return [mirror.names(p) for p in paths if p]
    simple = undirected_simple(g)
    try:
        return [list(p) for p in islice(nx.shortest_simple_paths(simple, source, target), k)]
    except nx.NetworkXNoPath:
        return []
