"""API views: matching hashes against the shared banks, and a bank's incremental download.

Same services, same access rules as the hash bank pages: a bank the token's organisation may
not read is a 404, and its entries never match.
"""

from __future__ import annotations

from typing import Any

from flask import Response, current_app, jsonify, request

from portal.access import api_token
from portal.api.blueprint import blueprint, json_object
from portal.services.errors import InvalidInput
from portal.services.hashbanks import banks, matching
from portal.token_auth import reader


def _entry(view: banks.EntryView) -> dict[str, Any]:
    return {
        "id": view.id,
        "bank": view.bank_id,
        "kind": view.kind,
        "value": view.value,
        "quality": view.quality,
        "low_quality": view.low_quality,
        "label": view.label,
        "case": view.case_id,
        "item": view.item_id,
        "added_at": view.added_at.isoformat(),
        "added_by": view.added_by,
        "removed_at": view.removed_at.isoformat() if view.removed_at else None,
    }


def _result(result: matching.MatchResult) -> dict[str, Any]:
    return {
        "kind": result.kind,
        "value": result.value,
        "quality": result.quality,
        "low_quality": result.low_quality,
        "matches": [
            {**_entry(m.entry), "bank_name": m.bank_name, "distance": m.distance}
            for m in result.matches
        ],
    }


def _hashes(data: dict[str, Any], name: str) -> list[str]:
    value = data.get(name)
    if value is None:
        return []
    if isinstance(value, str):
        return [value]
    if isinstance(value, list) and all(isinstance(v, str) for v in value):
        return value
    raise InvalidInput("A hash, or a list of hashes, as hexadecimal text.", field=name)


@blueprint.route("/hashes/match", methods=["POST"])
@api_token
def match_hashes() -> Response:
    """Match hashes against every bank the token's organisation may read.
    ---
    post:
      summary: Match PDQ, MD5 or SHA-256 hashes, or an image
      description: >
        PDQ hashes match entries within the configured Hamming distance (31 by default),
        closest first; MD5 and SHA-256 match exactly. An uploaded image is hashed in memory
        (PDQ, MD5, SHA-256) and never stored.
      requestBody:
        required: true
        content:
          application/json:
            schema:
              type: object
              properties:
                pdq:
                  oneOf:
                    - {type: string, pattern: "^[0-9a-fA-F]{64}$"}
                    - {type: array, items: {type: string}, maxItems: 1000}
                md5:
                  oneOf:
                    - {type: string, pattern: "^[0-9a-fA-F]{32}$"}
                    - {type: array, items: {type: string}}
                sha256:
                  oneOf:
                    - {type: string, pattern: "^[0-9a-fA-F]{64}$"}
                    - {type: array, items: {type: string}}
          multipart/form-data:
            schema:
              type: object
              required: [image]
              properties:
                image: {type: string, format: binary}
      responses:
        "200":
          description: For each hash sent, the entries it matches
          content:
            application/json:
              schema: {$ref: "#/components/schemas/HashMatches"}
        "400": {$ref: "#/components/responses/BadRequest"}
        "401": {$ref: "#/components/responses/Unauthorised"}
        "403": {$ref: "#/components/responses/Forbidden"}
    """
    if request.mimetype == "multipart/form-data":
        upload = request.files.get("image")
        if upload is None:
            raise InvalidInput("Send the image in a field named image.", field="image")
        data = upload.read(int(current_app.config["HASH_IMAGE_MAX_BYTES"]) + 1)
        results = matching.match_image(reader(), data)
    else:
        body = json_object()
        results = matching.match(
            reader(),
            pdq=_hashes(body, "pdq"),
            md5=_hashes(body, "md5"),
            sha256=_hashes(body, "sha256"),
        )
    return jsonify({"distance": matching.radius(), "results": [_result(r) for r in results]})


@blueprint.route("/hash-banks", methods=["GET"])
@api_token
def hash_banks() -> Response:
    """The hash banks the token's organisation owns or may read.
    ---
    get:
      summary: List hash banks
      responses:
        "200": {description: "The banks, each with its id, name, owner and live entries"}
        "401": {$ref: "#/components/responses/Unauthorised"}
        "403": {$ref: "#/components/responses/Forbidden"}
    """
    return jsonify(
        {
            "banks": [
                {
                    "id": b.id,
                    "name": b.name,
                    "description": b.description,
                    "owner": b.owner,
                    "entries": b.entries,
                }
                for b in banks.list_banks(reader())
            ]
        }
    )


@blueprint.route("/hash-banks/<bank_id>/changes", methods=["GET"])
@api_token
def hash_bank_changes(bank_id: str) -> Response:
    """A bank's entries added and removed since a cursor: how a platform keeps its own
    matcher in step with the bank.
    ---
    get:
      summary: Download a hash bank's changes
      description: >
        Without ``since``, every change from the start (an entry added and later removed
        shows once, as removed). Follow ``next_cursor`` while ``more`` is true; keep the last
        ``next_cursor`` and ask with it later for what changed since.
      parameters:
        - {name: bank_id, in: path, required: true, schema: {type: integer}}
        - {name: since, in: query, required: false, schema: {type: string}}
        - name: limit
          in: query
          required: false
          schema: {type: integer, minimum: 1, maximum: 5000, default: 1000}
      responses:
        "200":
          description: A page of changes
          content:
            application/json:
              schema: {$ref: "#/components/schemas/HashBankChanges"}
        "400": {$ref: "#/components/responses/BadRequest"}
        "401": {$ref: "#/components/responses/Unauthorised"}
        "403": {$ref: "#/components/responses/Forbidden"}
        "404": {$ref: "#/components/responses/NotFound"}
    """
    raw_limit = request.args.get("limit", "1000")
    if not raw_limit.isdigit() or len(raw_limit) > 6:
        raise InvalidInput("A limit of 1 to 5000.", field="limit")
    page = banks.changes(reader(), bank_id, request.args.get("since"), int(raw_limit))
    return jsonify(
        {
            "bank": page.bank_id,
            "changes": [{"change": c.change, **_entry(c.entry)} for c in page.changes],
            "next_cursor": page.next_cursor,
            "more": page.more,
        }
    )
