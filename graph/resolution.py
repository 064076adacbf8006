"""Suggestions that two person nodes may be the same person, with a score and reasons.

Names never merge nodes (:mod:`graph.normalise.names` explains why). This module
only *suggests*: each :class:`PersonMatch` carries a score from 0 to 1, the
evidence behind it and the mention ids an analyst's decision should record
(:class:`graph.merges.ConfirmedMerge`). Rejected pairs are passed back in so they
are not suggested again.

A pair is suggested when the best :func:`~graph.normalise.name_similarity` between
any name, alias or transliteration of one node and any of the other reaches the
threshold, once contradicting evidence (a different date of birth, a different
nationality) has lowered it. Suggestions are then ranked by ``score``, which the
name alone lifts to at most 0.6 and the evidence does the rest: the same date of
birth, the same nationality, each account, phone, e-mail address or URL both use,
each person, group or place both are linked to (co-mentions) raise it; a different
date of birth or nationality lowers it. Ten spellings of one name thus no longer
all score 1: the reasons say what separates them.

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
>>> [(m.first, m.second, m.name_score, m.score) for m in possible_same_person(g)]
[('person:B-1:p', 'person:B-2:p', 1.0, 0.6)]
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Collection, Iterable
from dataclasses import dataclass
from itertools import combinations
from typing import Any, Final

from graph.build import person_mentions
from graph.labels import display_label
from graph.model import Entity
from graph.normalise import name_similarity, name_skeleton

__all__ = [
    "DEFAULT_THRESHOLD",
    "SCORE_EXPLAINED",
    "PersonMatch",
    "name_reason",
    "possible_same_person",
]

DEFAULT_THRESHOLD: Final[float] = 0.85
"""Scores below this are not suggested."""

_IDENTIFIER_TYPES: Final[frozenset[str]] = frozenset({"account", "phone", "email", "url"})
_ASSOCIATE_TYPES: Final[frozenset[str]] = frozenset({"person", "group", "location"})
_BLOCK_LIMIT: Final[int] = 500  # a name word shared by more persons than this is no evidence
# The ranking score: at most 0.6 from the name, the rest from evidence (up to 1 in all).
_NAME_WEIGHT: Final[float] = 0.6
_SAME_BIRTH: Final[float] = 0.15
_DIFFERENT_BIRTH: Final[float] = -0.2
_SAME_NATIONALITY: Final[float] = 0.05
_DIFFERENT_NATIONALITY: Final[float] = -0.05
_SHARED_IDENTIFIER: Final[float] = 0.05  # each, up to three
_CO_MENTION: Final[float] = 0.025  # each person, group or place both are linked to, up to two

SCORE_EXPLAINED: Final[str] = (
    "Score from 0 to 1: the name gives at most 0.6; the same date of birth or nationality, "
    "each shared account, phone, e-mail or URL and each contact in common raise it; "
    "a different date of birth or nationality lowers it."
)
"""What :attr:`PersonMatch.score` means, in one line, for whoever reads it."""


def name_reason(names: tuple[str, str]) -> str:
    """The name evidence of a match in words: identical names are said to be so.

    >>> name_reason(("Hasan Al Ghatufi", "Hasan Al Ghatufi"))
    'same name as written: Hasan Al Ghatufi'
    >>> name_reason(("Hasan al-Ghatufi", "حسن الغطوفي"))
    'names Hasan al-Ghatufi / حسن الغطوفي'
    """
    first, second = names
    if " ".join(first.split()) == " ".join(second.split()):
        return f"same name as written: {first}"
    return f"names {first} / {second}"


@dataclass(frozen=True, slots=True)
class PersonMatch:
    """A suggestion that person nodes ``first`` and ``second`` are one person.

    Attributes
    ----------
    first, second : str
        Node ids, ``first < second``.
    score : float
        From 0 to 1, for ranking: at most 0.6 from the name, the rest from the evidence
        in ``reasons``.
    name_score : float
        The best name similarity alone.
    names : tuple of (str, str)
        The pair of names that scored best.
    reasons : tuple of str
        The other evidence, in words ("same date of birth 1981-05-02",
        "both use @adnani_media (Telegram)", "both linked to Raqqa").
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


def _associates(g: Any, node: str) -> set[str]:
    around = (*g.successors(node), *g.predecessors(node))
    return {o for o in around if g.nodes[o]["type"] in _ASSOCIATE_TYPES}


def _score(
    g: Any, first: str, second: str
) -> tuple[float, float, float, tuple[str, str], list[str]]:
    """(match, score, name score, names, reasons) of two person nodes.

    ``match`` decides whether the pair is suggested at all: the name similarity, lowered by
    contradicting evidence. ``score`` ranks the suggestions: the name weighs at most 0.6,
    the rest comes from evidence, so two "Omar al-Bahhazi" with nothing else in common
    (0.6) rank below two that share a date of birth and a phone (0.8).
    """
    a, b = _entities(g.nodes[first]), _entities(g.nodes[second])
    best, names = 0.0, ("", "")
    for left in _names(a):
        for right in _names(b):
            similarity = name_similarity(left, right)
            if similarity > best:
                best, names = similarity, (left, right)
    match, score, reasons = best, _NAME_WEIGHT * best, []
    births_a = {e.date_of_birth for e in a if e.date_of_birth}
    births_b = {e.date_of_birth for e in b if e.date_of_birth}
    if births_a and births_b:
        if births_a & births_b:
            match += 0.05
            score += _SAME_BIRTH
            reasons.append(f"same date of birth {min(births_a & births_b).isoformat()}")
        else:
            match *= 0.6
            score += _DIFFERENT_BIRTH
            reasons.append("different dates of birth")
    nations_a = {e.nationality.upper() for e in a if e.nationality}
    nations_b = {e.nationality.upper() for e in b if e.nationality}
    if nations_a and nations_b:
        if nations_a & nations_b:
            score += _SAME_NATIONALITY
            reasons.append(f"same nationality {min(nations_a & nations_b)}")
        else:
            match *= 0.85
            score += _DIFFERENT_NATIONALITY
            reasons.append("different nationalities")
    shared = sorted(_identifiers(g, first) & _identifiers(g, second))
    for identifier in shared[:3]:
        match += 0.05
        score += _SHARED_IDENTIFIER
        reasons.append(f"both use {display_label(identifier, g.nodes[identifier])}")
    together = sorted(_associates(g, first) & _associates(g, second) - {first, second})
    for associate in together[:2]:
        score += _CO_MENTION
        reasons.append(f"both linked to {display_label(associate, g.nodes[associate])}")
    score = min(max(score, 0.0), 1.0)
    return min(round(match, 4), 1.0), round(score, 3), best, names, reasons


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
        Lowest name similarity suggested, once lowered by contradicting evidence.
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
        match, score, name_score, names, reasons = _score(g, first, second)
        if match >= threshold:
            found.append(
                PersonMatch(
                    first, second, score, name_score, names, tuple(reasons), mentions_a, mentions_b
                )
            )
    found.sort(key=lambda m: (-m.score, -m.name_score, m.first, m.second))
    return found if limit is None else found[:limit]
