"""The analyst workspace's questions, answered from the organisation's own graph.

Every answer comes from the graph of :func:`portal.services.analysis.org_graphs.reading`,
which holds only bulletins the organisation opened with its own key, through
:mod:`graph_client`: in this process, or from the machine's graph process (the queries
themselves are in :mod:`graph_queries`). The one deliberate exception is :func:`hidden_hits`:
how many bulletins the organisation cannot read also name a node, and from which organisations,
through the keyed blind index (no content, no ids), asked here, never by the graph process.
"""

from __future__ import annotations

import base64
from collections.abc import Collection
from dataclasses import dataclass
from datetime import date
from typing import Any

from flask_babel import gettext

from portal.extensions import db
from portal.i18n import number
from portal.services.analysis import graph_client, graph_queries
from portal.services.discovery import hits as discovery
from portal.services.discovery.hits import HiddenGroup
from portal.services.errors import InvalidInput
from portal.services.principals import Reader

NODE_TYPES = ("person", "account", "group", "phone", "email", "url", "location")
DEFAULT_VIEW_NODES = 40  # a first view: the centre and its strongest ties
MAX_VIEW_NODES = 1_000  # the most an analyst may ask for in one view
API_VIEW_NODES = 300  # the REST API's neighbourhood, as documented
MAX_QUERY = 500
MAX_PATHS = graph_queries.MAX_PATHS
MAX_NODES_IN_VIEW = graph_queries.MAX_NODES_IN_VIEW
EXPORT_FORMATS = tuple(graph_queries.EXPORTS)


@dataclass(frozen=True)
class ViewFilter:
    """Filters of the graph view, already checked against the allow-lists."""

    node_types: frozenset[str] | None = None
    since: date | None = None
    until: date | None = None
    organisations: frozenset[str] | None = None
    markings: frozenset[str] | None = None

    def as_json(self) -> dict[str, Any]:
        def names(value: frozenset[str] | None) -> list[str] | None:
            return sorted(value) if value is not None else None

        return {
            "node_types": names(self.node_types),
            "since": self.since.isoformat() if self.since else None,
            "until": self.until.isoformat() if self.until else None,
            "organisations": names(self.organisations),
            "markings": names(self.markings),
        }


def _nodes(nodes: Collection[str]) -> list[str]:
    if len(nodes) > MAX_NODES_IN_VIEW:
        raise InvalidInput(
            gettext("At most %(limit)s nodes in one view.", limit=number(MAX_NODES_IN_VIEW)),
            field="nodes",
        )
    return list(nodes)


def measures_ready(reader: Reader) -> bool:
    """Whether the whole graph's cells and influence are ready (they start if not)."""
    return bool(graph_client.ask(reader, "measures"))


def _query(query: str) -> str:
    query = (query or "").strip()
    if not query:
        raise InvalidInput(gettext("Type an identifier or a name to look for."), field="q")
    if len(query) > MAX_QUERY:
        raise InvalidInput(
            gettext("Type at most %(limit)s characters.", limit=MAX_QUERY), field="q"
        )
    return query


def search(reader: Reader, query: str) -> list[dict[str, Any]]:
    """Nodes matching an identifier or a name in any script, best first."""
    hits: list[dict[str, Any]] = search_grouped(reader, query)["hits"]
    return hits


def search_grouped(reader: Reader, query: str) -> dict[str, list[dict[str, Any]]]:
    """:func:`search`'s ``hits``, and ``groups``: spelling variants of one name as one result.

    Each group names its best node (``node``), every node it holds with its own label
    (``nodes``), and the spellings found (``variants``).
    """
    found: dict[str, list[dict[str, Any]]] = graph_client.ask(reader, "search", query=_query(query))
    return found


def shown_of(shown: int, total: int) -> str:
    """What the view says about its cut: "showing 40 of 2,140: filter or expand".

    >>> shown_of(40, 2140)
    'showing 40 of 2,140: filter or expand'
    >>> shown_of(12, 12)
    'showing all 12'
    """
    if shown >= total:
        return gettext("showing all %(total)s", total=number(total))
    return gettext(
        "showing %(shown)s of %(total)s: filter or expand", shown=number(shown), total=number(total)
    )


def neighbourhood(
    reader: Reader, node: str, radius: int, view: ViewFilter, limit: int = DEFAULT_VIEW_NODES
) -> dict[str, Any]:
    """Cytoscape elements of the ego network, coloured by cell and sized by influence.

    At most ``limit`` nodes: the centre and its strongest ties. ``shown`` and ``total`` (the
    nodes the radius reaches through the filters) let the page say what was left out.
    """
    if not 1 <= radius <= 3:
        raise InvalidInput(gettext("A radius of 1, 2 or 3 hops."), field="radius")
    if not 1 <= limit <= MAX_VIEW_NODES:
        raise InvalidInput(
            gettext("At most %(limit)s entities in one view.", limit=number(MAX_VIEW_NODES)),
            field="limit",
        )
    found = graph_client.ask(
        reader, "ego", node=node, radius=radius, view=view.as_json(), limit=limit
    )
    shown, total = found["shown"], found["total"]
    return {
        "elements": found["elements"],
        "measures": found["measures"],
        "shown": shown,
        "total": total,
        "limit": limit,
        "message": shown_of(shown, total),
    }


def export(reader: Reader, nodes: Collection[str], fmt: str) -> bytes | str:
    """The nodes on screen (unknown ids left out) as GraphML, GEXF, CSV or SVG."""
    found = graph_client.ask(reader, "export", nodes=_nodes(nodes), fmt=fmt)
    if "base64" in found:
        return base64.b64decode(found["base64"])
    text: str = found["text"]
    return text


def view_elements(reader: Reader, nodes: Collection[str]) -> dict[str, Any]:
    """Cytoscape elements (nodes, edges) of a set of nodes (a reopened investigation).

    A saved person's mention id is found in whatever node holds it now (after a merge).
    """
    found: dict[str, Any] = graph_client.ask(reader, "view", nodes=list(nodes))
    return found


def paths(reader: Reader, source: str, target: str, k: int = 0) -> dict[str, Any]:
    """All shortest paths (or the ``k`` shortest simple ones) between two entities."""
    if not 0 <= k <= 10:
        raise InvalidInput(gettext("Ask for at most 10 paths."), field="k")
    found: dict[str, Any] = graph_client.ask(reader, "paths", source=source, target=target, k=k)
    return found


def node_details(reader: Reader, node: str) -> dict[str, Any]:
    """What a node is, which readable bulletins name it, and the hidden hit/no-hit answer."""
    found: dict[str, Any] = graph_client.ask(reader, "node", node=node)
    keys = set(found.pop("keys"))
    hidden = hidden_hits(reader, keys)
    return {
        **found,
        "hidden": [
            {"org": h.org_code, "name": h.org_name, "count": h.count, "pending": h.pending}
            for h in hidden
        ],
    }


def hidden_hits(reader: Reader, keys: set[str]) -> tuple[HiddenGroup, ...]:
    """Counts per originator of bulletins hidden from the reader that name one of ``keys``."""
    session = db.session()
    tokens = discovery.tokens_for(keys)
    return discovery.group_hidden(session, reader, discovery.hidden_by_org(session, reader, tokens))


def timeline(reader: Reader, nodes: Collection[str]) -> list[dict[str, Any]]:
    """Dated events (relations, journeys, bulletins) among ``nodes``, oldest first.

    Each event names its entities as a person would write them, and its bulletin by title
    and sender (the organisation that reported it): a bulletin node reads as its title.
    """
    found: list[dict[str, Any]] = graph_client.ask(reader, "timeline", nodes=list(nodes))
    return found


def edge_details(reader: Reader, source: str, target: str, kind: str) -> dict[str, Any]:
    """The readable bulletins that state one relation, with their dates."""
    found: dict[str, Any] = graph_client.ask(
        reader, "edge", source=source, target=target, kind=kind
    )
    return found


def shared(reader: Reader, limit: int = 100) -> list[dict[str, Any]]:
    """Entities reported by two or more organisations, or linking two or more persons."""
    found: list[dict[str, Any]] = graph_client.ask(reader, "shared", limit=limit)
    return found
