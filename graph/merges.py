"""Confirmed "same person" decisions, as the graph builder honours them.

Person names never merge nodes by themselves (see :mod:`graph.resolution` for the
suggestions). When an analyst confirms that two person mentions are one person,
the portal records the decision (who, when, which organisation) and passes the
confirmed ones to the builder as a :class:`PersonMerges`. Revoking is removing
the decision and calling :func:`graph.build.apply_merges` again: nodes split back
exactly as they were, since every node remembers the mentions it is made of.

A person mention is identified by its *mention id*, ``person:<bulletin id>:<ref>``
(:func:`person_mention_id`), which is stable for the life of the bulletin. A
merged node takes the smallest mention id among its members present in the graph,
so an organisation's graph never shows an id that only an unreadable bulletin
could explain. Store mention ids, not node ids, in saved investigations and
resolve them with :func:`graph.build.node_of`.

Examples
--------
>>> from datetime import datetime, UTC
>>> merges = PersonMerges()
>>> when = datetime(2025, 1, 1, tzinfo=UTC)
>>> merges.confirm(ConfirmedMerge("person:B-2:p1", "person:B-1:p4", "analyst@fr", when))
>>> sorted(merges.group_of("person:B-2:p1"))
['person:B-1:p4', 'person:B-2:p1']
>>> merges.revoke("person:B-1:p4", "person:B-2:p1")
>>> sorted(merges.group_of("person:B-2:p1"))
['person:B-2:p1']
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import datetime

__all__ = ["ConfirmedMerge", "PersonMerges", "person_mention_id"]


def person_mention_id(bulletin_id: str, ref: str) -> str:
    """The stable id of the person that bulletin ``bulletin_id`` names as ``ref``."""
    return f"person:{bulletin_id}:{ref}"


@dataclass(frozen=True, slots=True)
class ConfirmedMerge:
    """An analyst's decision that two person mentions are the same person.

    Parameters
    ----------
    first, second : str
        Mention ids (:func:`person_mention_id`); order does not matter.
    decided_by : str
        Who confirmed it (the portal's user id or e-mail address).
    decided_at : datetime.datetime
        When, timezone-aware.
    note : str
        The analyst's reason, shown next to the merged node.
    """

    first: str
    second: str
    decided_by: str
    decided_at: datetime
    note: str = ""

    def __post_init__(self) -> None:
        if self.first == self.second:
            raise ValueError("a mention cannot be merged with itself")
        for mention in (self.first, self.second):
            if not mention.startswith("person:"):
                raise ValueError(f"not a person mention id: {mention!r}")

    @property
    def pair(self) -> frozenset[str]:
        """The two mention ids, unordered."""
        return frozenset((self.first, self.second))


class PersonMerges:
    """The set of confirmed merges, and the groups of mentions they join.

    Groups are the connected components of the confirmed pairs, so confirming
    A=B and B=C puts A, B and C in one node; revoking B=C splits C off again.
    """

    def __init__(self, confirmed: Iterable[ConfirmedMerge] = ()) -> None:
        self._decisions: dict[frozenset[str], ConfirmedMerge] = {}
        self._links: dict[str, set[str]] = {}
        for decision in confirmed:
            self.confirm(decision)

    def __iter__(self) -> Iterator[ConfirmedMerge]:
        return iter(self._decisions.values())

    def __len__(self) -> int:
        return len(self._decisions)

    def __bool__(self) -> bool:
        return bool(self._decisions)

    def __repr__(self) -> str:
        pairs = sorted(tuple(sorted(pair)) for pair in self._decisions)
        return f"PersonMerges({pairs})"

    def confirm(self, decision: ConfirmedMerge) -> None:
        """Record a confirmed merge (a later decision on the same pair replaces it)."""
        self._decisions[decision.pair] = decision
        self._links.setdefault(decision.first, set()).add(decision.second)
        self._links.setdefault(decision.second, set()).add(decision.first)

    def revoke(self, first: str, second: str) -> None:
        """Forget the merge of two mentions; nothing happens if there was none."""
        if self._decisions.pop(frozenset((first, second)), None) is None:
            return
        for a, b in ((first, second), (second, first)):
            self._links[a].discard(b)
            if not self._links[a]:
                del self._links[a]

    def involves(self, mention: str) -> bool:
        """Whether any confirmed merge names ``mention``."""
        return mention in self._links

    def group_of(self, mention: str) -> frozenset[str]:
        """Every mention confirmed, directly or through others, to be ``mention``'s person."""
        if mention not in self._links:
            return frozenset((mention,))
        seen = {mention}
        stack = [mention]
        while stack:
            for other in self._links.get(stack.pop(), ()):
                if other not in seen:
                    seen.add(other)
                    stack.append(other)
        return frozenset(seen)

    def restricted_to(self, mentions: Iterable[str]) -> PersonMerges:
        """The decisions between two of ``mentions`` only.

        A merge through a mention outside the set is dropped, even if it joins two
        mentions inside it: A=D and D=C, with D unreadable, do not make A=C, since
        only D's bulletin justifies that.
        """
        members = set(mentions)
        return PersonMerges(d for d in self._decisions.values() if d.pair <= members)

    def decisions_within(self, mentions: Iterable[str]) -> list[ConfirmedMerge]:
        """The decisions between mentions of ``mentions``, sorted, to show on a merged node."""
        members = set(mentions)
        found = [d for d in self._decisions.values() if d.pair <= members]
        return sorted(found, key=lambda d: (d.decided_at, sorted(d.pair)))
