"""API views beyond reading and posting: release, retract, attachments, the link graph and
briefings. Same services, same access rules as the web pages."""

from __future__ import annotations

from urllib.parse import quote

from flask import Response, jsonify, request

from portal import workspace_params
from portal.access import api_token
from portal.api.blueprint import blueprint, json_object, require_write
from portal.models import Role
from portal.services.analysis import workspace
from portal.services.analysis.workspace import ViewFilter
from portal.services.bulletins import downloads as attachment_download
from portal.services.bulletins import lifecycle
from portal.services.bulletins.access import visible_bulletin
from portal.services.errors import Forbidden, InvalidInput
from portal.services.principals import Reader
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
    confirm = json_object().get("confirm")
    if not isinstance(confirm, bool):
        raise InvalidInput("Say confirm: true to retract.", field="confirm")
    shredded = lifecycle.retract(reader(), actor(), bulletin_id, confirmed=confirm)
    return jsonify({"retracted": shredded})


@blueprint.route("/bulletins/<bulletin_id>/attachments/<int:index>", methods=["GET"])
@api_token
def attachment(bulletin_id: str, index: int) -> Response:
    """One attachment, verified and decrypted.
    ---
    get:
      summary: Download an attachment
      parameters:
        - {name: bulletin_id, in: path, required: true, schema: {type: string}}
        - name: index
          in: path
          required: true
          schema: {type: integer, minimum: 0, maximum: 2147483647}
      responses:
        "200": {description: The file}
        "401": {$ref: "#/components/responses/Unauthorised"}
        "404": {$ref: "#/components/responses/NotFound"}
        "409": {$ref: "#/components/responses/Conflict"}
    """
    try:
        download = attachment_download.download(reader(), actor(), bulletin_id, index)
    except attachment_download.AttachmentTampered:
        body = {
            "error": {"code": 409, "message": "The attachment failed verification.", "field": None}
        }
        return Response(jsonify(body).get_data(), status=409, mimetype="application/json")
    response = Response(download.data, mimetype=download.content_type)
    response.headers["Content-Disposition"] = (
        f"attachment; filename*=UTF-8''{quote(download.filename)}"
    )
    return response


def _analyst() -> Reader:
    asking = reader()
    if not asking.has_role(Role.ANALYST):
        raise Forbidden("The link graph is for analysts.")
    return asking


@blueprint.route("/graph/ego", methods=["GET"])
@api_token
def graph_ego() -> Response:
    """The neighbourhood of an entity in the organisation's graph (analysts).
    ---
    get:
      summary: Ego network
      parameters:
        - name: node
          in: query
          required: true
          schema: {type: string, minLength: 1, maxLength: 600}
        - {name: radius, in: query, schema: {type: integer, minimum: 1, maximum: 3}}
      responses:
        "200": {description: Cytoscape.js elements}
        "400": {$ref: "#/components/responses/BadRequest"}
        "401": {$ref: "#/components/responses/Unauthorised"}
        "403": {$ref: "#/components/responses/Forbidden"}
        "404": {$ref: "#/components/responses/NotFound"}
    """
    node = workspace_params.text(request.args, "node")
    radius = workspace_params.integer(request.args, "radius", 2, 1, 3)
    return jsonify(workspace.neighbourhood(_analyst(), node, radius, ViewFilter()))


@blueprint.route("/graph/paths", methods=["GET"])
@api_token
def graph_paths() -> Response:
    """Shortest paths between two entities (analysts).
    ---
    get:
      summary: Paths
      parameters:
        - name: source
          in: query
          required: true
          schema: {type: string, minLength: 1, maxLength: 600}
        - name: target
          in: query
          required: true
          schema: {type: string, minLength: 1, maxLength: 600}
        - {name: k, in: query, schema: {type: integer, minimum: 0, maximum: 10}}
      responses:
        "200": {description: The paths and their elements}
        "400": {$ref: "#/components/responses/BadRequest"}
        "401": {$ref: "#/components/responses/Unauthorised"}
        "403": {$ref: "#/components/responses/Forbidden"}
        "404": {$ref: "#/components/responses/NotFound"}
    """
    args = request.args
    return jsonify(
        workspace.paths(
            _analyst(),
            workspace_params.text(args, "source"),
            workspace_params.text(args, "target"),
            workspace_params.integer(args, "k", 0, 0, 10),
        )
    )


@blueprint.route("/graph/shared", methods=["GET"])
@api_token
def graph_shared() -> Response:
    """Entities reported by two or more organisations or linking two or more persons.
    ---
    get:
      summary: Shared entities
      responses:
        "200": {description: The shared entities}
        "401": {$ref: "#/components/responses/Unauthorised"}
        "403": {$ref: "#/components/responses/Forbidden"}
    """
    return jsonify({"shared": workspace.shared(_analyst())})
