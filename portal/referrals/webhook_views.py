"""The platform's webhook page: its one endpoint, the deliveries and every attempt; and the
portal's public webhook key, published for receivers to verify signatures offline."""

from __future__ import annotations

from flask import flash, redirect, render_template, request, url_for
from flask_babel import gettext
from werkzeug.wrappers import Response

from portal.access import signed_in
from portal.principal import current_actor, current_reader
from portal.referrals.blueprint import blueprint
from portal.services.errors import InvalidInput
from portal.services.referrals import webhooks


@blueprint.route("/webhook")
@signed_in
def webhook() -> str:
    return render_template("referrals/webhook.html", page=webhooks.page(current_reader()))


@blueprint.route("/webhook", methods=["POST"])
@signed_in
def register_webhook() -> Response | tuple[str, int]:
    """Register or replace the endpoint (the platform's organisation administrators)."""
    reader = current_reader()
    url = request.form.get("url", "")
    try:
        stored = webhooks.register(reader, current_actor(), url)
    except InvalidInput as error:
        page = webhooks.page(reader)
        return render_template(
            "referrals/webhook.html", page=page, error=error, typed=url
        ), error.status
    flash(gettext("Deliveries now go to %(url)s.", url=stored), "success")
    return redirect(url_for("referrals.webhook"))


@blueprint.route("/webhook/remove", methods=["POST"])
@signed_in
def remove_webhook() -> Response:
    webhooks.remove(current_reader(), current_actor())
    flash(gettext("The endpoint was removed: nothing more will be sent."), "success")
    return redirect(url_for("referrals.webhook"))


@blueprint.route("/webhook/key.json")
@signed_in
def webhook_key() -> Response:
    """The portal's public webhook key: what receivers verify ``Ischia-Signature`` with.

    Public by nature, but behind sign-in like every page but the sign-in ones: a platform's
    engineer downloads it once and installs it in the receiver."""
    response = Response(webhooks.public_key_json(), mimetype="application/json")
    response.headers["Content-Disposition"] = 'attachment; filename="ischia-webhook-key.json"'
    return response
