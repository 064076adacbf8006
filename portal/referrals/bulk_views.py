"""Bulk referral pages (referral action days): upload a CSV file or a STIX bundle, watch the
job's progress, read and download its report per row.

Without a job queue the job runs when the progress page's script (``referral_bulk.js``) asks
for it (``POST .../run``), while the same script polls ``.../status.json``; without scripts,
the page's "Store the rows now" button does the same and comes back to the page. With
``REDIS_URL`` set a worker runs it and the page only polls.
"""

from __future__ import annotations

from flask import jsonify, redirect, render_template, request, url_for
from flask_babel import gettext
from werkzeug.wrappers import Response

from portal.access import roles_required
from portal.models import ReferralBulkJob, Role
from portal.principal import current_actor, current_reader
from portal.referrals.blueprint import blueprint
from portal.services.errors import ServiceError
from portal.services.referrals import bulk
from portal.services.referrals.vocabulary import Category, ContentType

_FIELDS = ("platform", "kind", "legal_basis", "label", "category", "content_type", "reason")


def _form_page(
    values: dict[str, str], error: str | None = None, field: str | None = None, status: int = 200
) -> tuple[str, int]:
    return (
        render_template(
            "referrals/bulk.html",
            platforms=bulk.platforms(),
            categories=[c.value for c in Category],
            content_types=[c.value for c in ContentType],
            columns=bulk.COLUMNS,
            max_rows=bulk.MAX_ROWS,
            max_mib=bulk.MAX_BYTES // (1024 * 1024),
            jobs=bulk.recent_jobs(current_reader()),
            values=values,
            error=error,
            field=field,
        ),
        status,
    )


@blueprint.route("/bulk", methods=["GET"])
@roles_required(Role.LIAISON)
def bulk_index() -> tuple[str, int]:
    return _form_page({"kind": "referral"})


@blueprint.route("/bulk", methods=["POST"])
@roles_required(Role.LIAISON)
def bulk_submit() -> Response | tuple[str, int]:
    values = {name: request.form.get(name, "") for name in _FIELDS}
    upload = request.files.get("file")
    if upload is None or not upload.filename:
        return _form_page(values, gettext("Choose a CSV file or a STIX bundle."), "file", 400)
    try:
        submitted = bulk.submit(
            current_reader(),
            current_actor(),
            bulk.BulkUpload(
                platform=values["platform"],
                kind=values["kind"] or "referral",
                data=upload.read(),
                format=request.form.get("format") or None,
                legal_basis=values["legal_basis"] or None,
                label=values["label"] or None,
                filename=upload.filename,
                defaults=bulk.Defaults(
                    category=values["category"] or None,
                    content_type=values["content_type"] or None,
                    reason=values["reason"] or None,
                ),
            ),
        )
    except ServiceError as error:
        return _form_page(values, error.message, error.field, error.status)
    return redirect(url_for("referrals.bulk_job", job_id=submitted.job.id), 303)


def _progress(job: ReferralBulkJob) -> dict[str, object]:
    return {
        "id": job.id,
        "state": job.state,
        "rows_total": job.rows_total,
        "rows_done": job.rows_done,
        "accepted": job.accepted,
        "duplicates": job.duplicates,
        "refused": job.refused,
        "error": job.error,
    }


@blueprint.route("/bulk/<job_id>", methods=["GET"])
@roles_required(Role.LIAISON)
def bulk_job(job_id: str) -> str:
    report = bulk.report(current_reader(), job_id)
    job = report.job
    runs_here = job.state == "queued" and not bulk.queue_enabled()
    return render_template(
        "referrals/bulk_job.html",
        job=job,
        platform=report.platform,
        rows=report.rows if job.state in ("done", "failed") else [],
        runs_here=runs_here,
    )


@blueprint.route("/bulk/<job_id>/status.json", methods=["GET"])
@roles_required(Role.LIAISON)
def bulk_status(job_id: str) -> Response:
    return jsonify(_progress(bulk.own_job(current_reader(), job_id)))


@blueprint.route("/bulk/<job_id>/run", methods=["POST"])
@roles_required(Role.LIAISON)
def bulk_run(job_id: str) -> Response:
    """Store a queued job's rows in this request (no job queue); another runner's is left."""
    job = bulk.own_job(current_reader(), job_id)
    if job.state == "queued" and not bulk.queue_enabled():
        job = bulk.run(job.id)
    if request.accept_mimetypes.best == "application/json":
        return jsonify(_progress(job))
    return redirect(url_for("referrals.bulk_job", job_id=job.id), 303)


@blueprint.route("/bulk/<job_id>/report.csv", methods=["GET"])
@roles_required(Role.LIAISON)
def bulk_report(job_id: str) -> Response:
    text = bulk.report_csv(current_reader(), job_id)
    response = Response(text, mimetype="text/csv")
    response.headers["Content-Disposition"] = f'attachment; filename="referrals-{job_id}.csv"'
    return response
