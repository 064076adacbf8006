"""API views: the comments and sightings of a bulletin, read and added with the same service
and access rules as the read page."""

from __future__ import annotations

from flask import Response, jsonify

from portal.access import api_token
from portal.api.blueprint import blueprint, json_object, require_write
from portal.services.bulletins import comments
from portal.services.bulletins.access import visible_bulletin
from portal.token_auth import actor, reader


@blueprint.route("/bulletins/<bulletin_id>/comments", methods=["GET"])
@api_token
def list_comments(bulletin_id: str) -> Response:
    """The comments and sightings of a bulletin's series the token's organisation can open,
    oldest first, each with the version it was made on and its signature's verification.
    ---
    get:
      summary: Read a bulletin's comments and sightings
      parameters:
        - {name: bulletin_id, in: path, required: true, schema: {type: string}}
      responses:
        "200":
          description: The comments, oldest first
          content:
            application/json:
              schema:
                type: object
                properties:
                  comments:
                    type: array
                    items: {$ref: "#/components/schemas/Comment"}
        "401": {$ref: "#/components/responses/Unauthorised"}
        "403": {$ref: "#/components/responses/Forbidden"}
        "404": {$ref: "#/components/responses/NotFound"}
    """
    found = comments.read_comments(reader(), actor(), bulletin_id)
    return jsonify({"comments": [comment.to_json() for comment in found]})


@blueprint.route("/bulletins/<bulletin_id>/comments", methods=["POST"])
@api_token
def post_comment(bulletin_id: str) -> tuple[Response, int]:
    """Comment on a bulletin, or report a sighting of one of its entities (token scope
    ``write``). Sealed to exactly the organisations that can read this version.
    ---
    post:
      summary: Comment on a bulletin, or report a sighting
      parameters:
        - {name: bulletin_id, in: path, required: true, schema: {type: string}}
      requestBody:
        required: true
        content:
          application/json:
            schema: {$ref: "#/components/schemas/NewComment"}
      responses:
        "201":
          description: Sealed, signed and stored
          content:
            application/json:
              schema: {$ref: "#/components/schemas/Comment"}
        "400": {$ref: "#/components/responses/BadRequest"}
        "401": {$ref: "#/components/responses/Unauthorised"}
        "403": {$ref: "#/components/responses/Forbidden"}
        "404": {$ref: "#/components/responses/NotFound"}
        "409": {$ref: "#/components/responses/Conflict"}
    """
    visible_bulletin(reader(), bulletin_id)  # 404 before anything about the request body
    require_write()
    made = comments.post_comment(reader(), actor(), bulletin_id, json_object())
    return jsonify(made.to_json()), 201
