"""API views: a bulletin's release to one more organisation, and its retraction (the
originator only). Same services, same access rules as the web pages."""

from __future__ import annotations

from flask import Response, jsonify

from portal.access import api_token
from portal.api.blueprint import blueprint, json_object, require_write
from portal.services.bulletins import lifecycle
from portal.services.bulletins.access import visible_bulletin
from portal.services.errors import InvalidInput
from portal.token_auth import actor, reader


@blueprint.route("/bulletins/<bulletin_id>/release", methods=["POST"])
@api_token
def release(bulletin_id: str) -> Response:
    """Release a bulletin to one more organisation (its originator only).
    ---
    post:
      summary: Release a bulletin
      parameters:
        - {name: bulletin_id, in: path, required: true, schema: {type: string}}
      requestBody:
        required: true
        content:
          application/json:
            schema:
              type: object
              required: [org]
              properties:
                org: {type: string}
                confirm_red: {type: boolean}
      responses:
        "200": {description: Released}
        "400": {$ref: "#/components/responses/BadRequest"}
        "401": {$ref: "#/components/responses/Unauthorised"}
        "403": {$ref: "#/components/responses/Forbidden"}
        "404": {$ref: "#/components/responses/NotFound"}
        "409": {$ref: "#/components/responses/Conflict"}
    """
    visible_bulletin(reader(), bulletin_id)  # 404 before anything about the request body
    require_write()
    data = json_object()
    org, confirm = data.get("org"), data.get("confirm_red", False)
    if not isinstance(org, str) or not isinstance(confirm, bool):
        raise InvalidInput("An organisation code, and confirm_red true or false.", field="org")
    released = lifecycle.release_to(reader(), actor(), bulletin_id, org, confirm_red=confirm)
    return jsonify({"released_to": released.code})


@blueprint.route("/bulletins/<bulletin_id>/retract", methods=["POST"])
@api_token
def retract(bulletin_id: str) -> Response:
    """Retract a bulletin (its originator only): every wrapped key is shredded.
    ---
    post:
      summary: Retract a bulletin
      parameters:
        - {name: bulletin_id, in: path, required: true, schema: {type: string}}
      requestBody:
        required: true
        content:
          application/json:
            schema:
              type: object
              required: [confirm]
              properties:
                confirm: {type: boolean}
                reason: {type: string, maxLength: 500, description: shown to every recipient}
      responses:
        "200": {description: Retracted}
        "400": {$ref: "#/components/responses/BadRequest"}
        "401": {$ref: "#/components/responses/Unauthorised"}
        "403": {$ref: "#/components/responses/Forbidden"}
        "404": {$ref: "#/components/responses/NotFound"}
        "409": {$ref: "#/components/responses/Conflict"}
    """
    visible_bulletin(reader(), bulletin_id)  # 404 before anything about the request body
    require_write()
    body = json_object()
    confirm, reason = body.get("confirm"), body.get("reason")
    if not isinstance(confirm, bool):
        raise InvalidInput("Say confirm: true to retract.", field="confirm")
    if reason is not None and not isinstance(reason, str):
        raise InvalidInput("The reason must be text.", field="reason")
    shredded = lifecycle.retract(reader(), actor(), bulletin_id, confirmed=confirm, reason=reason)
    return jsonify({"retracted": shredded})
