"""Building the link graph from bulletins, incrementally, and filtering it by readability.

The graph is a plain :class:`networkx.MultiDiGraph`; the portal programs against it.

Nodes
    ``type`` (``person``, ``account``, ``group``, ``phone``, ``email``, ``url``,
    ``location``, ``bulletin``), ``label`` (for display) and ``mentions``, a
    dict from bulletin id to the :class:`~graph.model.Entity` records of that
    bulletin that became this node. Identifiers (accounts, phones, e-mails,
    URLs) and groups and locations are keyed by their canonical key, so every
    bulletin that names them reaches the same node. A person is keyed by its
    mention id ``person:<bulletin>:<ref>`` unless an analyst confirmed a merge
    (:class:`~graph.merges.PersonMerges`). A bulletin node ``bulletin:<id>``
    also carries ``organisation``, ``reported_on`` and ``marking``.
Edges
    Keyed by relation type (``uses_account``, ``member_of``, ``recruited``,
    ``contacted``, ``travelled_to``, ``financed``, ``same_as``, and
    ``reported_in`` from an entity to its bulletin node), with ``type`` and
    ``reports``, a dict from bulletin id to the date the bulletin gives (or
    ``None``). Two bulletins stating the same relation make one edge with two
    reports. Organisations and markings of an edge come from its bulletins
    (:func:`edge_provenance`).
Graph attributes
    ``g.graph["bulletins"]`` maps bulletin ids to the :class:`~graph.model.Bulletin`
    records added, ``g.graph["version"]`` counts changes (use it as a cache key).

:func:`add_bulletin` and :func:`remove_bulletin` change the graph in place in
time proportional to the bulletin, not to the graph. :func:`readable_subgraph`
rebuilds a graph from the readable bulletins only, so nothing in it can come from
a bulletin outside the set: no node, edge, label, alias, date or count.

Examples
--------
>>> from datetime import date
>>> from graph.model import Bulletin, Entity, Provenance, Relation
>>> def bulletin(bid, org, handle):
...     return Bulletin(
...         Provenance(bid, org, date(2025, 1, 1), "TLP:AMBER"),
...         (Entity("p", "person", name="Abu X"),
...          Entity("a", "account", platform="telegram", handle=handle)),
...         (Relation("uses_account", "p", "a"),))
>>> g = build_graph([bulletin("B-1", "FR", "@abu_x"), bulletin("B-2", "DE", "t.me/ABU_X")])
>>> sorted(n for n, t in g.nodes(data="type") if t == "account")
['account:telegram:abu_x']
>>> sorted(node_bulletins(g, "account:telegram:abu_x"))
['B-1', 'B-2']
>>> fr = readable_subgraph(g, {"B-1"})
>>> sorted(node_bulletins(fr, "account:telegram:abu_x"))
['B-1']
"""

from __future__ import annotations

from collections.abc import Collection, Iterable
from dataclasses import dataclass
from datetime import date
from typing import Any, Final

import networkx as nx  # type: ignore[import-untyped]
import phonenumbers

from graph.merges import PersonMerges, person_mention_id
from graph.model import Bulletin, Entity, Provenance, RelationType
from graph.normalise import NotNormalisable, entity_key

__all__ = [
    "REPORTED_IN",
    "DuplicateBulletin",
    "EdgeProvenance",
    "Journey",
    "UnknownBulletin",
    "add_bulletin",
    "apply_merges",
    "build_graph",
    "edge_provenance",
    "graph_version",
    "new_graph",
    "node_bulletins",
    "node_of",
    "node_organisations",
    "readable_subgraph",
    "remove_bulletin",
]

REPORTED_IN: Final[str] = "reported_in"
"""Edge type from an entity to the node of a bulletin that names it."""

_REGIONS: Final[frozenset[str]] = frozenset(phonenumbers.SUPPORTED_REGIONS)


class DuplicateBulletin(ValueError):
    """The bulletin is already in the graph (remove it first to replace it)."""


class UnknownBulletin(KeyError):
    """No bulletin with that id is in the graph."""


@dataclass(frozen=True, slots=True)
class Journey:
    """A travel event as the graph keeps it: node ids instead of refs.

    ``traveller`` is the person's mention id (resolve it with :func:`node_of`,
    since merges can change the node); the stops are node ids.
    """

    bulletin_id: str
    traveller: str
    destination: str
    origin: str | None
    via: tuple[str, ...]
    on: date | None


@dataclass(frozen=True, slots=True)
class EdgeProvenance:
    """Who reported an edge: its bulletins, their organisations, markings and dates."""

    bulletin_ids: tuple[str, ...]
    organisations: tuple[str, ...]
    markings: tuple[str, ...]
    dates: tuple[date, ...]


def new_graph(*, merges: PersonMerges | None = None, bulletin_nodes: bool = True) -> Any:
    """An empty link graph.

    Parameters
    ----------
    merges : PersonMerges, optional
        Confirmed person merges to honour as bulletins are added.
    bulletin_nodes : bool
        Whether each bulletin becomes a node linked to the entities it names by
        ``reported_in`` edges (the default; analytics leave them out unless asked).

    Returns
    -------
    networkx.MultiDiGraph
    """
    g = nx.MultiDiGraph()
    g.graph.update(
        bulletins={},
        touched={},
        persons={},
        journeys={},
        merges=merges if merges is not None else PersonMerges(),
        bulletin_nodes=bulletin_nodes,
        version=0,
    )
    return g


def _ordered(bulletins: Iterable[Bulletin]) -> list[Bulletin]:
    # A fixed order makes node order, labels and so exports independent of arrival order.
    return sorted(bulletins, key=lambda b: (b.provenance.reported_on, b.bulletin_id))


def build_graph(
    bulletins: Iterable[Bulletin],
    *,
    merges: PersonMerges | None = None,
    bulletin_nodes: bool = True,
) -> Any:
    """A link graph of ``bulletins`` (see :func:`new_graph` for the options).

    Returns
    -------
    networkx.MultiDiGraph
    """
    g = new_graph(merges=merges, bulletin_nodes=bulletin_nodes)
    for bulletin in _ordered(bulletins):
        add_bulletin(g, bulletin)
    return g


def graph_version(g: Any) -> int:
    """A counter that changes whenever the graph does: a cache key for derived results."""
    return int(g.graph["version"])


def _identifier_label(key: str) -> str:
    kind, _, rest = key.partition(":")
    if kind == "account":
        platform, _, account = rest.partition(":")
        return f"{platform}: {account}"
    return rest


def _name_of(entity: Entity) -> str | None:
    return entity.name or next(iter(entity.all_names), None)


def _node_key(entity: Entity, provenance: Provenance) -> str:
    if entity.key is not None:
        return entity.key
    region = provenance.organisation if provenance.organisation in _REGIONS else None
    try:
        key = entity_key(entity, default_region=region)
    except NotNormalisable:
        # Still shown, never merged: the analyst sees the identifier as written.
        return f"{entity.type}:{provenance.bulletin_id}:{entity.ref}"
    assert key is not None  # noqa: S101 - persons are handled by the caller
    return key


def _person_node(g: Any, mention: str) -> str:
    """The node a person mention joins, relabelling its group's node if needed."""
    persons: dict[str, str] = g.graph["persons"]
    group = g.graph["merges"].group_of(mention)
    current = next((persons[m] for m in group if m in persons), None)
    if current is None:
        return mention
    if mention < current:
        _relabel_person(g, current, mention)
        return mention
    return current


def _relabel_person(g: Any, old: str, new: str) -> None:
    if old == new:
        return
    nx.relabel_nodes(g, {old: new}, copy=False)
    persons: dict[str, str] = g.graph["persons"]
    for mention in g.nodes[new]["members"]:
        persons[mention] = new
    touched: dict[str, frozenset[str]] = g.graph["touched"]
    for bid in g.nodes[new]["mentions"]:
        touched[bid] = (touched[bid] - {old}) | {new}


def _mention_rank(bulletins: dict[str, Bulletin], bid: str) -> tuple[date, str]:
    return (bulletins[bid].provenance.reported_on, bid)


def _refresh_label(g: Any, node: str) -> None:
    data = g.nodes[node]
    if data["type"] not in ("person", "group", "location"):
        return
    bulletins: dict[str, Bulletin] = g.graph["bulletins"]
    mentions: dict[str, tuple[Entity, ...]] = data["mentions"]
    for bid in sorted(mentions, key=lambda b: _mention_rank(bulletins, b)):
        for entity in mentions[bid]:
            name = _name_of(entity)
            if name:
                data["label"] = name
                return
    data["label"] = node


def _add_entity(g: Any, entity: Entity, provenance: Provenance) -> str:
    bid = provenance.bulletin_id
    if entity.type == "person":
        mention = person_mention_id(bid, entity.ref)
        node = _person_node(g, mention)
        g.graph["persons"][mention] = node
        if node in g:
            g.nodes[node]["members"].add(mention)
        else:
            g.add_node(node, members={mention})
    else:
        node = _node_key(entity, provenance)
    data = g._node.get(node)
    if data is None or "type" not in data:
        if entity.type in ("person", "group", "location"):
            label = _name_of(entity) or node
        else:
            label = _identifier_label(node)
        g.add_node(node, type=entity.type, label=label, mentions={bid: (entity,)})
        return node
    mentions = data["mentions"]
    mentions[bid] = (*mentions.get(bid, ()), entity)
    if len(mentions) > 1 and entity.type in ("person", "group", "location"):
        _refresh_label(g, node)
    return node


def _add_report(
    g: Any, source: str, target: str, kind: str, bulletin_id: str, on: date | None
) -> None:
    if source == target:
        return
    data = g._succ[source].get(target, {}).get(kind)
    if data is None:
        g.add_edge(source, target, key=kind, type=kind, reports={bulletin_id: on})
    elif bulletin_id not in data["reports"] or data["reports"][bulletin_id] is None:
        data["reports"][bulletin_id] = on


def add_bulletin(g: Any, bulletin: Bulletin) -> None:
    """Add one bulletin's entities, relations and journeys to ``g`` in place.

    Raises
    ------
    DuplicateBulletin
        When a bulletin with that id is already in the graph.
    """
    provenance = bulletin.provenance
    bid = provenance.bulletin_id
    bulletins: dict[str, Bulletin] = g.graph["bulletins"]
    if bid in bulletins:
        raise DuplicateBulletin(bid)
    bulletins[bid] = bulletin
    nodes = {entity.ref: _add_entity(g, entity, provenance) for entity in bulletin.entities}
    for relation in bulletin.relations:
        _add_report(
            g, nodes[relation.source], nodes[relation.target], relation.type, bid, relation.on
        )
    journeys = []
    for travel in bulletin.travels:
        traveller = nodes[travel.traveller]
        for stop in (*travel.via, travel.destination):
            _add_report(g, traveller, nodes[stop], "travelled_to", bid, travel.on)
        journeys.append(
            Journey(
                bid,
                person_mention_id(bid, travel.traveller),
                nodes[travel.destination],
                nodes[travel.origin] if travel.origin else None,
                tuple(nodes[v] for v in travel.via),
                travel.on,
            )
        )
    if journeys:
        g.graph["journeys"][bid] = journeys
    if g.graph["bulletin_nodes"]:
        bulletin_node = f"bulletin:{bid}"
        g.add_node(
            bulletin_node,
            type="bulletin",
            label=bid,
            mentions={},
            organisation=provenance.organisation,
            reported_on=provenance.reported_on,
            marking=provenance.marking,
        )
        for node in set(nodes.values()):
            _add_report(g, node, bulletin_node, REPORTED_IN, bid, provenance.reported_on)
    g.graph["touched"][bid] = frozenset(nodes.values())
    g.graph["version"] += 1


def remove_bulletin(g: Any, bulletin_id: str) -> None:
    """Take a bulletin out of ``g`` in place (retraction, expiry, lost release).

    Edges that only this bulletin reported disappear, and so do nodes that only
    it named; shared nodes and edges lose its reports, and labels are recomputed
    from the remaining bulletins.

    Raises
    ------
    UnknownBulletin
        When no bulletin with that id is in the graph.
    """
    bulletins: dict[str, Bulletin] = g.graph["bulletins"]
    if bulletin_id not in bulletins:
        raise UnknownBulletin(bulletin_id)
    touched: frozenset[str] = g.graph["touched"].pop(bulletin_id)
    g.graph["journeys"].pop(bulletin_id, None)
    persons: dict[str, str] = g.graph["persons"]
    bulletin = bulletins[bulletin_id]
    for entity in bulletin.entities:
        if entity.type == "person":
            mention = person_mention_id(bulletin_id, entity.ref)
            node = persons.pop(mention, None)
            if node is not None:
                g.nodes[node]["members"].discard(mention)
    if g.graph["bulletin_nodes"]:
        g.remove_node(f"bulletin:{bulletin_id}")
    for node in sorted(touched):
        edges = [
            *g.out_edges(node, keys=True, data="reports"),
            *g.in_edges(node, keys=True, data="reports"),
        ]
        for source, target, kind, reports in edges:
            if reports.pop(bulletin_id, "absent") != "absent" and not reports:
                g.remove_edge(source, target, key=kind)
        mentions = g.nodes[node]["mentions"]
        mentions.pop(bulletin_id, None)
        if not mentions:
            g.remove_node(node)
            continue
        if g.nodes[node]["type"] == "person":
            _relabel_person(g, node, min(g.nodes[node]["members"]))
    del bulletins[bulletin_id]
    for node in {persons.get(n, n) for n in touched}:
        if node in g:
            _refresh_label(g, node)
    g.graph["version"] += 1


def apply_merges(g: Any, merges: PersonMerges) -> None:
    """Make ``g`` honour a new set of confirmed merges, in place.

    Confirming joins person nodes; revoking splits them back. Only the bulletins
    that name an affected person are taken out and added again.
    """
    persons: dict[str, str] = g.graph["persons"]
    bulletins: dict[str, Bulletin] = g.graph["bulletins"]
    affected: set[str] = set()
    for bid, bulletin in bulletins.items():
        for entity in bulletin.entities:
            mention = person_mention_id(bid, entity.ref)
            if entity.type != "person" or mention not in persons:
                continue
            node = persons[mention]
            wanted = {m for m in merges.group_of(mention) if m in persons}
            if min(wanted) != node or wanted != g.nodes[node]["members"]:
                affected.add(bid)
    g.graph["merges"] = merges
    readd = [bulletins[bid] for bid in affected]
    for bulletin in readd:
        remove_bulletin(g, bulletin.bulletin_id)
    for bulletin in _ordered(readd):
        add_bulletin(g, bulletin)


def readable_subgraph(
    g: Any, bulletin_ids: Collection[str], *, merges: PersonMerges | None = None
) -> Any:
    """The graph as an organisation that can read ``bulletin_ids`` may see it.

    The result is built from those bulletins alone, so every node, edge, label,
    alias, date, count and id in it is explained by a readable bulletin. Ids not
    in ``g`` are ignored.

    Parameters
    ----------
    g : networkx.MultiDiGraph
        The graph of all bulletins (or any superset of the readable ones).
    bulletin_ids : collection of str
        What the organisation can read.
    merges : PersonMerges, optional
        The organisation's own confirmed merges. By default, ``g``'s merges
        between two readable mentions; a merge through an unreadable mention is
        dropped, since only that bulletin justifies it.

    Returns
    -------
    networkx.MultiDiGraph
        A new graph; ``g`` is not changed.
    """
    bulletins: dict[str, Bulletin] = g.graph["bulletins"]
    readable = [bulletins[bid] for bid in bulletin_ids if bid in bulletins]
    mentions = [
        person_mention_id(b.bulletin_id, e.ref)
        for b in readable
        for e in b.entities
        if e.type == "person"
    ]
    chosen = merges if merges is not None else g.graph["merges"]
    return build_graph(
        readable, merges=chosen.restricted_to(mentions), bulletin_nodes=g.graph["bulletin_nodes"]
    )


def node_of(g: Any, identifier: str) -> str | None:
    """The node for a node id, a canonical key or a person mention id, if present."""
    if identifier in g.graph["persons"]:
        return str(g.graph["persons"][identifier])
    return identifier if identifier in g else None


def node_bulletins(g: Any, node: str) -> frozenset[str]:
    """Ids of the bulletins that name ``node`` (or, for a bulletin node, itself)."""
    data = g.nodes[node]
    if data["type"] == "bulletin":
        return frozenset((str(data["label"]),))
    return frozenset(data["mentions"])


def node_organisations(g: Any, node: str) -> frozenset[str]:
    """Codes of the organisations whose bulletins name ``node``."""
    bulletins: dict[str, Bulletin] = g.graph["bulletins"]
    return frozenset(bulletins[b].provenance.organisation for b in node_bulletins(g, node))


def edge_provenance(g: Any, source: str, target: str, kind: RelationType | str) -> EdgeProvenance:
    """Bulletins, organisations, markings and dates behind one edge.

    Raises
    ------
    KeyError
        When there is no such edge.
    """
    reports: dict[str, date | None] = g.edges[source, target, kind]["reports"]
    bulletins: dict[str, Bulletin] = g.graph["bulletins"]
    provenances = [bulletins[b].provenance for b in sorted(reports)]
    return EdgeProvenance(
        bulletin_ids=tuple(p.bulletin_id for p in provenances),
        organisations=tuple(sorted({p.organisation for p in provenances})),
        markings=tuple(sorted({p.marking for p in provenances})),
        dates=tuple(sorted({d for d in reports.values() if d is not None})),
    )
