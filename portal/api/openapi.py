"""/api/v1/openapi.json: the OpenAPI 3.1 description, built from the API views' docstrings.

Each view documents its own operation (YAML after ``---``), so the routes and their
description cannot drift apart: a route without one fails the build (and a test).
"""

from __future__ import annotations

import re
from typing import Any

from apispec import APISpec
from apispec.yaml_utils import load_operations_from_docstring
from flask import Response, current_app, jsonify

from portal.access import public
from portal.api.blueprint import blueprint
from portal.services.bulletins.grading import MAX_CONDITIONS, Handling, Information, Source
from portal.services.bulletins.tags import MAX_TAG, MAX_TAGS
from portal.services.referrals import vocabulary as referral_vocabulary

_CONVERTER = re.compile(r"<(?:[a-z_]+:)?([a-z_]+)>")


def _error(description: str) -> dict[str, Any]:
    return {
        "description": description,
        "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}},
    }


def build_spec() -> dict[str, Any]:
    spec = APISpec(
        title="Ischia API",
        version="1.0.0",
        openapi_version="3.1.0",
        info={"description": "Bulletins, search and more, with the rights of the token's user."},
        servers=[{"url": "/"}],
    )
    spec.components.security_scheme("bearer", {"type": "http", "scheme": "bearer"})
    spec.components.security_scheme("basic", {"type": "http", "scheme": "basic"})
    spec.components.schema(
        "Error",
        {
            "type": "object",
            "required": ["error"],
            "properties": {
                "error": {
                    "type": "object",
                    "required": ["code", "message", "field"],
                    "properties": {
                        "code": {"type": "integer"},
                        "message": {"type": "string"},
                        "field": {"type": ["string", "null"]},
                    },
                }
            },
        },
    )
    spec.components.schema(
        "NewComment",
        {
            "type": "object",
            "description": "A comment (text) or a sighting (entity, place, seen_on).",
            "properties": {
                "kind": {"type": "string", "enum": ["comment", "sighting"], "default": "comment"},
                "text": {"type": "string", "maxLength": 4000},
                "entity": {"type": "string", "description": "an entity's ref in the bulletin"},
                "place": {"type": "string", "maxLength": 200},
                "country": {"type": "string", "description": "ISO 3166 alpha-2"},
                "seen_on": {"type": "string", "format": "date", "description": "not in the future"},
                "note": {"type": "string", "maxLength": 2000},
            },
        },
    )
    spec.components.schema(
        "Comment",
        {
            "type": "object",
            "required": ["id", "kind", "bulletin_id", "version", "organisation", "verified"],
            "properties": {
                "id": {"type": "string"},
                "kind": {"type": "string", "enum": ["comment", "sighting"]},
                "bulletin_id": {"type": "string", "description": "the version commented"},
                "version": {"type": "integer"},
                "organisation": {"type": "string"},
                "author": {"type": ["string", "null"]},
                "created_at": {"type": "string", "format": "date-time"},
                "verified": {"type": "boolean"},
                "problem": {"type": "string", "description": "why it failed verification"},
                "text": {"type": ["string", "null"]},
                "entity": {"type": ["string", "null"]},
                "entity_label": {"type": ["string", "null"]},
                "place": {"type": ["string", "null"]},
                "country": {"type": ["string", "null"]},
                "seen_on": {"type": ["string", "null"], "format": "date"},
                "note": {"type": ["string", "null"]},
            },
        },
    )
    spec.components.schema(
        "NewBulletin",
        {
            "type": "object",
            "required": ["document", "category", "marking", "recipients"],
            "properties": {
                "document": {
                    "type": "object",
                    "required": ["title", "body", "grading"],
                    "properties": {
                        "title": {"type": "string"},
                        "summary": {"type": "string"},
                        "body": {"type": "string"},
                        "entities": {"type": "array", "items": {"type": "object"}},
                        "relations": {"type": "array", "items": {"type": "object"}},
                        "grading": {"$ref": "#/components/schemas/Grading"},
                        "tags": {
                            "type": "array",
                            "maxItems": MAX_TAGS,
                            "items": {
                                "type": "string",
                                "maxLength": MAX_TAG,
                                "description": "A machine tag of a shipped taxonomy: "
                                'namespace:predicate or namespace:predicate="value"',
                            },
                        },
                    },
                },
                "category": {"type": "string"},
                "marking": {"type": "string"},
                "recipients": {"type": "array", "items": {"type": "string"}},
                "groups": {"type": "array", "items": {"type": "integer"}},
                "retain_until": {"type": "string", "format": "date"},
            },
        },
    )
    spec.components.schema(
        "Grading",
        {
            "type": "object",
            "description": "Europol 4x4 evaluation and handling codes (docs/grading-and-tags.md)",
            "required": ["source", "information", "handling"],
            "properties": {
                "source": {
                    "type": "string",
                    "enum": [m.value for m in Source],
                    "description": "; ".join(f"{m.value}: {m.meaning}" for m in Source),
                },
                "information": {
                    "type": "string",
                    "enum": [m.value for m in Information],
                    "description": "; ".join(f"{m.value}: {m.meaning}" for m in Information),
                },
                "handling": {
                    "type": "string",
                    "enum": [m.value for m in Handling],
                    "description": "; ".join(f"{m.value}: {m.meaning}" for m in Handling),
                },
                "conditions": {
                    "type": "string",
                    "maxLength": MAX_CONDITIONS,
                    "description": "The provider's restrictions: required with H3, else absent",
                },
            },
        },
    )
    # Referrals (portal/api/referral_views.py).
    spec.components.schema(
        "NewReferral",
        {
            "type": "object",
            "required": ["platform", "kind", "items"],
            "properties": {
                "platform": {"type": "string", "description": "The platform's organisation code"},
                "kind": {"type": "string", "enum": ["referral", "removal_order"]},
                "legal_basis": {"type": "string", "description": "Required for a removal order"},
                "items": {
                    "type": "array",
                    "minItems": 1,
                    "maxItems": 100,
                    "items": {
                        "type": "object",
                        "required": ["url", "category", "content_type", "reason"],
                        "properties": {
                            "url": {"type": "string", "maxLength": 2000},
                            "category": {
                                "type": "string",
                                "enum": [c.value for c in referral_vocabulary.Category],
                            },
                            "content_type": {
                                "type": "string",
                                "enum": [c.value for c in referral_vocabulary.ContentType],
                            },
                            "reason": {"type": "string", "maxLength": 500},
                            "account": {"type": "string", "maxLength": 200},
                            "language": {"type": "string", "description": "ISO 639 code"},
                            "attributed_group": {"type": "string", "maxLength": 200},
                            "hashes": {
                                "type": "array",
                                "maxItems": 10,
                                "items": {"type": "string", "description": "SHA-256 or MD5"},
                            },
                        },
                    },
                },
            },
        },
    )
    spec.components.schema(
        "Decision",
        {
            "type": "object",
            "required": ["outcome"],
            "properties": {
                "outcome": {
                    "type": "string",
                    "enum": [o.value for o in referral_vocabulary.Outcome],
                },
                "countries": {
                    "type": "array",
                    "items": {"type": "string", "description": "ISO 3166 alpha-2"},
                    "description": "Where access is disabled (access_disabled only)",
                },
                "note": {
                    "type": "string",
                    "description": "The reason (required for the regulation's exits)",
                },
                "question": {"type": "string", "description": "For more_information"},
                "items": {
                    "type": "array",
                    "items": {"type": "string"},
                    "description": "Item ids of the referral; every undecided one if absent",
                },
            },
        },
    )
    spec.components.response(
        "TooLarge", _error("413: The upload is larger than the limit; split it")
    )
    # Hash banks: what a match and a bank's incremental download answer.
    hash_entry = {
        "type": "object",
        "properties": {
            "id": {"type": "integer"},
            "bank": {"type": "integer"},
            "kind": {"type": "string", "enum": ["md5", "sha256", "pdq"]},
            "value": {"type": "string"},
            "quality": {"type": ["integer", "null"]},
            "low_quality": {"type": "boolean"},
            "label": {"type": ["string", "null"]},
            "case": {"type": ["string", "null"]},
            "item": {"type": ["string", "null"]},
            "added_at": {"type": "string", "format": "date-time"},
            "added_by": {"type": ["string", "null"]},
            "removed_at": {"type": ["string", "null"], "format": "date-time"},
        },
    }
    spec.components.schema(
        "HashMatches",
        {
            "type": "object",
            "properties": {
                "distance": {"type": "integer"},
                "results": {
                    "type": "array",
                    "items": {
                        "type": "object",
                        "properties": {
                            "kind": {"type": "string"},
                            "value": {"type": "string"},
                            "quality": {"type": ["integer", "null"]},
                            "low_quality": {"type": "boolean"},
                            "matches": {
                                "type": "array",
                                "items": {
                                    "allOf": [
                                        hash_entry,
                                        {
                                            "type": "object",
                                            "properties": {
                                                "bank_name": {"type": "string"},
                                                "distance": {"type": "integer"},
                                            },
                                        },
                                    ]
                                },
                            },
                        },
                    },
                },
            },
        },
    )
    spec.components.schema(
        "HashBankChanges",
        {
            "type": "object",
            "properties": {
                "bank": {"type": "integer"},
                "changes": {
                    "type": "array",
                    "items": {
                        "allOf": [
                            hash_entry,
                            {
                                "type": "object",
                                "properties": {
                                    "change": {"type": "string", "enum": ["added", "removed"]}
                                },
                            },
                        ]
                    },
                },
                "next_cursor": {"type": "string"},
                "more": {"type": "boolean"},
            },
        },
    )
    for status, name, text in (
        (400, "BadRequest", "The request is invalid; ``field`` names what to correct"),
        (401, "Unauthorised", "No valid API token"),
        (403, "Forbidden", "The token's scope or its user's roles do not allow this"),
        (404, "NotFound", "Absent, or not shared with the token's organisation"),
        (409, "Conflict", "Already done, or it does not open"),
        (422, "Unprocessable", "Could not be made (too large or too complex to render)"),
        (503, "Unavailable", "A service it needs (the job queue) cannot be reached"),
    ):
        spec.components.response(name, _error(f"{status}: {text}"))
    for rule in sorted(current_app.url_map.iter_rules(), key=lambda r: r.rule):
        if not rule.endpoint.startswith("api.") or rule.endpoint == "api.openapi":
            continue
        view = current_app.view_functions[rule.endpoint]
        operations = load_operations_from_docstring(view.__doc__ or "")
        if not operations:
            raise RuntimeError(f"{rule.endpoint} documents no OpenAPI operation")
        for operation in operations.values():
            operation.setdefault("security", [{"bearer": []}, {"basic": []}])
        spec.path(path=_CONVERTER.sub(r"{\1}", rule.rule), operations=operations)
    return spec.to_dict()


@blueprint.route("/openapi.json")
@public
def openapi() -> Response:
    """The OpenAPI 3.1 description of this API (no token needed)."""
    return jsonify(build_spec())
