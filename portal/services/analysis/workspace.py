"""The analyst workspace's questions, answered from the organisation's own graph.

Everything here reads the graph of :func:`portal.services.analysis.org_graphs.reading`,
which holds only bulletins the organisation opened with its own key. The one deliberate exception is
:func:`hidden_hits`: how many bulletins the organisation cannot read also name a node, and
from which organisations, through the keyed blind index (no content, no ids).
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from datetime import date
from typing import Any

from flask_babel import gettext

import graph
from portal.extensions import db
from portal.graph_words import record_where
from portal.i18n import number
from portal.services.analysis import org_graphs, referral_links
from portal.services.bulletins.entities import name_keys
from portal.services.discovery import hits as discovery
from portal.services.discovery.hits import HiddenGroup
from portal.services.errors import InvalidInput, NotFound
from portal.services.principals import Reader

NODE_TYPES = ("person", "account", "group", "phone", "email", "url", "location")
DEFAULT_VIEW_NODES = 40  # a first view: the centre and its strongest ties
MAX_VIEW_NODES = 1_000  # the most an analyst may ask for in one view
API_VIEW_NODES = 300  # the REST API's neighbourhood, as documented
MAX_QUERY = 500
MAX_PATHS = 20
MAX_NODES_IN_VIEW = 5_000
BACKGROUND_ABOVE = 50_000  # nodes: above this, cells and influence are computed in a thread


@dataclass(frozen=True)
class ViewFilter:
    """Filters of the graph view, already checked against the allow-lists."""

    node_types: frozenset[str] | None = None
    since: date | None = None
    until: date | None = None
    organisations: frozenset[str] | None = None
    markings: frozenset[str] | None = None


def _node(g: Any, node: str) -> str:
    if not node or node not in g or g.nodes[node].get("type") == "bulletin":
        raise NotFound(gettext("No such entity in your organisation's graph."), field="node")
    return node


Measures = tuple[list[set[str]], dict[str, float]]  # cells, and influence per node


def _measures(reader: Reader, g: Any) -> Measures | None:
    """Cells and influence of the whole graph; None while a large graph's are computed."""
    background = g.number_of_nodes() > BACKGROUND_ABOVE
    cells = org_graphs.derived(
        reader, g, "communities", lambda h: graph.communities(h, seed=0), background=background
    )
    ranks = org_graphs.derived(reader, g, "pagerank", graph.pagerank, background=background)
    if cells is None or ranks is None:
        return None
    return cells, ranks


def measures_ready(reader: Reader) -> bool:
    with org_graphs.reading(reader) as g:
        return _measures(reader, g) is not None


def _elements(reader: Reader, g: Any, sub: Any, measures: Measures | None = None) -> dict[str, Any]:
    """Cytoscape elements (nodes, edges) of ``sub``, with cells and influence when known."""
    measures = measures or _measures(reader, g)
    if measures is None:
        plain: dict[str, Any] = graph.to_cytoscape(sub)["elements"]
        return plain
    cells, ranks = measures
    nodes = set(sub.nodes)
    local_cells = [cell & nodes for cell in cells if cell & nodes]
    scores = {n: ranks.get(n, 0.0) for n in nodes}
    elements: dict[str, Any] = graph.to_cytoscape(sub, communities=local_cells, scores=scores)[
        "elements"
    ]
    return elements


def _hits(reader: Reader, query: str) -> list[graph.SearchHit]:
    query = (query or "").strip()
    if not query:
        raise InvalidInput(gettext("Type an identifier or a name to look for."), field="q")
    if len(query) > MAX_QUERY:
        raise InvalidInput(
            gettext("Type at most %(limit)s characters.", limit=MAX_QUERY), field="q"
        )
    with org_graphs.reading(reader) as g:
        hits = graph.find_nodes(g, query, limit=20, default_region=reader.country)
    return [h for h in hits if h.type != "bulletin"]


def _records(reader: Reader, nodes: Collection[str]) -> dict[str, str]:
    """Each node's label with the sender and date of its first bulletin (records read apart)."""
    with org_graphs.reading(reader) as g:
        return {
            n: graph.record_label(
                graph.display_label(n, g.nodes[n]), graph.node_provenance(g, n), record_where
            )
            for n in nodes
            if n in g
        }


def _hit(h: graph.SearchHit) -> dict[str, Any]:
    return {"node": h.node, "type": h.type, "label": h.label, "score": round(h.score, 3)}


def search(reader: Reader, query: str) -> list[dict[str, Any]]:
    """Nodes matching an identifier or a name in any script, best first."""
    return [_hit(h) for h in _hits(reader, query)]


def search_grouped(reader: Reader, query: str) -> dict[str, list[dict[str, Any]]]:
    """:func:`search`'s ``hits``, and ``groups``: spelling variants of one name as one result.

    Each group names its best node (``node``), every node it holds with its own label
    (``nodes``), and the spellings found (``variants``).
    """
    hits = _hits(reader, query)
    label_of = {h.node: h.label for h in hits}
    found = graph.group_hits(hits)
    # Records of one name read apart by who reported them and when.
    record_of = _records(
        reader, [n for group in found if len(group.nodes) > 1 for n in group.nodes]
    )
    groups = [
        {
            "node": group.nodes[0],
            "type": group.type,
            "label": group.label,
            "score": round(group.score, 3),
            "variants": list(group.variants),
            "nodes": [
                {"node": n, "label": label_of[n], "record": record_of.get(n, label_of[n])}
                for n in group.nodes
            ],
        }
        for group in found
    ]
    return {"hits": [_hit(h) for h in hits], "groups": groups}


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
    with org_graphs.reading(reader) as g:
        ego, total = graph.ego_view(
            g,
            _node(g, node),
            radius,
            node_types=view.node_types,
            since=view.since,
            until=view.until,
            organisations=view.organisations,
            markings=view.markings,
            max_nodes=limit,
        )
        measures = _measures(reader, g)
        shown = ego.number_of_nodes()
        return {
            "elements": _elements(reader, g, ego, measures),
            "measures": measures is not None,
            "shown": shown,
            "total": total,
            "limit": limit,
            "message": shown_of(shown, total),
        }


def _induced(g: Any, nodes: Collection[str]) -> Any:
    if len(nodes) > MAX_NODES_IN_VIEW:
        raise InvalidInput(
            gettext("At most %(limit)s nodes in one view.", limit=number(MAX_NODES_IN_VIEW)),
            field="nodes",
        )
    kept = [n for n in nodes if n in g and g.nodes[n].get("type") != "bulletin"]
    return g.subgraph(kept).copy()


def subgraph(reader: Reader, nodes: Collection[str]) -> Any:
    """A copy of the graph induced by ``nodes`` (the current view), unknown ids left out."""
    with org_graphs.reading(reader) as g:
        return _induced(g, nodes)


def view_elements(reader: Reader, nodes: Collection[str]) -> dict[str, Any]:
    """Cytoscape elements (nodes, edges) of a set of nodes (a reopened investigation).

    A saved person's mention id is found in whatever node holds it now (after a merge).
    """
    with org_graphs.reading(reader) as g:
        current = {found for n in nodes if (found := graph.node_of(g, n)) is not None}
        return _elements(reader, g, _induced(g, current))


def paths(reader: Reader, source: str, target: str, k: int = 0) -> dict[str, Any]:
    """All shortest paths (or the ``k`` shortest simple ones) between two entities."""
    if not 0 <= k <= 10:
        raise InvalidInput(gettext("Ask for at most 10 paths."), field="k")
    with org_graphs.reading(reader) as g:
        a, b = _node(g, source), _node(g, target)
        if a == b:
            raise InvalidInput(gettext("Choose two different entities."), field="target")
        found = (
            graph.k_shortest_paths(g, a, b, k)
            if k
            else graph.shortest_paths(g, a, b, limit=MAX_PATHS)
        )
        on_paths = {n for path in found for n in path}
        elements = _elements(reader, g, g.subgraph(on_paths).copy()) if on_paths else None
    return {"paths": found, "elements": elements}


def node_details(reader: Reader, node: str) -> dict[str, Any]:
    """What a node is, which readable bulletins name it, and the hidden hit/no-hit answer."""
    with org_graphs.reading(reader) as g:
        node = _node(g, node)
        data = g.nodes[node]
        provenance = [
            p
            for p in graph.node_provenance(g, node)
            if not referral_links.is_referral(p.bulletin_id)
        ]
        organisations = sorted({p.organisation for p in provenance})
        keys = _keys_of(g, node)
        ask = _ask_query(g, node)
        referred = data.get(referral_links.ATTRIBUTE)
        seen = graph.sightings_of(g, node)
    titles = org_graphs.titles(reader, [p.bulletin_id for p in provenance])
    bulletins = [
        {
            "id": p.bulletin_id,
            "title": titles.get(p.bulletin_id) or gettext("Bulletin %(id)s", id=p.bulletin_id),
            "organisation": p.organisation,
            "reported_on": p.reported_on.isoformat(),
            "marking": p.marking,
        }
        for p in provenance
    ]
    hidden = hidden_hits(reader, keys)
    return {
        "node": node,
        "type": data.get("type"),
        "label": graph.display_label(node, data),
        "organisations": organisations,
        "bulletins": bulletins,
        "hidden": [
            {"org": h.org_code, "name": h.org_name, "count": h.count, "pending": h.pending}
            for h in hidden
        ],
        "ask": ask,
        # The organisation's own referrals of this account or URL, and what became of them.
        "referrals": dict(referred) if referred else None,
        # Sightings of it that the organisation's key opened (comments on its bulletins).
        "sightings": [
            {
                "on": s.on.isoformat(),
                "place": s.place,
                "country": s.country,
                "organisation": s.organisation,
                "bulletin": s.bulletin_id,
            }
            for s in seen
        ],
    }


def _keys_of(g: Any, node: str) -> set[str]:
    if g.nodes[node].get("type") == "person":
        names: set[str] = set()
        for mentions in g.nodes[node].get("mentions", {}).values():
            for entity in mentions:
                names.update(entity.all_names)
        return name_keys(tuple(sorted(names)))
    return {node}


def hidden_hits(reader: Reader, keys: set[str]) -> tuple[HiddenGroup, ...]:
    """Counts per originator of bulletins hidden from the reader that name one of ``keys``."""
    session = db.session()
    tokens = discovery.tokens_for(keys)
    return discovery.group_hidden(session, reader, discovery.hidden_by_org(session, reader, tokens))


def _ask_query(g: Any, node: str) -> dict[str, str | None]:
    """What the access-request form needs to find the same hidden bulletins again."""
    data = g.nodes[node]
    mentions = data.get("mentions", {})
    first = next((entities[0] for entities in mentions.values() if entities), None)
    value = (first.value or first.name) if first is not None else data.get("label")
    return {"q": value, "platform": first.platform if first is not None else None}


def timeline(reader: Reader, nodes: Collection[str]) -> list[dict[str, Any]]:
    """Dated events (relations, journeys, bulletins) among ``nodes``, oldest first.

    Each event names its entities as a person would write them, and its bulletin by title
    and sender (the organisation that reported it): a bulletin node reads as its title.
    """
    with org_graphs.reading(reader) as g:
        kept = [n for n in nodes if n in g][:MAX_NODES_IN_VIEW]
        events = graph.timeline(g, kept)
        labels = {n: graph.display_label(n, g.nodes[n]) for e in events for n in e.nodes if n in g}
    titles = org_graphs.titles(reader, sorted({e.bulletin_id for e in events}))
    rows = []
    for e in events:
        title = titles.get(e.bulletin_id) or gettext("Bulletin from %(org)s", org=e.organisation)
        names = [title if n == f"bulletin:{e.bulletin_id}" else labels.get(n, n) for n in e.nodes]
        rows.append(
            {
                "on": e.on.isoformat(),
                "kind": e.kind,
                "nodes": list(e.nodes),
                "labels": names,
                "text": _event_text(e, names),
                "bulletin": e.bulletin_id,
                "title": title,
                "sender": e.organisation,
                "dated_by_report": e.dated_by_report,
                "organisation": e.organisation,
                "detail": e.detail,
            }
        )
    return rows


def _event_text(event: graph.TimelineEvent, names: list[str]) -> str:
    """What happened, in words: a sighting says where, by whom and when it was seen."""
    text = " → ".join(names)
    if event.kind == "sighting":
        place = f" in {event.detail}" if event.detail else ""
        return f"{text} seen{place} by {event.organisation} on {event.on.isoformat()}"
    return text


def edge_details(reader: Reader, source: str, target: str, kind: str) -> dict[str, Any]:
    """The readable bulletins that state one relation, with their dates."""
    with org_graphs.reading(reader) as g:
        a, b = _node(g, source), _node(g, target)
        try:
            provenance = graph.edge_provenance(g, a, b, kind)
        except KeyError:
            raise NotFound(
                gettext("No such relation in your organisation's graph."), field="type"
            ) from None
        records: dict[str, graph.Bulletin] = g.graph["bulletins"]
        labels = (graph.display_label(a, g.nodes[a]), graph.display_label(b, g.nodes[b]))
        reported = {bid: records[bid].provenance for bid in provenance.bulletin_ids}
    titles = org_graphs.titles(reader, list(provenance.bulletin_ids))
    return {
        "source": a,
        "target": b,
        "type": kind,
        "source_label": labels[0],
        "target_label": labels[1],
        "dates": [d.isoformat() for d in provenance.dates],
        "bulletins": [
            {
                "id": bid,
                "title": titles.get(bid) or gettext("Bulletin %(id)s", id=bid),
                "organisation": p.organisation,
                "reported_on": p.reported_on.isoformat(),
                "marking": p.marking,
            }
            for bid, p in reported.items()
        ],
    }


def shared(reader: Reader, limit: int = 100) -> list[dict[str, Any]]:
    """Entities reported by two or more organisations, or linking two or more persons."""
    with org_graphs.reading(reader) as g:
        found = graph.shared_entities(g)[:limit]
    return [
        {
            "node": s.node,
            "type": s.type,
            "label": s.label,
            "organisations": list(s.organisations),
            "bulletins": len(s.bulletin_ids),
            "persons": len(s.persons),
        }
        for s in found
    ]
