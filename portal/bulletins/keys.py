"""Bulletin views: the key directory that officers compare fingerprints against."""

from __future__ import annotations

from flask import abort, render_template
from flask_login import current_user
from werkzeug.wrappers import Response

from portal.access import signed_in
from portal.bulletins.blueprint import blueprint
from portal.models import OrgKind
from portal.services.organisations import keys as org_keys


@blueprint.route("/keys")
@signed_in
def keys() -> str:
    """Every organisation's current key fingerprint, to compare with what it gave out of band."""
    if current_user.organisation.kind is OrgKind.PLATFORM:
        abort(404)
    return render_template(
        "bulletins/keys.html", cards=org_keys.key_cards(), own=current_user.organisation.code
    )


@blueprint.route("/keys.json")
@signed_in
def keys_json() -> Response:
    """Every organisation's public keys (all versions), for offline verification tools."""
    if current_user.organisation.kind is OrgKind.PLATFORM:
        abort(404)
    response = Response(org_keys.public_directory().to_json(), mimetype="application/json")
    response.headers["Content-Disposition"] = 'attachment; filename="ischia-public-keys.json"'
    return response
