"""Analyst workspace views: one page, and JSON endpoints the page's script calls.

Every answer comes from the organisation's own graph (``portal.services.analysis.org_graphs``,
in this process or the machine's graph process); errors are JSON
``{"error": {"code", "message", "field"}}`` with a 4xx status, or 503 with Retry-After while
the graph process is down or rebuilding.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any

from flask import jsonify, render_template, request
from flask_babel import gettext
from werkzeug.wrappers import Response

import graph
from portal import workspace_params
from portal.access import roles_required
from portal.analysis.blueprint import blueprint
from portal.graph_words import type_names
from portal.json_input import json_object
from portal.models import Role
from portal.principal import current_actor, current_reader
from portal.services.analysis import investigations, person_decisions, workspace
from portal.services.errors import NotFound, ServiceError

EXPORTS = {
    "graphml": ("application/graphml+xml", "graphml"),
    "gexf": ("application/gexf+xml", "gexf"),
    "csv": ("text/csv; charset=utf-8", "csv"),
    "svg": ("image/svg+xml", "svg"),
}


def _json_errors(view: Callable[..., Any]) -> Callable[..., Any]:
    @wraps(view)
    def wrapped(*args: Any, **kwargs: Any) -> Any:
        try:
            return view(*args, **kwargs)
        except ServiceError as error:
            body = {"error": {"code": error.status, "message": error.message, "field": error.field}}
            wait = getattr(error, "retry_after", None)
            return jsonify(body), error.status, {"Retry-After": str(wait)} if wait else {}
        except graph.NoSuchNode:
            message = gettext("No such entity.")
            body = {"error": {"code": 404, "message": message, "field": "node"}}
            return jsonify(body), 404

    return wrapped


def _body() -> dict[str, Any]:
    return json_object()


def _nodes(data: dict[str, Any]) -> list[str]:
    nodes = data.get("nodes")
    if not isinstance(nodes, list) or not all(isinstance(n, str) for n in nodes):
        raise ServiceError(gettext("A list of node ids."), field="nodes")
    return nodes


@blueprint.route("/")
@roles_required(Role.ANALYST)
def workspace_page() -> str:
    """The workspace: search, the graph, its panels and the saved investigations."""
    reader = current_reader(bulletins=True)
    return render_template(
        "analysis/workspace.html", saved=investigations.listed(reader), type_names=type_names()
    )


@blueprint.route("/search")
@roles_required(Role.ANALYST)
@_json_errors
def search() -> Response:
    """Entities matching an identifier or a name in any script; ``groups`` gathers the
    spelling variants of one name into one result."""
    q = request.args.get("q", "")
    return jsonify(workspace.search_grouped(current_reader(bulletins=True), q))


@blueprint.route("/neighbourhood")
@roles_required(Role.ANALYST)
@_json_errors
def neighbourhood() -> Response:
    """The ego network of one entity, through the view's filters."""
    node = workspace_params.text(request.args, "node")
    radius = workspace_params.integer(request.args, "radius", 2, 1, 3)
    limit = workspace_params.integer(
        request.args, "limit", workspace.DEFAULT_VIEW_NODES, 1, workspace.MAX_VIEW_NODES
    )
    view = workspace_params.view_filter(request.args)
    return jsonify(
        workspace.neighbourhood(current_reader(bulletins=True), node, radius, view, limit)
    )


@blueprint.route("/measures")
@roles_required(Role.ANALYST)
@_json_errors
def measures() -> Response:
    """Whether the whole graph's cells and influence are ready (they start if not)."""
    return jsonify({"ready": workspace.measures_ready(current_reader(bulletins=True))})


@blueprint.route("/paths")
@roles_required(Role.ANALYST)
@_json_errors
def paths() -> Response:
    """Shortest paths (or the k shortest) between two entities."""
    source = workspace_params.text(request.args, "source")
    target = workspace_params.text(request.args, "target")
    k = workspace_params.integer(request.args, "k", 0, 0, 10)
    return jsonify(workspace.paths(current_reader(bulletins=True), source, target, k))


@blueprint.route("/node")
@roles_required(Role.ANALYST)
@_json_errors
def node() -> Response:
    """One entity: its readable bulletins and the hit/no-hit count of the others."""
    return jsonify(
        workspace.node_details(
            current_reader(bulletins=True), workspace_params.text(request.args, "node")
        )
    )


@blueprint.route("/edge")
@roles_required(Role.ANALYST)
@_json_errors
def edge() -> Response:
    """One relation: the readable bulletins that state it, and when."""
    args = request.args
    return jsonify(
        workspace.edge_details(
            current_reader(bulletins=True),
            workspace_params.text(args, "source"),
            workspace_params.text(args, "target"),
            workspace_params.text(args, "type", limit=40),
        )
    )


@blueprint.route("/persons")
@roles_required(Role.ANALYST)
@_json_errors
def persons() -> Response:
    """For a person: who else may be the same person, and the decisions taken about it."""
    reader = current_reader(bulletins=True)
    node = workspace_params.text(request.args, "node")
    return jsonify(
        {
            "suggestions": person_decisions.suggestions(reader, node),
            "score_explained": gettext(
                "Score from 0 to 1: the name gives at most 0.6; the same date of birth or "
                "nationality, each shared account, phone, e-mail or URL and each contact in "
                "common raise it; a different date of birth or nationality lowers it."
            ),
            "decisions": person_decisions.decisions_about(reader, node),
        }
    )


@blueprint.route("/persons/decide", methods=["POST"])
@roles_required(Role.ANALYST)
@_json_errors
def decide_person() -> tuple[Response, int]:
    """Record "same person" or "not the same person" for two person nodes."""
    data = _body()
    first, second, note = data.get("first"), data.get("second"), data.get("note", "")
    same = data.get("same")
    if not isinstance(first, str) or not isinstance(second, str) or not isinstance(note, str):
        raise ServiceError(
            gettext("Name two persons (node ids) and an optional note."), field="first"
        )
    if not isinstance(same, bool):
        raise ServiceError(
            gettext("Say whether they are the same person (true or false)."), field="same"
        )
    actor = current_actor()
    decision = person_decisions.decide(
        current_reader(bulletins=True), actor, first, second, same=same, note=note
    )
    return jsonify({"decision": decision}), 201


@blueprint.route("/persons/decisions/<int:decision_id>/revoke", methods=["POST"])
@roles_required(Role.ANALYST)
@_json_errors
def revoke_person_decision(decision_id: int) -> Response:
    """Revoke a "same person" decision (kept on record as revoked); the graph follows."""
    person_decisions.revoke(current_reader(bulletins=True), current_actor(), decision_id)
    return jsonify({"revoked": decision_id})


@blueprint.route("/timeline", methods=["POST"])
@roles_required(Role.ANALYST)
@_json_errors
def timeline() -> Response:
    """Dated events among the nodes on screen."""
    return jsonify({"events": workspace.timeline(current_reader(bulletins=True), _nodes(_body()))})


@blueprint.route("/view", methods=["POST"])
@roles_required(Role.ANALYST)
@_json_errors
def view() -> Response:
    """Elements of the nodes on screen (to colour and size them once the measures are ready)."""
    return jsonify(
        {"elements": workspace.view_elements(current_reader(bulletins=True), _nodes(_body()))}
    )


@blueprint.route("/export.<fmt>", methods=["POST"])
@roles_required(Role.ANALYST)
@_json_errors
def export(fmt: str) -> Response:
    """Download the nodes on screen as GraphML, GEXF, CSV or SVG."""
    if fmt not in EXPORTS:
        raise NotFound()
    body = workspace.export(current_reader(bulletins=True), request.form.getlist("nodes"), fmt)
    mimetype, extension = EXPORTS[fmt]
    response = Response(body, mimetype=mimetype)
    response.headers["Content-Disposition"] = f'attachment; filename="ischia-graph.{extension}"'
    response.headers["Cache-Control"] = "no-store"
    return response


@blueprint.route("/investigations", methods=["POST"])
@roles_required(Role.ANALYST)
@_json_errors
def save_investigation() -> tuple[Response, int]:
    """Save (or update, by name) the nodes on screen with notes."""
    data = _body()
    name, notes = data.get("name"), data.get("notes", "")
    if not isinstance(name, str) or not isinstance(notes, str):
        raise ServiceError(gettext("Name and notes are text."), field="name")
    saved = investigations.save(
        current_reader(bulletins=True), current_actor(), name, notes, _nodes(data)
    )
    return jsonify({"id": saved.id, "name": saved.name, "nodes": len(saved.nodes)}), 201


@blueprint.route("/investigations/<int:investigation_id>")
@roles_required(Role.ANALYST)
@_json_errors
def open_investigation(investigation_id: int) -> Response:
    """A saved investigation with the elements of its nodes as the graph has them now."""
    reader = current_reader(bulletins=True)
    saved = investigations.one(reader, investigation_id)
    return jsonify(
        {
            "id": saved.id,
            "name": saved.name,
            "notes": saved.notes,
            "elements": workspace.view_elements(reader, saved.nodes),
        }
    )


@blueprint.route("/investigations/<int:investigation_id>/delete", methods=["POST"])
@roles_required(Role.ANALYST)
@_json_errors
def delete_investigation(investigation_id: int) -> Response:
    """Delete a saved investigation of the organisation."""
    investigations.delete(current_reader(bulletins=True), current_actor(), investigation_id)
    return jsonify({"deleted": investigation_id})
