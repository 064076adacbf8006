"""Forms of the briefings blueprint: what goes into a briefing, and a PDF to verify.

The form checks the shape of what was sent (CSRF, choices, dates, lengths); the briefing
service decides which bulletins may go in, and names the field of any problem.
"""

from __future__ import annotations

from collections.abc import Sequence
from enum import Enum
from typing import TypeVar

from flask_babel import gettext, lazy_pgettext
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired
from wtforms import (
    DateField,
    RadioField,
    SelectField,
    SelectMultipleField,
    StringField,
    TextAreaField,
)

# types-WTForms follows WTForms 3.2, which had no SelectChoice (new in 3.3).
from wtforms.fields.choices import SelectChoice  # type: ignore[attr-defined]
from wtforms.validators import DataRequired, Length, Optional

from portal.services.briefings.selection import (
    MAX_BULLETINS,
    MAX_NOTE,
    MAX_TITLE,
    BriefingRequest,
    Source,
)
from portal.services.bulletins.content import CATEGORY_LABELS, Category, Marking
from portal.services.bulletins.inbox import MAX_IDENTIFIER, Box, InboxQuery
from portal.services.errors import InvalidInput

E = TypeVar("E", bound=Enum)

SOURCE_LABELS = {
    Source.SELECTION: _l("The bulletins I tick below"),
    Source.FILTER: _l("Every bulletin matching the filter (category, sender, period)"),
    Source.ENTITY: _l("Every bulletin naming an account, phone, e-mail, person or group"),
    Source.INVESTIGATION: _l("Every bulletin behind a saved investigation's entities"),
}


class BriefingForm(FlaskForm):
    title = StringField(
        _l("Title"),
        validators=[DataRequired(_l("This field is required.")), Length(max=MAX_TITLE)],
    )
    cover_note = TextAreaField(_l("Cover note (optional)"), validators=[Length(max=MAX_NOTE)])
    source = RadioField(
        _l("Include"),
        choices=[SelectChoice(s.value, label) for s, label in SOURCE_LABELS.items()],
        default=Source.SELECTION.value,
    )
    bulletin_ids = SelectMultipleField(_l("Bulletins"), validate_choice=False)
    category = SelectField(
        _l("Category"),
        choices=[
            SelectChoice("", _l("Any category")),
            *(SelectChoice(c.value, CATEGORY_LABELS[c]) for c in Category),
        ],
        default="",
    )
    marking = SelectField(
        _l("Marking"),
        choices=[
            SelectChoice("", _l("Any marking")),
            *(SelectChoice(m.value, m.value) for m in Marking),
        ],
        default="",
    )
    box = SelectField(
        _l("Bulletins"),
        choices=[
            SelectChoice("all", _l("Received and sent")),
            SelectChoice("received", _l("Received")),
            SelectChoice("sent", _l("Sent by my organisation")),
        ],
        default="all",
    )
    sender = SelectField(_l("Sender"), choices=[SelectChoice("", _l("Any sender"))], default="")
    since = DateField(lazy_pgettext("date", "From"), validators=[Optional()])
    until = DateField(lazy_pgettext("date", "To"), validators=[Optional()])
    investigation = SelectField(
        _l("Saved investigation"), choices=[SelectChoice("", _l("Choose one"))], default=""
    )
    entity = StringField(_l("Identifier or name"), validators=[Length(max=MAX_IDENTIFIER)])

    def __init__(
        self,
        *args: object,
        senders: list[str],
        investigations: Sequence[tuple[int, str]] = (),
        **kwargs: object,
    ) -> None:
        super().__init__(*args, **kwargs)
        self.investigation.choices = [
            SelectChoice("", _l("Choose one")),
            *(SelectChoice(str(key), name) for key, name in investigations),
        ]
        self.sender.choices = [
            SelectChoice("", _l("Any sender")),
            *(SelectChoice(code, code) for code in senders),
        ]

    def apply(self, query: InboxQuery) -> None:
        """Fill the filter fields from a saved filter, and choose "every bulletin matching"."""
        self.box.data = query.box.value
        self.category.data = query.category.value if query.category else ""
        self.marking.data = query.marking.value if query.marking else ""
        self.sender.data = query.sender or ""
        self.since.data = query.since
        self.until.data = query.until
        self.source.data = Source.FILTER.value

    def validate_bulletin_ids(self, field: SelectMultipleField) -> None:
        if len(field.data or []) > MAX_BULLETINS:
            raise ValueError(
                gettext("A briefing holds at most %(limit)s bulletins.", limit=MAX_BULLETINS)
            )

    def inbox_query(self) -> InboxQuery:
        """The inbox filter chosen; InvalidInput naming the field for a value not on offer."""
        category, marking = self.category.data, self.marking.data
        return InboxQuery(
            box=_choice(Box, self.box.data or "all", "box"),
            category=_choice(Category, category, "category") if category else None,
            marking=_choice(Marking, marking, "marking") if marking else None,
            sender=self.sender.data or None,
            since=self.since.data,
            until=self.until.data,
            entity=(self.entity.data or "").strip() or None,
        )

    def briefing_request(self) -> BriefingRequest:
        return BriefingRequest(
            title=(self.title.data or "").strip(),
            source=Source(self.source.data),
            cover_note=(self.cover_note.data or "").strip(),
            bulletin_ids=tuple(self.bulletin_ids.data or ()),
            inbox=self.inbox_query(),
            entity=(self.entity.data or "").strip(),
            investigation_id=int(self.investigation.data) if self.investigation.data else None,
        )


def _choice(enum: type[E], value: str, field: str) -> E:
    try:
        return enum(value)
    except ValueError:
        raise InvalidInput(gettext("Choose one of the values offered."), field=field) from None


class VerifyForm(FlaskForm):
    pdf = FileField(_l("Briefing PDF"), validators=[FileRequired(_l("Choose a PDF file."))])
