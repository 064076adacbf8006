"""API views of the organisation's link graph (analysts): ego network, paths, shared entities.

Same services, same access rules as the analyst workspace's JSON endpoints.
"""

from __future__ import annotations

from flask import Response, jsonify, request

from portal import workspace_params
from portal.access import api_token
from portal.api.blueprint import blueprint
from portal.models import Role
from portal.services.analysis import workspace
from portal.services.analysis.workspace import ViewFilter
from portal.services.errors import Forbidden
from portal.services.principals import Reader
from portal.token_auth import reader


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
    return jsonify(
        workspace.neighbourhood(
            _analyst(), node, radius, ViewFilter(), limit=workspace.API_VIEW_NODES
        )
    )


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
