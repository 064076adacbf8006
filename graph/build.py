"""Building the link graph from bulletins, incrementally, and filtering it by readability.

The graph is a plain :class:`networkx.MultiDiGraph`; the portal programs against it.

Nodes
    ``type`` (``person``, ``account``, ``group``, ``phone``, ``email``, ``url``,
    ``location``, ``bulletin``), ``label`` (for display), ``mentions``, a
    dict from bulletin id to the :class:`~graph.model.Entity` records of that
    bulletin that became this node (a non-person node shares one record between
    bulletins that wrote it the same way, whatever their refs), and ``sources``,
    the sorted organisations and markings of those bulletins (:func:`node_organisations`,
    :func:`node_markings`). Identifiers (accounts, phones, e-mails,
    URLs) and groups and locations are keyed by their canonical key, so every
    bulletin that names them reaches the same node. A person is keyed by its
    mention id ``person:<bulletin>:<ref>`` unless an analyst confirmed a merge
    (:class:`~graph.merges.PersonMerges`). A bulletin node ``bulletin:<id>``
    also carries ``organisation``, ``reported_on`` and ``marking``.
Edges
    Keyed by relation type (``uses_account``, ``uses_phone``, ``uses_email``, ``member_of``,
    ``recruited``, ``contacted``, ``travelled_to``, ``financed``, ``same_as``, and
    ``reported_in`` from an entity to its bulletin node), with ``type`` and
    ``reports``, a flat tuple ``(bulletin id, date or None, bulletin id, date
    or None, ...)`` sorted by bulletin id — flat because millions of edges each
    saving a nested tuple is a quarter of a gigabyte; :func:`edge_reports`
    gives it as a dict. Two bulletins
    stating the same relation make one edge with two reports. Organisations
    and markings of an edge come from its bulletins (:func:`edge_provenance`).
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

import gc
from collections.abc import Callable, Collection, Iterable, Mapping
from dataclasses import dataclass
from datetime import date
from typing import Any, Final

import networkx as nx  # type: ignore[import-untyped]
import phonenumbers

from graph.merges import PersonMerges, person_mention_id
from graph.model import Bulletin, Entity, InvalidBulletin, Provenance, RelationType
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
    "edge_reports",
    "graph_version",
    "new_graph",
    "node_bulletins",
    "node_markings",
    "node_of",
    "node_organisations",
    "node_provenance",
    "person_mentions",
    "readable_subgraph",
    "remove_bulletin",
]

REPORTED_IN: Final[str] = "reported_in"
"""Edge type from an entity to the node of a bulletin that names it."""

_REGIONS: Final[frozenset[str]] = frozenset(phonenumbers.SUPPORTED_REGIONS)
_NAMED_TYPES: Final[frozenset[str]] = frozenset({"person", "group", "location"})
_ABSENT: Final[object] = object()


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


def new_graph(
    *,
    merges: PersonMerges | None = None,
    bulletin_nodes: bool = True,
    keep_records: bool = True,
) -> Any:
    """An empty link graph.

    Parameters
    ----------
    merges : PersonMerges, optional
        Confirmed person merges to honour as bulletins are added.
    bulletin_nodes : bool
        Whether each bulletin becomes a node linked to the entities it names by
        ``reported_in`` edges (the default; analytics leave them out unless asked).
    keep_records : bool
        Whether ``g.graph["bulletins"]`` keeps each bulletin whole (the default). Without,
        it keeps only each bulletin's provenance and person entities, what queries and
        removal need; relations live in the edges alone, and :func:`apply_merges` reads
        the bulletins it re-adds back from its ``reload`` (the portal's database). A
        fifth of the memory of a large graph.

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
        keep_records=keep_records,
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
    keep_records: bool = True,
) -> Any:
    """A link graph of ``bulletins`` (see :func:`new_graph` for the options).

    Returns
    -------
    networkx.MultiDiGraph
    """
    g = new_graph(merges=merges, bulletin_nodes=bulletin_nodes, keep_records=keep_records)
    # Millions of new dicts would trigger the cycle collector over and over, each time
    # scanning the whole graph built so far; nothing here creates cycles.
    collecting = gc.isenabled()
    gc.disable()
    try:
        for bulletin in _ordered(bulletins):
            add_bulletin(g, bulletin)
    finally:
        if collecting:
            gc.enable()
    return g


def graph_version(g: Any) -> int:
    """A counter that changes whenever the graph does: a cache key for derived results."""
    return int(g.graph["version"])


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
    if key is None:  # only persons have no key, and the caller handles them
        raise InvalidBulletin(f"entity {entity.ref} of type {entity.type} has no key")
    return key


def _person_node(g: Any, mention: str) -> str:
    """The node a person mention joins, relabelling its group's node if needed."""
    persons: dict[str, str] = g.graph["persons"]
    merges: PersonMerges = g.graph["merges"]
    if not merges.involves(mention):
        return mention
    group = merges.group_of(mention)
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
    for mention in person_mentions(g, new):
        persons[mention] = new
    touched: dict[str, tuple[str, ...]] = g.graph["touched"]
    for bid in g.nodes[new]["mentions"]:
        nodes = touched.get(bid)
        if nodes is not None:  # None: the bulletin being added, recorded when it is complete
            touched[bid] = tuple(dict.fromkeys([*(n for n in nodes if n != old), new]))


_SOURCES: dict[
    tuple[tuple[str, ...], tuple[str, ...]], tuple[tuple[str, ...], tuple[str, ...]]
] = {}


def _intern_sources(
    organisations: Iterable[str], markings: Iterable[str]
) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """One shared ``(organisations, markings)`` tuple per combination: a pointer per node."""
    key = (tuple(sorted(set(organisations))), tuple(sorted(set(markings))))
    return _SOURCES.setdefault(key, key)


def _as_written(mentions: dict[str, tuple[Entity, ...]], entity: Entity) -> tuple[Entity, ...]:
    """What a non-person node keeps of a new bulletin's mention: ``(entity,)``, or the previous
    mention's tuple when that wrote the node the same way.

    Most bulletins write an account, a phone or a group as the last one did; sharing that
    record saves an entity and a tuple per mention (a third of the graph's memory at scale).
    Only persons need their own record, whose ref makes the mention id.
    """
    last = next(reversed(mentions.values()), None)
    if last is None or len(last) != 1:
        return (entity,)
    was = last[0]
    # Every field but the ref, the likeliest to differ first: this runs once per mention.
    if (
        was.name == entity.name
        and was.value == entity.value
        and was.handle == entity.handle
        and was.platform == entity.platform
        and was.url == entity.url
        and was.key == entity.key
        and was.type == entity.type
        and was.aliases == entity.aliases
        and was.transliterations == entity.transliterations
        and was.nationality == entity.nationality
        and was.date_of_birth == entity.date_of_birth
        and was.role == entity.role
    ):
        return last
    return (entity,)


def _mention_rank(bulletins: dict[str, Bulletin], bid: str) -> tuple[date, str]:
    return (bulletins[bid].provenance.reported_on, bid)


def _refresh_label(g: Any, node: str) -> None:
    """Label a named node by the first name in its earliest bulletin, whatever the arrival order."""
    data = g.nodes[node]
    if data["type"] not in _NAMED_TYPES:
        return
    bulletins: dict[str, Bulletin] = g.graph["bulletins"]
    mentions: dict[str, tuple[Entity, ...]] = data["mentions"]
    for bid in sorted(mentions, key=lambda b: _mention_rank(bulletins, b)):
        for entity in mentions[bid]:
            name = _name_of(entity)
            if name:
                data["label"], data["label_from"] = name, bid
                return
    data["label"], data["label_from"] = node, None


_Sources = tuple[tuple[str, ...], tuple[str, ...]]
_SOURCE_STEPS: dict[tuple[int, str, str], _Sources] = {}


def _sources_with(sources: _Sources, provenance: Provenance) -> _Sources:
    # Interned tuples live as long as the module, so their id() is a stable, cheap key.
    step = (id(sources), provenance.organisation, provenance.marking)
    found = _SOURCE_STEPS.get(step)
    if found is None:
        organisations, markings = sources
        found = _intern_sources(
            (*organisations, provenance.organisation), (*markings, provenance.marking)
        )
        _SOURCE_STEPS[step] = found
    return found


def _new_node(g: Any, node: str, attributes: dict[str, Any]) -> None:
    # What MultiDiGraph.add_node does for a new node, without its per-call checks:
    # the builder adds hundreds of thousands of nodes per second.
    g._node[node] = attributes
    g._succ[node] = {}
    g._pred[node] = {}


def _add_entity(g: Any, entity: Entity, provenance: Provenance) -> str:
    bid = provenance.bulletin_id
    kind = entity.type
    named = kind in _NAMED_TYPES
    if kind == "person":
        mention = person_mention_id(bid, entity.ref)
        node = _person_node(g, mention)
        g.graph["persons"][mention] = node
    else:
        node = _node_key(entity, provenance)
    data = g._node.get(node)
    if data is None:
        attributes: dict[str, Any] = {
            "type": kind,
            "mentions": {bid: (entity,)},
            "sources": _intern_sources((provenance.organisation,), (provenance.marking,)),
        }
        if named:
            name = _name_of(entity)
            attributes["label"] = name or node
            attributes["label_from"] = bid if name else None
        else:
            attributes["label"] = node  # the key names it best, and costs no new string
        _new_node(g, node, attributes)
        return node
    mentions = data["mentions"]
    previous = mentions.get(bid)
    if previous is not None:
        mentions[bid] = (*previous, entity)
    elif kind == "person":
        mentions[bid] = (entity,)
    else:
        mentions[bid] = _as_written(mentions, entity)
    data["sources"] = _sources_with(data["sources"], provenance)
    if named:
        name = _name_of(entity)
        current = data["label_from"]
        if name and (
            current is None
            or _mention_rank(g.graph["bulletins"], bid)
            < _mention_rank(g.graph["bulletins"], current)
        ):
            data["label"], data["label_from"] = name, bid
    return node


def _add_report(
    g: Any, source: str, target: str, kind: str, bulletin_id: str, on: date | None
) -> None:
    """Record that a bulletin states ``kind`` from ``source`` to ``target`` (both nodes exist)."""
    if source == target:
        return
    around = g._succ[source]
    keydict = around.get(target)
    if keydict is None:
        # What MultiDiGraph.add_edge does, without its per-call checks. One edge per
        # (source, target, type); a sorted tuple of (bulletin, date) pairs is the smallest
        # record of its reports, which matters at millions of edges.
        keydict = {kind: {"type": kind, "reports": (bulletin_id, on)}}
        around[target] = keydict
        g._pred[target][source] = keydict
        return
    data = keydict.get(kind)
    if data is None:
        keydict[kind] = {"type": kind, "reports": (bulletin_id, on)}
        return
    reports = edge_reports(data)
    if reports.get(bulletin_id) is None:
        reports[bulletin_id] = on
        data["reports"] = _flat_reports(reports)


def edge_reports(data: Mapping[str, Any]) -> dict[str, date | None]:
    """The reports of an edge, from its attribute dict: bulletin id → date given (or ``None``)."""
    flat = data["reports"]
    return dict(zip(flat[::2], flat[1::2], strict=True))


def _flat_reports(reports: dict[str, date | None]) -> tuple[str | date | None, ...]:
    return tuple(item for pair in sorted(reports.items()) for item in pair)


def _slim(bulletin: Bulletin) -> Bulletin:
    """What a graph without whole records keeps of a bulletin: provenance and persons."""
    return Bulletin(bulletin.provenance, tuple(e for e in bulletin.entities if e.type == "person"))


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
    bulletins[bid] = bulletin if g.graph["keep_records"] else _slim(bulletin)
    # The common case — an identifier already in the graph, a relation not yet in it — is
    # inlined here with local names: this loop is most of the time of building a graph.
    attributes_of = g._node
    succ, pred = g._succ, g._pred
    fresh = _intern_sources((provenance.organisation,), (provenance.marking,))
    nodes: dict[str, str] = {}
    persons: dict[str, str] = g.graph["persons"]
    merges: PersonMerges = g.graph["merges"]
    steps: dict[int, _Sources] = {}  # this bulletin's source added to each combination seen
    for entity in bulletin.entities:
        key = entity.key
        if entity.type == "person" and not merges:
            # A person mention with no confirmed merge is a node of its own.
            mention = f"person:{bid}:{entity.ref}"
            if mention not in attributes_of:
                persons[mention] = mention
                name = _name_of(entity)
                attributes_of[mention] = {
                    "type": "person",
                    "mentions": {bid: (entity,)},
                    "sources": fresh,
                    "label": name or mention,
                    "label_from": bid if name else None,
                }
                succ[mention] = {}
                pred[mention] = {}
                nodes[entity.ref] = mention
                continue
        data = None if key is None or entity.type in _NAMED_TYPES else attributes_of.get(key)
        if data is None:
            nodes[entity.ref] = _add_entity(g, entity, provenance)
            continue
        mentions = data["mentions"]
        previous = mentions.get(bid)
        mentions[bid] = _as_written(mentions, entity) if previous is None else (*previous, entity)
        sources = data["sources"]
        if sources is not fresh:
            grown = steps.get(id(sources))
            if grown is None:
                grown = steps[id(sources)] = _sources_with(sources, provenance)
            data["sources"] = grown
        nodes[entity.ref] = str(key)
    if merges:
        # A later mention of this bulletin may have joined an earlier one's merge group and
        # renamed its node: resolve every person ref to the node it belongs to now.
        for entity in bulletin.entities:
            if entity.type == "person":
                nodes[entity.ref] = persons[person_mention_id(bid, entity.ref)]
    # Relations of one bulletin with the same date share one (immutable) reports tuple.
    shared: dict[date | None, tuple[str, date | None]] = {}
    for relation in bulletin.relations:
        source, target = nodes[relation.source], nodes[relation.target]
        kind: str = relation.type
        around = succ[source]
        if target not in around and source != target:
            reports = shared.get(relation.on)
            if reports is None:
                reports = shared[relation.on] = (bid, relation.on)
            keydict = {kind: {"type": kind, "reports": reports}}
            around[target] = keydict
            pred[target][source] = keydict
        else:
            _add_report(g, source, target, kind, bid, relation.on)
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
        _new_node(
            g,
            bulletin_node,
            {
                "type": "bulletin",
                "label": bid,
                "mentions": {},
                "sources": _intern_sources((provenance.organisation,), (provenance.marking,)),
                "organisation": provenance.organisation,
                "reported_on": provenance.reported_on,
                "marking": provenance.marking,
            },
        )
        reported = (bid, provenance.reported_on)
        for node in set(nodes.values()):
            to_bulletin = {REPORTED_IN: {"type": REPORTED_IN, "reports": reported}}
            succ[node][bulletin_node] = to_bulletin
            pred[bulletin_node][node] = to_bulletin
    # A tuple, not a set: a third of the memory, for tens of thousands of bulletins.
    g.graph["touched"][bid] = tuple(dict.fromkeys(nodes.values()))
    g.graph["version"] += 1
    # NetworkX keeps converted copies for its dispatch backends; they are stale now.
    nx.utils.misc._clear_cache(g)


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
    touched: tuple[str, ...] = g.graph["touched"].pop(bulletin_id)
    g.graph["journeys"].pop(bulletin_id, None)
    persons: dict[str, str] = g.graph["persons"]
    bulletin = bulletins[bulletin_id]
    for entity in bulletin.entities:
        if entity.type == "person":
            mention = person_mention_id(bulletin_id, entity.ref)
            persons.pop(mention, None)
    if g.graph["bulletin_nodes"]:
        g.remove_node(f"bulletin:{bulletin_id}")
    renamed: dict[str, str] = {}  # a merged person's node takes its smallest remaining mention
    named = set(touched)
    for node in sorted(touched):
        # An edge the bulletin reported joins two nodes it named: look only between those,
        # not along every edge of a hub (tens of thousands in a large graph).
        out, into = g._succ[node], g._pred[node]
        pairs = [(node, other) for other in _among(out, named)]
        pairs += [(other, node) for other in _among(into, named)]
        for source, target in pairs:
            for kind, data in list(g._succ[source].get(target, {}).items()):
                reports = edge_reports(data)
                if reports.pop(bulletin_id, _ABSENT) is _ABSENT:
                    continue
                if reports:
                    data["reports"] = _flat_reports(reports)
                else:
                    g.remove_edge(source, target, key=kind)
        mentions = g.nodes[node]["mentions"]
        mentions.pop(bulletin_id, None)
        if not mentions:
            g.remove_node(node)
            continue
        provenances = [bulletins[b].provenance for b in mentions]
        g.nodes[node]["sources"] = _intern_sources(
            (p.organisation for p in provenances), (p.marking for p in provenances)
        )
        if g.nodes[node]["type"] == "person":
            renamed[node] = min(person_mentions(g, node))
            _relabel_person(g, node, renamed[node])
    del bulletins[bulletin_id]
    for node in {renamed.get(n) or persons.get(n, n) for n in touched}:
        if node in g:
            _refresh_label(g, node)
    g.graph["version"] += 1


def _among(adjacency: Mapping[str, Any], nodes: set[str]) -> list[str]:
    """The neighbours in ``adjacency`` that are in ``nodes``, walking the smaller of the two."""
    if len(adjacency) <= len(nodes):
        return [n for n in adjacency if n in nodes]
    return [n for n in nodes if n in adjacency]


def apply_merges(
    g: Any,
    merges: PersonMerges,
    reload: Callable[[list[str]], Iterable[Bulletin]] | None = None,
) -> None:
    """Make ``g`` honour a new set of confirmed merges, in place.

    Confirming joins person nodes; revoking splits them back. Only the bulletins
    that name an affected person are taken out and added again.

    Parameters
    ----------
    reload : callable, optional
        Given bulletin ids, the bulletins again, whole; required when ``g`` does not keep
        whole records (see :func:`new_graph`). A bulletin it no longer returns stays out.

    Raises
    ------
    ValueError
        When ``g`` keeps no whole records, a merge changes, and no ``reload`` was given.
    """
    persons: dict[str, str] = g.graph["persons"]
    bulletins: dict[str, Bulletin] = g.graph["bulletins"]
    nodes = g._node
    affected: set[str] = set()
    for mention, node in persons.items():
        held: dict[str, tuple[Entity, ...]] = nodes[node]["mentions"]
        if node == mention and not merges.involves(mention):
            if len(held) == 1 and len(next(iter(held.values()))) == 1:
                continue  # alone on its own node, and no merge wants otherwise: the fast case
        wanted = {m for m in merges.group_of(mention) if m in persons}
        if min(wanted) != node or wanted != person_mentions(g, node):
            affected.update(
                bid
                for bid, entities in held.items()
                if any(person_mention_id(bid, e.ref) == mention for e in entities)
            )
    g.graph["merges"] = merges
    if not affected:
        return
    if g.graph["keep_records"]:
        readd = [bulletins[bid] for bid in affected]
    elif reload is None:
        raise ValueError("this graph keeps no whole bulletins: apply_merges needs reload")
    else:
        readd = [b for b in reload(sorted(affected)) if b.bulletin_id in affected]
    for bid in sorted(affected):
        remove_bulletin(g, bid)
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

    Raises
    ------
    ValueError
        When ``g`` keeps no whole bulletins (``keep_records=False``).
    """
    bulletins: dict[str, Bulletin] = g.graph["bulletins"]
    readable = [bulletins[bid] for bid in bulletin_ids if bid in bulletins]
    mentions = [
        person_mention_id(b.bulletin_id, e.ref)
        for b in readable
        for e in b.entities
        if e.type == "person"
    ]
    if not g.graph["keep_records"]:
        raise ValueError("this graph keeps no whole bulletins: build from the readable ones")
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


def node_provenance(g: Any, node: str) -> tuple[Provenance, ...]:
    """The bulletins behind ``node`` (who, when, which marking), oldest first.

    What the analyst opens from a node; for an edge, see :func:`edge_provenance`.
    """
    bulletins: dict[str, Bulletin] = g.graph["bulletins"]
    found = [bulletins[bid].provenance for bid in node_bulletins(g, node)]
    return tuple(sorted(found, key=lambda p: (p.reported_on, p.bulletin_id)))


def node_organisations(g: Any, node: str) -> frozenset[str]:
    """Codes of the organisations whose bulletins name ``node``."""
    return frozenset(g.nodes[node]["sources"][0])


def node_markings(g: Any, node: str) -> frozenset[str]:
    """TLP markings of the bulletins that name ``node``."""
    return frozenset(g.nodes[node]["sources"][1])


def person_mentions(g: Any, node: str) -> frozenset[str]:
    """Mention ids (``person:<bulletin>:<ref>``) that make up person node ``node``."""
    mentions: dict[str, tuple[Entity, ...]] = g.nodes[node]["mentions"]
    return frozenset(person_mention_id(bid, e.ref) for bid, ents in mentions.items() for e in ents)


def edge_provenance(g: Any, source: str, target: str, kind: RelationType | str) -> EdgeProvenance:
    """Bulletins, organisations, markings and dates behind one edge.

    Raises
    ------
    KeyError
        When there is no such edge.
    """
    reports = edge_reports(g.edges[source, target, kind])
    bulletins: dict[str, Bulletin] = g.graph["bulletins"]
    provenances = [bulletins[b].provenance for b in sorted(reports)]
    return EdgeProvenance(
        bulletin_ids=tuple(p.bulletin_id for p in provenances),
        organisations=tuple(sorted({p.organisation for p in provenances})),
        markings=tuple(sorted({p.marking for p in provenances})),
        dates=tuple(sorted({d for d in reports.values() if d is not None})),
    )
