"""Reading the analyst workspace's query parameters against allow-lists, with errors naming
the field: for the workspace's own JSON endpoints and for the graph routes of the API."""

from __future__ import annotations

from datetime import date

from flask_babel import gettext
from werkzeug.datastructures import MultiDict

from portal.services.analysis.workspace import NODE_TYPES, ViewFilter
from portal.services.bulletins.content import Marking
from portal.services.errors import InvalidInput

MAX_LIST = 50


def _list(args: MultiDict[str, str], name: str) -> list[str]:
    values = [v for raw in args.getlist(name) for v in raw.split(",") if v.strip()]
    if len(values) > MAX_LIST:
        raise InvalidInput(gettext("At most %(limit)s values.", limit=MAX_LIST), field=name)
    return [v.strip() for v in values]


def _day(args: MultiDict[str, str], name: str) -> date | None:
    text = (args.get(name) or "").strip()
    if not text:
        return None
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise InvalidInput(gettext("A date as YYYY-MM-DD."), field=name) from None


def view_filter(args: MultiDict[str, str]) -> ViewFilter:
    types = _list(args, "types")
    unknown = sorted(set(types) - set(NODE_TYPES))
    if unknown:
        raise InvalidInput(
            gettext(
                "Unknown type %(type)s: use %(types)s.",
                type=repr(unknown[0]),
                types=", ".join(NODE_TYPES),
            ),
            field="types",
        )
    markings = _list(args, "markings")
    allowed = {m.value for m in Marking}
    if set(markings) - allowed:
        raise InvalidInput(gettext("Use TLP 2.0 markings such as TLP:AMBER."), field="markings")
    orgs = _list(args, "orgs")
    if any(len(o) > 64 for o in orgs):
        raise InvalidInput(gettext("Organisation codes are at most 64 characters."), field="orgs")
    since, until = _day(args, "since"), _day(args, "until")
    if since and until and since > until:
        raise InvalidInput(gettext("The end date is before the start date."), field="until")
    return ViewFilter(
        node_types=frozenset(types) or None,
        since=since,
        until=until,
        organisations=frozenset(orgs) or None,
        markings=frozenset(markings) or None,
    )


def _whole_number(low: int, high: int) -> str:
    return gettext("A whole number from %(low)s to %(high)s.", low=low, high=high)


def integer(args: MultiDict[str, str], name: str, default: int, low: int, high: int) -> int:
    text = (args.get(name) or "").strip()
    if not text:
        return default
    try:
        value = int(text)
    except ValueError:
        raise InvalidInput(_whole_number(low, high), field=name) from None
    if not low <= value <= high:
        raise InvalidInput(_whole_number(low, high), field=name)
    return value


def text(args: MultiDict[str, str], name: str, limit: int = 600) -> str:
    value = (args.get(name) or "").strip()
    if not value:
        raise InvalidInput(gettext("This is required."), field=name)
    if len(value) > limit:
        raise InvalidInput(gettext("At most %(limit)s characters.", limit=limit), field=name)
    return value
