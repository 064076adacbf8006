"""The read page's form to comment on a bulletin or report a sighting of one of its entities.

The form checks only the CSRF token and the field lengths; the comments service checks the
rest (an entity of this bulletin, a date not in the future, a country code) and its error is
shown next to the field it names, so a forged value gets the same message as a typed one.
"""

from __future__ import annotations

from typing import Any

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import HiddenField, SelectField, StringField, TextAreaField

from portal.services.bulletins.comments import MAX_NOTE, MAX_PLACE, MAX_TEXT


class CommentForm(FlaskForm):
    # Ids of their own: the read page holds other forms (discovery's, the acknowledgement).
    kind = HiddenField(default="comment")
    text = TextAreaField(
        _l("Comment"), id="comment-text", render_kw={"maxlength": MAX_TEXT, "rows": 3}
    )
    entity = SelectField(_l("Entity seen"), id="comment-entity", choices=[], validate_choice=False)
    place = StringField(_l("Where"), id="comment-place", render_kw={"maxlength": MAX_PLACE})
    country = StringField(
        _l("Country (two-letter code such as DE, optional)"),
        id="comment-country",
        render_kw={"size": 4, "placeholder": "DE", "autocapitalize": "characters"},
    )
    seen_on = StringField(_l("When"), id="comment-seen_on", render_kw={"type": "date"})
    note = TextAreaField(
        _l("Note (optional)"), id="comment-note", render_kw={"maxlength": MAX_NOTE, "rows": 2}
    )

    def document(self) -> dict[str, Any]:
        """What the comments service takes."""
        if self.kind.data == "sighting":
            return {
                "kind": "sighting",
                "entity": self.entity.data,
                "place": self.place.data,
                "country": self.country.data,
                "seen_on": self.seen_on.data,
                "note": self.note.data,
            }
        return {"kind": self.kind.data or "comment", "text": self.text.data}

    def show_error(self, field: str | None, message: str) -> None:
        """Put the service's message next to the field it names (or on the comment box)."""
        target = self._fields.get(field or "") or (
            self.place if self.kind.data == "sighting" else self.text
        )
        target.errors = [*target.errors, message]
