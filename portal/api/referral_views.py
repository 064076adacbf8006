"""API referrals: refer content to a platform, list and read one's own, decide as the platform,
and upload an action day's CSV or STIX bundle.

The services are those of the web pages (``portal.services.referrals``). A ministry sees the
referrals it sent, a platform what was addressed to it; any other id is 404. Writing needs a
token with the ``write`` scope.
"""

from __future__ import annotations

import re
from typing import Any

from flask import Response, jsonify, request, url_for

from portal.access import api_token
from portal.api.blueprint import blueprint, json_object, require_write
from portal.models import OrgKind
from portal.services.errors import InvalidInput
from portal.services.referrals import bulk, documents, intake, queue
from portal.services.referrals.intake import ItemDraft, ReferralDraft
from portal.services.referrals.queue import Decision, QueueFilter
from portal.services.referrals.vocabulary import MAX_PAGE
from portal.token_auth import actor, reader

_ITEM_FIELDS = (
    "url",
    "content_type",
    "category",
    "reason",
    "account",
    "language",
    "attributed_group",
)


def _text(value: object, name: str) -> str | None:
    if value is None:
        return None
    if not isinstance(value, str):
        raise InvalidInput("Text.", field=name)
    return value


def _items(raw: object) -> list[ItemDraft]:
    if not isinstance(raw, list) or not raw:
        raise InvalidInput("A list of content items, each with url and category.", field="items")
    drafts = []
    for index, entry in enumerate(raw):
        where = f"items[{index}]"
        if not isinstance(entry, dict):
            raise InvalidInput("An object with url, category, content_type, reason.", field=where)
        unknown = sorted(set(entry) - {*_ITEM_FIELDS, "hashes"})
        if unknown:
            raise InvalidInput(f"Unknown field {unknown[0]!r}.", field=f"{where}.{unknown[0]}")
        texts = {name: _text(entry.get(name), f"{where}.{name}") for name in _ITEM_FIELDS}
        hashes = entry.get("hashes", [])
        if isinstance(hashes, str):
            hashes = [hashes]
        if not isinstance(hashes, list) or not all(isinstance(h, str) for h in hashes):
            raise InvalidInput("A list of SHA-256 or MD5 hashes.", field=f"{where}.hashes")
        drafts.append(
            ItemDraft(
                url=texts["url"] or "",
                content_type=texts["content_type"] or "",
                category=texts["category"] or "",
                reason=texts["reason"] or "",
                account=texts["account"],
                language=texts["language"],
                attributed_group=texts["attributed_group"],
                hashes=hashes,
            )
        )
    return drafts


def _item(row: Any) -> dict[str, Any]:
    return {
        "id": row.id,
        "position": row.position,
        "case_id": row.case_id,
        "url": row.url,
        "account": row.account,
        "content_type": row.content_type,
        "category": row.category,
        "language": row.language,
        "attributed_group": row.attributed_group,
        "reason": row.reason,
        "hashes": list(row.hashes),
        "received_at": row.received_at.isoformat(),
        "deadline_at": row.deadline_at.isoformat(),
        "state": row.state,
        "outcome": row.outcome,
        "countries": list(row.outcome_countries or []),
        "decided_at": row.decided_at.isoformat() if row.decided_at else None,
    }


@blueprint.route("/referrals", methods=["POST"])
@api_token
def create_referral() -> tuple[Response, int]:
    """Refer content items to one platform, signed by the token's organisation (scope ``write``,
    role liaison of a ministry or observer). A removal order only from a competent authority.
    ---
    post:
      summary: Refer content, or issue a removal order, to a platform
      requestBody:
        required: true
        content:
          application/json:
            schema: {$ref: "#/components/schemas/NewReferral"}
      responses:
        "201": {description: "Stored and signed: its id, its items' cases and deadlines"}
        "400": {$ref: "#/components/responses/BadRequest"}
        "401": {$ref: "#/components/responses/Unauthorised"}
        "403": {$ref: "#/components/responses/Forbidden"}
    """
    require_write()
    data = json_object()
    draft = ReferralDraft(
        platform=_text(data.get("platform"), "platform") or "",
        kind=_text(data.get("kind"), "kind") or "",
        items=_items(data.get("items")),
        legal_basis=_text(data.get("legal_basis"), "legal_basis"),
    )
    referred = intake.refer(reader(), actor(), draft)
    body = {
        "id": referred.referral.id,
        "kind": referred.referral.kind,
        "platform": draft.platform.strip().upper(),
        "received_at": referred.referral.received_at.isoformat(),
        "items": [
            {
                "id": row.id,
                "case_id": row.case_id,
                "url": row.url,
                "deadline_at": row.deadline_at.isoformat(),
            }
            for row in referred.items
        ],
    }
    return jsonify(body), 201


def _int(name: str, default: int, top: int) -> int:
    value = request.args.get(name, str(default))
    if not re.fullmatch(r"[0-9]{1,6}", value) or not 1 <= int(value) <= top:
        raise InvalidInput(f"A number from 1 to {top}.", field=name)
    return int(value)


@blueprint.route("/referrals", methods=["GET"])
@api_token
def list_referrals() -> Response:
    """A platform's queue (open items first, by binding deadline), or the items a ministry
    referred (newest first), with the same filters (and a ministry's ``platform``).
    ---
    get:
      summary: List referred items (each side sees its own)
      parameters:
        - {name: page, in: query, schema: {type: integer, minimum: 1}}
        - {name: size, in: query, schema: {type: integer, minimum: 1, maximum: 200}}
        - name: state
          in: query
          schema:
            type: string
            enum: [received, claimed, question, decided, reinstated, withdrawn]
        - name: kind
          in: query
          schema: {type: string, enum: [referral, removal_order]}
        - {name: category, in: query, schema: {type: string}}
        - {name: overdue, in: query, schema: {type: boolean}}
        - {name: platform, in: query, description: a ministry's filter, schema: {type: string}}
      responses:
        "200": {description: "A page of items; next_page is null on the last page"}
        "400": {$ref: "#/components/responses/BadRequest"}
        "401": {$ref: "#/components/responses/Unauthorised"}
        "403": {$ref: "#/components/responses/Forbidden"}
    """
    asking = reader()
    page = _int("page", 1, 100000)
    size = _int("size", 50, MAX_PAGE)
    overdue_text = request.args.get("overdue")
    if overdue_text not in (None, "", "true", "false"):
        raise InvalidInput("true or false.", field="overdue")
    filters = QueueFilter(
        state=request.args.get("state") or None,
        kind=request.args.get("kind") or None,
        category=request.args.get("category") or None,
        overdue=None if not overdue_text else overdue_text == "true",
    )
    if asking.org_kind is OrgKind.PLATFORM:
        listed = queue.list_queue(asking, filters, page=page, size=size)
        items = [
            {
                "id": e.id,
                "referral_id": e.referral_id,
                "case_id": e.case_id,
                "kind": e.kind,
                "referrer": e.referrer,
                "url": e.url,
                "account": e.account,
                "content_type": e.content_type,
                "category": e.category,
                "language": e.language,
                "attributed_group": e.attributed_group,
                "reason": e.reason,
                "hashes": e.hashes,
                "legal_basis": e.legal_basis,
                "received_at": e.received_at.isoformat(),
                "deadline_at": e.deadline_at.isoformat(),
                "binding_deadline": e.binding_deadline.isoformat(),
                "state": e.state,
                "claimed_by": e.claimed_by,
                "outcome": e.outcome,
                "case_items": e.case_items,
                "overdue": e.overdue,
            }
            for e in listed.entries
        ]
        more = listed.has_more
        side = "platform"
    else:
        listed_own = documents.own_items(
            asking, filters, request.args.get("platform") or None, page=page, size=size
        )
        own, more = listed_own.items, listed_own.has_more
        items = [
            {
                "id": o.id,
                "referral_id": o.referral_id,
                "platform": o.platform,
                "kind": o.kind,
                "url": o.url,
                "content_type": o.content_type,
                "category": o.category,
                "state": o.state,
                "outcome": o.outcome,
                "countries": o.countries,
                "received_at": o.received_at.isoformat(),
                "deadline_at": o.deadline_at.isoformat(),
                "decided_at": o.decided_at.isoformat() if o.decided_at else None,
                "overdue": o.overdue,
                "others": o.others,
                "question": o.question,
            }
            for o in own
        ]
        side = "referrer"
    return jsonify(
        {"side": side, "page": page, "items": items, "next_page": page + 1 if more else None}
    )


@blueprint.route("/referrals/<referral_id>", methods=["GET"])
@api_token
def get_referral(referral_id: str) -> Response:
    """One referral with its items and the check of its signature (its sender or its platform).
    ---
    get:
      summary: Read a referral
      parameters:
        - {name: referral_id, in: path, required: true, schema: {type: string}}
      responses:
        "200": {description: "The referral, its items and whether its signature verifies"}
        "401": {$ref: "#/components/responses/Unauthorised"}
        "403": {$ref: "#/components/responses/Forbidden"}
        "404": {$ref: "#/components/responses/NotFound"}
    """
    document = documents.read_referral(reader(), referral_id)
    check = document.verification
    return jsonify(
        {
            "id": document.id,
            "kind": document.kind,
            "referrer": document.referrer,
            "platform": document.platform,
            "legal_basis": document.legal_basis,
            "received_at": document.received_at.isoformat(),
            "items": [_item(row) for row in document.items],
            "verification": {
                "valid": check.valid,
                "signed_by": check.org,
                "key_version": check.key_version,
                "problem": check.problem,
            },
        }
    )


@blueprint.route("/referrals/<referral_id>/decision", methods=["POST"])
@api_token
def decide_referral(referral_id: str) -> Response:
    """The platform's decision on the referral's items: every undecided one, or those named
    (scope ``write``, role platform liaison).
    ---
    post:
      summary: Decide a referral's items
      parameters:
        - {name: referral_id, in: path, required: true, schema: {type: string}}
      requestBody:
        required: true
        content:
          application/json:
            schema: {$ref: "#/components/schemas/Decision"}
      responses:
        "200": {description: The ids of the items decided}
        "400": {$ref: "#/components/responses/BadRequest"}
        "401": {$ref: "#/components/responses/Unauthorised"}
        "403": {$ref: "#/components/responses/Forbidden"}
        "404": {$ref: "#/components/responses/NotFound"}
        "409": {$ref: "#/components/responses/Conflict"}
    """
    require_write()
    data = json_object()
    countries = data.get("countries", [])
    if isinstance(countries, str):
        countries = countries.replace(",", " ").split()
    if not isinstance(countries, list) or not all(isinstance(c, str) for c in countries):
        raise InvalidInput("A list of ISO 3166 country codes.", field="countries")
    item_ids = data.get("items")
    if item_ids is not None and (
        not isinstance(item_ids, list) or not all(isinstance(i, str) for i in item_ids)
    ):
        raise InvalidInput("A list of item ids of this referral.", field="items")
    note = _text(data.get("note"), "note")
    question = _text(data.get("question"), "question")
    outcome = _text(data.get("outcome"), "outcome") or ""
    decision = Decision(
        outcome=outcome,
        countries=countries,
        reason=note,
        question=question or (note if outcome.strip().lower() == "more_information" else None),
    )
    decided = documents.decide_referral(reader(), actor(), referral_id, decision, item_ids)
    return jsonify({"referral": referral_id, "decided": decided})


def _job(job: Any, platform: str | None = None) -> dict[str, Any]:
    return {
        "id": job.id,
        "state": job.state,
        "platform": platform,
        "kind": job.kind,
        "label": job.label,
        "format": job.source_format,
        "rows_total": job.rows_total,
        "rows_done": job.rows_done,
        "accepted": job.accepted,
        "duplicates": job.duplicates,
        "refused": job.refused,
        "error": job.error,
        "status_url": url_for("api.bulk_status", job_id=job.id),
        "report_url": url_for("api.bulk_report_csv", job_id=job.id),
    }


def _report(report: bulk.Report) -> dict[str, Any]:
    body = _job(report.job, report.platform)
    body["rows"] = [
        {
            "row": r.row,
            "url": r.url,
            "status": r.status,
            "item_id": r.item_id,
            "case_id": r.case_id,
            "column": r.column,
            "message": r.message,
        }
        for r in report.rows
    ]
    return body


def _upload() -> bulk.BulkUpload:
    """The file (multipart field ``file``, or the whole body) and its parameters (form fields
    or query parameters)."""
    params = request.form if request.files or request.form else request.args
    if request.files:
        file = request.files.get("file")
        if file is None:
            raise InvalidInput("Send the CSV or bundle in the field named file.", field="file")
        data, filename = file.read(), file.filename
    else:
        data, filename = request.get_data(cache=False), None
    source_format = params.get("format")
    mimetype = request.mimetype
    if not source_format and not request.files:
        if mimetype == "text/csv":
            source_format = "csv"
        elif mimetype in ("application/json", "application/stix+json"):
            source_format = "stix"
    return bulk.BulkUpload(
        platform=params.get("platform", ""),
        kind=params.get("kind", "referral"),
        data=data,
        format=source_format or None,
        legal_basis=params.get("legal_basis") or None,
        label=params.get("label") or None,
        filename=filename,
        defaults=bulk.Defaults(
            category=params.get("category") or None,
            content_type=params.get("content_type") or None,
            reason=params.get("reason") or None,
        ),
    )


@blueprint.route("/referrals/bulk", methods=["POST"])
@api_token
def bulk_upload() -> tuple[Response, int]:
    """An action day's upload: a CSV file (columns url, category, content_type, account,
    language, attributed_group, reason, hashes; header row required) or a STIX 2.1 bundle of
    ``url`` objects and ``[url:value = '...']`` indicators, at most 10 MiB and 5,000 rows
    (scope ``write``, role liaison). Without a job queue it runs in the request (201 and the
    report); with one it is queued (202; follow ``status_url``).
    ---
    post:
      summary: Bulk intake of referrals from a CSV file or a STIX 2.1 bundle
      parameters:
        - {name: platform, in: query, description: or a form field, schema: {type: string}}
        - {name: kind, in: query, schema: {type: string, enum: [referral, removal_order]}}
        - {name: legal_basis, in: query, description: for a removal order, schema: {type: string}}
        - {name: label, in: query, description: the action day, schema: {type: string}}
        - {name: format, in: query, schema: {type: string, enum: [csv, stix]}}
        - {name: category, in: query, description: for blank cells, schema: {type: string}}
        - {name: content_type, in: query, description: for blank cells, schema: {type: string}}
        - {name: reason, in: query, description: for blank cells, schema: {type: string}}
      requestBody:
        required: true
        content:
          text/csv: {schema: {type: string}}
          application/stix+json: {schema: {type: object}}
          multipart/form-data:
            schema:
              type: object
              required: [file, platform]
              properties:
                file: {type: string, format: binary}
                platform: {type: string}
                kind: {type: string}
                legal_basis: {type: string}
                label: {type: string}
      responses:
        "201": {description: "Done: the job and a report per row (accepted, duplicate, refused)"}
        "202": {description: Queued; follow status_url}
        "400": {$ref: "#/components/responses/BadRequest"}
        "401": {$ref: "#/components/responses/Unauthorised"}
        "403": {$ref: "#/components/responses/Forbidden"}
        "413": {$ref: "#/components/responses/TooLarge"}
    """
    require_write()
    asking = reader()
    submitted = bulk.submit(asking, actor(), _upload())
    if submitted.queued:
        return jsonify(_job(submitted.job)), 202
    bulk.run(submitted.job.id)
    return jsonify(_report(bulk.report(asking, submitted.job.id))), 201


@blueprint.route("/referrals/bulk/<job_id>", methods=["GET"])
@api_token
def bulk_status(job_id: str) -> Response:
    """A bulk job's progress and, as far as it has got, its report per row.
    ---
    get:
      summary: Follow a bulk upload
      parameters:
        - {name: job_id, in: path, required: true, schema: {type: string}}
      responses:
        "200": {description: "The job (state, rows_done of rows_total) and its rows"}
        "401": {$ref: "#/components/responses/Unauthorised"}
        "404": {$ref: "#/components/responses/NotFound"}
    """
    return jsonify(_report(bulk.report(reader(), job_id)))


@blueprint.route("/referrals/bulk/<job_id>/report.csv", methods=["GET"])
@api_token
def bulk_report_csv(job_id: str) -> Response:
    """A bulk job's report per row as CSV (cells a spreadsheet would take as formulas are
    neutralised).
    ---
    get:
      summary: Download a bulk upload's report as CSV
      parameters:
        - {name: job_id, in: path, required: true, schema: {type: string}}
      responses:
        "200": {description: "The report, one row per uploaded row"}
        "401": {$ref: "#/components/responses/Unauthorised"}
        "404": {$ref: "#/components/responses/NotFound"}
    """
    text = bulk.report_csv(reader(), job_id)
    response = Response(text, mimetype="text/csv")
    response.headers["Content-Disposition"] = f'attachment; filename="referrals-{job_id}.csv"'
    return response
