"""Saved inbox filters: name a filter once, use it in the inbox and to choose a briefing.

Only the listing criteria are kept (box, category, marking, sender, period); a filter that
names an identifier is refused, because identifiers are stored only as blind-index tokens.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from flask_babel import gettext
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from portal.extensions import db
from portal.models import SavedFilter
from portal.services.bulletins.content import Category, Marking
from portal.services.bulletins.inbox import Box, InboxQuery
from portal.services.errors import Conflict, InvalidInput, NotFound
from portal.services.principals import Reader

MAX_NAME = 100
MAX_FILTERS = 50


@dataclass(frozen=True)
class NamedFilter:
    id: int
    name: str
    query: InboxQuery

    def args(self) -> dict[str, str]:
        """The filter as query-string arguments of the inbox and briefing pages."""
        return criteria_args(_criteria(self.query))


def _criteria(query: InboxQuery) -> dict[str, Any]:
    return {
        "box": query.box.value,
        "category": query.category.value if query.category else None,
        "marking": query.marking.value if query.marking else None,
        "sender": query.sender,
        "since": query.since.isoformat() if query.since else None,
        "until": query.until.isoformat() if query.until else None,
    }


def criteria_args(criteria: dict[str, Any]) -> dict[str, str]:
    return {key: str(value) for key, value in criteria.items() if value and value != "all"}


def _query(criteria: dict[str, Any]) -> InboxQuery:
    def day(key: str) -> date | None:
        return date.fromisoformat(criteria[key]) if criteria.get(key) else None

    return InboxQuery(
        box=Box(criteria.get("box") or "all"),
        category=Category(criteria["category"]) if criteria.get("category") else None,
        marking=Marking(criteria["marking"]) if criteria.get("marking") else None,
        sender=criteria.get("sender") or None,
        since=day("since"),
        until=day("until"),
    )


def save_filter(reader: Reader, name: str, query: InboxQuery) -> NamedFilter:
    name = name.strip()
    if not name:
        raise InvalidInput(gettext("Name the filter."), field="name")
    if len(name) > MAX_NAME:
        raise InvalidInput(
            gettext("A name of at most %(limit)s characters.", limit=MAX_NAME), field="name"
        )
    if query.entity:
        raise InvalidInput(
            gettext(
                "A filter that names an identifier cannot be saved: the portal never stores "
                "identifiers in clear. Clear “Names an entity” first."
            ),
            field="entity",
        )
    if query.tag:
        raise InvalidInput(
            gettext(
                "A filter that names a tag cannot be saved: the portal never stores a bulletin's "
                "tags in clear. Clear “Tagged” first."
            ),
            field="tag",
        )
    if query.since and query.until and query.since > query.until:
        raise InvalidInput(gettext("The end date is before the start date."), field="until")
    session = db.session()
    count = session.scalar(
        select(func.count()).select_from(SavedFilter).where(SavedFilter.user_id == reader.user_id)
    )
    if (count or 0) >= MAX_FILTERS:
        raise InvalidInput(
            gettext("You can keep at most %(count)s filters: delete one first.", count=MAX_FILTERS)
        )
    row = SavedFilter(user_id=reader.user_id, name=name, criteria=_criteria(query))
    try:
        with db.write() as session:
            session.add(row)
    except IntegrityError:
        raise Conflict(
            gettext("You already have a filter named “%(name)s”.", name=name), field="name"
        ) from None
    return NamedFilter(row.id, row.name, query)


def saved_filters(reader: Reader) -> list[NamedFilter]:
    rows = db.session().scalars(
        select(SavedFilter).where(SavedFilter.user_id == reader.user_id).order_by(SavedFilter.name)
    )
    return [NamedFilter(row.id, row.name, _query(row.criteria)) for row in rows]


def saved_filter(reader: Reader, filter_id: int) -> NamedFilter:
    row = db.session().get(SavedFilter, filter_id)
    if row is None or row.user_id != reader.user_id:
        raise NotFound()
    return NamedFilter(row.id, row.name, _query(row.criteria))


def delete_filter(reader: Reader, filter_id: int) -> None:
    with db.write() as session:
        row = session.get(SavedFilter, filter_id)
        if row is None or row.user_id != reader.user_id:
            raise NotFound()
        session.delete(row)
