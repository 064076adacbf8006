"""The words the link graph's own package (``graph/``, which never imports Flask) would write
for people, in the reader's language: given to its functions as parameters."""

from __future__ import annotations

import re
from datetime import date

from flask_babel import gettext, ngettext

from portal.i18n import day


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
