"""Suggestions that two person nodes may be the same person, with a score and reasons.

Names never merge nodes (:mod:`graph.normalise.names` explains why). This module
only *suggests*: each :class:`PersonMatch` carries a score from 0 to 1, the
evidence behind it and the mention ids an analyst's decision should record
(:class:`graph.merges.ConfirmedMerge`). Rejected pairs are passed back in so they
are not suggested again.

The score starts from the best :func:`~graph.normalise.name_similarity` between
any name, alias or transliteration of one node and any of the other, then
weighs the other evidence: the same date of birth raises it, a different one
lowers it sharply, a different nationality lowers it, and each account, phone,
e-mail address or URL both persons use raises it.

Run it on a readable subgraph: names, dates and shared identifiers then all
come from readable bulletins.

Examples
--------
>>> from datetime import date
>>> from graph.build import build_graph
>>> from graph.model import Bulletin, Entity, Provenance
>>> def report(bid, org, name):
...     return Bulletin(Provenance(bid, org, date(2025, 1, 1), "TLP:AMBER"),
...         (Entity("p", "person", name=name),))
>>> g = build_graph([report("B-1", "FR", "Abu Muhammad al-Adnani"),
...                  report("B-2", "DE", "أبو محمد العدناني"),
...                  report("B-3", "UK", "Abu Bakr al-Baghdadi")])
>>> [(m.first, m.second, m.score) for m in possible_same_person(g)]
[('person:B-1:p', 'person:B-2:p', 1.0)]
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Collection, Iterable
from dataclasses import dataclass
from itertools import combinations
from typing import Any, Final

from graph.build import person_mentions
from graph.model import Entity
from graph.normalise import name_similarity, name_skeleton

__all__ = ["DEFAULT_THRESHOLD", "PersonMatch", "possible_same_person"]

DEFAULT_THRESHOLD: Final[float] = 0.85
"""Scores below this are not suggested."""

_IDENTIFIER_TYPES: Final[frozenset[str]] = frozenset({"account", "phone", "email", "url"})
_BLOCK_LIMIT: Final[int] = 500  # a name word shared by more persons than this is no evidence


@dataclass(frozen=True, slots=True)
class PersonMatch:
    """A suggestion that person nodes ``first`` and ``second`` are one person.

    Attributes
    ----------
    first, second : str
        Node ids, ``first < second``.
    score : float
        From 0 to 1; suggestions have at least the threshold asked for.
    name_score : float
        The best name similarity alone.
    names : tuple of (str, str)
        The pair of names that scored best.
    reasons : tuple of str
        The other evidence, in words ("same date of birth 1981-05-02",
        "both use account:telegram:adnani_media").
    first_mentions, second_mentions : tuple of str
        Mention ids of each side, for the decision record.
    """

    first: str
    second: str
    score: float
    name_score: float
    names: tuple[str, str]
    reasons: tuple[str, ...]
    first_mentions: tuple[str, ...]
    second_mentions: tuple[str, ...]


def _entities(data: dict[str, Any]) -> list[Entity]:
    return [e for mentioned in data["mentions"].values() for e in mentioned]


def _names(entities: Iterable[Entity]) -> list[str]:
    return sorted({name for e in entities for name in e.all_names})


def _identifiers(g: Any, node: str) -> set[str]:
    around = (*g.successors(node), *g.predecessors(node))
    return {o for o in around if g.nodes[o]["type"] in _IDENTIFIER_TYPES}


def _candidate_pairs(persons: dict[str, list[str]], focus: str | None) -> set[tuple[str, str]]:
    blocks: dict[str, set[str]] = defaultdict(set)
    for node, names in persons.items():
        for name in names:
            for word in name_skeleton(name):
                if len(word) >= 3:
                    blocks[word].add(node)
            blocks[" ".join(sorted(name_skeleton(name)))].add(node)
    pairs: set[tuple[str, str]] = set()
    for members in blocks.values():
        if len(members) > _BLOCK_LIMIT:
            continue
        if focus is not None:
            if focus in members:
                pairs.update((min(focus, m), max(focus, m)) for m in members if m != focus)
            continue
        pairs.update(combinations(sorted(members), 2))
    return pairs


def _score(g: Any, first: str, second: str) -> tuple[float, float, tuple[str, str], list[str]]:
    a, b = _entities(g.nodes[first]), _entities(g.nodes[second])
    best, names = 0.0, ("", "")
    for left in _names(a):
        for right in _names(b):
            similarity = name_similarity(left, right)
            if similarity > best:
                best, names = similarity, (left, right)
    score, reasons = best, []
    births_a = {e.date_of_birth for e in a if e.date_of_birth}
    births_b = {e.date_of_birth for e in b if e.date_of_birth}
    if births_a and births_b:
        if births_a & births_b:
            score += 0.05
            reasons.append(f"same date of birth {min(births_a & births_b).isoformat()}")
        else:
            score *= 0.6
            reasons.append("different dates of birth")
    nations_a = {e.nationality.upper() for e in a if e.nationality}
    nations_b = {e.nationality.upper() for e in b if e.nationality}
    if nations_a and nations_b and not nations_a & nations_b:
        score *= 0.85
        reasons.append("different nationalities")
    shared = sorted(_identifiers(g, first) & _identifiers(g, second))
    for identifier in shared[:3]:
        score += 0.05
        reasons.append(f"both use {identifier}")
    return min(round(score, 4), 1.0), best, names, reasons


def possible_same_person(
    g: Any,
    *,
    person: str | None = None,
    threshold: float = DEFAULT_THRESHOLD,
    rejected: Collection[frozenset[str]] = (),
    limit: int | None = None,
) -> list[PersonMatch]:
    """Pairs of person nodes that may be the same person, best first.

    Parameters
    ----------
    g : networkx.MultiDiGraph
        A readable subgraph.
    person : str, optional
        Only suggestions involving this node.
    threshold : float
        Lowest score suggested.
    rejected : collection of frozenset of str
        Pairs of mention ids an analyst rejected; a pair of nodes is skipped
        when any mention of one was rejected against any mention of the other.
    limit : int, optional
        At most this many suggestions.

    Returns
    -------
    list of PersonMatch
        Highest score first, ties by node ids.
    """
    persons = {
        node: _names(_entities(data))
        for node, data in g.nodes(data=True)
        if data["type"] == "person"
    }
    refused = {frozenset(pair) for pair in rejected}
    found: list[PersonMatch] = []
    for first, second in _candidate_pairs(persons, person):
        mentions_a = tuple(sorted(person_mentions(g, first)))
        mentions_b = tuple(sorted(person_mentions(g, second)))
        if any(frozenset((x, y)) in refused for x in mentions_a for y in mentions_b):
            continue
        score, name_score, names, reasons = _score(g, first, second)
        if score >= threshold:
            found.append(
                PersonMatch(
                    first, second, score, name_score, names, tuple(reasons), mentions_a, mentions_b
                )
            )
    found.sort(key=lambda m: (-m.score, m.first, m.second))
    return found if limit is None else found[:limit]
