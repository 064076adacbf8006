"""API briefings: ask for one (a PDF now, or a queued job), follow it, download it."""

from __future__ import annotations

from datetime import date
from typing import Any

from flask import Response, jsonify, url_for

from portal.access import api_token
from portal.api.blueprint import blueprint, json_object, require_write
from portal.models import BriefingState
from portal.services.briefings import BRIEFING_ROLES, copies, job_queue
from portal.services.briefings.making import filename
from portal.services.briefings.requesting import BriefingNotMade, request_briefing
from portal.services.briefings.selection import BriefingRequest, Source
from portal.services.bulletins.content import Category, Marking
from portal.services.bulletins.inbox import Box, InboxQuery
from portal.services.errors import Forbidden, InvalidInput, NotFound
from portal.services.principals import Reader
from portal.token_auth import actor, reader, user


def _briefer() -> Reader:
    asking = reader()
    if asking.roles.isdisjoint(BRIEFING_ROLES):
        raise Forbidden("Briefings are for officials and analysts.")
    return asking


def _text(data: dict[str, Any], name: str, *, required: bool = False) -> str:
    value = data.get(name, "")
    if not isinstance(value, str) or (required and not value.strip()):
        raise InvalidInput("Text is required here." if required else "Text.", field=name)
    return value


def _filter(raw: Any) -> InboxQuery:
    if not isinstance(raw, dict):
        raise InvalidInput("An object of inbox filters.", field="filter")
    try:
        return InboxQuery(
            box=Box(raw.get("box") or "all"),
            category=Category(raw["category"]) if raw.get("category") else None,
            marking=Marking(raw["marking"]) if raw.get("marking") else None,
            sender=str(raw["sender"]) if raw.get("sender") else None,
            since=date.fromisoformat(raw["since"]) if raw.get("since") else None,
            until=date.fromisoformat(raw["until"]) if raw.get("until") else None,
        )
    except (ValueError, TypeError):
        raise InvalidInput(
            "Filters: box, category, marking, sender, since, until.", field="filter"
        ) from None


def _request(data: dict[str, Any]) -> BriefingRequest:
    title, note = _text(data, "title", required=True), _text(data, "cover_note")
    if "ids" in data:
        ids = data["ids"]
        if not isinstance(ids, list) or not all(isinstance(i, str) for i in ids):
            raise InvalidInput("A list of bulletin ids.", field="ids")
        return BriefingRequest(title, Source.SELECTION, note, bulletin_ids=tuple(ids))
    if "investigation" in data:
        number = data["investigation"]
        if not isinstance(number, int) or isinstance(number, bool) or not 0 < number < 2**31:
            raise InvalidInput("A saved investigation's id.", field="investigation")
        return BriefingRequest(title, Source.INVESTIGATION, note, investigation_id=number)
    if "entity" in data:
        return BriefingRequest(
            title, Source.ENTITY, note, entity=_text(data, "entity", required=True)
        )
    if "filter" in data:
        return BriefingRequest(title, Source.FILTER, note, inbox=_filter(data["filter"]))
    raise InvalidInput("Say which bulletins: ids, investigation, entity or filter.", field="ids")


def _pdf(pdf: bytes, name: str) -> Response:
    response = Response(pdf, mimetype="application/pdf")
    response.headers["Content-Disposition"] = f'attachment; filename="{name}"'
    return response


def _state(copy: Any) -> dict[str, Any]:
    return {
        "id": copy.id,
        "state": copy.state,
        "marking": copy.marking,
        "bulletins": len(copy.bulletin_ids),
        "pages": copy.page_count,
        "error": copy.error,
        "status_url": url_for("api.briefing_status", copy_id=copy.id),
        "download_url": url_for("api.briefing_pdf", copy_id=copy.id),
    }


@blueprint.route("/briefings", methods=["POST"])
@api_token
def request_briefing_view() -> Response | tuple[Response, int]:
    """Ask for a PDF briefing: the PDF at once, or 202 and a job to follow when queued.
    ---
    post:
      summary: Request a briefing
      requestBody:
        required: true
        content:
          application/json:
            schema:
              type: object
              required: [title]
              properties:
                title: {type: string, minLength: 1, maxLength: 200}
                cover_note: {type: string}
                ids: {type: array, items: {type: string}}
                investigation: {type: integer}
                entity: {type: string}
                filter: {type: object}
      responses:
        "200": {description: The PDF}
        "202": {description: Queued; follow status_url}
        "400": {$ref: "#/components/responses/BadRequest"}
        "401": {$ref: "#/components/responses/Unauthorised"}
        "403": {$ref: "#/components/responses/Forbidden"}
        "404": {$ref: "#/components/responses/NotFound"}
        "422": {$ref: "#/components/responses/Unprocessable"}
        "503": {$ref: "#/components/responses/Unavailable"}
    """
    asking = _briefer()
    require_write()  # a briefing is a signed copy recorded in the database: a write
    try:
        requested = request_briefing(asking, actor(), user(), _request(json_object()))
    except BriefingNotMade as error:
        body = {"error": {"code": error.status, "message": error.message, "field": None}}
        return jsonify(body), error.status
    if requested.made is None:
        return jsonify(_state(requested.copy)), 202
    return _pdf(requested.made.pdf, filename(requested.copy))


@blueprint.route("/briefings/<copy_id>", methods=["GET"])
@api_token
def briefing_status(copy_id: str) -> Response:
    """A briefing copy's state (the caller's own copies only).
    ---
    get:
      summary: Follow a briefing
      parameters:
        - {name: copy_id, in: path, required: true, schema: {type: string}}
      responses:
        "200": {description: Its state}
        "401": {$ref: "#/components/responses/Unauthorised"}
        "403": {$ref: "#/components/responses/Forbidden"}
        "404": {$ref: "#/components/responses/NotFound"}
    """
    return jsonify(_state(copies.own_copy(_briefer(), copy_id)))


@blueprint.route("/briefings/<copy_id>/pdf", methods=["GET"])
@api_token
def briefing_pdf(copy_id: str) -> Response:
    """Download a queued briefing once it is ready (audited).
    ---
    get:
      summary: Download a queued briefing
      parameters:
        - {name: copy_id, in: path, required: true, schema: {type: string}}
      responses:
        "200": {description: The PDF}
        "401": {$ref: "#/components/responses/Unauthorised"}
        "403": {$ref: "#/components/responses/Forbidden"}
        "404": {$ref: "#/components/responses/NotFound"}
    """
    copy = copies.own_copy(_briefer(), copy_id)
    ready = copy.state in {BriefingState.READY.value, BriefingState.DELIVERED.value}
    pdf = job_queue.queued_pdf(copy) if ready else None
    if pdf is None:
        raise NotFound("Not ready, or no longer kept.")
    copies.record_download(copy, actor())
    return _pdf(pdf, filename(copy))
