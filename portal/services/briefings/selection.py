"""Which bulletins go into a briefing: a selection, an inbox filter or an entity.

Only bulletins the user's organisation may read can be included. A selection that names any
other id is refused as a whole with :class:`NotFound`, the same answer as for an id that does
not exist, so a briefing request reveals nothing about bulletins it cannot read.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, field

from flask_babel import gettext
from sqlalchemy import select

from portal.extensions import db
from portal.models import Bulletin, BulletinState
from portal.services.analysis import graph_client, investigations
from portal.services.bulletins.access import visible_bulletin
from portal.services.bulletins.content import Marking
from portal.services.bulletins.inbox import InboxQuery, matching_ids
from portal.services.errors import InvalidInput, NotFound
from portal.services.principals import Reader

MAX_BULLETINS = 300  # about 200 pages: what the job queue is there for
MAX_TITLE = 200
MAX_NOTE = 4_000


class Source(enum.StrEnum):
    SELECTION = "selection"
    FILTER = "filter"
    ENTITY = "entity"
    INVESTIGATION = "investigation"


@dataclass(frozen=True)
class BriefingRequest:
    """What the user asked for, as plain values."""

    title: str
    source: Source
    cover_note: str = ""
    bulletin_ids: tuple[str, ...] = ()
    inbox: InboxQuery = field(default_factory=InboxQuery)
    entity: str = ""
    investigation_id: int | None = None


def check(request: BriefingRequest) -> None:
    """The request's own fields, before any bulletin is looked at."""
    if not request.title.strip():
        raise InvalidInput(gettext("Give the briefing a title."), field="title")
    if len(request.title) > MAX_TITLE:
        raise InvalidInput(
            gettext("A title of at most %(limit)s characters.", limit=MAX_TITLE), field="title"
        )
    if len(request.cover_note) > MAX_NOTE:
        raise InvalidInput(
            gettext("A cover note of at most %(limit)s characters.", limit=MAX_NOTE),
            field="cover_note",
        )
    if request.source is Source.SELECTION and not request.bulletin_ids:
        raise InvalidInput(gettext("Select at least one bulletin."), field="bulletin_ids")
    if len(request.bulletin_ids) > MAX_BULLETINS:
        raise InvalidInput(
            gettext("A briefing holds at most %(limit)s bulletins.", limit=MAX_BULLETINS),
            field="bulletin_ids",
        )
    if request.source is Source.ENTITY and not request.entity.strip():
        raise InvalidInput(gettext("Name the account, phone, person or group."), field="entity")
    if request.source is Source.INVESTIGATION and request.investigation_id is None:
        raise InvalidInput(gettext("Choose a saved investigation."), field="investigation")


def chosen_bulletins(reader: Reader, request: BriefingRequest) -> list[Bulletin]:
    """The bulletins of the briefing, oldest first; NotFound if any named one is not readable."""
    check(request)
    if not reader.sees_bulletins:
        raise NotFound()
    session = db.session()
    if request.source is Source.SELECTION:
        unique = dict.fromkeys(request.bulletin_ids)
        bulletins = [visible_bulletin(reader, bid, session) for bid in unique]
        for bulletin in bulletins:
            if not BulletinState(bulletin.state).readable:
                raise InvalidInput(
                    gettext(
                        "Bulletin %(id)s can no longer be opened (%(state)s).",
                        id=bulletin.id,
                        state=bulletin.state,
                    ),
                    field="bulletin_ids",
                )
    elif request.source is Source.INVESTIGATION:
        bulletins = _investigation_bulletins(reader, request.investigation_id or 0)
    else:
        query = request.inbox
        if request.source is Source.ENTITY:
            query = InboxQuery(entity=request.entity.strip())
        ids = matching_ids(reader, query, MAX_BULLETINS + 1)
        if not ids:
            raise InvalidInput(
                gettext("No bulletin you can read matches."), field=request.source.value
            )
        if len(ids) > MAX_BULLETINS:
            raise InvalidInput(
                gettext(
                    "More than %(limit)s bulletins match: narrow the period or the filter.",
                    limit=MAX_BULLETINS,
                ),
                field=request.source.value,
            )
        bulletins = list(session.scalars(select(Bulletin).where(Bulletin.id.in_(ids))))
    return sorted(bulletins, key=lambda b: (b.created_at, b.id))


def selection_words(request: BriefingRequest) -> dict[str, object]:
    """What makes two requests "the same selection", so that a briefing can say what is new
    since the last one: the same filter over another period, the same entity, the same saved
    investigation, or, for bulletins picked by hand, the same title ("Weekly brief")."""
    if request.source is Source.SELECTION:
        return {"source": "selection", "title": " ".join(request.title.casefold().split())}
    if request.source is Source.ENTITY:
        return {"source": "entity", "entity": request.entity.strip().casefold()}
    if request.source is Source.INVESTIGATION:
        return {"source": "investigation", "investigation": request.investigation_id}
    query = request.inbox
    return {
        "source": "filter",
        "box": query.box.value,
        "category": query.category.value if query.category else None,
        "marking": query.marking.value if query.marking else None,
        "sender": query.sender,
        "entity": (query.entity or "").strip().casefold() or None,
        "unread": query.unread,
    }


def highest_marking(bulletins: list[Bulletin]) -> Marking:
    """The briefing's marking: the most restrictive TLP among its bulletins."""
    return max((Marking(b.marking) for b in bulletins), key=lambda m: m.rank)


def _investigation_bulletins(reader: Reader, investigation_id: int) -> list[Bulletin]:
    """The readable bulletins behind the nodes of a saved investigation, as the graph has them."""
    saved = investigations.one(reader, investigation_id)
    ids = set(graph_client.ask(reader, "bulletins_of", nodes=list(saved.nodes)))
    if not ids:
        raise InvalidInput(
            "None of this investigation's entities is in a bulletin you can read now.",
            field="investigation",
        )
    if len(ids) > MAX_BULLETINS:
        raise InvalidInput(
            f"More than {MAX_BULLETINS} bulletins name these entities: save a smaller set.",
            field="investigation",
        )
    session = db.session()
    bulletins = [visible_bulletin(reader, bid, session) for bid in sorted(ids)]
    return [b for b in bulletins if BulletinState(b.state).readable]
