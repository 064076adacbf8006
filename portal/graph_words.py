"""The words the link graph's own package (``graph/``, which never imports Flask) would write
for people, in the reader's language: given to its functions as parameters."""

from __future__ import annotations

from datetime import date

from flask_babel import ngettext

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
