"""The workspace's questions as the graph process answers them: plain values in, plain values out.

Each query takes the reader (whose organisation's graph it reads, from
:func:`portal.services.analysis.org_graphs.reading`) and JSON values, and returns JSON values,
so the same function answers in the web worker (tests, the embedded default) and in the graph
process behind a socket (:mod:`graph_server`). :data:`QUERIES` names them; the protocol's
``query`` field is one of its keys. Checks of the arguments that need no graph stay in
:mod:`workspace`; what needs the graph (does the node exist?) is checked here.
"""

from __future__ import annotations

import base64
import time
from collections.abc import Callable, Collection
from datetime import date
from typing import Any

from flask_babel import gettext

import graph
from graph.drawing import MAX_DRAWN_NODES
from graph.queries import PathLimitReached
from portal.graph_words import drawing_words, record_where
from portal.i18n import day, number
from portal.services.analysis import org_graphs, referral_links
from portal.services.bulletins.entities import name_keys
from portal.services.errors import InvalidInput, NotFound
from portal.services.principals import Reader

MAX_PATHS = 20
MAX_PATH_STEPS = 8  # path length: beyond it, ties say little
PATH_TIME_S = 2.0  # a shortest-paths search gives up after this long
MAX_NODES_IN_VIEW = 5_000
BACKGROUND_ABOVE = 50_000  # nodes: above this, cells and influence are computed in a thread
SEARCH_LIMIT = 20


def _node(g: Any, node: str) -> str:
    if not isinstance(node, str) or not node or node not in g:
        raise NotFound(gettext("No such entity in your organisation's graph."), field="node")
    if g.nodes[node].get("type") == "bulletin":
        raise NotFound(gettext("No such entity in your organisation's graph."), field="node")
    return node


def _texts(values: Any, field: str) -> list[str]:
    if not isinstance(values, list) or not all(isinstance(v, str) for v in values):
        raise InvalidInput(gettext("A list of node ids."), field=field)
    return values


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


def _hit(h: graph.SearchHit) -> dict[str, Any]:
    return {"node": h.node, "type": h.type, "label": h.label, "score": round(h.score, 3)}


def search(reader: Reader, query: str) -> dict[str, list[dict[str, Any]]]:
    """Hits for ``query`` (``hits``), and spelling variants of one name as one result
    (``groups``: each names its best node, every node it holds with its own label and record,
    and the spellings found)."""
    if not isinstance(query, str):
        raise InvalidInput(gettext("Type an identifier or a name to look for."), field="q")
    with org_graphs.reading(reader) as g:
        found = graph.find_nodes(g, query, limit=SEARCH_LIMIT, default_region=reader.country)
        hits = [h for h in found if h.type != "bulletin"]
        label_of = {h.node: h.label for h in hits}
        grouped = graph.group_hits(hits)
        # Records of one name read apart by who reported them and when.
        record_of = {
            n: graph.record_label(
                graph.display_label(n, g.nodes[n]), graph.node_provenance(g, n), record_where
            )
            for group in grouped
            if len(group.nodes) > 1
            for n in group.nodes
            if n in g
        }
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
        for group in grouped
    ]
    return {"hits": [_hit(h) for h in hits], "groups": groups}


def _day(value: Any) -> date | None:
    return date.fromisoformat(value) if isinstance(value, str) else None


def _names(value: Any) -> frozenset[str] | None:
    return frozenset(value) if isinstance(value, list) else None


def ego(reader: Reader, node: str, radius: int, view: dict[str, Any], limit: int) -> dict[str, Any]:
    """The ego network's elements, ``shown`` and ``total`` (see ``workspace.neighbourhood``);
    ``view`` is ``workspace.ViewFilter`` as JSON (lists and ISO dates)."""
    if not isinstance(view, dict):
        raise InvalidInput(gettext("A view filter."), field="view")
    with org_graphs.reading(reader) as g:
        sub, total = graph.ego_view(
            g,
            _node(g, node),
            int(radius),
            node_types=_names(view.get("node_types")),
            since=_day(view.get("since")),
            until=_day(view.get("until")),
            organisations=_names(view.get("organisations")),
            markings=_names(view.get("markings")),
            max_nodes=int(limit),
        )
        measures = _measures(reader, g)
        return {
            "elements": _elements(reader, g, sub, measures),
            "measures": measures is not None,
            "shown": sub.number_of_nodes(),
            "total": total,
        }


def _induced(g: Any, nodes: Collection[str]) -> Any:
    if len(nodes) > MAX_NODES_IN_VIEW:
        raise InvalidInput(
            gettext("At most %(limit)s nodes in one view.", limit=number(MAX_NODES_IN_VIEW)),
            field="nodes",
        )
    kept = [n for n in nodes if n in g and g.nodes[n].get("type") != "bulletin"]
    return g.subgraph(kept).copy()


def view(reader: Reader, nodes: list[str]) -> dict[str, Any]:
    """Cytoscape elements of a set of nodes (a reopened investigation); a saved person's
    mention id is found in whatever node holds it now (after a merge)."""
    nodes = _texts(nodes, "nodes")
    with org_graphs.reading(reader) as g:
        current = {found for n in nodes if (found := graph.node_of(g, n)) is not None}
        return _elements(reader, g, _induced(g, current))


EXPORTS: dict[str, Callable[[Any], bytes | str]] = {
    "graphml": graph.to_graphml,
    "gexf": graph.to_gexf,
    "csv": graph.to_csv,
    "svg": lambda sub: graph.to_svg(sub, **drawing_words()),
}


def export(reader: Reader, nodes: list[str], fmt: str) -> dict[str, str]:
    """The nodes on screen as GraphML, GEXF, CSV or SVG: ``text``, or ``base64`` for bytes."""
    if fmt not in EXPORTS:
        raise NotFound()
    nodes = _texts(nodes, "nodes")
    with org_graphs.reading(reader) as g:
        sub = _induced(g, nodes)
    if fmt == "svg" and sub.number_of_nodes() > MAX_DRAWN_NODES:
        raise InvalidInput(
            gettext("Too many nodes to draw: export GraphML instead."), field="nodes"
        )
    body = EXPORTS[fmt](sub)
    if isinstance(body, bytes):
        return {"base64": base64.b64encode(body).decode("ascii")}
    return {"text": body}


def paths(reader: Reader, source: str, target: str, k: int) -> dict[str, Any]:
    """All shortest paths (or the ``k`` shortest simple ones) between two entities.

    The shortest paths stop at :data:`MAX_PATH_STEPS` steps or :data:`PATH_TIME_S` seconds
    and say so in ``message`` ("no path within 8 steps found in time")."""
    with org_graphs.reading(reader) as g:
        a, b = _node(g, source), _node(g, target)
        if a == b:
            raise InvalidInput(gettext("Choose two different entities."), field="target")
        deadline = time.monotonic() + PATH_TIME_S
        try:
            found = (
                graph.k_shortest_paths(g, a, b, int(k))
                if k
                else graph.shortest_paths(
                    g, a, b, limit=MAX_PATHS, max_steps=MAX_PATH_STEPS, deadline=deadline
                )
            )
        except PathLimitReached:
            message = gettext("no path within %(steps)s steps found in time", steps=MAX_PATH_STEPS)
            return {"paths": [], "elements": None, "message": message}
        on_paths = {n for path in found for n in path}
        elements = _elements(reader, g, g.subgraph(on_paths).copy()) if on_paths else None
    return {"paths": found, "elements": elements}


def _keys_of(g: Any, node: str) -> set[str]:
    if g.nodes[node].get("type") == "person":
        names: set[str] = set()
        for mentions in g.nodes[node].get("mentions", {}).values():
            for entity in mentions:
                names.update(entity.all_names)
        return name_keys(tuple(sorted(names)))
    return {node}


def _ask_query(g: Any, node: str) -> dict[str, str | None]:
    """What the access-request form needs to find the same hidden bulletins again."""
    data = g.nodes[node]
    mentions = data.get("mentions", {})
    first = next((entities[0] for entities in mentions.values() if entities), None)
    value = (first.value or first.name) if first is not None else data.get("label")
    return {"q": value, "platform": first.platform if first is not None else None}


def node(reader: Reader, node: str) -> dict[str, Any]:
    """What a node is and which readable bulletins name it; ``keys`` are the blind-index keys
    the web side asks the hidden hit/no-hit count with (the graph process never does)."""
    with org_graphs.reading(reader) as g:
        node = _node(g, node)
        data = g.nodes[node]
        provenance = [
            p
            for p in graph.node_provenance(g, node)
            if not referral_links.is_referral(p.bulletin_id)
        ]
        keys = _keys_of(g, node)
        ask = _ask_query(g, node)
        referred = data.get(referral_links.ATTRIBUTE)
        seen = graph.sightings_of(g, node)
        kind, label = data.get("type"), graph.display_label(node, data)
    titles = org_graphs.titles(reader, [p.bulletin_id for p in provenance])
    return {
        "node": node,
        "type": kind,
        "label": label,
        "organisations": sorted({p.organisation for p in provenance}),
        "bulletins": [
            {
                "id": p.bulletin_id,
                "title": titles.get(p.bulletin_id) or gettext("Bulletin %(id)s", id=p.bulletin_id),
                "organisation": p.organisation,
                "reported_on": p.reported_on.isoformat(),
                "marking": p.marking,
            }
            for p in provenance
        ],
        "keys": sorted(keys),
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


def timeline(reader: Reader, nodes: list[str]) -> list[dict[str, Any]]:
    """Dated events (relations, journeys, bulletins) among ``nodes``, oldest first.

    Each event names its entities as a person would write them, and its bulletin by title
    and sender (the organisation that reported it): a bulletin node reads as its title.
    """
    nodes = _texts(nodes, "nodes")
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
        if event.detail:
            return gettext(
                "%(what)s seen in %(place)s by %(org)s on %(day)s",
                what=text,
                place=event.detail,
                org=event.organisation,
                day=day(event.on),
            )
        return gettext(
            "%(what)s seen by %(org)s on %(day)s",
            what=text,
            org=event.organisation,
            day=day(event.on),
        )
    return text


def edge(reader: Reader, source: str, target: str, kind: str) -> dict[str, Any]:
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


def shared(reader: Reader, limit: int) -> list[dict[str, Any]]:
    """Entities reported by two or more organisations, or linking two or more persons."""
    with org_graphs.reading(reader) as g:
        found = graph.shared_entities(g)[: int(limit)]
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


def saved_nodes(reader: Reader, nodes: list[str]) -> list[str]:
    """What an investigation saves of ``nodes``: each node, a person as its mentions (so a
    later merge or split still finds it). Every node must be in the graph."""
    nodes = _texts(nodes, "nodes")
    kept: set[str] = set()
    with org_graphs.reading(reader) as g:
        for n in nodes:
            if n not in g:
                raise InvalidInput(
                    gettext("Some nodes are not in your organisation's graph."), field="nodes"
                )
            is_person = g.nodes[n].get("type") == "person"
            kept |= set(graph.person_mentions(g, n)) if is_person else {n}
    return sorted(kept)


def bulletins_of(reader: Reader, nodes: list[str]) -> list[str]:
    """The readable bulletins behind saved node ids, as the graph has them now."""
    nodes = _texts(nodes, "nodes")
    ids: set[str] = set()
    with org_graphs.reading(reader) as g:
        for saved in nodes:
            current = graph.node_of(g, saved)
            if current is not None:
                ids |= org_graphs.bulletin_ids(g, current)
    return sorted(ids)


def person_suggestions(reader: Reader, node: str, limit: int) -> list[dict[str, Any]]:
    """Persons that may be ``node`` (``person_decisions.suggestions``)."""
    from portal.services.analysis import person_decisions  # it asks through graph_client

    return person_decisions.suggestions_here(reader, node, int(limit))


def person_decisions_about(reader: Reader, node: str) -> list[dict[str, Any]]:
    """The live "same person" decisions about ``node`` (``person_decisions.decisions_about``)."""
    from portal.services.analysis import person_decisions

    return person_decisions.decisions_about_here(reader, node)


def person_pair(reader: Reader, first: str, second: str) -> dict[str, Any]:
    """The graph's part of a "same person" decision (``person_decisions.pair_here``)."""
    from portal.services.analysis import person_decisions

    return person_decisions.pair_here(reader, first, second)


def warm(reader: Reader) -> dict[str, int]:
    """Build (or bring up to date) the organisation's graph; its size."""
    with org_graphs.reading(reader) as g:
        return {"nodes": g.number_of_nodes(), "edges": g.number_of_edges()}


QUERIES: dict[str, Callable[..., Any]] = {
    "search": search,
    "ego": ego,
    "measures": measures_ready,
    "view": view,
    "export": export,
    "paths": paths,
    "node": node,
    "edge": edge,
    "timeline": timeline,
    "shared": shared,
    "saved_nodes": saved_nodes,
    "bulletins_of": bulletins_of,
    "person_suggestions": person_suggestions,
    "person_decisions": person_decisions_about,
    "person_pair": person_pair,
    "warm": warm,
}
