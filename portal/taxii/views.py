"""TAXII 2.1 endpoints (``application/taxii+json;version=2.1``), authenticated by API token.

Discovery at /taxii2/, one API root at /taxii2/api/. Errors are TAXII error messages. The
access rules are the web's: a collection holds only bulletins the token's organisation reads.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime
from typing import Any

from flask import Blueprint, Response, json, request
from werkzeug.exceptions import HTTPException

from portal import token_auth
from portal.access import api_token
from portal.extensions import csrf
from portal.json_input import json_object
from portal.rate_limits import limit_blueprint
from portal.services.errors import InvalidInput, ServiceError
from portal.services.stix import taxii

TAXII = "application/taxii+json;version=2.1"
blueprint = Blueprint("taxii", __name__, url_prefix="/taxii2")
csrf.exempt(blueprint)
limit_blueprint(blueprint, token_auth.rate_limit, key_func=token_auth.rate_key)
token_auth.guard(blueprint)


def _taxii(
    body: dict[str, Any], status: int = 200, headers: dict[str, str] | None = None
) -> Response:
    response = Response(json.dumps(body), status=status, mimetype="application/taxii+json")
    response.headers["Content-Type"] = TAXII
    for name, value in (headers or {}).items():
        response.headers[name] = value
    return response


@blueprint.errorhandler(ServiceError)
def service_error(error: ServiceError) -> Response:
    return _taxii(
        {
            "title": error.message,
            "http_status": str(error.status),
            "details": {"field": error.field},
        },
        error.status,
    )


@blueprint.errorhandler(HTTPException)
def http_error(error: HTTPException) -> Response:
    return _taxii({"title": error.name, "http_status": str(error.code)}, error.code or 500)


@blueprint.before_request
def accept_taxii() -> Response | None:
    accept = request.headers.get("Accept", "")
    if accept and not any(
        part.strip().startswith(("application/taxii+json", "*/*", "application/*"))
        for part in accept.split(",")
    ):
        return _taxii({"title": f"Accept {TAXII}.", "http_status": "406"}, 406)
    return None


def _time(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def _after() -> datetime | None:
    text = request.args.get("added_after")
    if not text:
        return None
    try:
        moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        raise InvalidInput(
            "added_after is a timestamp such as 2026-01-31T00:00:00Z.", field="added_after"
        ) from None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def _limit() -> int:
    """TAXII 2.1 section 3.4.1: a limit is an integer greater than 0 (a server may lower it)."""
    text = request.args.get("limit", str(taxii.DEFAULT_LIMIT))
    if not re.fullmatch(r"[0-9]{1,7}", text) or int(text) == 0:
        raise InvalidInput("limit is a whole number greater than 0.", field="limit")
    return min(int(text), taxii.MAX_LIMIT)


def _match() -> taxii.Match:
    def values(name: str) -> frozenset[str]:
        return frozenset(
            v for raw in request.args.getlist(f"match[{name}]") for v in raw.split(",") if v
        )

    return taxii.Match(values("type"), values("id"), values("version"), values("spec_version"))


def _requested_page(collection_id: str) -> taxii.Page:
    """The page the query asks for; the bulletins decrypted for it are audited."""
    reader = token_auth.reader()
    found = taxii.collection(reader, collection_id)
    cursor = taxii.Cursor.decode(request.args["next"]) if request.args.get("next") else None
    page = taxii.page(
        reader, found, added_after=_after(), limit=_limit(), cursor=cursor, match=_match()
    )
    taxii.record_reads(reader, token_auth.actor(), found, page.opened)
    return page


def _added_headers(added: list[datetime]) -> dict[str, str]:
    """X-TAXII-Date-Added-First/Last (TAXII 2.1 section 3.2) over what the answer holds."""
    if not added:
        return {}
    return {
        "X-TAXII-Date-Added-First": _time(min(added)),
        "X-TAXII-Date-Added-Last": _time(max(added)),
    }


def _page_headers(page: taxii.Page) -> dict[str, str]:
    return _added_headers([added for _, added in page.objects])


@blueprint.route("/")
@api_token
def discovery() -> Response:
    """TAXII discovery: the one API root."""
    root = request.host_url.rstrip("/") + "/taxii2/api/"
    return _taxii(
        {
            "title": "Ischia TAXII server",
            "description": "Bulletins shared between ministries, as STIX 2.1.",
            "default": root,
            "api_roots": [root],
        }
    )


@blueprint.route("/api/")
@api_token
def api_root() -> Response:
    """The API root's information."""
    return _taxii(
        {
            "title": "Ischia",
            "versions": [TAXII],
            "max_content_length": taxii.MAX_POST_BYTES,
        }
    )


@blueprint.route("/api/collections/")
@api_token
def collections() -> Response:
    """One collection per organisation whose bulletins the token's organisation reads."""
    found = taxii.collections(token_auth.reader())
    return _taxii({"collections": [c.resource() for c in found]})


@blueprint.route("/api/collections/<collection_id>/")
@api_token
def collection(collection_id: str) -> Response:
    """One collection."""
    return _taxii(taxii.collection(token_auth.reader(), collection_id).resource())


@blueprint.route("/api/collections/<collection_id>/objects/", methods=["GET"])
@api_token
def objects(collection_id: str) -> Response:
    """A page of the collection's objects, oldest addition first."""
    page = _requested_page(collection_id)
    body: dict[str, Any] = {"more": page.more}
    if page.objects:  # an empty list is not allowed (TAXII 2.1 section 3.7): left out
        body["objects"] = [o for o, _ in page.objects]
    if page.next:
        body["next"] = page.next
    return _taxii(body, headers=_page_headers(page))


@blueprint.route("/api/collections/<collection_id>/objects/", methods=["POST"])
@api_token
def add_objects(collection_id: str) -> tuple[Response, int] | Response:
    """Post an envelope to one's own collection: it becomes a sealed bulletin."""
    reader = token_auth.reader()
    found = taxii.collection(reader, collection_id)
    size = request.content_length or 0
    if size > taxii.MAX_POST_BYTES:
        return _taxii(
            {
                "title": f"At most {taxii.MAX_POST_BYTES // 2**20} MB in one envelope.",
                "http_status": "413",
            },
            413,
        )
    envelope = json_object(force=True)
    status = taxii.post_objects(
        reader,
        token_auth.actor(),
        found,
        envelope,
        can_write=token_auth.can_write(),
        size=len(request.get_data()),
    )
    return _taxii(_status(status), 202)


def _status(status: Any) -> dict[str, Any]:
    """The status resource (TAXII 2.1 section 4.3.1): lists only when not empty."""
    body = {
        "id": status.id,
        "status": status.status,
        "request_timestamp": _time(status.created_at),
        "total_count": status.total,
        "success_count": len(status.successes),
        "failure_count": len(status.failures),
        "pending_count": 0,
    }
    if status.successes:
        body["successes"] = status.successes
    if status.failures:
        body["failures"] = status.failures
    return body


@blueprint.route("/api/collections/<collection_id>/manifest/")
@api_token
def manifest(collection_id: str) -> Response:
    """The manifest of a page of objects: ids, when added, versions, media types."""
    page = _requested_page(collection_id)
    entries = [
        {
            "id": o["id"],
            "date_added": _time(added),
            "version": o.get("modified") or o.get("created") or _time(added),
            "media_type": "application/stix+json;version=2.1",
        }
        for o, added in page.objects
    ]
    body: dict[str, Any] = {"more": page.more}
    if entries:
        body["objects"] = entries
    if page.next:
        body["next"] = page.next
    return _taxii(body, headers=_page_headers(page))


@blueprint.route("/api/collections/<collection_id>/objects/<object_id>/")
@api_token
def single_object(collection_id: str, object_id: str) -> Response:
    """One object, in the versions the collection holds."""
    reader = token_auth.reader()
    found = taxii.collection(reader, collection_id)
    hits = taxii.find_object(reader, found, object_id, _match())
    taxii.record_reads(reader, token_auth.actor(), found, [f"object {object_id}"])
    return _taxii(
        {"more": False, "objects": [o for o, _ in hits]},
        headers=_added_headers([added for _, added in hits]),
    )


@blueprint.route("/api/collections/<collection_id>/objects/<object_id>/versions/")
@api_token
def versions(collection_id: str, object_id: str) -> Response:
    """The versions of one object."""
    reader = token_auth.reader()
    wanted = _match()
    every = taxii.Match(versions=frozenset({"all"}), spec_versions=wanted.spec_versions)
    hits = taxii.find_object(reader, taxii.collection(reader, collection_id), object_id, every)
    found = sorted({taxii.version_of(o, a) for o, a in hits})
    return _taxii(
        {"more": False, "versions": found},
        headers=_added_headers([added for _, added in hits]),
    )


@blueprint.route("/api/status/<status_id>/")
@api_token
def status(status_id: str) -> Response:
    """What became of posted objects."""
    return _taxii(_status(taxii.status_of(token_auth.reader(), status_id)))
