"""Entity pages (``/entities/<reference>``: an opaque reference, never the identifier), the
watchlist (``/watchlist``) and its notifications (``/watchlist/notifications``).

Every form that changes something is a POST checked by the app's CSRF protection; a typed
identifier travels in a POST body only."""

from __future__ import annotations

from flask import flash, redirect, render_template, url_for
from flask_babel import gettext, ngettext
from flask_babel import lazy_gettext as _l
from werkzeug.wrappers import Response

from portal.access import roles_required, signed_in
from portal.models import Role
from portal.principal import current_actor, current_reader
from portal.services.errors import ServiceError
from portal.services.watchlists import entity_pages, mail, notifications, watching
from portal.watchlists.blueprint import blueprint
from portal.watchlists.forms import RelayForm, WatchForm

Page = str | tuple[str, int] | Response
WATCHED = _l("Watched: you will be told when a bulletin your organisation can read names it.")


def _watched(what: tuple[str, ...]) -> str:
    """What a typed watch covers, said in full: an account on every platform, a name as a
    person's and as a group's."""
    return ngettext(
        "Watched: %(what)s. You will be told when a bulletin your organisation can read names it.",
        "Watched, %(num)s ways: %(what)s. You will be told when a bulletin your organisation can "
        "read names any of them.",
        len(what),
        what="; ".join(what),
    )


@blueprint.route("/entities/<reference>")
@signed_in
def entity(reference: str) -> Page:
    """Everything the organisation can read about one entity, and who else holds more."""
    page = entity_pages.entity_page(current_reader(), reference)
    return render_template("watchlists/entity.html", page=page)


@blueprint.route("/entities/<reference>/watch", methods=["POST"])
@signed_in
def watch_entity(reference: str) -> Page:
    reader = current_reader()
    page = entity_pages.entity_page(reader, reference)  # 404 for a reference not the org's
    watching.watch_reference(reader, current_actor(), reference, page.name)
    flash(str(WATCHED), "success")
    return redirect(url_for("watchlists.entity", reference=reference))


@blueprint.route("/watchlist", methods=["GET", "POST"])
@signed_in
def watchlist() -> Page:
    """What the person watches, and a form to watch an identifier typed in."""
    reader = current_reader()
    form = WatchForm()
    status = 200
    if form.is_submitted():
        if not form.validate():
            status = 400
        else:
            typed, platform = form.q.data or "", form.platform.data or None
            try:
                what = watching.typed_described(reader, typed, platform)  # before any write
                watching.watch_typed(reader, current_actor(), typed, platform)
            except ServiceError as error:
                target = getattr(form, error.field or "", None) or form.q
                target.errors = [*target.errors, error.message]
                status = error.status
            else:
                flash(_watched(what), "success")
                return redirect(url_for("watchlists.watchlist"))
    items = watching.watched(reader)
    return render_template("watchlists/watchlist.html", form=form, items=items), status


@blueprint.route("/watchlist/")
@signed_in
def watchlist_slash() -> Page:
    """``/watchlist/``, as people type it, leads to the watchlist rather than a 404."""
    return redirect(url_for("watchlists.watchlist"), 308)


@blueprint.route("/watchlist/<int:watch_id>/unwatch", methods=["POST"])
@signed_in
def unwatch(watch_id: int) -> Page:
    watching.unwatch(current_reader(), current_actor(), watch_id)
    flash(gettext("No longer watched."), "success")
    return redirect(url_for("watchlists.watchlist"))


@blueprint.route("/watchlist/notifications")
@signed_in
def notices() -> Page:
    """Bulletins that named something the person watches, newest first."""
    found = notifications.notices(current_reader())
    return render_template("watchlists/notifications.html", notices=found)


@blueprint.route("/watchlist/notifications/seen", methods=["POST"])
@signed_in
def seen() -> Page:
    notifications.mark_seen(current_reader())
    return redirect(url_for("watchlists.notices"))


@blueprint.route("/watchlist/mail-relay", methods=["GET", "POST"])
@roles_required(Role.ORG_ADMIN)
def mail_relay() -> Page:
    """The organisation's SMTP relay for watchlist e-mails, for its administrators."""
    reader = current_reader()
    relay = mail.relay_of(reader)  # NotFound for a platform's administrators
    form = RelayForm()
    status = 200
    if not form.is_submitted() and relay is not None:
        form.host.data, form.port.data = relay.host, relay.port
        form.sender.data, form.starttls.data = relay.sender, relay.starttls
    elif form.is_submitted():
        if not form.validate():
            status = 400
        else:
            try:
                mail.set_own_relay(
                    reader,
                    current_actor(),
                    host=form.host.data,
                    port=form.port.data,
                    sender=form.sender.data,
                    starttls=bool(form.starttls.data),
                )
            except ServiceError as error:
                target = getattr(
                    form, {"from": "sender"}.get(error.field or "", error.field or ""), None
                )
                (target or form.host).errors = [*(target or form.host).errors, error.message]
                status = error.status
            else:
                flash(
                    gettext("Saved.")
                    if form.host.data
                    else gettext("No relay: in-portal notices only."),
                    "success",
                )
                return redirect(url_for("watchlists.mail_relay"))
    return render_template("watchlists/mail_relay.html", form=form, relay=relay), status
