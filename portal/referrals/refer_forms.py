"""Forms of the ministry side of referrals: refer content, filter one's own referrals, answer a
question, withdraw or dispute an item; and the words shown for the vocabularies' codes.

The forms check only what HTML needs (CSRF, page numbers); the services check the rest and
name the field of each problem by its path (``items[2].url``), which :meth:`ReferForm.show`
puts next to the field of the item row it came from.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from flask_babel import lazy_gettext as _l
from flask_babel import lazy_pgettext
from flask_wtf import FlaskForm
from wtforms import (
    Field,
    FieldList,
    Form,
    FormField,
    IntegerField,
    RadioField,
    SelectField,
    StringField,
    TextAreaField,
)

# types-WTForms follows WTForms 3.2, which had no SelectChoice (new in 3.3).
from wtforms.fields.choices import SelectChoice  # type: ignore[attr-defined]
from wtforms.validators import NumberRange, Optional

from portal.models import ItemState, ReferralKind
from portal.services.bulletins.content import is_choose_one_of
from portal.services.errors import ServiceError
from portal.services.referrals.intake import MAX_ITEMS, ItemDraft, ReferralDraft
from portal.services.referrals.referring import Platform
from portal.services.referrals.vocabulary import MAX_PAGE, Category, ContentType, Outcome

FIRST_ROWS = 3  # item rows offered on a new page; "Add another item" adds more

CONTENT_TYPES: dict[str, Any] = {
    ContentType.VIDEO: _l("Video"),
    ContentType.IMAGE: _l("Image"),
    ContentType.AUDIO: _l("Audio"),
    ContentType.TEXT: _l("Text"),
    ContentType.LIVE_STREAM: _l("Live stream"),
    ContentType.FILE: _l("File"),
    ContentType.ACCOUNT: _l("Account"),
}
CATEGORIES: dict[str, Any] = {
    Category.RECRUITMENT: _l("Recruitment"),
    Category.INCITEMENT: _l("Incitement"),
    Category.ATTACK_INSTRUCTIONS: _l("Instructions for attacks"),
    Category.WEAPONS_MANUAL: _l("Weapons or explosives manual"),
    Category.PROPAGANDA: _l("Glorification or propaganda"),
    Category.FINANCING: _l("Financing"),
    Category.OTHER: _l("Other"),
}
KINDS: dict[str, Any] = {
    ReferralKind.REFERRAL: _l("Referral"),
    ReferralKind.REMOVAL_ORDER: _l("Removal order"),
}
OUTCOMES: dict[str, Any] = {
    Outcome.REMOVED: _l("Removed"),
    Outcome.ACCESS_DISABLED: _l("Access disabled"),
    Outcome.RESTRICTED: _l("Restricted"),
    Outcome.ACCOUNT_SUSPENDED: _l("Account suspended"),
    Outcome.NO_VIOLATION: _l("No violation of the platform's terms"),
    Outcome.NOT_OUR_SERVICE: _l("Not the platform's service"),
    Outcome.ALREADY_GONE: _l("Already gone"),
    Outcome.MORE_INFORMATION: _l("More information needed"),
    Outcome.TECHNICAL_IMPOSSIBILITY: _l("Technical impossibility"),
    Outcome.FORCE_MAJEURE: _l("Force majeure"),
    Outcome.SCRUTINY_REQUESTED: _l("Scrutiny requested"),
}
STATES: dict[str, Any] = {
    ItemState.RECEIVED: lazy_pgettext("state", "Received"),
    ItemState.CLAIMED: _l("Being assessed"),
    ItemState.QUESTION: _l("Question for you"),
    ItemState.DECIDED: _l("Decided"),
    ItemState.REINSTATED: _l("Reinstated"),
    ItemState.WITHDRAWN: _l("Withdrawn"),
}
EVENTS: dict[str, Any] = {
    "received": _l("Sent, and received by the platform"),
    "first_opened": _l("First opened by the platform"),
    "claimed": _l("Taken on by the platform"),
    "decided": _l("Decided"),
    "question_asked": _l("The platform asked a question"),
    "question_answered": _l("Answered"),
    "withdrawn": _l("Withdrawn"),
    "complaint": _l("Complaint"),
    "provider_complaint": _l("The content provider's complaint"),
    "reinstated": _l("Reinstated"),
    "reopened": _l("Decision reopened"),
}
ORDER_HINT = _l(
    "A referral asks the platform to check the content against its own terms; it decides "
    "freely. A removal order (Regulation (EU) 2021/784) obliges it to remove the content or "
    "disable access to it within one hour of receipt, and only a competent authority of an EU "
    "member state may issue one."
)

_PATH = re.compile(r"^items\[(\d+)\](?:\.([a-z_]+))?")
_TOP_FIELDS = ("platform", "kind", "legal_basis")
_CHOOSE = {
    "platform": _l("Choose a platform."),
    "kind": _l("Choose referral or removal order."),
    "content_type": _l("Choose what the content is."),
    "category": _l("Choose a category."),
}


def _choices(labels: dict[str, Any], blank: Any) -> list[SelectChoice]:
    return [SelectChoice("", blank)] + [SelectChoice(k, v) for k, v in labels.items()]


@dataclass
class Problem:
    """A message for the error summary at the top, linking to the field it is about."""

    anchor: str
    message: str


@dataclass
class Layout:
    """Which form row each item the service saw came from (empty rows are left out)."""

    rows: list[int] = field(default_factory=list)


class ItemRowForm(Form):
    """One piece of content. Sub-form of the refer form (no CSRF token of its own)."""

    url = StringField(_l("URL"), render_kw={"maxlength": 2000, "inputmode": "url"})
    account = StringField(_l("Account or channel"), render_kw={"maxlength": 200})
    content_type = SelectField(
        _l("Content type"), choices=_choices(CONTENT_TYPES, _l("Choose")), validate_choice=False
    )
    category = SelectField(
        _l("Category"), choices=_choices(CATEGORIES, _l("Choose a category")), validate_choice=False
    )
    language = StringField(_l("Language (ISO 639, such as ar)"), render_kw={"maxlength": 3})
    attributed_group = StringField(
        _l("Attributed group"), render_kw={"maxlength": 200, "list": "group-suggestions"}
    )
    reason = TextAreaField(_l("Reason"), render_kw={"maxlength": 500, "rows": 2})
    hashes = TextAreaField(
        _l("Evidence hashes (optional, SHA-256 or MD5, one per line)"), render_kw={"rows": 2}
    )

    def is_empty(self) -> bool:
        return not any((f.data or "").strip() for f in self)

    def draft(self) -> ItemDraft:
        return ItemDraft(
            url=self.url.data or "",
            content_type=self.content_type.data or "",
            category=self.category.data or "",
            reason=self.reason.data or "",
            account=self.account.data or None,
            language=self.language.data or None,
            attributed_group=self.attributed_group.data or None,
            hashes=[line for line in (self.hashes.data or "").splitlines() if line.strip()],
        )


class ReferForm(FlaskForm):
    """A referral or removal order to one platform: one or many items."""

    platform = SelectField(_l("Platform"), validate_choice=False)
    kind = RadioField(
        _l("Kind"),
        choices=[SelectChoice(k, v) for k, v in KINDS.items()],
        validate_choice=False,
    )
    legal_basis = TextAreaField(
        _l("Legal basis (required for a removal order)"),
        render_kw={"rows": 2, "maxlength": 2000},
    )
    items = FieldList(FormField(ItemRowForm), min_entries=FIRST_ROWS, max_entries=MAX_ITEMS + 1)

    def offer(self, platforms: list[Platform], may_order: bool) -> None:
        """The platforms to choose from; the order option only for competent authorities (a
        forced one is still refused by the service, naming the rule)."""
        self.platform.choices = [SelectChoice("", _l("Choose a platform"))] + [
            SelectChoice(p.code, f"{p.code} · {p.name}") for p in platforms
        ]
        if not may_order:
            self.kind.choices = [
                SelectChoice(ReferralKind.REFERRAL.value, KINDS[ReferralKind.REFERRAL])
            ]

    def add_row(self) -> None:
        if len(self.items) <= MAX_ITEMS:
            self.items.append_entry()

    def draft(self) -> tuple[ReferralDraft, Layout]:
        layout = Layout()
        items = []
        for index, row in enumerate(self.items):
            if not row.form.is_empty():
                layout.rows.append(index)
                items.append(row.form.draft())
        draft = ReferralDraft(
            platform=self.platform.data or "",
            kind=self.kind.data or "",
            items=items,
            legal_basis=self.legal_basis.data or None,
        )
        return draft, layout

    def show(self, errors: list[ServiceError], layout: Layout) -> list[Problem]:
        """Each service message next to the field (and item row) it names; the summary's list."""
        return [self._show(error, layout) for error in errors]

    def _show(self, error: ServiceError, layout: Layout) -> Problem:
        path = error.field or ""
        match = _PATH.match(path)
        if match:
            position, name = int(match[1]), match[2]
            if position < len(layout.rows):
                row = self.items[layout.rows[position]].form
                target = row[name] if name and name in row else row["url"]
                return _add(target, error.message)
        if path.startswith("items"):
            return _add(self.items[0].form["url"], error.message)
        if path in _TOP_FIELDS:
            return _add(self[path], error.message)
        return Problem("", error.message)


def _add(target: Field, message: str) -> Problem:
    if is_choose_one_of(message) and target.short_name in _CHOOSE:
        message = str(_CHOOSE[target.short_name])
    target.errors = [*target.errors, message]
    return Problem(target.id, message)


class MineFilterForm(Form):
    """The filters of "My referrals" (a GET form: no CSRF token)."""

    state = SelectField(
        _l("State"), choices=_choices(STATES, _l("Any state")), validate_choice=False
    )
    platform = SelectField(_l("Platform"), validate_choice=False)
    kind = SelectField(_l("Kind"), choices=_choices(KINDS, _l("Any kind")), validate_choice=False)
    page = IntegerField(
        _l("Page"), validators=[Optional(), NumberRange(min=1, max=100_000)], default=1
    )
    size = IntegerField(
        _l("Items a page"), validators=[Optional(), NumberRange(min=1, max=MAX_PAGE)], default=50
    )

    def offer(self, platforms: list[Platform]) -> None:
        self.platform.choices = [SelectChoice("", _l("Any platform"))] + [
            SelectChoice(p.code, p.code) for p in platforms
        ]


class AnswerForm(FlaskForm):
    answer = TextAreaField(_l("Your answer"), render_kw={"rows": 4, "maxlength": 2000})


class WithdrawForm(FlaskForm):
    reason = TextAreaField(_l("Why you withdraw it (optional)"), render_kw={"rows": 2})


class ComplaintForm(FlaskForm):
    text = TextAreaField(_l("What is wrong with the decision"), render_kw={"rows": 3})
