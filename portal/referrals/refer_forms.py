"""Forms of the ministry side of referrals: refer content, filter one's own referrals, answer a
question, withdraw or dispute an item; and the words shown for the vocabularies' codes.

The forms check only what HTML needs (CSRF, page numbers); the services check the rest and
name the field of each problem by its path (``items[2].url``), which :meth:`ReferForm.show`
puts next to the field of the item row it came from.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

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
from portal.services.errors import ServiceError
from portal.services.referrals.intake import MAX_ITEMS, ItemDraft, ReferralDraft
from portal.services.referrals.referring import Platform
from portal.services.referrals.vocabulary import MAX_PAGE, Category, ContentType, Outcome

FIRST_ROWS = 3  # item rows offered on a new page; "Add another item" adds more

CONTENT_TYPES: dict[str, str] = {
    ContentType.VIDEO: "Video",
    ContentType.IMAGE: "Image",
    ContentType.AUDIO: "Audio",
    ContentType.TEXT: "Text",
    ContentType.LIVE_STREAM: "Live stream",
    ContentType.FILE: "File",
    ContentType.ACCOUNT: "Account",
}
CATEGORIES: dict[str, str] = {
    Category.RECRUITMENT: "Recruitment",
    Category.INCITEMENT: "Incitement",
    Category.ATTACK_INSTRUCTIONS: "Instructions for attacks",
    Category.WEAPONS_MANUAL: "Weapons or explosives manual",
    Category.PROPAGANDA: "Glorification or propaganda",
    Category.FINANCING: "Financing",
    Category.OTHER: "Other",
}
KINDS: dict[str, str] = {
    ReferralKind.REFERRAL: "Referral",
    ReferralKind.REMOVAL_ORDER: "Removal order",
}
OUTCOMES: dict[str, str] = {
    Outcome.REMOVED: "Removed",
    Outcome.ACCESS_DISABLED: "Access disabled",
    Outcome.RESTRICTED: "Restricted",
    Outcome.ACCOUNT_SUSPENDED: "Account suspended",
    Outcome.NO_VIOLATION: "No violation of the platform's terms",
    Outcome.NOT_OUR_SERVICE: "Not the platform's service",
    Outcome.ALREADY_GONE: "Already gone",
    Outcome.MORE_INFORMATION: "More information needed",
    Outcome.TECHNICAL_IMPOSSIBILITY: "Technical impossibility",
    Outcome.FORCE_MAJEURE: "Force majeure",
    Outcome.SCRUTINY_REQUESTED: "Scrutiny requested",
}
STATES: dict[str, str] = {
    ItemState.RECEIVED: "Received",
    ItemState.CLAIMED: "Being assessed",
    ItemState.QUESTION: "Question for you",
    ItemState.DECIDED: "Decided",
    ItemState.REINSTATED: "Reinstated",
    ItemState.WITHDRAWN: "Withdrawn",
}
EVENTS = {
    "received": "Sent, and received by the platform",
    "first_opened": "First opened by the platform",
    "claimed": "Taken on by the platform",
    "decided": "Decided",
    "question_asked": "The platform asked a question",
    "question_answered": "Answered",
    "withdrawn": "Withdrawn",
    "complaint": "Complaint",
    "provider_complaint": "The content provider's complaint",
    "reinstated": "Reinstated",
    "reopened": "Decision reopened",
}
ORDER_HINT = (
    "A referral asks the platform to check the content against its own terms; it decides "
    "freely. A removal order (Regulation (EU) 2021/784) obliges it to remove the content or "
    "disable access to it within one hour of receipt, and only a competent authority of an EU "
    "member state may issue one."
)

_PATH = re.compile(r"^items\[(\d+)\](?:\.([a-z_]+))?")
_TOP_FIELDS = ("platform", "kind", "legal_basis")
_CHOOSE = {
    "platform": "Choose a platform.",
    "kind": "Choose referral or removal order.",
    "content_type": "Choose what the content is.",
    "category": "Choose a category.",
}


def _choices(labels: dict[str, str], blank: str) -> list[SelectChoice]:
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

    url = StringField("URL", render_kw={"maxlength": 2000, "inputmode": "url"})
    account = StringField("Account or channel", render_kw={"maxlength": 200})
    content_type = SelectField(
        "Content type", choices=_choices(CONTENT_TYPES, "Choose"), validate_choice=False
    )
    category = SelectField(
        "Category", choices=_choices(CATEGORIES, "Choose a category"), validate_choice=False
    )
    language = StringField("Language (ISO 639, such as ar)", render_kw={"maxlength": 3})
    attributed_group = StringField(
        "Attributed group", render_kw={"maxlength": 200, "list": "group-suggestions"}
    )
    reason = TextAreaField("Reason", render_kw={"maxlength": 500, "rows": 2})
    hashes = TextAreaField(
        "Evidence hashes (optional, SHA-256 or MD5, one per line)", render_kw={"rows": 2}
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

    platform = SelectField("Platform", validate_choice=False)
    kind = RadioField(
        "Kind",
        choices=[SelectChoice(k, v) for k, v in KINDS.items()],
        validate_choice=False,
    )
    legal_basis = TextAreaField(
        "Legal basis (required for a removal order)",
        render_kw={"rows": 2, "maxlength": 2000},
    )
    items = FieldList(FormField(ItemRowForm), min_entries=FIRST_ROWS, max_entries=MAX_ITEMS + 1)

    def offer(self, platforms: list[Platform], may_order: bool) -> None:
        """The platforms to choose from; the order option only for competent authorities (a
        forced one is still refused by the service, naming the rule)."""
        self.platform.choices = [SelectChoice("", "Choose a platform")] + [
            SelectChoice(p.code, f"{p.code} · {p.name}") for p in platforms
        ]
        if not may_order:
            self.kind.choices = [SelectChoice(ReferralKind.REFERRAL.value, "Referral")]

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
    if message.startswith("Choose one of:"):
        message = _CHOOSE.get(target.short_name, message)
    target.errors = [*target.errors, message]
    return Problem(target.id, message)


class MineFilterForm(Form):
    """The filters of "My referrals" (a GET form: no CSRF token)."""

    state = SelectField("State", choices=_choices(STATES, "Any state"), validate_choice=False)
    platform = SelectField("Platform", validate_choice=False)
    kind = SelectField("Kind", choices=_choices(KINDS, "Any kind"), validate_choice=False)
    page = IntegerField("Page", validators=[Optional(), NumberRange(min=1, max=100_000)], default=1)
    size = IntegerField(
        "Items a page", validators=[Optional(), NumberRange(min=1, max=MAX_PAGE)], default=50
    )

    def offer(self, platforms: list[Platform]) -> None:
        self.platform.choices = [SelectChoice("", "Any platform")] + [
            SelectChoice(p.code, p.code) for p in platforms
        ]


class AnswerForm(FlaskForm):
    answer = TextAreaField("Your answer", render_kw={"rows": 4, "maxlength": 2000})


class WithdrawForm(FlaskForm):
    reason = TextAreaField("Why you withdraw it (optional)", render_kw={"rows": 2})


class ComplaintForm(FlaskForm):
    text = TextAreaField("What is wrong with the decision", render_kw={"rows": 3})
