"""Forms of the inbox and the read page: the inbox's filters (a GET form) and the button that
acknowledges a bulletin.

Every choice is checked against an allow-list here, so a value that is not offered gives a
message next to its field (and a 400), never a query: sorting in particular only ever names
one of the columns of :class:`portal.services.bulletins.inbox.SortKey`.
"""

from __future__ import annotations

from typing import Any

from flask_babel import gettext, lazy_pgettext
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, DateField, IntegerField, SelectField, StringField

# types-WTForms follows WTForms 3.2, which had no SelectChoice (new in 3.3).
from wtforms.fields.choices import SelectChoice  # type: ignore[attr-defined]
from wtforms.validators import Length, NumberRange, Optional, ValidationError

from portal.services.bulletins.content import CATEGORY_LABELS, Category, Marking, choose_one_of
from portal.services.bulletins.inbox import (
    MAX_IDENTIFIER,
    MAX_PAGE,
    Box,
    InboxQuery,
    Order,
    SortKey,
)
from portal.services.bulletins.tags import MAX_TAG

_TRUE = {"y", "yes", "on", "1", "true"}
_FALSE = {"", "n", "no", "off", "0", "false"}


def _choices(pairs: list[tuple[str, Any]]) -> list[SelectChoice]:
    return [SelectChoice(value, label) for value, label in pairs]


class ChoiceField(SelectField):
    """A select whose empty value means its default, with a message listing what is allowed."""

    def process_formdata(self, valuelist: list[str]) -> None:
        given = valuelist[0] if valuelist else ""
        self.data = given or (self.default or "")

    def pre_validate(self, form: Any) -> None:
        values = [str(choice[0]) for choice in self.iter_choices()]
        if self.data not in values:
            allowed = ", ".join(value for value in values if value)
            if "" in values:
                raise ValidationError(
                    gettext("Choose one of: %(allowed)s (or leave it empty).", allowed=allowed)
                )
            raise ValidationError(choose_one_of(allowed))


class Tick(BooleanField):
    """A checkbox that refuses values no checkbox sends, rather than reading them as ticked."""

    def process_formdata(self, valuelist: list[str]) -> None:
        self.raw = valuelist[0] if valuelist else ""
        self.data = self.raw.strip().lower() in _TRUE

    def pre_validate(self, form: Any) -> None:
        if getattr(self, "raw", "").strip().lower() not in _TRUE | _FALSE:
            raise ValidationError(gettext("Tick or untick the box."))


# The sort keys as the select offers them (the table's headers say the same).
SORT_LABELS = {
    "date": _l("Date"),
    "marking": _l("Marking"),
    "category": _l("Category"),
    "sender": _l("Sender"),
}


class InboxFilterForm(FlaskForm):
    class Meta:
        csrf = False  # a GET search form changes nothing

    box = ChoiceField(
        _l("Show"),
        choices=_choices(
            [
                (Box.ALL.value, _l("All")),
                (Box.RECEIVED.value, _l("Received")),
                (Box.SENT.value, _l("Sent")),
            ]
        ),
        default=Box.ALL.value,
    )
    category = ChoiceField(
        _l("Category"),
        choices=_choices([("", _l("Any")), *((c.value, CATEGORY_LABELS[c]) for c in Category)]),
    )
    marking = ChoiceField(
        _l("Marking"), choices=_choices([("", _l("Any")), *((m.value, m.value) for m in Marking)])
    )
    sender = ChoiceField(_l("Sender"), choices=[])
    since = DateField(
        lazy_pgettext("date", "From"),
        validators=[Optional()],
        render_kw={"placeholder": _l("YYYY-MM-DD")},
    )
    until = DateField(
        _l("To (inclusive)"), validators=[Optional()], render_kw={"placeholder": _l("YYYY-MM-DD")}
    )
    entity = StringField(_l("Names an entity"), validators=[Optional(), Length(max=MAX_IDENTIFIER)])
    tag = StringField(
        _l("Tagged"),
        validators=[Optional(), Length(max=MAX_TAG)],
        render_kw={"placeholder": 'group:jihadist="islamic-state"', "spellcheck": "false"},
    )
    unread = Tick(_l("Unread only"))
    versions = Tick(_l("Show replaced versions"))
    sort = ChoiceField(
        _l("Sort by"),
        choices=_choices([(k.value, SORT_LABELS.get(k.value, k.value)) for k in SortKey]),
        default=SortKey.DATE.value,
    )
    order = ChoiceField(
        _l("Order"),
        choices=_choices(
            [(Order.DESC.value, _l("Descending")), (Order.ASC.value, _l("Ascending"))]
        ),
        default=Order.DESC.value,
    )
    page = IntegerField(
        _l("Page"),
        default=1,
        validators=[
            Optional(),
            NumberRange(
                1, MAX_PAGE, message=_l("A page number from 1 to %(last)s.", last=MAX_PAGE)
            ),
        ],
    )

    def __init__(self, *args: Any, senders: list[str], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.sender.choices = _choices([("", _l("Any")), *((code, code) for code in senders)])

    def validate(self, extra_validators: Any = None) -> bool:
        valid: bool = super().validate(extra_validators)
        # WTForms' own parse messages ("Not a valid date value.") are replaced by clearer ones.
        for field in (self.since, self.until):
            if field.errors:
                field.errors = [gettext("A date as YYYY-MM-DD.")]
        if self.page.errors:
            self.page.errors = [gettext("A page number from 1 to %(last)s.", last=MAX_PAGE)]
        return valid

    def query(self) -> InboxQuery:
        """The checked values as the service's query (call after :meth:`validate`)."""
        return InboxQuery(
            box=Box(self.box.data),
            category=Category(self.category.data) if self.category.data else None,
            marking=Marking(self.marking.data) if self.marking.data else None,
            sender=self.sender.data or None,
            since=self.since.data,
            until=self.until.data,
            entity=(self.entity.data or "").strip() or None,
            tag=(self.tag.data or "").strip() or None,
            unread=bool(self.unread.data),
            versions=bool(self.versions.data),
            sort=SortKey(self.sort.data),
            order=Order(self.order.data),
            page=self.page.data or 1,
        )


class AcknowledgeForm(FlaskForm):
    """The "received and actioned" button: only the CSRF token."""
