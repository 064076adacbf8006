"""API views: bulletins (list, read, post, acknowledge) and identifier search.

Each view's docstring holds its OpenAPI operation (after ``---``); /api/v1/openapi.json is
built from them. A bulletin the token's organisation may not read is 404 on every route.
"""

from __future__ import annotations

import base64
import binascii
import re
from datetime import UTC, date, datetime
from typing import Any

from flask import Response, jsonify, request

from portal.access import api_token
from portal.api.blueprint import blueprint, json_object, require_write
from portal.services.bulletins import acknowledgements, inbox, reading, sealing
from portal.services.bulletins.content import Category, Marking
from portal.services.bulletins.inbox import Box, InboxQuery
from portal.services.discovery import hits as discovery
from portal.services.errors import InvalidInput
from portal.services.stix import export as stix_export
from portal.services.stix import intake as stix_intake
from portal.token_auth import actor, reader

MAX_LIMIT = 200


def _cursor(text: str | None) -> tuple[datetime, str] | None:
    if not text:
        return None
    try:
        at, _, bulletin_id = base64.urlsafe_b64decode(text.encode()).decode().partition("|")
        moment = datetime.fromisoformat(at)
        return (moment if moment.tzinfo else moment.replace(tzinfo=UTC)), bulletin_id
    except (ValueError, binascii.Error, UnicodeDecodeError):
        raise InvalidInput("Not a cursor this API gave out.", field="cursor") from None


def _next_cursor(row: inbox.InboxRow) -> str:
    return base64.urlsafe_b64encode(f"{row.created_at.isoformat()}|{row.id}".encode()).decode()


def _choice(enum: Any, name: str) -> Any:
    value = request.args.get(name)
    if not value:
        return None
    try:
        return enum(value)
    except ValueError:
        allowed = ", ".join(member.value for member in enum)
        raise InvalidInput(f"Choose one of: {allowed}.", field=name) from None


def _day(name: str) -> date | None:
    value = request.args.get(name)
    if not value:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise InvalidInput("A date as YYYY-MM-DD.", field=name) from None


def _limit() -> int:
    value = request.args.get("limit", "50")
    if not re.fullmatch(r"[0-9]{1,4}", value) or not 1 <= int(value) <= MAX_LIMIT:
        raise InvalidInput(f"A limit from 1 to {MAX_LIMIT}.", field="limit")
    return int(value)


def _row(row: inbox.InboxRow) -> dict[str, Any]:
    return {
        "id": row.id,
        "version": row.version,
        "title": row.title.text,
        "title_status": row.title.status,
        "grading": row.title.grading,
        "category": row.category,
        "marking": row.marking,
        "sender": row.sender,
        "created_at": row.created_at.isoformat(),
        "state": row.state,
        "unread": row.unread,
        "entity_count": row.entity_count,
        "attachment_count": row.attachment_count,
    }


@blueprint.route("/bulletins", methods=["GET"])
@api_token
def list_bulletins() -> Response:
    """The organisation's bulletins, newest first, with the inbox's filters.
    ---
    get:
      summary: List bulletins the token's organisation can read
      parameters:
        - {name: box, in: query, schema: {type: string, enum: [all, received, sent]}}
        - {name: category, in: query, schema: {type: string}}
        - {name: marking, in: query, schema: {type: string}}
        - {name: sender, in: query, schema: {type: string, maxLength: 64}}
        - {name: since, in: query, schema: {type: string, format: date}}
        - {name: until, in: query, schema: {type: string, format: date}}
        - {name: entity, in: query, schema: {type: string, maxLength: 500}}
        - {name: tag, in: query, schema: {type: string, maxLength: 200}}
        - {name: limit, in: query, schema: {type: integer, minimum: 1, maximum: 200}}
        - {name: cursor, in: query, schema: {type: string}}
      responses:
        "200": {description: A page of bulletins and the cursor of the next one}
        "400": {$ref: "#/components/responses/BadRequest"}
        "401": {$ref: "#/components/responses/Unauthorised"}
    """
    query = InboxQuery(
        box=_choice(Box, "box") or Box.ALL,
        category=_choice(Category, "category"),
        marking=_choice(Marking, "marking"),
        sender=request.args.get("sender") or None,
        since=_day("since"),
        until=_day("until"),
        entity=(request.args.get("entity") or "").strip() or None,
        tag=(request.args.get("tag") or "").strip() or None,
    )
    limit = _limit()
    rows = inbox.keyset_page(reader(), query, _cursor(request.args.get("cursor")), limit)
    cursor = _next_cursor(rows[-1]) if len(rows) == limit else None
    return jsonify({"bulletins": [_row(r) for r in rows], "next_cursor": cursor})


def _content(content: Any) -> dict[str, Any]:
    def entity(e: Any) -> dict[str, Any]:
        data = {
            "ref": e.ref,
            "type": e.type.value,
            "value": e.value,
            "aliases": list(e.aliases),
            "transliterations": list(e.transliterations),
            "platform": e.platform.value if e.platform else None,
            "nationality": e.nationality,
            "date_of_birth": e.date_of_birth.isoformat() if e.date_of_birth else None,
            "role": e.role.value if e.role else None,
            "country": e.country,
            "traveller": e.traveller,
            "origin": e.origin,
            "via": list(e.via),
            "destination": e.destination,
            "on": e.on.isoformat() if e.on else None,
        }
        return {k: v for k, v in data.items() if v not in (None, [])}

    grading = content.grading
    return {
        "title": content.title,
        "summary": content.summary,
        "body": content.body,
        # None for a bulletin sealed before gradings existed ("not graded").
        "grading": {
            **grading.document(),
            "code": grading.code,
            "meanings": {
                "source": grading.source.meaning,
                "information": grading.information.meaning,
                "handling": grading.handling.meaning,
            },
        }
        if grading
        else None,
        "tags": list(content.tags),
        "entities": [entity(e) for e in content.entities],
        "relations": [
            {
                "source": r.source,
                "type": r.type.value,
                "target": r.target,
                **({"on": r.on.isoformat()} if r.on else {}),
            }
            for r in content.relations
        ],
        "attachments": [
            {"index": i, "filename": a.filename, "content_type": a.content_type, "size": a.size}
            for i, a in enumerate(content.attachments)
        ],
    }


@blueprint.route("/bulletins/<bulletin_id>", methods=["GET"])
@api_token
def get_bulletin(bulletin_id: str) -> Response:
    """One bulletin, opened with the organisation's key and both signatures verified.
    ---
    get:
      summary: Read a bulletin with its verification result
      parameters:
        - {name: bulletin_id, in: path, required: true, schema: {type: string}}
      responses:
        "200": {description: "The verification result, and the content if it verified"}
        "401": {$ref: "#/components/responses/Unauthorised"}
        "404": {$ref: "#/components/responses/NotFound"}
    """
    result = reading.read_bulletin(reader(), actor(), bulletin_id)
    bulletin = result.bulletin
    body: dict[str, Any] = {
        "id": bulletin.id,
        "version": bulletin.version,
        "sender": result.sender.code,
        "category": bulletin.category,
        "marking": bulletin.marking,
        "created_at": bulletin.created_at.isoformat(),
        "state": bulletin.state,
        "verification": {"valid": result.seal is not None, "problem": result.problem},
    }
    if result.retraction_reason:
        body["retraction_reason"] = result.retraction_reason
    if result.seal is not None:
        body["verification"].update(
            {
                "signed_by": result.seal.sender_org,
                "key_version": result.seal.sender_key_version,
                "fingerprint": result.seal.sender_fingerprint,
                "signed_at": result.seal.signed_at.isoformat(),
            }
        )
    if result.content is not None:
        body["content"] = _content(result.content)
    return jsonify(body)


@blueprint.route("/bulletins", methods=["POST"])
@api_token
def post_bulletin() -> tuple[Response, int]:
    """Seal and send a bulletin (token scope ``write``, role liaison).
    ---
    post:
      summary: Post a bulletin with entities and relations
      requestBody:
        required: true
        content:
          application/json:
            schema: {$ref: "#/components/schemas/NewBulletin"}
      responses:
        "201": {description: The bulletin was sealed and sent}
        "400": {$ref: "#/components/responses/BadRequest"}
        "401": {$ref: "#/components/responses/Unauthorised"}
        "403": {$ref: "#/components/responses/Forbidden"}
    """
    require_write()
    data = json_object()
    document = data.get("document")
    if not isinstance(document, dict):
        raise InvalidInput("The bulletin's document (title, body, entities...).", field="document")
    for name in ("recipients", "groups"):
        if not isinstance(data.get(name, []), list):
            raise InvalidInput("A list.", field=name)
    retain = data.get("retain_until")
    try:
        retain_until = date.fromisoformat(retain) if retain else None
    except (TypeError, ValueError):
        raise InvalidInput("A date as YYYY-MM-DD.", field="retain_until") from None
    groups = data.get("groups", [])
    if not all(
        isinstance(group, int) and not isinstance(group, bool) and 0 < group < 2**31
        for group in groups
    ):
        raise InvalidInput("Sharing group ids are numbers.", field="groups")
    draft = sealing.Draft(
        document=document,
        category=str(data.get("category", "")),
        marking=str(data.get("marking", "")),
        recipients=[str(code) for code in data.get("recipients", [])],
        groups=groups,
        retain_until=retain_until,
    )
    bulletin = sealing.post_bulletin(reader(), actor(), draft)
    return jsonify({"id": bulletin.id, "version": bulletin.version}), 201


@blueprint.route("/bulletins/<bulletin_id>/acknowledge", methods=["POST"])
@api_token
def acknowledge(bulletin_id: str) -> Response:
    """Record "received and actioned" for the token's organisation.
    ---
    post:
      summary: Acknowledge a bulletin
      parameters:
        - {name: bulletin_id, in: path, required: true, schema: {type: string}}
      responses:
        "200": {description: Acknowledged}
        "401": {$ref: "#/components/responses/Unauthorised"}
        "403": {$ref: "#/components/responses/Forbidden"}
        "404": {$ref: "#/components/responses/NotFound"}
        "409": {$ref: "#/components/responses/Conflict"}
    """
    require_write()
    receipt = acknowledgements.acknowledge(reader(), actor(), bulletin_id)
    return jsonify({"acknowledged_by": receipt.org, "at": receipt.at.isoformat()})


@blueprint.route("/search", methods=["GET"])
@api_token
def search() -> Response:
    """An identifier or a name: readable bulletins naming it, and the hit/no-hit count of the rest.
    ---
    get:
      summary: Search an identifier
      parameters:
        - {name: q, in: query, required: true, schema: {type: string, minLength: 1, maxLength: 500}}
        - {name: platform, in: query, schema: {type: string}}
      responses:
        "200": {description: "Readable bulletins, and hidden ones counted per originator"}
        "400": {$ref: "#/components/responses/BadRequest"}
        "401": {$ref: "#/components/responses/Unauthorised"}
    """
    result = discovery.search(reader(), request.args.get("q", ""), request.args.get("platform"))
    return jsonify(
        {
            "query": result.query,
            "readable": [
                {
                    "id": hit.bulletin_id,
                    "title": hit.title,
                    "sender": hit.sender_code,
                    "created_at": hit.created_at.isoformat(),
                    "marking": hit.marking,
                }
                for hit in result.readable
            ],
            "readable_total": result.readable_total,
            "hidden": [{"org": h.org_code, "count": h.count} for h in result.hidden],
        }
    )


@blueprint.route("/bulletins/<bulletin_id>/stix", methods=["GET"])
@api_token
def bulletin_stix(bulletin_id: str) -> Response:
    """One readable bulletin as a STIX 2.1 bundle.
    ---
    get:
      summary: Export a bulletin as STIX 2.1
      parameters:
        - {name: bulletin_id, in: path, required: true, schema: {type: string}}
      responses:
        "200": {description: A STIX 2.1 bundle}
        "401": {$ref: "#/components/responses/Unauthorised"}
        "404": {$ref: "#/components/responses/NotFound"}
        "409": {$ref: "#/components/responses/Conflict"}
    """
    return _stix_response(stix_export.bundle(reader(), [bulletin_id], actor=actor()))


def _stix_response(bundle: dict[str, Any]) -> Response:
    response = jsonify(bundle)
    response.mimetype = "application/stix+json"
    response.headers["Content-Type"] = "application/stix+json;version=2.1"
    return response


@blueprint.route("/stix/export", methods=["POST"])
@api_token
def stix_bundle() -> Response:
    """A selection of readable bulletins as one STIX 2.1 bundle.
    ---
    post:
      summary: Export several bulletins as one STIX 2.1 bundle
      requestBody:
        required: true
        content:
          application/json:
            schema:
              type: object
              required: [ids]
              properties:
                ids: {type: array, items: {type: string}, minItems: 1, maxItems: 1000}
      responses:
        "200": {description: A STIX 2.1 bundle}
        "400": {$ref: "#/components/responses/BadRequest"}
        "401": {$ref: "#/components/responses/Unauthorised"}
        "404": {$ref: "#/components/responses/NotFound"}
        "409": {$ref: "#/components/responses/Conflict"}
    """
    ids = json_object().get("ids")
    if not isinstance(ids, list) or not all(isinstance(i, str) for i in ids):
        raise InvalidInput("A list of bulletin ids.", field="ids")
    return _stix_response(stix_export.bundle(reader(), ids, actor=actor()))


@blueprint.route("/stix/import", methods=["POST"])
@api_token
def stix_import() -> Response:
    """A STIX 2.1 bundle turned into a draft bulletin to review; nothing is stored.
    ---
    post:
      summary: Import a STIX 2.1 bundle as a draft bulletin
      requestBody:
        required: true
        content:
          application/json:
            schema: {type: object}
      responses:
        "200": {description: "The draft (document, marking, category) and the import report"}
        "400": {$ref: "#/components/responses/BadRequest"}
        "401": {$ref: "#/components/responses/Unauthorised"}
        "403": {$ref: "#/components/responses/Forbidden"}
    """
    require_write()
    draft = stix_intake.draft_from_bundle(request.get_data())
    return jsonify(
        {
            "document": draft.document,
            "marking": draft.marking,
            "category": draft.category,
            "labels": draft.labels,
            "markings": draft.markings,
            "ignored": draft.ignored,
            "summary": draft.summary(),
            "report": [outcome.as_dict() for outcome in draft.report],
        }
    )
