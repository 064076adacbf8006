"""Finding nodes by anything an analyst may type: a URL, a handle, a number, a name in any script.

The query is tried as each kind of identifier (an account URL or ``@handle``,
a phone number, an e-mail address, a URL) and as a name. Identifier hits are
exact (score 1); name hits are scored by :func:`~graph.normalise.name_similarity`
against every name, alias and transliteration of person, group and location
nodes, and by prefix on the folded label, so typing in progress finds too.

The name index is built on the first search and cached per graph and
:func:`~graph.build.graph_version`. Search a readable subgraph, never the full
graph: a hit is a node, and a node is disclosure.

Examples
--------
>>> from datetime import date
>>> from graph.build import build_graph
>>> from graph.model import Bulletin, Entity, Provenance, Relation
>>> g = build_graph([Bulletin(Provenance("B-1", "FR", date(2025, 1, 1), "TLP:AMBER"),
...     (Entity("p", "person", name="Abu Muhammad al-Adnani"),
...      Entity("a", "account", url="https://t.me/adnani_media")),
...     (Relation("uses_account", "p", "a"),))])
>>> [h.node for h in find_nodes(g, "أبو محمد العدناني")]
['person:B-1:p']
>>> [h.node for h in find_nodes(g, "@Adnani_Media")]
['account:telegram:adnani_media']
"""

from __future__ import annotations

import threading
import weakref
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Final

from graph.build import graph_version
from graph.labels import display_label
from graph.normalise import (
    NotNormalisable,
    account_key,
    email_key,
    fold_name,
    name_key,
    name_similarity,
    name_skeleton,
    phone_key,
    url_key,
)

__all__ = ["HitGroup", "SearchHit", "find_nodes", "group_hits"]

_NAMED: Final[frozenset[str]] = frozenset({"person", "group", "location"})


@dataclass(frozen=True, slots=True)
class SearchHit:
    """A node matching a query, how well (0 to 1), and the name or key that matched."""

    node: str
    type: str
    label: str
    score: float
    matched: str


@dataclass(frozen=True, slots=True)
class _NameIndex:
    names: dict[str, tuple[str, ...]]
    words: dict[str, frozenset[str]]
    folded: dict[str, tuple[str, ...]]
    handles: dict[str, frozenset[str]]


_indexes: weakref.WeakKeyDictionary[Any, tuple[int, _NameIndex]] = weakref.WeakKeyDictionary()
_lock = threading.Lock()


def _build_index(g: Any) -> _NameIndex:
    names: dict[str, tuple[str, ...]] = {}
    words: dict[str, set[str]] = defaultdict(set)
    folded: dict[str, tuple[str, ...]] = {}
    handles: dict[str, set[str]] = defaultdict(set)
    for node, data in g.nodes(data=True):
        if data["type"] == "account":
            handles[node.rsplit(":", 1)[-1]].add(node)
            continue
        if data["type"] not in _NAMED:
            continue
        all_names = sorted(
            {n for ents in data["mentions"].values() for e in ents for n in e.all_names}
        )
        names[node] = tuple(all_names)
        folded[node] = tuple(fold_name(n) for n in all_names)
        for name in all_names:
            for word in name_skeleton(name):
                words[word].add(node)
    return _NameIndex(
        names,
        {w: frozenset(n) for w, n in words.items()},
        folded,
        {h: frozenset(n) for h, n in handles.items()},
    )


def _index(g: Any) -> _NameIndex:
    version = graph_version(g)
    with _lock:
        cached = _indexes.get(g)
    if cached is not None and cached[0] == version:
        return cached[1]
    index = _build_index(g)
    with _lock:
        _indexes[g] = (version, index)
    return index


def _identifier_keys(query: str, default_region: str | None) -> set[str]:
    keys: set[str] = set()
    attempts: tuple[Callable[[], str], ...] = (
        lambda: account_key(query),
        lambda: phone_key(query, default_region),
        lambda: email_key(query),
        lambda: url_key(query),
    )
    for attempt in attempts:
        try:
            keys.add(attempt())
        except NotNormalisable:
            continue
    return keys


def find_nodes(
    g: Any,
    query: str,
    *,
    limit: int = 20,
    min_score: float = 0.75,
    default_region: str | None = None,
) -> list[SearchHit]:
    """Nodes of ``g`` that match ``query``, best first.

    Parameters
    ----------
    g : networkx.MultiDiGraph
        A readable subgraph.
    query : str
        A URL, ``@handle``, phone number, e-mail address, node id or name.
    limit : int
        At most this many hits.
    min_score : float
        Lowest name similarity returned (prefix hits score 0.8).
    default_region : str, optional
        Country of a phone number typed without its international prefix.

    Returns
    -------
    list of SearchHit
        Highest score first, ties by node id.
    """
    query = query.strip()
    if not query:
        return []
    hits: dict[str, SearchHit] = {}

    def hit(node: str, score: float, matched: str) -> None:
        if node not in g:
            return
        current = hits.get(node)
        if current is None or score > current.score:
            data = g.nodes[node]
            label = display_label(node, data)
            hits[node] = SearchHit(node, str(data["type"]), label, score, matched)

    hit(query, 1.0, query)
    for key in _identifier_keys(query, default_region):
        hit(key, 1.0, key)
    index = _index(g)
    handle = query.lstrip("@").casefold()
    for node in index.handles.get(handle, frozenset()):
        hit(node, 1.0, node)
    skeleton = name_skeleton(query)
    candidates: set[str] = set()
    for word in skeleton:
        candidates |= index.words.get(word, frozenset())
    for node in sorted(candidates):
        for name in index.names[node]:
            score = name_similarity(query, name)
            if score >= min_score:
                hit(node, score, name)
    prefix = fold_name(query)
    if len(prefix) >= 3:
        for node, folded in index.folded.items():
            for name, original in zip(folded, index.names[node], strict=True):
                if name.startswith(prefix) or f" {prefix}" in name:
                    hit(node, 0.8, original)
    return sorted(hits.values(), key=lambda h: (-h.score, h.node))[:limit]


@dataclass(frozen=True, slots=True)
class HitGroup:
    """Search hits that are spelling variants of one name, shown as one result.

    ``nodes`` are the grouped nodes, best hit first; ``variants`` the distinct labels
    (spellings) in that order; ``score`` the best hit's. Persons stay separate nodes
    (a name never merges them): the group only stops ten "Omar/Umar al-Bahhazi" from
    filling the list, and the analyst opens each one.
    """

    nodes: tuple[str, ...]
    type: str
    label: str
    variants: tuple[str, ...]
    score: float


def _spelling(hit: SearchHit) -> tuple[str, str]:
    if hit.type not in _NAMED:
        return hit.type, hit.node
    try:
        return hit.type, name_key(hit.label)
    except NotNormalisable:
        return hit.type, hit.node


def group_hits(hits: list[SearchHit]) -> list[HitGroup]:
    """Hits of the same type whose labels are spellings of one name, grouped, best first.

    Spellings are one name when they romanise to the same skeleton
    (:func:`graph.normalise.name_key`: "Omar al-Bahhazi", "Umar al-Bahhazi" and
    "عمر البهازي" are one; "Omar al-Baghdadi" is another). Identifiers are never grouped.

    >>> hits = [SearchHit("person:B-1:p", "person", "Omar al-Bahhazi", 1.0, ""),
    ...         SearchHit("person:B-2:p", "person", "Umar al-Bahhazi", 1.0, ""),
    ...         SearchHit("person:B-3:p", "person", "Omar al-Bahhazi", 0.9, ""),
    ...         SearchHit("person:B-4:p", "person", "Omar al-Baghdadi", 0.8, "")]
    >>> for group in group_hits(hits):
    ...     print(group.label, group.variants, len(group.nodes))
    Omar al-Bahhazi ('Omar al-Bahhazi', 'Umar al-Bahhazi') 3
    Omar al-Baghdadi ('Omar al-Baghdadi',) 1
    """
    groups: dict[tuple[str, str], list[SearchHit]] = {}
    for hit in hits:
        groups.setdefault(_spelling(hit), []).append(hit)
    found = []
    for members in groups.values():
        variants = tuple(dict.fromkeys(h.label for h in members))
        best = members[0]
        found.append(
            HitGroup(tuple(h.node for h in members), best.type, best.label, variants, best.score)
        )
    return found
