"""'Possibly the same person': suggestions from the graph, and the analysts' decisions.

Names never merge persons on their own. An analyst confirms (or rejects) a suggestion; the
decision is kept with who and when, per organisation, and can be revoked (also recorded).
Confirmed decisions join the person nodes of the organisation's graph; rejected ones stop the
pair being suggested again. A decision's note is sealed at rest (``sealed_text``), bound to
the organisation and the pair.
"""

from __future__ import annotations

from typing import Any

from flask_babel import gettext
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

import graph
from portal.extensions import db
from portal.graph_words import person_match_reason, record_where
from portal.i18n import when
from portal.models import PersonDecision, User, utcnow
from portal.services import audit, sealed_text
from portal.services.analysis import graph_client, org_graphs
from portal.services.errors import Conflict, InvalidInput, NotFound
from portal.services.principals import Actor, Reader

MAX_NOTE = 500
SCORE_EXPLAINED = graph.SCORE_EXPLAINED  # what a suggestion's score means, in one line


def note_of(decision: PersonDecision) -> str:
    """The analyst's note on ``decision`` ("" for none), opened."""
    context = sealed_text.person_decision_context(decision.org_id, decision.first, decision.second)
    opened = sealed_text.open_text(sealed_text.PERSON_DECISION_NOTE, context, decision.note_sealed)
    return opened or ""


def _person(g: Any, node: str, field: str) -> str:
    if node not in g or g.nodes[node].get("type") != "person":
        raise NotFound(gettext("No such person in your organisation's graph."), field=field)
    return node


def _live(reader: Reader) -> list[PersonDecision]:
    return list(
        db.session().scalars(
            select(PersonDecision).where(
                PersonDecision.org_id == reader.org_id, PersonDecision.revoked_at.is_(None)
            )
        )
    )


def suggestions(reader: Reader, node: str, limit: int = 5) -> list[dict[str, Any]]:
    """Persons that may be ``node``, best first, without pairs an analyst rejected."""
    found: list[dict[str, Any]] = graph_client.ask(
        reader, "person_suggestions", node=node, limit=limit
    )
    return found


def suggestions_here(reader: Reader, node: str, limit: int = 5) -> list[dict[str, Any]]:
    """:func:`suggestions` from this process's graph (where the graph is held)."""
    refused = [d for d in _live(reader) if not d.same]
    found = []
    with org_graphs.reading(reader) as g:
        node = _person(g, node, "node")
        # A rejection made on an earlier version of a bulletin still holds after an amendment.
        rejected = _current_pairs(g, refused)
        matches = graph.possible_same_person(g, person=node, rejected=rejected, limit=limit)
        for match in matches:
            other = match.second if match.first == node else match.first
            found.append(
                {
                    "node": other,
                    "label": graph.display_label(other, g.nodes[other]),
                    # Which bulletin the record comes from: two records of one name read apart.
                    "record": _record(g, other),
                    "score": round(match.score, 3),
                    "names": list(match.names),
                    "name_reason": person_match_reason(graph.name_reason(match.names)),
                    "reasons": [person_match_reason(reason) for reason in match.reasons],
                }
            )
    return found


def _record(g: Any, node: str) -> str:
    return graph.record_label(
        graph.display_label(node, g.nodes[node]), graph.node_provenance(g, node), record_where
    )


def _pair(g: Any, first: str, second: str) -> tuple[str, str]:
    a = min(graph.person_mentions(g, first))
    b = min(graph.person_mentions(g, second))
    return (a, b) if a < b else (b, a)


def decide(
    reader: Reader, actor: Actor, first: str, second: str, *, same: bool, note: str = ""
) -> int:
    """Record that two person nodes are (or are not) the same person; the graph follows."""
    if len(note) > MAX_NOTE:
        raise InvalidInput(
            gettext("A note of at most %(limit)s characters.", limit=MAX_NOTE), field="note"
        )
    found = graph_client.ask(reader, "person_pair", first=first, second=second)
    low, high = found["low"], found["high"]
    if found["standing"] is not None:
        standing = db.session().get(PersonDecision, found["standing"])
        if standing is not None:
            raise _already(standing)
    try:
        return _store(reader, actor, low, high, same=same, note=note.strip())
    except IntegrityError:
        # An analyst of the organisation decided on this pair at the same moment (the unique
        # index on live decisions refused the second): theirs stands.
        earlier = _live_decision(db.session(), reader, low, high)
        if earlier is None:
            raise
        raise _already(earlier) from None


def pair_here(reader: Reader, first: str, second: str) -> dict[str, Any]:
    """What :func:`decide` needs of the graph: the pair of mentions a decision on two person
    nodes records (``low``, ``high``), and the id of a live decision already about them."""
    with org_graphs.reading(reader) as g:
        a = _person(g, first, "first")
        b = _person(g, second, "second")
        if a == b:
            raise InvalidInput(gettext("These are already one person."), field="second")
        low, high = _pair(g, a, b)
        ours, theirs = graph.person_mentions(g, a), graph.person_mentions(g, b)
        live = _live(reader)
        standing = next(
            (
                decision.id
                for decision, pair in zip(live, _current_pairs(g, live), strict=True)
                if len(pair) == 2 and not pair.isdisjoint(ours) and not pair.isdisjoint(theirs)
            ),
            None,
        )
    return {"low": low, "high": high, "standing": standing}


def _live_decision(session: Session, reader: Reader, low: str, high: str) -> PersonDecision | None:
    return session.scalar(
        select(PersonDecision).where(
            PersonDecision.org_id == reader.org_id,
            PersonDecision.first == low,
            PersonDecision.second == high,
            PersonDecision.revoked_at.is_(None),
        )
    )


def _already(decision: PersonDecision) -> Conflict:
    """Which decision stands: who made it, when, and what it says."""
    by = db.session().get(User, decision.decided_by)
    who, moment = by.name if by else gettext("An analyst"), when(decision.decided_at)
    if decision.same:
        return Conflict(
            gettext(
                "%(who)s decided on %(moment)s that these are the same person: revoke that "
                "decision first to decide again.",
                who=who,
                moment=moment,
            )
        )
    return Conflict(
        gettext(
            "%(who)s decided on %(moment)s that these are different persons: revoke that "
            "decision first to decide again.",
            who=who,
            moment=moment,
        )
    )


def _store(reader: Reader, actor: Actor, low: str, high: str, *, same: bool, note: str) -> int:
    with db.write() as session:
        earlier = _live_decision(session, reader, low, high)
        if earlier is not None:
            raise _already(earlier)
        decision = PersonDecision(
            org_id=reader.org_id,
            first=low,
            second=high,
            same=same,
            note_sealed=sealed_text.seal(
                sealed_text.PERSON_DECISION_NOTE,
                sealed_text.person_decision_context(reader.org_id, low, high),
                note,
            ),
            decided_by=reader.user_id,
            decided_at=utcnow(),
        )
        session.add(decision)
        session.flush()
        audit.record(
            session,
            "person.same" if same else "person.different",
            actor,
            subject_org=reader.org_id,
            details={"decision": decision.id, "first": low, "second": high},
        )
        return decision.id


def revoke(reader: Reader, actor: Actor, decision_id: int) -> None:
    with db.write() as session:
        decision = session.get(PersonDecision, decision_id)
        if decision is None or decision.org_id != reader.org_id:
            raise NotFound()
        if decision.revoked_at is not None:
            raise Conflict(gettext("This decision was revoked already."))
        decision.revoked_at = utcnow()
        decision.revoked_by = reader.user_id
        audit.record(
            session,
            "person.decision_revoked",
            actor,
            subject_org=reader.org_id,
            details={"decision": decision.id},
        )


def _current_pairs(g: Any, decisions: list[PersonDecision]) -> list[frozenset[str]]:
    """Each decision's pair of mentions as it applies now: a rejection follows amended
    bulletins to their current version; a merge stays with the mentions the analyst saw."""
    rejections = [m for d in decisions if not d.same for m in (d.first, d.second)]
    current = org_graphs.current_mentions(g, rejections)
    return [
        frozenset((d.first, d.second))
        if d.same
        else frozenset((current.get(d.first, d.first), current.get(d.second, d.second)))
        for d in decisions
    ]


def decisions_about(reader: Reader, node: str) -> list[dict[str, Any]]:
    """The live decisions about the mentions that make up ``node``, newest first (also those
    made on an earlier version of an amended bulletin)."""
    found: list[dict[str, Any]] = graph_client.ask(reader, "person_decisions", node=node)
    return found


def decisions_about_here(reader: Reader, node: str) -> list[dict[str, Any]]:
    """:func:`decisions_about` from this process's graph (where the graph is held)."""
    live = _live(reader)
    with org_graphs.reading(reader) as g:
        node = _person(g, node, "node")
        mentions = graph.person_mentions(g, node)
        pairs = _current_pairs(g, live)
    chosen = [d for d, pair in zip(live, pairs, strict=True) if not pair.isdisjoint(mentions)]
    names = {
        user_id: name
        for user_id, name in db.session().execute(
            select(User.id, User.name).where(User.id.in_({d.decided_by for d in chosen}))
        )
    }
    chosen.sort(key=lambda d: (d.decided_at, d.id), reverse=True)
    return [
        {
            "id": d.id,
            "same": d.same,
            "by": names.get(d.decided_by, ""),
            "at": d.decided_at.isoformat(timespec="minutes"),
            "note": note_of(d),
        }
        for d in chosen
    ]
