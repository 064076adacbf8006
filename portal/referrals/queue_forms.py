"""Forms of the platform's referral queue: its filters (a GET form), the bulk action, and the
item page's claim, decision, question, reopening and reinstatement.

The filters accept only what they offer, so a forged value gets a message next to its field and
a 400. Decisions are not checked against the vocabulary here: the service refuses an outcome a
kind does not allow, and its message is shown next to the field, as for a stale page.
"""

from __future__ import annotations

from typing import Any

from flask_babel import gettext
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, HiddenField, IntegerField, SelectField, StringField, TextAreaField

# types-WTForms follows WTForms 3.2, which had no SelectChoice (new in 3.3).
from wtforms.fields.choices import SelectChoice  # type: ignore[attr-defined]
from wtforms.validators import InputRequired, NumberRange, Optional, ValidationError

from portal.models import ItemState, ReferralKind
from portal.models.referral_bulk import BulkState, RowStatus
from portal.models.webhook import DeliveryState
from portal.services.referrals.ledger import Event
from portal.services.referrals.queue import MAX_NOTE, QueueFilter
from portal.services.referrals.vocabulary import Category, ContentType, Outcome

# The words shown for the stored codes, in the reader's language (lazy: str() at use time).
OUTCOME_LABELS = {
    Outcome.REMOVED.value: _l("Removed"),
    Outcome.ACCESS_DISABLED.value: _l("Access disabled in listed countries"),
    Outcome.RESTRICTED.value: _l("Restricted (age gate, reduced reach)"),
    Outcome.ACCOUNT_SUSPENDED.value: _l("Account suspended"),
    Outcome.NO_VIOLATION.value: _l("No violation of our terms"),
    Outcome.NOT_OUR_SERVICE.value: _l("Not our service"),
    Outcome.ALREADY_GONE.value: _l("Already gone"),
    Outcome.MORE_INFORMATION.value: _l("More information needed"),
    Outcome.TECHNICAL_IMPOSSIBILITY.value: _l("Technical impossibility (reason required)"),
    Outcome.FORCE_MAJEURE.value: _l("Force majeure (reason required)"),
    Outcome.SCRUTINY_REQUESTED.value: _l("Request for scrutiny (reason required)"),
}
KIND_LABELS = {
    ReferralKind.REFERRAL.value: _l("Referral"),
    ReferralKind.REMOVAL_ORDER.value: _l("Removal order"),
}
CATEGORY_LABELS = {
    Category.RECRUITMENT.value: _l("Recruitment"),
    Category.INCITEMENT.value: _l("Incitement"),
    Category.ATTACK_INSTRUCTIONS.value: _l("Attack instructions"),
    Category.WEAPONS_MANUAL.value: _l("Weapons or explosives manual"),
    Category.PROPAGANDA.value: _l("Glorification or propaganda"),
    Category.FINANCING.value: _l("Financing"),
    Category.OTHER.value: _l("Other"),
}
CONTENT_TYPE_LABELS = {
    ContentType.VIDEO.value: _l("Video"),
    ContentType.IMAGE.value: _l("Image"),
    ContentType.AUDIO.value: _l("Audio"),
    ContentType.TEXT.value: _l("Text"),
    ContentType.LIVE_STREAM.value: _l("Live stream"),
    ContentType.FILE.value: _l("File"),
    ContentType.ACCOUNT.value: _l("Account"),
}
STATE_LABELS = {
    ItemState.RECEIVED.value: _l("received"),
    ItemState.CLAIMED.value: _l("claimed"),
    ItemState.QUESTION.value: _l("question to the referrer"),
    ItemState.DECIDED.value: _l("decided"),
    ItemState.REINSTATED.value: _l("reinstated"),
    ItemState.WITHDRAWN.value: _l("withdrawn"),
}
EVENT_LABELS = {
    Event.RECEIVED.value: _l("received"),
    Event.FIRST_OPENED.value: _l("first opened"),
    Event.CLAIMED.value: _l("claimed"),
    Event.DECIDED.value: _l("decided"),
    Event.QUESTION_ASKED.value: _l("question asked"),
    Event.QUESTION_ANSWERED.value: _l("question answered"),
    Event.WITHDRAWN.value: _l("withdrawn"),
    Event.COMPLAINT.value: _l("complaint"),
    Event.PROVIDER_COMPLAINT.value: _l("provider complaint"),
    Event.REINSTATED.value: _l("reinstated"),
    Event.REOPENED.value: _l("reopened"),
}
# The keys of a ledger entry's details, as the item page names them.
DETAIL_LABELS = {
    "outcome": _l("outcome"),
    "previous": _l("previous outcome"),
    "countries": _l("countries"),
    "on_time": _l("on time"),
    "within_restarted_clock": _l("within the restarted clock"),
    "reason": _l("reason"),
    "question": _l("question"),
    "answer": _l("answer"),
    "text": _l("text"),
    "restarted_deadline": _l("restarted deadline"),
    "platform": _l("platform"),
    "deadline": _l("deadline"),
}
BULK_STATE_LABELS = {
    BulkState.QUEUED.value: _l("Queued"),
    BulkState.RUNNING.value: _l("Running"),
    BulkState.DONE.value: _l("Done"),
    BulkState.FAILED.value: _l("Failed"),
}
ROW_STATUS_LABELS = {
    RowStatus.PENDING.value: _l("pending"),
    RowStatus.ACCEPTED.value: _l("accepted"),
    RowStatus.DUPLICATE.value: _l("duplicate"),
    RowStatus.REFUSED.value: _l("refused"),
}
DELIVERY_STATE_LABELS = {
    DeliveryState.PENDING.value: _l("pending"),
    DeliveryState.DELIVERED.value: _l("delivered"),
    DeliveryState.FAILED.value: _l("failed"),
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
            raise ValidationError(
                gettext("Choose one of: %(choices)s (or leave it empty).", choices=allowed)
            )


class _Tick(BooleanField):
    """A checkbox that refuses values no checkbox sends."""

    raw = ""

    def process_formdata(self, valuelist: list[str]) -> None:
        self.raw = valuelist[0] if valuelist else ""
        self.data = self.raw.strip().lower() in _TRUE

    def pre_validate(self, form: Any) -> None:
        if self.raw.strip().lower() not in _TRUE | _FALSE:
            raise ValidationError(gettext("Tick the box or leave it empty."))


class QueueFilterForm(FlaskForm):
    class Meta:
        csrf = False  # a GET form: it changes nothing

    state = _Choice(_l("State"), choices=_choices(_l("Any state"), list(STATE_LABELS.items())))
    kind = _Choice(_l("Kind"), choices=_choices(_l("Any kind"), list(KIND_LABELS.items())))
    category = _Choice(
        _l("Category"), choices=_choices(_l("Any category"), list(CATEGORY_LABELS.items()))
    )
    overdue = _Tick(_l("Overdue only"))
    mine = _Tick(_l("Claimed by me"))
    page = IntegerField(
        _l("Page"),
        validators=[
            Optional(),
            NumberRange(
                min=1, max=100_000, message=_l("Number must be between %(min)s and %(max)s.")
            ),
        ],
    )

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

    outcome = SelectField(_l("Outcome"), choices=[], validate_choice=False)
    countries = StringField(
        _l("Countries where access is disabled"),
        description=_l("ISO 3166 codes separated by spaces, such as DE FR AT."),
    )
    reason = TextAreaField(_l("Reason"), description=_l("Required for the regulation's exits."))


class DecideForm(_Decision, FlaskForm):
    # Asked here, in words: the service's refusal lists the API's codes.
    outcome = SelectField(
        _l("Outcome"),
        choices=[],
        validate_choice=False,
        validators=[InputRequired(message=_l("Choose an outcome."))],
    )


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
        _l("Question to the referrer"),
        description=_l(
            "What is missing or unclear (at most %(limit)s characters).", limit=MAX_NOTE
        ),
    )


class ReopenForm(FlaskForm):
    reason = TextAreaField(_l("Why the decision is reopened"))


class ReinstateForm(FlaskForm):
    reason = TextAreaField(
        _l("Why the content was put back"),
        description=_l("For instance the uploader's complaint and what was found."),
    )


class ProviderComplaintForm(FlaskForm):
    text = TextAreaField(
        _l("The content provider's complaint"),
        description=_l(
            "What the uploader says (Regulation (EU) 2021/784, Art. 10); the referrer sees it."
        ),
    )


class ClaimForm(FlaskForm):
    pass


def outcome_choices(outcomes: list[str], *, empty: str | None = None) -> list[SelectChoice]:
    first = [SelectChoice("", empty)] if empty else []
    return first + [SelectChoice(o, OUTCOME_LABELS.get(o, o)) for o in outcomes]


def all_outcomes() -> list[str]:
    """Every decision a bulk action may name (the service checks each item's kind)."""
    return [o.value for o in Outcome if o is not Outcome.MORE_INFORMATION]
