"""Whether a bulletin's entity tables fit an A4 portrait page without breaking a word.

Table cells never break a name, a date or a word (the stylesheet forbids it); a column is at
least as wide as its longest word, and a table whose columns cannot fit the portrait text
width goes on a landscape page instead. Pure: no database, no fonts (widths are estimated as
generously as :func:`~portal.services.briefings.figure.text_width` does); the headings are
measured in the briefing's language (English outside a request or a ``speaking`` block).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from flask_babel import gettext, pgettext

from portal.services.briefings.figure import text_width
from portal.services.bulletins.content import BulletinContent, EntityType

EM_MM = 8.5 * 25.4 / 72  # the tables' 8.5 pt type, in millimetres
CELL_MM = 3.0 + 0.4  # padding and rules of a cell
PORTRAIT_MM = 210 - 2 * 17  # A4 less the page margins
LANDSCAPE_MM = 297 - 2 * 17


def _words(text: str, whole: bool) -> list[str]:
    return [text] if whole else text.split()


def min_width_mm(columns: Sequence[tuple[str, Iterable[str], bool]]) -> float:
    """The narrowest a table can be: each column as wide as its longest unbreakable piece
    (its heading, or a word of a cell; a whole cell where ``whole``: dates, codes)."""
    total = 0.0
    for heading, cells, whole in columns:
        pieces = [heading, *(w for cell in cells for w in _words(cell, whole))]
        total += max(text_width(piece, EM_MM) for piece in pieces) + CELL_MM
    return total


def persons_columns(content: BulletinContent) -> list[tuple[str, list[str], bool]]:
    persons = [e for e in content.entities if e.type is EntityType.PERSON]
    return [
        (gettext("Name"), [e.value for e in persons], False),
        (gettext("Aliases"), [a + ";" for e in persons for a in e.aliases], False),
        (
            gettext("Transliterations"),
            [t + ";" for e in persons for t in e.transliterations],
            False,
        ),
        (gettext("Nationality"), [e.nationality or "" for e in persons], True),
        (
            gettext("Born"),
            [e.date_of_birth.isoformat() if e.date_of_birth else "" for e in persons],
            True,
        ),
        (
            gettext("Role"),
            [e.role.value.replace("_", " ") if e.role else "" for e in persons],
            False,
        ),
    ]


def travel_columns(content: BulletinContent) -> list[tuple[str, list[str], bool]]:
    names = {e.ref: e.value for e in content.entities}
    travels = [e for e in content.entities if e.type is EntityType.TRAVEL]
    return [
        (gettext("Traveller"), [names.get(e.traveller or "", "") for e in travels], False),
        (pgettext("travel", "From"), [e.origin or "" for e in travels], False),
        (gettext("Via"), [p + "," for e in travels for p in e.via], False),
        (pgettext("travel", "To"), [e.destination or "" for e in travels], False),
        (gettext("Date"), [e.on.isoformat() if e.on else "" for e in travels], True),
    ]


def needs_landscape(content: BulletinContent) -> bool:
    """Whether the bulletin's widest entity table is too wide for a portrait page."""
    return any(
        min_width_mm(columns) > PORTRAIT_MM
        for columns in (persons_columns(content), travel_columns(content))
        if columns[0][1]
    )
