"""The platform's side of referrals: its queue by deadline, an item with its case, and the
actions on them (claim, decide, ask the referrer, reopen, reinstate), one or several at once.

Only the platform's liaison officers reach these pages (403 for anyone else); every item id
goes through ``access.platform_item`` in the service, so another platform's item is a 404.

Bulk actions are all or nothing: the service checks every selected item in one transaction
and applies none of them when one is refused, naming that item, so the liaison never has to
work out which half of a selection went through.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from flask import flash, redirect, render_template, request, url_for
from flask_babel import gettext, lazy_gettext, ngettext
from werkzeug.datastructures import MultiDict
from werkzeug.wrappers import Response

from portal.access import roles_required
from portal.i18n import when
from portal.models import Role
from portal.principal import current_actor, current_reader
from portal.referrals.blueprint import blueprint
from portal.referrals.evidence_views import evidence_panel
from portal.referrals.queue_forms import (
    BULK_STATE_LABELS,
    CATEGORY_LABELS,
    CONTENT_TYPE_LABELS,
    DELIVERY_STATE_LABELS,
    DETAIL_LABELS,
    EVENT_LABELS,
    KIND_LABELS,
    OUTCOME_LABELS,
    ROW_STATUS_LABELS,
    STATE_LABELS,
    AskForm,
    BulkForm,
    ClaimForm,
    DecideForm,
    ProviderComplaintForm,
    QueueFilterForm,
    ReinstateForm,
    ReopenForm,
    all_outcomes,
    outcome_choices,
)
from portal.services.errors import NotFound, ServiceError
from portal.services.referrals import queue, queue_pages
from portal.services.referrals.queue import Decision

Page = str | tuple[str, int] | Response
LIAISON = Role.PLATFORM_LIAISON


def _ledger_value(key: str, value: object) -> str:
    """A ledger entry's detail as the item page shows it: outcomes, yes or no, and times in
    words of the reader's language; what people wrote as they wrote it."""
    if key in ("outcome", "previous") and isinstance(value, str):
        return str(OUTCOME_LABELS.get(value, value))
    if isinstance(value, bool):
        return gettext("yes") if value else gettext("no")
    if key in ("deadline", "restarted_deadline") and isinstance(value, str):
        try:
            return when(datetime.fromisoformat(value))
        except ValueError:
            return value
    if isinstance(value, list | tuple):
        return ", ".join(str(part) for part in value)
    return str(value)


@blueprint.app_context_processor
def _labels() -> dict[str, Any]:
    return {
        "ledger_value": _ledger_value,
        "outcome_labels": OUTCOME_LABELS,
        "kind_labels": KIND_LABELS,
        "referral_category_labels": CATEGORY_LABELS,
        "content_type_labels": CONTENT_TYPE_LABELS,
        "item_state_labels": STATE_LABELS,
        "ledger_event_labels": EVENT_LABELS,
        "ledger_detail_labels": DETAIL_LABELS,
        "bulk_state_labels": BULK_STATE_LABELS,
        "row_status_labels": ROW_STATUS_LABELS,
        "delivery_state_labels": DELIVERY_STATE_LABELS,
    }


def _bulk_form(form: BulkForm | None = None) -> BulkForm:
    form = form or BulkForm(formdata=None)
    form.outcome.choices = outcome_choices(all_outcomes(), empty=gettext("Choose an outcome"))
    return form


def _queue_page(filters: QueueFilterForm, bulk: BulkForm, status: int = 200) -> Page:
    reader = current_reader()
    page = None
    if filters.validate():
        try:
            page = queue.list_queue(
                reader, filters.query(reader.user_id), page=filters.page.data or 1
            )
        except NotFound:
            raise
        except ServiceError as error:
            field = getattr(filters, error.field or "", None) or filters.state
            field.errors = [*field.errors, error.message]
    if page is None:
        status = max(status, 400)
    return render_template(
        "referrals/queue.html", filters=filters, page=page, args=filters.args(), bulk=bulk
    ), status


@blueprint.route("/queue", endpoint="queue")
@roles_required(LIAISON)
def queue_view() -> Page:
    """The items addressed to the user's platform, binding deadline first, with live clocks."""
    return _queue_page(QueueFilterForm(request.args), _bulk_form())


@blueprint.route("/queue/bulk", methods=["POST"])
@roles_required(LIAISON)
def queue_bulk() -> Page:
    """Claim the selected items, or decide them with one outcome: all of them or none."""
    form = _bulk_form(BulkForm())
    back = form.back()
    if not form.validate_on_submit():
        return _queue_page(QueueFilterForm(MultiDict(back)), form, 400)
    ids = request.form.getlist("items")
    try:
        if form.action.data == "claim":
            done = queue.claim_many(current_reader(), current_actor(), ids)
            message = ngettext("Claimed %(num)s item.", "Claimed %(num)s items.", done)
        elif form.action.data == "decide" and not form.outcome.data:
            form.outcome.errors = [gettext("Choose an outcome.")]
            return _queue_page(QueueFilterForm(MultiDict(back)), form, 400)
        elif form.action.data == "decide":
            decision = Decision(
                outcome=form.outcome.data or "",
                countries=form.countries.data or "",
                reason=form.reason.data,
            )
            done = queue.decide_many(current_reader(), current_actor(), ids, decision)
            message = ngettext("Decided %(num)s item.", "Decided %(num)s items.", done)
        else:
            form.action.errors = [gettext("Choose Claim or Decide.")]
            return _queue_page(QueueFilterForm(MultiDict(back)), form, 400)
    except NotFound:
        raise
    except ServiceError as error:
        target = getattr(form, error.field or "", None) if error.field != "items" else None
        if target is not None:
            target.errors = [*target.errors, error.message]
        else:
            flash(error.message, "error")
        return _queue_page(QueueFilterForm(MultiDict(back)), form, error.status)
    flash(message, "success")
    arguments: dict[str, Any] = back  # Any, or mypy checks them against url_for's own options
    return redirect(url_for("referrals.queue", **arguments))


def _item_page(item_id: str, status: int = 200, **forms: Any) -> tuple[str, int]:
    page = queue_pages.item_page(current_reader(), current_actor(), item_id)
    decide = forms.get("decide") or DecideForm(formdata=None)
    decide.outcome.choices = outcome_choices(page.outcomes, empty=gettext("Choose an outcome"))
    return render_template(
        "referrals/case.html",
        page=page,
        item=page.view.item,
        claim=ClaimForm(formdata=None),
        decide=decide,
        ask=forms.get("ask") or AskForm(formdata=None),
        reopen=forms.get("reopen") or ReopenForm(formdata=None, prefix="reopen"),
        reinstate=forms.get("reinstate") or ReinstateForm(formdata=None, prefix="reinstate"),
        provider_complaint=forms.get("provider_complaint")
        or ProviderComplaintForm(formdata=None, prefix="provider_complaint"),
        panel=evidence_panel(current_reader(), item_id, next_url=request.path),
    ), status


@blueprint.route("/queue/<item_id>", endpoint="queue_item")
@roles_required(LIAISON)
def queue_item(item_id: str) -> Page:
    """One item with its case, its signatures and its ledger; opening it is on the ledger."""
    return _item_page(item_id)


def _act(item_id: str, form: Any, name: str, act: Any, done: str) -> Page:
    """Run ``act`` for a valid form; a refusal is shown next to its field on the item page."""
    if not form.validate_on_submit():
        return _item_page(item_id, 400, **{name: form})
    try:
        act()
    except NotFound:
        raise
    except ServiceError as error:
        field = getattr(form, error.field or "", None)
        if field is None:
            flash(error.message, "error")
        else:
            field.errors = [*field.errors, error.message]
        return _item_page(item_id, error.status, **{name: form})
    flash(str(done), "success")
    return redirect(url_for("referrals.queue_item", item_id=item_id))


@blueprint.route("/queue/<item_id>/claim", methods=["POST"])
@roles_required(LIAISON)
def queue_claim(item_id: str) -> Page:
    form = ClaimForm()
    return _act(
        item_id,
        form,
        "claim",
        lambda: queue.claim(current_reader(), current_actor(), item_id),
        lazy_gettext("You have claimed this item."),
    )


@blueprint.route("/queue/<item_id>/decide", methods=["POST"])
@roles_required(LIAISON)
def queue_decide(item_id: str) -> Page:
    form = DecideForm()

    def act() -> None:
        decision = Decision(
            outcome=form.outcome.data or "",
            countries=form.countries.data or "",
            reason=form.reason.data,
        )
        queue.decide(current_reader(), current_actor(), item_id, decision)

    return _act(item_id, form, "decide", act, lazy_gettext("Decision recorded."))


@blueprint.route("/queue/<item_id>/ask", methods=["POST"])
@roles_required(LIAISON)
def queue_ask(item_id: str) -> Page:
    form = AskForm()

    def act() -> None:
        decision = Decision(outcome="more_information", question=form.question.data)
        queue.decide(current_reader(), current_actor(), item_id, decision)

    return _act(item_id, form, "ask", act, lazy_gettext("Your question was sent to the referrer."))


@blueprint.route("/queue/<item_id>/reopen", methods=["POST"])
@roles_required(LIAISON)
def queue_reopen(item_id: str) -> Page:
    form = ReopenForm(prefix="reopen")
    return _act(
        item_id,
        form,
        "reopen",
        lambda: queue.reopen(current_reader(), current_actor(), item_id, form.reason.data or ""),
        lazy_gettext("The decision was reopened: the item is back in the queue."),
    )


@blueprint.route("/queue/<item_id>/reinstate", methods=["POST"])
@roles_required(LIAISON)
def queue_reinstate(item_id: str) -> Page:
    form = ReinstateForm(prefix="reinstate")
    return _act(
        item_id,
        form,
        "reinstate",
        lambda: queue.reinstate(current_reader(), current_actor(), item_id, form.reason.data or ""),
        lazy_gettext("The reinstatement is on record and shown to the referrer."),
    )


@blueprint.route("/queue/<item_id>/provider-complaint", methods=["POST"])
@roles_required(LIAISON)
def queue_provider_complaint(item_id: str) -> Page:
    form = ProviderComplaintForm(prefix="provider_complaint")
    return _act(
        item_id,
        form,
        "provider_complaint",
        lambda: queue.record_provider_complaint(
            current_reader(), current_actor(), item_id, form.text.data or ""
        ),
        lazy_gettext("The content provider's complaint is on record and shown to the referrer."),
    )
