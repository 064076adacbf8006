"""The referring organisation's own referrals: every item, where it stands and how long the
platform took; an item's history, answering the platform's question, withdrawing an item,
disputing a decision. Another organisation's item is a 404, as if it did not exist."""

from __future__ import annotations

from collections.abc import Callable

from flask import flash, redirect, render_template, request, url_for
from flask_babel import gettext
from flask_wtf import FlaskForm
from werkzeug.wrappers import Response

from portal.access import roles_required
from portal.models import Role
from portal.principal import current_actor, current_reader
from portal.referrals.blueprint import blueprint
from portal.referrals.evidence_views import evidence_panel
from portal.referrals.refer_forms import AnswerForm, ComplaintForm, MineFilterForm, WithdrawForm
from portal.services.errors import Conflict, InvalidInput
from portal.services.referrals import referrer, referring
from portal.services.referrals.referrer import OwnFilter

Page = tuple[str, int]
PAGE_SIZE = 50


@blueprint.route("/mine")
@roles_required(Role.LIAISON)
def mine() -> Page:
    """The organisation's referred items, newest first, with filters and pages."""
    reader = current_reader()
    form = MineFilterForm(request.args)
    form.offer(referring.choices(reader).platforms)
    args = {k: v for k, v in request.args.items() if k != "page" and v}
    if not form.validate():
        return render_template("referrals/mine.html", form=form, page=None, args=args), 400
    filters = OwnFilter(
        state=form.state.data or None,
        platform=form.platform.data or None,
        kind=form.kind.data or None,
    )
    try:
        page = referrer.own_page(
            reader, filters, page=form.page.data or 1, size=form.size.data or PAGE_SIZE
        )
    except InvalidInput as error:
        target = (
            form[error.field] if error.field in ("state", "kind", "page", "size") else form.state
        )
        target.errors = [*target.errors, error.message]
        return render_template("referrals/mine.html", form=form, page=None, args=args), 400
    return render_template("referrals/mine.html", form=form, page=page, args=args), 200


def _item_page(
    item_id: str,
    status: int = 200,
    posted: dict[str, FlaskForm] | None = None,
    refused: str | None = None,
) -> Page:
    """The item page; a form just posted is shown as it was typed, with its errors."""
    reader = current_reader()
    found = referring.detail(reader, item_id)
    forms: dict[str, FlaskForm] = {
        "answer": AnswerForm(formdata=None),
        "withdraw": WithdrawForm(formdata=None),
        "complaint": ComplaintForm(formdata=None),
    }
    forms.update(posted or {})
    html = render_template(
        "referrals/mine_item.html",
        detail=found,
        item=found.item,
        refused=refused,
        panel=evidence_panel(reader, item_id, next_url=request.path),
        **forms,
    )
    return html, status


@blueprint.route("/mine/<item_id>")
@roles_required(Role.LIAISON)
def mine_item(item_id: str) -> Page:
    """One item: its state, the platform's question, its ledger history."""
    return _item_page(item_id)


def _act(
    item_id: str, form: FlaskForm, name: str, act: Callable[[], None], done: str
) -> Page | Response:
    """Run ``act`` on a valid POST; show the item again with any refusal next to its field."""
    if not form.validate():
        return _item_page(item_id, 400, {name: form}, gettext("The form expired. Try again."))
    try:
        act()
    except (InvalidInput, Conflict) as error:
        target = getattr(form, error.field or "", None)
        if target is not None:
            target.errors = [*target.errors, error.message]
        return _item_page(item_id, error.status, {name: form}, error.message)
    flash(done, "success")
    return redirect(url_for("referrals.mine_item", item_id=item_id))


@blueprint.route("/mine/<item_id>/answer", methods=["POST"])
@roles_required(Role.LIAISON)
def answer(item_id: str) -> Page | Response:
    """Answer the platform's open question about an item."""
    form = AnswerForm()
    return _act(
        item_id,
        form,
        "answer",
        lambda: referrer.answer(current_reader(), current_actor(), item_id, form.answer.data or ""),
        gettext("Your answer was sent to the platform; its clock runs again from now."),
    )


@blueprint.route("/mine/<item_id>/withdraw", methods=["POST"])
@roles_required(Role.LIAISON)
def withdraw(item_id: str) -> Page | Response:
    """Withdraw an item the platform has not decided yet."""
    form = WithdrawForm()
    return _act(
        item_id,
        form,
        "withdraw",
        lambda: referrer.withdraw(current_reader(), current_actor(), item_id, form.reason.data),
        gettext("The item was withdrawn; the platform sees it as withdrawn."),
    )


@blueprint.route("/mine/<item_id>/complain", methods=["POST"])
@roles_required(Role.LIAISON)
def complain(item_id: str) -> Page | Response:
    """Put on record that the organisation disputes the platform's decision."""
    form = ComplaintForm()
    return _act(
        item_id,
        form,
        "complaint",
        lambda: referrer.complain(current_reader(), current_actor(), item_id, form.text.data or ""),
        gettext("Your complaint is on record; the platform may reopen its decision."),
    )
