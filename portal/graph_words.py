"""The words the link graph's own package (``graph/``, which never imports Flask) would write
for people, in the reader's language: given to its functions as parameters."""

from __future__ import annotations

import re
from datetime import date
from typing import Any

from flask_babel import gettext, ngettext
from flask_babel import lazy_gettext as _l

from portal.i18n import day

# Each entity type in words (the workspace, briefings, drawings).
TYPE_NAMES = {
    "person": _l("Person"),
    "account": _l("Online account"),
    "group": _l("Group"),
    "phone": _l("Phone"),
    "email": _l("E-mail"),
    "url": _l("Web address"),
    "location": _l("Place"),
}


def type_names() -> dict[str, str]:
    return {kind: str(name) for kind, name in TYPE_NAMES.items()}


def _cell_line(number: int, nodes: int, smaller: bool) -> str:
    if smaller:
        return ngettext(
            "cell %(number)s and smaller ones (%(num)s node)",
            "cell %(number)s and smaller ones (%(num)s nodes)",
            nodes,
            number=number,
        )
    return ngettext(
        "cell %(number)s (%(num)s node)", "cell %(number)s (%(num)s nodes)", nodes, number=number
    )


def drawing_words() -> dict[str, Any]:
    """The words of :func:`graph.to_svg`'s drawing (title, legend, types, cells)."""
    return {
        "title": gettext("Ischia link graph"),
        "type_names": type_names(),
        "legend": {"types": gettext("Entity types"), "cells": gettext("Cells")},
        "cell_label": _cell_line,
    }


def record_where(organisation: str, reported_on: date, more: int) -> str:
    """Where a record comes from, for :func:`graph.record_label`: 'IT-MININT, 2 May 2026, and
    1 more bulletin'."""
    if not more:
        return f"{organisation}, {day(reported_on)}"
    return ngettext(
        "%(organisation)s, %(day)s, and %(num)s more bulletin",
        "%(organisation)s, %(day)s, and %(num)s more bulletins",
        more,
        organisation=organisation,
        day=day(reported_on),
    )


# graph.resolution's reasons, as it writes them (English), and the message for each.
_REASONS = (
    (re.compile(r"same name as written: (?P<value>.+)"), "same name as written: %(value)s"),
    (re.compile(r"names (?P<value>.+ / .+)"), "names %(value)s"),
    (re.compile(r"same date of birth (?P<value>\S+)"), "same date of birth %(value)s"),
    (re.compile(r"different dates of birth"), "different dates of birth"),
    (re.compile(r"same nationality (?P<value>.+)"), "same nationality %(value)s"),
    (re.compile(r"different nationalities"), "different nationalities"),
    (re.compile(r"both use (?P<value>.+)"), "both use %(value)s"),
    (re.compile(r"both linked to (?P<value>.+)"), "both linked to %(value)s"),
)


def person_match_reason(reason: str) -> str:
    """One reason of :func:`graph.resolution` in the reader's language ('même nationalité SY');
    a reason it does not know stays as written."""
    for pattern, message in _REASONS:
        found = pattern.fullmatch(reason)
        if found is not None:
            return gettext(message, **found.groupdict())
    return reason


def _extracted_reasons() -> None:
    """The reasons' messages, written out for the catalogues (never called)."""
    gettext("same name as written: %(value)s")
    gettext("names %(value)s")
    gettext("same date of birth %(value)s")
    gettext("different dates of birth")
    gettext("same nationality %(value)s")
    gettext("different nationalities")
    gettext("both use %(value)s")
    gettext("both linked to %(value)s")
