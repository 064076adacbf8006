"""Read-only views of a link graph: the entity graph, and filters by type, date and source.

Views are NetworkX subgraph views: creating one costs nothing, and analytics
accept them wherever they accept a graph. Call ``.copy()`` to get a graph to
change. Filters by organisation and marking are *display* filters within what an
organisation may read; readability itself is :func:`graph.build.readable_subgraph`.

Examples
--------
>>> from datetime import date
>>> from graph.build import build_graph
>>> from graph.model import Bulletin, Entity, Provenance, Relation
>>> b = Bulletin(Provenance("B-1", "FR", date(2025, 1, 1), "TLP:GREEN"),
...     (Entity("p", "person", name="A"), Entity("q", "person", name="B")),
...     (Relation("contacted", "p", "q", date(2024, 12, 1)),))
>>> g = build_graph([b])
>>> sorted(entity_graph(g).nodes)
['person:B-1:p', 'person:B-1:q']
>>> filtered(g, since=date(2025, 1, 1), relation_types={"contacted"}).number_of_edges()
0
"""

from __future__ import annotations

from collections.abc import Collection
from datetime import date
from typing import Any

import networkx as nx  # type: ignore[import-untyped]

from graph.model import Bulletin

__all__ = ["entity_graph", "filtered", "undirected_simple"]


def entity_graph(g: Any) -> Any:
    """``g`` without bulletin nodes and ``reported_in`` edges: what analytics measure."""
    if not g.graph.get("bulletin_nodes", False):
        return g
    nodes = g._node

    def keep_node(node: str) -> bool:
        return bool(nodes[node]["type"] != "bulletin")

    return nx.subgraph_view(g, filter_node=keep_node)


def filtered(
    g: Any,
    *,
    node_types: Collection[str] | None = None,
    relation_types: Collection[str] | None = None,
    since: date | None = None,
    until: date | None = None,
    organisations: Collection[str] | None = None,
    markings: Collection[str] | None = None,
    keep: Collection[str] = (),
) -> Any:
    """A view of ``g`` with only the nodes and edges that pass every filter given.

    Parameters
    ----------
    g : networkx.MultiDiGraph
        A link graph (or a view of one).
    node_types : collection of str, optional
        Node types to keep (``bulletin`` included only if listed).
    relation_types : collection of str, optional
        Edge types to keep.
    since, until : datetime.date, optional
        Keep an edge if one of its reports is dated within ``[since, until]``;
        an undated report counts with its bulletin's date.
    organisations, markings : collection of str, optional
        Keep an edge if one of its reports comes from a bulletin of these
        organisations / with these markings, and a node if one of its bulletins does.
    keep : collection of str
        Nodes kept whatever the node filters say (the centre of an ego network).

    Returns
    -------
    networkx.MultiDiGraph
        A read-only view.
    """
    bulletins: dict[str, Bulletin] = g.graph["bulletins"]
    node_data = g.nodes
    types = None if node_types is None else frozenset(node_types)
    kinds = None if relation_types is None else frozenset(relation_types)
    orgs = None if organisations is None else frozenset(organisations)
    marks = None if markings is None else frozenset(markings)
    kept = frozenset(keep)
    by_source = orgs is not None or marks is not None

    def source_ok(bid: str) -> bool:
        provenance = bulletins[bid].provenance
        return (orgs is None or provenance.organisation in orgs) and (
            marks is None or provenance.marking in marks
        )

    def keep_node(node: str) -> bool:
        if node in kept:
            return True
        data = node_data[node]
        if types is not None and data["type"] not in types:
            return False
        if by_source:
            if data["type"] == "bulletin":
                return source_ok(str(data["label"]))
            return any(source_ok(bid) for bid in data["mentions"])
        return True

    def keep_edge(source: str, target: str, key: str) -> bool:
        if kinds is not None and key not in kinds:
            return False
        if since is None and until is None and not by_source:
            return True
        reports: tuple[Any, ...] = g._succ[source][target][key]["reports"]
        for bid, on in zip(reports[::2], reports[1::2], strict=True):
            when = on or bulletins[bid].provenance.reported_on
            if since is not None and when < since:
                continue
            if until is not None and when > until:
                continue
            if by_source and not source_ok(bid):
                continue
            return True
        return False

    return nx.subgraph_view(g, filter_node=keep_node, filter_edge=keep_edge)


def undirected_simple(g: Any) -> Any:
    """The entity graph as a plain undirected :class:`networkx.Graph` (a copy).

    Analytics measure connectivity whatever the direction of a relation and
    however many relations join two nodes; this is the NetworkX reference that
    the tests compare the accelerated results with.
    """
    view = entity_graph(g)
    simple = nx.Graph()
    simple.add_nodes_from(view.nodes)
    simple.add_edges_from((u, v) for u, v in view.edges() if u != v)
    return simple
