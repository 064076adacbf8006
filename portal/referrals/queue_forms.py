"""Forms of the platform's referral queue: its filters (a GET form), the bulk action, and the
item page's claim, decision, question, reopening and reinstatement.

The filters accept only what they offer, so a forged value gets a message next to its field and
a 400. Decisions are not checked against the vocabulary here: the service refuses an outcome a
kind does not allow, and its message is shown next to the field, as for a stale page.
"""

from __future__ import annotations

from typing import Any

from flask_wtf import FlaskForm
from wtforms import BooleanField, HiddenField, IntegerField, SelectField, StringField, TextAreaField

# types-WTForms follows WTForms 3.2, which had no SelectChoice (new in 3.3).
from wtforms.fields.choices import SelectChoice  # type: ignore[attr-defined]
from wtforms.validators import NumberRange, Optional, ValidationError

from portal.models import ItemState, ReferralKind
from portal.services.referrals.queue import MAX_NOTE, QueueFilter
from portal.services.referrals.vocabulary import Category, Outcome

OUTCOME_LABELS = {
    Outcome.REMOVED.value: "Removed",
    Outcome.ACCESS_DISABLED.value: "Access disabled in listed countries",
    Outcome.RESTRICTED.value: "Restricted (age gate, reduced reach)",
    Outcome.ACCOUNT_SUSPENDED.value: "Account suspended",
    Outcome.NO_VIOLATION.value: "No violation of our terms",
    Outcome.NOT_OUR_SERVICE.value: "Not our service",
    Outcome.ALREADY_GONE.value: "Already gone",
    Outcome.MORE_INFORMATION.value: "More information needed",
    Outcome.TECHNICAL_IMPOSSIBILITY.value: "Technical impossibility (reason required)",
    Outcome.FORCE_MAJEURE.value: "Force majeure (reason required)",
    Outcome.SCRUTINY_REQUESTED.value: "Request for scrutiny (reason required)",
}
KIND_LABELS = {ReferralKind.REFERRAL.value: "Referral", ReferralKind.REMOVAL_ORDER.value: "Order"}
CATEGORY_LABELS = {
    Category.RECRUITMENT.value: "Recruitment",
    Category.INCITEMENT.value: "Incitement",
    Category.ATTACK_INSTRUCTIONS.value: "Attack instructions",
    Category.WEAPONS_MANUAL.value: "Weapons or explosives manual",
    Category.PROPAGANDA.value: "Glorification or propaganda",
    Category.FINANCING.value: "Financing",
    Category.OTHER.value: "Other",
}
FILTERS = ("state", "kind", "category", "overdue", "mine")
_TRUE = {"y", "yes", "on", "1", "true"}
_FALSE = {"", "n", "no", "off", "0", "false"}


def _choices(anything: str, pairs: list[tuple[str, str]]) -> list[SelectChoice]:
    return [SelectChoice("", anything)] + [SelectChoice(v, label) for v, label in pairs]


class _Choice(SelectField):
    """A select that names what it allows when given anything else."""

    def pre_validate(self, form: Any) -> None:
        values = [str(choice[0]) for choice in self.iter_choices()]
        if (self.data or "") not in values:
            allowed = ", ".join(value for value in values if value)
            raise ValidationError(f"Choose one of: {allowed} (or leave it empty).")


class _Tick(BooleanField):
    """A checkbox that refuses values no checkbox sends."""

    raw = ""

    def process_formdata(self, valuelist: list[str]) -> None:
        self.raw = valuelist[0] if valuelist else ""
        self.data = self.raw.strip().lower() in _TRUE

    def pre_validate(self, form: Any) -> None:
        if self.raw.strip().lower() not in _TRUE | _FALSE:
            raise ValidationError("Tick the box or leave it empty.")


class QueueFilterForm(FlaskForm):
    class Meta:
        csrf = False  # a GET form: it changes nothing

    state = _Choice(
        "State", choices=_choices("Any state", [(s.value, s.value.capitalize()) for s in ItemState])
    )
    kind = _Choice("Kind", choices=_choices("Any kind", list(KIND_LABELS.items())))
    category = _Choice("Category", choices=_choices("Any category", list(CATEGORY_LABELS.items())))
    overdue = _Tick("Overdue only")
    mine = _Tick("Claimed by me")
    page = IntegerField("Page", validators=[Optional(), NumberRange(min=1, max=100_000)])

    def query(self, user_id: int) -> QueueFilter:
        return QueueFilter(
            state=self.state.data or None,
            kind=self.kind.data or None,
            category=self.category.data or None,
            overdue=True if self.overdue.data else None,
            claimed_by=user_id if self.mine.data else None,
        )

    def args(self) -> dict[str, str]:
        """The filters in force, as query arguments (for paging and coming back)."""
        found = {name: str(getattr(self, name).data or "") for name in FILTERS}
        for tick in ("overdue", "mine"):
            found[tick] = "1" if found[tick] == "True" else ""
        return {name: value for name, value in found.items() if value}


class _Decision:
    """The fields of a decision, shared by the item page and the bulk form."""

    outcome = SelectField("Outcome", choices=[], validate_choice=False)
    countries = StringField(
        "Countries where access is disabled",
        description="ISO 3166 codes separated by spaces, such as DE FR AT.",
    )
    reason = TextAreaField("Reason", description="Required for the regulation's exits.")


class DecideForm(_Decision, FlaskForm):
    pass


class BulkForm(_Decision, FlaskForm):
    action = HiddenField()  # the pressed button's value: claim or decide
    # The filters to come back to, as the queue page had them.
    state = HiddenField()
    kind = HiddenField()
    category = HiddenField()
    overdue = HiddenField()
    mine = HiddenField()

    def back(self) -> dict[str, str]:
        return {name: str(getattr(self, name).data) for name in FILTERS if getattr(self, name).data}


class AskForm(FlaskForm):
    question = TextAreaField(
        "Question to the referrer",
        description=f"What is missing or unclear (at most {MAX_NOTE} characters).",
    )


class ReopenForm(FlaskForm):
    reason = TextAreaField("Why the decision is reopened")


class ReinstateForm(FlaskForm):
    reason = TextAreaField(
        "Why the content was put back",
        description="For instance the uploader's complaint and what was found.",
    )


class ProviderComplaintForm(FlaskForm):
    text = TextAreaField(
        "The content provider's complaint",
        description="What the uploader says (Regulation (EU) 2021/784, Art. 10); the referrer "
        "sees it.",
    )


class ClaimForm(FlaskForm):
    pass


def outcome_choices(outcomes: list[str], *, empty: str | None = None) -> list[SelectChoice]:
    first = [SelectChoice("", empty)] if empty else []
    return first + [SelectChoice(o, OUTCOME_LABELS.get(o, o)) for o in outcomes]


def all_outcomes() -> list[str]:
    """Every decision a bulk action may name (the service checks each item's kind)."""
    return [o.value for o in Outcome if o is not Outcome.MORE_INFORMATION]
